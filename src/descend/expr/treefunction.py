"""A typed formula as an ``Objective`` without SymPy: for pictures, which need values fast.

:class:`TreeFunction` evaluates descend's own tree (:mod:`descend.expr.tree`, read by the same
grammar as :func:`~descend.expr.parse_expression`) with exact forward-mode derivatives
(:mod:`descend.expr._forward`). Its values and gradients equal :class:`SymbolicFunction`'s to
rounding (the same function, written as typed instead of SymPy's rearranged form); importing
it costs no SymPy (about 0.5 s of CPU).

:func:`picture_function` picks it for a picture and hands anything it cannot vouch for to
SymPy: a text the tree refuses (SymPy then gives its own message), a formula that may cancel a
variable (``x + y - y``: SymPy sees only x), or one undefined at every sampled point.

>>> f = TreeFunction("x**2 + x*y + y**2")
>>> f.value_and_grad(np.array([1.0, 2.0]))
(7.0, array([4., 5.]))
>>> f.curvature_bound()
3.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from descend.errors import ExpressionError, InputError
from descend.expr._compiled import CompiledFormula
from descend.expr._forward import compile_hessian, compile_jet, compile_value
from descend.expr.objective import Array
from descend.expr.tree import formula_text, parse_tree, polynomial_degree

__all__ = ["TreeFunction", "picture_function"]


class TreeFunction(CompiledFormula):
    """A formula of real variables with exact gradient and Hessian (implements ``Objective``).

    Parameters
    ----------
    text:
        The formula, read by the grammar of :func:`~descend.expr.parse_expression`.
    variables:
        Variable names in order. Default: the names in the formula, sorted.

    ``formula`` is the formula as typed (redundant parentheses dropped), not SymPy's
    rearranged print.
    """

    def __init__(self, text: str, variables: Sequence[str] | None = None) -> None:
        tree = parse_tree(text, variables)
        unknown = [v for v in tree.root.variables if v not in tree.variables]
        if unknown:  # pragma: no cover - the walk refuses names not listed
            raise InputError(f"the formula uses {unknown[0]!r}, which is not among the variables")
        if not tree.variables:
            raise InputError(f"the formula {text!r} has no variables, so there is nothing to "
                             "minimise")
        self._tree = tree
        self._text = text
        self._variables = tree.variables
        self._shape = (len(self._variables),)
        index = {v: i for i, v in enumerate(self._variables)}
        self._f = compile_value(tree.root, index, numpy=False)
        self._vg = compile_jet(tree.root, index, numpy=False)
        self._f_np = compile_value(tree.root, index, numpy=True)
        self._vg_np = compile_jet(tree.root, index, numpy=True)
        self._index = index

    @property
    def formula(self) -> str:
        """f as text, in the order typed, e.g. ``'(1 - x)**2 + 100*(y - x**2)**2'``."""
        return formula_text(self._tree)

    # -- one point (value, grad, value_and_grad: CompiledFormula) ---------------------------
    def _value_numpy(self, args: list[float]) -> float:
        with np.errstate(all="ignore"):
            return float(self._f_np([np.float64(a) for a in args]))

    def _value_and_grad_numpy(self, args: list[float]) -> tuple[float, Array]:
        with np.errstate(all="ignore"):
            v, g = self._vg_np([np.float64(a) for a in args])
        grad = np.zeros(self.n) if g is None else np.array(g, dtype=np.float64)
        return float(v), grad

    def hessian(self, x: Array) -> Array:
        """The ``(n, n)`` Hessian at x, by second-order forward mode (``nan`` where undefined)."""
        return self._hessian(self._point(x))

    @cached_property
    def _hessian(self) -> Callable[[list[float]], Array]:
        return compile_hessian(self._tree.root, self._index)

    @cached_property
    def _curvature(self) -> float | None:
        # Only a formula visibly a quadratic (degree ≤ 2) is known to have a constant H.
        if polynomial_degree(self._tree) > 2:
            return None
        H = self.hessian(np.zeros(self.n))
        if not np.all(np.isfinite(H)):
            return None
        return max(0.0, float(np.linalg.eigvalsh(H)[-1]))

    # -- many points at once ----------------------------------------------------------------
    def values_at(self, points: Array) -> Array:
        """f at each row of ``points`` (shape ``(m, n)``), in one NumPy pass."""
        cols = [np.ascontiguousarray(points[:, i], dtype=np.float64) for i in range(self.n)]
        with np.errstate(all="ignore"):
            out = self._f_np(cols)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (points.shape[0],)).copy()

    def gradients_at(self, points: Array) -> Array:
        """∇f at each row of ``points``, shape ``(m, n)``, in one NumPy pass."""
        m = points.shape[0]
        cols = [np.ascontiguousarray(points[:, i], dtype=np.float64) for i in range(self.n)]
        with np.errstate(all="ignore"):
            _, g = self._vg_np(cols)
        out = np.zeros((m, self.n))
        if g is not None:
            for i, gi in enumerate(g):
                out[:, i] = gi
        return out


def _vouched(fun: TreeFunction) -> bool:
    """Whether SymPy would see the same function: every variable moves f somewhere, and f is
    defined somewhere, on 16 fixed points of [-2, 2]^n."""
    pts = np.random.default_rng(20261207).uniform(-2.0, 2.0, size=(16, fun.n))
    values = fun.values_at(pts)
    grads = fun.gradients_at(pts)
    finite = np.isfinite(values) & np.all(np.isfinite(grads), axis=1)
    if not finite.any():
        return False
    g = np.abs(grads[finite])
    scale = np.maximum(np.abs(values[finite]), 1.0)[:, None]
    # A variable SymPy cancels (x + y - y, log(exp(y)) - y) has ∂f ≈ 0 everywhere.
    return bool(np.all(np.any(g > 1e-9 * scale, axis=0)))


def picture_function(text: str, variables: Sequence[str] | None = None) -> Any:
    """The function for a picture of ``text``: a :class:`TreeFunction` (no SymPy) when it is
    surely the same function SymPy reads, else :func:`descend.expr.function`'s
    :class:`~descend.expr.SymbolicFunction` (its errors and messages unchanged).

    >>> type(picture_function("x**2 + y**2")).__name__
    'TreeFunction'
    >>> type(picture_function("x + y - y")).__name__
    'SymbolicFunction'
    """
    try:
        fun = TreeFunction(text, variables)
        if _vouched(fun):
            return fun
    except (ExpressionError, InputError):
        pass
    from descend.expr import function

    return function(text, variables=variables)
