"""Every verdict from cases whose answer is known in closed form, through the library and the CLI.

A verdict is a claim: ``converged`` (and ``success``) only where the gradient is small and the
exact Hessian is positive semidefinite; saddles, maxima, inflections, oscillation at exactly
2/L, decayed schedules, spent budgets and functions unbounded below are named as such.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from descend.cli.app import main
from descend.errors import ConvergenceWarning
from descend.loop import minimize
from descend.loop.verdict import Verdict, oscillation
from descend.optim import cosine_decay, gd


def quiet_minimize(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return minimize(*args, **kwargs)


def test_saddle_is_not_a_minimum_and_shows_the_way_out():
    # f = (x^2 - 1)^2 + y^2: grad (4x(x^2 - 1), 2y) vanishes at (0, 0), where
    # H = diag(12x^2 - 4, 2) = diag(-4, 2): a saddle; the minima are (+-1, 0).
    # gradient descent (method="gd") stays on the line x = 0 and lands on the saddle;
    # Newton, the default since issue 25, follows the negative curvature out of it.
    with pytest.warns(ConvergenceWarning, match="saddle"):
        r = minimize("(x**2 - 1)**2 + y**2", [0.0, 1.0], method="gd")
    assert r.verdict is Verdict.NOT_A_MINIMUM and not r.success
    assert np.allclose(r.x, [0.0, 0.0])
    facts = r.info["verdict"]
    assert facts["min_eigenvalue"] == pytest.approx(-4.0)
    assert np.allclose(np.abs(facts["descent_direction"]), [1.0, 0.0])
    # Restarting along the direction it names reaches a true minimum.
    again = minimize("(x**2 - 1)**2 + y**2", r.x + 0.1 * np.array(facts["descent_direction"]))
    assert again.verdict is Verdict.CONVERGED and np.allclose(np.abs(again.x), [1.0, 0.0], atol=1e-6)


def test_a_maximum_is_named():
    # -x^2 - y^2 starts at its maximum: the gradient is zero, H = -2 I.
    with pytest.warns(ConvergenceWarning, match="maximum"):
        r = minimize("-x**2 - y**2", [0.0, 0.0])
    assert r.verdict is Verdict.NOT_A_MINIMUM and r.nit == 0
    assert r.info["verdict"]["min_eigenvalue"] == pytest.approx(-2.0)


def test_inflection_with_zero_hessian_is_not_a_minimum():
    # x^3 at 0: f' = f'' = 0, so the second-order test is silent; f(-h) < f(0).
    r = quiet_minimize("x**3 + y**2", [0.0, 0.0])
    assert r.verdict is Verdict.NOT_A_MINIMUM
    assert r.info["verdict"]["descent_direction"][0] == pytest.approx(-1.0)


def test_flat_true_minimum_is_converged():
    # x^4 at 0: H = 0 there too, but f rises both ways: a (degenerate) minimum.
    r = minimize("x**4 + y**2", [0.0, 0.0])
    assert r.verdict is Verdict.CONVERGED and r.success


def test_oscillation_at_exactly_two_over_L():
    # x^2 + xy + y^2 has H = [[2, 1], [1, 2]], L = 3: gd with lr = 2/3 flips the component
    # along (1, 1) forever (factor 1 - lr L = -1) while the other decays (factor 1/3).
    r = quiet_minimize("x**2 + x*y + y**2", [3.0, 1.0], optimizer=gd(2.0 / 3.0), max_iter=500)
    assert r.verdict is Verdict.OSCILLATING and not r.success
    assert "2/L" in r.message
    # the run ends bouncing between +-(2, 2): the (1, 1) component of the start, kept forever
    assert np.allclose(np.abs(r.x), [2.0, 2.0])


def test_just_below_two_over_L_converges():
    r = minimize("x**2 + x*y + y**2", [3.0, 1.0], optimizer=gd(0.6), max_iter=10_000)
    assert r.verdict is Verdict.CONVERGED


def test_decayed_schedule_is_stalled_not_converged():
    # The cosine schedule reaches 0 after 20 steps, long before the minimum at (0, 0).
    with pytest.warns(ConvergenceWarning, match="stalled"):
        r = minimize("x**2 + x*y + y**2", [3.0, 1.0], optimizer=gd(cosine_decay(0.05, 20)))
    assert r.verdict is Verdict.STALLED and not r.success
    g = np.array([2 * r.x[0] + r.x[1], r.x[0] + 2 * r.x[1]])  # the exact gradient
    assert np.linalg.norm(g) > 1.0


def test_budget_spent():
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        r = minimize("x**2 + y**2", [3.0, 1.0], optimizer=gd(0.01), max_iter=10)
    assert r.verdict is Verdict.BUDGET_SPENT and not r.success


def test_unbounded_below():
    r = minimize("x - y**2", [0.0, 1.0])
    assert r.verdict is Verdict.UNBOUNDED_BELOW and not r.success


def test_diverged_above_two_over_L():
    with pytest.warns(Warning):  # the StabilityWarning before the run
        r = minimize("x**2 + y**2", [3.0, 1.0], optimizer=gd(1.5))
    assert r.verdict is Verdict.DIVERGED and not r.success


def test_precision_limit_counts_as_converged():
    # A huge constant hides the last digits of f: the line search stops on rounding, with a
    # gradient far above gtol but at the precision limit sqrt(200 eps |f| L).
    r = minimize("1e12 + (x - 1)**2 + (y - 2)**2", [3.0, 1.0])
    assert r.verdict is Verdict.CONVERGED
    assert np.allclose(r.x, [1.0, 2.0], atol=1e-2)


def test_oscillation_measure():
    xs = [[(-1.0) ** k, 0.0] for k in range(20)]
    assert oscillation(xs) == pytest.approx(-1.0)
    shrinking = [[(-0.5) ** k, 0.0] for k in range(20)]
    assert oscillation(shrinking) is None


# ---- the CLI: exit codes and JSON -----------------------------------------------------------

@pytest.mark.parametrize(
    ("argv", "verdict", "code"),
    [
        (["minimize", "(x**2 - 1)**2 + y**2", "--start", "0,1", "--method", "gd"],
         "not_a_minimum", 0),
        (["minimize", "x**2 + x*y + y**2", "--start", "3,1", "--lr", "cosine:0.05,20"], "stalled", 0),
        (["minimize", "x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.6666666666666666",
          "--max-iter", "500"], "oscillating", 3),
        (["minimize", "x - y**2", "--start", "0,1"], "unbounded_below", 3),
        (["minimize", "x**2 + y**2", "--start", "3,1", "--lr", "0.01", "--max-iter", "5"],
         "budget_spent", 0),
        (["minimize", "(1 - x)**2 + 100*(y - x**2)**2", "--start", "-1.2,1"], "converged", 0),
    ],
)
def test_cli_verdicts(capsys, argv, verdict, code):
    assert main([*argv, "--json"]) == code
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == verdict
    assert data["success"] is (verdict == "converged")


def test_cli_never_says_minimum_for_a_saddle(capsys):
    assert main(["minimize", "(x**2 - 1)**2 + y**2", "--start", "0,1", "--method", "gd"]) == 0
    captured = capsys.readouterr()
    assert "minimum near" not in captured.out
    assert "saddle" in captured.out and "warning" in captured.err


def test_cli_speaks_in_flags(capsys):
    # The library says max_iter and learning_rate='auto'; the CLI says --max-iter and --lr auto.
    code = main(["minimize", "x**2 + y**2", "--start", "3,1", "--lr", "0.01", "--max-iter", "5"])
    err = capsys.readouterr().err
    assert code == 0 and "--max-iter" in err and "--lr auto" in err
    assert "max_iter" not in err and "learning_rate" not in err


def test_a_line_search_onto_a_kink_is_not_told_to_use_a_line_search():
    """The cone's tip, where the gradient is 0/0: the run stops there, and the message names
    the kink instead of advising learning_rate='armijo', which is in use (issue 26)."""
    from descend.expr import function
    from descend.loop import minimize as run

    result = run(function("sqrt(x**2 + y**2)"), [4.0, 3.0], learning_rate="armijo", method="gd")
    assert str(result.verdict) == "diverged"
    assert "not differentiable" in result.message and "armijo" not in result.message
    assert result.info["diagnosis"]["cause"] == "not differentiable"


def test_a_line_search_stalled_at_a_domain_edge_says_why():
    from descend.expr import function
    from descend.loop import minimize as run

    with pytest.warns(Warning):
        result = run(function("sqrt(x)"), [4.0], learning_rate="armijo", method="gd")
    assert str(result.verdict) == "stalled"
    assert "not smooth there" in result.message and "'armijo'" not in result.message
