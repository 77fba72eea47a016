"""One entry point for every kind of data: files, arrays and data frames -> :class:`Table`.

The target is the last column unless named; the features are the other columns unless named.
Every refusal is a :class:`~descend.errors.DataError` naming the source, the row and the column,
and saying what to do. Nothing is guessed silently: a header is recognised only when its first
line holds a cell that is not a number, and the separator only when it splits every sampled line
into the same number of fields.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descend.data._csv import default_names, read_csv
from descend.data.checks import check_columns, column_moments
from descend.data.table import Frame, Table
from descend.errors import DataError

__all__ = ["choose_columns", "load_table", "read_frame", "read_parquet"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def read_parquet(path: str | Path) -> Frame:
    """All columns of a Parquet file; a non-numeric column is refused by name."""
    import polars as pl

    from descend.io import check_regular_file
    from descend.io._remote import is_remote

    if is_remote(path):
        return _read_remote_parquet(path)
    check_regular_file(path)
    try:
        df = pl.read_parquet(path, glob=False)  # 'a[1].parquet' is a name, not a pattern
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as Parquet ({first})") from None
    return _from_polars(df, str(path), first_line=1)


def _read_remote_parquet(path: Any) -> Frame:
    """A Parquet object at a URL (a :class:`~descend.io._remote.RemoteFile`), read whole."""
    import io

    import polars as pl

    try:
        df = pl.read_parquet(io.BytesIO(path.read_bytes()))
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as Parquet ({first})") from None
    return _from_polars(df, str(path), first_line=1)


def read_url(
    url: str,
    storage_options: dict[str, Any] | None = None,
    *,
    columns: tuple[Any, Any] | None = None,
) -> Frame:
    """Every column of the CSV or Parquet object at ``url`` (``s3://``, ``https://``,
    ``memory://``...), fetched into memory through fsspec (:mod:`descend.io._remote`).

    ``columns``: ``(target, features)`` a fit will use; a CSV is then read as
    :func:`load_table` reads a local one (columns chosen before the rows are checked)."""
    from descend.data._csv import sniff_csv
    from descend.io._remote import RemoteFile, remote_files

    files, how = remote_files(url, storage_options)
    if how != "file":
        raise DataError(
            f"{url}: names {len(files)} objects ({how}); the in-memory engine reads one file: "
            "give one object, or stream them (--engine stream or dask)"
        )
    remote = RemoteFile(files[0], storage_options)
    if remote.suffix.lower() in _PARQUET_SUFFIXES:
        return _read_remote_parquet(remote)
    if columns is None:
        return read_csv(remote)  # type: ignore[arg-type]  # a RemoteFile opens like a Path
    layout = sniff_csv(remote)
    if layout is None:  # a Parquet object under another name
        return _read_remote_parquet(remote)
    chosen = choose_columns(layout.names, columns[0], columns[1], url)
    return read_csv(remote, set(chosen))  # type: ignore[arg-type]


def _from_polars(df: Any, source: str, *, first_line: int) -> Frame:
    import polars as pl

    from descend.data._csv import check_width

    names = tuple(str(c) for c in df.columns)
    check_width(len(names), source)
    if not names:
        raise DataError(f"{source}: has no columns")
    # A column of text or dates is kept as NaN and refused only if the fit chooses it (as the
    # stream and Dask engines, which read only the chosen columns, do).
    non_numeric = tuple(
        name
        for name, dtype in zip(names, df.dtypes, strict=True)
        if not (dtype.is_numeric() or dtype == pl.Boolean)
    )
    data = df.select(
        pl.lit(None, dtype=pl.Float64).alias(c) if c in non_numeric else pl.col(c).cast(pl.Float64)
        for c in df.columns
    ).to_numpy(order="c")
    return Frame(
        np.asarray(data, dtype=np.float64),
        names,
        source,
        header=True,
        first_line=first_line,
        non_numeric=non_numeric,
    )


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
    from descend.io._remote import is_url

    if is_url(source):
        return read_url(source, storage_options)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix.lower() in _PARQUET_SUFFIXES:
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


def _pick(columns: Sequence[str], name: str, what: str, source: str) -> int:
    if name in columns:
        return list(columns).index(name)
    close = difflib.get_close_matches(name, list(columns), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataError(
        f"{source}: no column {name!r} for the {what}; the columns are "
        f"{', '.join(columns)}{hint}"
    )


def choose_columns(
    columns: Sequence[str],
    target: str | None,
    features: str | Sequence[str] | None,
    source: str,
) -> list[int]:
    """Indices ``[features..., target]`` of ``columns``: the target is the last column unless
    named, the features the others unless named. Shared by every engine, so a bad choice is
    refused with the same words whatever reads the file."""
    k = len(columns)
    if k < 2:
        raise DataError(
            f"{source}: has {k} column; fitting needs at least two (features, then the "
            "target), separated by commas, semicolons or tabs"
        )
    t = _pick(columns, target, "target", source) if target is not None else k - 1
    if features is None:
        f_idx = [j for j in range(k) if j != t]
    else:
        names = _split_names(features)
        if not names:
            raise DataError(f"{source}: features is empty; name at least one column")
        f_idx = [_pick(columns, name, "features", source) for name in names]
        if t in f_idx:
            raise DataError(
                f"{source}: column {columns[t]!r} is both the target and a "
                "feature; leave it out of the features"
            )
        if len(set(f_idx)) != len(f_idx):
            raise DataError(f"{source}: a feature is named twice in {names}")
    return [*f_idx, t]


def _split_names(features: str | Sequence[str]) -> list[str]:
    if isinstance(features, str):
        return [f.strip() for f in features.split(",") if f.strip()]
    return [str(f) for f in features]


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
    from descend.io._remote import is_url

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
    elif isinstance(source, (str, Path)) and Path(source).suffix.lower() not in _PARQUET_SUFFIXES:
        from descend.data._csv import sniff_csv

        layout = sniff_csv(source)  # choose the columns before reading the rows, as the
        if layout is not None:  # stream engine does: the same file, the same first refusal
            chosen = choose_columns(layout.names, target, features, str(source))
            frame = read_csv(source, set(chosen))
        else:
            frame = read_parquet(source)
    else:
        frame = read_frame(source, storage_options)
    k = len(frame.columns)
    *f_idx, t = choose_columns(frame.columns, target, features, frame.source)
    # Bad cells first, then the row count: a streaming engine meets them in that order too.
    frame.check_numeric([*f_idx, t])
    check_finite(frame, [*f_idx, t])
    n = frame.data.shape[0]
    if n == 0:
        raise DataError(f"{frame.source}: has no data rows; add rows of numbers")
    if n < min_rows:
        raise DataError(
            f"{frame.source}: has only {n} data row; fitting needs at least {min_rows} "
            "(a line through one point is not determined)"
        )
    y = np.ascontiguousarray(frame.data[:, t])
    cols = [*f_idx, t]
    mean, var = column_moments(frame.data[:, cols] if cols != list(range(k)) else frame.data)
    check_columns(frame.source, [frame.columns[j] for j in cols], mean, var)
    if f_idx == list(range(k - 1)) and t == k - 1:
        X = frame.data[:, : k - 1]  # a view; copied below only if not contiguous
    else:
        X = frame.data[:, f_idx]
    return Table(
        X=np.asarray(X, dtype=np.float64),  # C or Fortran order: no copy just to reorder
        y=y,
        feature_names=tuple(frame.columns[j] for j in f_idx),
        target_name=frame.columns[t],
        source=frame.source,
    )
