"""Parquet files on a Dask cluster: row groups as partitions, each pass the stream's own.

``descend fit FILE.parquet --engine dask`` reads here, not through ``dask.dataframe``. The row
groups (from the footers) are combined in file order into partitions of at most
:data:`PART_BYTES` of float64 -- fewer bytes where the data is small, so that every worker
thread gets about two. A partition is a :class:`PartSource`: the file source restricted to its
row groups, which the stream engine's passes read chunk by chunk with the same reader (the same
columns, conversions, checks and words). A pass is one graph: one task a partition running the
stream's pass on it, the partials merged up a fixed tree in partition order, one ``compute``;
``O(d^2)`` numbers per partition travel:

- moments: each partition's :class:`~descend.data.stats.MomentStats` by the fused kernel,
  merged with Chan's formula (:func:`parquet_moments`);
- refinement passes of an ill-conditioned squared-loss fit: sums of residuals, and the factor
  ``R`` by TSQR -- each partition's ``R`` (the stream's sequential TSQR over its chunks), then
  ``R = qr([R_1; R_2; ...])`` up the tree (:class:`ParquetResiduals`);
- other losses step many times: the partitions are read once into worker memory as Dask arrays
  (:func:`parquet_xy`, row counts from the footers) and every step is a map-reduce there
  (:func:`~descend.data.dask_rows.prepare_dask_xy`).

Through ``dask.dataframe`` the same fit cost a pass to learn the partitions' lengths
(``to_dask_array(lengths=True)``), a pandas frame per partition, and the import of
``dask.dataframe`` and ``dask.array`` (~1 s) before the first row was read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from descend.data._kernels import kernel_threads, moment_stats_fast
from descend.data.chunks import ChunkSource
from descend.data.stats import MomentStats
from descend.errors import DataError

if TYPE_CHECKING:
    from descend.data.source import Prepared

Array = NDArray[np.float64]

__all__ = [
    "PART_BYTES",
    "ParquetResiduals",
    "PartSource",
    "parquet_moments",
    "parquet_partitions",
    "parquet_xy",
    "prepare_parquet_dask",
]

#: Float64 bytes of the chosen columns a partition holds at most (unless one row group is
#: larger): the scheduler's cost per task (~1 ms) is nothing beside reading this much, and a
#: worker holds a few at once when the partitions are persisted.
PART_BYTES = 128 << 20

#: Partitions wanted per worker thread, data permitting: with two, the pass waits at its end
#: for at most about half a worker's share.
_PER_THREAD = 2

#: Row groups of one file: ``(path, (group, ...))``; a partition: its pieces and row count.
Piece = tuple[str, tuple[int, ...]]
Partition = tuple[tuple[Piece, ...], int]


@dataclass(frozen=True)
class PartSource(ChunkSource):
    """A Parquet :class:`~descend.data.chunks.ChunkSource` restricted to the row groups of one
    partition: its :meth:`chunks` are the stream's chunks of those row groups, in file order."""

    row_groups: tuple[Piece, ...] = ()

    def chunks(self, *, prefetch: int = 0, check: bool = True) -> Iterator[tuple[Array, Array]]:
        # no read-ahead thread: a task shares its core with the other workers' tasks
        return (c for path, groups in self.row_groups
                for c in self._parquet_batches(path, list(groups), check))

    def pieces(self) -> list[tuple[str, int]]:
        return [(path, i) for path, groups in self.row_groups for i in groups]


def _part(src: ChunkSource, pieces: tuple[Piece, ...]) -> PartSource:
    return PartSource(**{f.name: getattr(src, f.name) for f in fields(ChunkSource)},
                      row_groups=pieces)


def _worker_threads() -> int:
    """Worker threads of the active ``distributed`` client, else this machine's cores."""
    try:
        from distributed import default_client

        threads = sum(default_client().nthreads().values())
    except (ImportError, ValueError):
        threads = 0
    return max(1, threads or os.cpu_count() or 1)


def parquet_partitions(src: ChunkSource, threads: int | None = None) -> list[Partition]:
    """Row groups of ``src``'s files combined in file order into partitions of at most
    ``min(PART_BYTES, total / (2 threads))`` bytes of float64 (one row group at least);
    ``threads``: the cluster's worker threads (default: the active client's)."""
    import pyarrow.parquet as pq

    groups: list[tuple[str, int, int]] = []
    for path in src.files:
        with src._open(path) as fh:
            meta = pq.ParquetFile(fh).metadata
        groups += [(path, i, meta.row_group(i).num_rows) for i in range(meta.num_row_groups)]
    row_bytes = 8 * (src.d + 1)
    total = sum(m for _, _, m in groups) * row_bytes
    cap = max(1, min(PART_BYTES, total // (_PER_THREAD * (threads or _worker_threads()))))
    parts: list[Partition] = []
    pieces: list[Piece] = []
    rows = 0
    for path, i, m in groups:
        if m == 0:
            continue
        if rows and (rows + m) * row_bytes > cap:
            parts.append((tuple(pieces), rows))
            pieces, rows = [], 0
        if pieces and pieces[-1][0] == path:
            pieces[-1] = (path, (*pieces[-1][1], i))
        else:
            pieces.append((path, (i,)))
        rows += m
    if rows:
        parts.append((tuple(pieces), rows))
    return parts


def _on_part(src: ChunkSource, pieces: tuple[Piece, ...], fn: Callable[..., Any],
             *args: Any) -> Any:
    """``fn(partition, *args)`` on one kernel thread: the cluster's other worker threads and
    processes have the other cores."""
    with kernel_threads(1):
        return fn(_part(src, pieces), *args)


def _map_reduce(src: ChunkSource, parts: Sequence[Partition], fn: Callable[..., Any],
                combine: Callable[..., Any], *args: Any) -> Any:
    """``combine`` of ``fn(partition, *args)`` over ``parts``: one graph, one ``compute``."""
    import dask
    from dask import delayed

    from descend.data.dask_rows import merge_tree

    if not parts:
        raise DataError(f"{src.files[0]}: has no rows")
    tasks = [delayed(_on_part, pure=False)(src, pieces, fn, *args) for pieces, _ in parts]
    (out,) = dask.compute(merge_tree(tasks, combine))
    return out


def _moments(part: PartSource) -> MomentStats:
    """A partition's moments, chunk by chunk (non-finite ones are explained by the client)."""
    acc: MomentStats | None = None
    for X, y in part.chunks(check=False):
        s = moment_stats_fast(X, y)
        acc = s if acc is None else acc.merge(s)
    assert acc is not None  # a partition holds rows (parquet_partitions)
    return acc


def parquet_moments(src: ChunkSource, parts: Sequence[Partition]) -> MomentStats:
    """:class:`MomentStats` of ``src`` over ``parts`` as one map-reduce; equal to the stream's
    :func:`~descend.data.stream.stats_from_file` to ~1e-15 relative (Chan's merge)."""
    from descend.data.dask_rows import merge_stats

    out = _map_reduce(src, parts, _moments, merge_stats)
    if out.n == 0:  # pragma: no cover - empty row groups make no partition
        raise DataError(f"{src.files[0]}: has no rows")
    return out  # type: ignore[no-any-return]


def _stack_r(*Rs: Array) -> Array:
    """TSQR's merge: the ``R`` of ``[R_1; R_2; ...]`` is the ``R`` of their rows together."""
    return np.asarray(np.linalg.qr(np.vstack(Rs), mode="r"), dtype=np.float64)


class ParquetResiduals:
    """:class:`~descend.data.source.ResidualPasses` over Parquet partitions on the cluster: each
    pass is the stream's pass (:mod:`descend.data.stream`) on every partition, summed."""

    def __init__(self, src: ChunkSource, parts: Sequence[Partition]):
        self.src, self.parts = src, list(parts)

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        from descend.data.dask_rows import _add_parts
        from descend.data.stream import centred_residuals_stream

        zr, sr, rr, n = _map_reduce(self.src, self.parts, centred_residuals_stream, _add_parts,
                                    mean, scale, float(y0), v, float(c))
        return np.asarray(zr, dtype=np.float64), float(sr), float(rr), int(n)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        from descend.data.dask_rows import _add_parts
        from descend.data.stream import anchored_residuals_stream

        zr, sr, rr, n = _map_reduce(self.src, self.parts, anchored_residuals_stream, _add_parts,
                                    mean, scale, float(b), w, dv, float(c))
        return np.asarray(zr, dtype=np.float64), float(sr), float(rr), int(n)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        from descend.data.stream import r_factor_stream

        return _map_reduce(self.src, self.parts, r_factor_stream, _stack_r,  # type: ignore[no-any-return]
                           mean, scale)


def _read_part(src: ChunkSource, pieces: tuple[Piece, ...], rows: int) -> tuple[Array, Array]:
    """One partition's ``(X, y)`` (``X`` column-major, as the stream's chunks are)."""
    from dataclasses import replace

    chunks = list(_part(replace(src, chunk_rows=max(rows, 1)), pieces).chunks(check=False))
    if len(chunks) == 1:
        return chunks[0]
    X = np.asfortranarray(np.concatenate([c[0] for c in chunks]))
    return X, np.concatenate([c[1] for c in chunks])


def parquet_xy(src: ChunkSource, parts: Sequence[Partition]) -> tuple[Any, Any]:
    """``(X, y)`` of ``src`` as Dask arrays with one chunk a partition (lengths from the
    footers); computing or persisting both reads each partition once."""
    import dask.array as da
    from dask import delayed

    xs, ys = [], []
    for pieces, rows in parts:
        block = delayed(_read_part, pure=False, nout=2)(src, pieces, rows)
        xs.append(da.from_delayed(block[0], shape=(rows, src.d), dtype=np.float64))
        ys.append(da.from_delayed(block[1], shape=(rows,), dtype=np.float64))
    return da.concatenate(xs, axis=0), da.concatenate(ys, axis=0)


def prepare_parquet_dask(src: ChunkSource, *, source: str, loss: str, epsilon: float) -> Prepared:
    """The Parquet source ``src`` on the active Dask cluster as a fit's row source.

    The squared loss: one map-reduce of moments (:func:`parquet_moments`), and the stream's
    refinement passes on every partition if the design asks for them
    (:class:`ParquetResiduals`: none at condition number <= 100). Other losses: the partitions
    persisted once, every step from worker memory (:func:`parquet_xy`,
    :func:`~descend.data.dask_rows.prepare_dask_xy`).
    """
    from dataclasses import replace

    from descend.data.checks import checked_stats
    from descend.data.dask_rows import moments_exact, prepare_dask_xy
    from descend.data.scaling import small_feature_scales
    from descend.data.source import Prepared

    parts = parquet_partitions(src)
    if not moments_exact(loss):
        X, y = parquet_xy(src, parts)
        return prepare_dask_xy(X, y, src.feature_names, src.target_name, source=source,
                               loss=loss, epsilon=epsilon, explain=src.explain)
    stats = parquet_moments(src, parts)
    scale = small_feature_scales(stats)
    if scale is not None:  # subnormal squares: the features read again times 2^k (exact)
        src = replace(src, feature_scale=scale)
        stats = parquet_moments(src, parts)
    stats = checked_stats(stats, source, src.feature_names, src.target_name, explain=src.explain)
    return Prepared(
        stats=stats,
        feature_names=tuple(src.feature_names),
        target_name=src.target_name,
        source=source,
        rows=ParquetResiduals(src, parts),
        feature_scale=scale,
    )
