"""Exceptions and warnings shared by every layer.

The library raises and warns; it never prints or exits. Only the CLI turns these into a
one-line message on stderr and an exit code: a :class:`DescendError` (a mistake in the user's
input: ``InputError``, ``DataError``, ``ExpressionError``) exits 2; anything else reaching the
CLI is a bug in descend and exits 1 with its traceback.

Every message says what is wrong, where (parameter, file, row, column) and how to fix it. A
message names library *parameters* (``learning_rate='auto'``, ``max_iter``), never command-line
flags: the CLI maps parameter names to its flags through one table (``descend.cli._terms``).
An :class:`InputError` may also carry the parameter and the refused value as fields
(``param=``, ``value=``), for callers that handle the error rather than print it.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = [
    "DescendError",
    "InputError",
    "ExpressionError",
    "DataError",
    "ConvergenceWarning",
    "StabilityWarning",
    "ReadNoteWarning",
]


class DescendError(Exception):
    """Base class of every error descend raises on purpose."""


class InputError(DescendError, ValueError):
    """Bad input from the user: a parameter, a point, an option. The CLI exits with status 2.

    ``param`` is the library parameter at fault (``"learning_rate"``), when one is; ``value``
    the value refused. Both are optional: ``InputError("message")`` is still an InputError.

    >>> e = InputError("learning_rate='fast' is not understood", param="learning_rate",
    ...                value="fast")
    >>> (str(e), e.param, e.value)
    ("learning_rate='fast' is not understood", 'learning_rate', 'fast')
    """

    def __init__(self, message: str = "", *, param: str | None = None, value: Any = None):
        super().__init__(message)
        self.param = param
        self.value = value

    def __reduce__(self) -> Any:
        # Dask sends errors between processes by pickle: keep the fields (and the message
        # exactly as shown, which a subclass may have completed) through the round trip.
        return (_restore, (type(self), str(self), dict(self.__dict__)))


def _restore(cls: type[InputError], message: str, fields: dict[str, Any]) -> InputError:
    exc = Exception.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(fields)
    return exc


class ExpressionError(InputError):
    """A function typed as text was refused or could not be understood.

    ``column`` is the 1-based column in the text where the problem starts, when known.
    """

    def __init__(
        self, message: str, *, text: str | None = None, column: int | None = None,
        param: str | None = None,
    ):
        self.text = text
        self.column = column
        where = f" (column {column})" if column is not None else ""
        super().__init__(f"{message}{where}", param=param, value=text)


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
    that: ``import sklearn.exceptions`` takes 0.9-2.2 s here against 8-9 ms for
    ``import descend`` (``python -X importtime``), a cost every CLI call would pay.
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


class ReadNoteWarning(UserWarning):
    """How a user's file was read where descend had to guess (its text encoding). The command
    line says it beside the answer, or inside the one-line refusal when the file then fails."""


link_sklearn_convergence_warning()  # free: only when scikit-learn is already imported
