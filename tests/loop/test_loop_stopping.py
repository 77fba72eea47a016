"""Each stopping rule fires with its own status, and the defaults stop only for good reasons."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from loop_objectives import LineFit

from descend.errors import ConvergenceWarning
from descend.loop import IntermediateResult, Status, minimize
from descend.loop.verdict import Verdict
from descend.optim import adam, gd


def test_target_loss_on_tutorial_data(line_fit):
    # Tutorial 003: stop once the loss is under a threshold.
    # Reaching a target loss is what the caller asked for, not a shown minimum: the verdict
    # says so, and success (converged) stays false.
    r = minimize(line_fit, [0.0, 0.0], optimizer=gd(1e-4), target_loss=200.0)
    assert r.status is Status.TARGET_LOSS and r.verdict is Verdict.TARGET_REACHED
    assert not r.success
    assert r.fun <= 200.0 < r.history.fun[-2]
    assert "target_loss" in r.message


def test_tutorial_run_is_not_stopped_early_by_default_rules(line_fit):
    # Tutorial 000: lr 1e-4 for 1000 iterations must run all 1000 steps.
    with pytest.warns(ConvergenceWarning, match="max_iter = 1000"):
        r = minimize(line_fit, [0.0, 0.0], optimizer=gd(1e-4), max_iter=1000)
    assert r.status is Status.MAX_ITER and r.nit == 1000 and not r.success
    assert r.fun < r.history.fun[0] / 10


def test_max_iter_warns_with_what_to_change(valley):
    with pytest.warns(ConvergenceWarning) as record:
        r = minimize(valley, [3.0, 1.0], optimizer=gd(0.01), max_iter=10)
    assert r.status is Status.MAX_ITER and r.nit == 10
    text = str(record[0].message)
    assert "max_iter" in text and "raise max_iter" in text


def test_gtol(valley):
    r = minimize(valley, [3.0, 1.0], optimizer=gd(0.1), gtol=1e-3)
    assert r.status is Status.GTOL and r.success
    assert r.history.grad_norm[-1] <= 1e-3 < r.history.grad_norm[-2]


def test_gtol_at_the_start_takes_no_step(valley):
    r = minimize(valley, [0.0, 0.0])
    assert r.status is Status.GTOL and r.nit == 0 and r.history.x.shape == (1, 2)


def test_tol_fires_on_a_stalled_run():
    # |x| has a kink at 0: fixed-step gd bounces between two points forever. The flat loss
    # stops the run (no_progress); the verdict names the bounce, not a convergence.
    r = minimize("abs(x) + abs(y)", [0.25, 0.25], optimizer=gd(0.1), gtol=0.0)
    assert r.status is Status.NO_PROGRESS and r.verdict is Verdict.OSCILLATING
    assert not r.success
    assert r.nit <= 200  # within two windows of the start of the bounce
    assert "tol" in r.message


def test_tol_does_not_fire_on_momentum_transients():
    # Adam overshoots and climbs back above its best loss for many steps on Beale; a "no new
    # best" rule would stop it there, the flat-range rule does not.
    from descend.expr.testfunctions import TEST_FUNCTIONS

    beale = TEST_FUNCTIONS["beale"]
    r = minimize(beale.objective(), beale.start, optimizer=adam(0.1))
    f = r.history.fun
    above_best = np.flatnonzero(f > np.minimum.accumulate(f) * (1 + 1e-9))
    assert len(above_best) >= 20  # the premise: many steps above the best loss so far
    assert r.status is Status.GTOL and r.nit > above_best[-1] + 20  # it went on past them
    np.testing.assert_allclose(r.x, [3.0, 0.5], atol=1e-4)  # and it went on to the minimum


def test_time_limit_with_a_slow_function():
    slow = LineFit(delay=0.01)
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        r = minimize(slow, [0.0, 0.0], optimizer=gd(1e-4), time_limit=0.1)
    assert r.status is Status.TIME_LIMIT and not r.success
    assert 1 <= r.nit < 50  # each step sleeps 0.01 s: at most ~10 fit in 0.1 s


def test_callback_receives_state_and_can_stop(valley):
    seen: list[IntermediateResult] = []

    def callback(res: IntermediateResult) -> None:
        seen.append(res)
        if res.nit == 5:
            raise StopIteration

    r = minimize(valley, [3.0, 1.0], optimizer=adam(0.1), callback=callback)
    assert r.status is Status.CALLBACK and not r.success and r.nit == 5
    assert [s.nit for s in seen] == [1, 2, 3, 4, 5]
    last = seen[-1]
    np.testing.assert_array_equal(last.x, r.x)
    assert last.fun == r.fun
    assert last.state is r.info["state"]
    assert last.state[1].count == 5  # adam's own state: resumable from the callback


def test_callback_nit_counts_from_start_iter(valley):
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        minimize(valley, [3.0, 1.0], optimizer=gd(0.1), max_iter=12, start_iter=10,  # 2 more steps
                 callback=lambda res: seen.append(res.nit))
    assert seen == [11, 12]
