"""Files larger than memory, read in chunks: a :class:`ChunkSource` and :func:`open_source`.

A :class:`ChunkSource` names a Parquet file, a folder of Parquet files, a glob, or a CSV file,
and yields ``(X, y)`` float64 chunks of at most ``chunk_rows`` rows; memory stays at a few
chunks whatever the file's size. Parquet goes through :mod:`pyarrow.dataset` for discovery
(folders, globs, schema, row count from the footers) and :class:`pyarrow.parquet.ParquetFile`
for buffered, column-pruned reads; CSV through :func:`pyarrow.csv.open_csv` (a streaming
reader) with the layout the shared sniffer found. The chosen columns become ``(X, y)`` in the
design-matrix stage (:mod:`descend.data.design`), as on every engine. The passes over the
chunks (moments, gradients, residuals, mini-batches) are in :mod:`descend.data.stream`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data._parquet import is_parquet_name
from descend.data.design import Design, choose_design
from descend.errors import DataError

Array = NDArray[np.float64]

__all__ = ["DEFAULT_CHUNK_BYTES", "ChunkSource", "default_chunk_rows", "open_source"]

# Bytes of float64 per chunk when no row count is given: 131072 rows at 10 features plus the
# target. A fixed row count made wide files hold ten times more (d = 100: 105 MB chunks, three
# of them in flight with the prefetch, peak RSS 1.24 GB for a streamed huber fit; measured).
DEFAULT_CHUNK_BYTES = (1 << 17) * 11 * 8


#: Chunks each reader thread holds ahead of the pass (see :mod:`descend.data._parallel`): with
#: two threads ~2 x 9 x 11 MB in flight at the default chunk size.
PARALLEL_DEPTH = 8


def default_chunk_rows(d: int) -> int:
    """Rows per chunk for ``d`` features: ~11 MB of float64 (131072 rows at d = 10, 14169 at
    d = 100), and never fewer than 4096 rows."""
    return max(4096, DEFAULT_CHUNK_BYTES // (8 * (int(d) + 1)))


def _expand(
    path: str | Path | Sequence[str | Path], storage_options: dict[str, Any] | None = None
) -> tuple[list[str], str]:
    """Files behind ``path`` and their format (``"parquet"`` or ``"csv"``).

    A string is read by :func:`descend.io.data_files`, the rule every engine shares: a path
    that exists is taken literally (``a[1].csv`` is that file), ``glob:PATTERN`` or a missing
    path holding ``*``/``?`` is a glob, a folder stands for its Parquet files.
    """
    from descend.data.urls import is_url
    from descend.io import check_regular_file, data_files

    if isinstance(path, (list, tuple)):
        files = [str(p) for p in path]
        if not files:
            raise DataError("no data files given")
        for f in files:
            if not is_url(f):
                check_regular_file(f)
    else:
        files = [str(f) for f in data_files(str(path), storage_options)[0]]
    kinds = {"parquet" if is_parquet_name(Path(f).suffix) else "csv" for f in files}
    if len(kinds) > 1:
        raise DataError(f"{path}: mixes Parquet and CSV files; stream one format at a time")
    kind = kinds.pop()
    if kind == "csv" and len(files) > 1:
        raise DataError(f"{path}: several CSV files; stream one CSV or convert them to Parquet")
    return files, kind


@dataclass(frozen=True)
class ChunkSource:
    """A re-iterable stream of ``(X, y)`` chunks from files; see :func:`open_source`."""

    files: tuple[str, ...]
    kind: str  # "parquet" | "csv"
    columns: tuple[str, ...]  # every column in the file
    feature_names: tuple[str, ...]
    target_name: str
    chunk_rows: int
    n_rows: int | None  # known for Parquet (from the footers), None for CSV
    _csv_sep: str = ","
    _csv_header: bool = True
    _csv_encoding: str = "utf-8-sig"
    #: fsspec options for URL files (s3://...), see descend.data.urls
    storage_options: Any = None
    #: powers of two each chunk's features are multiplied by (descend.data.scaling), or None
    feature_scale: Any = None

    @property
    def d(self) -> int:
        return len(self.feature_names)

    @cached_property
    def design(self) -> Design:
        """The design-matrix stage of these chunks (:mod:`descend.data.design`)."""
        where = {c: j for j, c in reversed(list(enumerate(self.columns)))}  # first of a name
        chosen = (*self.feature_names, self.target_name)
        return Design(self.columns, tuple(where[c] for c in chosen), self.files[0])

    def __iter__(self) -> Iterator[tuple[Array, Array]]:
        return self.chunks()

    def chunks(self, *, prefetch: int = 2, check: bool = True) -> Iterator[tuple[Array, Array]]:
        """Chunks in file order, read ``prefetch`` chunks ahead on a background thread.

        ``check=False`` skips the per-chunk scan for inf/NaN; a caller that does so checks its
        (O(d^2)) result instead and calls :meth:`check_finite` on a chunk that spoiled it.
        """
        if self.kind == "parquet":
            if prefetch > 0 and not self._remote:
                return self._parquet_parallel(check)
            gen: Iterator[tuple[Array, Array]] = (
                c for f in self.files for c in self._parquet_batches(f, None, check)
            )
        else:
            # blocks parsed in parallel give chunks of at most chunk_rows rows; the passes
            # that check their sums themselves (check=False) take them, the others (shuffled
            # mini-batches pool whole chunks) keep the streaming reader's exact chunk_rows
            if prefetch > 0 and not check and self._csv_blocks_ok:
                from descend.data._csv_blocks import csv_block_chunks

                return csv_block_chunks(self, check)
            gen = self._csv_chunks(check)
        return _prefetched(gen, prefetch) if prefetch > 0 else gen

    @property
    def _remote(self) -> bool:
        from descend.data.urls import is_url

        return any(is_url(f) for f in self.files)

    @property
    def _csv_blocks_ok(self) -> bool:
        """Whether the CSV can be cut into blocks at line ends and parsed in parallel: a
        local, uncompressed file in UTF-8 (other encodings go through the streaming reader)."""
        from descend.io._compressed import codec_of

        f = self.files[0]
        return (not self._remote and codec_of(f) is None
                and self._csv_encoding in ("utf-8", "utf-8-sig", "utf8"))

    def _parquet_parallel(self, check: bool) -> Iterator[tuple[Array, Array]]:
        """The local Parquet files' chunks in order, runs of row groups read on every core
        (:func:`descend.data._parallel.round_robin`), ``DEPTH`` chunks ahead per thread."""
        import pyarrow.parquet as pq

        from descend.data._parallel import reader_threads, round_robin

        target = PARALLEL_DEPTH * self.chunk_rows  # rows a piece: one queue's worth
        pieces: list[Any] = []
        for f in self.files:
            meta = pq.ParquetFile(f).metadata
            run: list[int] = []
            rows = 0
            for g in range(meta.num_row_groups):
                run.append(g)
                rows += meta.row_group(g).num_rows
                if rows >= target or g == meta.num_row_groups - 1:
                    pieces.append(lambda f=f, run=run: self._parquet_batches(f, run, check))
                    run, rows = [], 0
        return round_robin(pieces, reader_threads(), PARALLEL_DEPTH)

    def _parquet_batches(self, path: str, row_groups: list[int] | None, check: bool = True
                         ) -> Iterator[tuple[Array, Array]]:
        import pyarrow.parquet as pq

        from descend.io._compressed import codec_of

        cols = [*self.feature_names, self.target_name]
        if not self._remote and codec_of(path) is None:  # one copy fewer (data/_mapped.py)
            from descend.data._mapped import mapped_batches

            mapped = mapped_batches(path, row_groups, cols, self.chunk_rows)
            if mapped is not None:
                for batch in mapped:
                    if batch.num_rows:
                        yield self._to_numpy(batch, path, check)
                return
        # Buffered column reads, no pre-buffering: pyarrow otherwise holds whole row groups
        # (and more) in memory; measured peak RSS 1.2-1.4 GB -> 0.3 GB for a 0.9 GB file.
        with self._open(path) as fh:
            pf = pq.ParquetFile(fh, buffer_size=1 << 20, pre_buffer=False)
            for batch in pf.iter_batches(batch_size=self.chunk_rows, row_groups=row_groups,
                                         columns=cols, use_threads=True):
                if batch.num_rows:
                    yield self._to_numpy(batch, path, check)

    @contextmanager
    def _open(self, path: str) -> Iterator[Any]:
        """``path`` itself, or for a URL a buffered fsspec file on it (closed afterwards)."""
        from descend.data.urls import is_url, open_url, url_errors

        if not is_url(path):
            from descend.io._compressed import codec_of, open_plain

            if codec_of(path) is None:
                yield path
                return
            with open_plain(path) as fh:  # .csv.gz/.bz2/.zst/.zip: decompressed as it streams
                yield fh
            return
        with url_errors(path), open_url(path, self.storage_options) as fh:
            yield fh

    def pieces(self) -> list[tuple[str, int]]:
        """Independently readable pieces (Parquet row groups) for shuffled epochs."""
        import pyarrow.parquet as pq

        if self.kind != "parquet":
            return []
        out = []
        for f in self.files:
            with self._open(f) as fh:
                out += [(f, i) for i in range(pq.ParquetFile(fh).num_row_groups)]
        return out

    def read_piece(self, piece: tuple[str, int]) -> Iterator[tuple[Array, Array]]:
        yield from self._parquet_batches(piece[0], [piece[1]])

    def _csv_layout(self) -> Any:
        from descend.data._csv import CsvLayout
        from descend.data.urls import RemoteFile, is_url

        f = self.files[0]
        where: Any = RemoteFile(f, self.storage_options) if is_url(f) else Path(f)
        return CsvLayout(
            where, self._csv_sep, self._csv_header, self.columns, self._csv_encoding
        )

    def explain(self) -> None:
        """Raise the first missing or non-finite value exactly as the in-memory reader words
        it (file, line or row, column); return quietly when none is found."""
        if self.kind == "csv":
            from descend.data._csv import explain_csv

            chosen = {self.columns.index(c) for c in (*self.feature_names, self.target_name)}
            explain_csv(self._csv_layout(), chosen)
            return
        import pyarrow.parquet as pq

        cols = [*self.feature_names, self.target_name]
        for path in self.files:
            offset = 0
            with self._open(path) as fh:
                batches = list(pq.ParquetFile(fh).iter_batches(batch_size=1 << 16, columns=cols))
            for batch in batches:
                block = np.column_stack(
                    [
                        np.asarray(batch.column(j).to_numpy(zero_copy_only=False), dtype=np.float64)
                        for j in range(len(cols))
                    ]
                )
                bad = np.argwhere(~np.isfinite(block))
                if bad.size:
                    row, j = (int(v) for v in bad[np.lexsort((bad[:, 1], bad[:, 0]))[0]])
                    name = cols[j]
                    where = f"line {offset + row + 1}, column {name!r} ({self.columns.index(name) + 1})"
                    if np.isnan(block[row, j]):
                        raise DataError(f"{path}: missing value at {where}; fill it in or delete the row")
                    raise DataError(
                        f"{path}: infinite value at {where}; replace it with a finite number"
                    )
                offset += batch.num_rows

    def _csv_chunks(self, check: bool = True) -> Iterator[tuple[Array, Array]]:
        """Chunks of a CSV file read with the layout :func:`descend.data._csv.sniff_csv` found
        (encoding, separator, header, names), as every engine reads it."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        from descend.data._csv import MISSING

        path = self.files[0]
        ro = pacsv.ReadOptions(
            # pyarrow reads several blocks ahead: blocks of 18 MB (a chunk's text) held 1 GB
            # for a 2 GB file; 4 MB blocks hold 0.25 GB, and the chunks are the same
            block_size=min(4 << 20, max(1 << 20, self.chunk_rows * 12 * (len(self.columns) + 1))),
            column_names=list(self.columns),
            skip_rows=1 if self._csv_header else 0,
            encoding="utf8" if self._csv_encoding == "utf-8-sig" else self._csv_encoding,
            use_threads=True,
        )
        po = pacsv.ParseOptions(delimiter=self._csv_sep)
        missing = sorted({v for m in MISSING for v in (m, m.upper(), m.title())})
        co = pacsv.ConvertOptions(
            include_columns=[*self.feature_names, self.target_name],
            column_types={c: pa.float64() for c in (*self.feature_names, self.target_name)},
            null_values=missing,
            quoted_strings_can_be_null=True,
        )
        opened = self._open(path)  # the path, or a URL's fsspec file (closed below)
        try:
            reader = pacsv.open_csv(
                opened.__enter__(), read_options=ro, parse_options=po, convert_options=co
            )
            buf: list[tuple[Array, Array]] = []
            have = 0
            for batch in reader:
                X, y = self._to_numpy(batch, path, check)
                buf.append((X, y))
                have += X.shape[0]
                while have >= self.chunk_rows:
                    X, y, buf, have = _take(buf, self.chunk_rows)
                    yield X, y
            if have:
                X, y, buf, have = _take(buf, have)
                yield X, y
        except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError) as exc:
            self.explain()  # the in-memory reader's words for the first bad line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{path}: cannot be read as numbers ({first})") from None
        finally:
            opened.__exit__(None, None, None)

    def _to_numpy(self, batch: Any, source: str, check: bool = True) -> tuple[Array, Array]:
        m = batch.num_rows
        arrays = []
        for j in range(self.d + 1):
            col = batch.column(j)
            if col.null_count:
                self.explain()
                name = batch.schema.names[j]
                raise DataError(
                    f"{source}: column {name!r} has {col.null_count} missing values; "
                    "fill or drop them first"
                )
            try:
                if _is_decimal(col.type):  # numbers as Decimal objects: float64, as polars
                    col = col.cast("float64")  # (the in-memory engine) and Dask read them
                arr = _column_array(col)
            except Exception as exc:  # pragma: no cover - pyarrow's message names the type
                raise DataError(f"{source}: column {batch.schema.names[j]!r}: {exc}") from None
            if arr.dtype.kind not in "fiub":
                from descend.data.table import not_numeric_message

                raise DataError(not_numeric_message(source, batch.schema.names[j]))
            arrays.append(arr)
        X, y = self.design.from_columns(arrays, m)  # the design-matrix stage, every engine's
        if self.feature_scale is not None:  # exact: powers of two (descend.data.scaling)
            X = X * self.feature_scale
        if check:
            self.check_finite(X, y, source)
        return X, y

    def check_finite(self, X: Array, y: Array, source: str | None = None) -> None:
        """Refuse a chunk holding inf or NaN, naming the column (for a CSV, the line too)."""
        if np.isfinite(X).all() and np.isfinite(y).all():
            return
        self.explain()
        fin = np.isfinite(X)
        bad = [n for j, n in enumerate(self.feature_names) if not fin[:, j].all()]
        if not np.isfinite(y).all():
            bad.append(self.target_name)
        raise DataError(
            f"{source or self.files[0]}: column {bad[0]!r} holds inf or NaN values; remove or "
            "replace them first"
        )


def _prefetched(gen: Iterator[Any], depth: int) -> Iterator[Any]:
    """Run ``gen`` on a background thread, ``depth`` items ahead of the consumer.

    Decoding (pyarrow) and the column copies release the GIL, so reading chunk k+1 overlaps
    the kernels on chunk k. Errors are re-raised in the consumer; closing the consumer early
    stops the reader. (:func:`~descend.data._parallel.round_robin` with one piece and one
    reader thread.)
    """
    from descend.data._parallel import round_robin

    return round_robin([lambda: gen], 1, depth)


def _take(buf: list[tuple[Array, Array]], k: int) -> tuple[Array, Array, list[Any], int]:
    """The first ``k`` rows of a list of chunks, and the rest."""
    Xs, ys, got = [], [], 0
    rest: list[tuple[Array, Array]] = []
    for X, y in buf:
        if got >= k:
            rest.append((X, y))
            continue
        need = k - got
        Xs.append(X[:need])
        ys.append(y[:need])
        if X.shape[0] > need:
            rest.append((X[need:], y[need:]))
        got += min(need, X.shape[0])
    X = Xs[0] if len(Xs) == 1 else np.concatenate(Xs)
    y = ys[0] if len(ys) == 1 else np.concatenate(ys)
    return X, y, rest, sum(a.shape[0] for a, _ in rest)


def open_source(
    path: str | Path | Sequence[str | Path],
    *,
    target: str | None = None,
    features: str | Sequence[str] | None = None,
    chunk_rows: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> ChunkSource:
    """Open a Parquet file, folder or glob, or a CSV file, as a stream of chunks.

    The target is the last column unless named; the features are the other columns unless
    named -- as for :func:`descend.data.load_table`. ``chunk_rows``: rows per chunk
    (default: :func:`default_chunk_rows`, about 11 MB of float64 a chunk). ``path`` may be
    a URL (``s3://bucket/part-*.parquet``), read through fsspec with ``storage_options``.
    """
    if chunk_rows is not None and int(chunk_rows) < 1:
        raise DataError(f"chunk_rows={chunk_rows} must be a positive number of rows")
    files, kind = _expand(path, storage_options)
    from descend.data.urls import RemoteFile, is_url, open_url

    remote = is_url(files[0])
    if kind == "csv" and len(files) == 1:  # the content decides, as for the in-memory reader
        with open_url(files[0], storage_options) if remote else open(files[0], "rb") as fh:
            if fh.read(4) == b"PAR1":
                kind = "parquet"
    sep, header, encoding = ",", True, "utf-8-sig"
    n_rows: int | None = None
    if kind == "parquet":
        dset, names, n_rows = _parquet_schema(files, str(path), storage_options)
    else:
        # One sniffer for every engine: encoding, separator, header and names as the
        # in-memory reader finds them (quoted names, spaces, BOM, UTF-16, Latin-1, `1,NA`).
        from descend.data._csv import sniff_csv

        layout = sniff_csv(RemoteFile(files[0], storage_options) if remote else files[0])
        if layout is None:  # pragma: no cover - checked above by the magic number
            raise DataError(f"{files[0]}: is a Parquet file; give it a .parquet name")
        sep, header, encoding, names = layout.sep, layout.header, layout.encoding, layout.names
    spec = choose_design(names, target, features, str(path))  # the columns to read, their names
    if kind == "parquet":  # a chosen column of text or dates: the in-memory reader's words
        _check_numeric(dset, [names[i] for i in spec.index], str(path))
    if n_rows == 0:
        raise DataError(f"{path}: has no rows")
    return ChunkSource(
        files=tuple(files),
        kind=kind,
        columns=names,
        feature_names=spec.feature_names,
        target_name=spec.target_name,
        chunk_rows=default_chunk_rows(spec.d) if chunk_rows is None else int(chunk_rows),
        n_rows=n_rows,
        _csv_sep=sep,
        _csv_header=header,
        _csv_encoding=encoding,
        storage_options=dict(storage_options) if storage_options else None,
    )


def _parquet_schema(
    files: list[str], path: str, storage_options: dict[str, Any] | None
) -> tuple[Any, tuple[str, ...], int]:
    """``(dataset, column names, row count)`` of Parquet ``files`` from their footers (for
    one local file, its footer read directly: ``pyarrow.dataset`` imports pandas, ~0.4 s of a
    core a run)."""
    import pyarrow as pa

    from descend.data.table import check_width
    from descend.data.urls import arrow_dataset, is_url

    if len(files) == 1 and not is_url(files[0]):
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(files[0])
            one = SimpleNamespace(schema=pf.schema_arrow)
            names = tuple(one.schema.names)
            check_width(len(names), path)
            return one, names, int(pf.metadata.num_rows)
        except (pa.ArrowInvalid, OSError):
            pass  # the dataset's reader below says what is wrong, in its words
    import pyarrow.dataset as ds

    try:
        if is_url(files[0]):
            dset = arrow_dataset(files, storage_options)
        else:
            dset = ds.dataset(files, format="parquet")
        names = tuple(dset.schema.names)
        from descend.io._input import check_same_columns

        check_same_columns(dset, names)  # a folder whose parts differ: named, not IndexError
        check_width(len(names), path)
        return dset, names, int(dset.count_rows())
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise DataError(f"{path}: cannot be read as Parquet ({first})") from None


#: pyarrow's names of the fixed-width numeric types whose values buffer NumPy reads as is.
_PLAIN = {"double": "float64", "float": "float32", **{
    t: t for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")}}


def _column_array(col: Any) -> Any:
    """A column without missing values as a NumPy array: a view of its values buffer for the
    plain numeric types, else ``to_numpy``. (``Array.to_numpy`` imports pandas on first use:
    0.4-0.8 s of a core in every streamed run.)"""
    kind = _PLAIN.get(str(col.type))
    if kind is not None and not col.null_count:
        buf = col.buffers()[1]
        dtype = np.dtype(kind)
        return np.frombuffer(buf, dtype=dtype, count=len(col), offset=col.offset * dtype.itemsize)
    return col.to_numpy(zero_copy_only=False)


def _is_decimal(typ: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_decimal(typ))


def _check_numeric(dset: Any, columns: Sequence[str], path: str) -> None:
    """Refuse a chosen Parquet column of text or dates, in the in-memory reader's words."""
    import pyarrow as pa

    from descend.data.table import not_numeric_message

    for name in columns:
        typ = dset.schema.field(name).type
        if not (pa.types.is_integer(typ) or pa.types.is_floating(typ)
                or pa.types.is_boolean(typ) or pa.types.is_decimal(typ)):
            raise DataError(not_numeric_message(path, name))
