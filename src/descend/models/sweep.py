"""Many runs at once: the one sweep of descend (:func:`sweep_learning_rates`, :class:`SweepResult`).

The tutorials' learning-rate experiment as one vectorised batch, and its generalisations: any
loss of the registry, many starting points (``starts=``), rows read every step from arrays or
a chunked file source.

All ``K`` rates step together as a ``(K, d + 1)`` matrix of parameters on the moments of the
data (:class:`~descend.data.stats.MomentStats`): one pass over the rows feeds every run, and
each step of all runs costs O(K d^2). The steps are taken by the one descent loop
(:func:`descend.loop.driver.drive`, through :func:`descend.loop.batch.run_batch`) and each
run is stopped by the rules of a single run (:mod:`descend.loop.stopping`): a run that diverges
or stops making progress is frozen; the others go on. Each run's iterates are those of
``LinearRegression(learning_rate=rate, optimizer='gd')`` (they agree to rounding).

Where the loss is not the squared one (no finite statistics), or the data are a chunked source
(anything with ``chunks()``, :class:`~descend.scale.stream.ChunkSource`), or ``rows=True``, every
step is one pass over the rows for all runs at once
(:func:`descend.scale.batched.batched_loss_and_grad`: the fused kernel in memory, one streamed
pass for a file), in the same coordinates.
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
from descend.loop.result import Status
from descend.loop.stopping import Rules
from descend.models._batched import moments_loss_and_grad, regression_verdicts
from descend.models._problem import Standardizer, curvature
from descend.models.fit import default_feature_names
from descend.models.losses import fast_moment_stats, get_loss

Array = NDArray[np.float64]

__all__ = ["SweepResult", "sweep_learning_rates"]


@dataclass(frozen=True)
class SweepResult:
    """One row per learning rate.

    ``n_iter[k]``: the steps run ``k`` took. A step whose loss or gradient is not finite is a
    divergence that is never committed (as in :func:`~descend.minimize` and every descent in
    descend): such a run ends at its last finite iterate and ``n_iter`` does not count the
    step that blew up; a step to a finite loss above the blow-up ceiling
    (:func:`~descend.loop.verdict.ceiling`) is committed and counted, then stops the run.
    ``loss_curves[k]``: the ``n_iter[k] + 1`` losses of run ``k`` from the start (all finite);
    ``histories[k]``: ``(n_iter[k] + 1, d + 1)`` parameters per iteration (intercept first,
    user units); ``final_loss[k]``: the last committed loss; ``diverged[k]``: the run blew up
    (status ``diverged``); ``stability_limit``: ``2/L`` in the coordinates the rates apply to.
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
    #: per run, the stopping rule that fired (:mod:`descend.loop.stopping`): "diverged",
    #: "no_progress", "gtol", "max_iter", ... -- why it stopped, not what it shows.
    status: tuple[str, ...] = ()
    #: per run, what it shows (:mod:`descend.loop.verdict`): "converged", "oscillating",
    #: "diverged", "stalled" or "budget_spent" -- judged as a fit is (models._verdict).
    verdicts: tuple[str, ...] = ()

    @property
    def coef(self) -> Array:
        """``(R, d)``: each run's last coefficients (user units)."""
        return np.array([h[-1, 1:] for h in self.histories])

    @property
    def intercept(self) -> Array:
        """``(R,)``: each run's last intercept."""
        return np.array([float(h[-1, 0]) for h in self.histories])

    @property
    def loss_curve(self) -> Array:
        """``(T + 1, R)``: every run's loss after each step, ``nan`` after the run stopped."""
        out = np.full((int(max(self.n_iter, default=0)) + 1, len(self.loss_curves)), np.nan)
        for k, c in enumerate(self.loss_curves):
            out[: c.size, k] = c
        return out

    def __repr__(self) -> str:
        """One line per run, not the arrays (``histories`` holds every iterate)."""
        runs = "; ".join(f"{float(r):g}: {v}, {int(n)} steps"
                         for r, v, n in zip(self.learning_rates, self.verdicts, self.n_iter,
                                            strict=False))
        return f"SweepResult(2/L = {self.stability_limit:.6g}; {runs})"

    def _repr_html_(self) -> str:  # Jupyter: a compact card
        from descend.display import sweep_html

        return sweep_html(self)

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


def _is_source(data: Any) -> bool:
    return hasattr(data, "chunks") and not isinstance(data, (tuple, list, np.ndarray))


def _moments_of(data: Any, y: Any, stats: MomentStats | None) -> MomentStats:
    """The data's moments: given, a :class:`MomentStats`, one pass over a source or arrays."""
    if stats is not None:
        return stats
    if isinstance(data, MomentStats):
        return data
    if _is_source(data):
        from descend.scale.stream import stats_from_file  # the chunked readers

        return stats_from_file(data)[0]
    X, yy = data if y is None and isinstance(data, (tuple, list)) else (data, y)
    X = np.asarray(X, dtype=np.float64)
    return fast_moment_stats(X.reshape(-1, 1) if X.ndim == 1 else X,
                             np.asarray(yy, dtype=np.float64))


def _starts(std: Standardizer, d: int, rates: Array, init: Any, starts: Any) -> tuple[Array, Array]:
    """The runs' first iterates ``(R, d + 1)`` in the rates' coordinates, and the rates
    broadcast to one per run (``starts = (W0 (R, d), B0 (R,))``: one run per start)."""
    if starts is not None:
        W0 = np.array(starts[0], dtype=np.float64, ndmin=2)
        B0 = np.broadcast_to(np.asarray(starts[1], dtype=np.float64), (W0.shape[0],))
        if W0.shape[1] != d:
            raise InputError(f"starts must hold (R, {d}) coefficients, got {W0.shape}")
        rates = np.broadcast_to(rates, (W0.shape[0],)).copy() if rates.size == 1 else rates
        if rates.size != W0.shape[0]:
            raise InputError(f"{rates.size} learning rates for {W0.shape[0]} starts")
        return np.array([std.to_internal(float(b), w) for b, w in zip(B0, W0, strict=True)]), rates
    if init is None:
        theta0 = std.to_internal(0.0, np.zeros(d))
    else:
        init_arr = np.asarray(init, dtype=np.float64).ravel()
        if init_arr.shape != (d + 1,):
            raise InputError(f"init must hold {d + 1} numbers (intercept, then coefficients)")
        theta0 = std.to_internal(float(init_arr[0]), init_arr[1:])
    return np.tile(theta0, (rates.size, 1)), rates


def _rows_loss_grad(data: Any, y: Any, std: Standardizer, loss: str, epsilon: float,
                    alpha: float) -> Any:
    """``T -> (f, G)`` of every run from one pass over the rows, in the rates' coordinates
    (the chain rule of :meth:`~descend.models._problem.Standardizer.grad_to_internal`)."""
    from descend.scale.batched import batched_loss_and_grad  # the fused/streamed passes

    rows = data if (y is None or _is_source(data)) else (data, y)
    if isinstance(rows, tuple):
        X = np.asarray(rows[0], dtype=np.float64)
        rows = (X.reshape(-1, 1) if X.ndim == 1 else X, np.asarray(rows[1], dtype=np.float64))
    ratio = std.mean / std.scale

    def loss_grad(T: Array) -> tuple[Array, Array]:
        V, C = T[:, 1:], T[:, 0]
        W, B = (V / std.scale, C - V @ ratio) if std.active else (V, C)
        f, G, GB = batched_loss_and_grad(rows, W, B, loss, epsilon, alpha or None)
        if std.active:
            G = G / std.scale - GB[:, None] * ratio
        return f, np.column_stack([GB, G])

    return loss_grad


def sweep_learning_rates(
    X: Any,
    y: Any = None,
    learning_rates: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
    *,
    loss: str = "squared_error",
    epsilon: float = 1.35,
    max_iter: int = 1000,
    tol: float = 1e-12,
    n_iter_no_change: int = 5,
    gtol: float | None = None,
    scale: bool = True,
    alpha: float = 0.0,
    init: Sequence[float] | None = None,
    starts: tuple[Any, Any] | None = None,
    rows: bool | None = None,
    feature_names: Sequence[str] | None = None,
    stats: MomentStats | None = None,
) -> SweepResult:
    """Plain gradient descent at every rate in ``learning_rates`` at once: the one sweep.

    ``X, y`` are arrays; or ``X`` is ``(X, y)``, a :class:`MomentStats` (or pass ``stats=``
    and ``X=None``) or a chunked source (``chunks()``). ``loss`` and ``epsilon`` (the
    threshold in the target's units) name a loss of :data:`~descend.models.losses.LOSS_REGISTRY`;
    ``scale``, ``alpha`` and ``init`` mean what they mean for
    :class:`~descend.models.LinearRegression`; ``starts = (W0 (R, d), B0 (R,))`` runs one
    start per row instead (a scalar rate applies to all). The runs are one batch of
    :func:`descend.loop.batch.run_batch` (the one descent loop,
    :func:`descend.loop.driver.drive`) in the coordinates the rates apply to, with the ridge
    penalty ``alpha / scale^2`` there: on the moments when the loss allows it
    (``moments_exact``) and ``rows`` is not ``True``, else one pass over the rows per step.
    ``max_iter``, ``tol``, ``n_iter_no_change`` and ``gtol`` mean what they mean everywhere
    (:mod:`descend.loop.stopping`). Each run's verdict is judged as a fit's is
    (:func:`descend.models._batched.regression_verdicts`).

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
    info = get_loss(loss)
    by_rows = bool(rows) if rows is not None else not info.moments_exact or _is_source(X)
    stats = _moments_of(X, y, stats)
    d = stats.d
    names = tuple(feature_names) if feature_names is not None else default_feature_names(d)
    std = Standardizer.fit(stats, scale)
    st = std.stats(stats)
    penalty = float(alpha) / std.scale**2
    L = curvature(st, penalty) * (info.curvature or 2.0) / 2.0
    T0, rates = _starts(std, d, rates, init, starts)
    rules = Rules(max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change, gtol=gtol)

    def loss_grad(T: Array) -> tuple[Array, Array]:
        f, G, GB = moments_loss_and_grad(st, T[:, 1:], T[:, 0], penalty)
        return f, np.column_stack([GB, G])

    if by_rows:
        loss_grad = _rows_loss_grad(X, y, std, loss, float(epsilon), float(alpha))
    batch = run_batch(loss_grad, T0, rates, rules, keep_path=True)
    verdicts = regression_verdicts(st, penalty, loss, batch, rates)
    limit = 2.0 / L if info.smooth else float("inf")
    return _result(batch, rates, std, limit, names, bool(scale), verdicts)


def _result(batch: Any, rates: Array, std: Standardizer, limit: float,
            names: tuple[str, ...], scale: bool, verdicts: tuple[str, ...]) -> SweepResult:
    """The :class:`SweepResult` of a finished batch (iterates in the user's units)."""
    assert batch.path is not None
    n_iter = batch.nit
    K = rates.size
    histories = [std.path_to_user(batch.path[: n_iter[k] + 1, k]) for k in range(K)]
    loss_curves = [batch.curve[: n_iter[k] + 1, k].copy() for k in range(K)]
    diverged = np.array([s is Status.DIVERGED for s in batch.status], dtype=bool)
    # the rule that stopped each run, and what the run shows: at exactly 2/L the loss stays
    # flat (the iterate flips between two points), so the tol rule stops it -- and its
    # verdict says "oscillating", never "converged"
    return SweepResult(
        learning_rates=rates,
        loss_curves=loss_curves,
        diverged=diverged,
        final_loss=np.array([c[-1] for c in loss_curves]),
        n_iter=n_iter,
        stability_limit=limit,
        histories=histories,
        feature_names=names,
        scale=scale,
        status=tuple(str(s) for s in batch.status),
        verdicts=verdicts,
    )
