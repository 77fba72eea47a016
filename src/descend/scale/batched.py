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
run stays at its last finite iterate and ``n_iter`` counts the steps it took. :func:`run_batch`
is the engine; :func:`batched_gd` (this module) and
:func:`~descend.models.sweep_learning_rates` are thin wrappers over it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import InputError
from descend.loop.driver import RECENT, drive
from descend.loop.result import Status
from descend.loop.stopping import BatchWatch, Rules
from descend.scale.kernels import loss_and_grad_batched_fast
from descend.scale.stream import ChunkSource

Array = NDArray[np.float64]

__all__ = ["Batch", "BatchedRuns", "batched_gd", "batched_loss_and_grad", "learning_rate_sweep",
           "multi_start", "regression_verdicts", "run_batch"]

#: ``loss_grad(T) -> (f (R,), G (R, p))`` for a stacked ``(R, p)`` parameter matrix.
LossGrad = Callable[[Array], tuple[Array, Array]]


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
        st = data
        n = max(st.n, 1)
        r = B + W @ st.mean_x - st.mean_y  # (R,)
        CW = W @ st.cxx  # (R, d)
        quad = np.einsum("rd,rd->r", CW, W) - 2.0 * (W @ st.cxy) + st.cyy
        L = np.maximum(quad, 0.0) / n + r * r
        G = (2.0 / n) * (CW - st.cxy) + 2.0 * r[:, None] * st.mean_x
        GB = 2.0 * r
    elif isinstance(data, ChunkSource):
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


@dataclass(frozen=True)
class Batch:
    """What :func:`run_batch` returns for ``R`` runs of ``p`` parameters.

    ``T (R, p)``, ``f (R,)``, ``G (R, p)``: each run's last committed iterate, its (finite)
    loss and gradient; ``curve (T+1, R)``: each run's loss after every step of the batch,
    ``nan`` where the run took no step; ``path``: ``(T+1, R, p)`` iterates (frozen runs
    repeated) when asked for, else ``None``; ``status``, ``nit`` (steps each run took),
    ``recent[r]``: run ``r``'s last ``RECENT + 1`` iterates, oldest first (for the
    oscillation test).
    """

    T: Array
    f: Array
    G: Array
    curve: Array
    path: Array | None
    status: list[Status]
    nit: NDArray[np.int64]
    recent: list[Array]


def run_batch(
    loss_grad: LossGrad, T0: Array, rates: Array, rules: Rules, *, keep_path: bool = False
) -> Batch:
    """``R`` runs of plain gradient descent ``T_r <- T_r - rates_r grad_r``, stepped together
    by :func:`~descend.loop.driver.drive` and each stopped by ``rules`` (a
    :class:`~descend.loop.stopping.BatchWatch`).

    Each step evaluates ``loss_grad`` on the rows of the runs still moving only. A run whose
    new loss, gradient or parameters are not finite keeps its last committed iterate, and the
    watch sees an infinite gradient norm: the step is a divergence and is not committed (as in
    :func:`~descend.minimize`). A finite loss above the blow-up ceiling is committed, then
    stops the run as ``diverged``.
    """
    R, p = T0.shape
    with np.errstate(all="ignore"):
        f0, G0 = loss_grad(T0)
        f0 = np.asarray(f0, dtype=np.float64)
        gn0 = np.sqrt(np.einsum("rp,rp->r", G0, G0))
    watch = BatchWatch(rules, f0, gn0)
    M = RECENT + 1
    ring = np.empty((M, R, p))
    ring[0] = T0
    curve = [f0.copy()]
    path = [T0] if keep_path else None

    def step(T: Array, f: Array, G: Array, state: Any, k: int) -> Any:
        idx = np.flatnonzero(watch.moving)
        Ti = T[idx] - rates[idx, None] * G[idx]
        fi, Gi = loss_grad(Ti)
        gi = np.sqrt(np.einsum("rp,rp->r", Gi, Gi))
        ok = np.isfinite(fi) & np.isfinite(gi) & np.isfinite(Ti).all(axis=1)
        T_new, f_new, G_new = T.copy(), f.copy(), G.copy()
        gn_new = np.sqrt(np.einsum("rp,rp->r", G, G))
        moved = idx[ok]
        T_new[moved], f_new[moved], G_new[moved], gn_new[moved] = Ti[ok], fi[ok], Gi[ok], gi[ok]
        gn_new[idx[~ok]] = math.inf  # not finite: the watch calls it diverged, not committed
        committed = np.zeros(R, dtype=bool)
        committed[moved] = True
        return T_new, f_new, G_new, gn_new, committed, math.nan, 1

    def notify(T: Array, f: Array, G: Array, nit: int, committed: Any, gn: Array) -> None:
        curve.append(np.where(committed, f, np.nan))
        ring[nit % M][committed] = T[committed]
        if path is not None:
            path.append(T)

    with np.errstate(all="ignore"):
        run = drive(step, T0, f0, G0, gn0, np.zeros(R, dtype=bool), watch,
                    max_iter=rules.max_iter, status=watch.start(), notify=notify,
                    history_limit=2)  # the batch keeps its own per-run curves
    nit = watch.nit.copy()
    recent = [ring[np.arange(max(0, int(k) - M + 1), int(k) + 1) % M, r]
              for r, k in enumerate(nit)]
    return Batch(
        T=run.x, f=run.f, G=run.g, curve=np.array(curve[: run.nit + 1]),
        path=None if path is None else np.array(path[: run.nit + 1]),
        status=watch.finish(run.status), nit=nit, recent=recent,
    )


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
        tol, n_iter_no_change: a run stops (``no_progress``) when over its last
            ``n_iter_no_change`` steps the loss range is ``<= tol * max|f|`` -- the rule of
            every descent in descend (:mod:`descend.loop.stopping`). The defaults are a fit's
            (``tol = 1e-12``, 5 steps); ``tol = 0`` runs to ``max_iter`` unless the loss is
            exactly flat or the run diverges.
        gtol: a run stops (``gtol``) when its gradient norm (intercept included) is
            ``<= gtol``; default off.

    Returns:
        :class:`BatchedRuns` with each run's ``status`` and ``verdicts``, judged from the
        facts as :func:`regression_verdicts` says: for the squared loss as a fit is
        (:func:`descend.models._verdict.fit_verdict`: converged only with a gradient
        ``<= 1e-8`` of the problem's scale ``sqrt(2 L var(y))`` and a small gap to the exact
        least-squares loss; at or above ``2/L`` oscillating). For the other losses there is
        no exact optimum: Huber's converges on the gradient alone and oscillates only when its
        rate is at or above ``2/L`` of its curvature bound *and* the run's last steps bounce
        back and forth; the absolute error is not smooth, so a fixed-step subgradient run
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


def regression_verdicts(
    stats: MomentStats, penalty: Any, loss: str, batch: Batch, rates: Array
) -> tuple[str, ...]:
    """Each run's :class:`~descend.loop.verdict.Verdict` from the facts, by the fit's rules
    (:func:`descend.models._verdict.fit_verdict`).

    ``stats`` are the moments in the coordinates the rates apply to (raw, or standardised for
    a sweep) and ``penalty`` the ridge penalty there. ``L`` is the exact curvature of the
    squared loss (Huber's is bounded by it: ``h'' <= 2``); the gradient is judged against the
    problem's scale, ``|g| / sqrt(2 L var(y)) <= 1e-8``; for the squared loss the gap to the
    exact least-squares loss ``f*`` must be small too. A squared-loss run at or above ``2/L``
    that did not converge is oscillating (on a quadratic the error along the top eigenvector
    never shrinks); a Huber run only when its last steps also bounce
    (:func:`~descend.loop.verdict.oscillation` below ``-0.5``), since its curvature where it
    ends may be far below the bound. The absolute error is judged as not smooth: never
    converged.
    """
    from descend.loop.verdict import oscillation
    from descend.models._problem import curvature, hessian
    from descend.models._verdict import fit_verdict
    from descend.models.linear import _least_squares_loss
    from descend.models.losses import get_loss

    info = get_loss(loss)
    pen = np.zeros(stats.d) if penalty is None else np.broadcast_to(
        np.asarray(penalty, dtype=np.float64), (stats.d,))
    n = max(stats.n, 1)
    var_y = max(stats.cyy / n, np.finfo(np.float64).tiny)
    L = curvature(stats, pen) * (info.curvature or 2.0) / 2.0
    lam = np.linalg.eigvalsh(hessian(stats, pen))
    kappa = float(lam[-1] / lam[0]) if lam[0] > 0 else math.inf
    f_opt = _least_squares_loss(stats, pen) if loss == "squared_error" else None
    limit = 2.0 / L if L > 0 else None
    out = []
    for r in range(rates.size):
        lim = limit
        if loss != "squared_error":
            bounce = oscillation(batch.recent[r]) if info.smooth else None
            lim = limit if bounce is not None and bounce < -0.5 else None
        gn = float(np.linalg.norm(batch.G[r]))
        out.append(str(fit_verdict(
            status=batch.status[r],
            rel_grad=gn / math.sqrt(2.0 * L * var_y) if L > 0 else None,
            rel_gap=None if f_opt is None else max(float(batch.f[r]) - f_opt, 0.0) / var_y,
            kappa_h=kappa, optimizer="gd", learning_rate=float(rates[r]), limit=lim,
            smooth=info.smooth, gtol_met=batch.status[r] is Status.GTOL,
        )))
    return tuple(out)


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
