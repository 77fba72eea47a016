"""``function``: text, SymPy, a callable or an Objective -> an :class:`Objective`."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from descend.errors import InputError
from descend.expr.callable import CallableFunction
from descend.expr.objective import Objective

if TYPE_CHECKING:
    import sympy as sp

__all__ = ["function"]


def function(
    f: str | sp.Expr | Callable[..., Any] | Objective,
    variables: Sequence[str] | None = None,
    *,
    grad: Callable[..., Any] | None = None,
    value_and_grad: bool = False,
    n: int | None = None,
) -> Objective:
    """Turn ``f`` into an ``Objective``.

    - text or a SymPy expression -> :class:`SymbolicFunction` (exact gradient and Hessian);
    - an object that already is an ``Objective`` -> itself;
    - a Python callable ``f(x) -> float`` -> :class:`CallableFunction` (``grad=`` gives the
      gradient; ``value_and_grad=True`` means ``f`` returns ``(value, gradient)``; otherwise
      central differences).

    >>> function("(1 - x)**2 + 100*(y - x**2)**2").variables
    ('x', 'y')
    >>> function(lambda x: float(x @ x), n=3).variables
    ('x0', 'x1', 'x2')
    """
    # A SymPy object exists only once SymPy is loaded: an already-made Objective or a callable
    # (the descent of a picture's TreeFunction) does not import SymPy here.
    sympy = sys.modules.get("sympy")
    basic = sympy is not None and isinstance(f, sympy.Basic)
    if (isinstance(f, str) or basic) and (grad is not None or value_and_grad):
        raise InputError("grad= and value_and_grad= apply to Python callables, not formulas")
    if isinstance(f, str) or (sympy is not None and isinstance(f, sympy.Expr)):
        from descend.expr.symbolic import SymbolicFunction

        fun = SymbolicFunction(f, variables)
        if n is not None and n != fun.n:
            raise InputError(f"n={n} but the formula has {fun.n} variables {fun.variables}")
        return fun
    if basic:
        raise InputError(f"a SymPy formula must be an expression, got {type(f).__name__}")
    if isinstance(f, Objective) and not (grad is not None or value_and_grad):
        if variables is not None and tuple(variables) != tuple(f.variables):
            raise InputError(
                f"this objective's variables are {tuple(f.variables)}, not {tuple(variables)}"
            )
        return f
    # ``callable`` here would be the submodule descend.expr.callable, hence builtins.
    if builtins.callable(f):
        return CallableFunction(
            f, grad=grad, value_and_grad=value_and_grad, n=n, variables=variables
        )
    raise InputError(
        f"cannot minimise a {type(f).__name__}: give a formula as text, a SymPy expression, "
        "a Python callable or an Objective"
    )
