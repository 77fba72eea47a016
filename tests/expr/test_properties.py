"""Property tests: generated formulas parse to the right function; no text crashes the parser."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from descend.errors import ExpressionError
from descend.expr import SymbolicFunction, parse_expression

# A tiny grammar: each node is (text, reference evaluator over a dict of floats). The reference
# is plain Python math, independent of SymPy and of the parser.
Node = tuple[str, object]

leaves = st.one_of(
    st.sampled_from(["x", "y"]).map(lambda v: (v, lambda env, v=v: env[v])),
    # constants are scaled by env["_c"] (1 normally) so the conditioning check below can
    # nudge them too: a formula without x and y can be ill-conditioned all the same
    st.integers(0, 9).map(lambda k: (str(k), lambda env, k=k: float(k) * env.get("_c", 1.0))),
    st.sampled_from(["0.5", "1.25", "2.5"]).map(
        lambda s: (s, lambda env, s=s: float(s) * env.get("_c", 1.0))),
)

UNARY = {
    "sin": math.sin,
    "cos": math.cos,
    "atan": math.atan,
    "tanh": math.tanh,
    "exp": math.exp,
}


def extend(children: st.SearchStrategy) -> st.SearchStrategy:
    def binop(op: str) -> st.SearchStrategy:
        fns = {
            "+": lambda a, b: a + b,
            "-": lambda a, b: a - b,
            "*": lambda a, b: a * b,
        }
        return st.tuples(children, children).map(
            lambda lr: (
                f"({lr[0][0]}) {op} ({lr[1][0]})",
                lambda env, lr=lr: fns[op](lr[0][1](env), lr[1][1](env)),
            )
        )

    def call(name: str) -> st.SearchStrategy:
        return children.map(lambda c: (f"{name}({c[0]})", lambda env, c=c: UNARY[name](c[1](env))))

    square = children.map(lambda c: (f"({c[0]})**2", lambda env, c=c: c[1](env) ** 2))
    neg = children.map(lambda c: (f"-({c[0]})", lambda env, c=c: -c[1](env)))
    return st.one_of(*(binop(op) for op in "+-*"), *(call(n) for n in UNARY), square, neg)


formulas = st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas, st.floats(-2, 2), st.floats(-2, 2))
def test_generated_formulas_agree_with_an_independent_evaluation(
    formula: Node, x: float, y: float
) -> None:
    text, reference = formula
    try:
        expected = reference({"x": x, "y": y})  # type: ignore[operator]
    except OverflowError:
        return
    # Compare only where the formula is well conditioned: e.g. cos(exp(exp(x)**2)) at x = 2 takes
    # the cosine of ~1e23, where two correct evaluations need not share a single digit (so does
    # cos(exp(exp(2)**2)), a constant: its numbers are nudged too).
    try:
        nudged = reference(  # type: ignore[operator]
            {"x": x * (1 + 1e-13), "y": y * (1 + 1e-13), "_c": 1 + 1e-13})
    except OverflowError:
        return
    assume(abs(nudged - expected) <= 1e-11 * max(1.0, abs(expected)))
    f = SymbolicFunction(text, ["x", "y"])
    got = f.value(np.array([x, y]))
    if math.isfinite(expected):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_raises_only_expression_errors(text: str) -> None:
    try:
        expr = parse_expression(text)
    except ExpressionError as exc:  # every parse error points at a column of the text
        assert exc.column is not None and 1 <= exc.column <= len(text) + 1, (text, exc)
    else:  # the rare text that parses is an expression over names really typed
        # (as Python reads identifiers: NFKC-normalised, so the micro sign is the Greek mu)
        typed = unicodedata.normalize("NFKC", text)
        assert all(s.name in typed and s.is_real for s in expr.free_symbols), (text, expr)


TOKENS = st.sampled_from(
    [
        "x",
        "y",
        "1",
        "2.5",
        "+",
        "-",
        "*",
        "/",
        "**",
        "^",
        "(",
        ")",
        "sin",
        "log",
        ",",
        " ",
        "pi",
        "e",
        "_",
        ".",
        "[",
        "]",
        "'",
        "9",
        "**9",
        "lambda",
        ":",
        "=",
        "j",
        "@",
        "%",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_token_soup_raises_only_expression_errors(text: str) -> None:
    try:
        expr = parse_expression(text)
    except ExpressionError as exc:
        assert exc.column is not None
        assert 1 <= exc.column <= len(text) + 1
    else:
        # Whatever parses is over names that were really typed, as real variables: the parser
        # never invents symbols (constants such as pi and e are not free symbols).
        assert all(s.name in text and s.is_real for s in expr.free_symbols), (text, expr)
