"""The squared loss of many runs from the moments, and the verdicts of a batch of regression
runs: the light half of the batched runs (plain NumPy; :mod:`descend.scale.batched` adds the
fused kernels and streams)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.loop.batch import Batch
from descend.loop.result import Status

Array = NDArray[np.float64]

__all__ = ["moments_loss_and_grad", "regression_verdicts"]


def moments_loss_and_grad(
    st: MomentStats, W: Array, B: Array, penalty: Any = None
) -> tuple[Array, Array, Array]:
    """Mean squared errors ``(R,)``, gradients ``(R, d)`` and intercept gradients ``(R,)`` of
    ``R`` runs from the moments, O(R d^2) whatever n is.

    With ``r = B + W mean_x - mean_y``: ``f = (W Cxx W^T - 2 W cxy + cyy) / n + r^2``,
    ``grad_W = (2/n)(W Cxx - cxy) + 2 r mean_x``, ``grad_B = 2 r``. ``penalty`` (a number or
    ``(d,)``, default none) adds the ridge term ``sum_j penalty_j W_rj^2`` and its gradient
    ``2 penalty W_r`` (the intercept is never penalised).
    """
    n = max(st.n, 1)
    r = B + W @ st.mean_x - st.mean_y  # (R,)
    CW = W @ st.cxx  # (R, d)
    quad = np.einsum("rd,rd->r", CW, W) - 2.0 * (W @ st.cxy) + st.cyy
    L = np.maximum(quad, 0.0) / n + r * r
    G = (2.0 / n) * (CW - st.cxy) + 2.0 * r[:, None] * st.mean_x
    if penalty is not None:
        pen = np.broadcast_to(np.asarray(penalty, dtype=np.float64), (W.shape[1],))
        L = L + (W * W) @ pen
        G = G + 2.0 * pen * W
    return L, G, 2.0 * r


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
    (:func:`~descend.loop.verdict.oscillation` below ``-0.5``, which needs at least 8
    iterates: a Huber run stopped sooner is called stalled), since its curvature where it
    ends may be far below the bound. The absolute error is judged as not smooth: never
    converged, never oscillating (it has no ``L``; a fixed-step subgradient run always ends
    near the kink), so ``stalled`` or ``budget_spent`` unless it diverged.
    """
    from descend.loop.verdict import oscillation
    from descend.models._problem import curvature, hessian
    from descend.models._solvers import least_squares_loss as _least_squares_loss
    from descend.models._verdict import fit_verdict
    from descend.models.losses import get_loss

    info = get_loss(loss)
    pen = np.zeros(stats.d) if penalty is None else np.broadcast_to(
        np.asarray(penalty, dtype=np.float64), (stats.d,))
    n = max(stats.n, 1)
    var_y = max(stats.cyy / n, np.finfo(np.float64).tiny)
    L = curvature(stats, pen) * (info.curvature or 2.0) / 2.0
    lam = np.linalg.eigvalsh(hessian(stats, pen))
    kappa = float(lam[-1] / lam[0]) if lam[0] > 0 else math.inf
    f_opt = _least_squares_loss(stats, pen) if info.moments_exact else None
    limit = 2.0 / L if L > 0 else None
    out = []
    for r in range(rates.size):
        lim = limit
        if not info.moments_exact:
            bounce = oscillation(batch.recent[r]) if info.smooth else None
            lim = limit if bounce is not None and bounce < -0.5 else None
        gn = float(np.linalg.norm(batch.G[r]))
        out.append(str(fit_verdict(
            status=batch.status[r],
            rel_grad=gn / math.sqrt(2.0 * L * var_y) if L > 0 else None,
            rel_gap=None if f_opt is None else max(float(batch.f[r]) - f_opt, 0.0) / var_y,
            kappa_h=kappa, learning_rate=float(rates[r]), limit=lim,
            smooth=info.smooth, gtol_met=batch.status[r] is Status.GTOL,
        )))
    return tuple(out)
