"""Read a function typed as text into a SymPy expression — without ever executing the text.

The text is parsed by Python's own tokenizer (``ast.parse(text, mode="eval")``) and the tree is
walked with an allow-list; every SymPy object is built here, node by node. Neither ``eval``,
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

import ast
import math
from collections.abc import Callable, Sequence

import sympy as sp

from descend.errors import ExpressionError

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
_EXACT_EXPONENT = 64
_EXACT_DIGITS = 400
# log10 of the float64 range: 1e-308 .. 1.8e308.
_FLOAT_LOG10_MAX = 308.0

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


def real_symbol(name: str) -> sp.Symbol:
    """The SymPy symbol descend uses for variable ``name`` (declared real)."""
    return sp.Symbol(name, real=True)


class _Builder:
    """Walk an allow-listed ``ast`` tree and build the SymPy expression bottom-up.

    Each visit returns ``(expr, approx)`` where ``approx`` is a float64 approximation of a
    constant node (``None`` when the node depends on a variable). The approximation lets the
    power guard judge a constant's size without asking SymPy to evaluate it.
    """

    def __init__(self, text: str, parsed: str, lead: int, variables: tuple[str, ...] | None):
        self.text = text
        self.lead = lead
        self.variables = variables
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
    def build(self, node: ast.AST, depth: int) -> tuple[sp.Expr, float | None]:
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

    def number(self, node: ast.Constant) -> tuple[sp.Expr, float | None]:
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
            return sp.Integer(value), float(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail("this number is too large for a float64 (max about 1.8e308)", node)
            # repr round-trips, so this is exactly the decimal the user typed (up to 17 digits).
            return sp.Rational(repr(value)), value
        raise self.fail(f"{type(value).__name__} constants are not allowed", node)

    def name(self, node: ast.Name) -> tuple[sp.Expr, float | None]:
        name = node.id
        if name.startswith("_"):
            raise self.fail(
                f"names starting with '_' are not allowed ({name!r}); rename the variable", node
            )
        if self.variables is not None and name in self.variables:
            return real_symbol(name), None
        if name in CONSTANTS:
            value, approx = CONSTANTS[name]
            return value, approx
        if name in FUNCTIONS:
            raise self.fail(f"{name} is a function: call it, e.g. {name}(x)", node)
        if self.variables is not None:
            listed = ", ".join(self.variables)
            raise self.fail(
                f"unknown variable {name!r}: the variables are ({listed}); "
                f"add {name!r} to them or fix the spelling",
                node,
            )
        return real_symbol(name), None

    def unary(self, node: ast.UnaryOp, depth: int) -> tuple[sp.Expr, float | None]:
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand, approx = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand, approx
            return -operand, None if approx is None else -approx
        raise self.fail(_REFUSED_OPS.get(type(node.op), "this operator is not allowed"), node)

    def binop(self, node: ast.BinOp, depth: int) -> tuple[sp.Expr, float | None]:
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

    def combine(
        self,
        node: ast.BinOp,
        left: sp.Expr,
        lapprox: float | None,
        right: sp.Expr,
        rapprox: float | None,
    ) -> tuple[sp.Expr, float | None]:
        op = _BINOPS[type(node.op)]
        if op == "**":
            result, approx = self.power(node, left, lapprox, right, rapprox)
        else:
            result = {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "/": lambda: left / right,
            }[op]()
            approx = _approx_binop(op, lapprox, rapprox)
        return self.checked(result, node), approx

    def power(
        self,
        node: ast.BinOp,
        base: sp.Expr,
        bapprox: float | None,
        exp: sp.Expr,
        eapprox: float | None,
    ) -> tuple[sp.Expr, float | None]:
        if bapprox is None or eapprox is None:
            return base**exp, None
        # Both constant: SymPy would compute the power exactly and at once, which for
        # 9**9**9 means a number with 370 million digits. Compute it exactly only when small.
        exact_ok = (
            exp.is_Rational
            and abs(exp.p) <= _EXACT_EXPONENT
            and exp.q <= _EXACT_EXPONENT
            and all(
                len(str(abs(r.p))) <= _EXACT_DIGITS and len(str(r.q)) <= _EXACT_DIGITS
                for r in base.atoms(sp.Rational)
            )
        )
        approx = _approx_pow(bapprox, eapprox)
        if exact_ok:
            return base**exp, approx
        if approx is not None and math.isfinite(approx) and approx != 0.0:
            return sp.Float(approx), approx
        if approx is not None and math.isnan(approx):
            raise self.fail("this power of constants is not a real number", node)
        raise self.fail(
            "this power of constants is outside float64's range (about 1e-308 to 1.8e308); "
            "use a smaller exponent",
            node,
        )

    def call(self, node: ast.Call, depth: int) -> tuple[sp.Expr, float | None]:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise self.fail(_REFUSED_NODES[ast.Attribute], func)
            raise self.fail("only named functions can be called, e.g. sin(x)", node)
        name = func.id
        allowed = ", ".join(FUNCTIONS)
        if name not in FUNCTIONS or (self.variables is not None and name in self.variables):
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
        builder, floatfn, arities = FUNCTIONS[name]
        if len(node.args) not in arities:
            wanted = " or ".join(str(a) for a in arities)
            raise self.fail(
                f"{name}() takes {wanted} argument{'s' if arities != (1,) else ''}, "
                f"got {len(node.args)}",
                node,
            )
        built = [self.build(arg, depth + 1) for arg in node.args]
        args = [b[0] for b in built]
        approxes = [b[1] for b in built]
        result = builder(*args)
        approx: float | None = None
        if all(a is not None for a in approxes):
            try:
                approx = float(floatfn(*approxes))
            except OverflowError:
                approx = math.inf
            except (ValueError, ZeroDivisionError):
                approx = math.nan
        return self.checked(result, node), approx

    def checked(self, result: sp.Expr, node: ast.AST) -> sp.Expr:
        """Refuse a node whose value is undefined, infinite or not real (e.g. 1/0, log(-1))."""
        if result.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise self.fail(
                "this part is undefined or infinite (division by zero or log(0)?)", node
            )
        if result.has(sp.I) or (not result.free_symbols and result.is_extended_real is False):
            raise self.fail(
                "this part is not a real number (e.g. sqrt or log of a negative constant); "
                "descend minimises real functions",
                node,
            )
        return result


def _approx_binop(op: str, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return a / b
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
    if not isinstance(text, str):
        raise ExpressionError(
            f"the formula must be text (str), got {type(text).__name__}", text=None
        )
    names = _check_variables(variables, text)
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
    builder = _Builder(text, stripped, lead, names)
    try:
        expr, _ = builder.build(tree.body, 1)
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops the walk long before this
        raise ExpressionError("the formula is nested too deeply", text=text, column=1) from None
    if len(expr.free_symbols) > MAX_VARIABLES:
        raise ExpressionError(
            f"the formula has {len(expr.free_symbols)} variables; at most {MAX_VARIABLES} are "
            "accepted in text (wrap a Python function with CallableFunction for more)",
            text=text,
            column=1,
        )
    return expr


def _check_variables(variables: Sequence[str] | None, text: str) -> tuple[str, ...] | None:
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
        if v in FUNCTIONS:
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
