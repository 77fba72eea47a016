"""The second-order methods (issue 25): references, verdicts, bounds, counts, resume.

References are independent: scipy's trust-exact iterates where the algorithm is the same (every
step an interior Newton step), closed-form minima elsewhere, and a corpus of the false
successes scipy users reported (NaN objective, a saddle or maximum, an infeasible bound, a
non-finite gradient).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize as sp_minimize

from descend.cli.app import main
from descend.errors import ConvergenceWarning, InputError
from descend.expr import function
from descend.expr.testfunctions import TEST_FUNCTIONS
from descend.loop import minimize
from descend.loop.verdict import Verdict

METHODS = ["newton", "bfgs", "l-bfgs", "cg"]
ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return minimize(*args, **kwargs)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["valley", "rosenbrock", "beale", "booth", "himmelblau",
                                  "matyas", "mccormick", "styblinski_tang"])
def test_each_method_reaches_the_known_minimum(method, name):
    bench = TEST_FUNCTIONS[name]
    r = minimize(bench.objective(), bench.start, method=method)
    assert r.verdict is Verdict.CONVERGED, r.message
    assert bench.distance_to_minimum(r.x) < 1e-5
    assert r.fun == pytest.approx(bench.fmin, abs=1e-8)
    assert r.nfev >= r.nit and r.njev >= r.nit


def test_newton_iterates_equal_scipy_trust_exact_on_interior_steps():
    # exp(x) - x + (y - 1)**2 + x*y/4 near its minimum: H positive definite, every Newton
    # step is inside radius 1, so trust-exact takes exactly the Newton steps too.
    text = "exp(x) - x + (y - 1)**2 + x*y/4"
    fun = function(text)
    xs = []
    sp_minimize(fun.value, [0.3, 0.8], jac=fun.grad, hess=fun.hessian, method="trust-exact",
                callback=lambda xk, *a: xs.append(np.array(xk)), options={"gtol": 1e-12})
    r = minimize(text, [0.3, 0.8], method="newton", gtol=1e-12)
    k = min(len(xs), r.nit)
    assert k >= 3
    np.testing.assert_allclose(r.history.x[1:k + 1], np.array(xs[:k]), rtol=0, atol=1e-12)


def test_newton_solves_a_quadratic_in_one_step_and_counts_like_scipy():
    r = minimize("x**2 + x*y + y**2 + 3*x", [5.0, 5.0])
    assert r.optimizer == "newton" and r.nit == 1
    np.testing.assert_allclose(r.x, [-2.0, 1.0], atol=1e-12)  # H^-1 (-3, 0) in closed form
    assert (r.nfev, r.njev, r.nhev) == (2, 2, 1)


def test_newton_leaves_a_saddle_along_negative_curvature():
    # from (0, 1) the gradient has no x-component: only the Hessian's -4 along x leads out
    r = minimize("(x**2 - 1)**2 + y**2", [0.0, 1.0])
    assert r.verdict is Verdict.CONVERGED and np.allclose(np.abs(r.x), [1.0, 0.0], atol=1e-8)


def test_default_by_what_is_known():
    assert minimize(ROSEN, [-1.2, 1.0]).optimizer == "newton"
    f = function(ROSEN)
    assert minimize(f.value, [-1.2, 1.0], jac=f.grad).optimizer == "l-bfgs"
    assert minimize(ROSEN, [0.5, 0.5], bounds=[(0, 2), (0, 2)]).optimizer == "l-bfgs"


def test_hess_callable_and_finite_difference_products():
    f = function(ROSEN)
    r = minimize(f.value, [-1.2, 1.0], jac=f.grad, hess=f.hessian, method="newton")
    assert r.verdict is Verdict.CONVERGED and r.nhev > 0
    r2 = minimize(f.value, [-1.2, 1.0], jac=f.grad, method="newton")
    assert r2.verdict is Verdict.CONVERGED and r2.nhev == 0
    assert "finite differences" in r2.message
    np.testing.assert_allclose(r2.x, [1.0, 1.0], atol=1e-5)


def test_bounds_end_on_the_bound_and_say_so():
    # (x-2)^2 + (y+3)^2 in [0,1] x [-1,1]: the KKT point is (1, -1), both bounds active
    r = minimize("(x - 2)**2 + (y + 3)**2", [0.5, 0.0], bounds={"x": (0, 1), "y": (-1, 1)})
    np.testing.assert_allclose(r.x, [1.0, -1.0])
    assert r.verdict is Verdict.CONVERGED and "on the bound" in r.message
    active = {a["variable"]: a for a in r.info["verdict"]["active_bounds"]}
    assert active["x"]["multiplier"] == pytest.approx(2.0)  # |df/dx| = |2(1 - 2)|
    assert active["y"]["multiplier"] == pytest.approx(4.0)
    # an interior minimum inside the box is not "on the bound"
    r = minimize("(x - 0.5)**2 + y**2", [0.0, 0.5], bounds=[(0, 1), (-1, 1)])
    assert "on the bound" not in r.message and np.allclose(r.x, [0.5, 0.0], atol=1e-6)


def test_bounded_rosenbrock_matches_scipy_lbfgsb():
    f = function(ROSEN)
    box = [(-2.0, 0.8), (-2.0, 2.0)]
    ref = sp_minimize(f.value, [-1.2, 1.0], jac=f.grad, method="L-BFGS-B", bounds=box)
    r = minimize(ROSEN, [-1.2, 1.0], bounds=box)
    np.testing.assert_allclose(r.x, ref.x, atol=1e-5)
    assert r.x[0] == 0.8 and "on the bound x <= 0.8" in r.message


# ---- the corpus: no false success -------------------------------------------------------------

def test_infeasible_bound_is_refused_in_one_line():
    with pytest.raises(InputError, match="lower 2 > upper 1 for x"):
        minimize("x**2", [1.0], bounds=[(2, 1)])


@pytest.mark.parametrize("method", METHODS)
def test_nan_objective_beyond_its_domain_is_not_a_false_success(method):
    # log(x) + 1/x is nan for x < 0; its minimum is x = 1 (f' = 1/x - 1/x^2)
    r = quiet("log(x) + 1/x + y**2", [3.0, 1.0], method=method)
    assert r.verdict is Verdict.CONVERGED and np.allclose(r.x, [1.0, 0.0], atol=1e-5)
    assert np.all(np.isfinite(r.x))


@pytest.mark.parametrize("method", METHODS)
def test_a_maximum_is_not_a_minimum(method):
    r = quiet("-x**2 - y**2", [0.0, 0.0], method=method)
    assert r.verdict is Verdict.NOT_A_MINIMUM and not r.success


@pytest.mark.parametrize("method", METHODS)
def test_an_inflection_is_never_a_minimum(method):
    # x**3 from 1: Newton creeps to 0, where f' = 0 and f'' = 0+; f is unbounded below
    r = quiet("x**3", [1.0], method=method)
    assert not r.success and r.verdict in (Verdict.UNBOUNDED_BELOW, Verdict.NOT_A_MINIMUM)


def test_non_finite_gradient_is_not_converged():
    # f = sqrt(|x|) + y^2 has an infinite gradient at x = 0: no point has |grad f| small
    def f(p):
        return float(np.sqrt(abs(p[0])) + p[1] ** 2)

    def g(p):
        with np.errstate(divide="ignore"):
            return np.array([0.5 * np.sign(p[0]) / np.sqrt(abs(p[0])), 2 * p[1]])

    r = quiet(f, [1.0, 1.0], jac=g, method="l-bfgs", max_iter=200)
    assert not r.success and np.all(np.isfinite(r.x))


def test_nan_at_the_start_is_refused():
    with pytest.raises(InputError, match="not finite"):
        minimize(lambda p: float("nan"), [1.0], method="bfgs")


# ---- plumbing --------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_resume_bit_for_bit(method):
    kw = {"gtol": 0.0, "tol": 0.0, "n_iter_no_change": 10**9, "method": method}
    full = quiet(ROSEN, [-1.2, 1.0], max_iter=8, **kw)
    first = quiet(ROSEN, [-1.2, 1.0], max_iter=4, **kw)
    second = quiet(ROSEN, first.x, max_iter=8, state=first.info["state"], start_iter=4, **kw)
    np.testing.assert_array_equal(second.x, full.x)
    np.testing.assert_array_equal(second.history.x, full.history.x[4:])


def test_callback_and_conflicts():
    seen = []
    r = minimize(ROSEN, [-1.2, 1.0], method="bfgs", callback=lambda ir: seen.append(ir.nit))
    assert seen == list(range(1, r.nit + 1))
    with pytest.raises(InputError, match="chooses its own steps"):
        minimize(ROSEN, [-1.2, 1.0], method="newton", learning_rate=0.1)
    with pytest.raises(InputError, match="bounds= needs method='l-bfgs'"):
        minimize(ROSEN, [-1.2, 1.0], method="newton", bounds=[(0, 1), (0, 1)])
    with pytest.raises(InputError, match="unknown method"):
        minimize(ROSEN, [-1.2, 1.0], method="nelder-mead")


def test_cli_bounds_and_method(capsys):
    assert main(["minimize", "(x - 2)**2 + (y + 3)**2", "--start", "0.5,0",
                 "--bounds", "x=0:1,y=-1:", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"x": [1.0, -1.0]' in out and "on the bound" in out
    assert main(["minimize", "x**2", "--start", "1", "--bounds", "x=2:1"]) == 2
    err = capsys.readouterr().err
    assert "lower 2 > upper 1" in err and len(err.strip().splitlines()) == 1
