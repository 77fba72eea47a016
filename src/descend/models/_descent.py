"""The estimator's descent: a thin adapter on the one loop of descend.

:func:`run_descent` builds a step -- the optimizer's full-batch update, or one mini-batch
``epoch`` -- and hands it to :func:`descend.loop.driver.drive` with a
:class:`~descend.loop.stopping.Watch` of the caller's :class:`~descend.loop.stopping.Rules`:
the fits stop by exactly the rules of :func:`~descend.minimize` (``tol`` over the last
``n_iter_no_change`` steps, ``gtol``, ``target_loss``, ``time_limit``, ``max_iter``; with
``gradient_floor``, the preconditioned solver's "the gradient norm stopped halving"), and a
diverged step means one thing everywhere: a step whose loss or gradient is not finite is not
committed (``x`` stays the last finite iterate and ``nit`` does not count it); a finite step
above the ceiling is committed and ends the run as ``diverged``. ``info["diverged_loss"]``
keeps the loss that blew up.

Resuming: everything the run carries from one step to the next is a :class:`DescentState`
(the optimizer's state, the rules' :class:`~descend.loop.stopping.WatchState` and the
shuffles' generator state), handed to ``callback`` after every step and returned in
``info["state"]``. Passing it back as ``state=`` with ``start_iter=`` the steps already taken
makes exactly the iterates, losses and stopping decisions of the uninterrupted run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from descend.loop._minimize import IntermediateResult
from descend.loop.driver import HISTORY_LIMIT, drive
from descend.loop.result import History, OptimizeResult, Status
from descend.loop.stopping import Rules, Watch, WatchState, norm2
from descend.optim.base import Optimizer

Array = NDArray[np.float64]
ValueAndGrad = Callable[[Array], tuple[float, Array]]
Epoch = Callable[[Array, Optimizer, object, int], tuple[Array, object]]

__all__ = ["DescentState", "run_descent"]

class DescentState(NamedTuple):
    """What the descent carries between steps; a checkpoint of it resumes a run bit for bit.

    ``opt``: the optimizer's state; ``f0`` and ``window``: the stopping rules' state (a
    :class:`~descend.loop.stopping.WatchState`: the loss at the run's very first iterate, the
    blow-up reference, and the losses of the last ``n_iter_no_change + 1`` iterates, oldest
    first); ``rng``: the bit-generator state of the mini-batch shuffles (``None`` without).
    """

    opt: Any
    f0: float
    window: tuple[float, ...]
    rng: Any = None


def run_descent(
    fun: ValueAndGrad,
    theta0: Array,
    optimizer: Optimizer,
    rules: Rules,
    *,
    epoch: Epoch | None = None,
    state: Any = None,
    start_iter: int = 0,
    callback: Callable[[IntermediateResult], Any] | None = None,
    rng: np.random.Generator | None = None,
) -> OptimizeResult:
    """Minimise ``fun`` from ``theta0`` by the :class:`~descend.loop.stopping.Rules` ``rules``.

    Full batch: each step is ``theta + update(grad(theta))``. With ``epoch`` (mini-batch),
    each step is ``theta, state = epoch(theta, optimizer, state, k)`` and ``fun`` is evaluated
    once after it, for the curve and the stopping rules.

    Args:
        fun: ``theta -> (loss, gradient)``.
        theta0: the start (the optimizer's coordinates).
        optimizer: the optimizer whose update each step applies.
        rules: when the run stops; ``rules.max_iter`` is the whole run's budget: a run resumed
            with ``start_iter`` steps done takes at most ``max_iter - start_iter`` more.
        epoch: one mini-batch epoch, or ``None`` for full-batch steps.
        state: a :class:`DescentState` (``info["state"]`` or a callback's ``state`` of an
            earlier run) or an optimizer state to resume from; default a fresh one.
        start_iter: steps already taken (numbers the steps a callback and a schedule see).
        callback: gets an :class:`~descend.loop._minimize.IntermediateResult` after every
            committed step, ``nit`` counted from the run's start and ``state`` a
            :class:`DescentState`; raising ``StopIteration`` stops the run (``callback``).
        rng: the generator ``epoch`` shuffles with; its state is saved in (and restored from)
            the :class:`DescentState`.

    Returns:
        An :class:`~descend.loop.result.OptimizeResult` whose ``nit`` and ``history`` cover
        this call; ``info`` holds ``state`` (a :class:`DescentState`), ``start_iter``,
        ``theta`` (the final iterate), ``diverged_loss`` (the loss that blew up, else
        ``None``) and ``stopped`` (the stopping rule's sentence).
    """
    t0 = time.perf_counter()
    theta = np.array(theta0, dtype=np.float64)
    f, g = fun(theta)
    f = float(f)
    gn = norm2(g)
    opt_state, saved = _restore(state, optimizer, theta, rng)
    watch = Watch(rules, f, gn, state=saved, clock_start=t0)
    rng_state = rng.bit_generator.state if rng is not None else None
    lr = optimizer.learning_rate  # the rate travels inside the optimizer only
    rate = float(lr) if isinstance(lr, (int, float)) else math.nan
    step = _step(fun, optimizer, epoch, rng, rate)

    notify = None
    if callback is not None:
        def notify(x: Array, f: float, g: Array, nit: int, carried: Any, gn: float) -> Any:
            snap = watch.snapshot()
            return callback(IntermediateResult(
                x, f, g, nit, DescentState(carried[0], snap.f0, snap.window, carried[1]), gn))

    run = drive(
        step, theta, f, g, gn, (opt_state, rng_state), watch,
        max_iter=rules.max_iter, start_iter=start_iter, status=watch.start(f, gn),
        notify=notify, history_limit=max(HISTORY_LIMIT, rules.max_iter - start_iter + 2),
    )
    return _result(run, watch, rules, optimizer, lr, start_iter, t0)

def _restore(
    state: Any, optimizer: Optimizer, theta: Array, rng: np.random.Generator | None
) -> tuple[Any, WatchState | None]:
    """The optimizer's state and the rules' state to start from: a saved
    :class:`DescentState` (its shuffles' generator state restored into ``rng``), a bare
    optimizer state, or fresh ones."""
    if not isinstance(state, DescentState):
        return (optimizer.init(theta) if state is None else state), None
    if rng is not None and state.rng is not None:
        rng.bit_generator.state = state.rng
    return state.opt, WatchState(float(state.f0), tuple(float(v) for v in state.window))


def _step(
    fun: ValueAndGrad, optimizer: Optimizer, epoch: Epoch | None,
    rng: np.random.Generator | None, rate: float,
) -> Callable[..., Any]:
    """The step the driver runs: the optimizer's full-batch update, or one ``epoch``."""
    update = optimizer.update

    def step(x: Array, f: float, g: Array, carried: Any, k: int) -> Any:
        opt, _ = carried
        if epoch is None:
            u, opt = update(g, opt, x)
            new = x + u
        else:
            new, opt = epoch(x, optimizer, opt, k)
        if np.isfinite(new).all():
            f_new, g_new = fun(new)
            with np.errstate(over="ignore"):  # an overflowing norm is inf: the watch's business
                gn_new = norm2(g_new)
            f_new = float(f_new)
        else:  # an overflowing step: its loss is not finite, whatever fun would say
            f_new, g_new, gn_new = math.inf, g, math.inf
        shuffled = rng.bit_generator.state if rng is not None else None
        return new, f_new, g_new, gn_new, (opt, shuffled), rate, 1

    return step


def _result(
    run: Any, watch: Watch, rules: Rules, optimizer: Optimizer, lr: Any, start_iter: int,
    t0: float,
) -> OptimizeResult:
    """The :class:`OptimizeResult` of a driven run (see :func:`run_descent`)."""
    status = run.status
    rate = float(lr) if isinstance(lr, (int, float)) else math.nan
    nit = run.nit
    diverged_loss: float | None = None
    if status is Status.DIVERGED:  # not committed (non-finite), or committed (above the ceiling)
        diverged_loss = run.blown if not watch.finite_step else float(run.f)
    rules_state = watch.snapshot()  # drive took back a step it did not commit
    kept = run.rows
    return OptimizeResult(
        x=run.x,
        fun=float(run.f),
        jac=run.g,
        nit=nit,
        nfev=1 + run.nfev,
        njev=1 + run.nfev,
        status=status,
        message=str(status),
        history=History(
            x=kept.x, fun=kept.fun, grad_norm=kept.grad_norm,
            learning_rate=np.full(nit, rate), step=kept.step,
        ),
        optimizer=optimizer.name,
        learning_rate=lr,
        elapsed=time.perf_counter() - t0,
        info={
            "diverged_loss": diverged_loss,
            "state": DescentState(run.state[0], rules_state.f0, rules_state.window, run.state[1]),
            "start_iter": start_iter,
            "theta": run.x,
            "stopped": rules.sentence(status, nit=nit, f=float(run.f), gn=float(run.gn)),
        },
    )

