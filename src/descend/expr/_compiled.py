"""The point methods of a formula compiled to code, written once for both engines.

A formula f(v_1, ..., v_n) is compiled by its engine — SymPy's ``lambdify`` for
:class:`~descend.expr.SymbolicFunction`, descend's forward mode for
:class:`~descend.expr.treefunction.TreeFunction` — to code over a list of Python floats
(:mod:`math`, fast: one descent step) and to code over NumPy. At a point x the float code gives

    value(x) = f(x)        value_and_grad(x) = (f(x), ∇f(x))        grad(x) = ∇f(x)

unless it raises where f is undefined or overflows (``log(-1)``: ValueError, ``exp(1000)``:
OverflowError, ``1/0``: ZeroDivisionError, a fractional power of a negative float: a complex
number, which ``float`` refuses with TypeError). Then the NumPy code answers, with
``nan``/``inf`` and never an exception, so the descent loop can see the divergence.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.expr.objective import Array, point_list

__all__ = ["POINT_ERRORS", "CompiledFormula"]

#: What evaluating compiled float code can raise at a bad point (see the module's docstring).
POINT_ERRORS = (ArithmeticError, ValueError, TypeError)


class CompiledFormula(ABC):
    """The ``Objective`` protocol's point methods for a formula compiled to code.

    A subclass sets ``_text``, ``_variables`` and ``_shape = (n,)``; the float code ``_f(args)``
    and ``_vg(args) -> (f, ∇f)`` over a list of n Python floats (∇f a sequence, or ``None``
    where f is constant); the NumPy fallbacks :meth:`_value_numpy` and
    :meth:`_value_and_grad_numpy`; ``hessian``; and ``_curvature``.
    """

    _text: str
    _variables: tuple[str, ...]
    _shape: tuple[int, ...]
    _f: Callable[[list[float]], Any]
    _vg: Callable[[list[float]], Any]

    @property
    def text(self) -> str:
        """The text as typed, or the formula for an expression built in code."""
        return self._text

    @property
    def variables(self) -> tuple[str, ...]:
        return self._variables

    @property
    def n(self) -> int:
        return len(self._variables)

    def value(self, x: Array) -> float:
        """f(x) as a float (``nan``/``inf`` where f is undefined or overflows)."""
        args = self._point(x)
        try:
            return float(self._f(args))
        except POINT_ERRORS:
            return self._value_numpy(args)

    __call__ = value

    def grad(self, x: Array) -> Array:
        """∇f(x) as a new float64 array."""
        return self.value_and_grad(x)[1]

    def value_and_grad(self, x: Array) -> tuple[float, Array]:
        """``(f(x), ∇f(x))`` from one pass of shared code."""
        args = self._point(x)
        try:
            v, g = self._vg(args)
            return float(v), (np.zeros(self.n) if g is None else np.array(g, dtype=np.float64))
        except POINT_ERRORS:
            return self._value_and_grad_numpy(args)

    def curvature_bound(self) -> float | None:
        """L = λ_max(H), clipped at 0, when H is constant (a quadratic); else ``None``.

        For a quadratic, gradient descent is stable for learning rates below 2/L.

        >>> from descend.expr import SymbolicFunction
        >>> SymbolicFunction("x**2 + x*y + y**2").curvature_bound()
        3.0
        >>> SymbolicFunction("x**4 + y**2").curvature_bound() is None
        True
        """
        return self._curvature

    @property
    @abstractmethod
    def _curvature(self) -> float | None:
        """The bound of :meth:`curvature_bound`, found once by the engine (a subclass's
        ``cached_property``)."""

    @abstractmethod
    def _value_numpy(self, args: list[float]) -> float:
        """f at ``args`` with NumPy scalars: ``nan``/``inf`` where the float code raised."""

    @abstractmethod
    def _value_and_grad_numpy(self, args: list[float]) -> tuple[float, Array]:
        """``(f, ∇f)`` at ``args`` with NumPy scalars, as :meth:`_value_numpy`."""

    def _point(self, x: Any) -> list[float]:
        """The point as a list of Python floats (the fast path is one ``tolist``)."""
        return point_list(x, self.n, self._shape, self._variables)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._text!r}, variables={self._variables!r})"
