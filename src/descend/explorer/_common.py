"""What every explorer page is built from: the :class:`Explorer`, the settings checked, the
rates, and :func:`_build`, which writes the page (data, compiled code, script).

The function pages (:mod:`descend.explorer`) and the regression page
(:mod:`descend.explorer._regression`) both build on it.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from descend.errors import InputError

__all__ = ["OPTIMIZER_NAMES", "SECOND_ORDER", "Explorer"]

OPTIMIZER_NAMES = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


class Explorer:
    """A built explorer page: ``.html`` (the text), ``.save(path)``, and Jupyter display.

    Attributes:
        html: the complete self-contained page.
        data: what the page was built from (formula, variables, L, window, start, ...).
    """

    def __init__(self, page: str, data: dict[str, Any]) -> None:
        self.html = page
        self.data = data

    def save(self, path: str | Path, *, force: bool = False, plan: Any = None) -> Path:
        """Write the page to ``path`` (``.html``) through the one writer
        (:func:`descend.io.write_output`: never over the data explored, an existing file only
        with ``force``, atomic); return the path."""
        from descend.io import OutputPlan, write_output

        p = Path(path)
        if p.suffix.lower() not in (".html", ".htm"):
            raise InputError(f"the explorer is an HTML page: give a path ending in .html, got {str(p)!r}")
        if plan is None:
            plan = OutputPlan(force=force)
            source = (self.data.get("regression") or {}).get("source")
            if source:
                plan.add_input(source, "the data explored")
        write_output(p, lambda tmp: tmp.write_text(self.html, encoding="utf-8"), option="--html",
                     plan=plan, formats=(".html", ".htm"), what="page")
        return p

    def _repr_html_(self) -> str:
        """The page in a sandboxed iframe, so its script and style cannot touch the notebook."""
        return (
            '<iframe sandbox="allow-scripts" style="width:100%;height:1450px;border:1px solid #ccc" '
            f'title="descend explorer" srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Explorer({self.data.get('title', '')!r}, {len(self.html)} bytes)"


def _nice_rate(x: float) -> float:
    """The largest of 1, 2, 5 x 10^k not above ``x`` (a round default learning rate)."""
    if not (math.isfinite(x) and x > 0):
        return 0.01
    k = math.floor(math.log10(x))
    for m in (5.0, 2.0, 1.0):
        if m * 10.0**k <= x * (1 + 1e-12):
            return float(f"{m * 10.0 ** k:.3g}")
    return float(f"{10.0 ** k:.3g}")


#: The tutorials' learning rate: the default wherever it is stable, so the page shows the
#: descent the function is known for (a zig-zag, a slow valley) instead of one jump to 1/L.
TUTORIAL_RATE = 0.1


def _default_rate(L: float | None) -> float:
    """0.1 where it is below ``1/L`` (no overshoot), else a round number below ``1/L``.

    >>> _default_rate(3.0), _default_rate(6.84e6), _default_rate(None)
    (0.1, 1e-07, 0.01)
    """
    if not L:
        return 0.01
    return TUTORIAL_RATE if TUTORIAL_RATE <= 1.0 / L else _nice_rate(1.0 / L)


def _float_list(values: Any, name: str, n: int) -> list[float]:
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be {n} numbers, got {values!r}") from None
    if arr.shape[0] != n or not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be {n} finite number{'s' if n != 1 else ''}, got {values!r}")
    return [float(v) for v in arr]


def _limits(v: Any, name: str) -> list[float] | None:
    if v is None:
        return None
    lo, hi = _float_list(v, name, 2)
    if not lo < hi:
        raise InputError(f"{name}={v!r}: give (low, high) with low < high, e.g. (-3, 3)")
    return [lo, hi]


def _local_curvature(fun: Any, x: list[float]) -> float | None:
    from descend.loop._curvature import estimate_curvature

    try:
        with np.errstate(all="ignore"):
            c = estimate_curvature(fun, np.array(x, dtype=np.float64))
    except Exception:  # noqa: BLE001 - a default step only; the page computes its own
        return None
    return float(c.L) if math.isfinite(c.L) else None


def _decimal_gradient(fun: Any) -> list[str]:
    """The gradient's formulas as shown, with exact rationals written as 6-digit decimals.

    A loss built from data holds fractions such as ``2447917073077967973/25000000000000000``;
    a learner reads ``97.9167`` instead. Integers and small fractions stay as they are.
    """
    import sympy as sp

    out = []
    for text, expr in zip(fun.gradient_formula, fun.gradient_exprs, strict=True):
        if any(isinstance(r, sp.Rational) and not r.is_Integer and max(abs(r.p), r.q) > 10**6
               for r in expr.atoms(sp.Rational)):
            text = re.sub(r"(?<![\d.])(\d+)\.0(?!\d)", r"\1", str(sp.N(expr, 6)))
        out.append(text)
    return out


#: The second-order methods the page shows beside the first-order ones (descend's own runs).
SECOND_ORDER = ("newton", "bfgs")


def _second_order(fun: Any, start: list[float], max_iter: int) -> dict[str, Any]:
    """descend's Newton and BFGS runs from ``start``, for the page to draw and explain.

    They are computed here, by :func:`descend.minimize` itself, and embedded: Newton is a
    trust-region method whose radius, acceptance ratio and subproblem solve the page does not
    re-implement, so the page's Newton and BFGS iterates *are* the engine's (JSON keeps every
    float64). The page draws them from this start only, and says so elsewhere.
    """
    import warnings

    from descend.loop import minimize

    out: dict[str, Any] = {}
    for method in SECOND_ORDER:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                r = minimize(fun, start, method=method, max_iter=max_iter)
            except Exception:  # noqa: BLE001 - the page still has its first-order runs
                continue
        xs = np.asarray(r.history.x, dtype=np.float64)
        if not np.all(np.isfinite(xs)):
            continue
        out[method] = {"x": xs.tolist(), "verdict": str(r.verdict), "status": str(r.status),
                       "message": str(r.message), "nit": int(r.nit), "nfev": int(r.nfev),
                       "njev": int(r.njev), "nhev": int(r.nhev)}
    return out


def _defaults(
    optimizer: str, learning_rate: float | str | None, momentum: float, b1: float, b2: float
) -> dict[str, Any]:
    if optimizer not in OPTIMIZER_NAMES + SECOND_ORDER:
        raise InputError(
            f"optimizer={optimizer!r} is not one the explorer runs; choose one of "
            f"{', '.join(OPTIMIZER_NAMES + SECOND_ORDER)}"
        )
    from descend.optim import adam
    from descend.optim import momentum as heavy_ball

    heavy_ball(0.1, momentum=momentum)  # validates the ranges with descend's own messages
    adam(0.1, b1=b1, b2=b2)
    if learning_rate == "armijo" and optimizer != "gd":
        raise InputError(
            f"learning_rate='armijo' on the page is gradient descent's line search; use it with "
            f"optimizer='gd', not {optimizer!r}, or give a number"
        )
    if learning_rate is not None and learning_rate != "armijo" and not (
        isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate) and learning_rate > 0
    ):
        raise InputError(f"learning_rate={learning_rate!r} must be a positive number or 'armijo'")
    return {"momentum": float(momentum), "b1": float(b1), "b2": float(b2), "alpha": 0.99,
            "weight_decay": 0.01, "eps_adam": 1e-8, "eps_rmsprop": 1e-8, "eps_adagrad": 1e-10}


def _rates(fun: Any, start: list[float], learning_rate: float | str | None) -> dict[str, Any]:
    """L (exact, global) where f is a quadratic, the first γ and the slider's range around 2/L.

    The range is ``2/L·[10⁻³, 10³]`` (L from the Hessian at ``start`` where f is not a
    quadratic), widened to hold ``γ/10 … 10γ``; ``"armijo"`` keeps the default γ.
    """
    L = fun.curvature_bound()
    L = float(L) if L is not None and math.isfinite(L) and L > 0 else None
    local = _local_curvature(fun, start)
    ref = L if L is not None else (local if local is not None and local > 0 else None)
    lr = float(learning_rate) if isinstance(learning_rate, (int, float)) else _default_rate(ref)
    center = 2.0 / ref if ref else lr
    return {"L": L, "learning_rate": float(lr),
            "lr_range": [float(min(center * 1e-3, lr / 10)), float(max(center * 1e3, lr * 10))]}


def _build(
    fun: Any,
    *,
    kind: str,
    title: str,
    text: str,
    start: list[float],
    window: list[list[float]],
    equal_aspect: bool,
    minimum: list[float] | None,
    optimizer: str,
    learning_rate: float | str | None,
    hyper: dict[str, Any],
    max_iter: int,
    extra: dict[str, Any] | None = None,
    functions_js: str = "",
) -> Explorer:
    """The page from a function and its settings; ``functions_js``: more compiled code
    (the regression page's standardised loss, ``window.DESCEND_ZFUNCS``)."""
    from descend.explorer._jscode import compile_functions
    from descend.explorer._page import build_page

    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or not 1 <= max_iter <= 100_000:
        raise InputError(f"max_iter={max_iter!r} must be an integer from 1 to 100000")
    data: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "text": text,
        "formula": fun.formula,
        "variables": list(fun.variables),
        "gradient_formula": _decimal_gradient(fun),
        "n": fun.n,
        **_rates(fun, start, learning_rate),
        "window": window,
        "equal_aspect": equal_aspect,
        "minimum": minimum,
        "start": start,
        "optimizer": optimizer,
        "line_search": learning_rate == "armijo",  # gd's steps by descend's line search
        "hyper": hyper,
        "max_iter": int(max_iter),
        "gtol": 1e-6,
        "tol": 1e-10,
        "n_iter_no_change": 100,
        "optimizers": list(OPTIMIZER_NAMES),
        "second": _second_order(fun, start, int(max_iter)),
    }
    if extra:
        data.update(extra)
    return Explorer(build_page(data, compile_functions(fun) + functions_js, title), data)
