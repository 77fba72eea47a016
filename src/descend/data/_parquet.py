"""Parquet into a :class:`Frame`: a local file through polars, a URL's object read whole.

:data:`PARQUET_SUFFIXES` is the one list of names that mean Parquet (kept in
:mod:`descend.io`, which discovers the files of a folder by it); a file is Parquet by its
content too (``PAR1``), whatever its name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from descend.data.table import Frame, check_width
from descend.errors import DataError
from descend.io._input import PARQUET_SUFFIXES

__all__ = ["PARQUET_SUFFIXES", "is_parquet_name", "read_parquet"]


def is_parquet_name(path: Any) -> bool:
    """Whether ``path``'s name ends in a Parquet suffix (:data:`PARQUET_SUFFIXES`)."""
    return str(path).lower().endswith(PARQUET_SUFFIXES)


def read_parquet(path: str | Path) -> Frame:
    """All columns of a Parquet file; a non-numeric column is refused by name."""
    import polars as pl

    from descend.data.urls import is_remote
    from descend.io import check_regular_file

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
    """A Parquet object at a URL (a :class:`~descend.data.urls.RemoteFile`), read whole."""
    import io

    import polars as pl

    try:
        df = pl.read_parquet(io.BytesIO(path.read_bytes()))
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as Parquet ({first})") from None
    return _from_polars(df, str(path), first_line=1)


def _from_polars(df: Any, source: str, *, first_line: int) -> Frame:
    import polars as pl

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
