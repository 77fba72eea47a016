"""Exceptions and warnings shared by every layer.

The library raises and warns; it never prints or exits. Only the CLI turns these into a
one-line message on stderr and an exit code (``InputError`` -> 2).

Every message says what is wrong, where (parameter, file, row, column) and how to fix it.
"""

from __future__ import annotations

import sys

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


class _ConvergenceBase(UserWarning):
    """Stands in for scikit-learn's ``ConvergenceWarning`` until scikit-learn is loaded."""


class ConvergenceWarning(_ConvergenceBase):
    """A run stopped at ``max_iter`` (or a time limit) before any convergence rule fired.

    Once scikit-learn is loaded -- by ``descend.models`` (``LinearRegression`` is a
    scikit-learn estimator) or before descend -- this is a subclass of
    ``sklearn.exceptions.ConvergenceWarning``, so scikit-learn's filters
    (``warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)``,
    ``GridSearchCV``'s habits) treat descend's warnings as their own. It is not imported for
    that: ``import sklearn`` takes 1.6-2.2 s here against 0.5-0.6 s for ``import descend``
    (``python -X importtime``), a cost every CLI call would pay.
    """


def link_sklearn_convergence_warning() -> bool:
    """Make :class:`ConvergenceWarning` subclass scikit-learn's, if scikit-learn is loaded.

    Returns:
        Whether it now does. Never imports scikit-learn.
    """
    exceptions = sys.modules.get("sklearn.exceptions")
    base = getattr(exceptions, "ConvergenceWarning", None)
    if not isinstance(base, type) or not issubclass(base, Warning):
        return False
    if not issubclass(ConvergenceWarning, base):
        # Re-basing a class is safe here: both bases are plain UserWarning subclasses (same
        # layout), and the class keeps UserWarning in its MRO either way.
        ConvergenceWarning.__bases__ = (base,)
    return True


class StabilityWarning(UserWarning):
    """A learning rate is above the stability limit 2/L known before the run starts."""


link_sklearn_convergence_warning()  # free: only when scikit-learn is already imported
