"""The passes a fit needs over a file larger than memory, one streamed read each.

- Squared loss: :func:`stats_from_file` reduces the stream to :class:`MomentStats` (each chunk
  by the fused kernel, chunks merged with Chan's formula); every later step costs O(d^2), and
  the refinement reads the rows again only for residuals (:class:`StreamResiduals`).
- Other losses: :func:`loss_and_grad_stream` is one full-batch gradient as one pass
  (:class:`StreamRows`).
- Mini-batches: :func:`iter_minibatches` shuffles across chunks (Parquet row groups are read
  in a random order, several mixed in a shuffle buffer) and within them (rows permuted).

The chunks come from a :class:`~descend.data.chunks.ChunkSource`. Progress is reported
through an optional ``progress(rows_done, rows_total)`` callable (the total is ``None`` where
the format cannot tell it cheaply); the library never prints.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data._kernels import kernel_threads, loss_and_grad_fast, moment_stats_fast
from descend.data.chunks import ChunkSource, open_source
from descend.data.source import Prepared
from descend.data.stats import MomentStats
from descend.errors import DataError, InputError

Array = NDArray[np.float64]
Progress = Callable[[int, "int | None"], None]

__all__ = [
    "ChunkSource",
    "StreamResiduals",
    "StreamRows",
    "anchored_residuals_stream",
    "centred_residuals_stream",
    "iter_minibatches",
    "loss_and_grad_stream",
    "open_source",
    "prepare_stream",
    "r_factor_stream",
    "stats_from_file",
]


def _stream_threads() -> int | None:
    """Kernel threads while streaming: all cores but the reader's (at least one)."""
    cpus = os.cpu_count() or 1
    return max(1, cpus - 1)


_KERNEL_LOAD: list[threading.Thread] = []


def _start_kernel_load() -> None:
    """Load the compiled moments kernel on a background thread, once per process.

    Loading it (numba's import and its cached machine code) costs about a second of one core;
    on the pass's thread that second stalled the readers, whose queues filled. Started before
    the file is opened, it overlaps the opening and the first chunks' decoding. Where the kernel
    is not compiled yet, the facade's first call does what it always does (NumPy, and a
    background compile for the next run).
    """
    if _KERNEL_LOAD:
        return

    def load() -> None:
        try:  # (no kernel_threads here: its BLAS limit is process-wide, the pass's own)
            moment_stats_fast(np.zeros((2, 2), order="F"), np.zeros(2))
        except Exception:  # noqa: BLE001 - the pass's own first call will say what is wrong
            pass

    t = threading.Thread(target=load, name="descend-kernel-load", daemon=True)
    _KERNEL_LOAD.append(t)
    try:
        t.start()
    except RuntimeError:  # "can't start new thread" (a tight ulimit -v): loaded on first use
        pass


def stats_from_file(
    path: str | Path | Sequence[str | Path] | ChunkSource,
    target: str | None = None,
    features: str | Sequence[str] | None = None,
    chunk_rows: int | None = None,
    *,
    progress: Progress | None = None,
    storage_options: dict[str, Any] | None = None,
) -> tuple[MomentStats, tuple[str, ...], str]:
    """:class:`MomentStats` of a file of any size in one streamed pass, in constant memory.

    Returns ``(stats, feature_names, target_name)``; ``LinearRegression.fit_moments(stats,
    feature_names)`` then fits the squared loss without touching the data again.
    """
    _start_kernel_load()
    src = path if isinstance(path, ChunkSource) else open_source(
        path, target=target, features=features, chunk_rows=chunk_rows,
        storage_options=storage_options,
    )
    acc: MomentStats | None = None
    done = 0
    with kernel_threads(_stream_threads()):
        for X, y in src.chunks(check=False):
            s = moment_stats_fast(X, y)
            if not (np.isfinite(s.cxx).all() and np.isfinite(s.cxy).all()
                    and np.isfinite(s.cyy)):
                src.check_finite(X, y)  # non-finite moments: find and name the column
            acc = s if acc is None else acc.merge(s)
            done += X.shape[0]
            if progress is not None:
                progress(done, src.n_rows)
    if acc is None:
        raise DataError(f"{src.files[0]}: has no rows")
    return acc, src.feature_names, src.target_name


def loss_and_grad_stream(
    source: ChunkSource,
    w: Array,
    b: float,
    loss: str = "squared_error",
    epsilon: float = 1.35,
    *,
    progress: Progress | None = None,
) -> tuple[float, Array, float]:
    """Full-batch ``(loss, dL/dw, dL/db)`` over every row of ``source``, one streamed pass."""
    tot_l, tot_g, tot_b, n = 0.0, np.zeros(source.d), 0.0, 0
    with kernel_threads(_stream_threads()):
        for X, y in source.chunks(check=False):
            m = X.shape[0]
            lv, g, gb = loss_and_grad_fast(X, y, w, b, loss, epsilon)
            if not (np.isfinite(lv) and np.isfinite(g).all()):
                source.check_finite(X, y)  # bad data, or a diverging w: name the column
            tot_l += lv * m
            tot_g += g * m
            tot_b += gb * m
            n += m
            if progress is not None:
                progress(n, source.n_rows)
    if n == 0:
        raise DataError(f"{source.files[0]}: has no rows")
    return tot_l / n, tot_g / n, tot_b / n


def centred_residuals_stream(
    source: ChunkSource, mean: Array, scale: Array, y0: float, v: Array, c: float
) -> tuple[Array, float, float, int]:
    """One streamed pass of centred residuals for the refinement of a squared-loss fit.

    With ``z = (x - mean) / scale`` and ``r = y - y0 - c - z . v`` returns
    ``(sum z r, sum r, sum r^2, n)``: centring every chunk on the global means keeps a large
    offset in the data from costing digits (see :mod:`descend.models._whitened`).
    """
    return _residual_sums(source, mean, scale, lambda X, y, Z: (y - y0) - c - Z @ v)


def anchored_residuals_stream(
    source: ChunkSource, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
) -> tuple[Array, float, float, int]:
    """Like :func:`centred_residuals_stream`, measured from the anchor ``(b, w)``.

    ``r = (y - b - X w) - c - z . dv`` with the bracket computed to twice the working precision
    (:func:`descend.data.stats.residual_compensated`), so refinement around ``(b, w)`` reaches
    the in-memory fit's last digits; returns ``(sum z r, sum r, sum r^2, n)``.
    """
    from descend.data.stats import residual_compensated

    return _residual_sums(
        source, mean, scale, lambda X, y, Z: residual_compensated(X, y, b, w) - c - Z @ dv
    )


def _residual_sums(
    source: ChunkSource, mean: Array, scale: Array, residual: Any
) -> tuple[Array, float, float, int]:
    """One pass: ``(sum z r, sum r, sum r^2, n)`` with ``r = residual(X, y, Z)`` per chunk."""
    zr, sr, rr, n = np.zeros(source.d), 0.0, 0.0, 0
    for X, y in source.chunks(check=False):
        Z = (X - mean) / scale
        r = residual(X, y, Z)
        zr += Z.T @ r
        sr += float(r.sum())
        rr += float(r @ r)
        n += X.shape[0]
    if n == 0:
        raise DataError(f"{source.files[0]}: has no rows")
    return zr, sr, rr, n


def r_factor_stream(source: ChunkSource, mean: Array, scale: Array) -> Array:
    """The triangular factor ``R`` of ``Z = (X - mean) / scale`` (``Z = Q R``), in one pass.

    Sequential TSQR: each chunk is stacked under the ``R`` so far and re-factored by
    Householder QR (``numpy.linalg.qr(mode='r')``), so memory stays at one chunk. ``R`` from a
    QR resolves singular values down to ``eps x`` the largest, where the moments' Gram matrix
    stops at ``sqrt(eps)``: the preconditioned fit uses it above condition number 1e5.
    """
    R: Any = np.zeros((0, source.d))
    for X, _ in source.chunks(check=False):
        R = np.linalg.qr(np.vstack([R, (X - mean) / scale]), mode="r")  # mode "r": R alone
    return np.asarray(R, dtype=np.float64)


def iter_minibatches(
    source: ChunkSource,
    batch_size: int,
    rng: np.random.Generator | int | None = None,
    *,
    shuffle: bool = True,
    buffer_chunks: int = 4,
) -> Iterator[tuple[Array, Array]]:
    """One epoch of mini-batches, shuffled across and within chunks.

    Parquet row groups are read in a random order; ``buffer_chunks`` of them at a time are
    pooled and their rows permuted, so a batch mixes rows of several parts of the file. A CSV
    cannot be read out of order: its consecutive chunks are pooled and permuted the same way.
    The same ``rng`` seed gives the same batches. The last batch of the epoch may be smaller.
    """
    if batch_size < 1:
        raise DataError(f"batch_size={batch_size} must be a positive number of rows")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def chunk_stream() -> Iterator[tuple[Array, Array]]:
        pieces = source.pieces() if shuffle else []
        if not pieces:
            yield from source.chunks()
            return
        for k in gen.permutation(len(pieces)):
            yield from source.read_piece(pieces[int(k)])

    pool: list[tuple[Array, Array]] = []
    carry: tuple[Array, Array] | None = None

    def drain(final: bool) -> Iterator[tuple[Array, Array]]:
        nonlocal pool, carry
        parts = ([carry] if carry is not None else []) + pool
        pool = []
        carry = None
        if not parts:
            return
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        if shuffle:
            perm = gen.permutation(X.shape[0])
            X, y = X[perm], y[perm]
        full = (X.shape[0] // batch_size) * batch_size
        for lo in range(0, full, batch_size):
            yield X[lo : lo + batch_size], y[lo : lo + batch_size]
        if full < X.shape[0]:
            if final:
                yield X[full:], y[full:]
            else:
                carry = (X[full:], y[full:])

    for X, y in chunk_stream():
        pool.append((X, y))
        if len(pool) >= buffer_chunks:
            yield from drain(final=False)
    yield from drain(final=True)


class StreamRows:
    """:class:`~descend.data.source.RowPasses` over a :class:`ChunkSource`: one read per pass."""

    def __init__(self, source: Any, loss: str, epsilon: float):
        self.source, self.loss, self.epsilon = source, loss, epsilon

    def full(self, w: Array, b: float) -> tuple[float, Array, float]:
        return loss_and_grad_stream(self.source, w, b, self.loss, self.epsilon)

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, Array]]:
        return iter_minibatches(self.source, batch_size, rng, shuffle=shuffle)

    def max_row_norm2(self, mean: Array, scale: Array) -> float:
        top = 0.0
        for X, _ in self.source.chunks():
            Z = (X - mean) / scale
            top = max(top, float(np.einsum("ij,ij->i", Z, Z).max()))
        return top


class StreamResiduals:
    """:class:`~descend.data.source.ResidualPasses` over a stream: one read of the file each."""

    def __init__(self, source: Any):
        self.source = source

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        return centred_residuals_stream(self.source, mean, scale, y0, v, c)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        return anchored_residuals_stream(self.source, mean, scale, b, w, dv, c)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        return r_factor_stream(self.source, mean, scale)


def prepare_stream(
    data: str,
    *,
    target: str | None,
    features: str | Sequence[str] | None,
    chunk_rows: int | None,
    rows_needed: bool,
    loss: str,
    epsilon: float,
    progress: Callable[[int, int | None], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Prepared:
    """One streamed pass of statistics of ``data`` (a file, folder, glob or URL), refused as
    the in-memory loader refuses it; row passes too when the fit needs them (``rows_needed``:
    a loss other than squared, or mini-batches). ``--chunk-rows`` is the flag's name."""
    if chunk_rows is not None and chunk_rows < 1:
        raise InputError(f"--chunk-rows {chunk_rows}: give a positive number of rows")
    from descend.data.memory import check_stream_fits

    check_stream_fits(data)
    _start_kernel_load()  # under a tight ulimit -v the reader would hang, not fail
    src = open_source(
        data, target=target, features=features, chunk_rows=chunk_rows,
        storage_options=storage_options,
    )
    stats, names, tname = stats_from_file(src, progress=progress)
    from descend.data.checks import checked_stats
    from descend.data.scaling import small_feature_scales

    scale = small_feature_scales(stats)
    if scale is not None:  # subnormal squares: read the features again times 2^k (exact)
        from dataclasses import replace

        src = replace(src, feature_scale=scale)
        stats, names, tname = stats_from_file(src, progress=progress)
    return Prepared(
        stats=checked_stats(stats, data, names, tname, explain=lambda: None),
        feature_names=tuple(names),
        target_name=tname,
        source=data,
        passes=StreamRows(src, loss, epsilon) if rows_needed else None,
        rows=StreamResiduals(src) if _moments_exact(loss) else None,
        feature_scale=scale,
    )


def _moments_exact(loss: str) -> bool:
    """Whether the moments solve ``loss`` exactly (the squared loss): the loss registry's word,
    not a comparison of names."""
    from descend.losses import get_loss

    return bool(get_loss(loss).moments_exact)
