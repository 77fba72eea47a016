"""Exceptions and warnings shared by every layer.

The library raises and warns; it never prints or exits. Only the CLI turns these into a
one-line message on stderr and an exit code (``InputError`` -> 2).

Every message says what is wrong, where (parameter, file, row, column) and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "DescendError",
    "InputError",
    "ExpressionError",
    "DataError",
    "ConvergenceWarning",
    "StabilityWarning",
]


class DescendError(Exception):
    """Base class of every error descend raises on purpose."""


class InputError(DescendError, ValueError):
    """Bad input from the user: a parameter, a point, an option. The CLI exits with status 2."""


class ExpressionError(InputError):
    """A function typed as text was refused or could not be understood.

    ``column`` is the 1-based column in the text where the problem starts, when known.
    """

    def __init__(self, message: str, *, text: str | None = None, column: int | None = None):
        self.text = text
        self.column = column
        where = f" (column {column})" if column is not None else ""
        super().__init__(f"{message}{where}")


class DataError(InputError):
    """A data file or array cannot be used; the message names the file, row and column."""


class ConvergenceWarning(UserWarning):
    """A run stopped at ``max_iter`` (or a time limit) before any convergence rule fired.

    Deliberately not a subclass of scikit-learn's class of the same name: importing
    scikit-learn costs most of a second, which every CLI call would pay.
    """


class StabilityWarning(UserWarning):
    """A learning rate is above the stability limit 2/L known before the run starts."""
