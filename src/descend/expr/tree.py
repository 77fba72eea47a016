"""A typed formula as descend's own small tree, read by the one grammar, without SymPy.

:func:`parse_tree` reads text with exactly the walk :func:`~descend.expr.parse_expression`
uses (:mod:`descend.expr._walk`: the same allow-list, bounds and messages) but builds
:class:`Node` objects instead of SymPy expressions, so a caller that needs only values and
derivatives (a picture) does not import SymPy. Numbers are kept as typed and folded exactly
(``fractions.Fraction``) where both sides are rational, as SymPy would: ``x/(0.1 + 0.2 - 0.3)``
is refused as a division by zero.

A part SymPy would refuse (``1/0``, ``log(-1)``, ``sqrt(-2)``) is refused here too. Where the
tree cannot decide what SymPy would say without algebra (a constant such as ``sin(pi)``, which
SymPy makes an exact 0 and the float ``1.2e-16``), it refuses as well: callers then ask SymPy
(:func:`descend.expr.treefunction.picture_function` does), so nothing is ever accepted here
that SymPy refuses because of a constant.

>>> t = parse_tree("(1 - x)**2 + 100*(y - x**2)**2")
>>> t.variables, formula_text(t)
(('x', 'y'), '(1 - x)**2 + 100*(y - x**2)**2')
>>> polynomial_degree(parse_tree("x**2 + x*y/2 + 3"))
2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from descend.expr._walk import (
    ARITH,
    CONSTANT_VALUES,
    EXACT_DIGITS,
    EXACT_EXPONENT,
    FLOAT_FUNCTIONS,
    check_variables,
    walk,
)

__all__ = ["Node", "TreeFormula", "formula_text", "parse_tree", "polynomial_degree"]

_UNDEFINED = "this part is undefined or infinite (division by zero or log(0)?)"
_NOT_REAL = ("this part is not a real number (e.g. sqrt or log of a negative constant); "
             "descend minimises real functions")
_NEAR_ZERO = ("this constant part is nearly zero but not exactly; its exact value needs "
              "symbolic algebra")
# An irrational constant closer to 0 than this may be an exact 0 for SymPy (sin(pi)).
_TINY = 1e-12


class Node:
    """One part of a formula.

    ``kind`` is ``"num"`` (a number as typed: ``text``, exact ``value`` when rational),
    ``"const"`` (``pi``, ``E``, ``e``), ``"var"`` (``name``), ``"neg"``, one of
    ``+ - * / **`` (two ``args``) or ``"call"`` (``name`` and its ``args``). ``approx`` is the
    float value of a part without variables (``None`` otherwise), ``exact`` its exact rational
    value when it has one; ``variables`` are the names below this node, sorted; ``problem`` is
    the message refusing it, if any.
    """

    __slots__ = ("approx", "args", "exact", "kind", "name", "problem", "variables")

    def __init__(self, kind: str, args: tuple[Node, ...] = (), *, name: str = "",
                 exact: Fraction | None = None, approx: float | None = None,
                 variables: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.args = args
        self.name = name
        self.exact = exact
        self.approx = approx
        self.variables = variables
        self.problem: str | None = None

    @property
    def constant(self) -> bool:
        """True for a part without variables."""
        return self.approx is not None

    def __repr__(self) -> str:
        return f"Node({formula_text(self)!r})"


def _vars(*nodes: Node) -> tuple[str, ...]:
    return tuple(sorted({v for n in nodes for v in n.variables}))


def _float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _judge(node: Node) -> Node:
    """Set ``problem`` from the constant's value: undefined, not real, or nearly zero."""
    v = node.approx
    if v is None:
        return node
    if math.isnan(v):
        node.problem = _NOT_REAL if node.kind in ("call", "**") else _UNDEFINED
    elif math.isinf(v):
        node.problem = _UNDEFINED
    elif node.exact is None and abs(v) < _TINY:
        node.problem = _NEAR_ZERO
    return node


def _exact_binary(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    if op == "/" and b == 0:
        return None
    if op != "**":
        return ARITH[op](a, b)  # type: ignore[no-any-return]
    if b.denominator != 1 or (a == 0 and b < 0):
        return None
    return a ** int(b)


def _float_binary(op: str, a: float, b: float) -> float:
    try:
        return math.pow(a, b) if op == "**" else ARITH[op](a, b)  # type: ignore[no-any-return]
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


class _TreeAlgebra:
    """The walk's nodes as :class:`Node` objects (:class:`descend.expr._walk.Algebra`)."""

    def integer(self, value: int) -> Node:
        return Node("num", name=str(value), exact=Fraction(value), approx=float(value))

    def decimal(self, value: float) -> Node:
        return Node("num", name=repr(value), exact=Fraction(repr(value)), approx=value)

    def symbol(self, name: str) -> Node:
        return Node("var", name=name, variables=(name,))

    def constant(self, name: str) -> Node:
        return Node("const", name=name, approx=CONSTANT_VALUES[name])

    def neg(self, a: Node) -> Node:
        exact = None if a.exact is None else -a.exact
        approx = None if a.approx is None else -a.approx
        node = Node("neg", (a,), exact=exact, approx=approx, variables=a.variables)
        node.problem = a.problem
        return node

    def binary(self, op: str, a: Node, b: Node) -> Node:
        node = Node(op, (a, b), variables=_vars(a, b))
        if op == "/" and b.exact == 0:
            node.problem = _UNDEFINED  # x/0 is zoo*x for SymPy
            return node
        if op == "**" and a.exact == 0 and b.exact is not None and b.exact < 0:
            node.problem = _UNDEFINED
            return node
        if a.approx is None or b.approx is None:
            return node
        if a.exact is not None and b.exact is not None:
            node.exact = _exact_binary(op, a.exact, b.exact)
        node.approx = (_float(node.exact) if node.exact is not None
                       else _float_binary(op, a.approx, b.approx))
        return _judge(node)

    def exact_power_ok(self, base: Node, exp: Node) -> bool:
        if exp.exact is None:
            return False
        small = abs(exp.exact.numerator) <= EXACT_EXPONENT and exp.exact.denominator <= EXACT_EXPONENT
        return small and all(
            len(str(abs(r.numerator))) <= EXACT_DIGITS and len(str(r.denominator)) <= EXACT_DIGITS
            for r in _rationals(base)
        )

    def rounded(self, value: float) -> Node:
        return Node("num", name=repr(value), approx=value)

    def call(self, name: str, args: list[Node]) -> Node:
        node = Node("call", tuple(args), name=name, variables=_vars(*args))
        if name == "log" and len(args) == 2 and args[1].approx is not None:
            # log(a, b) is log(a)/log(b): a base <= 0 is not real, a base of 1 divides by 0.
            base = self.call("log", [args[1]])
            if base.problem is not None or base.exact == 0 or base.approx == 0:
                node.problem = base.problem or _UNDEFINED
                return node
        if any(a.approx is None for a in args):
            return node
        try:
            node.approx = float(FLOAT_FUNCTIONS[name][0](*(a.approx for a in args)))
        except OverflowError:
            node.approx = math.inf
        except (ValueError, ZeroDivisionError):
            node.approx = math.nan
        if name == "abs" and args[0].exact is not None:
            node.exact = abs(args[0].exact)
        elif name in ("log", "sqrt") and args[0].exact == 1:
            node.exact = Fraction(0 if name == "log" else 1)
        return _judge(node)

    def problem(self, result: Node) -> str | None:
        return result.problem

    def variable_count(self, result: Node) -> int:
        return len(result.variables)


def _rationals(node: Node) -> list[Fraction]:
    """The exact rational values in ``node`` (as SymPy's ``atoms(Rational)`` would see)."""
    if node.exact is not None:
        return [node.exact]
    return [r for a in node.args for r in _rationals(a)]


class TreeFormula:
    """A parsed formula: the root :class:`Node` and the variable names in order."""

    __slots__ = ("root", "variables")

    def __init__(self, root: Node, variables: tuple[str, ...]) -> None:
        self.root = root
        self.variables = variables


def parse_tree(text: str, variables: Sequence[str] | None = None) -> TreeFormula:
    """Read ``text`` into a :class:`TreeFormula`, never executing it.

    The grammar, bounds and messages are :func:`~descend.expr.parse_expression`'s (one walk);
    ``variables`` as there. Without ``variables`` the variables are the names found, sorted.

    >>> parse_tree("y*x + sin(x)").variables
    ('x', 'y')
    """
    root: Node = walk(text, variables, _TreeAlgebra())
    names = check_variables(variables, text)
    return TreeFormula(root, root.variables if names is None else names)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def _text(node: Node) -> str:
    kind = node.kind
    if kind in ("num", "const", "var"):
        return node.name
    if kind == "call":
        return f"{node.name}({', '.join(_text(a) for a in node.args)})"
    own = _PRECEDENCE[kind]
    if kind == "neg":
        (a,) = node.args
        return "-" + _wrap(a, _PRECEDENCE.get(a.kind, 5) < own)
    a, b = node.args
    pa, pb = _PRECEDENCE.get(a.kind, 5), _PRECEDENCE.get(b.kind, 5)
    if kind == "**":
        # Right-associative: a left power or sign needs parentheses, a right one does not.
        return f"{_wrap(a, pa <= own)}**{_wrap(b, pb < own)}"
    sep = " " if own == 1 else ""
    return f"{_wrap(a, pa < own)}{sep}{kind}{sep}{_wrap(b, pb <= own)}"


def _wrap(node: Node, parens: bool) -> str:
    text = _text(node)
    return f"({text})" if parens else text


def formula_text(formula: TreeFormula | Node) -> str:
    """The formula as text, in the order typed, spaced as descend prints formulas.

    Redundant parentheses and a unary ``+`` are dropped; the text reads back as the same tree.

    >>> formula_text(parse_tree("((x))**2+ -y/ (2*x)"))
    'x**2 + -y/(2*x)'
    """
    return _text(formula.root if isinstance(formula, TreeFormula) else formula)


def polynomial_degree(formula: TreeFormula | Node) -> float:
    """The degree of the formula as a polynomial in its variables, ``inf`` when the tree is
    not visibly a polynomial (a function of a variable, a division by one, a non-integer or
    negative power). A tree of degree <= 2 has a constant Hessian.
    """
    node = formula.root if isinstance(formula, TreeFormula) else formula
    if node.constant or not node.variables:
        return 0
    kind = node.kind
    if kind == "var":
        return 1
    if kind == "neg":
        return polynomial_degree(node.args[0])
    if kind == "call":
        return math.inf
    a, b = (polynomial_degree(n) for n in node.args)
    if kind in ("+", "-"):
        return max(a, b)
    if kind == "*":
        return a + b
    if kind == "/":
        return a if b == 0 else math.inf
    k = node.args[1].exact
    if b == 0 and k is not None and k.denominator == 1 and k >= 0:
        return a * int(k)
    return math.inf
