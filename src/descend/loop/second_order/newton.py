r"""Trust-region Newton with the exact Hessian (scipy's ``trust-exact`` and ``trust-ncg``).

Each step minimises the quadratic model ``m(p) = g.p + p.H.p / 2`` inside ``|p| <= delta``
(:mod:`descend.loop.second_order._trust`) and compares the actual decrease with the model's:

    rho = (f(x) - f(x + p)) / (-m(p))                          (agreement ratio)
    delta <- delta / 4 * min(1, |p| / delta)   if rho < 1/4    (the model was too optimistic)
    delta <- min(2 delta, delta_max)           if rho > 3/4 and |p| = delta
    x <- x + p                                 if rho > eta = 0.15

(Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 4.1; the constants are
scipy's.) A rejected trial costs one value; the gradient and Hessian are evaluated only at
accepted points. Where ``H`` is indefinite the step follows the negative curvature, so a run
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
INITIAL_RADIUS = 1.0
MAX_RADIUS = 1e8  # scipy's is 1000; larger lets a run unbounded below show it in ~30 steps
_MAX_TRIALS = 60
_UNBOUNDED = 1e8  # the radius of the first trial: the Newton step itself where H > 0


class NewtonState(NamedTuple):
    """The trust radius ``delta`` carried from step to step (all the method remembers).

    A fresh run starts with ``delta = nan``: the first step then tries the full Newton step
    when the Hessian at ``x0`` is positive definite, and keeps it only when the model predicted
    it well (``rho > 3/4``; ``delta = max(1, |p_N|)``); otherwise, or where ``H`` is not
    positive definite, ``delta = min(1, |p_N|/2)`` (scipy's ``initial_trust_radius`` is 1).
    A quadratic is solved in one step; a far jump into another basin is not taken.
    """

    radius: float


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
        if not math.isfinite(delta):  # a fresh run: try the whole Newton step first
            first = solve(_UNBOUNDED * (1.0 + float(norm(x))))
            delta = max(INITIAL_RADIUS, float(norm(first.p))) if not first.on_boundary else (
                INITIAL_RADIUS)
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
                delta = min(INITIAL_RADIUS, 0.5 * pn)
                continue
            first = None
            if rho < 0.25:
                delta = 0.25 * min(delta, pn)
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
