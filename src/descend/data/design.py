"""The design-matrix stage: how a table's columns become ``(X, y)`` and the coefficients' names.

Every engine passes its rows through here -- the in-memory loader (:func:`descend.data.load_table`),
the chunked reader (:mod:`descend.data.chunks`) and the Dask reader
(:mod:`descend.data.dask_rows`) -- so what a fit's columns *are* is decided once:

1. :func:`choose_design` (at open time, from the column names only): which columns to read and what
   the model's features and target are called -- a :class:`Design`;
2. :meth:`Design.split` / :meth:`Design.from_columns` (per block of rows, in memory, per chunk
   or per partition): the block of read columns -> ``X`` ``(m, d)`` and ``y`` ``(m,)``.

Today a feature is a numeric column taken as it is. Formulas, categories (indicator columns)
and missing-value handling belong in these two steps, where every engine gets them at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import DataError

Array = NDArray[np.float64]

__all__ = ["Design", "choose_columns", "choose_design"]


@dataclass(frozen=True)
class Design:
    """Which columns of a source make ``X`` and ``y``, and their names.

    ``columns``: every column of the source; ``index``: positions ``[features..., target]`` in
    ``columns``; ``read``: the names of the columns to read, in that order (the only columns a
    chunked or Dask reader asks the file for).
    """

    columns: tuple[str, ...]
    index: tuple[int, ...]
    source: str

    @property
    def read(self) -> tuple[str, ...]:
        return tuple(self.columns[j] for j in self.index)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.read[:-1]

    @property
    def target_name(self) -> str:
        return self.read[-1]

    @property
    def d(self) -> int:
        return len(self.index) - 1

    def split(self, block: Any, *, whole: bool = False) -> tuple[Any, Any]:
        """``(X, y)`` from a 2-D block (NumPy or Dask) whose columns are :attr:`read`, or with
        ``whole=True`` every column of the source; a NumPy block's ``X`` is a view when the
        features are its leading columns in order (no copy of a large frame)."""
        k = block.shape[1]
        f_idx, t = (list(self.index[:-1]), self.index[-1]) if whole else (list(range(self.d)), self.d)
        y = block[:, t]
        if isinstance(block, np.ndarray):
            y = np.ascontiguousarray(y)
        if f_idx == list(range(k - 1)) and t == k - 1:
            return block[:, : k - 1], y
        return block[:, f_idx], y

    def from_columns(self, arrays: Sequence[Any], m: int) -> tuple[Array, Array]:
        """``(X, y)`` from the :attr:`read` columns as 1-D numeric arrays of ``m`` rows (a
        chunk of a file): ``X`` column-major (each column one contiguous copy; the fused
        kernels read column streams as fast as rows), ``y`` a writable copy."""
        X = np.empty((m, self.d), order="F")
        for j in range(self.d):
            X[:, j] = arrays[j]
        return X, np.array(arrays[self.d], dtype=np.float64)


def choose_design(
    columns: Sequence[str],
    target: str | None,
    features: str | Sequence[str] | None,
    source: str,
) -> Design:
    """The :class:`Design` of a source with ``columns``; see :func:`choose_columns`."""
    idx = choose_columns(columns, target, features, source)
    return Design(tuple(str(c) for c in columns), tuple(idx), source)


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
