r"""Trust-region Newton with the exact Hessian (scipy's ``trust-exact`` and ``trust-ncg``).

Each step minimises the quadratic model ``m(p) = g.p + p.H.p / 2`` inside ``|p| <= delta``
(:mod:`descend.loop.second_order._trust`) and compares the actual decrease with the model's:

    rho = (f(x) - f(x + p)) / (-m(p))                          (agreement ratio)
    delta <- s min(delta, |p|)                 if rho < 1/4    (the model was too optimistic)
    delta <- min(2 delta, delta_max)           if rho > 3/4 and |p| = delta
    x <- x + p                                 if rho > eta = 0.15

(Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 4.1; eta and the growth are
scipy's.) On a poor step the radius shrinks to where the parabola through ``f(x)``, the slope
``g.p`` and ``f(x + p)`` has its minimum, ``s = -g.p / (2 (f(x + p) - f(x) - g.p))`` kept in
``[1/10, 1/2]`` (Dennis & Schnabel, *Numerical Methods for Unconstrained Optimization*,
Algorithm A6.4.5), not by a fixed 1/4. A rejected trial costs one value; the gradient and
Hessian are evaluated only at accepted points. Where ``H`` is indefinite the step follows the negative curvature, so a run
started next to a saddle leaves it; a run that *starts* on a stationary point stops at once and
its verdict names it (:mod:`descend.loop.verdict`).

For ``n <= EXACT_MAX_N`` the subproblem is solved exactly (eigen-decomposition, the
*hard case* included); above it, or on a Python callable without ``hess=``, by Steihaug's
truncated CG with Hessian-vector products. Convention note: one step of the descent loop is
one *accepted* point; rejected trials show in ``nfev``, not in ``nit``.

>>> from descend.loop import minimize
>>> r = minimize("x**2 + x*y + y**2 + 3*x", [5.0, 5.0], method="newton")
>>> r.nit, [round(float(v), 12) for v in r.x]     # a quadratic: one Newton step
(1, [-2.0, 1.0])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from descend.loop.second_order._counted import Counted
from descend.loop.second_order._trust import exact_step, steihaug_step

__all__ = ["EXACT_MAX_N", "NewtonState", "newton_step"]

#: Largest n solved with the exact subproblem (an n x n eigen-decomposition per step).
EXACT_MAX_N = 200
ETA = 0.15  # accept a step when rho > ETA (scipy's default)
GROW = 2.0  # the radius grows by this factor after a very good step on the boundary
INITIAL_RADIUS = 1.0  # r0 = INITIAL_RADIUS max(1, |x0|)
MAX_RADIUS = 1e8  # scipy's is 1000; larger lets a run unbounded below show it in ~30 steps
_MAX_TRIALS = 60
_UNBOUNDED = 1e8  # the radius of the first trial: the Newton step itself where H > 0


class NewtonState(NamedTuple):
    """The trust radius ``delta`` carried from step to step (all the method remembers).

    A fresh run starts with ``delta = nan``: the first step then tries the full Newton step
    when the Hessian at ``x0`` is positive definite, and keeps it only when the model predicted
    it well (``rho > 3/4``; then ``delta = max(r0, |p_N|)``); otherwise ``delta = min(r0,
    |p_N|/2)``, and where ``H`` is not positive definite ``delta = r0``. The initial radius
    ``r0 = max(1, |x0|)`` is the scale of the start, as MINPACK's ``factor |D x0|``
    (scipy's ``initial_trust_radius`` is 1: a start far from the origin then crawls out
    at radius 1, 2, 4, ...).
    A quadratic is solved in one step; a far jump into another basin is not taken.
    """

    radius: float


def _shrink(slope: float, f: float, f_new: float) -> float:
    """The new radius as a share of the failed step: the minimiser ``s`` of the parabola
    ``q(t) = f + slope t + (f_new - f - slope) t^2`` (``q(1) = f_new``), kept in
    ``[0.1, 0.5]`` (Dennis & Schnabel A6.4.5); 0.1 when ``f_new`` is not finite or ``q`` has
    no minimum."""
    curvature = f_new - f - slope
    if not (math.isfinite(f_new) and curvature > 0.0):
        return 0.1
    return min(max(-slope / (2.0 * curvature), 0.1), 0.5)


def newton_step(fun: Counted, *, exact: bool) -> Any:
    """The descent loop's step for trust-region Newton on ``fun`` (see the module docstring)."""
    norm = np.linalg.norm

    def step(x: Any, f: float, g: Any, state: NewtonState, k: int) -> Any:
        delta = float(state.radius)
        if exact:
            H = fun.hessian(x)
            solve = lambda r: exact_step(g, H, r)  # noqa: E731
        else:
            hvp = fun.hvp(x, g)
            solve = lambda r: steihaug_step(g, hvp, r, 2 * x.shape[0] + 10)  # noqa: E731
        first = None
        r0 = INITIAL_RADIUS * max(1.0, float(norm(x)))
        if not math.isfinite(delta):  # a fresh run: try the whole Newton step first
            first = solve(_UNBOUNDED * (1.0 + float(norm(x))))
            delta = max(r0, float(norm(first.p))) if not first.on_boundary else r0
            first = None if first.on_boundary else first
        evals = 0
        for _ in range(_MAX_TRIALS):
            p, predicted, boundary = solve(delta) if first is None else first
            if not predicted > 0.0:
                return None  # the model predicts no decrease: at the precision of f
            x_new = x + p
            f_new = fun.value(x_new)
            evals += 1
            rho = (f - f_new) / predicted if math.isfinite(f_new) else -math.inf
            pn = float(norm(p))
            if first is not None and rho <= 0.75:  # the model did not hold that far
                first = None
                delta = min(r0, 0.5 * pn)
                continue
            first = None
            if rho < 0.25:
                delta = _shrink(float(g @ p), f, f_new) * min(delta, pn)
            elif rho > 0.75 and boundary:
                delta = min(GROW * delta, MAX_RADIUS)
            if rho > ETA:
                g_new = fun.grad(x_new)
                if np.all(np.isfinite(g_new)):
                    return (x_new, f_new, g_new, float(norm(g_new)), NewtonState(delta), pn,
                            evals)
                delta = 0.25 * min(delta, pn)  # a finite value but no gradient: step shorter
            if delta <= 1e-15 * max(1.0, float(norm(x))):
                return None
        return None

    return step
