"""The trust-region Newton step's rules (issue 25, second round), each against a hand
computation or an independent brute-force solve of the subproblem."""

from __future__ import annotations

import numpy as np
import pytest

from descend.expr import function
from descend.expr.testfunctions import TEST_FUNCTIONS
from descend.loop import minimize
from descend.loop.second_order._trust import MODEL_SLACK, exact_step
from descend.loop.second_order.newton import _shrink
from descend.loop.verdict import Verdict


def test_shrink_is_the_parabolas_minimiser_kept_in_a_tenth_to_a_half():
    # q(t) = 1 - 2 t + 4 t^2 passes through f = 1, slope -2 and q(1) = 3: minimum at t = 1/4
    assert _shrink(-2.0, 1.0, 3.0) == pytest.approx(0.25, abs=1e-15)
    assert _shrink(-2.0, 1.0, 100.0) == 0.1  # t* = 2/202 < 0.1: kept at a tenth
    assert _shrink(-2.0, 1.0, -0.5) == 0.5  # t* = 2/3 > 0.5: kept at a half
    assert _shrink(-2.0, 1.0, float("nan")) == 0.1
    assert _shrink(-2.0, 1.0, -1.5) == 0.1  # f fell faster than the slope: no minimum


def test_first_radius_is_the_scale_of_the_start():
    # Styblinski-Tang from (-1, -1): H = diag(-10, -10) is indefinite, so the first step goes
    # to the boundary of the first radius max(1, |x0|) = sqrt(2) (it is accepted: rho > 0.15)
    bench = TEST_FUNCTIONS["styblinski_tang"]
    r = minimize(bench.objective(), bench.start, method="newton")
    assert tuple(bench.start) == (-1.0, -1.0)
    step = np.linalg.norm(r.history.x[1] - r.history.x[0])
    assert step == pytest.approx(np.sqrt(2.0), rel=1e-12)
    assert r.verdict is Verdict.CONVERGED


def _brute_force_model_minimum(g, H, delta):
    """min of g.p + p.H.p/2 over |p| <= delta in 2-D, on a fine polar grid (independent)."""
    theta = np.linspace(0.0, 2.0 * np.pi, 200_001)
    best = 0.0
    for r in np.linspace(0.0, delta, 401)[1:]:
        P = r * np.stack([np.cos(theta), np.sin(theta)])
        m = g @ P + 0.5 * np.einsum("in,ij,jn->n", P, H, P)
        best = min(best, float(m.min()))
    return best


def test_negative_curvature_the_gradient_does_not_see_is_used():
    # f = (x^2 - 1)^2 + (y^2 - 1)^2 / 2 at (0.1, 0): g = (-0.396, 0), H = diag(-3.88, -2).
    # The exact model minimiser stays on y = 0 (the gradient has no y part), where every
    # Newton iterate would stay; the step taken turns towards y within 10 % of the optimal
    # model decrease, and the run ends at a true minimum (1, +-1), not the saddle (1, 0).
    text = "(x**2 - 1)**2 + 0.5*(y**2 - 1)**2"
    fun = function(text)
    x0 = np.array([0.1, 0.0])
    g, H = fun.grad(x0), fun.hessian(x0)
    np.testing.assert_allclose(g, [4 * 0.1 * (0.01 - 1), 0.0], atol=1e-15)
    np.testing.assert_allclose(H, np.diag([12 * 0.01 - 4, -2.0]), atol=1e-15)
    step = exact_step(g, H, 1.0)
    best = _brute_force_model_minimum(g, H, 1.0)
    assert abs(step.p[1]) > 0.1 and np.linalg.norm(step.p) == pytest.approx(1.0, rel=1e-12)
    assert step.predicted >= (1.0 - MODEL_SLACK) * -best - 1e-9
    assert step.predicted < -best  # it did give up some model decrease: not the optimum
    r = minimize(text, x0, method="newton")
    assert r.verdict is Verdict.CONVERGED
    np.testing.assert_allclose(np.abs(r.x), [1.0, 1.0], atol=1e-7)


def test_a_seen_or_lowest_direction_keeps_the_exact_step():
    # g has a part along every negative direction: the exact minimiser is returned unchanged
    g = np.array([-0.5, 0.3])
    H = np.diag([-3.0, -1.0])
    step = exact_step(g, H, 1.0)
    assert step.predicted == pytest.approx(-_brute_force_model_minimum(g, H, 1.0), rel=1e-6)
