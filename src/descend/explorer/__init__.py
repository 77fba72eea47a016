"""The explorer: an offline HTML page where a learner plays with their own function or data.

>>> page = explore("x**2 + x*y + y**2", start=[3, 1], learning_rate=0.1)
>>> page.data["L"], page.data["variables"]
(3.0, ['x', 'y'])
>>> "<canvas" in page.html or "id=\\"app\\"" in page.html
True

One file, no network: the function, its exact gradient and Hessian are printed to JavaScript
from descend's parsed SymPy tree (:mod:`descend.explorer._jscode`); a click on the contour map
runs a descent in the page with the update rules of :mod:`descend.optim` (torch's conventions,
the same iterates as :func:`descend.minimize` to 1e-12); sliders set the learning rate (2/L
marked), momentum and Adam's betas; each step is written out with the learner's numbers.
:func:`explore` on a CSV file instead shows a straight-line fit: the data with the line and
the (intercept, slope) loss surface with the path -- tutorial 001's learning-rate lesson.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descend.errors import InputError

__all__ = ["Explorer", "explore", "explore_regression"]

_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")
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


def _find_minimum(fun: Any, start: list[float]) -> list[float] | None:
    """Where descend's default method goes from ``start``, if it converges there."""
    import warnings

    from descend.loop import minimize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = minimize(fun, start, max_iter=2000)
        except Exception:  # noqa: BLE001 - the map is still useful without a marked minimum
            return None
    if not r.success or not np.all(np.isfinite(r.x)):
        return None
    x = np.array(r.x, dtype=np.float64)
    # A few Newton steps polish the marked minimum to rounding level where H is positive.
    for _ in range(6):
        g, H = fun.grad(x), fun.hessian(x)
        if H is None or not np.all(np.isfinite(H)) or np.linalg.eigvalsh(H)[0] <= 0:
            break
        x_new = x - np.linalg.solve(H, g)
        if not np.linalg.norm(fun.grad(x_new)) < np.linalg.norm(g):
            break
        x = x_new
    return [float(v) for v in x]


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


def _map_of(fun: Any, x0: list[float]) -> tuple[Any, list[tuple[list[float], str]], list[list[float]]]:
    """The minimum descend finds from ``x0``, the stationary points near it, and the window.

    The window holds the start and the stationary points found near it (all four of
    Himmelblau's minima, the saddle of ``x**2 - y**2``), so the map shows what f is known for.
    """
    from descend.geometry import stationary_points, window_around

    minimum = _find_minimum(fun, x0)
    stationary = stationary_points(fun, x0)
    window = window_around([x0] + ([minimum] if minimum else []) + [p for p, _ in stationary],
                           fun.n, pad=1.5)
    return minimum, stationary, window


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


def explore(
    target: Any,
    start: Sequence[float] | None = None,
    *,
    variables: Sequence[str] | None = None,
    optimizer: str = "gd",
    learning_rate: float | str | None = None,
    momentum: float = 0.9,
    b1: float = 0.9,
    b2: float = 0.999,
    max_iter: int = 200,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    x: str | None = None,
    y: str | None = None,
    race: Sequence[str] | None = None,
    title: str | None = None,
    note: str | None = None,
    fair: bool = False,
    scale: bool = False,
) -> Explorer:
    """Build the explorer page for a formula of one or two variables, or for a data file.

    Args:
        target: a formula as text (``"x**2 + x*y + y**2"``), a SymPy expression or a
            :class:`~descend.expr.SymbolicFunction`; or a CSV/Parquet path (see
            :func:`explore_regression`).
        start: the first descent's start, one value per variable. Default ``(3, 1)`` in 2-D,
            ``3`` in 1-D.
        variables: variable order (default: sorted names), as in :func:`descend.function`.
        optimizer: the menu's first choice: gd, momentum, nesterov, adagrad, rmsprop, adam, adamw;
            or newton, bfgs (descend's own runs from ``start``, embedded in the page).
        learning_rate: the slider's first value ``γ``. Default: the tutorials' 0.1 where it
            is below ``1/L``, else a round number below ``1/L`` (L from the exact Hessian:
            global for a quadratic, else at ``start``).
            ``"armijo"``: gradient descent opens with descend's backtracking line search
            (as ``minimize(..., learning_rate="armijo")``), the slider at its default.
        momentum: heavy-ball/Nesterov ``μ`` in [0, 1). Default 0.9.
        b1: Adam's first-moment decay rate in [0, 1). Default 0.9.
        b2: Adam's second-moment decay rate in [0, 1). Default 0.999.
        max_iter: most steps per descent on the page. Default 200.
        xlim: the map's window along the first variable (default: holds the start and the
            minimum).
        ylim: the same along the second variable.
        x: for a data file, the feature column.
        y: for a data file, the target column.
        race: optimizers to race from the start (e.g. ``["gd", "momentum", "newton"]``); the
            page opens with the race on.
        title: the page's heading (default: ``Explore f = ...``).
        note: a teacher's note shown under the heading (plain text).
        fair: open the race as a fair one: each optimizer at its own rate, tuned in the page
            by the rule it states (fewest steps to converge over a grid of rates).
        scale: for a data file, open with the feature standardised, ``z = (x − mean)/std``
            (as ``descend fit`` does by default); the page's box switches back and forth.

    Returns:
        An :class:`Explorer`: ``.save("page.html")``, or display it in Jupyter.

    Raises:
        InputError: a formula of more than two variables, a bad start or setting.
    """
    if isinstance(target, (str, Path)) and (
        str(target).lower().endswith(_DATA_SUFFIXES) or isinstance(target, Path)
    ):
        page = explore_regression(target, x=x, y=y, start=start, optimizer=optimizer,
                                  learning_rate=learning_rate, momentum=momentum, b1=b1, b2=b2,
                                  max_iter=max_iter, scale=scale)
    else:
        if scale:
            raise InputError("scale=True standardises a data file's feature; a formula has none "
                             "(give a CSV/Parquet file, or leave scale off)")
        fun = _formula(target, variables)
        page = _function_page(fun, str(target) if isinstance(target, str) else fun.formula,
                              start, xlim, ylim, optimizer=optimizer,
                              learning_rate=learning_rate, max_iter=max_iter,
                              hyper=_defaults(optimizer, learning_rate, momentum, b1, b2))
    return _preset(page, race, title, note, fair) if (race or title or note or fair) else page


def _formula(target: Any, variables: Sequence[str] | None) -> Any:
    """``target`` as a :class:`SymbolicFunction` of one or two variables, or InputError."""
    from descend.expr import SymbolicFunction, function

    fun = target if isinstance(target, SymbolicFunction) else function(target, variables)
    if not isinstance(fun, SymbolicFunction):
        raise InputError(
            "the explorer needs a formula (text or SymPy) so that its derivatives can be written "
            "into the page; a Python callable cannot be"
        )
    if fun.n > 2:
        raise InputError(
            f"the explorer draws functions of one or two variables; {fun.formula!r} has {fun.n} "
            f"({', '.join(fun.variables)})"
        )
    return fun


def _function_page(fun: Any, text: str, start: Sequence[float] | None, xlim: Any, ylim: Any, *,
                   optimizer: str, learning_rate: float | str | None, hyper: dict[str, Any],
                   max_iter: int) -> Explorer:
    """The page for a formula: the start checked, the window (fitted, or ``xlim``/``ylim``)."""
    default_start = [3.0, 1.0] if fun.n == 2 else [3.0]
    x0 = default_start if start is None else _float_list(start, "start", fun.n)
    with np.errstate(all="ignore"):
        f0 = fun.value(np.array(x0))
    if not math.isfinite(f0):
        raise InputError(f"f{tuple(x0)} = {f0} is not finite; choose a start where f is defined")
    minimum, stationary, window = _map_of(fun, x0)
    xl, yl = _limits(xlim, "xlim"), _limits(ylim, "ylim")
    if xl:
        window[0] = xl
    if yl and fun.n == 2:
        window[1] = yl
    return _build(fun, kind="function", title=f"Explore f = {fun.formula}", text=text,
                  start=x0, window=window, equal_aspect=fun.n == 2 and not (xl or yl),
                  minimum=minimum, optimizer=optimizer, learning_rate=learning_rate,
                  hyper=hyper, max_iter=max_iter,
                  extra={"stationary": [{"x": p, "kind": k} for p, k in stationary]})


def _preset(page: Explorer, race: Sequence[str] | None, title: str | None,
            note: str | None, fair: bool = False) -> Explorer:
    """The page rebuilt with a teacher's presets: a race set, a heading, a note, a fair race."""
    from descend.explorer._page import rebuild

    data = dict(page.data)
    if race:
        names = [str(r).strip() for r in race if str(r).strip()]
        bad = [r for r in names if r not in OPTIMIZER_NAMES + SECOND_ORDER]
        if bad:
            raise InputError(f"race={bad[0]!r} is not one the explorer runs; choose from "
                             f"{', '.join(OPTIMIZER_NAMES + SECOND_ORDER)}, e.g. "
                             "race=['gd', 'momentum', 'newton']")
        data["race"] = names
    if title:
        data["title"] = str(title)
    if note:
        data["note"] = str(note)
    if fair:
        data["fair"] = True
        data.setdefault("race", ["gd", "momentum", "adam"])
    return Explorer(rebuild(page.html, data), data)


from descend.explorer._regression import explore_regression  # noqa: E402 (after _build)
