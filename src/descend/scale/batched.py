"""Many runs at once: a learning-rate sweep or many starting points as one batched computation.

``R`` runs of plain gradient descent ``theta <- theta - lr_r * grad L(theta)`` advance together
as one stacked ``(R, d + 1)`` matrix of parameters (intercept first). Each step reads the data
once for all of them:

- in memory, :func:`~descend.scale.kernels.loss_and_grad_batched_fast` forms every run's
  residual from the same row while it is in registers (one read of ``X`` per step, not ``R``);
- from :class:`~descend.data.stats.MomentStats` (squared loss, with an optional ridge
  penalty), a step of all runs is two ``(R, d) x (d, d)`` products, O(R d^2), whatever n is;
- from a :class:`~descend.scale.stream.ChunkSource`, one streamed pass per step feeds all runs.

The steps are taken by the one descent loop, :func:`descend.loop.driver.drive`, and each run
is watched by its own :class:`~descend.loop.stopping.Watch` (a
:class:`~descend.loop.stopping.BatchWatch`), so every run of a batch stops at exactly the step,
and with exactly the status, that the same run alone would get from :func:`descend.minimize`
with the same ``max_iter``, ``tol``, ``n_iter_no_change`` and ``gtol``. A run that stops is
frozen; the others go on. A step whose loss or gradient is not finite is never committed: the
run stays at its last finite iterate and ``n_iter`` counts the steps it took. The engine is
:func:`descend.loop.batch.run_batch`; the one sweep of descend,
:func:`~descend.models.sweep_learning_rates` (any loss, many rates or many starts, in memory or
streamed; one result type, :class:`~descend.models.SweepResult`), steps on the moments or,
through :func:`batched_loss_and_grad` (this module), on the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import InputError
from descend.models._batched import moments_loss_and_grad
from descend.models.losses import get_loss
from descend.scale.kernels import loss_and_grad_batched_fast
from descend.scale.stream import ChunkSource

Array = NDArray[np.float64]

__all__ = ["batched_loss_and_grad"]


def batched_loss_and_grad(
    data: Any,
    W: Array,
    B: Array,
    loss: str = "squared_error",
    epsilon: float = 1.35,
    penalty: Any = None,
) -> tuple[Array, Array, Array]:
    """Losses ``(R,)``, gradients ``(R, d)``, intercept gradients ``(R,)`` of ``R`` runs.

    ``penalty`` (a number or ``(d,)``, default none) adds the ridge term
    ``sum_j penalty_j W_rj^2`` to every run's loss and ``2 penalty W_r`` to its gradient (the
    intercept is never penalised).
    """
    if isinstance(data, MomentStats):
        if not get_loss(loss).moments_exact:
            raise InputError(f"MomentStats hold the squared loss only; got loss={loss!r}")
        return moments_loss_and_grad(data, W, B, penalty)
    if isinstance(data, ChunkSource):
        R, d = W.shape
        L, G, GB, m_all = np.zeros(R), np.zeros((R, d)), np.zeros(R), 0
        for X, y in data.chunks():
            m = X.shape[0]
            lc, gc, bc = loss_and_grad_batched_fast(X, y, W, B, loss, epsilon)
            L += lc * m
            G += gc * m
            GB += bc * m
            m_all += m
        L, G, GB = L / m_all, G / m_all, GB / m_all
    else:
        X, y = data
        L, G, GB = loss_and_grad_batched_fast(X, y, W, B, loss, epsilon)
    if penalty is not None:
        pen = np.broadcast_to(np.asarray(penalty, dtype=np.float64), (W.shape[1],))
        L = L + (W * W) @ pen
        G = G + 2.0 * pen * W
    return L, G, GB
