r"""A line search that meets the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5-3.6).

Along a descent direction ``d`` from ``x`` with slope ``phi'(0) = grad f(x) . d < 0`` it finds
a step ``t`` with

    f(x + t d) <= f(x) + c1 t phi'(0)          (sufficient decrease, c1 = 1e-4)
    |grad f(x + t d) . d| <= c2 |phi'(0)|      (curvature; c2 = 0.9 quasi-Newton, 0.4 CG)

by bracketing (doubling ``t`` while ``f`` falls and the slope is negative), then zooming into
the bracket with the minimiser of the cubic through both ends' values and slopes, kept at
least a tenth of the bracket away from its ends. A trial whose value or gradient is not finite
counts as "too far" (the bracket's upper end), so a function undefined beyond some point is
searched inside its domain. The curvature condition keeps ``s.y > 0``, which BFGS needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from descend.expr.objective import Array

__all__ = ["Found", "wolfe_search"]

C1 = 1e-4
_MAX_EVALS = 40
Pt = tuple[float, float, float, Array | None]  # (t, f, slope, gradient) at a trial step


class Found(NamedTuple):
    """An accepted step ``t`` and the point's value and gradient."""

    t: float
    f: float
    g: Array


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """The minimiser of the cubic through ``(a, fa, da)`` and ``(b, fb, db)`` (N&W (3.59))."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    rad = d1 * d1 - da * db
    if rad < 0.0 or not math.isfinite(rad):
        return 0.5 * (a + b)
    d2 = math.copysign(math.sqrt(rad), b - a)
    den = db - da + 2.0 * d2
    if den == 0.0:
        return 0.5 * (a + b)
    return b - (b - a) * (db + d2 - d1) / den


def wolfe_search(
    value_and_grad: Callable[[Array], tuple[float, Array]],
    x: Array, f0: float, d: Array, slope: float, t0: float, *, c2: float,
    t_max: float = 1e10,
) -> Found | None:
    """A strong-Wolfe step along ``d`` from ``x`` (see the module docstring), or ``None``."""
    def phi(t: float) -> tuple[float, Array, float]:
        fv, gv = value_and_grad(x + t * d)
        return fv, gv, float(gv @ d)

    lo: Pt = (0.0, f0, slope, None)
    t = t0
    hi: Pt | None = None
    evals = 0
    while evals < _MAX_EVALS:
        fv, gv, dv = phi(t)
        evals += 1
        if not (math.isfinite(fv) and math.isfinite(dv)):
            hi = (t, math.inf, math.nan, None)
            break
        if fv > f0 + C1 * t * slope or (evals > 1 and fv >= lo[1]):
            hi = (t, fv, dv, gv)
            break
        if abs(dv) <= -c2 * slope:
            return Found(t, fv, gv)
        if dv >= 0.0:
            hi, lo = lo, (t, fv, dv, gv)
            break
        lo = (t, fv, dv, gv)
        if t >= t_max:
            return Found(t, fv, gv)
        t = min(4.0 * t, t_max)
    if hi is None:
        return None
    return _zoom(phi, f0, slope, lo, hi, c2, _MAX_EVALS - evals)


def _zoom(
    phi: Callable[[float], tuple[float, Array, float]], f0: float, slope: float,
    lo: Pt, hi: Pt, c2: float, budget: int,
) -> Found | None:
    """Shrink the bracket ``[lo, hi]`` (``lo`` the end with the lower value) to a Wolfe step;
    when the budget runs out, the lowest point found with sufficient decrease, if any."""
    for _ in range(max(budget, 0)):
        a, fa, da, _g = lo
        b, fb, db, _g = hi
        width = b - a
        if math.isfinite(fb) and math.isfinite(db):
            t = _cubic_min(a, fa, da, b, fb, db)
        else:
            t = a + 0.5 * width
        if not math.isfinite(t) or not (min(a, b) + 0.1 * abs(width) <= t
                                        <= max(a, b) - 0.1 * abs(width)):
            t = a + 0.5 * width
        fv, gv, dv = phi(t)
        finite = math.isfinite(fv) and math.isfinite(dv)
        if not finite or fv > f0 + C1 * t * slope or fv >= fa:
            hi = (t, fv if finite else math.inf, dv if finite else math.nan, None)
        else:
            if abs(dv) <= -c2 * slope:
                return Found(t, fv, gv)
            if dv * (b - a) >= 0.0:
                hi = lo
            lo = (t, fv, dv, gv)
        if abs(hi[0] - lo[0]) <= 1e-16 * max(1.0, abs(lo[0])):
            break
    if lo[0] > 0.0 and lo[3] is not None:  # sufficient decrease, curvature not met: a step down
        return Found(lo[0], lo[1], lo[3])
    return None
