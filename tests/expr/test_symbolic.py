"""SymbolicFunction against hand-derived gradients, Hessians and central differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from descend.errors import InputError
from descend.expr import Objective, SymbolicFunction, function, gradient_at
from descend.expr.testfunctions import TEST_FUNCTIONS


def central_differences(f: SymbolicFunction, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """An independent reference: only ``value`` is used."""
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h * max(1.0, abs(x[i]))
        g[i] = (f.value(x + e) - f.value(x - e)) / (2 * e[i])
    return g


# -- the tutorials' facts ------------------------------------------------------------------


def test_bowl_gradient_from_the_tutorial() -> None:
    f = SymbolicFunction("x**2 + y**2")
    assert f.gradient_formula == ("2*x", "2*y")
    np.testing.assert_array_equal(f.grad(np.array([3.0, 1.0])), [6.0, 2.0])
    np.testing.assert_array_equal(f.grad(np.array([-2.0, -2.0])), [-4.0, -4.0])
    info = gradient_at(f, [3, 1])
    assert info.magnitude == pytest.approx(math.sqrt(40))
    np.testing.assert_allclose(info.direction, np.array([6.0, 2.0]) / math.sqrt(40))
    # direction of steepest ascent: away from the minimum at the origin
    assert info.direction @ np.array([3.0, 1.0]) > 0


def test_valley_gradient_from_the_tutorial() -> None:
    f = SymbolicFunction("x**2 + x*y + y**2")
    assert f.gradient_formula == ("2*x + y", "x + 2*y")
    x, y = f.symbols
    assert f.gradient_exprs == (2 * x + y, x + 2 * y)
    value, grad = f.value_and_grad(np.array([1.0, -3.0]))
    assert value == 1 - 3 + 9
    np.testing.assert_array_equal(grad, [2 - 3, 1 - 6])
    np.testing.assert_array_equal(f.hessian(np.zeros(2)), [[2, 1], [1, 2]])
    assert f.curvature_bound() == pytest.approx(3.0)


# -- Rosenbrock by hand -----------------------------------------------------------------------


def rosen_grad(x: float, y: float) -> list[float]:
    return [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)]


def rosen_hess(x: float, y: float) -> list[list[float]]:
    return [[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200]]


@pytest.mark.parametrize("point", [(-1.2, 1.0), (1.0, 1.0), (0.3, -2.5), (2.0, 4.1)])
def test_rosenbrock_against_hand_derivation(point: tuple[float, float]) -> None:
    f = TEST_FUNCTIONS["rosenbrock"].objective()
    np.testing.assert_allclose(f.grad(np.array(point)), rosen_grad(*point), rtol=1e-13)
    np.testing.assert_allclose(f.hessian(np.array(point)), rosen_hess(*point), rtol=1e-13)
    assert f.curvature_bound() is None


def test_hessians_against_hand_derivation() -> None:
    f = SymbolicFunction("sin(x)*exp(y) + x**3*y")
    x, y = 0.7, -0.4
    expected = [
        [-math.sin(x) * math.exp(y) + 6 * x * y, math.cos(x) * math.exp(y) + 3 * x**2],
        [math.cos(x) * math.exp(y) + 3 * x**2, math.sin(x) * math.exp(y)],
    ]
    np.testing.assert_allclose(f.hessian(np.array([x, y])), expected, rtol=1e-13)
    h = f.hessian_formula
    assert h[0][1] == h[1][0]


# -- every test function vs central differences ------------------------------------------------


@pytest.mark.parametrize("name", sorted(TEST_FUNCTIONS))
def test_test_function_gradients_match_central_differences(name: str) -> None:
    bench = TEST_FUNCTIONS[name]
    f = bench.objective()
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    for point in [np.array(bench.start), *rng.uniform(-2, 2, size=(5, 2))]:
        g = f.grad(point)
        np.testing.assert_allclose(g, central_differences(f, point), rtol=1e-6, atol=1e-5)
        # the Hessian is the derivative of the gradient
        H = f.hessian(point)
        ref = np.column_stack(
            [
                (f.grad(point + h) - f.grad(point - h)) / 2e-6
                for h in (np.array([1e-6, 0.0]), np.array([0.0, 1e-6]))
            ]
        )
        np.testing.assert_allclose(H, ref, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", sorted(TEST_FUNCTIONS))
def test_known_minima_are_stationary_with_the_listed_value(name: str) -> None:
    bench = TEST_FUNCTIONS[name]
    f = bench.objective()
    for m in bench.minima:
        assert f.value(np.array(m)) == pytest.approx(bench.fmin, abs=1e-9)
        assert np.linalg.norm(f.grad(np.array(m))) < 1e-7
        eig = np.linalg.eigvalsh(f.hessian(np.array(m)))
        assert eig.min() > 0  # a strict local minimum
    assert bench.distance_to_minimum(np.array(bench.minima[0])) == 0.0


# -- the Objective contract ---------------------------------------------------------------------


def test_is_an_objective_and_returns_the_promised_types() -> None:
    f = SymbolicFunction("x**2 + 3")
    assert isinstance(f, Objective)
    v, g = f.value_and_grad(np.array([2.0]))
    assert type(v) is float and v == 7.0
    assert g.dtype == np.float64 and g.shape == (1,)
    assert type(f.value(np.array([2.0]))) is float
    assert f.hessian(np.array([2.0])).shape == (1, 1)
    assert f.curvature_bound() == 2.0


def test_grad_returns_a_new_array_each_time() -> None:
    f = SymbolicFunction("x**2 + y**2")
    a = f.grad(np.array([1.0, 1.0]))
    a[0] = 99
    np.testing.assert_array_equal(f.grad(np.array([1.0, 1.0])), [2.0, 2.0])


@pytest.mark.parametrize(
    ("point", "match"),
    [
        ([1.0, 2.0, 3.0], r"expected 2 values for \(x, y\), got 3"),
        ([1.0], r"expected 2 values for \(x, y\), got 1"),
        ([[1.0, 2.0]], r"shape \(1, 2\)"),
        (["a", "b"], "real numbers"),
    ],
)
def test_wrong_points_are_refused(point: object, match: str) -> None:
    f = SymbolicFunction("x**2 + y**2")
    with pytest.raises(InputError, match=match):
        f.value_and_grad(point)  # type: ignore[arg-type]


def test_lists_and_ints_are_accepted_as_points() -> None:
    f = SymbolicFunction("x**2 + y**2")
    assert f.value([3, 1]) == 10.0  # type: ignore[arg-type]
    np.testing.assert_array_equal(f.grad(np.array([3, 1])), [6.0, 2.0])


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("log(x)", [-1.0]),
        ("sqrt(x)", [-1.0]),
        ("1/x", [0.0]),
        ("exp(x)", [1000.0]),
        ("x**(1/3)", [-8.0]),
        ("asin(x)", [2.0]),
        ("cosh(x)", [1e4]),
    ],
)
def test_bad_points_give_nan_or_inf_not_exceptions(text: str, point: list[float]) -> None:
    f = SymbolicFunction(text)
    x = np.array(point)
    v, g = f.value_and_grad(x)
    assert not (math.isfinite(v) and np.all(np.isfinite(g)))
    assert math.isnan(f.value(x)) or math.isinf(f.value(x))
    assert f.hessian(x).shape == (1, 1)


def test_abs_has_sign_gradient_and_zero_second_derivative() -> None:
    f = SymbolicFunction("abs(x) + y**2")
    assert f.gradient_formula == ("sign(x)", "2*y")
    np.testing.assert_array_equal(f.grad(np.array([-3.0, 1.0])), [-1.0, 2.0])
    np.testing.assert_array_equal(f.hessian(np.array([-3.0, 1.0])), [[0.0, 0.0], [0.0, 2.0]])
    assert f.formula == "y**2 + abs(x)"


def test_explicit_variables_order_and_unused_variables() -> None:
    f = SymbolicFunction("y**2", ["y", "x"])
    assert f.variables == ("y", "x") and f.n == 2
    np.testing.assert_array_equal(f.grad(np.array([3.0, 5.0])), [6.0, 0.0])
    assert f.curvature_bound() == 2.0


def test_sympy_expressions_are_accepted_and_made_real() -> None:
    x, y = sp.symbols("x y")  # not declared real
    f = function(sp.Abs(x) + y**2)
    assert isinstance(f, SymbolicFunction)
    assert f.variables == ("x", "y")
    np.testing.assert_array_equal(f.grad(np.array([-1.0, 1.0])), [-1.0, 2.0])
    assert f.text == "y**2 + abs(x)"


def test_formula_round_trips_through_the_parser() -> None:
    f = SymbolicFunction("abs(x - 1)**2 + log(y, 10) + 0.5*x")
    g = SymbolicFunction(f.formula)
    assert sp.simplify(f.expr - g.expr) == 0


def test_constant_formula_is_refused() -> None:
    with pytest.raises(InputError, match="no variables"):
        SymbolicFunction("3 + pi")
    f = SymbolicFunction("3", ["x"])
    assert f.grad(np.array([1.0])).tolist() == [0.0]
    assert f.curvature_bound() == 0.0


def test_variables_that_look_like_generated_names_do_not_clash() -> None:
    # lambdify and cse generate names of their own; user names must not collide with them
    f = SymbolicFunction("x0**2 + x1*math + c0*sin(x0*x1)")
    assert f.variables == ("c0", "math", "x0", "x1")
    p = np.array([0.5, 2.0, 1.5, -1.0])
    np.testing.assert_allclose(f.grad(p), central_differences(f, p), rtol=1e-7)


def test_value_and_grad_is_fast() -> None:
    import timeit

    f = SymbolicFunction("x**2 + x*y + y**2")
    x = np.array([1.0, 2.0])
    n = 20_000
    per_call = min(timeit.repeat(lambda: f.value_and_grad(x), number=n, repeat=3)) / n
    # ~1 µs on a laptop; the bound is loose for a loaded CI machine
    assert per_call < 20e-6, f"{per_call * 1e6:.1f} µs"


def test_large_formulas_fall_back_to_a_numeric_hessian_of_the_exact_gradient() -> None:
    n = 24
    f = SymbolicFunction("*".join(f"(v{i:02d} + 1)" for i in range(n)))
    assert not f.symbolic_hessian and f.curvature_bound() is None
    x = np.linspace(0.1, 0.5, n)
    H = f.hessian(x)
    # H_ij = prod_k(x_k + 1) / ((x_i + 1)(x_j + 1)) for i != j, and 0 on the diagonal
    p = np.prod(x + 1)
    expected = p / np.outer(x + 1, x + 1)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(H, expected, rtol=1e-6, atol=1e-6)


def test_long_flat_sums_are_not_mistaken_for_deep_nesting() -> None:
    f = SymbolicFunction(" + ".join(f"(v{i:02d} - {i})**2" for i in range(32)))
    assert f.n == 32 and f.curvature_bound() == 2.0
    with pytest.raises(InputError, match="at most 32"):
        SymbolicFunction(" + ".join(f"v{i:02d}**2" for i in range(33)))
