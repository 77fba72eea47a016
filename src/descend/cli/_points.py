"""A point typed on the command line, checked where the function is defined and finite."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from descend.cli.app import fail

#: What evaluating a formula at a point can raise when a number leaves float64's range
#: (``exp(10**30)``: an integer too large for NumPy's float64 ufuncs, a TypeError).
EVAL_ERRORS = (TypeError, OverflowError, ZeroDivisionError, FloatingPointError, ArithmeticError)


def _where(fun: Any, x: Sequence[float]) -> str:
    return ", ".join(f"{v} = {float(p):.10g}" for v, p in zip(fun.variables, x, strict=True))


def gradient_info_at(fun: Any, x: Sequence[float], option: str) -> Any:
    """``descend.expr.gradient_at(fun, x)``, refused (exit 2) where f or its gradient is not a
    finite number: outside the domain (nan: ``log(-1)``, ``asin(2)``) or overflowing (inf)."""
    import numpy as np

    from descend.expr import gradient_at

    formula = getattr(fun, "formula", None) or "f"
    try:
        with np.errstate(all="ignore"):
            info = gradient_at(fun, list(x))
    except EVAL_ERRORS as exc:
        fail(
            f"{option}: {formula} cannot be evaluated at {_where(fun, x)}: a value leaves "
            f"float64's range ({type(exc).__name__}); check the formula's constants"
        )
    values = [float(info.fun_value), *map(float, np.asarray(info.value).ravel())]
    if all(math.isfinite(v) for v in values):
        return info
    f = float(info.fun_value)
    if math.isnan(f) or any(math.isnan(v) for v in values):
        why = "the point is outside the function's domain" if math.isnan(f) else (
            "the gradient is not defined there"
        )
        fail(
            f"{option}: {formula} is not defined as a real number at {_where(fun, x)} "
            f"(f = {f:.6g}); {why}; choose a point inside it"
        )
    if _finite_nearby(fun, x):  # an isolated infinity: a singularity (log(0), 1/0)
        fail(
            f"{option}: {formula} is infinite at {_where(fun, x)} (f = {f:.6g}): the point is a "
            "singularity or the edge of the function's domain; choose a point inside the "
            "domain, away from it"
        )
    fail(
        f"{option}: {formula} overflows float64 at {_where(fun, x)} (f = {f:.6g}, a gradient "
        "entry is infinite); choose a point nearer the origin or rescale the formula"
    )


def _finite_nearby(fun: Any, x: Any) -> bool:
    """Whether f is finite a small step away from ``x`` along some axis: then the infinity at
    ``x`` is a singularity (``1/x`` at 0), not an overflow of every nearby value (``exp(x)``
    at 1000, where a nearer start is the fix)."""
    import numpy as np

    p = np.asarray(x, dtype=np.float64)
    h = 1e-6 * max(1.0, float(np.max(np.abs(p)))) if p.size else 1e-6
    for i in range(p.size):
        for s in (1.0, -1.0):
            q = p.copy()
            q[i] += s * h
            try:
                with np.errstate(all="ignore"):
                    if math.isfinite(float(fun.value(q))):
                        return True
            except (ArithmeticError, ValueError):
                continue
    return False


def check_fit_start(init: str, start: Sequence[float], table: Any = None, stats: Any = None) -> None:
    """``--init`` refused (exit 2) when the loss at that start is not a finite number: a start
    of 1e308 overflows float64 before any step, which is not the learning rate's fault."""
    import numpy as np

    b, w = float(start[0]), np.asarray(start[1:], dtype=np.float64)
    with np.errstate(all="ignore"):
        if table is not None:
            r = table.X @ w + b - table.y
            loss = float(np.mean(r * r))
        else:
            loss = float(stats.loss(w, b))
    if not math.isfinite(loss):
        fail(
            f"--init {init}: the loss at this start overflows float64 ({loss:g}); start nearer "
            "the data, e.g. --init with zeros"
        )
