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
:func:`descend.loop.batch.run_batch`; :func:`batched_gd` (this module) and
:func:`~descend.models.sweep_learning_rates` are thin wrappers over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import InputError
from descend.loop.batch import run_batch
from descend.loop.stopping import Rules
from descend.models._batched import moments_loss_and_grad, regression_verdicts
from descend.scale.kernels import loss_and_grad_batched_fast
from descend.scale.stream import ChunkSource

Array = NDArray[np.float64]

__all__ = ["BatchedRuns", "batched_gd", "batched_loss_and_grad", "learning_rate_sweep",
           "multi_start"]


@dataclass(frozen=True)
class BatchedRuns:
    """``R`` runs: final ``W (R, d)``, ``B (R,)``, ``loss (R,)`` (each run's last committed,
    finite, loss); ``loss_curve (T+1, R)`` (``nan`` where a run took no step: after it stopped);
    ``n_iter (R,)`` steps each run took; ``status`` the stopping rule of each run
    (:class:`~descend.loop.result.Status` values); ``verdicts`` what each run shows
    (:class:`~descend.loop.verdict.Verdict` values, see :func:`batched_gd`); ``diverged (R,)``
    is ``status == "diverged"``, kept for compatibility."""

    W: Array
    B: Array
    loss: Array
    loss_curve: Array
    n_iter: NDArray[np.int64]
    diverged: NDArray[np.bool_]
    learning_rates: Array
    status: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()


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
        if loss != "squared_error":
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


def batched_gd(
    data: Any,
    W0: Any,
    B0: Any,
    learning_rates: Any,
    *,
    loss: str = "squared_error",
    epsilon: float = 1.35,
    max_iter: int = 100,
    tol: float = 1e-12,
    n_iter_no_change: int = 5,
    gtol: float | None = None,
) -> BatchedRuns:
    """Plain gradient descent for ``R`` runs together (see the module docstring).

    Args:
        data: ``(X, y)``, a :class:`MomentStats` (squared loss) or a :class:`ChunkSource`.
        W0: ``(R, d)`` starting coefficients.
        B0: ``(R,)`` starting intercepts (a scalar applies to every run).
        learning_rates: ``(R,)`` positive rates (a scalar applies to every run).
        loss: ``"squared_error"``, ``"huber"`` or ``"absolute_error"``.
        epsilon: Huber's threshold.
        max_iter: most steps per run.
        tol: a run stops (``no_progress``) when over its last ``n_iter_no_change`` steps
            the loss range is ``<= tol * max|f|`` -- the rule of every descent in descend
            (:mod:`descend.loop.stopping`). The default is a fit's, ``1e-12``; ``tol = 0``
            runs to ``max_iter`` unless the loss is exactly flat or the run diverges.
        n_iter_no_change: the window of the ``tol`` rule, in steps (default 5, a fit's).
        gtol: a run stops (``gtol``) when its gradient norm (intercept included) is
            ``<= gtol``; default off.

    Returns:
        :class:`BatchedRuns` with each run's ``status`` and ``verdicts``, judged from the
        facts as :func:`descend.models._batched.regression_verdicts` says: for the squared loss as a fit is
        (:func:`descend.models._verdict.fit_verdict`: converged only with a gradient
        ``<= 1e-8`` of the problem's scale ``sqrt(2 L var(y))`` and a small gap to the exact
        least-squares loss; at or above ``2/L`` oscillating). For the other losses there is
        no exact optimum: Huber's converges on the gradient alone and oscillates only when its
        rate is at or above ``2/L`` of its curvature bound *and* the run's last steps bounce
        back and forth (over at least 8 iterates); the absolute error is not smooth, so a fixed-step subgradient run
        never shows convergence and ends ``stalled`` or ``budget_spent`` (or ``diverged``).
        The moments are computed for the verdict (one more pass for a ``ChunkSource``).
    """
    W = np.array(W0, dtype=np.float64, ndmin=2)
    R, d = W.shape
    B = np.broadcast_to(np.asarray(B0, dtype=np.float64), (R,))
    lr = np.broadcast_to(np.asarray(learning_rates, dtype=np.float64), (R,)).copy()
    if not np.all(np.isfinite(lr) & (lr > 0)):
        raise InputError(f"learning_rates must be positive numbers; got {lr.tolist()}")
    rules = Rules(max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change, gtol=gtol)

    def loss_grad(T: Array) -> tuple[Array, Array]:
        f, G, GB = batched_loss_and_grad(data, T[:, 1:], T[:, 0], loss, epsilon)
        return f, np.column_stack([GB, G])

    batch = run_batch(loss_grad, np.column_stack([B, W]), lr, rules)
    verdicts = regression_verdicts(_moments(data), None, loss, batch, lr)
    status = tuple(str(s) for s in batch.status)
    return BatchedRuns(
        W=batch.T[:, 1:].copy(), B=batch.T[:, 0].copy(), loss=batch.f, loss_curve=batch.curve,
        n_iter=batch.nit, diverged=np.array([s == "diverged" for s in status], dtype=bool),
        learning_rates=lr, status=status, verdicts=verdicts,
    )


def _moments(data: Any) -> MomentStats:
    """The data's :class:`MomentStats` (one pass over a ``ChunkSource``)."""
    if isinstance(data, MomentStats):
        return data
    if isinstance(data, ChunkSource):
        from descend.scale.stream import stats_from_file

        return stats_from_file(data)[0]
    from descend.models.losses import fast_moment_stats

    X = np.asarray(data[0], dtype=np.float64)
    return fast_moment_stats(X.reshape(-1, 1) if X.ndim == 1 else X,
                             np.asarray(data[1], dtype=np.float64))


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
