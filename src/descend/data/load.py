"""One entry point for every kind of data: files, arrays and data frames -> :class:`Table`.

The target is the last column unless named; the features are the other columns unless named.
Every refusal is a :class:`~descend.errors.DataError` naming the source, the row and the column,
and saying what to do. Nothing is guessed silently: a header is recognised only when its first
line holds a cell that is not a number, and the separator only when it splits every sampled line
into the same number of fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descend.data._csv import read_csv, sniff_csv
from descend.data._parquet import _from_polars, _read_remote_parquet, is_parquet_name, read_parquet
from descend.data.checks import check_columns, column_moments
from descend.data.design import choose_columns, choose_design
from descend.data.memory import check_fits
from descend.data.table import Frame, Table, default_names
from descend.errors import DataError

__all__ = ["check_finite", "choose_columns", "load_table", "read_frame", "read_parquet", "read_url"]


def read_url(
    url: str,
    storage_options: dict[str, Any] | None = None,
    *,
    columns: tuple[Any, Any] | None = None,
) -> Frame:
    """Every column of the CSV or Parquet object at ``url`` (``s3://``, ``https://``,
    ``memory://``...), fetched into memory through fsspec (:mod:`descend.data.urls`).

    ``columns``: ``(target, features)`` a fit will use; a CSV is then read as
    :func:`load_table` reads a local one (columns chosen before the rows are checked)."""
    from descend.data.urls import RemoteFile, url_files

    files, how = url_files(url, storage_options)
    if how != "file":
        raise DataError(
            f"{url}: names {len(files)} objects ({how}); the in-memory engine reads one file: "
            "give one object, or stream them (--engine stream or dask)"
        )
    remote = RemoteFile(files[0], storage_options)
    if is_parquet_name(remote.suffix):
        return _read_remote_parquet(remote)
    if columns is None:
        return read_csv(remote)  # type: ignore[arg-type]  # a RemoteFile opens like a Path
    layout = sniff_csv(remote)
    if layout is None:  # a Parquet object under another name
        return _read_remote_parquet(remote)
    chosen = choose_columns(layout.names, columns[0], columns[1], url)
    return read_csv(remote, set(chosen))  # type: ignore[arg-type]


def _from_pandas(df: Any) -> Frame:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    names = tuple(str(c) for c in df.columns)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DataError(f"DataFrame: column name {dup!r} appears twice; rename one of them")
    for name, col in zip(names, df.columns, strict=True):
        if not (is_numeric_dtype(df[col]) or is_bool_dtype(df[col])):
            raise DataError(
                f"DataFrame: column {name!r} holds {df[col].dtype} values, not numbers; "
                "convert it or leave it out with features="
            )
    data = df.to_numpy(dtype=np.float64, na_value=np.nan)
    return Frame(np.ascontiguousarray(data), names, "pandas DataFrame", header=True, first_line=0)


def read_frame(source: Any, storage_options: dict[str, Any] | None = None) -> Frame:
    """Every column of ``source`` (a path or URL, a 2-D array, a pandas or polars DataFrame);
    ``storage_options`` go to the fsspec filesystem of a URL (docs/input-and-output.md)."""
    if isinstance(source, Frame):
        return source
    from descend.data.urls import is_url

    if is_url(source):
        return read_url(source, storage_options)
    if isinstance(source, (str, Path)):
        path = Path(source)
        check_fits(path)
        if is_parquet_name(path.suffix):
            return read_parquet(path)
        return read_csv(path)
    mod = type(source).__module__.split(".")[0]
    if mod == "polars":
        import polars as pl

        if isinstance(source, pl.LazyFrame):
            source = source.collect()
        return _from_polars(source, "polars DataFrame", first_line=0)
    if mod == "pandas":
        import pandas as pd

        if isinstance(source, pd.Series):
            source = source.to_frame()
        return _from_pandas(source)
    try:
        arr = np.asarray(source, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"cannot use {type(source).__name__} as data ({exc}); give a file path, a 2-D "
            "numeric array, or a pandas/polars DataFrame"
        ) from None
    if arr.ndim != 2:
        raise DataError(
            f"a data array must be 2-D (rows x columns, target last), got shape {arr.shape}"
        )
    return Frame(np.ascontiguousarray(arr), default_names(arr.shape[1]), "numpy array", False, 0)


def check_finite(frame: Frame, cols: Sequence[int]) -> None:
    """Refuse ``nan`` (a missing value) and ``inf`` in the chosen columns, naming the first one."""
    block = frame.data[:, list(cols)] if len(cols) != frame.data.shape[1] else frame.data
    if np.isfinite(block).all():
        return
    bad = np.argwhere(~np.isfinite(block))
    order = np.lexsort((bad[:, 1], bad[:, 0]))
    row, j = (int(v) for v in bad[order[0]])
    col = list(cols)[j]
    value = block[row, j]
    where = f"{frame.where(row)}, column {frame.columns[col]!r} ({col + 1})"
    if np.isnan(value):
        raise DataError(f"{frame.source}: missing value at {where}; fill it in or delete the row")
    raise DataError(f"{frame.source}: infinite value at {where}; replace it with a finite number")


def load_table(
    source: Any,
    *,
    target: str | None = None,
    features: str | Sequence[str] | None = None,
    min_rows: int = 2,
    storage_options: dict[str, Any] | None = None,
) -> Table:
    """Load ``source`` into a :class:`Table` ready to fit.

    ``source`` is a CSV or Parquet path, a 2-D NumPy array (target last), an ``(X, y)`` pair,
    or a pandas/polars DataFrame. ``target`` names the target column (default: the last);
    ``features`` names the feature columns, as a list or ``"a,b"`` (default: all the others).
    Headerless files and arrays have columns ``x, y`` (two columns) or ``x1 .. x{k-1}, y``.
    A URL (``s3://bucket/data.csv``) is read through fsspec with ``storage_options``.

    >>> import numpy as np
    >>> t = load_table(np.array([[1200.0, 2e5], [1500.0, 2.5e5], [1800.0, 3e5]]))
    >>> t.feature_names, t.target_name, t.X.shape
    (('x',), 'y', (3, 1))
    """
    from descend.data.urls import is_url

    if isinstance(source, tuple) and len(source) == 2:
        X = np.asarray(source[0], dtype=np.float64)
        X = X.reshape(-1, 1) if X.ndim == 1 else X
        y = np.asarray(source[1], dtype=np.float64).reshape(-1, 1)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise DataError(
                f"(X, y): X has shape {X.shape} and y {y.shape[:1]}; they need the same rows"
            )
        data = np.hstack([X, y])
        frame = Frame(
            np.ascontiguousarray(data), default_names(X.shape[1] + 1), "(X, y) arrays", False, 0
        )
    elif is_url(source):
        frame = read_url(source, storage_options, columns=(target, features))
    elif isinstance(source, (str, Path)) and not is_parquet_name(Path(source).suffix):
        check_fits(source)  # before reading: past the memory, polars aborts the process
        layout = sniff_csv(source)  # choose the columns before reading the rows, as the
        if layout is not None:  # stream engine does: the same file, the same first refusal
            chosen = choose_columns(layout.names, target, features, str(source))
            frame = read_csv(source, set(chosen))
        else:
            frame = read_parquet(source)
    else:
        frame = read_frame(source, storage_options)
    k = len(frame.columns)
    spec = choose_design(frame.columns, target, features, frame.source)  # the design-matrix stage
    cols = list(spec.index)
    # Bad cells first, then the row count: a streaming engine meets them in that order too.
    frame.check_numeric(cols)
    check_finite(frame, cols)
    n = frame.data.shape[0]
    if n == 0:
        raise DataError(f"{frame.source}: has no data rows; add rows of numbers")
    if n < min_rows:
        raise DataError(
            f"{frame.source}: has only {n} data row; fitting needs at least {min_rows} "
            "(a line through one point is not determined)"
        )
    mean, var = column_moments(frame.data[:, cols] if cols != list(range(k)) else frame.data)
    check_columns(frame.source, list(spec.read), mean, var)
    X, y = spec.split(frame.data, whole=True)  # X a view when it can be; copied only if needed
    return Table(
        X=np.asarray(X, dtype=np.float64),  # C or Fortran order: no copy just to reorder
        y=y,
        feature_names=spec.feature_names,
        target_name=spec.target_name,
        source=frame.source,
    )
