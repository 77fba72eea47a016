"""descend's own tree of a formula (no SymPy) against SymPy's exact derivatives and by hand.

The tree (:mod:`descend.expr.tree`) is read by the same walk as ``parse_expression``; its
values, gradients and Hessians (:class:`~descend.expr.treefunction.TreeFunction`, forward
mode) must equal :class:`~descend.expr.SymbolicFunction`'s (SymPy's symbolic derivatives,
lambdified) to rounding, and hand-derived derivatives exactly where they are exact in floats.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend.errors import ExpressionError
from descend.expr import SymbolicFunction, parse_expression
from descend.expr.testfunctions import TEST_FUNCTIONS
from descend.expr.tree import formula_text, parse_tree, polynomial_degree
from descend.expr.treefunction import TreeFunction, picture_function

# From tests/expr, the test functions, the tutorials and README, plus every allowed function.
FORMULAS = sorted({b.text for b in TEST_FUNCTIONS.values()} | {
    "abs(x - 1)**2 + log(y, 10) + 0.5*x", "abs(x) + y**2", "sin(x)*exp(y) + x**3*y",
    "x**2 + 3", "(x**2 - 1)**2 + y**2", "-x**2 - y**2", "1e100*x**2", "sqrt(x**2 + y**2)",
    "x + y", "x**3 - 2*x", "x**4 + x**2 + y**2", "x**4 - 3*x**2 + x", "x*y",
    "x**2 + y**2 + z**2", "sin(x) + 0.1*x**2", "abs(x) + abs(y)", "x**2",
    "tan(x/3) + atan(y) - asin(x/4)*acos(y/4)", "sinh(x/2)*cosh(y/3) + tanh(x*y)",
    "exp(-x**2 - y**2)*x", "log(1 + x**2 + y**2)", "2**x + e**y - E**(x*y/4) + pi*x",
    "x/(1 + y**2) - 1/(2 + x**2)", "sqrt(1 + x**2)**3", "(x**2 + 1)**y", "x**-2 + y**0.5",
    "-(-(x))*+y", "log(x**2 + 1, 2)*y", "x**y",
})
POSITIVE = ("x**y", "**0.5", "sqrt(x)", "log(y, 10)", "(x**2 + 1)**y")


def _points(fun: TreeFunction, text: str, k: int = 40) -> np.ndarray:
    rng = np.random.default_rng(7)
    pts = rng.uniform(-1.9, 1.9, size=(k, fun.n))
    if any(p in text for p in POSITIVE):
        pts = np.abs(pts) + 0.05
    return pts


def _close(a: np.ndarray, b: np.ndarray, rel: float) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    return bool(np.all((a == b) | (np.abs(a - b) <= rel * scale)))


@pytest.mark.parametrize("text", FORMULAS)
def test_values_gradients_and_hessians_equal_sympys_to_rounding(text):
    tree, sym = TreeFunction(text), SymbolicFunction(text)
    assert tree.variables == sym.variables
    pts = _points(tree, text)
    for p in pts:
        v, g = tree.value_and_grad(p)
        sv, sg = sym.value_and_grad(p)
        assert _close(v, sv, 1e-12), (p, v, sv)
        assert _close(g, sg, 1e-12), (p, g, sg)
        assert tree.value(p) == v
        # The Hessian goes through more arithmetic (second-order rules, NumPy scalars).
        assert _close(tree.hessian(p), sym.hessian(p), 1e-11), p
    # The grid path (one NumPy pass) equals the point path to rounding.
    assert _close(tree.values_at(pts), [sym.value(p) for p in pts], 1e-12)
    assert _close(tree.gradients_at(pts), [sym.grad(p) for p in pts], 1e-12)


def test_hand_derived_gradients_and_hessians():
    f = TreeFunction("x**2*y + 3*x - y**3")
    # ∇f = (2xy + 3, x² - 3y²), H = [[2y, 2x], [2x, -6y]]
    v, g = f.value_and_grad(np.array([2.0, -1.0]))
    assert v == -4.0 + 6.0 + 1.0
    assert g.tolist() == [2 * 2 * -1 + 3, 4 - 3]
    assert f.hessian(np.array([2.0, -1.0])).tolist() == [[-2.0, 4.0], [4.0, 6.0]]
    # d/dx sin(x²) = 2x cos(x²); d/dx x^x = x^x (log x + 1); d/dx abs(x) = sign(x), 0 at 0
    s = TreeFunction("sin(x**2)")
    assert s.grad(np.array([0.7]))[0] == pytest.approx(2 * 0.7 * math.cos(0.49), rel=1e-15)
    xx = TreeFunction("x**x")
    assert xx.grad(np.array([1.5]))[0] == pytest.approx(1.5**1.5 * (math.log(1.5) + 1), rel=1e-14)
    a = TreeFunction("abs(x)")
    assert [a.grad(np.array([t]))[0] for t in (-2.0, 0.0, 3.0)] == [-1.0, 0.0, 1.0]


def test_undefined_points_give_nan_or_inf_like_sympys_code():
    for text, p in [("log(x)", [-1.0]), ("1/x", [0.0]), ("sqrt(x)", [-4.0]), ("exp(x)", [1000.0]),
                    ("x**0.5 + y", [-1.0, 2.0])]:
        tree, sym = TreeFunction(text), SymbolicFunction(text)
        x = np.array(p)
        tv, tg = tree.value_and_grad(x)
        sv, sg = sym.value_and_grad(x)
        np.testing.assert_array_equal([tv, *tg], [sv, *sg])


def test_the_tree_reads_the_same_grammar_with_the_same_messages():
    for bad in ["x ^ 2", "x // 2", "x.real", "sin(x, y)", "foo(x)", "x[0]", "lambda: 1", "",
                "x +", "_x", "sin", "x + 9**9**9", "9**9**9**9", "-" * 70 + "x"]:
        with pytest.raises(ExpressionError) as sym_err:
            parse_expression(bad)
        with pytest.raises(ExpressionError) as tree_err:
            parse_tree(bad)
        assert str(tree_err.value) == str(sym_err.value)
    with pytest.raises(ExpressionError, match="unknown variable 'z'"):
        parse_tree("x + z", variables=["x", "y"])


@pytest.mark.parametrize("text", ["x/0", "x + log(0)", "sqrt(-2)*x", "log(x, 1)", "log(x, -2)",
                                  "x/(0.1 + 0.2 - 0.3)", "(-8)**(1/3)*x", "x/sin(pi)",
                                  "x + 0**(-1)"])
def test_what_sympy_refuses_for_a_constant_the_tree_refuses(text):
    with pytest.raises(ExpressionError):
        parse_expression(text)
    with pytest.raises(ExpressionError):
        parse_tree(text)


def test_exact_rational_constants_as_sympy():
    # 0.1 + 0.2 - 0.3 is exactly 0 for SymPy (decimals are rationals); so for the tree.
    assert parse_tree("0.1 + 0.2 - 0.3 + x").root.args[0].exact == 0
    f = TreeFunction("x*(1/3 + 2**-2)")
    assert f.grad(np.array([1.0]))[0] == float(SymbolicFunction("x*(1/3 + 2**-2)").grad(
        np.array([1.0]))[0])


def test_formula_text_reads_back_as_the_same_tree():
    for text in FORMULAS + ["-x**2", "(-x)**2", "2**x**y", "(2**x)**y", "a - (b - c)", "a/(b*c)",
                            "x*-y", "-(x*y)", "x**(-2)"]:
        printed = formula_text(parse_tree(text))
        assert formula_text(parse_tree(printed)) == printed
        a, b = TreeFunction(text), TreeFunction(printed)
        p = _points(a, text, 3)[0]
        assert a.value(p) == b.value(p)
    assert formula_text(parse_tree("(1-x)**2 + 100*(y-x**2)**2")) == "(1 - x)**2 + 100*(y - x**2)**2"


def test_curvature_bound_of_a_quadratic_and_none_otherwise():
    for text in ["x**2 + x*y + y**2", "0.26*(x**2 + y**2) - 0.48*x*y", "(x + 2*y - 7)**2 + x",
                 "x**2/2 + 3"]:
        assert TreeFunction(text).curvature_bound() == pytest.approx(
            SymbolicFunction(text).curvature_bound(), rel=1e-14)
    assert polynomial_degree(parse_tree("x**2*y")) == 3
    assert TreeFunction("x**4 + y**2").curvature_bound() is None
    assert TreeFunction("sin(x) + y**2").curvature_bound() is None


def test_picture_function_hands_doubtful_formulas_to_sympy():
    assert isinstance(picture_function("x**2 + y**2"), TreeFunction)
    for text in ["x + y - y", "x*y/y + 0*z", "log(exp(y)) - y + x**2", "x/(y - y)"]:
        # SymPy cancels a variable (or refuses the formula): the tree must not decide.
        try:
            fun = picture_function(text)
        except ExpressionError:
            continue
        assert isinstance(fun, SymbolicFunction), text
    with pytest.raises(ExpressionError, match="'\\^' is not a power"):
        picture_function("x ^ 2")
    listed = picture_function("x**2 + y", ["y", "x"])
    assert listed.variables == ("y", "x")
    assert listed.grad(np.array([1.0, 3.0])).tolist() == [1.0, 6.0]
