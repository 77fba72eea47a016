"""The stopping rules of every descent (descend.loop.stopping), on hand-made loss sequences
whose stopping step is known in advance, and through minimize on problems solved by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from descend import minimize
from descend.errors import InputError
from descend.loop.result import Status
from descend.loop.stopping import BatchWatch, Rules, Watch
from descend.loop.verdict import ceiling, floor


def _first_stop(watch, fs, gns=None):
    """(step number, status) of the first rule that fires on the sequence ``fs``."""
    gns = gns or [1.0] * len(fs)
    for k, (f, gn) in enumerate(zip(fs, gns, strict=True), start=1):
        status = watch.step(f, gn)
        if status is not None:
            return k, status
    return None, None


def test_flat_window_fires_after_exactly_n_steps_of_a_constant_loss():
    rules = Rules(max_iter=100, tol=1e-12, n_iter_no_change=4)
    # 5.0 then constant 2.0: the window [f_{k-4} .. f_k] is all 2.0 first at step 5
    assert _first_stop(Watch(rules, 5.0, 1.0), [2.0] * 10) == (5, Status.NO_PROGRESS)


def test_the_range_is_relative_to_the_largest_loss_in_the_window():
    # losses 1000 + 1e-9 k: over 3 steps the range is 3e-9 = 3e-12 relative
    fs = [1000.0 - 1e-9 * k for k in range(1, 20)]
    assert _first_stop(Watch(Rules(100, 4e-12, 3), 1000.0, 1.0), fs) == (3, Status.NO_PROGRESS)
    assert _first_stop(Watch(Rules(100, 2e-12, 3), 1000.0, 1.0), fs) == (None, None)


def test_a_loss_that_climbs_back_is_not_flat_though_it_sets_no_new_best():
    # momentum-like: up and down by 1e-6 relative forever; no new best after step 2, but the
    # range never falls below tol, so the rule never fires ("a range, not no-new-best")
    fs = [1.0 + (1e-6 if k % 2 else 0.0) for k in range(200)]
    assert _first_stop(Watch(Rules(1000, 1e-10, 5), 1.0, 1.0), fs) == (None, None)


def test_a_slow_steady_fall_is_not_flat():
    fs = [1.0 - 1e-9 * k for k in range(1, 500)]  # 1e-9 per step > tol * |f| = 1e-10
    assert _first_stop(Watch(Rules(1000, 1e-10, 1), 1.0, 1.0), fs) == (None, None)
    # with a 20-step window the range is 2e-8 > 1e-10 * 1 as well
    assert _first_stop(Watch(Rules(1000, 1e-10, 20), 1.0, 1.0), fs) == (None, None)


def test_rules_in_order_divergence_first_then_gtol_then_target():
    r = Rules(100, 0.0, 1, gtol=1e-3, target_loss=0.5)
    assert Watch(r, 1.0, 1.0).step(0.4, 1e-4) is Status.GTOL  # both hold: gtol is checked first
    assert Watch(r, 1.0, 1.0).step(0.4, 1.0) is Status.TARGET_LOSS
    w = Watch(r, 1.0, 1.0)
    assert w.step(ceiling(1.0) * 2, 1e-9) is Status.DIVERGED and w.finite_step
    w = Watch(r, 1.0, 1.0)
    assert w.step(math.nan, 1.0) is Status.DIVERGED and not w.finite_step
    w = Watch(r, 1.0, 1.0)
    assert w.step(1.0, math.inf) is Status.DIVERGED and not w.finite_step
    w = Watch(r, 1.0, 1.0)
    assert w.step(floor(1.0) * 2, 1.0) is Status.DIVERGED and w.unbounded and w.finite_step
    w = Watch(r, 1.0, 1.0)
    assert w.step(-math.inf, 1.0) is Status.DIVERGED and w.unbounded and not w.finite_step


def test_the_start_may_already_meet_a_rule():
    assert Watch(Rules(10, 0.0, 1, gtol=1e-6), 3.0, 0.0).start(3.0, 0.0) is Status.GTOL
    r = Rules(10, 0.0, 1, target_loss=5.0)
    assert Watch(r, 3.0, 1.0).start(3.0, 1.0) is Status.TARGET_LOSS
    assert Watch(Rules(10, 0.0, 1), 3.0, 1.0).start(3.0, 1.0) is None


def test_gradient_floor_rule_stops_when_the_gradient_fails_to_halve():
    w = Watch(Rules(100, 0.0, 5, gradient_floor=True), 1.0, 1.0)
    assert _first_stop(w, [0.5, 0.4, 0.39], [0.4, 0.1, 0.06]) == (3, Status.NO_PROGRESS)


def test_a_resumed_watch_stops_where_the_uninterrupted_one_does():
    rules = Rules(max_iter=1000, tol=1e-9, n_iter_no_change=7)
    fs = [1.0 + 2.0 ** -k for k in range(1, 100)]
    whole = _first_stop(Watch(rules, 2.0, 1.0), fs)
    first = Watch(rules, 2.0, 1.0)
    assert _first_stop(first, fs[:20]) == (None, None)
    again = Watch(rules, 0.0, 0.0, state=first.snapshot())  # f, gn ignored with a state
    k, status = _first_stop(again, fs[20:])
    assert (k + 20, status) == whole and whole[1] is Status.NO_PROGRESS


def test_batch_watch_stops_each_run_as_a_single_watch_would():
    rules = Rules(max_iter=1000, tol=1e-9, n_iter_no_change=3, gtol=1e-8)
    rng = np.random.default_rng(0)
    seqs = [np.r_[np.cumsum(-rng.random(30)) + 100.0, np.full(30, 70.0)],  # then flat
            np.geomspace(1.0, 1e20, 60),  # grows past the ceiling
            np.r_[1.0, np.full(59, np.nan)]]  # not finite at step 2
    alone = [_first_stop(Watch(rules, 101.0, 1.0), list(s)) for s in seqs]
    batch = BatchWatch(rules, np.full(3, 101.0), np.ones(3))
    for k in range(60):
        if batch.step(np.array([s[k] for s in seqs]), np.ones(3)) is not None:
            break
    assert batch.finish(Status.MAX_ITER) == [a[1] for a in alone]
    # a run's nit counts committed steps: a non-finite step is not one
    assert batch.nit.tolist() == [alone[0][0], alone[1][0], alone[2][0] - 1]
    assert batch.blown.tolist() == [False, False, True]


@pytest.mark.parametrize("bad, fix", [
    ({"max_iter": -1}, "max_iter"), ({"tol": -1e-3}, "tol"), ({"n_iter_no_change": 0},
    "n_iter_no_change"), ({"gtol": math.nan}, "gtol"), ({"time_limit": 0}, "time_limit"),
    ({"tol": "small"}, "tol"),
])
def test_rules_refuse_bad_settings_by_name(bad, fix):
    settings = {"max_iter": 10, "tol": 1e-9, "n_iter_no_change": 5, **bad}
    with pytest.raises(InputError, match=fix):
        Rules(**settings)


def test_minimize_at_exactly_two_over_L_stops_by_the_flat_window_at_its_length():
    # gd with lr = 1 on x^2 + 1 (L = 2): x flips between 3 and -3, f stays 10 exactly, so the
    # window of n_iter_no_change steps is flat after exactly n_iter_no_change steps
    for window in (1, 7, 100):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = minimize("x**2 + 1", [3.0], optimizer="gd", learning_rate=1.0,
                         n_iter_no_change=window)
        assert (r.status, r.nit) == (Status.NO_PROGRESS, window)
        assert str(r.verdict) == "oscillating"
        assert abs(r.x[0]) == 3.0


class _InterruptAfterRecord(Watch):
    """A Watch whose ``step`` is interrupted (Ctrl-C) right after it recorded step ``at``."""

    at = 4

    def step(self, f, gn):
        status = super().step(f, gn)
        if self.recorded == self.at:
            raise KeyboardInterrupt
        return status


def test_an_interrupt_between_the_record_and_the_commit_leaves_the_committed_window():
    from descend.loop.driver import drive

    losses = [10.0, 9.0, 8.5, 8.2, 8.1, 8.05, 8.04]

    def step(x, f, g, state, k):
        return x + 1.0, losses[k + 1], g, 1.0, state, 0.1, 1

    watch = _InterruptAfterRecord(Rules(max_iter=100, tol=0.0, n_iter_no_change=3), 10.0, 1.0)
    run = drive(step, 0.0, 10.0, 0.0, 1.0, None, watch, max_iter=100)
    # steps 1-3 committed; step 4 recorded by the watch, then interrupted before the commit
    assert (run.status, run.nit, run.x, run.f) == (Status.INTERRUPTED, 3, 3.0, 8.2)
    assert watch.snapshot().window == (10.0, 9.0, 8.5, 8.2)  # 10.0, pushed out, is back
    assert run.rows.fun.tolist() == losses[:4]
