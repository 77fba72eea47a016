"""Which engine reads a data set, and the data set prepared on it for a fit.

:func:`open_rows` is the one call from a DATA argument and the fit's needs (loss, mini-batches)
to a :class:`~descend.data.source.Prepared` on the chosen engine: ``numpy`` (loaded, a
:class:`~descend.data.table.Table`), ``stream`` (chunks, :mod:`descend.data.stream`) or
``dask`` (partitions on a cluster, :mod:`descend.data.dask_rows`).

When the user did not say, the data's size decides (:func:`choose_engine`).

``descend fit big.parquet`` must not load 2.7 GB into memory (the in-memory engine peaks at
about twice the data as float64, plus the reader's copy): past :data:`STREAM_BYTES` of
float64 the default streams the file in chunks (peak ~0.5 GB whatever its size), below it the
data is loaded, which is fastest for what fits comfortably.

The size is estimated without reading the data: for Parquet, rows x columns x 8 bytes from the
files' metadata; for CSV, the file's size (a float written as text takes 8-25 characters, so
the float64 array is about the size of the text or smaller -- an upper bound that errs towards
streaming). A folder or glob of files always streams (the in-memory engine reads one file),
and so does a local file that would not fit in the memory this process may use
(:mod:`descend.data.memory`): loading it would fail, or abort the process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from descend._lazy import lazy_module
from descend.data.memory import float64_bytes
from descend.errors import DataError, InputError

if TYPE_CHECKING:
    import numpy as np

    from descend.data.chunks import ChunkSource
    from descend.data.source import Prepared
else:
    np = lazy_module("numpy")  # descend --help must not load NumPy

__all__ = [
    "ENGINES",
    "STREAM_BYTES",
    "choose_engine",
    "dask_client",
    "float64_bytes",
    "open_rows",
    "prepare_dask",
    "read_dask",
]

#: The engines a fit runs on: rows in memory, streamed from files, on a Dask cluster.
ENGINES = ("numpy", "stream", "dask")

#: Estimated float64 bytes above which the default engine streams (512 MiB).
STREAM_BYTES = 512 << 20


def choose_engine(
    paths: Sequence[str | os.PathLike[str]],
    *,
    single: bool,
    storage_options: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """``(engine, why)`` for data made of ``paths``; ``single``: one file named directly.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = os.path.join(d, "small.csv")
    ...     _ = open(f, "w").write("x,y\\n1,2\\n2,4\\n")
    ...     choose_engine([f], single=True)[0]
    'numpy'
    """
    if not single:
        return "stream", "a folder or glob of files is streamed"
    size = float64_bytes(paths, storage_options)
    if size > STREAM_BYTES:
        return "stream", (
            f"the data is about {size / 2**30:.2g} GiB as float64 (> {STREAM_BYTES >> 20} MiB): "
            "streamed in chunks, never held whole; --engine numpy loads it instead"
        )
    from descend.data.memory import memory_shortfall

    short = None if any(_is_url(p) for p in paths) else memory_shortfall(size)
    if short is not None:  # loading it would fail (or abort the process): streamed instead
        return "stream", (
            f"the data is about {size / 2**20:.3g} MiB as float64 and {short}: streamed in "
            "chunks, never held whole"
        )
    return "numpy", f"the data is about {size / 2**20:.3g} MiB as float64: loaded into memory"


def _is_url(path: str | os.PathLike[str]) -> bool:
    from descend.data.urls import is_url

    return bool(is_url(path))


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler``, or on a local cluster started (and closed) here.

    The local cluster has one worker per core, one thread each, in this process: the fused
    kernels and Arrow's reader release the GIL, so threads run in parallel, and a worker
    process would pay its start and its own imports of NumPy, Arrow and numba (measured on 2
    cores, a 1e7 x 10 Parquet fit: 13.8 s of CPU with 2 worker processes, 6.0 s with 2 worker
    threads, 4.7 s streamed). A cluster of processes is one ``--scheduler`` away.
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

    cluster = distributed.LocalCluster(
        n_workers=os.cpu_count() or 1,
        threads_per_worker=1,
        processes=False,
        memory_limit=0,  # one process: a worker's share of memory is not its own to watch
        dashboard_address=None,
        # a task that fails (a bad line of a CSV) is reported by this process in one
        # line; the workers' own "Compute Failed" log with its traceback is not printed
        silence_logs=logging.CRITICAL,
    )
    try:
        with distributed.Client(cluster, set_as_default=True) as client:
            yield client
    finally:
        _close_quietly(cluster)


def _close_quietly(cluster: Any) -> None:
    """Close the local cluster started here. After a Ctrl-C its event loop's tasks are
    cancelled and a nanny may not stop its worker in time: distributed raises TimeoutError or
    CancelledError from the close, which would replace the interrupt (or the fit's result) by
    a traceback. Its workers are threads of this process, ended with it either way."""
    import asyncio

    try:
        cluster.close()
    except (TimeoutError, asyncio.CancelledError, OSError, RuntimeError):
        pass


def read_dask(source: ChunkSource) -> Any:
    """The chosen columns of a file source as a Dask DataFrame, read with the layout the
    shared sniffer found (a :class:`~descend.data.chunks.ChunkSource` carries it): the same
    names, header, encoding and missing-value words as the in-memory reader."""
    import dask.dataframe as dd

    from descend.data._csv import MISSING

    cols = [*source.feature_names, source.target_name]
    # URLs (s3://...): each worker opens its partitions through fsspec with these options
    remote = {"storage_options": source.storage_options} if source.storage_options else {}
    if source.kind == "parquet":
        return dd.read_parquet(list(source.files), columns=cols, **remote)
    missing = sorted({v for m in MISSING for v in (m, m.upper(), m.title())})
    from descend.data.urls import is_url
    from descend.io._compressed import plain_copy

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
        # pandas' nullable Float64, not float64: with float64 the C parser falls back to
        # its bool reading and turns `true`/`false` into 1.0/0.0, where the other engines
        # refuse the cell; Float64 parses the same numbers (measured: the same values and
        # time on 3e6 cells) and refuses `true` like they do
        dtype={c: "Float64" if c in cols else "object" for c in source.columns},
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
    *,
    target: str | None,
    features: str | Sequence[str] | None,
    loss: str,
    epsilon: float,
    storage_options: dict[str, Any] | None = None,
) -> Prepared:
    """A file, folder, glob or URL on the active Dask cluster as a fit's row source
    (:func:`descend.data.dask_rows.prepare_dask_xy`, the library's route too)."""
    from descend.data.chunks import open_source
    from descend.data.dask_rows import prepare_dask_xy

    # Column discovery (header, separator, names) as the stream engine does it, so every
    # engine picks the same target and features; it reads only the header or the footers.
    src = open_source(data, target=target, features=features, storage_options=storage_options)
    try:
        if src.kind == "parquet":  # row groups as partitions, no dask.dataframe (dask_files)
            from descend.data.dask_files import prepare_parquet_dask

            return prepare_parquet_dask(src, source=data, loss=loss, epsilon=epsilon)
        # One array of [features..., target], split by the design stage: selecting columns of
        # the frame lets dask-expr fuse small Parquet files into fewer partitions than the row
        # counts it computed ("lengths do not match the number of partitions").
        both = read_dask(src).astype("float64").to_dask_array(lengths=True)
        X, y = src.design.split(both)
        return prepare_dask_xy(
            X, y, src.feature_names, src.target_name, source=data, loss=loss,
            epsilon=epsilon, explain=src.explain,
        )
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, OSError) as exc:
        if isinstance(exc, DataError):
            raise
        src.explain()  # a CSV's first bad line, in the in-memory reader's words
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{data}: cannot be read as numbers ({first[:200]})") from None


@contextmanager
def open_rows(
    data: str,
    engine: str,
    *,
    target: str | None = None,
    features: str | Sequence[str] | None = None,
    loss: str = "squared_error",
    epsilon: float = 1.35,
    batch_size: int | None = None,
    chunk_rows: int | None = None,
    scheduler: str | None = None,
    storage_options: dict[str, Any] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Iterator[Prepared]:
    """``data`` prepared on ``engine`` (one of :data:`ENGINES`) for a fit of ``loss``.

    ``numpy``: loaded (:func:`~descend.data.load_table`; the :class:`Prepared` holds the
    table); ``stream``: one streamed pass of moments, row passes if the loss or mini-batches
    (``batch_size``) need them (``chunk_rows`` rows a chunk, ``progress`` told of each);
    ``dask``: a map-reduce of moments on ``scheduler`` (or a local cluster started and closed
    here). A context: the cluster stays up while the fit runs inside it.
    """
    from descend.data.source import Prepared

    if engine == "numpy":
        from descend.data.load import load_table

        table = load_table(data, target=target, features=features,
                           storage_options=storage_options)
        yield Prepared(None, table.feature_names, table.target_name, table.source, table=table)
    elif engine == "stream":
        from descend.data.stream import prepare_stream

        rows = not _moments_exact(loss) or batch_size is not None
        yield prepare_stream(
            data, target=target, features=features, chunk_rows=chunk_rows, rows_needed=rows,
            loss=loss, epsilon=epsilon, progress=progress, storage_options=storage_options,
        )
    elif engine == "dask":
        with dask_client(scheduler):
            yield prepare_dask(
                data, target=target, features=features, loss=loss, epsilon=epsilon,
                storage_options=storage_options,
            )
    else:
        raise InputError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")


def _moments_exact(loss: str) -> bool:
    """Whether the moments solve ``loss`` exactly (the squared loss): the loss registry's word,
    not a comparison of names."""
    from descend.losses import get_loss

    return bool(get_loss(loss).moments_exact)
