"""A formula with exact gradient and Hessian, compiled once to fast float code.

For f(v_1, ..., v_n) the gradient is the vector of partial derivatives and the Hessian the
matrix of second partials, both derived exactly by SymPy:

    ∇f = [∂f/∂v_1, ..., ∂f/∂v_n]          H_ij = ∂²f / ∂v_i ∂v_j

>>> f = SymbolicFunction("x**2 + y**2")
>>> f.gradient_formula
('2*x', '2*y')
>>> f.grad(np.array([3.0, 1.0]))
array([6., 2.])
>>> f.curvature_bound()
2.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from descend.errors import InputError
from descend.expr._compiled import POINT_ERRORS, CompiledFormula
from descend.expr.objective import Array
from descend.expr.parse import parse_expression, real_symbol

__all__ = ["SymbolicFunction", "formula_str"]

# Above this many operations (n × size of ∇f) the exact Hessian would take seconds to derive
# and compile; hessian() then differentiates the exact gradient numerically instead.
SYMBOLIC_HESSIAN_MAX_OPS = 20_000
_FD_STEP = float(np.finfo(np.float64).eps) ** (1 / 3)


class _FormulaPrinter(StrPrinter):
    """SymPy's string form, but spelled the way :func:`parse_expression` reads it back."""

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"abs({self._print(expr.args[0])})"


def formula_str(expr: sp.Expr) -> str:
    """``expr`` as text in the parser's own spelling.

    >>> formula_str(sp.Abs(real_symbol("x")) + 1)
    'abs(x) + 1'
    """
    return str(_FormulaPrinter().doprint(expr))


def _almost_everywhere(expr: sp.Expr) -> sp.Expr:
    """Drop ``DiracDelta`` terms: d/dx sign(x) = 2 δ(x) is 0 everywhere except at one point."""
    if expr.has(sp.DiracDelta):
        return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return expr


def _cse(exprs: Any) -> Any:
    # Temporaries are named _c0, _c1, ...: user variables never start with '_', so no clash.
    return sp.cse(exprs, symbols=sp.numbered_symbols("_c"))


class SymbolicFunction(CompiledFormula):
    """A scalar formula of real variables with exact derivatives (implements ``Objective``).

    Parameters
    ----------
    expr:
        Text (parsed safely by :func:`~descend.expr.parse_expression`) or a SymPy expression.
    variables:
        Variable names in order. Default: the names found in the formula, sorted.
    text:
        The text to show for a SymPy expression (default: its formula).

    The value, the value with its gradient, and the Hessian are each compiled once with
    ``sympy.lambdify`` to straight-line Python over ``math`` functions, with common
    subexpressions shared between f and ∇f. At a point where that code raises (``log`` of a
    negative number, ``exp`` overflow, ``1/0``) the same formulas are evaluated with NumPy, so
    the answer is ``nan``/``inf`` — never an exception — and the descent loop can detect
    divergence.
    """

    def __init__(
        self,
        expr: str | sp.Expr,
        variables: Sequence[str] | None = None,
        *,
        text: str | None = None,
    ) -> None:
        if isinstance(expr, str):
            text = expr if text is None else text
            expr = parse_expression(expr, variables)
        elif isinstance(expr, sp.Basic):
            if not isinstance(expr, sp.Expr) or not getattr(expr, "is_scalar", True):
                raise InputError(
                    f"a SymPy formula must be a scalar expression, got {type(expr).__name__}"
                )
            # Re-declare every symbol real, by name: it keeps |x|' = sign(x) free of re/im.
            expr = expr.xreplace({s: real_symbol(s.name) for s in expr.free_symbols})
        else:
            raise InputError(
                f"expected a formula as text or a SymPy expression, got {type(expr).__name__}"
            )
        found = sorted(s.name for s in expr.free_symbols)
        if variables is None:
            names = tuple(found)
        else:
            names = tuple(str(v) for v in variables)
            unknown = [v for v in found if v not in names]
            if unknown:
                raise InputError(
                    f"the formula uses {unknown[0]!r}, which is not among the variables "
                    f"({', '.join(names)}); add it to variables"
                )
        if not names:
            raise InputError(
                f"the formula {formula_str(expr)!r} has no variables, so there is nothing to "
                "minimise; pass variables=[...] to treat it as a function of them"
            )
        self._expr: sp.Expr = expr
        self._variables = names
        self._text = formula_str(expr) if text is None else text
        self._symbols = tuple(real_symbol(v) for v in names)
        self._shape = (len(names),)
        # Compiled code takes positional _v0, _v1, ...; user names can't clash with those or
        # with the math module's names.
        self._args = sp.symbols(f"_v0:{len(names)}", real=True)
        self._to_args = dict(zip(self._symbols, self._args, strict=True))
        # lambdify prints Python code from the validated SymPy tree, never from user text.
        self._f = self._compile(self._expr, "math")
        self._vg = self._compile((self._expr, self.gradient_exprs), "math", cse=True)
        self._f_np: Callable[..., Any] | None = None
        self._vg_np: Callable[..., Any] | None = None
        self._h: Callable[..., Any] | None = None
        self._h_np: Callable[..., Any] | None = None

    # -- the formulas -----------------------------------------------------------------------
    @property
    def expr(self) -> sp.Expr:
        """The SymPy expression (variables are real symbols)."""
        return self._expr

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """The SymPy symbols of :attr:`variables`, in order."""
        return self._symbols

    @cached_property
    def gradient_exprs(self) -> tuple[sp.Expr, ...]:
        """∇f exactly: ``(∂f/∂v_1, ..., ∂f/∂v_n)``."""
        return tuple(_almost_everywhere(sp.diff(self._expr, s)) for s in self._symbols)

    @cached_property
    def hessian_exprs(self) -> tuple[tuple[sp.Expr, ...], ...]:
        """H exactly: ``H[i][j] = ∂²f/∂v_i∂v_j`` (symmetric; computed once per pair)."""
        n = self.n
        rows: list[list[sp.Expr]] = [[sp.S.Zero] * n for _ in range(n)]
        for i, gi in enumerate(self.gradient_exprs):
            for j in range(i, n):
                rows[i][j] = rows[j][i] = _almost_everywhere(sp.diff(gi, self._symbols[j]))
        return tuple(tuple(r) for r in rows)

    @property
    def formula(self) -> str:
        """f as text, e.g. ``'x**2 + x*y + y**2'``."""
        return formula_str(self._expr)

    @property
    def gradient_formula(self) -> tuple[str, ...]:
        """∇f as text, one entry per variable, e.g. ``('2*x + y', 'x + 2*y')``."""
        return tuple(formula_str(g) for g in self.gradient_exprs)

    @property
    def hessian_formula(self) -> tuple[tuple[str, ...], ...]:
        """H as text, row by row."""
        return tuple(tuple(formula_str(h) for h in row) for row in self.hessian_exprs)

    # -- evaluation (value, grad, value_and_grad: CompiledFormula) --------------------------
    def _value_numpy(self, args: list[float]) -> float:
        if self._f_np is None:
            self._f_np = self._compile(self._expr, "numpy")
        return float(_numpy_eval(self._f_np, args, math.nan))

    @cached_property
    def symbolic_hessian(self) -> bool:
        """Whether :meth:`hessian` is exact; False for formulas too large to differentiate
        twice quickly (then central differences of the exact gradient, error ~1e-10)."""
        ops = sum(sp.count_ops(g) for g in self.gradient_exprs)
        return bool(self.n * ops <= SYMBOLIC_HESSIAN_MAX_OPS)

    def hessian(self, x: Array) -> Array:
        """The ``(n, n)`` Hessian at x (``DiracDelta`` terms of ``abs`` dropped)."""
        args = self._point(x)
        if not self.symbolic_hessian:
            return self._fd_hessian(np.array(args, dtype=np.float64))
        if self._h is None:
            self._h = self._compile(self.hessian_exprs, "math", cse=True)
        try:
            return np.array(self._h(args), dtype=np.float64).reshape(self.n, self.n)
        except POINT_ERRORS:
            if self._h_np is None:
                self._h_np = self._compile(self.hessian_exprs, "numpy", cse=True)
            out = _numpy_eval(self._h_np, args, None)
            if out is None:
                return np.full((self.n, self.n), math.nan)
            return np.array(out, dtype=np.float64).reshape(self.n, self.n)

    def _fd_hessian(self, x: Array) -> Array:
        """Central differences of the exact gradient, symmetrised: (H + Hᵀ)/2."""
        H = np.empty((self.n, self.n))
        for i in range(self.n):
            step = _FD_STEP * max(1.0, abs(x[i]))
            xp, xm = x.copy(), x.copy()
            xp[i] += step
            xm[i] -= step
            H[:, i] = (self.grad(xp) - self.grad(xm)) / (xp[i] - xm[i])
        return (H + H.T) / 2

    @cached_property
    def _curvature(self) -> float | None:
        if not self.symbolic_hessian:
            return None
        if any(h.free_symbols for row in self.hessian_exprs for h in row):
            return None
        try:
            matrix = np.array(
                [[float(h) for h in row] for row in self.hessian_exprs], dtype=np.float64
            )
        except (TypeError, ValueError, OverflowError):
            return None
        if not np.all(np.isfinite(matrix)):
            return None
        return max(0.0, float(np.linalg.eigvalsh(matrix)[-1]))

    # -- helpers ----------------------------------------------------------------------------
    def _compile(self, exprs: Any, module: str, cse: bool = False) -> Callable[..., Any]:
        exprs = _substitute(exprs, self._to_args)
        kwargs: dict[str, Any] = {"cse": _cse} if cse else {}
        # One argument, the list of the point's n floats, unpacked by the compiled code.
        return sp.lambdify([self._args], exprs, modules=module, **kwargs)  # type: ignore[no-any-return]

    def _value_and_grad_numpy(self, args: list[float]) -> tuple[float, Array]:
        if self._vg_np is None:
            self._vg_np = self._compile((self._expr, self.gradient_exprs), "numpy", cse=True)
        out = _numpy_eval(self._vg_np, args, None)
        if out is None:
            return math.nan, np.full(self.n, math.nan)
        v, g = out
        return float(v), np.array(g, dtype=np.float64)


def _substitute(exprs: Any, mapping: dict[sp.Symbol, sp.Symbol]) -> Any:
    if isinstance(exprs, tuple | list):
        return tuple(_substitute(e, mapping) for e in exprs)
    return exprs.xreplace(mapping)


def _numpy_eval(fn: Callable[..., Any], args: list[float], failed: Any) -> Any:
    """Evaluate with NumPy scalars, where 1/0 is inf and log(-1) is nan instead of raising."""
    with np.errstate(all="ignore"):
        try:
            return fn([np.float64(a) for a in args])
        except (ArithmeticError, ValueError):
            # Only a constant beyond float64 (e.g. an integer coefficient of 10**400) gets here.
            return failed
