"""minimize: exact references, history, the step sizes the loop chooses, the API boundary."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from loop_objectives import VALLEY, VALLEY_A

import descend.loop as loop
from descend.errors import ConvergenceWarning, InputError
from descend.expr import function
from descend.loop import OptimizeResult, Status, minimize
from descend.optim import adam, gd, momentum
from descend.optim.schedules import exponential_decay


def _quiet(*args, **kwargs) -> OptimizeResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return minimize(*args, **kwargs)


def test_gd_matches_closed_form_iterates(valley):
    # f = x'Ax/2 with A = [[2,1],[1,2]]: gd iterates are x_k = (I - lr A)^k x0.
    lr, x0 = 0.1, np.array([3.0, 1.0])
    r = _quiet(valley, x0, optimizer=gd(lr), max_iter=50, gtol=0.0, tol=0.0)
    assert r.status is Status.MAX_ITER
    step = np.eye(2) - lr * VALLEY_A
    for k in (0, 1, 2, 10, 50):
        np.testing.assert_allclose(
            r.history.x[k], np.linalg.matrix_power(step, k) @ x0, rtol=1e-12, atol=1e-15
        )
    np.testing.assert_allclose(r.history.x[1], [2.3, 0.5], rtol=1e-15)  # tutorial 000's step


def test_history_shapes_and_start_first(valley):
    r = _quiet(valley, [3.0, 1.0], optimizer=gd(0.1), max_iter=20, gtol=0.0)
    assert r.nit == 20
    assert r.history.x.shape == (21, 2)
    assert r.history.fun.shape == (21,)
    assert r.history.grad_norm.shape == (21,)
    assert r.history.learning_rate.shape == (20,)
    np.testing.assert_array_equal(r.history.x[0], [3.0, 1.0])
    assert r.history.fun[0] == 13.0
    np.testing.assert_array_equal(r.history.x[-1], r.x)
    assert r.history.fun[-1] == r.fun
    np.testing.assert_allclose(r.history.grad_norm[-1], np.linalg.norm(r.jac))
    assert r.nfev == 21 and r.njev == 21
    assert r.variables == ("x", "y") and r.optimizer == "gd" and r.learning_rate == 0.1
    d = r.to_dict()
    assert d["status"] == "max_iter" and len(d["history"]["x"]) == 21


def test_gd_with_one_over_L_converges_on_the_valley(valley):
    r = minimize(valley, [3.0, 1.0], optimizer=gd(1.0 / 3.0))
    assert r.success and r.status is Status.GTOL
    np.testing.assert_allclose(r.x, [0.0, 0.0], atol=1e-6)


def test_auto_picks_one_third_on_the_valley(valley):
    r = minimize(valley, [3.0, 1.0], optimizer=gd(), learning_rate="auto")
    auto = r.info["auto_lr"]
    assert auto["L"] == pytest.approx(3.0)
    assert auto["learning_rate"] == pytest.approx(1.0 / 3.0)
    assert "constant Hessian" in auto["source"]
    assert r.learning_rate == pytest.approx(1.0 / 3.0)
    assert "1/L = 0.3333" in r.message
    np.testing.assert_allclose(r.history.learning_rate, 1.0 / 3.0)
    assert r.success


def test_auto_uses_the_hessian_then_finite_differences():
    quartic = function("x**4 + x**2 + y**2")  # Hessian at (1, 1): diag(14, 2)
    r = minimize(quartic, [1.0, 1.0], optimizer="gd", learning_rate="auto")
    assert r.info["auto_lr"]["L"] == pytest.approx(14.0)
    assert "Hessian" in r.info["auto_lr"]["source"]

    class NoHessian:
        variables, n = ("x", "y"), 2

        def value(self, p):
            return quartic.value(p)

        def grad(self, p):
            return quartic.grad(p)

        def value_and_grad(self, p):
            return quartic.value_and_grad(p)

        def hessian(self, p):
            return None

        def curvature_bound(self):
            return None

    r = minimize(NoHessian(), [1.0, 1.0], optimizer="gd", learning_rate="auto")
    assert r.info["auto_lr"]["L"] == pytest.approx(14.0, rel=1e-5)
    assert "power iteration" in r.info["auto_lr"]["source"]
    assert r.success


def test_armijo_decreases_the_loss_monotonically():
    rosen = function("(1 - x)**2 + 100*(y - x**2)**2")
    r = minimize(rosen, [-1.2, 1.0], optimizer=gd("armijo"))
    assert r.success
    assert np.all(np.diff(r.history.fun) < 0)
    assert r.learning_rate == "armijo"
    assert np.all(r.history.learning_rate > 0) and r.history.learning_rate.shape == (r.nit,)
    assert r.nfev >= r.nit + 1
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-5)


def test_armijo_with_momentum_still_monotone():
    r = minimize("(x - 1)**2 + 10*(y + 2)**2", [0.0, 0.0], optimizer=momentum(0.1), learning_rate="armijo")
    assert r.success and np.all(np.diff(r.history.fun) < 0)


def test_learning_rate_keyword_overrides_the_optimizer(valley):
    r = _quiet(valley, [3.0, 1.0], optimizer=gd(0.5), learning_rate=0.1, max_iter=1)
    np.testing.assert_allclose(r.x, [2.3, 0.5])


def test_schedule_rates_are_recorded(valley):
    sched = exponential_decay(0.1, 0.5)
    r = _quiet(valley, [3.0, 1.0], optimizer=gd(sched), max_iter=4, gtol=0.0)
    np.testing.assert_allclose(r.history.learning_rate, [0.1, 0.05, 0.025, 0.0125])


def test_fun_as_text_callable_and_jac():
    r = minimize(VALLEY, [3, 1])
    assert r.success and r.variables == ("x", "y")

    def f(p):
        return float(p[0] ** 2 + p[0] * p[1] + p[1] ** 2)

    def g(p):
        return np.array([2 * p[0] + p[1], p[0] + 2 * p[1]])

    r2 = minimize(f, [3.0, 1.0], jac=g, optimizer=gd(0.1), gtol=1e-8)
    r3 = minimize(lambda p: (f(p), g(p)), [3.0, 1.0], jac=True, optimizer=gd(0.1), gtol=1e-8)
    np.testing.assert_array_equal(r2.x, r3.x)
    np.testing.assert_allclose(r2.x, 0.0, atol=1e-8)
    r4 = minimize("a**2 + (b - 1)**2", [0.0, 0.0], variables=["b", "a"])
    assert r4.variables == ("b", "a")
    np.testing.assert_allclose(r4.x, [1.0, 0.0], atol=1e-6)


def test_default_is_gd_with_line_search_and_exported():
    # issue 25: an expression's default is Newton; the line-searched gd is method="gd"
    r = minimize(VALLEY, [3.0, 1.0], method="gd")
    assert r.optimizer == "gd" and r.learning_rate == "armijo"
    assert minimize(VALLEY, [3.0, 1.0]).optimizer == "newton"
    assert set(loop.__all__) >= {"minimize", "explain_steps", "OptimizeResult", "Status"}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"x0": [1.0]}, "x0 has 1 values"),
        ({"x0": [np.nan, 1.0]}, "must be finite"),
        ({"max_iter": -1}, "max_iter"),
        ({"gtol": -1.0}, "gtol"),
        ({"tol": "a"}, "tol"),
        ({"time_limit": 0}, "time_limit"),
        ({"optimizer": 3}, "optimizer must be"),
        ({"optimizer": "adma"}, "adma"),
    ],
)
def test_bad_arguments_raise_input_error(kwargs, needle):
    args = {"x0": [3.0, 1.0], **kwargs}
    with pytest.raises(InputError, match=needle):
        minimize(VALLEY, **args)


def test_non_finite_start_is_refused():
    with pytest.raises(InputError, match="not finite"):
        minimize("log(x) + y**2", [-1.0, 1.0])


def test_adam_on_the_valley(valley):
    r = minimize(valley, [3.0, 1.0], optimizer=adam(0.05))
    assert r.success
    np.testing.assert_allclose(r.x, 0.0, atol=1e-5)
