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

One walk (:func:`_compile`) reads the tree once and asks a set of rules for a closure per
node, so the tree is never looked at again when the closures run (no ``eval``, no generated
code). Three sets of rules share it: the value ``f``, the jet ``(f, ∇f)`` and the second-order
jet ``(f, ∇f, ∇²f)``. The first two run over Python floats with :mod:`math` (one point: a
descent step), where a domain error raises as in SymPy's compiled code, or over NumPy arrays (a
grid at once, and the fallback at a point where the float code raised: ``nan``/``inf``
there); the Hessian's runs over NumPy scalars.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np

from descend.expr._walk import FLOAT_FUNCTIONS
from descend.expr.tree import Node

__all__ = ["compile_hessian", "compile_jet", "compile_value"]

Grad = list[Any] | None  # None: the part is constant (gradient 0)
Jet = Callable[[Any], tuple[Any, Grad]]
Jet2 = Callable[[Any], tuple[Any, Any, Any]]
T = TypeVar("T")


def _sign(u: float) -> float:
    return float((u > 0) - (u < 0)) if u == u else math.nan


class _Backend(NamedTuple):
    """The elementary functions of one kind of number: Python floats or NumPy arrays (the
    grammar's functions, :data:`~descend.expr._walk.FLOAT_FUNCTIONS`, then sign and pow)."""

    sin: Callable[..., Any]
    cos: Callable[..., Any]
    tan: Callable[..., Any]
    asin: Callable[..., Any]
    acos: Callable[..., Any]
    atan: Callable[..., Any]
    sinh: Callable[..., Any]
    cosh: Callable[..., Any]
    tanh: Callable[..., Any]
    exp: Callable[..., Any]
    log: Callable[..., Any]
    sqrt: Callable[..., Any]
    abs: Callable[..., Any]
    sign: Callable[..., Any]
    pow: Callable[..., Any]


_MATH = _Backend(**{name: fn for name, (fn, _) in FLOAT_FUNCTIONS.items()},
                 sign=_sign, pow=math.pow)
_NUMPY = _Backend(np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh,
                  np.tanh, np.exp, np.log, np.sqrt, np.abs, np.sign, np.power)

Rule = tuple[Callable[[Any], Any], Callable[[Any, Any], Any], Callable[[Any, Any], Any]]


def _calculus(m: _Backend) -> dict[str, Rule]:
    """name -> (φ, φ'(u, φ(u)), φ''(u, φ(u))) over the numbers of ``m`` (φ'' serves the Hessian,
    over NumPy)."""
    sin, cos, sinh, cosh, sqrt, sign = m.sin, m.cos, m.sinh, m.cosh, m.sqrt, m.sign
    return {
        "sin": (m.sin, lambda u, f: cos(u), lambda u, f: -f),
        "cos": (m.cos, lambda u, f: -sin(u), lambda u, f: -f),
        "tan": (m.tan, lambda u, f: 1 + f * f, lambda u, f: 2 * f * (1 + f * f)),
        "asin": (m.asin, lambda u, f: 1 / sqrt(1 - u * u), lambda u, f: u / (1 - u * u) ** 1.5),
        "acos": (m.acos, lambda u, f: -1 / sqrt(1 - u * u),
                 lambda u, f: -u / (1 - u * u) ** 1.5),
        "atan": (m.atan, lambda u, f: 1 / (1 + u * u), lambda u, f: -2 * u / (1 + u * u) ** 2),
        "sinh": (m.sinh, lambda u, f: cosh(u), lambda u, f: f),
        "cosh": (m.cosh, lambda u, f: sinh(u), lambda u, f: f),
        "tanh": (m.tanh, lambda u, f: 1 - f * f, lambda u, f: -2 * f * (1 - f * f)),
        "exp": (m.exp, lambda u, f: f, lambda u, f: f),
        "log": (m.log, lambda u, f: 1 / u, lambda u, f: -1 / (u * u)),
        "sqrt": (m.sqrt, lambda u, f: 1 / (2 * f), lambda u, f: -1 / (4 * u * f)),
        "abs": (m.abs, lambda u, f: sign(u), lambda u, f: 0 * u),
    }


_RULES = {False: (_MATH, _calculus(_MATH)), True: (_NUMPY, _calculus(_NUMPY))}


def _unfold_log(node: Node) -> Node:
    """``log(a, b)`` is ``log(a)/log(b)``."""
    if node.kind == "call" and node.name == "log" and len(node.args) == 2:
        a, b = node.args
        logs = [Node("call", (u,), name="log", variables=u.variables,
                     approx=None if u.approx is None else math.log(u.approx)) for u in (a, b)]
        return Node("/", tuple(logs), variables=node.variables)
    return node


class _Rules(Protocol[T]):
    """What :func:`_compile` asks of a set of rules: the closure of each kind of node, given
    its arguments' closures (``c`` is a constant part's float value)."""

    def const(self, c: float) -> T: ...
    def var(self, i: int) -> T: ...
    def neg(self, a: T) -> T: ...
    def call(self, name: str, a: T) -> T: ...
    def add(self, a: T, b: T) -> T: ...
    def sub(self, a: T, b: T) -> T: ...
    def mul(self, a: T, b: T) -> T: ...
    def div(self, a: T, b: T) -> T: ...
    def power_const(self, a: T, c: float) -> T: ...  # a**c
    def const_power(self, c: float, b: T, natural: bool) -> T: ...  # c**b (e**b if natural)
    def power(self, a: T, b: T) -> T: ...  # a**b


def _compile(node: Node, index: dict[str, int], rules: _Rules[T]) -> T:
    """The closure of ``node`` under ``rules``, its arguments' closures built first."""
    if node.approx is not None:
        return rules.const(node.approx)
    if node.kind == "var":
        return rules.var(index[node.name])
    node = _unfold_log(node)
    args = [_compile(a, index, rules) for a in node.args]
    kind = node.kind
    if kind == "neg":
        return rules.neg(args[0])
    if kind == "call":
        return rules.call(node.name, args[0])
    fa, fb = args
    if kind == "+":
        return rules.add(fa, fb)
    if kind == "-":
        return rules.sub(fa, fb)
    if kind == "*":
        return rules.mul(fa, fb)
    if kind == "/":
        return rules.div(fa, fb)
    a, b = node.args
    if b.approx is not None:
        return rules.power_const(fa, b.approx)
    if a.approx is not None:
        return rules.const_power(a.approx, fb, a.kind == "const" and a.name in ("E", "e"))
    return rules.power(fa, fb)


# -- f ----------------------------------------------------------------------------------------
class _Values:
    """``x -> f(x)``."""

    def __init__(self, numpy: bool) -> None:
        self.m, self.calculus = _RULES[numpy]

    def const(self, c: float) -> Callable[[Any], Any]:
        return lambda x: c

    def var(self, i: int) -> Callable[[Any], Any]:
        return lambda x: x[i]

    def neg(self, fa: Any) -> Callable[[Any], Any]:
        return lambda x: -fa(x)

    def call(self, name: str, fa: Any) -> Callable[[Any], Any]:
        fn = self.calculus[name][0]
        return lambda x: fn(fa(x))

    def add(self, fa: Any, fb: Any) -> Callable[[Any], Any]:
        return lambda x: fa(x) + fb(x)

    def sub(self, fa: Any, fb: Any) -> Callable[[Any], Any]:
        return lambda x: fa(x) - fb(x)

    def mul(self, fa: Any, fb: Any) -> Callable[[Any], Any]:
        return lambda x: fa(x) * fb(x)

    def div(self, fa: Any, fb: Any) -> Callable[[Any], Any]:
        return lambda x: fa(x) / fb(x)

    def power_const(self, fa: Any, c: float) -> Callable[[Any], Any]:
        power = self.m.pow
        return lambda x: power(fa(x), c)

    def const_power(self, c: float, fb: Any, natural: bool) -> Callable[[Any], Any]:
        exp, power = self.m.exp, self.m.pow
        if natural:
            return lambda x: exp(fb(x))
        return lambda x: power(c, fb(x))

    def power(self, fa: Any, fb: Any) -> Callable[[Any], Any]:
        power = self.m.pow
        return lambda x: power(fa(x), fb(x))


def compile_value(node: Node, index: dict[str, int], numpy: bool) -> Callable[[Any], Any]:
    """``f(x)`` for ``x`` a list of floats (``numpy=False``) or of arrays, one per variable."""
    return _compile(node, index, _Values(numpy))


# -- (f, ∇f) ----------------------------------------------------------------------------------
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


class _Jets:
    """``x -> (f(x), ∇f(x))``, ∇f a list (one entry per variable) or ``None`` (constant)."""

    def __init__(self, numpy: bool, n: int) -> None:
        self.m, self.calculus = _RULES[numpy]
        self.n = n

    def const(self, c: float) -> Jet:
        return lambda x: (c, None)

    def var(self, i: int) -> Jet:
        unit = [_ZERO] * self.n
        unit[i] = 1.0
        return lambda x: (x[i], unit)

    def neg(self, ja: Jet) -> Jet:
        def neg(x: Any) -> tuple[Any, Grad]:
            v, g = ja(x)
            return -v, None if g is None else [t if t is _ZERO else -t for t in g]
        return neg

    def call(self, name: str, ja: Jet) -> Jet:
        fn, dfn, _ = self.calculus[name]

        def call(x: Any) -> tuple[Any, Grad]:
            u, g = ja(x)
            f = fn(u)
            return f, None if g is None else _scale(dfn(u, f), g)
        return call

    def add(self, ja: Jet, jb: Jet) -> Jet:
        def add(x: Any) -> tuple[Any, Grad]:
            (va, ga), (vb, gb) = ja(x), jb(x)
            return va + vb, _add(ga, gb)
        return add

    def sub(self, ja: Jet, jb: Jet) -> Jet:
        def sub(x: Any) -> tuple[Any, Grad]:
            (va, ga), (vb, gb) = ja(x), jb(x)
            return va - vb, _sub(ga, gb)
        return sub

    def mul(self, ja: Jet, jb: Jet) -> Jet:
        def mul(x: Any) -> tuple[Any, Grad]:
            (va, ga), (vb, gb) = ja(x), jb(x)
            return va * vb, _add(_scale(vb, ga), _scale(va, gb))
        return mul

    def div(self, ja: Jet, jb: Jet) -> Jet:
        def div(x: Any) -> tuple[Any, Grad]:
            (va, ga), (vb, gb) = ja(x), jb(x)
            v = va / vb
            return v, _scale(1 / vb, _sub(ga, _scale(v, gb)))
        return div

    def power_const(self, ja: Jet, c: float) -> Jet:
        power = self.m.pow

        def const_exponent(x: Any) -> tuple[Any, Grad]:
            va, ga = ja(x)
            return power(va, c), (None if ga is None or c == 0 else
                                  _scale(c * power(va, c - 1), ga))
        return const_exponent

    def const_power(self, c: float, jb: Jet, natural: bool) -> Jet:
        exp, power, log = self.m.exp, self.m.pow, self.m.log

        def const_base(x: Any) -> tuple[Any, Grad]:
            vb, gb = jb(x)
            v = exp(vb) if natural else power(c, vb)
            return v, _scale(v if natural else v * log(c), gb)
        return const_base

    def power(self, ja: Jet, jb: Jet) -> Jet:
        power, log = self.m.pow, self.m.log

        def general(x: Any) -> tuple[Any, Grad]:
            (va, ga), (vb, gb) = ja(x), jb(x)
            v = power(va, vb)
            return v, _add(_scale(v * log(va), gb), _scale(v * vb / va, ga))
        return general


def compile_jet(node: Node, index: dict[str, int], numpy: bool) -> Jet:
    """``(f(x), ∇f(x))`` for ``x`` as in :func:`compile_value`; ∇f is a list (one entry per
    variable) or ``None`` where f is constant."""
    return _compile(node, index, _Jets(numpy, len(index)))


# -- (f, ∇f, ∇²f) -----------------------------------------------------------------------------
def _apply(phi: Any, d1: Any, d2: Any, g: np.ndarray, H: np.ndarray) -> tuple[Any, Any, Any]:
    """φ(u) from u's jet: (φ, φ' g, φ' H + φ'' g gᵀ)."""
    return phi, d1 * g, d1 * H + d2 * np.outer(g, g)


def _times(a: tuple[Any, Any, Any], b: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """(a b, a' b + a b', a H_b + b H_a + a' b'ᵀ + b' a'ᵀ)."""
    (va, ga, Ha), (vb, gb, Hb) = a, b
    return (va * vb, vb * ga + va * gb,
            va * Hb + vb * Ha + np.outer(ga, gb) + np.outer(gb, ga))


class _Jets2:
    """``x -> (f(x), ∇f(x), ∇²f(x))`` over NumPy scalars, ∇f an array, ∇²f a matrix."""

    def __init__(self, n: int) -> None:
        self.calculus = _RULES[True][1]
        self.n = n

    def const(self, c: float) -> Jet2:
        n = self.n
        return lambda x: (np.float64(c), np.zeros(n), np.zeros((n, n)))

    def var(self, i: int) -> Jet2:
        n = self.n

        def var(x: Any) -> tuple[Any, Any, Any]:
            g = np.zeros(n)
            g[i] = 1.0
            return x[i], g, np.zeros((n, n))
        return var

    def neg(self, ja: Jet2) -> Jet2:
        def neg(x: Any) -> tuple[Any, Any, Any]:
            v, g, H = ja(x)
            return -v, -g, -H
        return neg

    def call(self, name: str, ja: Jet2) -> Jet2:
        fn, dfn, d2fn = self.calculus[name]

        def call(x: Any) -> tuple[Any, Any, Any]:
            u, g, H = ja(x)
            f = fn(u)
            return _apply(f, dfn(u, f), d2fn(u, f), g, H)
        return call

    def add(self, ja: Jet2, jb: Jet2) -> Jet2:
        def add(x: Any) -> tuple[Any, Any, Any]:
            (va, ga, Ha), (vb, gb, Hb) = ja(x), jb(x)
            return va + vb, ga + gb, Ha + Hb
        return add

    def sub(self, ja: Jet2, jb: Jet2) -> Jet2:
        def sub(x: Any) -> tuple[Any, Any, Any]:
            (va, ga, Ha), (vb, gb, Hb) = ja(x), jb(x)
            return va - vb, ga - gb, Ha - Hb
        return sub

    def mul(self, ja: Jet2, jb: Jet2) -> Jet2:
        return lambda x: _times(ja(x), jb(x))

    def div(self, ja: Jet2, jb: Jet2) -> Jet2:
        def div(x: Any) -> tuple[Any, Any, Any]:  # a * (1/b)
            a, (vb, gb, Hb) = ja(x), jb(x)
            return _times(a, _apply(1 / vb, -1 / (vb * vb), 2 / (vb * vb * vb), gb, Hb))
        return div

    def power_const(self, ja: Jet2, c: float) -> Jet2:
        def const_exponent(x: Any) -> tuple[Any, Any, Any]:
            va, ga, Ha = ja(x)
            d1 = c * np.power(va, c - 1) if c != 0 else 0.0
            d2 = c * (c - 1) * np.power(va, c - 2) if c not in (0, 1) else 0.0
            return _apply(np.power(va, c), d1, d2, ga, Ha)
        return const_exponent

    def const_power(self, c: float, jb: Jet2, natural: bool) -> Jet2:
        return self.power(self.const(c), jb)

    def power(self, ja: Jet2, jb: Jet2) -> Jet2:
        def general(x: Any) -> tuple[Any, Any, Any]:
            # a**b = exp(b log a): the log's jet, times b, through exp.
            (va, ga, Ha), (vb, gb, Hb) = ja(x), jb(x)
            la, lg, lH = _apply(np.log(va), 1 / va, -1 / (va * va), ga, Ha)
            w, wg = vb * la, vb * lg + la * gb
            wH = vb * lH + la * Hb + np.outer(lg, gb) + np.outer(gb, lg)
            e = np.exp(w)
            return _apply(e, e, e, wg, wH)
        return general


def compile_hessian(node: Node, index: dict[str, int]) -> Callable[[list[float]], np.ndarray]:
    """``x -> ∇²f(x)`` for ``x`` a list of floats, by second-order forward mode over NumPy
    scalars (``nan`` where undefined)."""
    n = len(index)
    jet2 = _compile(node, index, _Jets2(n))

    def hessian(x: list[float]) -> np.ndarray:
        with np.errstate(all="ignore"):
            _, _, H = jet2([np.float64(v) for v in x])
        return np.array(H, dtype=np.float64).reshape(n, n)
    return hessian
