"""The grammar of a typed formula: one allow-listed walk of Python's own syntax tree.

Text is read by ``ast.parse(text, mode="eval")`` (Python's tokenizer; nothing is executed) and
walked here with an allow-list. Every node that passes is handed to an *algebra*, which builds
its own kind of value from it: :mod:`descend.expr.parse` builds SymPy expressions (exact
gradients, printed formulas) and :mod:`descend.expr.tree` builds descend's own small tree
(NumPy values and forward-mode derivatives, no SymPy import). Both read the same grammar, the
same bounds and the same error messages, because both are this walk.

This module imports neither SymPy nor NumPy.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from descend.errors import ExpressionError

__all__ = [
    "Algebra",
    "CONSTANT_VALUES",
    "FLOAT_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_VARIABLES",
    "walk",
]

MAX_LENGTH = 2000
"""Longest text accepted, in characters."""
MAX_DEPTH = 60
"""Deepest nesting accepted: calls, signs and right operands (``-(-(-x))`` is depth 4).
A flat chain ``a + b - c + ...`` counts as one level however long it is."""
MAX_VARIABLES = 32
"""Most distinct variables in a formula (differentiating costs grow as n**3); use a Python
callable (:class:`~descend.expr.CallableFunction`) for more."""
MAX_NODES = 600
"""Most parts accepted: numbers, names, operations and calls."""

# A power of two constants is computed exactly only below these sizes (cost stays microseconds).
EXACT_EXPONENT = 64
EXACT_DIGITS = 400

FLOAT_FUNCTIONS: dict[str, tuple[Callable[..., float], tuple[int, ...]]] = {
    # name: (float version, allowed argument counts)
    "sin": (math.sin, (1,)),
    "cos": (math.cos, (1,)),
    "tan": (math.tan, (1,)),
    "asin": (math.asin, (1,)),
    "acos": (math.acos, (1,)),
    "atan": (math.atan, (1,)),
    "sinh": (math.sinh, (1,)),
    "cosh": (math.cosh, (1,)),
    "tanh": (math.tanh, (1,)),
    "exp": (math.exp, (1,)),
    "log": (math.log, (1, 2)),
    "sqrt": (math.sqrt, (1,)),
    "abs": (abs, (1,)),
}
"""The functions a text may call: name -> (float version, argument counts)."""

CONSTANT_VALUES: dict[str, float] = {"pi": math.pi, "E": math.e, "e": math.e}
"""Named constants (unless listed as variables): name -> float value."""

#: The grammar's binary operators by name, applied to any algebra's values (floats, Fractions,
#: SymPy expressions); each algebra adds its own rules for division by zero and powers.
ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow,
}

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}

_REFUSED_OPS: dict[type[ast.AST], str] = {
    ast.BitXor: "'^' is not a power here: write x**2 for x squared",
    ast.FloorDiv: "'//' (floor division) is not allowed: write / for division",
    ast.Mod: "'%' (remainder) is not allowed",
    ast.MatMult: "'@' (matrix product) is not allowed: write * for multiplication",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.BitOr: "'|' is not allowed",
    ast.BitAnd: "'&' is not allowed",
    ast.Invert: "'~' is not allowed: write - for negation",
    ast.Not: "'not' is not allowed",
}

_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access with '.' is not allowed; call functions by name, e.g. sin(x)",
    ast.Subscript: "indexing with [] is not allowed; give each variable its own name, e.g. x, y",
    ast.Lambda: "lambda is not allowed; type the formula itself, e.g. x**2 + y**2",
    ast.IfExp: "'if ... else' is not allowed; type a single formula",
    ast.Compare: "comparisons are not allowed; type the function to minimise, e.g. (x - 1)**2",
    ast.BoolOp: "'and'/'or' are not allowed; type a single formula",
    ast.NamedExpr: "':=' is not allowed; type a single formula",
    ast.ListComp: "comprehensions are not allowed; type a single formula",
    ast.SetComp: "comprehensions are not allowed; type a single formula",
    ast.DictComp: "comprehensions are not allowed; type a single formula",
    ast.GeneratorExp: "comprehensions are not allowed; type a single formula",
    ast.List: "lists are not allowed; type a single formula",
    ast.Tuple: "tuples (a comma) are not allowed; type a single formula",
    ast.Set: "sets are not allowed; type a single formula",
    ast.Dict: "dictionaries are not allowed; type a single formula",
    ast.JoinedStr: "f-strings are not allowed; type a formula",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Slice: "slices are not allowed",
}


class Algebra(Protocol):
    """What the walk builds with. ``T`` is the algebra's value (a SymPy ``Expr``, a tree node).

    ``problem`` returns the message refusing a built part (``1/0``, ``log(-1)``) or ``None``.
    """

    def integer(self, value: int) -> Any: ...
    def decimal(self, value: float) -> Any: ...
    def symbol(self, name: str) -> Any: ...
    def constant(self, name: str) -> Any: ...
    def neg(self, a: Any) -> Any: ...
    def binary(self, op: str, a: Any, b: Any) -> Any: ...
    def exact_power_ok(self, base: Any, exp: Any) -> bool: ...
    def rounded(self, value: float) -> Any: ...
    def call(self, name: str, args: list[Any]) -> Any: ...
    def problem(self, result: Any) -> str | None: ...
    def variable_count(self, result: Any) -> int: ...


class _Walker:
    """Walk an allow-listed ``ast`` tree and build the algebra's value bottom-up.

    Each visit returns ``(value, approx)`` where ``approx`` is a float64 approximation of a
    constant node (``None`` when the node depends on a variable). The approximation lets the
    power guard judge a constant's size without asking the algebra to evaluate it.
    """

    def __init__(self, text: str, parsed: str, lead: int, variables: tuple[str, ...] | None,
                 algebra: Algebra):
        self.text = text
        self.lead = lead
        self.variables = variables
        self.algebra = algebra
        # Characters before each line of the parsed text, to turn (line, col) into a position.
        self.line_starts = [0]
        for line in parsed.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.lines = parsed.splitlines(keepends=True) or [""]

    # -- positions ------------------------------------------------------------------------
    def position(self, lineno: int, byte_col: int) -> int:
        """0-based character index in the parsed text of an ast (line, byte offset) pair."""
        row = max(1, min(lineno, len(self.lines))) - 1
        # ast offsets count UTF-8 bytes; convert to characters.
        chars = len(self.lines[row].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        return self.line_starts[row] + chars

    def column(self, node: ast.AST) -> int:
        """1-based character position in the original text where ``node`` starts."""
        pos = self.position(getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        return self.lead + pos + 1

    def operator_column(self, node: ast.BinOp) -> int:
        """1-based column of a binary operator: the first non-blank after the left operand."""
        left = node.left
        pos = self.position(left.end_lineno or left.lineno, left.end_col_offset or 0)
        parsed = "".join(self.lines)
        while pos < len(parsed) and (parsed[pos].isspace() or parsed[pos] == ")"):
            pos += 1
        return self.lead + pos + 1

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, text=self.text, column=self.column(node))

    # -- the walk -------------------------------------------------------------------------
    def build(self, node: ast.AST, depth: int) -> tuple[Any, float | None]:
        if depth > MAX_DEPTH:
            raise self.fail(
                f"the formula is nested more than {MAX_DEPTH} levels deep; simplify it", node
            )
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        for kind, message in _REFUSED_NODES.items():
            if isinstance(node, kind):
                raise self.fail(message, node)
        raise self.fail(f"'{type(node).__name__}' is not allowed in a formula", node)

    def number(self, node: ast.Constant) -> tuple[Any, float | None]:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.fail(f"{value!r} is not a number; type a formula such as x**2", node)
        if isinstance(value, str | bytes):
            raise self.fail("strings are not allowed; type the formula without quotes", node)
        if isinstance(value, complex):
            raise self.fail(
                "complex numbers (j) are not allowed; descend minimises real functions", node
            )
        if isinstance(value, int):
            if value.bit_length() > 1024:
                raise self.fail("this integer is too large for a float64 (max about 1.8e308)", node)
            return self.algebra.integer(value), float(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail("this number is too large for a float64 (max about 1.8e308)", node)
            # repr round-trips, so this is exactly the decimal the user typed (up to 17 digits).
            return self.algebra.decimal(value), value
        raise self.fail(f"{type(value).__name__} constants are not allowed", node)

    def name(self, node: ast.Name) -> tuple[Any, float | None]:
        name = node.id
        if name.startswith("_"):
            raise self.fail(
                f"names starting with '_' are not allowed ({name!r}); rename the variable", node
            )
        if self.variables is not None and name in self.variables:
            return self.algebra.symbol(name), None
        if name in CONSTANT_VALUES:
            return self.algebra.constant(name), CONSTANT_VALUES[name]
        if name in FLOAT_FUNCTIONS:
            raise self.fail(f"{name} is a function: call it, e.g. {name}(x)", node)
        if self.variables is not None:
            listed = ", ".join(self.variables)
            raise self.fail(
                f"unknown variable {name!r}: the variables are ({listed}); "
                f"add {name!r} to them or fix the spelling",
                node,
            )
        return self.algebra.symbol(name), None

    def unary(self, node: ast.UnaryOp, depth: int) -> tuple[Any, float | None]:
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand, approx = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand, approx
            return self.algebra.neg(operand), None if approx is None else -approx
        raise self.fail(_REFUSED_OPS.get(type(node.op), "this operator is not allowed"), node)

    def binop(self, node: ast.BinOp, depth: int) -> tuple[Any, float | None]:
        # A chain a + b - c + ... is a left-leaning tree as deep as it is long. Walk its left
        # spine iteratively and charge depth only for what is nested on the right, so a long
        # flat sum is fine while (((x))) nesting still counts.
        spine = [node]
        while isinstance(spine[-1].left, ast.BinOp):
            spine.append(spine[-1].left)
        for link in spine:
            if type(link.op) not in _BINOPS:
                message = _REFUSED_OPS.get(type(link.op), "this operator is not allowed")
                raise ExpressionError(message, text=self.text, column=self.operator_column(link))
        left, lapprox = self.build(spine[-1].left, depth + 1)
        for link in reversed(spine):
            right, rapprox = self.build(link.right, depth + 1)
            left, lapprox = self.combine(link, left, lapprox, right, rapprox)
        return left, lapprox

    def combine(self, node: ast.BinOp, left: Any, lapprox: float | None, right: Any,
                rapprox: float | None) -> tuple[Any, float | None]:
        op = _BINOPS[type(node.op)]
        if op == "**":
            result, approx = self.power(node, left, lapprox, right, rapprox)
        else:
            result = self.algebra.binary(op, left, right)
            approx = _approx_binop(op, lapprox, rapprox)
        return self.checked(result, node), approx

    def power(self, node: ast.BinOp, base: Any, bapprox: float | None, exp: Any,
              eapprox: float | None) -> tuple[Any, float | None]:
        if bapprox is None or eapprox is None:
            return self.algebra.binary("**", base, exp), None
        # Both constant: an exact power of 9**9**9 is a number with 370 million digits.
        # Compute it exactly only when small.
        approx = _approx_pow(bapprox, eapprox)
        if self.algebra.exact_power_ok(base, exp):
            return self.algebra.binary("**", base, exp), approx
        if approx is not None and math.isfinite(approx) and approx != 0.0:
            return self.algebra.rounded(approx), approx
        if approx is not None and math.isnan(approx):
            raise self.fail("this power of constants is not a real number", node)
        raise self.fail(
            "this power of constants is outside float64's range (about 1e-308 to 1.8e308); "
            "use a smaller exponent",
            node,
        )

    def call(self, node: ast.Call, depth: int) -> tuple[Any, float | None]:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise self.fail(_REFUSED_NODES[ast.Attribute], func)
            raise self.fail("only named functions can be called, e.g. sin(x)", node)
        name = func.id
        allowed = ", ".join(FLOAT_FUNCTIONS)
        if name not in FLOAT_FUNCTIONS or (self.variables is not None and name in self.variables):
            if name.startswith("_"):
                raise self.fail(f"names starting with '_' are not allowed ({name!r})", func)
            listed = self.variables is not None and name in self.variables
            hint = f"; to multiply write {name}*(...)" if listed or len(name) <= 2 else ""
            raise self.fail(f"{name}() is not an allowed function (allowed: {allowed}){hint}", func)
        if node.keywords:
            raise self.fail(f"{name}() takes no keyword arguments", node.keywords[0].value)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail(_REFUSED_NODES[ast.Starred], arg)
        floatfn, arities = FLOAT_FUNCTIONS[name]
        if len(node.args) not in arities:
            wanted = " or ".join(str(a) for a in arities)
            raise self.fail(
                f"{name}() takes {wanted} argument{'s' if arities != (1,) else ''}, "
                f"got {len(node.args)}",
                node,
            )
        built = [self.build(arg, depth + 1) for arg in node.args]
        result = self.algebra.call(name, [b[0] for b in built])
        approxes = [b[1] for b in built]
        approx: float | None = None
        if all(a is not None for a in approxes):
            try:
                approx = float(floatfn(*approxes))
            except OverflowError:
                approx = math.inf
            except (ValueError, ZeroDivisionError):
                approx = math.nan
        return self.checked(result, node), approx

    def checked(self, result: Any, node: ast.AST) -> Any:
        """Refuse a part whose value is undefined, infinite or not real (1/0, log(-1))."""
        message = self.algebra.problem(result)
        if message is not None:
            raise self.fail(message, node)
        return result


def _approx_binop(op: str, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    try:
        return ARITH[op](a, b)
    except ZeroDivisionError:
        return math.nan
    except OverflowError:
        return math.inf


def _approx_pow(a: float, b: float) -> float:
    try:
        value = a**b
    except ZeroDivisionError:
        return math.nan
    except OverflowError:
        return math.inf
    if isinstance(value, complex):
        return math.nan
    return float(value)


def _count_nodes(tree: ast.AST) -> int:
    """Numbers, names, operations and calls (not the parser's bookkeeping nodes)."""
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.expr))


def walk(text: str, variables: Sequence[str] | None, algebra: Algebra) -> Any:
    """Read ``text`` with the grammar of :mod:`descend.expr.parse` into ``algebra``'s value.

    Raises :class:`~descend.errors.ExpressionError` for anything outside the grammar, with
    ``column`` at the refused part.
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"the formula must be text (str), got {type(text).__name__}", text=None
        )
    names = check_variables(variables, text)
    if not text.strip():
        raise ExpressionError(
            "the formula is empty; type a function such as x**2 + y**2", text=text, column=1
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are accepted",
            text=text,
            column=MAX_LENGTH + 1,
        )
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(exc, text, stripped, lead) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"the formula is nested too deeply; at most {MAX_DEPTH} levels are accepted",
            text=text,
            column=1,
        ) from None
    except ValueError as exc:  # e.g. null bytes, on some Python versions
        raise ExpressionError(f"the formula cannot be read: {exc}", text=text, column=1) from None
    count = _count_nodes(tree)
    if count > MAX_NODES:
        raise ExpressionError(
            f"the formula has {count} parts; at most {MAX_NODES} are accepted",
            text=text,
            column=1,
        )
    walker = _Walker(text, stripped, lead, names, algebra)
    try:
        result, _ = walker.build(tree.body, 1)
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops the walk long before this
        raise ExpressionError("the formula is nested too deeply", text=text, column=1) from None
    found = algebra.variable_count(result)
    if found > MAX_VARIABLES:
        raise ExpressionError(
            f"the formula has {found} variables; at most {MAX_VARIABLES} are "
            "accepted in text (wrap a Python function with CallableFunction for more)",
            text=text,
            column=1,
        )
    return result


def check_variables(variables: Sequence[str] | None, text: str) -> tuple[str, ...] | None:
    """The listed variable names as a tuple (a comma-separated string is split), checked."""
    if variables is None:
        return None
    if isinstance(variables, str):
        variables = [v.strip() for v in variables.split(",") if v.strip()]
    names = tuple(str(v) for v in variables)
    for v in names:
        if not v.isidentifier() or v.startswith("_"):
            raise ExpressionError(
                f"variable name {v!r} is not valid: use letters, digits and '_', "
                "starting with a letter",
                text=text,
            )
        if v in FLOAT_FUNCTIONS:
            raise ExpressionError(
                f"variable name {v!r} is the function {v}(); rename the variable", text=text
            )
    duplicates = sorted({v for v in names if names.count(v) > 1})
    if duplicates:
        raise ExpressionError(f"variable {duplicates[0]!r} is listed twice", text=text)
    return names


def _syntax_error(exc: SyntaxError, text: str, stripped: str, lead: int) -> ExpressionError:
    lines = stripped.splitlines(keepends=True) or [""]
    lineno = max(1, min(exc.lineno or 1, len(lines)))
    offset = max(1, exc.offset or 1)
    column = lead + sum(len(line) for line in lines[: lineno - 1]) + offset
    column = min(column, len(text) + 1)
    message = exc.msg or "invalid syntax"
    hint = ""
    if ";" in stripped:
        hint = "; type a single formula (no ';')"
    elif "=" in stripped:
        hint = "; type only the formula, without 'f =' or '=='"
    elif message.startswith("unexpected EOF") or "was never closed" in message:
        hint = "; check that every '(' is closed"
    return ExpressionError(f"the formula is not valid: {message}{hint}", text=text, column=column)
