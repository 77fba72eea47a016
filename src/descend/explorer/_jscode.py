"""A parsed formula as JavaScript: f, (f, ∇f) and the Hessian, printed from the SymPy tree.

The page runs descents live, so it needs the function and its exact derivatives as code.
That code is printed by SymPy's JavaScript printer from descend's own validated tree
(:func:`descend.expr.parse_expression`), with the variables renamed ``_v0, _v1, ...`` and
common subexpressions ``_c0, _c1, ...`` -- exactly as :class:`SymbolicFunction` compiles its
Python. The user's text never becomes code: every printed expression is checked against an
allow-list of tokens (numbers, ``_v``/``_c`` names, ``Math.*`` members, ``+ - * / ( ) ,``)
before it is written into the page, and anything else raises.

>>> from descend.expr import SymbolicFunction
>>> print(expression_js(SymbolicFunction("x**2 + x*y").expr, ("x", "y")))
Math.pow(_v0, 2) + _v0*_v1
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sympy as sp
from sympy.printing.jscode import JavascriptCodePrinter

from descend.errors import ExpressionError

__all__ = ["compile_functions", "expression_js"]

_MATH = frozenset({
    "abs", "acos", "asin", "atan", "atan2", "cos", "cosh", "exp", "log", "pow", "sign", "sin",
    "sinh", "sqrt", "tan", "tanh", "E", "PI", "LN2", "LN10", "max", "min", "acosh", "asinh",
    "atanh", "floor", "ceil",
})
_TOKEN = re.compile(
    r"\s+|Math\.([A-Za-z0-9]+)|_[vc]\d+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+*/(),]"
)


class _Printer(JavascriptCodePrinter):
    """SymPy's JavaScript printer with floats printed to full precision (``repr``)."""

    def __init__(self) -> None:
        super().__init__({"strict": False})

    def _print_Float(self, expr: sp.Float) -> str:
        v = float(expr)
        return repr(v) if v == v and abs(v) != float("inf") else "NaN"

    def _print_Infinity(self, expr: Any) -> str:
        return "(1/0)"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "(-1/0)"

    def _print_NaN(self, expr: Any) -> str:
        return "(0/0)"


def _check(code: str) -> str:
    """``code`` if it holds only allowed tokens; else :class:`ExpressionError`."""
    pos = 0
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if m is None or (m.group(1) is not None and m.group(1) not in _MATH):
            raise ExpressionError(
                f"cannot write this formula as page code (unexpected {code[pos:pos + 20]!r}); "
                "use the functions descend's parser documents"
            )
        pos = m.end()
    return code


def _rename(exprs: Any, variables: Sequence[str]) -> tuple[Any, tuple[sp.Symbol, ...]]:
    args = sp.symbols(f"_v0:{len(variables)}", real=True)
    from descend.expr.parse import real_symbol

    mapping = {real_symbol(v): a for v, a in zip(variables, args, strict=True)}
    if isinstance(exprs, (list, tuple)):
        return [e.xreplace(mapping) for e in exprs], args
    return exprs.xreplace(mapping), args


def expression_js(expr: sp.Expr, variables: Sequence[str]) -> str:
    """One expression as a checked JavaScript expression over ``_v0, _v1, ...``."""
    renamed, _ = _rename(expr, variables)
    return _check(str(_Printer().doprint(renamed)))


def _function(name: str, n: int, exprs: list[sp.Expr], shape: str) -> str:
    """``function name(_v0, ...) { const _c0 = ...; return ...; }`` with shared subexpressions.

    ``f`` and ``vg`` are reduced exactly as :class:`SymbolicFunction` compiles its Python
    (``f`` as one expression, ``vg`` as ``cse((f, (∂f/∂v0, ...)))``), so the page evaluates
    the same operations in the same order and its values and gradients equal descend's bit for
    bit: a line search, whose trial steps amplify a last-bit difference, then follows descend.
    """
    printer = _Printer()
    if shape == "scalar":
        subs, reduced = [], list(exprs)
    elif shape == "value_grad":
        subs, nested = sp.cse((exprs[0], tuple(exprs[1:])), symbols=sp.numbered_symbols("_c"))
        reduced = [nested[0], *nested[1]]
    else:
        subs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_c"))
    lines = [f"function {name}({', '.join(f'_v{i}' for i in range(n))}) {{"]
    for sym, sub in subs:
        lines.append(f"  const {sym} = {_check(str(printer.doprint(sub)))};")
    out = [_check(str(printer.doprint(e))) for e in reduced]
    if shape == "scalar":
        ret = out[0]
    elif shape == "value_grad":
        ret = f"[{out[0]}, [{', '.join(out[1:])}]]"
    else:  # an n x n matrix, row by row
        rows = [f"[{', '.join(out[i * n:(i + 1) * n])}]" for i in range(n)]
        ret = f"[{', '.join(rows)}]"
    lines.append(f"  return {ret};")
    lines.append("}")
    return "\n".join(lines)


def compile_functions(fun: Any, name: str = "DESCEND_FUNCS") -> str:
    """JavaScript defining ``window.<name> = {f, vg, h}`` for a :class:`SymbolicFunction`
    (``name`` one of ``DESCEND_FUNCS``, ``DESCEND_ZFUNCS``: the standardised loss).

    ``f(_v0, ...)`` is the value, ``vg`` returns ``[f, [∂f/∂v0, ...]]`` (one pass with shared
    subexpressions, as the Python ``value_and_grad``) and ``h`` the Hessian rows, or ``null``
    when the formula is too large for an exact Hessian (the page then differentiates the exact
    gradient numerically, as :meth:`SymbolicFunction.hessian` does).
    """
    if name not in ("DESCEND_FUNCS", "DESCEND_ZFUNCS"):
        raise ValueError(f"name={name!r}: DESCEND_FUNCS or DESCEND_ZFUNCS")
    variables = tuple(fun.variables)
    n = len(variables)
    f, _ = _rename(fun.expr, variables)
    grads, _ = _rename(list(fun.gradient_exprs), variables)
    parts = [
        _function("f", n, [f], "scalar"),
        _function("vg", n, [f, *grads], "value_grad"),
    ]
    if fun.symbolic_hessian:
        flat = [h for row in fun.hessian_exprs for h in row]
        hess, _ = _rename(flat, variables)
        parts.append(_function("h", n, hess, "matrix"))
        hname = "h"
    else:
        hname = "null"
    body = "\n".join(parts)
    return f"window.{name} = (function () {{\n{body}\nreturn {{f: f, vg: vg, h: {hname}}};\n}})();"
