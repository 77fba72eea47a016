"""CallableFunction: numerical gradients against exact ones, counters, and the wrapper."""

from __future__ import annotations

import numpy as np
import pytest

from descend.errors import InputError
from descend.expr import CallableFunction, Objective, SymbolicFunction, function
from descend.expr.testfunctions import TEST_FUNCTIONS


@pytest.mark.parametrize("name", sorted(TEST_FUNCTIONS))
def test_numeric_gradient_matches_the_exact_one(name: str) -> None:
    exact = TEST_FUNCTIONS[name].objective()
    numeric = CallableFunction(exact.value, n=2)
    rng = np.random.default_rng(7)
    for x in rng.uniform(-2, 2, size=(5, 2)):
        g_exact = exact.grad(x)
        scale = max(1.0, abs(exact.value(x)), float(np.abs(g_exact).max()))
        # documented accuracy: about 1e-10 relative for smooth f
        np.testing.assert_allclose(numeric.grad(x), g_exact, rtol=0, atol=1e-8 * scale)
        H_scale = max(1.0, float(np.abs(exact.hessian(x)).max()))
        np.testing.assert_allclose(
            numeric.hessian(x), exact.hessian(x), rtol=0, atol=1e-4 * max(scale, H_scale)
        )


def test_counters_count_calls() -> None:
    f = CallableFunction(lambda x: float(x @ x), n=3)
    assert f.numeric_gradient
    f.value(np.ones(3))
    assert (f.nfev, f.njev) == (1, 0)
    f.grad(np.ones(3))
    assert (f.nfev, f.njev) == (1 + 6, 1)
    f.value_and_grad(np.ones(3))
    assert (f.nfev, f.njev) == (1 + 6 + 7, 2)


def test_exact_grad_is_used_and_counted() -> None:
    f = CallableFunction(lambda x: float(x @ x), grad=lambda x: 2 * x, n=2)
    v, g = f.value_and_grad(np.array([1.0, 2.0]))
    assert v == 5.0
    np.testing.assert_array_equal(g, [2.0, 4.0])
    assert (f.nfev, f.njev) == (1, 1)
    np.testing.assert_allclose(f.hessian(np.array([1.0, 2.0])), 2 * np.eye(2), atol=1e-8)
    assert f.curvature_bound() is None


def test_value_and_grad_true_means_f_returns_both() -> None:
    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        return float(x @ x), 2 * x

    fun = CallableFunction(f, value_and_grad=True)
    assert fun.value(np.array([3.0, 4.0])) == 25.0
    np.testing.assert_array_equal(fun.grad(np.array([3.0, 4.0])), [6.0, 8.0])
    bad = CallableFunction(lambda x: 1.0, value_and_grad=True, n=1)
    with pytest.raises(InputError, match=r"\(value, gradient\)"):
        bad.grad(np.array([1.0]))


def test_n_and_variables_are_inferred_from_the_first_point() -> None:
    f = CallableFunction(lambda x: float(np.sum(x**2)))
    assert isinstance(f, Objective)
    assert f.n == 0 and f.variables == ()
    f.value(np.array([1.0, 2.0, 3.0]))
    assert f.n == 3 and f.variables == ("x0", "x1", "x2")
    with pytest.raises(InputError, match=r"expected 3 values for \(x0, x1, x2\), got 2"):
        f.value(np.array([1.0, 2.0]))


def test_names_and_n_must_agree() -> None:
    assert CallableFunction(lambda x: 0.0, variables=["a", "b"]).n == 2
    with pytest.raises(InputError, match="n=3"):
        CallableFunction(lambda x: 0.0, n=3, variables=["a", "b"])
    with pytest.raises(InputError, match="positive integer"):
        CallableFunction(lambda x: 0.0, n=0)
    with pytest.raises(InputError, match="not both"):
        CallableFunction(lambda x: 0.0, grad=lambda x: x, value_and_grad=True)


def test_bad_return_values_are_reported() -> None:
    f = CallableFunction(lambda x: "high", n=1)
    with pytest.raises(InputError, match="one real number"):
        f.value(np.array([1.0]))
    g = CallableFunction(lambda x: 0.0, grad=lambda x: [1.0, 2.0, 3.0], n=2)
    with pytest.raises(InputError, match="3 values, expected 2"):
        g.grad(np.array([1.0, 2.0]))


def test_user_function_cannot_corrupt_the_point() -> None:
    def mutating(x: np.ndarray) -> float:
        value = float(x @ x)
        x[:] = 1e9
        return value

    f = CallableFunction(mutating, n=2)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(f.grad(x), [2.0, 4.0], rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, 2.0])


# -- function(): the one entry point ------------------------------------------------------------


def test_function_dispatches_on_the_kind_of_input() -> None:
    assert isinstance(function("x**2"), SymbolicFunction)
    f = CallableFunction(lambda x: 0.0, n=1)
    assert function(f) is f
    s = SymbolicFunction("x**2")
    assert function(s) is s
    c = function(lambda x: float(x @ x), n=2, grad=lambda x: 2 * x)
    assert isinstance(c, CallableFunction) and c.n == 2 and not c.numeric_gradient
    assert function("x + y", ["y", "x"]).variables == ("y", "x")


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((42,), {}, "cannot minimise a int"),
        (("x**2",), {"grad": lambda x: x}, "Python callables"),
        (("x**2",), {"n": 2}, "n=2"),
    ],
)
def test_function_refuses_with_a_reason(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        function(*args, **kwargs)
