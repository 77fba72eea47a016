"""The "no false success" corpus for every second-order method (issue 25): the cases scipy
users reported (a NaN objective, a maximum or saddle reported as a minimum, an infeasible
bound, a non-finite gradient), each run with newton, bfgs, l-bfgs and cg.

tests/loop/test_second_order.py holds the first part of the corpus (NaN beyond the domain,
a maximum started on, an inflection, NaN at x0); this file completes it for every method.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend.cli.app import main
from descend.errors import ConvergenceWarning, InputError
from descend.loop import minimize
from descend.loop.verdict import Verdict

METHODS = ["newton", "bfgs", "l-bfgs", "cg"]
SADDLE = "(x**2 - 1)**2 + y**2"  # minima (+-1, 0), a saddle at (0, 0)


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return minimize(*args, **kwargs)


@pytest.mark.parametrize("method", METHODS)
def test_a_saddle_started_on_is_not_a_minimum(method):
    # scipy's BFGS reports success at x0 = (0, 0) of x^2 - y^2 (gradient zero there)
    r = quiet("x**2 - y**2", [0.0, 0.0], method=method)
    assert r.verdict is Verdict.NOT_A_MINIMUM and not r.success


@pytest.mark.parametrize("method", METHODS)
def test_a_saddle_on_the_way_is_never_called_a_minimum(method):
    # from (0, 1) the gradient (0, 2y) leads every gradient method straight onto the saddle
    r = quiet(SADDLE, [0.0, 1.0], method=method)
    if r.success:
        assert r.verdict is Verdict.CONVERGED
        np.testing.assert_allclose(np.abs(r.x), [1.0, 0.0], atol=1e-6)  # a true minimum
    else:
        assert r.verdict is Verdict.NOT_A_MINIMUM
        assert np.linalg.norm(r.x) < 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_next_to_a_maximum_falls_without_bound(method):
    r = quiet("-x**2 - y**2", [0.1, 0.1], method=method)
    assert not r.success and r.verdict is Verdict.UNBOUNDED_BELOW


def _sqrt_abs(p):
    return float(np.sqrt(abs(p[0])) + p[1] ** 2)


def _sqrt_abs_grad(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.array([0.5 * np.sign(p[0]) / np.sqrt(abs(p[0])), 2 * p[1]])


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_gradient_is_not_converged(method):
    # sqrt|x| + y^2: the minimum x = 0 has an infinite gradient; no point has |grad f| small
    r = quiet(_sqrt_abs, [1.0, 1.0], jac=_sqrt_abs_grad, method=method, max_iter=200)
    assert not r.success and np.all(np.isfinite(r.x))
    assert r.verdict is not Verdict.CONVERGED


@pytest.mark.parametrize("method", METHODS)
def test_nan_objective_everywhere_but_the_start_is_not_a_success(method):
    # f is nan off the start's neighbourhood: no step can be taken, none is called a minimum
    def f(p):
        return float(p[0] ** 2 + p[1] ** 2) if np.all(np.abs(p - 1.0) < 1e-9) else float("nan")

    def g(p):
        return 2.0 * np.asarray(p, dtype=float)

    r = quiet(f, [1.0, 1.0], jac=g, method=method, max_iter=50)
    assert not r.success and r.verdict is not Verdict.CONVERGED
    assert np.isfinite(r.fun)
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-9)  # it stayed where f is finite


@pytest.mark.parametrize("method", METHODS)
def test_nan_at_the_start_is_refused(method):
    with pytest.raises(InputError, match="not finite"):
        minimize(lambda p: float("nan"), [1.0], jac=lambda p: np.array([1.0]), method=method)


@pytest.mark.parametrize("method", METHODS)
def test_an_infeasible_bound_is_refused(method):
    # bounds are l-bfgs's (projected); every other method refuses bounds= before running
    with pytest.raises(InputError, match="lower 2 > upper 1 for x|needs method='l-bfgs'"):
        minimize("x**2", [1.0], bounds=[(2, 1)], method=method)


@pytest.mark.parametrize("method", ["l-bfgs", None])
def test_cli_infeasible_bound_is_one_line(method, capsys):
    args = ["minimize", "x**2 + y**2", "--start", "1,1", "--bounds", "x=2:1"]
    code = main(args + (["--method", method] if method else []))
    err = capsys.readouterr().err.strip()
    assert code == 2 and "lower 2 > upper 1 for x" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("method", ["gd", "newton", "bfgs"])
def test_a_finite_but_huge_gradient_is_named_as_such(method):
    """|grad f| = 2e200 is finite; its square overflows float64. The refusal says that, not
    "not finite" (issue 26: the start was refused as 'f(x0) or its gradient is not finite')."""
    from descend.expr import function

    with pytest.raises(InputError, match=r"finite but too large for float64 .* 2e\+200"):
        minimize(function("1e100*x**2"), [1e100], method=method)
    with pytest.raises(InputError, match=r"gradient is not finite .*component 0 is inf"):
        minimize(function("sqrt(x) + y**2"), [0.0, 1.0], method=method)
