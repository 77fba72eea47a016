"""``minimize(method=...)`` for the second-order methods: build the step, drive, judge.

One run: wrap the objective to count ``nfev``/``njev``/``nhev``; take the start's value and
gradient; hand the method's step to :func:`descend.loop.driver.drive` with a
:class:`~descend.loop.stopping.Watch` of the caller's rules; judge where it ended
(:func:`descend.loop.verdict.judge_point`, or the KKT check inside bounds) and return the
:class:`~descend.loop.result.OptimizeResult` every descent returns.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.errors import ConvergenceWarning, InputError
from descend.expr.objective import Array, Objective
from descend.loop._divergence import check_start
from descend.loop.driver import drive
from descend.loop.result import History, OptimizeResult, Status
from descend.loop.second_order._counted import Counted, WithHessian, exact_hessian
from descend.loop.second_order._kkt import judge_bounded
from descend.loop.second_order.bounded import Bounds, parse_bounds, projected_lbfgs_step
from descend.loop.second_order.newton import EXACT_MAX_N, NewtonState, newton_step
from descend.loop.second_order.quasi import (
    BFGSState,
    CGState,
    LBFGSState,
    bfgs_step,
    cg_step,
    lbfgs_step,
)
from descend.loop.stopping import Rules, Watch
from descend.loop.verdict import Judgement, Verdict, judge_point

__all__ = ["METHODS", "choose_method", "default_method", "method_name", "run_method"]

#: The second-order methods: name -> (what it is, its state's type).
METHODS: dict[str, tuple[str, type]] = {
    "newton": ("trust-region Newton with the exact Hessian", NewtonState),
    "bfgs": ("BFGS quasi-Newton", BFGSState),
    "l-bfgs": ("limited-memory BFGS", LBFGSState),
    "cg": ("Polak-Ribiere-plus nonlinear conjugate gradient", CGState),
}
#: scipy's spellings of the same methods.
_ALIASES = {"trust-exact": "newton", "trust-ncg": "newton", "newton-cg": "newton",
            "lbfgs": "l-bfgs", "l-bfgs-b": "l-bfgs", "lbfgsb": "l-bfgs"}
#: Largest n for which the default method is Newton (above it: L-BFGS).
NEWTON_DEFAULT_MAX_N = 1000
_WARN = frozenset({Verdict.BUDGET_SPENT, Verdict.STALLED, Verdict.NOT_A_MINIMUM})


def method_name(method: str) -> str | None:
    """The canonical second-order name of ``method``, or ``None`` for a first-order optimizer
    name (``gd``, ``adam``, ...); anything else raises :class:`InputError`."""
    from descend.optim.registry import OPTIMIZERS

    if not isinstance(method, str):
        raise InputError(f"method must be a name such as 'newton' or 'l-bfgs', got {method!r}")
    key = method.strip().lower()
    key = _ALIASES.get(key, key)
    if key in METHODS:
        return key
    if key in OPTIMIZERS:
        return None
    names = ", ".join([*METHODS, *OPTIMIZERS])
    raise InputError(f"unknown method {method!r}; choose one of: {names}")


def default_method(objective: Objective, *, hess: Any, bounds: Any) -> str:
    """What ``minimize`` runs when neither ``method`` nor an optimizer is given: ``l-bfgs``
    inside bounds or for a Python callable (no exact Hessian); ``newton`` for an expression or
    objective that knows its Hessian exactly and has at most 1000 variables."""
    if bounds is not None:
        return "l-bfgs"
    known = hess is not None or exact_hessian(objective)
    return "newton" if known and objective.n <= NEWTON_DEFAULT_MAX_N else "l-bfgs"


def choose_method(method: Any, optimizer: Any, learning_rate: Any, objective: Objective, hess: Any,
            bounds: Any) -> tuple[str | None, Any]:
    """``minimize``'s choice: the second-order method to run (or ``None``) and otherwise the
    first-order optimizer (``method="gd"`` without a rate is the line-searched descent)."""
    first_order = optimizer is not None or learning_rate is not None
    if method is None:
        if not first_order:
            return default_method(objective, hess=hess, bounds=bounds), None
        if hess is not None or bounds is not None:
            raise InputError("hess= and bounds= are for the second-order methods; give "
                             "method='newton' (hess) or method='l-bfgs' (bounds), not an optimizer")
        return None, optimizer
    name = method_name(method)
    if name is None:  # a first-order optimizer named by method=
        if optimizer is not None:
            raise InputError(f"give the optimizer once: method={method!r} or optimizer=, not both")
        if hess is not None or bounds is not None:
            raise InputError(f"hess= and bounds= need method='newton' or 'l-bfgs', "
                             f"not {method!r}")
        if method.strip().lower() == "gd" and learning_rate is None:
            from descend.optim import gd

            return None, gd(learning_rate="armijo")  # the tutorials' line-searched descent
        return None, method
    if first_order:
        raise InputError(f"method={method!r} chooses its own steps; optimizer= and "
                         "learning_rate= apply to the first-order optimizers (method='gd', ...)")
    return name, None


def _plan(objective: Objective, method: str, hess: Any, box: Bounds | None) -> tuple[
        Counted, Callable[..., Any], Any, str]:
    """The counted objective, the step, the fresh state and a note for the message."""
    if hess is not None:
        objective = WithHessian(objective, hess)
    note = ""
    if method == "newton":
        fd = hess is None and not exact_hessian(objective)
        fun = Counted(objective, hvp_by_differences=fd)
        exact = not fd and objective.n <= EXACT_MAX_N
        if fd:
            note = ("; Hessian-vector products by finite differences of the gradient "
                    "(no hess= given), subproblem by Steihaug-CG")
        elif not exact:
            note = f"; subproblem by Steihaug-CG (n = {objective.n} > {EXACT_MAX_N})"
        return fun, newton_step(fun, exact=exact), NewtonState(math.nan), note
    fun = Counted(objective)
    if box is not None:
        return fun, projected_lbfgs_step(fun, box), LBFGSState((), ()), note
    if method == "bfgs":
        return fun, bfgs_step(fun), BFGSState(None), note
    if method == "l-bfgs":
        return fun, lbfgs_step(fun), LBFGSState((), ()), note
    return fun, cg_step(fun), CGState(None, math.inf), note


def _check(method: str, *, hess: Any, bounds: Any, state: Any) -> None:
    if bounds is not None and method != "l-bfgs":
        raise InputError(f"bounds= needs method='l-bfgs' (projected, as scipy's L-BFGS-B); "
                         f"method={method!r} does not take bounds")
    if hess is not None and method != "newton":
        raise InputError(f"hess= is used by method='newton' only, not {method!r}")
    kind = METHODS[method][1]
    if state is not None and not isinstance(state, kind):
        raise InputError(f"state= must be a {kind.__name__} to resume method={method!r} "
                         f"(result.info['state'] of an earlier run), got {type(state).__name__}")


def run_method(
    objective: Objective, x: Array, method: str, *, hess: Any, bounds: Any, rules: Rules,
    notify: Callable[..., Any] | None, state: Any, start_iter: int, history_limit: int,
    t_start: float,
) -> OptimizeResult:
    """Run ``method`` from ``x`` through the descent loop (see the module docstring)."""
    _check(method, hess=hess, bounds=bounds, state=state)
    box = parse_bounds(bounds, objective.variables)
    fun, step, fresh, note = _plan(objective, method, hess, box)
    if box is not None:
        x = box.project(x)  # scipy's L-BFGS-B starts from the projected x0 too
    f, g = fun.value_and_grad(x)
    check_start(f, g, x)
    gn = float(np.linalg.norm(g if box is None else box.projected_gradient(x, g)))
    watch = Watch(rules, f, gn, clock_start=t_start)
    run = drive(step, x, f, g, gn, fresh if state is None else state, watch,
                max_iter=rules.max_iter, start_iter=start_iter, status=watch.start(f, gn),
                notify=notify, history_limit=history_limit)
    judgement, message = _judge(fun, box, run, watch, rules, method)
    kicked = None
    if _leave(judgement, run, box):
        kicked = _kick(fun, run, np.asarray(judgement.facts["descent_direction"]))
    if kicked is not None:  # use the direction the verdict found: go on from the lower point
        xk, fk, gk, sk = kicked
        first = run
        status = watch.step(fk, float(np.linalg.norm(gk)))
        run = drive(step, xk, fk, gk, float(np.linalg.norm(gk)), run.state, watch,
                    max_iter=rules.max_iter, start_iter=start_iter + first.nit + 1,
                    status=status, notify=notify, history_limit=history_limit)
        run.nit += first.nit + 1
        run.rows = _join(first.rows, run.rows, first.nit + 1, sk)
        judgement, message = _judge(fun, box, run, watch, rules, method)
        message += (f"; at step {first.nit} the verdict found x = {_point(first.x)} not a "
                    "minimum and the run went on along its descent direction")
    kept = run.rows
    history = History(x=kept.x, fun=kept.fun, grad_norm=kept.grad_norm,
                      learning_rate=kept.rate, step=kept.step)
    message += note
    if judgement.verdict in _WARN:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    info: dict[str, Any] = {"start_iter": start_iter, "state": run.state,
                            "verdict": judgement.facts, "method": method,
                            "stopped": rules.sentence(run.status, nit=run.nit, f=float(run.f),
                                                      gn=float(run.gn))}
    if box is not None:
        info["bounds"] = {"lower": box.lower.tolist(), "upper": box.upper.tolist()}
    return OptimizeResult(
        x=run.x, fun=float(run.f), jac=run.g, nit=run.nit, nfev=fun.nfev, njev=fun.njev,
        nhev=fun.nhev, status=run.status, message=message, history=history,
        variables=tuple(objective.variables), optimizer=method, learning_rate=method,
        elapsed=time.perf_counter() - t_start, info=info, verdict=judgement.verdict)


def _judge(fun: Counted, box: Bounds | None, run: Any, watch: Watch, rules: Rules,
           method: str) -> tuple[Judgement, str]:
    """The verdict and the result's message (the verdict's sentence, the rule's in brackets)."""
    stopped = rules.sentence(run.status, nit=run.nit, f=float(run.f), gn=float(run.gn))
    if run.status is Status.NO_PROGRESS and run.detail:
        stopped = (f"{method} found no step that lowers the loss (at the precision limit of "
                   f"the function); stopped after {run.nit} steps with gradient norm "
                   f"{float(run.gn):.3g}")
    if run.status is Status.DIVERGED:
        if watch.unbounded:
            j = Judgement(Verdict.UNBOUNDED_BELOW, "the loss fell without bound: no minimum",
                          {"grad_norm": float(run.gn)})
            low = run.blown if math.isfinite(run.blown) else float(run.f)
            return j, (f"the loss fell without bound (to {low:.3g}) after x = "
                       f"{_point(run.x)}: the function looks unbounded below, so it has no "
                       "minimum to find; check the expression or add bounds")
        what = run.detail or "the loss or its gradient became non-finite"
        j = Judgement(Verdict.DIVERGED, "the loss grew without bound", {"grad_norm": float(
            run.gn)})
        return j, f"diverged: {what} after x = {_point(run.x)}"
    gtol = -math.inf if rules.gtol is None else float(rules.gtol)
    objective = fun.objective
    recent = np.array(run.recent)
    if box is not None:
        j = judge_bounded(objective, run.x, float(run.f), run.g, box, gtol=gtol,
                          stopped_by=str(run.status), history_x=recent)
    else:
        j = judge_point(objective, run.x, float(run.f), run.g, gtol=gtol,
                        stopped_by=str(run.status), history_x=recent)
    return j, f"{j.sentence} [{stopped}]"


def _leave(j: Judgement, run: Any, box: Bounds | None) -> bool:
    """Whether the run *arrived* (not started) at a point the verdict shows is not a minimum
    and knows a direction of descent from: then the run goes on along it."""
    return (j.verdict is Verdict.NOT_A_MINIMUM and run.nit > 0 and box is None
            and "descent_direction" in j.facts
            and run.status in (Status.GTOL, Status.NO_PROGRESS))


def _kick(fun: Counted, run: Any, d: Array) -> tuple[Array, float, Array, float] | None:
    """The farthest point of ``x + s d``, ``s = 1e-3 r, 2e-3 r, ...`` up to ``1e3 r``
    (``r = max(1, |x|)``), while ``f`` keeps falling; ``None`` when the first does not fall."""
    x, f = run.x, float(run.f)
    reach = max(1.0, float(np.linalg.norm(x)))
    s, best = 1e-3 * reach, None
    while s <= 1e3 * reach:
        fv = fun.value(x + s * d)
        if not (math.isfinite(fv) and fv < f):
            break
        best, f = s, fv
        s *= 2.0
    if best is None:
        return None
    xk = x + best * d
    fk, gk = fun.value_and_grad(xk)
    return (xk, fk, gk, best) if np.all(np.isfinite(gk)) else None


def _join(a: Any, b: Any, offset: int, rate: float) -> Any:
    """The kept rows of two legs of one run; ``b`` starts at step ``offset``."""
    return a._replace(
        x=np.concatenate([a.x, b.x]), fun=np.concatenate([a.fun, b.fun]),
        grad_norm=np.concatenate([a.grad_norm, b.grad_norm]),
        rate=np.concatenate([a.rate, [rate], b.rate]),
        step=np.concatenate([a.step, b.step + offset]), thinned=a.thinned or b.thinned)


def _point(x: Array) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in x) + ")"
