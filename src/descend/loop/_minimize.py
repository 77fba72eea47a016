"""``minimize``: the descent loop, its stopping rules and its diagnosis of failures.

The loop is deliberately plain (after ``scipy.optimize._optimize``): take a step, record it,
test each stopping rule in turn. Every rule that can end a run is visible in :func:`minimize`.
Its arguments at length, the table of methods and the result's fields are on the API page
(docs/api/loop.md, "minimize in detail").

An objective with its exact gradient and Hessian; by default Newton's method, and gradient
descent with the rate ``1/L`` when ``learning_rate="auto"``:

>>> import numpy as np
>>> class Valley:  # f = x^2 + xy + y^2
...     variables, n = ("x", "y"), 2
...     def value(self, p): return float(p[0] ** 2 + p[0] * p[1] + p[1] ** 2)
...     def grad(self, p): return np.array([2 * p[0] + p[1], p[0] + 2 * p[1]])
...     def value_and_grad(self, p): return self.value(p), self.grad(p)
...     def hessian(self, p): return np.array([[2.0, 1.0], [1.0, 2.0]])
...     def curvature_bound(self): return 3.0
>>> r = minimize(Valley(), [3.0, 1.0])
>>> r.status, r.verdict, r.success, bool(np.abs(r.x).max() < 1e-6)
(<Status.GTOL: 'gtol'>, <Verdict.CONVERGED: 'converged'>, True, True)
>>> r.history.x[0]
array([3., 1.])
>>> r = minimize(Valley(), [3.0, 1.0], optimizer="gd", learning_rate="auto")
>>> r.info["auto_lr"]["learning_rate"], r.nit
(0.3333333333333333, 35)
"""

from __future__ import annotations

import functools
import inspect
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np

from descend.errors import ConvergenceWarning, InputError
from descend.expr.objective import Array, Objective
from descend.loop._curvature import auto_learning_rate, estimate_curvature
from descend.loop._divergence import check_stability, check_start, diagnose, numeric_rate
from descend.loop._linesearch import LoopState, armijo_step
from descend.loop.driver import HISTORY_LIMIT, drive
from descend.loop.result import History, OptimizeResult, Status
from descend.loop.stopping import Rules, Watch, integer
from descend.loop.verdict import Verdict, judge_point
from descend.optim.base import Optimizer, OptState

__all__ = ["IntermediateResult", "minimize"]

# The blow-up rules are descend.loop.verdict's ceiling/floor, shared by every descent.
#: A run that broke off with its loss at its lowest and this far below the start (relative to
#: max(|f0|, 1)) was still falling: its non-finite value is "unbounded below", not instability.
_STILL_FALLING = 1e6


@dataclass(frozen=True)
class IntermediateResult:
    """What ``callback`` receives after each step: enough to log, plot or checkpoint.

    ``nit`` counts steps from the very first run (``start_iter`` included); ``state`` is the
    optimizer state after this step (pass it back as ``state=`` with ``start_iter=nit``).
    """

    x: Array
    fun: float
    jac: Array
    nit: int
    state: OptState
    grad_norm: float


def _objective(fun: Any, variables: Any, jac: Any, n: int) -> Objective:
    """``fun`` as an Objective; ``jac`` picks where a callable's gradient comes from (scipy)."""
    from descend.expr import function

    if jac is None:
        return function(fun, variables, n=None if isinstance(fun, str) else n)
    if jac is True:
        return function(fun, variables, value_and_grad=True, n=n)
    if callable(jac):
        return function(fun, variables, grad=jac, n=n)
    raise InputError(f"jac must be None, True or a callable returning the gradient, got {jac!r}")


#: minimize's defaults for the keys of ``options=`` (scipy's spelling ``maxiter`` too).
_OPTION_DEFAULTS: dict[str, Any] = {
    "max_iter": 10_000, "gtol": 1e-6, "tol": 1e-10, "n_iter_no_change": 100,
    "target_loss": None, "time_limit": None, "history_limit": HISTORY_LIMIT,
}
_OPTION_ALIASES = {"maxiter": "max_iter"}


def _options(options: Any, given: dict[str, Any]) -> dict[str, Any]:
    """Merge scipy's ``options=`` dict into the keyword arguments (one source per setting)."""
    if not isinstance(options, dict):
        raise InputError(f"options must be a dict such as {{'max_iter': 500}}, got {options!r}")
    out = dict(given)
    for key, value in options.items():
        name = _OPTION_ALIASES.get(key, key)
        if name not in _OPTION_DEFAULTS:
            raise InputError(
                f"options: unknown key {key!r}; the keys are {', '.join(_OPTION_DEFAULTS)}")
        if given[name] != _OPTION_DEFAULTS[name]:
            raise InputError(f"{name} is given both as a keyword and in options; give it once")
        out[name] = value
    return out


def _bind_args(fun: Any, jac: Any, args: Any) -> tuple[Any, Any]:
    """scipy's ``args=``: ``fun(x, *args)`` (and ``jac(x, *args)``) for Python callables."""
    if not isinstance(args, tuple):
        args = (args,)
    if isinstance(fun, str) or not callable(fun) or isinstance(fun, Objective):
        raise InputError("args= passes extra arguments to a Python callable fun; "
                         f"this fun is a {type(fun).__name__}")
    bound = functools.partial(_call_with, fun, args)
    if callable(jac) and jac is not True:
        jac = functools.partial(_call_with, jac, args)
    return bound, jac


def _call_with(f: Callable[..., Any], args: tuple[Any, ...], x: Array) -> Any:
    return f(x, *args)


def _optimizer(optimizer: Any) -> Optimizer:
    from descend.optim import gd, get_optimizer

    if optimizer is None:
        return gd(learning_rate="armijo")
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        return get_optimizer(optimizer)
    raise InputError(
        f"optimizer must be an Optimizer (descend.gd(...), descend.adam(...)), a name or None, "
        f"got {type(optimizer).__name__}"
    )


def minimize(
    fun: Any, x0: Any, *, optimizer: Optimizer | str | None = None, learning_rate: Any = None,
    variables: Any = None, jac: Any = None, max_iter: int = 10_000, gtol: float = 1e-6,
    tol: float = 1e-10, n_iter_no_change: int = 100, target_loss: float | None = None,
    time_limit: float | None = None, callback: Callable[..., Any] | None = None,
    state: OptState | None = None, start_iter: int = 0, args: tuple[Any, ...] = (),
    options: dict[str, Any] | None = None, history_limit: int = HISTORY_LIMIT,
    method: str | None = None, hess: Callable[..., Any] | None = None, bounds: Any = None,
) -> OptimizeResult:
    """Minimise ``fun`` from ``x0``; return an :class:`OptimizeResult`.

    First order (an ``optimizer`` or a ``learning_rate`` given): ``x_{k+1} = x_k + u_k``, with
    ``u_k`` the optimizer's update from ``g_k = grad f(x_k)`` (gradient descent:
    ``u_k = -lr g_k``); otherwise a second-order ``method``. Each argument at length, the
    methods and the stopping rules: the API page's "minimize in detail" (docs/api/loop.md).

    Args:
        fun: text (``"x**2 + x*y"``), a callable of a 1-D array, or an Objective.
        x0: the start, one value per variable (in ``fun.variables`` order).
        optimizer: a first-order :class:`~descend.optim.Optimizer` or its name.
        learning_rate: ``lr``: a number, a schedule ``lr(k)``, ``"auto"`` (``1/L``, ``L`` the
            curvature bound) or ``"armijo"`` (backtracking line search).
        variables: variable order for text and callables (default: sorted names).
        jac: a callable's gradient: a callable, ``True`` (``fun`` returns both) or derived.
        max_iter: most steps of the whole run, ``start_iter`` included (default 10000).
        gtol: stop when ``||g_k||_2 <= gtol`` (status ``gtol``; default 1e-6).
        tol: stop when the last ``n_iter_no_change`` losses span ``<= tol * max|f|``
            (status ``no_progress``; default 1e-10).
        n_iter_no_change: the window of the ``tol`` rule (>= 1; default 100).
        target_loss: stop once ``f(x_k) <= target_loss``.
        time_limit: stop after this many seconds of wall time (warns).
        callback: ``callback(IntermediateResult)`` after each step; ``StopIteration`` stops.
        state: an optimizer state to resume from (default ``optimizer.init(x0)``).
        start_iter: steps taken before this call: resume bit for bit with
            ``x0=r.x, state=r.info["state"], start_iter=start_iter + r.nit``.
        args: extra positional arguments, ``fun(x, *args)`` (scipy).
        options: scipy's ``options=``: a dict of this function's keyword arguments.
        history_limit: most rows kept in ``history`` (>= 2; default 100000).
        method: ``"newton"``, ``"bfgs"``, ``"l-bfgs"``, ``"cg"`` or an optimizer's name.
        hess: ``hess(x)``, the Hessian of a callable ``fun``, for Newton.
        bounds: ``(lower, upper)`` per variable, a dict or scipy's Bounds (runs L-BFGS-B).

    Returns:
        scipy's ``x, fun, jac, nit, nfev, success, status, message``, the ``history`` and the
        ``verdict``; ``success`` only when the run *converged*.

    >>> r = minimize("x**2 + x*y + y**2", [3.0, 1.0])
    >>> r.verdict, r.success, bool(abs(r.x).max() < 1e-6)
    (<Verdict.CONVERGED: 'converged'>, True, True)
    """
    t_start = time.perf_counter()
    limits = {"max_iter": max_iter, "gtol": gtol, "tol": tol,
              "n_iter_no_change": n_iter_no_change, "target_loss": target_loss,
              "time_limit": time_limit, "history_limit": history_limit}
    if options:
        limits = _options(options, limits)
    objective, x = _problem(fun, x0, variables, jac, args)
    from descend.loop.second_order import choose_method, run_method
    second, optimizer = choose_method(method, optimizer, learning_rate, objective, hess, bounds)
    opt = _optimizer(optimizer)
    if learning_rate is not None:
        opt = opt.with_learning_rate(learning_rate)
    start_iter = integer("start_iter", start_iter, low=0)
    rules, history_limit = _rules(limits)
    if second is not None:
        return run_method(objective, x, second, hess=hess, bounds=bounds, rules=rules,
                          notify=_notify(callback), state=state, start_iter=start_iter,
                          history_limit=history_limit, t_start=t_start)
    f, g, gn = _first_point(objective, x)
    rate = _step_size(objective, opt, x, state, start_iter)
    watch = Watch(rules, f, gn, clock_start=t_start)
    run = drive(
        _step(objective, rate.opt, rate.armijo), x, f, g, gn, _start_state(rate, state, x), watch,
        max_iter=rules.max_iter, start_iter=start_iter, status=watch.start(f, gn),
        notify=_notify(callback), history_limit=history_limit,
    )
    elapsed = time.perf_counter() - t_start
    return _result(objective, rate, run, watch, rules, start_iter, history_limit, elapsed)


def _problem(fun: Any, x0: Any, variables: Any, jac: Any, args: Any) -> tuple[Objective, Array]:
    """``fun`` as an Objective (``args`` bound) and ``x0`` as a finite 1-D array that fits it."""
    if args:
        fun, jac = _bind_args(fun, jac, args)
    x = np.array(x0, dtype=np.float64)
    if x.ndim != 1:
        x = x.reshape(-1)
    objective = _objective(fun, variables, jac, x.shape[0])
    if objective.n != x.shape[0]:
        raise InputError(
            f"x0 has {x.shape[0]} values but the function has {objective.n} variables "
            f"({', '.join(objective.variables)}); give one start value per variable"
        )
    if not np.all(np.isfinite(x)):
        raise InputError(f"x0 = {x.tolist()} must be finite")
    return objective, x


def _rules(limits: dict[str, Any]) -> tuple[Rules, int]:
    """The stopping rules (checked) and the history limit."""
    history_limit = integer("history_limit", limits["history_limit"], low=2)
    gtol = limits["gtol"]
    if isinstance(gtol, bool) or gtol is None:
        raise InputError(f"gtol must be a number, got {gtol!r}")
    rules = Rules(max_iter=limits["max_iter"], tol=limits["tol"],
                  n_iter_no_change=limits["n_iter_no_change"], gtol=gtol,
                  target_loss=limits["target_loss"], time_limit=limits["time_limit"])
    return rules, history_limit


def _first_point(objective: Objective, x: Array) -> tuple[float, Array, float]:
    """``f(x0)``, its gradient and the gradient's norm; a start where they are not finite is
    refused."""
    f, g = objective.value_and_grad(x)
    f = float(f)
    check_start(f, g, x)
    gn = math.sqrt(float(g @ g))
    return f, g, gn


class _Rate(NamedTuple):
    """How the steps are sized: by the optimizer (a number or schedule), or by the loop."""

    opt: Optimizer  #: the optimizer with the rate it applies (1.0 under Armijo: a direction)
    spec: Any  #: the rate asked for (a number, a schedule, "auto" or "armijo")
    lr: float  #: the loop's rate: 1/L for "auto", Armijo's carried trial step; else nan
    armijo: bool  #: each step is an Armijo line search along the optimizer's output
    loop_chooses: bool  #: "auto" or "armijo": the state carries the loop's rate (LoopState)
    auto: dict[str, Any] | None  #: what "auto" chose and why (``info["auto_lr"]``)
    note: str  #: "; learning rate auto: 1/L = ..." for the message


def _step_size(objective: Objective, opt: Optimizer, x: Array, state: Any,
               start_iter: int) -> _Rate:
    """The step size: a number or schedule (the optimizer applies it), or chosen here --
    ``"auto"`` is ``1/L`` from the curvature at ``x0`` (:func:`auto_learning_rate`), or the
    rate a resumed :class:`LoopState` carries; ``"armijo"`` is a line search. Warns before
    the run when a numeric rate is above a stability limit known globally."""
    spec = opt.learning_rate
    loop_chooses = isinstance(spec, str)
    armijo = loop_chooses and spec == "armijo"
    lr, auto, note = math.nan, None, ""
    if loop_chooses and spec == "auto":
        if isinstance(state, LoopState) and math.isfinite(state.learning_rate):
            lr = state.learning_rate
            auto = {"L": 1.0 / lr, "learning_rate": lr,
                    "source": "carried over from the resumed state"}
        else:
            curv = estimate_curvature(objective, x)
            found = auto_learning_rate(curv.L)
            if isinstance(found, float):
                lr = found
                auto = {"L": curv.L, "learning_rate": lr, "source": curv.source}
            else:  # concave or flat at x0: 1/L means nothing, so search the step instead
                armijo = True
                auto = {"L": curv.L, "learning_rate": "armijo", "source": (
                    f"{curv.source}: L = {curv.L:.3g} is not positive at x0, so no 1/L "
                    "step exists; fell back to the Armijo line search")}
        if not armijo:
            note = (f"; learning rate auto: 1/L = {lr:.4g} with L = "
                    f"{1.0 / lr:.4g} ({auto['source']})")
            opt = opt.with_learning_rate(lr)
    if armijo:
        lr = 0.5  # the first trial step is 2 * 0.5 = 1
        opt = opt.with_learning_rate(1.0)  # the optimizer's output is then the search direction
    if not loop_chooses:
        check_stability(objective, opt, numeric_rate(spec, start_iter))
    return _Rate(opt, spec, lr, armijo, loop_chooses, auto, note)


def _start_state(rate: _Rate, state: Any, x: Array) -> Any:
    """The state the driver carries: a fresh or resumed optimizer state; under Armijo a
    :class:`LoopState` (the optimizer's state and the trial step carried between steps)."""
    if state is None:
        inner = rate.opt.init(x)
        state = LoopState(inner, rate.lr) if rate.loop_chooses else inner
    elif rate.loop_chooses and not isinstance(state, LoopState):
        state = LoopState(state, rate.lr)
    elif not rate.loop_chooses and isinstance(state, LoopState):
        state = state.inner
    if rate.armijo and isinstance(state, LoopState) and not math.isfinite(state.learning_rate):
        state = state._replace(learning_rate=0.5)
    return state.inner if (rate.loop_chooses and not rate.armijo) else state


def _result(objective: Objective, rate: _Rate, run: Any, watch: Watch, rules: Rules,
            start_iter: int, history_limit: int, elapsed: float) -> OptimizeResult:
    """The run as an :class:`OptimizeResult`: history, the stop's sentence, the diagnosis of a
    divergence and the verdict on the last point (:func:`descend.loop.verdict.judge_point`)."""
    x, g, f, nit, status = run.x, run.g, float(run.f), run.nit, run.status
    info: dict[str, Any] = {"start_iter": start_iter}
    if rate.auto is not None:
        info["auto_lr"] = rate.auto
    info["state"] = (LoopState(run.state, rate.lr) if rate.loop_chooses and not rate.armijo
                     else run.state)
    history, rate_used = _history(run.rows, rate, start_iter)
    if run.rows.thinned:
        info["history"] = (f"{run.rows.step.shape[0]} of {nit + 1} iterates kept (history_limit "
                           f"= {history_limit}: every step up to it, then every "
                           f"{run.rows.stride}-th, and the last)")
    message = _stop_sentence(rules, run, start_iter)
    diverged: str | None = None
    if status is Status.DIVERGED:
        message, info["diagnosis"], diverged = _divergence(objective, rate, run, watch,
                                                          start_iter)
    judgement = judge_point(
        objective, x, f, g, gtol=cast(float, rules.gtol), stopped_by=str(status),
        history_x=np.array(run.recent),
        learning_rate=rate_used if isinstance(rate_used, float) else math.nan,
        diverged=diverged, stability=rate.opt.stability_limit, line_search=rate.armijo,
    )
    info["verdict"] = judgement.facts
    info["stopped"] = message  # the stopping rule's own sentence
    if status is not Status.DIVERGED:
        message = f"{judgement.sentence} [{message}]"
    message += rate.note
    if judgement.verdict in _WARN:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    njev = 1 + nit + (status is Status.DIVERGED and not watch.finite_step)
    return OptimizeResult(
        x=x, fun=f, jac=g, nit=nit, nfev=1 + run.nfev, njev=njev, status=status,
        message=message, history=history, variables=tuple(objective.variables),
        optimizer=rate.opt.name, learning_rate=rate_used, elapsed=elapsed, info=info,
        verdict=judgement.verdict,
    )


def _history(kept: Any, rate: _Rate, start_iter: int) -> tuple[History, Any]:
    """The kept rows as a :class:`History` with the rate of each step, and the rate to report
    (``"armijo"``, the schedule, or the number)."""
    spec = rate.spec
    if rate.armijo:
        history_lr: Array = kept.rate
        rate_used: Any = "armijo"
    elif callable(spec) and not isinstance(spec, str):
        history_lr = np.array([numeric_rate(spec, start_iter + int(k) - 1)
                               for k in kept.step[1:]])
        rate_used = spec
    else:
        rate_used = rate.lr if rate.loop_chooses else float(spec)
        history_lr = np.full(kept.step.shape[0] - 1, rate_used)
    history = History(x=kept.x, fun=kept.fun, grad_norm=kept.grad_norm,
                      learning_rate=history_lr, step=kept.step)
    return history, rate_used


def _stop_sentence(rules: Rules, run: Any, start_iter: int) -> str:
    """The stopping rule's sentence (how to resume, after an interruption)."""
    status, nit, gn = run.status, run.nit, run.gn
    message = rules.sentence(status, nit=nit, f=float(run.f), gn=gn)
    if run.detail and status is Status.NO_PROGRESS:
        message = f"{run.detail}; stopped after {nit} steps with gradient norm {gn:.3g}"
    elif status is Status.INTERRUPTED:
        message += (f"; resume with x0=result.x, state=result.info['state'], "
                    f"start_iter={start_iter + nit}")
    return message


def _divergence(objective: Objective, rate: _Rate, run: Any, watch: Watch,
                start_iter: int) -> tuple[str, dict[str, Any], str]:
    """A diverged run's message, diagnosis (:func:`descend.loop._divergence.diagnose`) and verdict: unbounded below
    when the loss was still falling far below its start, else diverged."""
    f, nit, detail, kept = float(run.f), run.nit, run.detail, run.rows
    lr_last = math.nan if rate.armijo else numeric_rate(
        rate.lr if rate.loop_chooses else rate.spec, start_iter + nit)
    f0 = watch.f0
    f_best = float(kept.fun.min())
    x_best = kept.x[int(kept.fun.argmin())]
    # still falling far below the start when it broke: unbounded below, not unstable
    falling = f_best == f and f < f0 - _STILL_FALLING * max(abs(f0), 1.0)
    non_finite = not watch.finite_step or bool(detail)
    message, diagnosis = diagnose(
        objective, rate.opt, lr_last, run.x, x_best, run.blown if non_finite else f,
        non_finite=non_finite or watch.unbounded, falling=falling or watch.unbounded,
        line_search=rate.armijo,
    )
    if detail:
        message += f" (the function raised {detail})"
    verdict = (Verdict.UNBOUNDED_BELOW if diagnosis.get("cause") == "unbounded below"
               else Verdict.DIVERGED)
    return message, diagnosis, verdict


#: Verdicts that warn ConvergenceWarning. A failed run (diverged, oscillating, unbounded below)
#: does not warn: its status, verdict and message report it, and the CLI exits 3.
_WARN = frozenset({Verdict.BUDGET_SPENT, Verdict.STALLED, Verdict.NOT_A_MINIMUM})


def _step(objective: Objective, opt: Optimizer, armijo: bool) -> Callable[..., Any]:
    """One step of ``opt`` on ``objective`` for :func:`descend.loop.driver.drive`: the
    optimizer's update, or an Armijo line search along it (``learning_rate='armijo'``)."""
    update = opt.transform.update
    value_and_grad = objective.value_and_grad
    sqrt = math.sqrt
    hypot = math.hypot
    small = objective.n <= 32  # hypot(*g.tolist()) beats sqrt(g @ g) 4x on tiny arrays
    bb = opt.memoryless  # the BB trial step fits a step along -grad (descend.optim.gd)
    nan = math.nan

    def norm(g: Array) -> float:
        return hypot(*g.tolist()) if small else sqrt(g.dot(g))

    if armijo:
        def search(x: Array, f: float, g: Array, state: Any, k: int) -> Any:
            found = armijo_step(objective, update, x, f, g, state, barzilai_borwein=bb)
            if found is None:
                return None
            x_new, f_new, g_new, new_state, step, ne = found
            return x_new, f_new, g_new, norm(g_new), new_state, step, ne

        return search

    def plain(x: Array, f: float, g: Array, state: Any, k: int) -> Any:
        u, new_state = update(g, state, x)
        x_new = x + u
        f_new, g_new = value_and_grad(x_new)
        return x_new, f_new, g_new, norm(g_new), new_state, nan, 1

    return plain


def _notify(callback: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """The driver's ``notify`` for a user's callback (an :class:`IntermediateResult` each step;
    scipy's ``callback(xk)`` form gets a copy of ``x``)."""
    if callback is None:
        return None
    try:
        params = list(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = []
    if params == ["xk"]:
        return lambda x, f, g, nit, state, gn: callback(x.copy())
    return lambda x, f, g, nit, state, gn: callback(IntermediateResult(x, f, g, nit, state, gn))
