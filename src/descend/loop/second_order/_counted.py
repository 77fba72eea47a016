"""The objective as the second-order methods see it: counted, with a Hessian or a product.

:class:`Counted` wraps any :class:`~descend.expr.Objective` and counts what a run asks of it,
with scipy's names: ``nfev`` values, ``njev`` gradients, ``nhev`` Hessians (or Hessian-vector
products). A Hessian comes from, in order: the caller's ``hess=`` callable, the objective's
own exact ``hessian`` (a parsed expression, a regression loss), or -- for a Python callable
without one -- the finite-difference Hessian-vector product

    H(x) v ~ (grad f(x + h v) - grad f(x)) / h,   h = sqrt(eps) (1 + |x|) / |v|

(Nocedal & Wright, *Numerical Optimization*, 2nd ed., §8.1), one extra gradient per product,
so Newton runs on callables without forming an n x n matrix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.errors import InputError
from descend.expr.objective import Array, Objective

__all__ = ["Counted", "WithHessian", "exact_hessian"]

_SQRT_EPS = math.sqrt(float(np.finfo(np.float64).eps))


class WithHessian:
    """``objective`` with the caller's ``hess(x)`` (scipy's ``hess=``) as its Hessian."""

    def __init__(self, objective: Objective, hess: Callable[[Array], Any]):
        if not callable(hess):
            raise InputError(f"hess must be a callable returning the n x n Hessian, got {hess!r}")
        self._inner = objective
        self._hess = hess
        self.variables = objective.variables
        self.n = objective.n

    def value(self, x: Array) -> float:
        return self._inner.value(x)

    def grad(self, x: Array) -> Array:
        return self._inner.grad(x)

    def value_and_grad(self, x: Array) -> tuple[float, Array]:
        return self._inner.value_and_grad(x)

    def hessian(self, x: Array) -> Array:
        H = np.asarray(self._hess(np.array(x, dtype=np.float64)), dtype=np.float64)
        if H.shape != (self.n, self.n):
            raise InputError(f"hess returned shape {H.shape}, expected ({self.n}, {self.n})")
        return H

    def curvature_bound(self) -> float | None:
        return self._inner.curvature_bound()


def exact_hessian(objective: Objective) -> bool:
    """Whether ``objective`` knows its Hessian exactly (not by differences of a callable)."""
    from descend.expr.callable import CallableFunction

    return not isinstance(objective, CallableFunction)


class Counted:
    """``objective`` with call counts ``nfev``, ``njev``, ``nhev`` (see the module docstring).

    ``hvp_by_differences`` makes :meth:`hvp` a finite difference of the gradient even when
    the objective has a Hessian (used for Python callables, whose ``hessian`` would cost
    ``2n`` gradients).
    """

    def __init__(self, objective: Objective, *, hvp_by_differences: bool = False):
        self.objective = objective
        self.n = objective.n
        self.fd = hvp_by_differences
        self.nfev = 0
        self.njev = 0
        self.nhev = 0

    def value(self, x: Array) -> float:
        self.nfev += 1
        return float(self.objective.value(x))

    def grad(self, x: Array) -> Array:
        self.njev += 1
        return np.asarray(self.objective.grad(x), dtype=np.float64)

    def value_and_grad(self, x: Array) -> tuple[float, Array]:
        self.nfev += 1
        self.njev += 1
        f, g = self.objective.value_and_grad(x)
        return float(f), np.asarray(g, dtype=np.float64)

    def hessian(self, x: Array) -> Array:
        self.nhev += 1
        H = self.objective.hessian(x)
        if H is None:
            raise InputError("this function has no Hessian; give hess= or use method='l-bfgs'")
        H = np.asarray(H, dtype=np.float64)
        return (H + H.T) / 2.0

    def hvp(self, x: Array, g: Array) -> Callable[[Array], Array]:
        """``v -> H(x) v``: the exact Hessian's product, or a forward difference of the gradient."""
        if not self.fd:
            H = self.hessian(x)
            return lambda v: H @ v
        scale = _SQRT_EPS * (1.0 + float(np.linalg.norm(x)))

        def product(v: Array) -> Array:
            vn = float(np.linalg.norm(v))
            if vn == 0.0:
                return np.zeros_like(v)
            h = scale / vn  # one gradient per product: counted in njev
            return (self.grad(x + h * v) - g) / h

        return product
