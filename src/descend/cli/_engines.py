"""Where the rows of ``descend fit`` live: in memory, streamed from files, or on a Dask cluster.

Every engine ends in the same estimator hooks, so the answers agree to rounding:

- ``numpy`` (default): the file is loaded into memory (:func:`descend.data.load_table`).
- ``stream``: the file is read in chunks of ``--chunk-rows`` rows and never held whole. The
  squared loss takes one pass of statistics (``stats_from_file``) and steps from them
  (``LinearRegression._fit_stats``), refined by streamed passes of centred residuals
  (``centred_residuals_stream``) when the preconditioned solver runs; huber and absolute error take one more streamed pass per
  step (``loss_and_grad_stream``); mini-batches come from ``iter_minibatches``.
- ``dask``: the file is read with ``dask.dataframe``; statistics are one map-reduce
  (``moment_stats_dask``), other losses one map-reduce per step over persisted partitions
  (``loss_and_grad_dask``).

DATA may be a URL (``s3://``, ``gs://``, ``https://``...): the in-memory engine fetches the
object, the stream engine reads it in blocks through fsspec, and Dask's readers get the URL
with the ``storage_options`` (``--storage-option``), so each worker reads its own partitions
(:mod:`descend.io._remote`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from descend._lazy import lazy_module
from descend.errors import DataError, InputError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from descend.data.stats import MomentStats

    Array = NDArray[np.float64]
else:
    np = lazy_module("numpy")  # descend --help must not load NumPy

ENGINES = ("numpy", "stream", "dask")

__all__ = ["ENGINES", "Prepared", "dask_client", "prepare_dask", "prepare_stream"]


@dataclass(frozen=True)
class Prepared:
    """A data set reduced to what a fit needs: its moments, names and (if asked) row passes."""

    stats: MomentStats
    feature_names: tuple[str, ...]
    target_name: str
    source: str
    passes: Any = None  # a descend.models.linear.RowPasses, or None for the squared loss
    rows: Any = None  # squared loss: residual passes for the refinement (ResidualPasses)

    @property
    def n(self) -> int:
        return int(self.stats.n)

    @property
    def d(self) -> int:
        return int(self.stats.d)


def _check_stats(
    stats: MomentStats, source: str, features: Any = (), target: str = "y"
) -> MomentStats:
    """The checks the in-memory loader makes, from the moments (same verdicts, same words)."""
    from descend.data.checks import check_stats

    if stats.n < 2:
        raise DataError(
            f"{source}: has only {stats.n} data row; fitting needs at least 2 "
            "(a line through one point is not determined)"
        )
    check_stats(stats, source, list(features), target)
    parts = (stats.mean_x, stats.mean_y, stats.cxx, stats.cxy, stats.cyy)
    if not all(np.isfinite(p).all() for p in parts):
        raise DataError(
            f"{source}: its cross-products overflow float64; rescale the columns (divide "
            "them by a power of ten) and fit again"
        )
    return stats


# ------------------------------------------------------------------------------- stream


class StreamRows:
    """Row passes over a :class:`~descend.scale.stream.ChunkSource`: one read per pass."""

    def __init__(self, source: Any, loss: str, epsilon: float):
        self.source, self.loss, self.epsilon = source, loss, epsilon

    def full(self, w: Array, b: float) -> tuple[float, Array, float]:
        from descend.scale.stream import loss_and_grad_stream

        return loss_and_grad_stream(self.source, w, b, self.loss, self.epsilon)

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, Array]]:
        from descend.scale.stream import iter_minibatches

        return iter_minibatches(self.source, batch_size, rng, shuffle=shuffle)

    def max_row_norm2(self, mean: Array, scale: Array) -> float:
        top = 0.0
        for X, _ in self.source.chunks():
            Z = (X - mean) / scale
            top = max(top, float(np.einsum("ij,ij->i", Z, Z).max()))
        return top


class StreamResiduals:
    """Refinement passes of the squared loss over a stream: one read of the file each."""

    def __init__(self, source: Any):
        self.source = source

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        from descend.scale.stream import centred_residuals_stream

        return centred_residuals_stream(self.source, mean, scale, y0, v, c)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        from descend.scale.stream import anchored_residuals_stream

        return anchored_residuals_stream(self.source, mean, scale, b, w, dv, c)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        from descend.scale.stream import r_factor_stream

        return r_factor_stream(self.source, mean, scale)


def prepare_stream(
    data: str,
    *,
    target: str | None,
    features: str | None,
    chunk_rows: int | None,
    rows_needed: bool,
    loss: str,
    epsilon: float,
    progress: Callable[[int, int | None], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Prepared:
    """One streamed pass of statistics; row passes too when the fit needs them."""
    from descend.scale.stream import open_source, stats_from_file

    if chunk_rows is not None and chunk_rows < 1:
        raise InputError(f"--chunk-rows {chunk_rows}: give a positive number of rows")
    src = open_source(
        data, target=target, features=features, chunk_rows=chunk_rows,
        storage_options=storage_options,
    )
    stats, names, tname = stats_from_file(src, progress=progress)
    return Prepared(
        stats=_check_stats(stats, data, names, tname),
        feature_names=tuple(names),
        target_name=tname,
        source=data,
        passes=StreamRows(src, loss, epsilon) if rows_needed else None,
        rows=StreamResiduals(src) if loss == "squared_error" else None,
    )


# ------------------------------------------------------------------------------- dask


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler``, or on a local cluster started (and closed) here.

    The local cluster has one worker process per core and one thread each: the fused kernels
    are parallel themselves, and processes keep the GIL out of the way.
    """
    try:
        import distributed
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise InputError("--engine dask needs the 'distributed' package installed") from None
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s", set_as_default=True)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"--scheduler {scheduler}: cannot connect ({type(exc).__name__}); start one with "
                "'dask scheduler' or leave --scheduler out for a local cluster"
            ) from None
        with client:
            yield client
        return
    import logging
    import os
    import signal

    # The worker processes start with Ctrl-C ignored (they inherit it): a Ctrl-C in the
    # terminal reaches the whole process group, and only this process should stop -- at a
    # step boundary, saving its checkpoint -- and then close the cluster, instead of every
    # worker printing a KeyboardInterrupt traceback.
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        previous = None
    try:
        cluster = distributed.LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # a task that fails (a bad line of a CSV) is reported by this process in one
            # line; the workers' own "Compute Failed" log with its traceback is not printed
            silence_logs=logging.CRITICAL,
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    try:
        with distributed.Client(cluster, set_as_default=True) as client:
            yield client
    finally:
        cluster.close()


def _read_dask(data: str, source: Any) -> Any:
    """The source's rows as a Dask DataFrame, read with the layout the shared sniffer found
    (the stream engine's :class:`ChunkSource` carries it): same names, header, encoding and
    missing-value words as the in-memory reader."""
    import dask.dataframe as dd

    from descend.data._csv import MISSING

    cols = [*source.feature_names, source.target_name]
    # URLs (s3://...): each worker opens its partitions through fsspec with these options
    remote = {"storage_options": source.storage_options} if source.storage_options else {}
    if source.kind == "parquet":
        return dd.read_parquet(list(source.files), columns=cols, **remote)
    missing = sorted({v for m in MISSING for v in (m, m.upper(), m.title())})
    from descend.io._compressed import plain_copy
    from descend.io._remote import is_url

    first = source.files[0]
    copy = None if is_url(str(first)) else plain_copy(first)  # .csv.zst: one decompressed copy
    frame = dd.read_csv(
        str(copy) if copy is not None else first,
        sep=source._csv_sep,
        header=None,
        skiprows=1 if source._csv_header else 0,
        names=list(source.columns),
        # every column read, the others as text: with usecols, pandas silently drops the
        # extra fields of a row that has too many (`3,4,7,9` under `a,b,y` became a=3, b=4,
        # y=7), where the other engines refuse the line; without it, the tokenizer refuses it
        dtype={c: "float64" if c in cols else "object" for c in source.columns},
        encoding="utf-8-sig" if source._csv_encoding == "utf-8-sig" else source._csv_encoding,
        na_values=missing,
        keep_default_na=False,
        skipinitialspace=True,
        skip_blank_lines=True,
        **remote,
    )
    return frame if list(frame.columns) == cols else frame[cols]


def prepare_dask(
    data: str,
    client: Any,
    *,
    target: str | None,
    features: str | None,
    rows_needed: bool,
    loss: str,
    epsilon: float,
    storage_options: dict[str, Any] | None = None,
) -> Prepared:
    """Statistics as one map-reduce; persisted partitions for per-step passes when needed."""
    from descend.scale.dask_engine import DaskResiduals, DaskRows, moment_stats_dask
    from descend.scale.stream import open_source

    # Column discovery (header, separator, names) as the stream engine does it, so every
    # engine picks the same target and features; it reads only the header or the footers.
    src = open_source(data, target=target, features=features, storage_options=storage_options)
    try:
        frame = _read_dask(data, src)
        # One array of [features..., target], split afterwards: selecting columns of the frame
        # lets dask-expr fuse small Parquet files into fewer partitions than the row counts it
        # computed ("lengths do not match the number of partitions").
        both = frame.astype("float64").to_dask_array(lengths=True)
        d = len(src.feature_names)
        X, y = both[:, :d], both[:, d]
        if rows_needed:
            X, y = client.persist([X, y])
        stats = moment_stats_dask(X, y)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, OSError) as exc:
        if isinstance(exc, DataError):
            raise
        src.explain()  # a CSV's first bad line, in the in-memory reader's words
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{data}: cannot be read as numbers ({first[:200]})") from None
    if not all(np.isfinite(p).all() for p in (stats.mean_x, stats.mean_y, stats.cxx, stats.cyy)):
        src.explain()  # inf/NaN in a CSV: name the line and column as the other engines do
    return Prepared(
        stats=_check_stats(stats, data, src.feature_names, src.target_name),
        feature_names=tuple(src.feature_names),
        target_name=src.target_name,
        source=data,
        passes=DaskRows(X, y, loss, epsilon) if rows_needed else None,
        rows=DaskResiduals(X, y) if loss == "squared_error" else None,
    )


def __getattr__(name: str) -> Any:
    # The Dask row passes live in descend.scale.dask_engine (the library fits Dask data too);
    # imported on first use, as descend.scale loads numba.
    if name in ("DaskResiduals", "DaskRows"):
        from descend.scale import dask_engine

        return getattr(dask_engine, name)
    raise AttributeError(name)
