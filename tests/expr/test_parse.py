"""The parser: the grammar it accepts, and a hostile-input table it must refuse quickly."""

from __future__ import annotations

import math
import os
import time

import pytest
import sympy as sp

from descend.errors import ExpressionError
from descend.expr import parse_expression
from descend.expr.parse import MAX_LENGTH

x, y, z = (sp.Symbol(n, real=True) for n in "xyz")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2 + y**2", x**2 + y**2),
        ("x**2 + x*y + y**2", x**2 + x * y + y**2),
        ("-x + +y", -x + y),
        ("(x - 1)*(y + 2)", (x - 1) * (y + 2)),
        ("x/2", x / 2),
        ("0.5*x", x / 2),
        ("1e-3*x", x / 1000),
        ("sin(x) + cos(y) + tan(z)", sp.sin(x) + sp.cos(y) + sp.tan(z)),
        ("asin(x) + acos(y) + atan(z)", sp.asin(x) + sp.acos(y) + sp.atan(z)),
        ("sinh(x) + cosh(y) + tanh(z)", sp.sinh(x) + sp.cosh(y) + sp.tanh(z)),
        ("exp(x) + log(y) + sqrt(z)", sp.exp(x) + sp.log(y) + sp.sqrt(z)),
        ("abs(x)", sp.Abs(x)),
        ("log(x, 2)", sp.log(x) / sp.log(2)),
        ("pi*x", sp.pi * x),
        ("E**x", sp.exp(x)),
        ("e**x", sp.exp(x)),
        ("2**10", sp.Integer(1024)),
        ("x**-1", 1 / x),
        ("  x + 1", x + 1),
        ("(x +\n y)", x + y),
    ],
)
def test_accepts_the_grammar(text: str, expected: sp.Expr) -> None:
    assert sp.simplify(parse_expression(text) - expected) == 0


def test_variables_are_real_symbols() -> None:
    expr = parse_expression("x*y")
    assert all(s.is_real for s in expr.free_symbols)


def test_explicit_variables_win_over_constants() -> None:
    e, pi = sp.Symbol("e", real=True), sp.Symbol("pi", real=True)
    assert parse_expression("e*x", ["e", "x"]) == e * x
    assert parse_expression("pi + x", ["pi", "x"]) == pi + x
    # ...but without being listed they are the constants
    assert parse_expression("pi + x", ["x"]) == sp.pi + x


def test_unknown_variable_is_named_with_its_column() -> None:
    with pytest.raises(ExpressionError, match="unknown variable 'z'") as info:
        parse_expression("x + z", ["x", "y"])
    assert info.value.column == 5


@pytest.mark.parametrize(
    ("variables", "match"),
    [
        (["x", "x"], "listed twice"),
        (["_x"], "not valid"),
        (["sin"], "function"),
        (["2x"], "not valid"),
    ],
)
def test_bad_variable_lists(variables: list[str], match: str) -> None:
    with pytest.raises(ExpressionError, match=match):
        parse_expression("x", variables)


def test_column_is_in_characters_not_bytes() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("α + β ^ 2")
    assert info.value.column == 7


PWNED = "/tmp/descend_expr_pwned"

HOSTILE = [
    # (text, expected column, words the message must contain)
    (f"__import__('os').system('touch {PWNED}')", 1, "attribute"),
    ("__import__('os')", 1, "'_'"),
    ("().__class__.__bases__", 1, "attribute"),
    ("x.__class__", 1, "attribute"),
    ("open('f')", 1, "not an allowed function"),
    ("lambda: 1", 1, "lambda"),
    ("[x for x in y]", 1, "comprehension"),
    ("'abc'", 1, "string"),
    ("b'abc'", 1, "string"),
    ("x if y else z", 1, "if"),
    ("eval('1')", 1, "not an allowed function"),
    ("exec('1')", 1, "not an allowed function"),
    ("sympify('x')", 1, "not an allowed function"),
    ("x ^ 2", 3, "**"),
    ("1j", 1, "complex"),
    ("x; y", 2, "single formula"),
    ("x = 1", 3, "formula"),
    ("x == 1", 1, "comparison"),
    ("x and y", 1, "and"),
    ("a[1]", 1, "index"),
    ("(x:=1)", 2, ":="),
    ("f'{x}'", 1, "f-string"),
    ("sin(x=1)", 7, "keyword"),
    ("sin(*x)", 5, "unpacking"),
    ("sin", 1, "call it"),
    ("sin(x, y)", 1, "1 argument"),
    ("log(x, 2, 3)", 1, "1 or 2 arguments"),
    ("x(2)", 1, "x*("),
    ("True", 1, "not a number"),
    ("None", 1, "not a number"),
    ("x // 2", 3, "//"),
    ("x % 2", 3, "%"),
    ("~x", 1, "~"),
    ("1/0", 1, "division by zero"),
    ("log(0)", 1, "log(0)"),
    ("sqrt(-1)", 1, "not a real number"),
    ("x + (-8)**(1/3)", 5, "not a real number"),
    ("1e999", 1, "too large"),
    ("9**9**9**9", 4, "range"),
    ("2**10**10", 1, "range"),
    ("sqrt(2)**(10**10)", 1, "range"),
    ("(" * 300 + "x" + ")" * 300, 201, "nested"),
    ("-" * 1999 + "x", 1, "parts"),
    ("x" * 100_000, MAX_LENGTH + 1, "characters"),
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("x +", None, "not valid"),
    ("sin(x", None, "not valid"),
    ("x\x00", None, ""),
]


@pytest.mark.timeout(5)
@pytest.mark.parametrize(("text", "column", "words"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile_input_is_refused_quickly_without_side_effects(
    text: str, column: int | None, words: str
) -> None:
    if os.path.exists(PWNED):  # pragma: no cover - only if a previous run was compromised
        os.remove(PWNED)
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    assert not os.path.exists(PWNED)
    assert info.value.text == text
    assert info.value.column is not None
    if column is not None:
        assert info.value.column == column, str(info.value)
        assert f"(column {column})" in str(info.value)
    assert words in str(info.value)


def test_deep_but_legal_nesting_is_accepted() -> None:
    assert parse_expression("(" * 50 + "x" + ")" * 50) == x


def test_exponent_folding_is_safe_and_right() -> None:
    # exact while small, a float when the exact value would be huge, never a hang
    assert parse_expression("2**64") == 2**64
    value = parse_expression("1.0000000000000002**(10**15)")
    assert math.isclose(float(value), 1.0000000000000002 ** (10**15), rel_tol=1e-12)
    # a huge power of a *variable* is fine: it is only evaluated in floats later
    big = parse_expression("x**(10**300)")
    assert big.base == x and float(big.exp) == 1e300


def test_text_must_be_a_string() -> None:
    with pytest.raises(ExpressionError, match="text"):
        parse_expression(42)  # type: ignore[arg-type]


def test_never_calls_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    """sympify/parse_expr call eval; the parser must not reach them (nor eval itself)."""
    import builtins

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/sympify reached")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    monkeypatch.setattr(sp, "sympify", boom)
    monkeypatch.setattr(sp, "parse_expr", boom, raising=False)
    assert parse_expression("sin(x)**2 + log(y, 2) + 0.5*abs(z) - pi") is not None
