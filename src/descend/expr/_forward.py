"""Values and exact derivatives of a :class:`~descend.expr.tree.Node` by forward mode.

Each part of the formula carries its value ``v`` and its gradient ``g = ∇v`` (and, for the
Hessian, ``H = ∇²v``) up the tree; every rule sits next to the operation it differentiates:

    (a ± b)' = a' ± b'                (a b)' = a' b + a b'
    (a / b)' = (a' - (a/b) b') / b    (a**c)' = c a**(c-1) a'        (c constant)
    (c**b)' = c**b log(c) b'          (a**b)' = a**b (b' log a + b a'/a)
    φ(u)'   = φ'(u) u'                φ(u)''  = φ'(u) u'' + φ''(u) u' u'ᵀ

The derivatives are exact (no step size): they differ from SymPy's symbolic ones only by the
rounding of evaluating a different but equal expression. ``abs`` has derivative sign(u) (0 at
0), as SymPy's (its δ term dropped).

Two compilations of the same rules: over Python floats with :mod:`math` (one point: a descent
step), where a domain error raises as in SymPy's compiled code, and over NumPy arrays (a grid
at once, and the fallback at a point where the float code raised: ``nan``/``inf`` there).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.expr.tree import Node

__all__ = ["compile_jet", "compile_value", "hessian_at"]

Grad = list[Any] | None  # None: the part is constant (gradient 0)
Jet = Callable[[Any], tuple[Any, Grad]]


def _sign(u: float) -> float:
    return float((u > 0) - (u < 0)) if u == u else math.nan


# name -> (φ, φ'(u, φ(u))) for Python floats and for NumPy arrays.
_MATH: dict[str, tuple[Callable[..., Any], Callable[[Any, Any], Any]]] = {
    "sin": (math.sin, lambda u, f: math.cos(u)),
    "cos": (math.cos, lambda u, f: -math.sin(u)),
    "tan": (math.tan, lambda u, f: 1 + f * f),
    "asin": (math.asin, lambda u, f: 1 / math.sqrt(1 - u * u)),
    "acos": (math.acos, lambda u, f: -1 / math.sqrt(1 - u * u)),
    "atan": (math.atan, lambda u, f: 1 / (1 + u * u)),
    "sinh": (math.sinh, lambda u, f: math.cosh(u)),
    "cosh": (math.cosh, lambda u, f: math.sinh(u)),
    "tanh": (math.tanh, lambda u, f: 1 - f * f),
    "exp": (math.exp, lambda u, f: f),
    "log": (math.log, lambda u, f: 1 / u),
    "sqrt": (math.sqrt, lambda u, f: 1 / (2 * f)),
    "abs": (abs, lambda u, f: _sign(u)),
}
_NUMPY: dict[str, tuple[Callable[..., Any], Callable[[Any, Any], Any]]] = {
    "sin": (np.sin, lambda u, f: np.cos(u)),
    "cos": (np.cos, lambda u, f: -np.sin(u)),
    "tan": (np.tan, lambda u, f: 1 + f * f),
    "asin": (np.arcsin, lambda u, f: 1 / np.sqrt(1 - u * u)),
    "acos": (np.arccos, lambda u, f: -1 / np.sqrt(1 - u * u)),
    "atan": (np.arctan, lambda u, f: 1 / (1 + u * u)),
    "sinh": (np.sinh, lambda u, f: np.cosh(u)),
    "cosh": (np.cosh, lambda u, f: np.sinh(u)),
    "tanh": (np.tanh, lambda u, f: 1 - f * f),
    "exp": (np.exp, lambda u, f: f),
    "log": (np.log, lambda u, f: 1 / u),
    "sqrt": (np.sqrt, lambda u, f: 1 / (2 * f)),
    "abs": (np.abs, lambda u, f: np.sign(u)),
}
# φ''(u, φ(u)) for the Hessian (NumPy scalars).
_SECOND: dict[str, Callable[[Any, Any], Any]] = {
    "sin": lambda u, f: -f,
    "cos": lambda u, f: -f,
    "tan": lambda u, f: 2 * f * (1 + f * f),
    "asin": lambda u, f: u / (1 - u * u) ** 1.5,
    "acos": lambda u, f: -u / (1 - u * u) ** 1.5,
    "atan": lambda u, f: -2 * u / (1 + u * u) ** 2,
    "sinh": lambda u, f: f,
    "cosh": lambda u, f: f,
    "tanh": lambda u, f: -2 * f * (1 - f * f),
    "exp": lambda u, f: f,
    "log": lambda u, f: -1 / (u * u),
    "sqrt": lambda u, f: -1 / (4 * u * f),
    "abs": lambda u, f: 0 * u,
}


def _unfold_log(node: Node) -> Node:
    """``log(a, b)`` is ``log(a)/log(b)``."""
    if node.kind == "call" and node.name == "log" and len(node.args) == 2:
        a, b = node.args
        logs = [Node("call", (u,), name="log", variables=u.variables,
                     approx=None if u.approx is None else math.log(u.approx)) for u in (a, b)]
        return Node("/", tuple(logs), variables=node.variables)
    return node


def compile_value(node: Node, index: dict[str, int], numpy: bool) -> Callable[[Any], Any]:
    """``f(x)`` for ``x`` a list of floats (``numpy=False``) or of arrays, one per variable."""
    if node.approx is not None:
        c = node.approx
        return lambda x: c
    if node.kind == "var":
        i = index[node.name]
        return lambda x: x[i]
    node = _unfold_log(node)
    args = [compile_value(a, index, numpy) for a in node.args]
    kind = node.kind
    if kind == "neg":
        (fa,) = args
        return lambda x: -fa(x)
    if kind == "call":
        fn = (_NUMPY if numpy else _MATH)[node.name][0]
        (fa,) = args
        return lambda x: fn(fa(x))
    fa, fb = args
    if kind == "+":
        return lambda x: fa(x) + fb(x)
    if kind == "-":
        return lambda x: fa(x) - fb(x)
    if kind == "*":
        return lambda x: fa(x) * fb(x)
    if kind == "/":
        return lambda x: fa(x) / fb(x)
    a, b = node.args
    exp = np.exp if numpy else math.exp
    if a.kind == "const" and a.name in ("E", "e"):
        return lambda x: exp(fb(x))
    power = np.power if numpy else math.pow
    return lambda x: power(fa(x), fb(x))


# A partial derivative that is zero by structure (f does not depend on that variable here) is
# this very object, and stays exactly 0: SymPy's ∂/∂y of x**0.5 + y is 1 even where x**0.5 is
# nan, so nan * 0 must not be formed.
_ZERO = 0.0


def _scale(c: Any, g: Grad) -> Grad:
    return None if g is None else [t if t is _ZERO else c * t for t in g]


def _add(ga: Grad, gb: Grad) -> Grad:
    if ga is None:
        return gb
    if gb is None:
        return ga
    return [q if p is _ZERO else (p if q is _ZERO else p + q)
            for p, q in zip(ga, gb, strict=False)]


def _sub(ga: Grad, gb: Grad) -> Grad:
    if gb is None:
        return ga
    if ga is None:
        return [t if t is _ZERO else -t for t in gb]
    return [p if q is _ZERO else (-q if p is _ZERO else p - q)
            for p, q in zip(ga, gb, strict=False)]


def compile_jet(node: Node, index: dict[str, int], numpy: bool) -> Jet:
    """``(f(x), ∇f(x))`` for ``x`` as in :func:`compile_value`; ∇f is a list (one entry per
    variable) or ``None`` where f is constant."""
    n = len(index)
    if node.approx is not None:
        c = node.approx
        return lambda x: (c, None)
    if node.kind == "var":
        i = index[node.name]
        unit = [_ZERO] * n
        unit[i] = 1.0
        return lambda x: (x[i], unit)
    node = _unfold_log(node)
    jets = [compile_jet(a, index, numpy) for a in node.args]
    if node.kind in ("neg", "call"):
        return _unary_jet(node, jets[0], numpy)
    return _binary_jet(node, jets[0], jets[1], numpy)


def _unary_jet(node: Node, ja: Jet, numpy: bool) -> Jet:
    if node.kind == "neg":
        def neg(x: Any) -> tuple[Any, Grad]:
            v, g = ja(x)
            return -v, None if g is None else [t if t is _ZERO else -t for t in g]
        return neg
    fn, dfn = (_NUMPY if numpy else _MATH)[node.name]

    def call(x: Any) -> tuple[Any, Grad]:
        u, g = ja(x)
        f = fn(u)
        return f, None if g is None else _scale(dfn(u, f), g)
    return call


def _binary_jet(node: Node, ja: Jet, jb: Jet, numpy: bool) -> Jet:
    kind = node.kind

    def add(x: Any) -> tuple[Any, Grad]:
        (va, ga), (vb, gb) = ja(x), jb(x)
        return va + vb, _add(ga, gb)

    def sub(x: Any) -> tuple[Any, Grad]:
        (va, ga), (vb, gb) = ja(x), jb(x)
        return va - vb, _sub(ga, gb)

    def mul(x: Any) -> tuple[Any, Grad]:
        (va, ga), (vb, gb) = ja(x), jb(x)
        return va * vb, _add(_scale(vb, ga), _scale(va, gb))

    def div(x: Any) -> tuple[Any, Grad]:
        (va, ga), (vb, gb) = ja(x), jb(x)
        v = va / vb
        return v, _scale(1 / vb, _sub(ga, _scale(v, gb)))

    if kind in ("+", "-", "*", "/"):
        return {"+": add, "-": sub, "*": mul, "/": div}[kind]
    return _power_jet(node, ja, jb, numpy)


def _power_jet(node: Node, ja: Jet, jb: Jet, numpy: bool) -> Jet:
    a, b = node.args
    power = np.power if numpy else math.pow
    log = np.log if numpy else math.log
    exp = np.exp if numpy else math.exp
    if b.approx is not None:  # a**c
        c = b.approx

        def const_exponent(x: Any) -> tuple[Any, Grad]:
            va, ga = ja(x)
            return power(va, c), (None if ga is None or c == 0 else
                                  _scale(c * power(va, c - 1), ga))
        return const_exponent
    if a.approx is not None:  # c**b (e**b is exp(b))
        e_base = a.kind == "const" and a.name in ("E", "e")
        c = a.approx

        def const_base(x: Any) -> tuple[Any, Grad]:
            vb, gb = jb(x)
            v = exp(vb) if e_base else power(c, vb)
            return v, _scale(v if e_base else v * log(c), gb)
        return const_base

    def general(x: Any) -> tuple[Any, Grad]:
        (va, ga), (vb, gb) = ja(x), jb(x)
        v = power(va, vb)
        return v, _add(_scale(v * log(va), gb), _scale(v * vb / va, ga))
    return general


def hessian_at(node: Node, index: dict[str, int], x: list[float]) -> np.ndarray:
    """∇²f(x), by second-order forward mode over NumPy scalars (``nan`` where undefined)."""
    n = len(index)
    with np.errstate(all="ignore"):
        _, _, H = _jet2(node, index, [np.float64(v) for v in x], n)
    return np.array(H, dtype=np.float64).reshape(n, n)


def _apply(phi: Any, d1: Any, d2: Any, g: np.ndarray, H: np.ndarray) -> tuple[Any, Any, Any]:
    """φ(u) from u's jet: (φ, φ' g, φ' H + φ'' g gᵀ)."""
    return phi, d1 * g, d1 * H + d2 * np.outer(g, g)


def _jet2(node: Node, index: dict[str, int], x: list[Any], n: int) -> tuple[Any, Any, Any]:
    if node.approx is not None:
        return np.float64(node.approx), np.zeros(n), np.zeros((n, n))
    if node.kind == "var":
        g = np.zeros(n)
        g[index[node.name]] = 1.0
        return x[index[node.name]], g, np.zeros((n, n))
    node = _unfold_log(node)
    parts = [_jet2(a, index, x, n) for a in node.args]
    kind = node.kind
    if kind == "neg":
        v, g, H = parts[0]
        return -v, -g, -H
    if kind == "call":
        u, g, H = parts[0]
        fn, dfn = _NUMPY[node.name]
        f = fn(u)
        return _apply(f, dfn(u, f), _SECOND[node.name](u, f), g, H)
    (va, ga, Ha), (vb, gb, Hb) = parts
    if kind == "+":
        return va + vb, ga + gb, Ha + Hb
    if kind == "-":
        return va - vb, ga - gb, Ha - Hb
    if kind == "/":  # a * (1/b)
        vb, gb, Hb = _apply(1 / vb, -1 / (vb * vb), 2 / (vb * vb * vb), gb, Hb)
        kind = "*"
    if kind == "*":
        return (va * vb, vb * ga + va * gb,
                va * Hb + vb * Ha + np.outer(ga, gb) + np.outer(gb, ga))
    if node.args[1].approx is not None:  # a**c
        c = node.args[1].approx
        d1 = c * np.power(va, c - 1) if c != 0 else 0.0
        d2 = c * (c - 1) * np.power(va, c - 2) if c not in (0, 1) else 0.0
        return _apply(np.power(va, c), d1, d2, ga, Ha)
    # a**b = exp(b log a): the log's jet, times b, through exp.
    la, lg, lH = _apply(np.log(va), 1 / va, -1 / (va * va), ga, Ha)
    w, wg, wH = vb * la, vb * lg + la * gb, vb * lH + la * Hb + np.outer(lg, gb) + np.outer(gb, lg)
    e = np.exp(w)
    return _apply(e, e, e, wg, wH)
