"""The estimator's descent: full-batch steps or mini-batch epochs, with visible stopping rules.

It returns the core's :class:`~descend.loop.result.OptimizeResult` so a fit reads like any
other run. (The estimator keeps its own small driver because it knows the exact curvature
before the first step, steps in epochs for mini-batches, and must keep the last finite
iterate when a run blows up.)

Stopping rules, checked after every step (epoch) in this order: non-finite or exploding loss
(``diverged``, the last finite iterate is kept), ``loss <= target_loss``,
``||grad|| <= gtol``, ``no_progress`` (for ``PATIENCE`` consecutive steps the loss fell by no
more than ``tol`` relative and did not rise above its best by more than rounding noise -- so
noise at the optimum stops a run, but a growing loss never counts as converged), and
``max_iter``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from descend.loop.result import History, OptimizeResult, Status
from descend.optim.base import Optimizer

Array = NDArray[np.float64]
ValueAndGrad = Callable[[Array], tuple[float, Array]]

__all__ = ["run_descent"]

EXPLODE = 1e12  # a loss this many times the starting loss is a blow-up, not a bad step
PATIENCE = 5


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
) -> OptimizeResult:
    """Minimise ``fun`` from ``theta0``.

    Full batch: each iteration is ``update(grad(theta))``. With ``epoch`` (mini-batch), each
    iteration is ``theta, state = epoch(theta, optimizer, state, k)`` and ``fun`` is evaluated
    once after it, for the curve and the stopping rules.
    """
    t0 = time.perf_counter()
    theta = np.array(theta0, dtype=np.float64)
    f, g = fun(theta)
    xs, fs, gn = [theta.copy()], [f], [float(np.linalg.norm(g))]
    nfev = 1
    state = optimizer.init(theta)
    status = Status.MAX_ITER
    if not _finite(f, g):
        status = Status.DIVERGED
    f0 = abs(f)
    best = f
    stall = 0
    k = 0
    while status is not Status.DIVERGED and k < max_iter:
        if target_loss is not None and f <= target_loss:
            status = Status.TARGET_LOSS
            break
        if gtol is not None and gn[-1] <= gtol:
            status = Status.GTOL
            break
        if epoch is None:
            updates, state = optimizer.update(g, state, theta)
            new = theta + updates
        else:
            new, state = epoch(theta, optimizer, state, k)
        new_f, new_g = fun(new) if np.isfinite(new).all() else (np.inf, g)
        nfev += 1
        k += 1
        if not _finite(new_f, new_g) or new_f > EXPLODE * max(f0, 1e-300):
            status = Status.DIVERGED
            fs.append(float(new_f) if np.isfinite(new_f) else np.inf)
            break
        # No progress means "not decreasing, and not growing either" (growth beyond rounding
        # noise is a run on its way to diverging, which EXPLODE or max_iter will catch).
        if f - new_f > tol * abs(f) or new_f > best + 1e-12 * f0:
            stall = 0
        else:
            stall += 1
        best = min(best, new_f)
        theta, f, g = new, new_f, new_g
        xs.append(theta.copy())
        fs.append(f)
        gn.append(float(np.linalg.norm(g)))
        if stall >= PATIENCE:
            status = Status.NO_PROGRESS
            break
    if status is Status.MAX_ITER and k < max_iter:  # pragma: no cover - defensive
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
        info={"diverged_loss": fs[-1] if status is Status.DIVERGED else None},
    )
