r"""Bounds ``lower <= x <= upper``: parsing, the projected L-BFGS step and the KKT verdict.

The feasible set is a box, so the projection is a clip, ``P(x) = min(max(x, lower), upper)``,
and the first-order (KKT) condition at ``x`` is that the *projected gradient* vanishes:

    pg_i = g_i             where lower_i < x_i < upper_i
    pg_i = min(g_i, 0)     where x_i = lower_i   (f may only fall by entering the box)
    pg_i = max(g_i, 0)     where x_i = upper_i

so at a bound the multiplier ``g_i`` must push outwards (``g_i >= 0`` at a lower bound). The
descent loop watches ``|pg|`` as its gradient norm, so ``gtol`` means the same with and without
bounds. A run that ends with a bound *active* (``pg_i = 0`` but ``g_i != 0``) is a minimum on
the boundary of the box, not the function's own minimum, and its verdict says so.

The step (projected L-BFGS, after Bertsekas 1982 and Byrd, Lu, Nocedal & Zhu 1995's
``L-BFGS-B``, without its Cauchy-point subspace solve): the variables held at a bound by the
gradient are fixed; on the free ones the L-BFGS direction ``d_F = -B_F g_F``; then backtrack
along the projected path ``x(t) = P(x + t d)`` until

    f(x(t)) <= f(x) + c1 g.(x(t) - x)                      (Armijo along the path, c1 = 1e-4)

halving ``t`` (with the quadratic-interpolation minimiser when it is inside ``[0.1 t, 0.5 t]``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from descend.errors import InputError
from descend.expr.objective import Array
from descend.loop.second_order._counted import Counted
from descend.loop.second_order.quasi import MEMORY, LBFGSState, _curved, two_loop

__all__ = ["Bounds", "parse_bounds", "projected_lbfgs_step"]

_C1 = 1e-4


class Bounds(NamedTuple):
    """``lower`` and ``upper`` (``-inf`` / ``inf`` where a side is free)."""

    lower: Array
    upper: Array

    def project(self, x: Array) -> Array:
        """``P(x)``, the nearest point of the box."""
        return np.minimum(np.maximum(x, self.lower), self.upper)

    def held(self, x: Array, g: Array) -> Any:
        """The variables a bound holds: at ``lower`` with ``g > 0`` or ``upper`` with ``g < 0``."""
        return ((x <= self.lower) & (g > 0.0)) | ((x >= self.upper) & (g < 0.0))

    def projected_gradient(self, x: Array, g: Array) -> Array:
        """``pg`` of the module docstring: zero where a bound holds the variable."""
        return np.where(self.held(x, g), 0.0, g)


def _side(value: Any, what: str) -> float:
    if value is None:
        return -math.inf if what == "lower" else math.inf
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"bounds: {what} bound {value!r} is not a number") from None
    if math.isnan(v):
        raise InputError(f"bounds: {what} bound is nan; give a number or None")
    return v


def parse_bounds(bounds: Any, variables: Sequence[str]) -> Bounds | None:
    """``bounds=`` as scipy takes it: ``[(lo, hi), ...]`` per variable (``None`` = free), a
    ``scipy.optimize.Bounds``, or a dict ``{name: (lo, hi)}``. ``lower > upper`` is refused.

    >>> parse_bounds({"y": (-1, 1)}, ("x", "y")).upper.tolist()
    [inf, 1.0]
    """
    if bounds is None:
        return None
    n = len(variables)
    lower = np.full(n, -math.inf)
    upper = np.full(n, math.inf)
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lower[:] = np.broadcast_to(np.asarray(bounds.lb, dtype=np.float64), (n,))
        upper[:] = np.broadcast_to(np.asarray(bounds.ub, dtype=np.float64), (n,))
    elif isinstance(bounds, dict):
        for name, pair in bounds.items():
            if name not in variables:
                raise InputError(f"bounds: {name!r} is not a variable; the variables are "
                                 f"{', '.join(variables)}")
            i = list(variables).index(name)
            lower[i], upper[i] = _pair(pair, name)
    else:
        pairs = list(bounds)
        if len(pairs) != n:
            raise InputError(f"bounds: {len(pairs)} (lower, upper) pairs for {n} variables "
                             f"({', '.join(variables)}); give one pair per variable")
        for i, pair in enumerate(pairs):
            lower[i], upper[i] = _pair(pair, variables[i])
    bad = np.nonzero(lower > upper)[0]
    if bad.size:
        i = int(bad[0])
        raise InputError(f"bounds: lower {lower[i]:g} > upper {upper[i]:g} for "
                         f"{variables[i]}: no point satisfies them; give lower <= upper")
    return Bounds(lower, upper)


def _pair(pair: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = pair
    except (TypeError, ValueError):
        raise InputError(f"bounds for {name}: give a (lower, upper) pair, got {pair!r}") from None
    return _side(lo, "lower"), _side(hi, "upper")


def projected_lbfgs_step(fun: Counted, box: Bounds, memory: int = MEMORY) -> Any:
    """The descent loop's step for L-BFGS inside ``box`` (see the module docstring)."""
    def step(x: Array, f: float, g: Array, state: LBFGSState, k: int) -> Any:
        free = ~box.held(x, g)
        gf = np.where(free, g, 0.0)
        s_f = tuple(np.where(free, s, 0.0) for s in state.s)
        y_f = tuple(np.where(free, y, 0.0) for y in state.y)
        pairs = [(s, y) for s, y in zip(s_f, y_f, strict=True) if _curved(s, y)]
        d = -two_loop(gf, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
        d = np.where(free, d, 0.0)
        if not float(g @ d) < 0.0:
            d = -gf
        t = 1.0 if pairs else min(1.0, 1.0 / max(float(np.linalg.norm(gf)), 1e-300))
        evals = 0
        for _ in range(60):
            x_new = box.project(x + t * d)
            decrease = float(g @ (x_new - x))
            f_new, g_new = fun.value_and_grad(x_new)
            evals += 1
            ok = math.isfinite(f_new) and bool(np.all(np.isfinite(g_new)))
            if ok and f_new <= f + _C1 * decrease and decrease < 0.0:
                s, y = x_new - x, g_new - g
                if _curved(s, y):
                    state = LBFGSState((*state.s, s)[-memory:], (*state.y, y)[-memory:])
                pg = box.projected_gradient(x_new, g_new)
                return x_new, f_new, g_new, float(np.linalg.norm(pg)), state, t, evals
            if ok and decrease < 0.0:  # the minimiser of the quadratic through f, slope, f_new
                q = -decrease * t / (2.0 * (f_new - f - decrease))
                t = q if 0.1 * t <= q <= 0.5 * t else 0.5 * t
            else:
                t *= 0.5
            if t < 1e-20:
                break
        return None

    return step
