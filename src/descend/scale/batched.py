"""Many runs at once: a learning-rate sweep or many starting points as one batched computation.

``R`` runs of plain gradient descent ``theta <- theta - lr_r * grad L(theta)`` advance together
as an ``(R, d)`` matrix of coefficients and an ``(R,)`` vector of intercepts. Each step reads
the data once for all of them:

- in memory, :func:`~descend.scale.kernels.loss_and_grad_batched_fast` forms every run's
  residual from the same row while it is in registers (one read of ``X`` per step, not ``R``);
- from :class:`~descend.data.stats.MomentStats` (squared loss), a step of all runs is two
  ``(R, d) x (d, d)`` products, O(R d^2), whatever n is;
- from a :class:`~descend.scale.stream.ChunkSource`, one streamed pass per step feeds all runs.

A run whose loss becomes non-finite or grows a million-fold is frozen at its last finite
iterate and marked diverged; the others go on. ``models.sweep`` is the squared-loss table for
the CLI; this module is the engine for the other losses, the streamed and multi-start cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import InputError
from descend.loop.verdict import GROWTH
from descend.scale.kernels import loss_and_grad_batched_fast
from descend.scale.stream import ChunkSource

Array = NDArray[np.float64]

__all__ = ["BatchedRuns", "batched_gd", "batched_loss_and_grad", "learning_rate_sweep",
           "multi_start"]



@dataclass(frozen=True)
class BatchedRuns:
    """``R`` runs: final ``W (R, d)``, ``B (R,)``, ``loss (R,)``; ``loss_curve (T+1, R)``
    (``nan`` after a run is frozen); ``n_iter (R,)``; ``diverged (R,)``."""

    W: Array
    B: Array
    loss: Array
    loss_curve: Array
    n_iter: NDArray[np.int64]
    diverged: NDArray[np.bool_]
    learning_rates: Array


def batched_loss_and_grad(
    data: Any, W: Array, B: Array, loss: str = "squared_error", epsilon: float = 1.35
) -> tuple[Array, Array, Array]:
    """Losses ``(R,)``, gradients ``(R, d)``, intercept gradients ``(R,)`` of ``R`` runs."""
    if isinstance(data, MomentStats):
        if loss != "squared_error":
            raise InputError(f"MomentStats hold the squared loss only; got loss={loss!r}")
        st = data
        r = B + W @ st.mean_x - st.mean_y  # (R,)
        CW = W @ st.cxx  # (R, d)
        quad = np.einsum("rd,rd->r", CW, W) - 2.0 * (W @ st.cxy) + st.cyy
        L = np.maximum(quad, 0.0) / st.n + r * r
        G = (2.0 / st.n) * (CW - st.cxy) + 2.0 * r[:, None] * st.mean_x
        return L, G, 2.0 * r
    if isinstance(data, ChunkSource):
        R, d = W.shape
        L, G, GB, n = np.zeros(R), np.zeros((R, d)), np.zeros(R), 0
        for X, y in data.chunks():
            m = X.shape[0]
            lc, gc, bc = loss_and_grad_batched_fast(X, y, W, B, loss, epsilon)
            L += lc * m
            G += gc * m
            GB += bc * m
            n += m
        return L / n, G / n, GB / n
    X, y = data
    return loss_and_grad_batched_fast(X, y, W, B, loss, epsilon)


def batched_gd(
    data: Any,
    W0: Any,
    B0: Any,
    learning_rates: Any,
    *,
    loss: str = "squared_error",
    epsilon: float = 1.35,
    max_iter: int = 100,
) -> BatchedRuns:
    """Plain gradient descent for ``R`` runs together (see the module docstring).

    ``data``: ``(X, y)``, a :class:`MomentStats` or a :class:`ChunkSource`. ``W0 (R, d)``,
    ``B0 (R,)``, ``learning_rates (R,)`` (a scalar applies to every run).
    """
    W = np.array(W0, dtype=np.float64, ndmin=2)
    R, d = W.shape
    B = np.broadcast_to(np.asarray(B0, dtype=np.float64), (R,)).copy()
    lr = np.broadcast_to(np.asarray(learning_rates, dtype=np.float64), (R,)).copy()
    if not np.all(np.isfinite(lr) & (lr > 0)):
        raise InputError(f"learning_rates must be positive numbers; got {lr.tolist()}")
    if not isinstance(max_iter, int) or max_iter < 0:
        raise InputError(f"max_iter={max_iter!r} must be a non-negative integer")
    curve = np.full((max_iter + 1, R), np.nan)
    active = np.ones(R, dtype=bool)
    diverged = np.zeros(R, dtype=bool)
    n_iter = np.zeros(R, dtype=np.int64)
    with np.errstate(all="ignore"):
        L, G, GB = batched_loss_and_grad(data, W, B, loss, epsilon)
        L0 = L.copy()
        curve[0] = L
        for k in range(1, max_iter + 1):
            if not active.any():
                break
            Wn = W - lr[:, None] * G
            Bn = B - lr * GB
            Ln, Gn, GBn = batched_loss_and_grad(data, Wn, Bn, loss, epsilon)
            bad = active & (
                ~np.isfinite(Ln)
                | ~np.all(np.isfinite(Wn), axis=1)
                | (Ln > L0 + GROWTH * np.maximum(L0, 1.0))  # descend.loop.verdict.ceiling
            )
            diverged |= bad
            active &= ~bad
            # frozen runs keep their last finite iterate
            W = np.where(active[:, None], Wn, W)
            B = np.where(active, Bn, B)
            L = np.where(active, Ln, L)
            G = np.where(active[:, None], Gn, G)
            GB = np.where(active, GBn, GB)
            curve[k] = np.where(active, Ln, np.nan)
            n_iter = np.where(active | bad, k, n_iter)
    return BatchedRuns(W, B, L, curve, n_iter, diverged, lr)


def learning_rate_sweep(
    data: Any,
    learning_rates: Sequence[float],
    *,
    w0: Any = None,
    b0: float = 0.0,
    **kw: Any,
) -> BatchedRuns:
    """The tutorials' learning-rate experiment: one start, ``R`` rates, one pass per step."""
    d = _width(data)
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64).reshape(d)
    R = len(learning_rates)
    return batched_gd(data, np.tile(w, (R, 1)), np.full(R, float(b0)), learning_rates, **kw)


def multi_start(data: Any, W0: Any, B0: Any, learning_rate: float, **kw: Any) -> BatchedRuns:
    """``R`` starting points, one rate (e.g. for the non-convex-looking absolute loss)."""
    return batched_gd(data, W0, B0, learning_rate, **kw)


def _width(data: Any) -> int:
    if isinstance(data, MomentStats):
        return data.d
    if isinstance(data, ChunkSource):
        return data.d
    X = np.asarray(data[0])
    return 1 if X.ndim == 1 else int(X.shape[1])
