"""The estimator's descent: full-batch steps or mini-batch epochs, with visible stopping rules.

It returns the core's :class:`~descend.loop.result.OptimizeResult` so a fit reads like any
other run. (The estimator keeps its own small driver because it knows the exact curvature
before the first step, steps in epochs for mini-batches, and must keep the last finite
iterate when a run blows up.)

Stopping rules, checked after every step (epoch) in this order: non-finite or exploding loss
(``diverged``, the last finite iterate is kept), ``loss <= target_loss``,
``||grad|| <= gtol``, ``no_progress`` (for ``PATIENCE`` consecutive steps the loss fell by no
more than ``tol`` relative and did not rise above its best by more than rounding noise -- so
noise at the optimum stops a run, but a growing loss never counts as converged),
``time_limit`` (wall clock), and ``max_iter``. With ``gfloor`` (the preconditioned solver,
whose steps are Newton steps), ``no_progress`` instead means the gradient norm failed to halve
in a step: it has reached its rounding floor, and more steps only stir the last digits. A ``callback`` raising ``StopIteration`` stops
the run (``callback``); a ``KeyboardInterrupt`` stops it at the last completed step
(``interrupted``).

Resuming: everything the loop carries from one step to the next is a :class:`DescentState`
(the optimizer's state, the stopping rules' counters, the shuffles' generator state), handed
to ``callback`` after every step and returned in ``info["state"]``. Passing it back as
``state=`` with ``start_iter=`` the steps already taken makes exactly the iterates, losses and
stopping decisions of the uninterrupted run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from descend.loop._minimize import IntermediateResult
from descend.loop.result import History, OptimizeResult, Status
from descend.loop.verdict import GROWTH, ceiling
from descend.optim.base import Optimizer

Array = NDArray[np.float64]
ValueAndGrad = Callable[[Array], tuple[float, Array]]

__all__ = ["DescentState", "run_descent"]

EXPLODE = GROWTH  # the blow-up rule every descent shares (descend.loop.verdict.ceiling)
PATIENCE = 5


class DescentState(NamedTuple):
    """What the descent carries between steps; a checkpoint of it resumes a run bit for bit.

    ``opt``: the optimizer's state; ``f0``: ``|loss|`` at the run's very first iterate (the
    blow-up reference); ``best``: the lowest loss so far; ``stall``: steps in a row without
    progress; ``rng``: the bit-generator state of the mini-batch shuffles (``None`` without).
    """

    opt: Any
    f0: float
    best: float
    stall: int
    rng: Any = None


def _finite(f: float, g: Array) -> bool:
    return bool(np.isfinite(f) and np.isfinite(g).all())


def run_descent(
    fun: ValueAndGrad,
    theta0: Array,
    optimizer: Optimizer,
    *,
    max_iter: int,
    tol: float,
    gtol: float | None,
    target_loss: float | None,
    epoch: Callable[[Array, Optimizer, object, int], tuple[Array, object]] | None = None,
    learning_rate: float | None = None,
    state: Any = None,
    start_iter: int = 0,
    callback: Callable[[IntermediateResult], Any] | None = None,
    time_limit: float | None = None,
    rng: np.random.Generator | None = None,
    gfloor: bool = False,
) -> OptimizeResult:
    """Minimise ``fun`` from ``theta0``.

    Full batch: each iteration is ``update(grad(theta))``. With ``epoch`` (mini-batch), each
    iteration is ``theta, state = epoch(theta, optimizer, state, k)`` and ``fun`` is evaluated
    once after it, for the curve and the stopping rules.

    ``max_iter`` is the whole run's budget: a run resumed with ``start_iter`` steps done (and
    ``state``, a :class:`DescentState` or an optimizer state) takes at most
    ``max_iter - start_iter`` more. ``callback`` gets an
    :class:`~descend.loop._minimize.IntermediateResult` after every step, ``nit`` counted from
    the run's start and ``state`` a :class:`DescentState`. ``rng`` is the generator ``epoch``
    shuffles with; its state is saved in (and restored from) the :class:`DescentState`.
    The result's ``nit`` and ``history`` cover this call; ``info`` holds ``state``,
    ``start_iter`` and ``theta`` (the final iterate).
    """
    t0 = time.perf_counter()
    deadline = np.inf if time_limit is None else t0 + float(time_limit)
    theta = np.array(theta0, dtype=np.float64)
    f, g = fun(theta)
    xs, fs, gn = [theta.copy()], [f], [float(np.linalg.norm(g))]
    nfev = 1
    if isinstance(state, DescentState):
        opt_state, f0, best, stall = state.opt, float(state.f0), float(state.best), state.stall
        if rng is not None and state.rng is not None:
            rng.bit_generator.state = state.rng
    else:
        opt_state = optimizer.init(theta) if state is None else state
        f0, best, stall = abs(f), f, 0
    rng_state = rng.bit_generator.state if rng is not None else None
    status = Status.MAX_ITER
    if not _finite(f, g):
        status = Status.DIVERGED
    k = 0
    # The committed run is one tuple, replaced by a single assignment, so a KeyboardInterrupt
    # arriving anywhere leaves a consistent step to report and to resume from.
    cur = (theta, f, g, opt_state, best, stall, k, rng_state)
    try:
        while status is not Status.DIVERGED and start_iter + k < max_iter:
            if target_loss is not None and f <= target_loss:
                status = Status.TARGET_LOSS
                break
            if gtol is not None and gn[-1] <= gtol:
                status = Status.GTOL
                break
            if epoch is None:
                updates, new_state = optimizer.update(g, opt_state, theta)
                new = theta + updates
            else:
                new, new_state = epoch(theta, optimizer, opt_state, start_iter + k)
            new_f, new_g = fun(new) if np.isfinite(new).all() else (np.inf, g)
            nfev += 1
            if not _finite(new_f, new_g) or new_f > ceiling(f0):
                k += 1
                status = Status.DIVERGED
                fs.append(float(new_f) if np.isfinite(new_f) else np.inf)
                break
            # No progress means "not decreasing, and not growing either" (growth beyond
            # rounding noise is a run on its way to diverging, which EXPLODE or max_iter catch).
            if gfloor:
                # a Newton step in whitened coordinates: progress is the gradient halving
                stall = 0 if float(np.linalg.norm(new_g)) <= 0.5 * gn[-1] else PATIENCE
            elif f - new_f > tol * abs(f) or new_f > best + 1e-12 * f0:
                stall = 0
            else:
                stall += 1
            best = min(best, new_f)
            xs.append(new.copy())
            fs.append(new_f)
            gn.append(float(np.linalg.norm(new_g)))
            rng_state = rng.bit_generator.state if rng is not None else None
            cur = (new, new_f, new_g, new_state, best, stall, k + 1, rng_state)
            theta, f, g, opt_state, best, stall, k, rng_state = cur
            if callback is not None:
                try:
                    callback(
                        IntermediateResult(
                            theta,
                            f,
                            g,
                            start_iter + k,
                            DescentState(opt_state, f0, best, stall, rng_state),
                            gn[-1],
                        )
                    )
                except StopIteration:
                    status = Status.CALLBACK
                    break
            if stall >= PATIENCE:
                status = Status.NO_PROGRESS
                break
            if time.perf_counter() >= deadline:
                status = Status.TIME_LIMIT
                break
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
        theta, f, g, opt_state, best, stall, k, rng_state = cur
        del xs[k + 1 :], fs[k + 1 :], gn[k + 1 :]
    if status is Status.MAX_ITER and start_iter + k < max_iter:  # pragma: no cover - defensive
        status = Status.NO_PROGRESS
    # A run that stopped at its budget may already satisfy a rule; report the stronger reason.
    if status is Status.MAX_ITER:
        if target_loss is not None and f <= target_loss:
            status = Status.TARGET_LOSS
        elif gtol is not None and gn[-1] <= gtol:
            status = Status.GTOL
    nit = len(xs) - 1
    finite_fs = np.asarray(fs[: len(xs)], dtype=np.float64)
    lr = learning_rate if learning_rate is not None else optimizer.learning_rate
    return OptimizeResult(
        x=theta,
        fun=float(f),
        jac=g,
        nit=nit if status is not Status.DIVERGED else k,
        nfev=nfev,
        njev=nfev,
        status=status,
        message=str(status),
        history=History(
            x=np.asarray(xs),
            fun=finite_fs,
            grad_norm=np.asarray(gn),
            learning_rate=np.full(nit, float(lr) if isinstance(lr, (int, float)) else np.nan),
        ),
        optimizer=optimizer.name,
        learning_rate=lr,
        elapsed=time.perf_counter() - t0,
        info={
            "diverged_loss": fs[-1] if status is Status.DIVERGED else None,
            "state": DescentState(opt_state, f0, best, stall, rng_state),
            "start_iter": start_iter,
            "theta": theta,
        },
    )
