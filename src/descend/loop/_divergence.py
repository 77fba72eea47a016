"""Why a descent diverged, and the fix: the diagnosis behind ``minimize``'s message.

The curvature ``L`` (:mod:`descend.loop._curvature`) says which learning rates are stable for
an optimizer (its ``stability_limit``); a run that blew up is explained from it -- the rate
above the limit, the curvature larger elsewhere on the path, or a function unbounded below.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from descend.errors import StabilityWarning
from descend.expr.objective import Array, Objective
from descend.loop._curvature import estimate_curvature
from descend.optim.base import Optimizer

__all__ = ["check_start", "check_stability", "diagnose", "numeric_rate"]


def check_start(f: float, g: Array, x: Array) -> None:
    """Refuse a start where descent cannot begin, saying which fact fails.

    ``f`` not finite; a gradient component not finite; or a finite gradient so large that
    ``|grad f|^2`` overflows float64 (``|g| > ~1e154``), where every step size, stopping test
    and verdict would read infinities. The last is named as what it is, not "not finite".
    """
    from descend.errors import InputError

    where = f"x0 = {np.asarray(x).tolist()}"
    if not math.isfinite(f):
        raise InputError(f"f(x0) = {f} is not finite at {where}; start elsewhere")
    g = np.asarray(g, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(g))
    if bad.size:
        raise InputError(f"the gradient is not finite at {where} (component {int(bad[0])} is "
                         f"{g[bad[0]]}); start elsewhere")
    with np.errstate(over="ignore"):
        square = float(g @ g)
    if not math.isfinite(square):
        big = float(np.max(np.abs(g)))
        raise InputError(
            f"the gradient at {where} is finite but too large for float64 arithmetic (a "
            f"component of {big:.3g}: its square overflows); divide the function by a "
            "constant, or start nearer its minimum")


def _line_search_cause(x_last: Array, what: str, *, non_finite: bool) -> tuple[str, dict[str, Any]]:
    """A line search's divergence: its steps lower f, so a non-finite loss or gradient is a
    point where f is not differentiable (a kink, the edge of its domain), not a rate too large."""
    if non_finite:
        return (f"the line search stepped from x = {_fmt_point(x_last)} to where the loss or its "
                "gradient is not finite: f is not differentiable there (a kink, or the edge of "
                "its domain), and the lowest point may be there; check the expression, or bound "
                "the variables", {"cause": "not differentiable"})
    return (f"the loss {what} with a line search after x = {_fmt_point(x_last)}; check the "
            "expression", {"cause": "unknown"})


def numeric_rate(spec: Any, count: int) -> float:
    """The rate a spec gives at step ``count``, or nan for a string spec."""
    if isinstance(spec, str):
        return math.nan
    if callable(spec):
        return float(spec(count))
    return float(spec)


def _fmt_point(x: Array) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in x) + ")"


def diagnose(
    fun: Objective,
    opt: Optimizer,
    lr: float,
    x_last: Array,
    x_best: Array,
    f_new: float,
    *,
    non_finite: bool,
    falling: bool,
    line_search: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The likely cause of a divergence and the fix, from the curvature L.

    L is the global bound when the function knows one, else the curvature at ``x_best`` (the
    lowest point of the run, where the loss started to grow): the curvature at the last
    finite point of a blown-up run is huge and would suggest an absurdly small step.
    """
    if non_finite and (f_new == -math.inf or falling):
        return (
            f"the loss fell without bound (to {f_new:.3g}) after x = {_fmt_point(x_last)}: the "
            "function looks unbounded "
            "below, so it has no minimum to find; check the expression or add a penalty",
            {"cause": "unbounded below"},
        )
    what = "became non-finite" if non_finite else "grew without bound"
    if line_search:  # the step was chosen to lower f: a blow-up is the function's, not the rate's
        return _line_search_cause(x_last, what, non_finite=non_finite)
    if not math.isfinite(lr):
        return (
            f"the loss {what} with {opt.name} after x = {_fmt_point(x_last)}; try a smaller "
            "learning rate or learning_rate='armijo'",
            {"cause": "unknown"},
        )
    try:
        with np.errstate(all="ignore"):
            curv = estimate_curvature(fun, x_best)
    except Exception:  # noqa: BLE001 - a diagnosis must never hide the divergence itself
        curv = None
    info: dict[str, Any] = {"learning_rate": lr}
    if curv is not None and math.isfinite(curv.L):
        info.update(L=curv.L, L_source=curv.source)
        limit = opt.stability_limit(curv.L)
        where = (
            "for this function"
            if curv.is_global
            else f"at x = {_fmt_point(x_best)}, where the loss started to grow"
        )
        if limit is not None:
            bound, formula = limit
            info.update(limit=bound, limit_formula=formula)
            if lr > bound:
                info["cause"] = "learning rate above the stability limit"
                return (
                    f"learning rate {lr:g} is above {formula} = {bound:.3g} {where} "
                    f"(L = {curv.L:.4g}, {curv.source}); try learning_rate='auto' "
                    f"or a smaller step such as {1.0 / curv.L:.3g}",
                    info,
                )
            info["cause"] = "unknown (learning rate below the local stability limit)"
            return (
                f"the loss {what} although learning rate {lr:g} is below {formula} = "
                f"{bound:.3g} {where} (L = {curv.L:.4g}); the curvature is larger elsewhere "
                "on the path: try learning_rate='armijo' or a smaller step",
                info,
            )
        info["cause"] = "learning rate too large for the optimizer"
        return (
            f"the loss {what} with {opt.name} at learning rate {lr:g} (L = {curv.L:.4g} "
            f"{where}); {opt.name}'s stable step is not predictable from L: try a smaller "
            f"learning rate such as {lr / 10:g}",
            info,
        )
    info["cause"] = "learning rate too large"
    return (
        f"the loss {what} with {opt.name} at learning rate {lr:g}; try a smaller learning rate "
        f"such as {lr / 10:g} or learning_rate='armijo'",
        info,
    )


def check_stability(fun: Objective, opt: Optimizer, lr: float) -> None:
    """Warn before the run when ``lr`` is above a stability limit known globally."""
    if not math.isfinite(lr):
        return
    L = fun.curvature_bound()
    if L is None:
        return
    limit = opt.stability_limit(float(L))
    if limit is None:
        return
    bound, formula = limit
    if lr > bound:
        warnings.warn(
            f"learning rate {lr:g} is above {formula} = {bound:.3g} for this function "
            f"(L = {float(L):.4g}, known globally), so {opt.name} will diverge; use a learning "
            f"rate below {bound:.3g}, e.g. 1/L = {1.0 / float(L):.3g}, or learning_rate='auto'",
            StabilityWarning,
            stacklevel=4,
        )
