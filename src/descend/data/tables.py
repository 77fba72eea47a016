"""Tables in chunks, with their text columns: what a formula reads from a file.

The numeric engines read float64 blocks; a formula also needs text (categories) and the cells
that are empty. :func:`iter_frames` yields pandas DataFrames of at most ``chunk_rows`` rows with
only the named columns, from a CSV file (pyarrow's streaming reader: the types are inferred
once, from the first block, then fixed for the whole file) or from Parquet (a file, a folder or
a glob; column-pruned record batches). Memory stays at one chunk whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from descend.errors import DataError
from descend.io._input import PARQUET_SUFFIXES  # the one list of suffixes

__all__ = ["PARQUET_SUFFIXES", "column_count", "distinct_texts", "iter_batches", "iter_frames",
           "text_columns"]


def _is_parquet(path: str) -> bool:
    p = Path(path)
    return p.is_dir() or any(str(p).lower().endswith(s) for s in PARQUET_SUFFIXES)


def _csv_types(path: str, columns: Sequence[str]) -> dict[str, Any]:
    """The type of each named column, from the file's first block (text stays text)."""
    import pyarrow as pa
    from pyarrow import csv

    reader = csv.open_csv(path, convert_options=csv.ConvertOptions(
        include_columns=list(columns), strings_can_be_null=True))
    schema = reader.schema
    reader.close()
    types: dict[str, Any] = {}
    for field in schema:
        if pa.types.is_integer(field.type):
            types[field.name] = pa.int64()  # an ID or a year stays an integer
        elif pa.types.is_floating(field.type) or pa.types.is_null(field.type):
            types[field.name] = pa.float64()
        else:
            types[field.name] = pa.string()
    return types


def _csv_header(path: str) -> list[str]:
    """The names in a CSV file's first line."""
    with open(path, "rb") as fh:
        header = fh.readline().decode("utf-8", "replace").strip().split(",")
    return [h.strip().strip('"') for h in header]


def _check_columns(have: Sequence[str], want: Sequence[str], source: str) -> None:
    lacking = [c for c in want if c not in have]
    if lacking:
        raise DataError(f"{source} has no column {', '.join(map(repr, lacking))} (its columns: "
                        f"{', '.join(map(repr, list(have)[:8]))}"
                        f"{', ...' if len(have) > 8 else ''})")


def iter_frames(path: str, columns: Sequence[str], *, chunk_rows: int = 1 << 17,
                types: dict[str, Any] | None = None) -> Iterator[Any]:
    """pandas DataFrames of the named columns, in file order, ``chunk_rows`` rows at most."""
    for batch in iter_batches(path, columns, chunk_rows=chunk_rows, types=types):
        yield batch.to_pandas()


def iter_batches(path: str, columns: Sequence[str], *, chunk_rows: int = 1 << 17,
                 types: dict[str, Any] | None = None,
                 dictionary: Sequence[str] = ()) -> Iterator[Any]:
    """Arrow record batches of the named columns, in file order (see :func:`iter_frames`).

    ``dictionary``: text columns a Parquet file should give dictionary-encoded.
    """
    cols = list(dict.fromkeys(columns))
    if _is_parquet(path):
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        data = ds.dataset(path, format="parquet")
        _check_columns(data.schema.names, cols, path)
        # One file at a time, one row group at a time, read when asked for: Arrow's dataset
        # scanner pre-buffers and reads ahead while the caller works on a chunk (memory grew
        # with the file, 1.1 GB at 1e7 rows); this reader, as the stream engine's
        # (data/chunks.py), holds about one row group.
        for name in sorted(data.files) if Path(path).is_dir() else [path]:
            pf = pq.ParquetFile(name, pre_buffer=False, buffer_size=1 << 20,
                                read_dictionary=list(dictionary) or None)
            _check_columns(pf.schema_arrow.names, cols, name)
            yield from pf.iter_batches(batch_size=chunk_rows, columns=cols)
        return
    from pyarrow import csv

    _check_columns(_csv_header(path), cols, path)
    kinds = types if types is not None else _csv_types(path, cols)
    reader = csv.open_csv(
        path,
        read_options=csv.ReadOptions(block_size=max(1 << 20, 64 * chunk_rows)),
        convert_options=csv.ConvertOptions(include_columns=cols, column_types=kinds,
                                           strings_can_be_null=True))
    try:
        yield from reader
    except Exception as exc:  # a cell that does not parse as the first block's type
        raise DataError(f"{path}: {str(exc).splitlines()[0]}; a column that holds numbers in "
                        "its first rows must hold numbers (or nothing) in every row") from None


def distinct_texts(path: str, columns: Sequence[str], *,
                   chunk_rows: int = 1 << 17) -> Iterator[Any]:
    """Per chunk, a small DataFrame of each named column's distinct values (the levels pass of
    a formula: Arrow finds them, so the rows never become Python objects)."""
    import pandas as pd
    import pyarrow.compute as pc

    names = list(dict.fromkeys(columns))
    for batch in iter_batches(path, names, chunk_rows=chunk_rows, dictionary=names):
        for name in names:  # Parquet text comes as codes: unique codes, then their texts
            yield pd.DataFrame({name: pd.Series(pc.unique(batch.column(name)).to_pylist(),
                                                dtype=object)})


def column_count(path: str) -> int:
    """How many columns a CSV or Parquet file has (its header or its footer)."""
    if _is_parquet(path):
        import pyarrow.dataset as ds

        return len(ds.dataset(path, format="parquet").schema.names)
    with open(path, "rb") as fh:
        return len(fh.readline().decode("utf-8", "replace").split(","))


def text_columns(path: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The named columns that hold text (categories), from the schema or the first block."""
    import pyarrow as pa

    if _is_parquet(path):
        import pyarrow.dataset as ds

        schema = ds.dataset(path, format="parquet").schema
        _check_columns(schema.names, columns, path)
        return tuple(c for c in columns
                     if pa.types.is_string(schema.field(c).type)
                     or pa.types.is_large_string(schema.field(c).type)
                     or pa.types.is_dictionary(schema.field(c).type))
    _check_columns(_csv_header(path), columns, path)
    kinds = _csv_types(path, columns)
    return tuple(c for c in columns if kinds.get(c) == pa.string())  # noqa: E721
