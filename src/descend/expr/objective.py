"""The contract between a function to minimise and everything downstream.

Anything with these members can be minimised, plotted and reported: a parsed text expression
(:class:`descend.expr.SymbolicFunction`), a Python callable
(:class:`descend.expr.CallableFunction`) or a regression loss (``descend.models``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from descend.errors import InputError

Array = NDArray[np.float64]

__all__ = ["Array", "Objective", "point_list"]


@runtime_checkable
class Objective(Protocol):
    """A differentiable scalar function of ``n`` real variables.

    ``x`` is always a 1-D float64 array of length ``n``. ``value`` returns a Python float,
    ``grad`` a new 1-D float64 array. ``hessian`` returns the ``(n, n)`` Hessian, or ``None``
    when the function cannot provide one (a callable without second derivatives).
    ``curvature_bound`` returns a known global bound L on the largest Hessian eigenvalue (a
    Lipschitz constant of the gradient) or ``None`` when it is not known globally (only a
    quadratic knows it); callers fall back to ``hessian(x0)`` then.
    """

    @property
    def variables(self) -> tuple[str, ...]: ...

    @property
    def n(self) -> int: ...

    def value(self, x: Array) -> float: ...

    def grad(self, x: Array) -> Array: ...

    def value_and_grad(self, x: Array) -> tuple[float, Array]: ...

    def hessian(self, x: Array) -> Array | None: ...

    def curvature_bound(self) -> float | None: ...


def point_list(x: Any, n: int, shape: tuple[int, ...], variables: Sequence[str]) -> list[float]:
    """``x`` as a list of ``n`` Python floats for the function of ``variables`` (the fast path
    is one ``tolist``); a wrong type or length raises :class:`InputError` naming both."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.shape == shape:
        return x.tolist()  # type: ignore[no-any-return]
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the point must be {n} real numbers for ({', '.join(variables)}): {exc}"
        ) from None
    if arr.ndim == 0 and n == 1:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.shape[0] != n:
        got = arr.shape[0] if arr.ndim == 1 else f"an array of shape {arr.shape}"
        raise InputError(
            f"expected {n} value{'s' if n != 1 else ''} for ({', '.join(variables)}), got {got}"
        )
    return arr.tolist()  # type: ignore[no-any-return]
