"""Divergence is detected, diagnosed and never returned as nan; unstable rates warn first."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from descend.errors import StabilityWarning
from descend.expr import function
from descend.loop import Status, minimize
from descend.optim import adam, gd, momentum


def test_valley_with_lr_0_7_diverges_with_a_diagnosis(valley):
    with pytest.warns(StabilityWarning):
        r = minimize(valley, [3.0, 1.0], optimizer=gd(0.7))
    assert r.status is Status.DIVERGED and not r.success
    assert np.all(np.isfinite(r.x)) and math.isfinite(r.fun)
    assert np.all(np.isfinite(r.history.x)) and np.all(np.isfinite(r.history.fun))
    assert "0.7" in r.message and "0.667" in r.message and "auto" in r.message
    assert r.info["diagnosis"]["limit"] == pytest.approx(2.0 / 3.0)
    assert r.nit < 200  # caught early, not after overflowing


def test_stability_warning_comes_before_the_run(valley):
    calls = []

    def callback(res):
        calls.append(res.nit)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        minimize(valley, [3.0, 1.0], optimizer=gd(0.7), callback=callback)
    stability = [w for w in record if issubclass(w.category, StabilityWarning)]
    assert len(stability) == 1
    text = str(stability[0].message)
    assert "0.7" in text and "2/L = 0.667" in text and "auto" in text
    assert stability[0].filename == __file__  # points at the caller
    assert calls  # the run still happened: the warning is advice, not refusal


def test_no_stability_warning_below_the_limit_or_without_a_global_bound(valley):
    with warnings.catch_warnings():
        warnings.simplefilter("error", StabilityWarning)
        minimize(valley, [3.0, 1.0], optimizer=gd(0.6))
        minimize(valley, [3.0, 1.0], optimizer=momentum(0.1, 0.9))  # limit 2*1.9/3 = 1.27
        minimize("x**4 + y**2", [0.5, 0.5], optimizer=gd(0.9), max_iter=50, gtol=1e-3)


def test_momentum_limit_uses_its_own_formula(valley):
    with pytest.warns(StabilityWarning, match=r"2\(1 \+ momentum\)/L = 1.27"):
        r = minimize(valley, [3.0, 1.0], optimizer=momentum(1.3, 0.9))
    assert r.status is Status.DIVERGED


def test_non_finite_values_are_divergence():
    # exp overflows to inf: the last finite iterate is returned.
    r = minimize("exp(x**2) + y**2", [2.0, 1.0], optimizer=gd(0.5))
    assert r.status is Status.DIVERGED
    assert np.all(np.isfinite(r.x)) and math.isfinite(r.fun)
    assert np.all(np.isfinite(r.history.fun))
    assert "x = (" in r.message  # names where it blew up


def test_diagnosis_uses_the_local_curvature_without_a_bound():
    r = minimize("x**4 + y**2", [3.0, 1.0], optimizer=gd(0.1))
    assert r.status is Status.DIVERGED
    assert "2/L = 0.0185" in r.message  # L = 12 x^2 = 108 at the start, where it began to grow


def test_unbounded_below_is_named():
    r = minimize("-x**2 - y**2", [1.0, 1.0], optimizer=gd(0.1), max_iter=100_000)
    assert r.status is Status.DIVERGED and "unbounded below" in r.message
    assert math.isfinite(r.fun) and np.all(np.isfinite(r.history.fun))


def test_arithmetic_errors_in_a_callable_are_divergence():
    # math.exp raises OverflowError instead of returning inf: still a clean DIVERGED result.
    r = minimize(lambda p: -math.exp(p[0] ** 2), [1.0], optimizer=gd(0.1))
    assert r.status is Status.DIVERGED and math.isfinite(r.fun)


def test_adam_overshoot_is_not_divergence():
    rosen = function("(1 - x)**2 + 100*(y - x**2)**2")
    r = minimize(rosen, [-1.2, 1.0], optimizer=adam(0.05), max_iter=20_000)
    assert r.status is not Status.DIVERGED
    assert np.any(np.diff(r.history.fun) > 0)  # the loss rose on the way...
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-4)  # ...and still converged


def test_adaptive_divergence_suggests_a_smaller_rate():
    # From x = 1 (not 0, where the gradient is zero and the run stops before any step), Adam's
    # first step is about lr = 1000 long: exp(999) overflows.
    r = minimize("exp(x) + exp(-x)", [1.0], optimizer=adam(1e3), max_iter=100)
    assert r.status is Status.DIVERGED and not r.success
    assert "adam" in r.message and "smaller learning rate" in r.message
    assert np.isfinite(r.fun) and r.x.tolist() == [1.0]  # the last finite point: the start
    # the same function and start at a modest rate converge to the minimum at 0: the rate
    # was the cause
    ok = minimize("exp(x) + exp(-x)", [1.0], optimizer=adam(0.1), max_iter=2000)
    assert ok.status is Status.GTOL and abs(float(ok.x[0])) < 1e-6
