"""Read a function typed as text into a SymPy expression — without ever executing the text.

The text is parsed by Python's own tokenizer (``ast.parse(text, mode="eval")``) and the tree is
walked with an allow-list (:mod:`descend.expr._walk`, the one grammar, which
:mod:`descend.expr.tree` reads too); every SymPy object is built here, node by node. Neither ``eval``,
``exec``, ``sympy.sympify`` nor ``sympy.parse_expr`` ever sees user text (the last two call
``eval``).

The grammar accepted
--------------------
- numbers: integers and decimals (``3``, ``0.5``, ``1e-3``); decimals are read *exactly* as
  rationals (``0.1`` is 1/10), so gradients print exactly: ``0.5*x**2`` has gradient ``x``;
- variables: identifiers that do not start with ``_``;
- ``+ - * / **``, unary ``-`` and ``+``, parentheses; ``^`` is refused (write ``**``);
- calls to ``sin cos tan asin acos atan sinh cosh tanh exp sqrt abs`` (one argument) and
  ``log(x)`` (natural) or ``log(x, base)``;
- constants ``pi``, ``E`` and ``e`` (both Euler's number) — unless the caller lists that name
  in ``variables``, which makes it an ordinary variable.

Everything else (attributes, subscripts, strings, lambdas, comprehensions, comparisons, ...)
is refused with :class:`~descend.errors.ExpressionError`, whose ``column`` is the 1-based
character position in ``text`` where the refused part starts.

Bounds keep every input cheap: at most :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels
of nesting and :data:`MAX_NODES` syntax nodes. A power of two constants is computed exactly only
when that is cheap (small exponent); otherwise it is folded to a float, or refused when it
leaves float64's range — so ``9**9**9**9`` is refused at once instead of running for ages.

>>> parse_expression("x**2 + x*y + y**2")
x**2 + x*y + y**2
>>> parse_expression("0.5*x**2").diff(real_symbol("x"))
x
>>> parse_expression("e**x")
exp(x)
>>> parse_expression("x ^ 2")
Traceback (most recent call last):
...
descend.errors.ExpressionError: '^' is not a power here: write x**2 for x squared (column 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import sympy as sp

from descend.expr._walk import (
    ARITH,
    EXACT_DIGITS,
    EXACT_EXPONENT,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    MAX_VARIABLES,
    walk,
)

__all__ = [
    "parse_expression",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_VARIABLES",
    "real_symbol",
]

FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], Callable[..., float], tuple[int, ...]]] = {
    # name: (SymPy builder, float approximation, allowed argument counts)
    "sin": (sp.sin, math.sin, (1,)),
    "cos": (sp.cos, math.cos, (1,)),
    "tan": (sp.tan, math.tan, (1,)),
    "asin": (sp.asin, math.asin, (1,)),
    "acos": (sp.acos, math.acos, (1,)),
    "atan": (sp.atan, math.atan, (1,)),
    "sinh": (sp.sinh, math.sinh, (1,)),
    "cosh": (sp.cosh, math.cosh, (1,)),
    "tanh": (sp.tanh, math.tanh, (1,)),
    "exp": (sp.exp, math.exp, (1,)),
    "log": (sp.log, math.log, (1, 2)),
    "sqrt": (sp.sqrt, math.sqrt, (1,)),
    "abs": (sp.Abs, abs, (1,)),
}
"""The functions a text may call: name -> (SymPy builder, float version, argument counts)."""

CONSTANTS: dict[str, tuple[sp.Expr, float]] = {
    "pi": (sp.pi, math.pi),
    "E": (sp.E, math.e),
    "e": (sp.E, math.e),
}
"""Named constants (unless listed as variables): name -> (SymPy value, float value)."""


def real_symbol(name: str) -> sp.Symbol:
    """The SymPy symbol descend uses for variable ``name`` (declared real)."""
    return sp.Symbol(name, real=True)


class _SymPyAlgebra:
    """The walk's nodes as SymPy objects (:class:`descend.expr._walk.Algebra`)."""

    def integer(self, value: int) -> sp.Expr:
        return sp.Integer(value)

    def decimal(self, value: float) -> sp.Expr:
        return sp.Rational(repr(value))

    def symbol(self, name: str) -> sp.Expr:
        return real_symbol(name)

    def constant(self, name: str) -> sp.Expr:
        return CONSTANTS[name][0]

    def neg(self, a: sp.Expr) -> sp.Expr:
        return -a

    def binary(self, op: str, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return ARITH[op](a, b)  # type: ignore[no-any-return]

    def exact_power_ok(self, base: sp.Expr, exp: sp.Expr) -> bool:
        return bool(
            exp.is_Rational
            and abs(exp.p) <= EXACT_EXPONENT
            and exp.q <= EXACT_EXPONENT
            and all(
                len(str(abs(r.p))) <= EXACT_DIGITS and len(str(r.q)) <= EXACT_DIGITS
                for r in base.atoms(sp.Rational)
            )
        )

    def rounded(self, value: float) -> sp.Expr:
        return sp.Float(value)

    def call(self, name: str, args: list[sp.Expr]) -> sp.Expr:
        return FUNCTIONS[name][0](*args)

    def problem(self, result: sp.Expr) -> str | None:
        if result.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            return "this part is undefined or infinite (division by zero or log(0)?)"
        if result.has(sp.I) or (not result.free_symbols and result.is_extended_real is False):
            return (
                "this part is not a real number (e.g. sqrt or log of a negative constant); "
                "descend minimises real functions"
            )
        return None

    def variable_count(self, result: sp.Expr) -> int:
        return len(result.free_symbols)


def parse_expression(text: str, variables: Sequence[str] | None = None) -> sp.Expr:
    """Parse ``text`` into a SymPy expression of real variables, never executing it.

    Parameters
    ----------
    text:
        The formula, e.g. ``"(1 - x)**2 + 100*(y - x**2)**2"``. See the module docstring for
        the grammar.
    variables:
        The variable names, in order. When given, every name in ``text`` that is not a
        function or constant must be one of them (a name listed here wins over the constants
        ``pi``, ``E`` and ``e``). When omitted, the variables are whatever names appear.

    Raises
    ------
    ExpressionError
        Anything outside the grammar; ``column`` points at the refused part.

    >>> parse_expression("log(x, 2)")
    log(x)/log(2)
    >>> parse_expression("e*x", variables=["e", "x"])
    e*x
    >>> parse_expression("x + z", variables=["x", "y"])
    Traceback (most recent call last):
    ...
    descend.errors.ExpressionError: unknown variable 'z': the variables are (x, y); add 'z' to them or fix the spelling (column 5)
    """
    return walk(text, variables, _SymPyAlgebra())  # type: ignore[no-any-return]
