"""The contract between a function to minimise and everything downstream.

Anything with these members can be minimised, plotted and reported: a parsed text expression
(:class:`descend.expr.SymbolicFunction`), a Python callable
(:class:`descend.expr.CallableFunction`) or a regression loss (``descend.models``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

__all__ = ["Array", "Objective"]


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
