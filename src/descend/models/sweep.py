"""The tutorials' learning-rate experiment as one vectorised batch.

All ``K`` rates step together as a ``(K, d + 1)`` matrix of parameters on the moments of the
data (:class:`~descend.data.stats.MomentStats`): one pass over the rows feeds every run, and
each step of all runs costs O(K d^2). A run that diverges (non-finite or exploding loss) or
stops improving is frozen; the others go on. Each run's iterates are those of
``LinearRegression(learning_rate=rate, optimizer='gd')`` (they agree to rounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import InputError
from descend.models._descent import EXPLODE, PATIENCE
from descend.models._problem import Standardizer, curvature
from descend.models.linear import default_feature_names
from descend.models.losses import fast_moment_stats

Array = NDArray[np.float64]

__all__ = ["SweepResult", "sweep_learning_rates"]


@dataclass(frozen=True)
class SweepResult:
    """One row per learning rate.

    ``loss_curves[k]``: the losses of run ``k`` from the start, finite part only;
    ``histories[k]``: ``(n_iter[k] + 1, d + 1)`` parameters per iteration (intercept first,
    user units); ``final_loss[k]``: the last finite loss; ``diverged[k]``: the run blew up;
    ``n_iter[k]``: steps taken (for a diverged run, the step at which it blew up);
    ``stability_limit``: ``2/L`` in the coordinates the rates apply to.
    """

    learning_rates: Array
    loss_curves: list[Array]
    diverged: NDArray[np.bool_]
    final_loss: Array
    n_iter: NDArray[np.int64]
    stability_limit: float
    histories: list[Array]
    feature_names: tuple[str, ...] = ()
    scale: bool = True
    status: tuple[str, ...] = ()  # per run: "diverged", "oscillating", "no_progress", "max_iter"
    #: per run, what it shows (:mod:`descend.loop.verdict`): "converged", "oscillating",
    #: "diverged", "stalled" or "budget_spent" -- judged as a fit is (models._verdict).
    verdicts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "stability_limit": self.stability_limit,
            "scale": self.scale,
            "features": list(self.feature_names),
            "runs": [
                {
                    "learning_rate": float(self.learning_rates[k]),
                    "final_loss": float(self.final_loss[k]),
                    "n_iter": int(self.n_iter[k]),
                    "diverged": bool(self.diverged[k]),
                    "status": self.status[k] if self.status else "",
                    "verdict": self.verdicts[k] if self.verdicts else "",
                    "above_limit": bool(self.learning_rates[k] > self.stability_limit),
                    "intercept": float(self.histories[k][-1, 0]),
                    "coef": self.histories[k][-1, 1:].tolist(),
                }
                for k in range(len(self.learning_rates))
            ],
        }


def sweep_learning_rates(
    X: Any,
    y: Any = None,
    learning_rates: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
    *,
    max_iter: int = 1000,
    tol: float = 1e-12,
    scale: bool = True,
    alpha: float = 0.0,
    init: Sequence[float] | None = None,
    feature_names: Sequence[str] | None = None,
    stats: MomentStats | None = None,
) -> SweepResult:
    """Plain gradient descent on the squared loss at every rate in ``learning_rates`` at once.

    ``X, y`` are arrays (or pass ``stats=`` and ``X=None``). ``scale``, ``alpha`` and ``init``
    mean what they mean for :class:`~descend.models.LinearRegression`.

    >>> import numpy as np
    >>> X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    >>> y = np.array([2e5, 2.5e5, 3e5, 3.5e5, 4e5])
    >>> r = sweep_learning_rates(X, y, [0.1, 0.5, 2.5], max_iter=50)
    >>> r.diverged.tolist(), r.stability_limit
    ([False, False, True], 1.0)
    """
    rates = np.asarray(learning_rates, dtype=np.float64).ravel()
    if rates.size == 0 or not np.isfinite(rates).all() or (rates <= 0).any():
        raise InputError(f"learning_rates must be positive finite numbers, got {rates.tolist()}")
    if stats is None:
        X = np.asarray(X, dtype=np.float64)
        X = X.reshape(-1, 1) if X.ndim == 1 else X
        stats = fast_moment_stats(X, np.asarray(y, dtype=np.float64))
    d = stats.d
    names = tuple(feature_names) if feature_names is not None else default_feature_names(d)
    std = Standardizer.fit(stats, scale)
    st = std.stats(stats)
    penalty = float(alpha) / std.scale**2
    L = curvature(st, penalty)
    K = rates.size
    if init is None:
        theta0 = std.to_internal(0.0, np.zeros(d))
    else:
        init_arr = np.asarray(init, dtype=np.float64).ravel()
        if init_arr.shape != (d + 1,):
            raise InputError(f"init must hold {d + 1} numbers (intercept, then coefficients)")
        theta0 = std.to_internal(float(init_arr[0]), init_arr[1:])
    n = max(st.n, 1)
    mx, my, C, cxy = st.mean_x, st.mean_y, st.cxx, st.cxy

    def loss_grad(T: Array) -> tuple[Array, Array]:
        V = T[:, 1:]
        R = T[:, 0] + V @ mx - my
        CV = V @ C
        quad = np.maximum(np.einsum("kj,kj->k", CV, V) - 2.0 * (V @ cxy) + st.cyy, 0.0)
        f = quad / n + R * R + (V * V) @ penalty
        G = np.empty_like(T)
        G[:, 1:] = (2.0 / n) * (CV - cxy) + 2.0 * R[:, None] * mx + 2.0 * penalty * V
        G[:, 0] = 2.0 * R
        return f, G

    T = np.tile(theta0, (K, 1))
    path = [T.copy()]
    f, G = loss_grad(T)
    curves = [f.copy()]
    f0 = np.abs(f)
    best = f.copy()
    active = np.ones(K, dtype=bool)
    diverged = np.zeros(K, dtype=bool)
    n_iter = np.zeros(K, dtype=np.int64)
    last = np.zeros(K, dtype=np.int64)  # index into path of each run's last finite iterate
    stall = np.zeros(K, dtype=np.int64)
    with np.errstate(all="ignore"):
        for step in range(1, max_iter + 1):
            if not active.any():
                break
            new = T - rates[:, None] * G
            new[~active] = T[~active]
            nf, nG = loss_grad(new)
            blew = active & (
                ~np.isfinite(nf)
                | ~np.isfinite(nG).all(axis=1)
                | (nf > f0 + EXPLODE * np.maximum(f0, 1.0))  # descend.loop.verdict.ceiling
            )
            diverged |= blew
            n_iter[blew] = step
            ok = active & ~blew
            flat = (f - nf <= tol * np.abs(f)) & (nf <= best + 1e-12 * f0)
            stall = np.where(ok & flat, stall + 1, np.where(ok, 0, stall))
            best = np.where(ok, np.minimum(best, nf), best)
            T = np.where(ok[:, None], new, T)
            f = np.where(ok, nf, f)
            G = np.where(ok[:, None], nG, G)
            n_iter[ok] = step
            last[ok] = step
            path.append(T.copy())
            curves.append(f.copy())
            active = ok & (stall < PATIENCE)
    P = np.asarray(path)  # (steps + 1, K, d + 1)
    F = np.asarray(curves)
    histories = [std.path_to_user(P[: last[k] + 1, k]) for k in range(K)]
    loss_curves = [F[: last[k] + 1, k].copy() for k in range(K)]
    # A step at or above 2/L cannot converge on a quadratic: along the top eigenvector the
    # error is multiplied by |1 - rate * L| >= 1 every step. At exactly 2/L the loss stays flat
    # (the iterate flips between two points), which the no-progress rule would otherwise call
    # converged; say what it is instead.
    limit = 2.0 / L
    at_limit = rates >= limit * (1.0 - 1e-9)
    verdicts = _verdicts(st, penalty, L, T, f, G, rates, diverged, stall >= PATIENCE)
    status = tuple(
        "diverged"
        if diverged[k]
        else "oscillating"
        if at_limit[k]
        else "no_progress"
        if stall[k] >= PATIENCE
        else "max_iter"
        for k in range(K)
    )
    return SweepResult(
        learning_rates=rates,
        loss_curves=loss_curves,
        diverged=diverged,
        final_loss=np.array([c[-1] for c in loss_curves]),
        n_iter=n_iter,
        stability_limit=2.0 / L,
        histories=histories,
        feature_names=names,
        scale=bool(scale),
        status=status,
        verdicts=verdicts,
    )


def _verdicts(
    st: MomentStats, penalty: Array, L: float, T: Array, f: Array, G: Array, rates: Array,
    diverged: NDArray[np.bool_], stalled: NDArray[np.bool_],
) -> tuple[str, ...]:
    """Each run's verdict by the fit's own rules (:func:`descend.models._verdict.fit_verdict`):
    converged only with a small gradient against the problem's scale and a small optimality
    gap to the exact least-squares loss."""
    from descend.loop.result import Status
    from descend.models._problem import hessian
    from descend.models._verdict import fit_verdict
    from descend.models.linear import _least_squares_loss

    n = max(st.n, 1)
    var_y = max(st.cyy / n, np.finfo(np.float64).tiny)
    f_opt = _least_squares_loss(st, penalty)
    lam = np.linalg.eigvalsh(hessian(st, penalty))
    kappa = float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf
    out = []
    for k in range(rates.size):
        status = (Status.DIVERGED if diverged[k] else Status.NO_PROGRESS if stalled[k]
                  else Status.MAX_ITER)
        out.append(str(fit_verdict(
            status=status,
            rel_grad=float(np.linalg.norm(G[k])) / np.sqrt(2.0 * L * var_y),
            rel_gap=max(float(f[k]) - f_opt, 0.0) / var_y,
            kappa_h=kappa, optimizer="gd", learning_rate=float(rates[k]), limit=2.0 / L,
            smooth=True, gtol_met=False,
        )))
    return tuple(out)
