"""Dask arrays and DataFrames as a row source: the same answers as in memory, as map-reduce.

- Squared loss: :func:`moment_stats_dask` is one map-reduce. Each partition is reduced to its
  :class:`MomentStats` by the fused kernel where it lives (only ``O(d^2)`` numbers travel), and
  the partials are merged with Chan's formula up a fixed tree. Every later step is O(d^2) on
  the client, whatever the cluster; refinement passes of residuals are map-reduces too
  (:class:`DaskResiduals`).
- Other losses: :func:`loss_and_grad_dask` is one map-reduce per step over *persisted*
  partitions: each worker returns ``(sum loss, sum grad, sum dgrad/db, rows)`` for its
  partitions and the client adds them (:class:`DaskRows`).
- :func:`prepare_dask_xy`: Dask ``(X, y)`` reduced to a :class:`~descend.data.source.Prepared`,
  the one route of both the library (``LinearModel.fit`` on Dask data) and ``descend fit
  --engine dask`` (which reads the file with :func:`descend.data.engine.read_dask` first).

Tasks get fresh keys on every call (``pure=False``): a step is computed, never served from
an earlier identical request still held by the scheduler. The tree is built in partition
order, so the floating-point sums are the same whichever worker runs which task and however
often a task is rerun: a worker lost in the middle of a fit makes the scheduler recompute its
partitions from their lineage, and the answer does not change. Whatever scheduler is active
is used (a ``distributed.Client`` if one exists, else Dask's local threads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data._kernels import kernel_threads, loss_and_grad_fast, moment_stats_fast
from descend.data.design import choose_design
from descend.data.source import Prepared
from descend.data.stats import MomentStats
from descend.data.table import default_feature_names
from descend.errors import DataError, InputError

Array = NDArray[np.float64]

__all__ = [
    "NO_BATCHES",
    "DaskResiduals",
    "DaskRows",
    "anchored_residuals_dask",
    "as_dask_xy",
    "centred_residuals_dask",
    "is_dask",
    "loss_and_grad_dask",
    "merge_stats",
    "merge_tree",
    "moments_exact",
    "moment_stats_dask",
    "prepare_dask_xy",
    "r_factor_dask",
]

_FAN_IN = 8  # partials merged per reduce task


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (array, DataFrame or Series)."""
    return hasattr(obj, "__dask_graph__") and callable(getattr(obj, "__dask_graph__", None))


def as_dask_xy(
    X: Any,
    y: Any = None,
    *,
    target: str | None = None,
    features: str | Sequence[str] | None = None,
) -> tuple[Any, Any, tuple[str, ...], str]:
    """``(X, y)`` as row-chunked Dask arrays with aligned chunks, plus column names.

    ``X`` may be a Dask array (then ``y`` is a Dask array or Series), or a Dask DataFrame
    holding features and target (then the target is the last column unless named).
    """
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(X, dd.DataFrame):
        cols = [str(c) for c in X.columns]
        if y is None:  # features and target from one frame: the design-matrix stage
            spec = choose_design(cols, target, features, "the Dask DataFrame")
            feats, t = list(spec.feature_names), spec.target_name
            Xa = X[feats].astype("float64").to_dask_array(lengths=True)
            ya = X[t].astype("float64").to_dask_array(lengths=True)
            names, tname = tuple(feats), t
        else:
            Xa = X.astype("float64").to_dask_array(lengths=True)
            names, tname = tuple(cols), str(getattr(y, "name", None) or "y")
            ya = y
    elif isinstance(X, da.Array):
        Xa = X
        ya = y
        names = default_feature_names(X.shape[1] if X.ndim == 2 else 1)
        tname = "y"
    else:
        raise InputError(f"X must be a Dask array or DataFrame; got {type(X).__name__}")
    if ya is None:
        raise InputError("y is missing; pass the target array or name a target column")
    if isinstance(ya, (dd.Series, dd.DataFrame)):
        ya = ya.astype("float64").to_dask_array(lengths=True)
    elif not isinstance(ya, da.Array):
        ya = da.from_array(np.asarray(ya, dtype=np.float64), chunks=(Xa.chunks[0],))
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    ya = ya.reshape(-1) if ya.ndim != 1 else ya
    if Xa.shape[0] != ya.shape[0]:
        raise InputError(f"y has {ya.shape[0]} values but X has {Xa.shape[0]} rows")
    if len(Xa.chunks[1]) > 1:
        Xa = Xa.rechunk({1: -1})  # a partition must hold whole rows
    if ya.chunks[0] != Xa.chunks[0]:
        ya = ya.rechunk((Xa.chunks[0],))
    return Xa, ya, names, tname


def _blocks(X: Any, y: Any) -> list[tuple[Any, Any]]:
    xb = X.to_delayed().ravel().tolist()
    yb = y.to_delayed().ravel().tolist()
    return list(zip(xb, yb, strict=True))


def merge_tree(parts: list[Any], combine: Callable[..., Any]) -> Any:
    """Reduce delayed partials with ``combine`` up a fixed tree (partition order kept)."""
    from dask import delayed

    while len(parts) > 1:
        parts = [
            delayed(combine, pure=False)(*parts[i : i + _FAN_IN])
            for i in range(0, len(parts), _FAN_IN)
        ]
    return parts[0]


def _empty_stats(d: int) -> MomentStats:
    return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)


# Dask already runs one task per worker thread; a kernel that also spreads over every core
# makes two OpenMP pools per core spin against each other (measured on 2 cores, 2e6 x 10 rows
# in 16 partitions: 1.47 s -> 63 ms per statistics map-reduce). One kernel thread per task.
_TASK_THREADS = 1


def _block_stats(X: Any, y: Any) -> MomentStats:
    X = np.asarray(X)
    if X.shape[0] == 0:
        return _empty_stats(X.shape[1])
    with kernel_threads(_TASK_THREADS):
        return moment_stats_fast(X, np.asarray(y))


def merge_stats(*parts: MomentStats) -> MomentStats:
    acc = parts[0]
    for p in parts[1:]:
        acc = acc.merge(p)
    return acc


def moment_stats_dask(X: Any, y: Any = None, **names: Any) -> MomentStats:
    """:class:`MomentStats` of Dask ``(X, y)`` (or a Dask DataFrame) as one map-reduce.

    Equal to the in-memory :func:`~descend.scale.kernels.moment_stats_fast` to ~1e-15
    relative: each partition is centred on its own mean and merged by Chan's formula.
    """
    import dask
    from dask import delayed

    Xa, ya, _, _ = as_dask_xy(X, y, **names)
    parts = [delayed(_block_stats, pure=False)(xb, yb) for xb, yb in _blocks(Xa, ya)]
    if not parts:
        raise DataError("the Dask collection has no partitions")
    (out,) = dask.compute(merge_tree(parts, merge_stats))
    if out.n == 0:
        raise DataError("the Dask collection has no rows")
    return out  # type: ignore[no-any-return]


def _block_grad(X: Any, y: Any, w: Array, b: float, loss: str, eps: float) -> tuple[Any, ...]:
    X = np.asarray(X)
    m = X.shape[0]
    if m == 0:
        return 0.0, np.zeros(X.shape[1]), 0.0, 0
    with kernel_threads(_TASK_THREADS):
        lv, g, gb = loss_and_grad_fast(X, np.asarray(y), w, b, loss, eps)
    return lv * m, g * m, gb * m, m


def _add_parts(*parts: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sum partitions' ``(array, number, number, count)`` tuples (gradients or residual sums)."""
    lv, g, gb, m = parts[0]
    g = np.array(g, copy=True)
    for p in parts[1:]:
        lv += p[0]
        g += p[1]
        gb += p[2]
        m += p[3]
    return lv, g, gb, m


def loss_and_grad_dask(
    X: Any,
    y: Any,
    w: Any,
    b: float,
    loss: str = "squared_error",
    epsilon: float = 1.35,
) -> tuple[float, Array, float]:
    """Full-batch ``(loss, dL/dw, dL/db)`` over Dask ``(X, y)``: one map-reduce.

    Persist ``X`` and ``y`` first (``X, y = dask.persist(X, y)``) so a step reads partitions
    from worker memory rather than recomputing them; only ``w`` goes out and ``d + 3`` numbers
    per partition come back.
    """
    import dask
    from dask import delayed

    Xa, ya, _, _ = as_dask_xy(X, y)
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != Xa.shape[1]:
        raise InputError(f"w has {wv.shape[0]} coefficients but X has {Xa.shape[1]} columns")
    parts = [
        delayed(_block_grad, pure=False)(xb, yb, wv, float(b), loss, float(epsilon))
        for xb, yb in _blocks(Xa, ya)
    ]
    (tot,) = dask.compute(merge_tree(parts, _add_parts))
    lv, g, gb, n = tot
    if n == 0:
        raise DataError("the Dask collection has no rows")
    return float(lv) / n, np.asarray(g, dtype=np.float64) / n, float(gb) / n


def _block_residuals(
    X: Any, y: Any, mean: Array, scale: Array, y0: float, v: Array, c: float
) -> tuple[Any, ...]:
    Z = (np.asarray(X) - mean) / scale
    r = (np.asarray(y) - y0) - c - Z @ v
    return Z.T @ r, float(r.sum()), float(r @ r), int(r.shape[0])


def centred_residuals_dask(
    X: Any, y: Any, mean: Array, scale: Array, y0: float, v: Array, c: float
) -> tuple[Array, float, float, int]:
    """``(sum z r, sum r, sum r^2, n)`` over Dask ``(X, y)``, one map-reduce (refinement pass).

    ``z = (x - mean) / scale``, ``r = y - y0 - c - z . v``: the centred residuals of a
    squared-loss fit (:class:`~descend.data.source.ResidualPasses`); ``d + 3`` numbers per partition
    come back.
    """
    import dask
    from dask import delayed

    Xa, ya, _, _ = as_dask_xy(X, y)
    args = (np.asarray(mean, float), np.asarray(scale, float), float(y0), np.asarray(v, float))
    parts = [
        delayed(_block_residuals, pure=False)(xb, yb, *args, float(c)) for xb, yb in _blocks(Xa, ya)
    ]
    (tot,) = dask.compute(merge_tree(parts, _add_parts))
    zr, sr, rr, n = tot
    return np.asarray(zr, dtype=np.float64), float(sr), float(rr), int(n)


def r_factor_dask(X: Any, mean: Array, scale: Array) -> Array:
    """The factor ``R`` of ``Z = (X - mean) / scale`` by ``dask.array.linalg.tsqr``.

    Only ``R`` is computed (``d x d`` numbers come back); ``X`` must have one column chunk.
    """
    from dask.array.linalg import tsqr

    Xa = X.rechunk({1: -1}) if len(X.chunks[1]) > 1 else X
    _, R = tsqr((Xa - mean) / scale)
    return np.asarray(R.compute(), dtype=np.float64)


def _block_anchored(
    X: Any, y: Any, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
) -> tuple[Any, ...]:
    from descend.data.stats import residual_compensated

    Xn, yn = np.asarray(X), np.asarray(y)
    Z = (Xn - mean) / scale
    r = residual_compensated(Xn, yn, b, w) - c - Z @ dv
    return Z.T @ r, float(r.sum()), float(r @ r), int(r.shape[0])


def anchored_residuals_dask(
    X: Any, y: Any, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
) -> tuple[Array, float, float, int]:
    """:func:`centred_residuals_dask` measured from the anchor ``(b, w)``, the residual at the
    anchor to twice the working precision (see :func:`descend.data.stream.anchored_residuals_stream`)."""
    import dask
    from dask import delayed

    Xa, ya, _, _ = as_dask_xy(X, y)
    args = (
        np.asarray(mean, float), np.asarray(scale, float), float(b), np.asarray(w, float),
        np.asarray(dv, float), float(c),
    )
    parts = [delayed(_block_anchored, pure=False)(xb, yb, *args) for xb, yb in _blocks(Xa, ya)]
    (tot,) = dask.compute(merge_tree(parts, _add_parts))
    zr, sr, rr, n = tot
    return np.asarray(zr, dtype=np.float64), float(sr), float(rr), int(n)


# ------------------------------------------------------------------ the row source

NO_BATCHES = (
    "batch_size / --batch-size: mini-batches are not available for Dask data; fit full batch "
    "(batch_size=None) or stream the files (--engine stream)"
)


class DaskResiduals:
    """Refinement passes of the squared loss as map-reduces over Dask ``(X, y)``."""

    def __init__(self, X: Any, y: Any):
        self.X, self.y = X, y

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        return centred_residuals_dask(self.X, self.y, mean, scale, y0, v, c)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        return anchored_residuals_dask(self.X, self.y, mean, scale, b, w, dv, c)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        return r_factor_dask(self.X, mean, scale)

class DaskRows:
    """Row passes as map-reduces over persisted Dask partitions (full batch only)."""

    def __init__(self, X: Any, y: Any, loss: str, epsilon: float):
        self.X, self.y, self.loss, self.epsilon = X, y, loss, epsilon

    def full(self, w: Array, b: float) -> tuple[float, Array, float]:
        return loss_and_grad_dask(self.X, self.y, w, b, self.loss, self.epsilon)

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, Array]]:  # pragma: no cover - refused before the fit starts
        raise InputError(NO_BATCHES)

    def max_row_norm2(self, mean: Array, scale: Array) -> float:  # pragma: no cover
        raise InputError(NO_BATCHES)


def prepare_dask_xy(
    X: Any,
    y: Any,
    names: Sequence[str],
    target_name: str,
    *,
    source: str,
    loss: str,
    epsilon: float,
    explain: Callable[[], None] | None = None,
) -> Prepared:
    """Row-chunked Dask ``(X, y)`` (see :func:`as_dask_xy`) as a fit's row source.

    The moments are one map-reduce; for a loss other than the squared one the partitions are
    persisted first (one read, then every step from worker memory) and :class:`DaskRows` make
    the per-step passes; the squared loss refines on :class:`DaskResiduals`. The data is
    refused as the in-memory loader refuses it (``explain``: names a file's first bad cell).
    """
    import dask

    from descend.data.checks import checked_stats
    from descend.data.scaling import small_feature_scales

    rows_needed = not moments_exact(loss)
    if rows_needed:  # one read of the partitions, then every step from worker memory
        X, y = dask.persist(X, y)
    stats = moment_stats_dask(X, y)
    scale = small_feature_scales(stats)
    if scale is not None:  # subnormal squares: the features times 2^k (exact), moments again
        X = X * scale
        stats = moment_stats_dask(X, y)
    stats = checked_stats(stats, source, names, target_name, explain=explain)
    return Prepared(
        stats=stats,
        feature_names=tuple(names),
        target_name=target_name,
        source=source,
        passes=DaskRows(X, y, loss, epsilon) if rows_needed else None,
        rows=DaskResiduals(X, y) if moments_exact(loss) else None,
        feature_scale=scale,
    )


def moments_exact(loss: str) -> bool:
    """Whether the moments solve ``loss`` exactly (the squared loss): the loss registry's word,
    not a comparison of names."""
    from descend.losses import get_loss

    return bool(get_loss(loss).moments_exact)
