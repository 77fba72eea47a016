"""Many runs stepping together through the one descent loop.

``R`` runs of plain gradient descent ``T_r <- T_r - rate_r grad_r`` are one stacked ``(R, p)``
parameter matrix, stepped by :func:`descend.loop.driver.drive` and watched by a
:class:`~descend.loop.stopping.BatchWatch` (one :class:`~descend.loop.stopping.Watch` per
run), so each run stops at exactly the step, and with exactly the status, that the same run
alone would get from :func:`descend.minimize`. The one sweep of descend,
:func:`descend.models.sweep_learning_rates`, is a thin wrapper over :func:`run_batch`. Plain
NumPy: a sweep on the moments loads no compiled kernels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.loop.driver import RECENT, drive
from descend.loop.result import Status
from descend.loop.stopping import BatchWatch, Rules

Array = NDArray[np.float64]

__all__ = ["Batch", "LossGrad", "run_batch"]

#: ``loss_grad(T) -> (f (R,), G (R, p))`` for a stacked ``(R, p)`` parameter matrix.
LossGrad = Callable[[Array], tuple[Array, Array]]


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
                    history_limit=2)  # not drive's rows: notify keeps each run's own curve
    if len(curve) == run.nit:  # a Ctrl-C between the driver's commit and its notify
        notify(run.x, run.f, run.g, run.nit, run.state, run.gn)
    nit = watch.nit.copy()
    recent = [ring[np.arange(max(0, int(k) - M + 1), int(k) + 1) % M, r]
              for r, k in enumerate(nit)]
    return Batch(
        T=run.x, f=run.f, G=run.g, curve=np.array(curve[: run.nit + 1]),
        path=None if path is None else np.array(path[: run.nit + 1]),
        status=watch.finish(run.status), nit=nit, recent=recent,
    )
