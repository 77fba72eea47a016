"""The in-memory shape every loader returns: a float64 design matrix, a target and their names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from descend.errors import DataError

Array = NDArray[np.float64]

__all__ = [
    "MAX_COLUMNS",
    "Frame",
    "Table",
    "check_width",
    "default_feature_names",
    "default_names",
    "not_numeric_message",
]

#: The widest file descend reads: d features make a d x d curvature matrix whose largest
#: eigenvalue the fit needs (d = 1000: 3 s on this project's 2-core machine, growing as d^3);
#: wider files are refused up front, documented in docs/input-and-output.md.
MAX_COLUMNS = 2049


def check_width(ncols: int, source: str) -> None:
    """Refuse a file of more than :data:`MAX_COLUMNS` columns before reading its rows."""
    if ncols > MAX_COLUMNS:
        raise DataError(
            f"{source}: has {ncols:,} columns; descend reads at most {MAX_COLUMNS:,} (2,048 "
            "features and a target: the fit's curvature is a d x d matrix); keep only the "
            "columns to fit (e.g. with polars or csvcut) and try again"
        )


def default_names(k: int) -> tuple[str, ...]:
    """Names of ``k`` columns of headerless data (features, then the target): ``x, y`` for
    two columns, else ``x1..x{k-1}, y`` -- the one rule for files, arrays and every engine.

    >>> default_names(2), default_names(3)
    (('x', 'y'), ('x1', 'x2', 'y'))
    """
    if k == 2:
        return ("x", "y")
    return (*(f"x{j}" for j in range(1, k)), "y")


def default_feature_names(d: int) -> tuple[str, ...]:
    """The features' names among :func:`default_names`: ``("x",)`` for one, else
    ``("x1", ..., "xd")``."""
    return default_names(d + 1)[:-1]


def not_numeric_message(source: str, name: str) -> str:
    """The one sentence for a chosen column that holds text or dates (every engine)."""
    return (
        f"{source}: column {name!r} is not numeric (it holds text or dates); convert it to "
        "numbers or leave it out with --features"
    )


@dataclass(frozen=True)
class Frame:
    """All numeric columns of a source, before a target is chosen.

    ``data`` is ``(n, k)`` float64 (it may hold ``nan``/``inf``; :func:`load_table` checks),
    ``columns`` the ``k`` names (``x``/``y`` style names for a headerless file), ``source`` a
    description for messages (the file path, or ``"numpy array"``), ``header`` whether the names
    came from the data, and ``first_line`` the 1-based file line of the first data row (so
    errors can name the line an editor shows; 0 for in-memory data).
    """

    data: Array
    columns: tuple[str, ...]
    source: str
    header: bool = True
    first_line: int = 1
    lines: NDArray[np.int64] | None = None  # file line of each row, when blank lines were skipped
    #: Columns that are not numbers (text, dates), stored as NaN: refused only if chosen.
    non_numeric: tuple[str, ...] = ()
    #: ``(column, line, message)``: the first bad cell of each CSV column that has one.
    problems: tuple[tuple[int, int, str], ...] = ()

    def check_numeric(self, cols: list[int] | tuple[int, ...]) -> None:
        """Refuse a chosen column that is not numeric or holds a bad cell (the first in file
        order), in the words every engine uses; columns left out are not looked at."""
        for j in cols:
            if self.columns[j] in self.non_numeric:
                raise DataError(not_numeric_message(self.source, self.columns[j]))
        chosen = [(line, j, msg) for j, line, msg in self.problems if j in set(cols)]
        if chosen:
            raise DataError(min(chosen)[2])

    def where(self, row: int) -> str:
        """Where data row ``row`` (0-based) is, in words: a file line, or an array row index."""
        if self.first_line <= 0:
            return f"row index {row}"
        if self.lines is not None:
            return f"line {int(self.lines[row])}"
        return f"line {self.first_line + row}"


@dataclass(frozen=True)
class Table:
    """Features ``X`` ``(n, d)``, target ``y`` ``(n,)`` (both float64, finite) and their names."""

    X: Array
    y: Array
    feature_names: tuple[str, ...]
    target_name: str
    source: str

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    def __repr__(self) -> str:
        return (
            f"Table(source={self.source!r}, n={self.n}, features={list(self.feature_names)}, "
            f"target={self.target_name!r})"
        )
