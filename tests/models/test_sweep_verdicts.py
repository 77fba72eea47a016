"""A sweep's runs get the same verdicts a fit gets: converged only with a small gradient and
a small gap to the exact least-squares loss; exactly 2/L oscillates; above it diverges."""

from __future__ import annotations

import json

import numpy as np

from descend.cli.app import main
from descend.models import sweep_learning_rates

# houses.csv: price = 500/3 x size exactly; standardised, L = 2 so 2/L = 1.
X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
y = 500.0 / 3.0 * X[:, 0]


def test_each_verdict_from_a_known_case():
    res = sweep_learning_rates(X, y, [0.001, 0.1, 1.0, 1.5], max_iter=200)
    assert res.stability_limit == 1.0
    assert res.verdicts == ("budget_spent", "converged", "oscillating", "diverged")
    # the converged run is at the exact answer; the budget-spent one is not
    assert np.allclose(res.histories[1][-1], [0.0, 500.0 / 3.0], atol=1e-6)
    assert abs(res.histories[0][-1][1] - 500.0 / 3.0) > 1.0


def test_cli_json_carries_the_verdicts(capsys):
    code = main(["sweep", "examples/houses.csv", "--lr", "0.1,1,1.5", "--max-iter", "200",
                 "--json"])
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert code == 0
    assert [r["verdict"] for r in runs] == ["converged", "oscillating", "diverged"]


def test_a_fit_result_succeeds_only_when_converged():
    from descend.models import LinearModel

    good = LinearModel().fit(X, y)
    assert good.verdict_ == "converged" and good.result_.success
    osc = LinearModel(optimizer="gd", learning_rate=1.0, max_iter=50).fit(X, y)
    assert osc.verdict_ == "oscillating" and not osc.result_.success
    assert osc.result_.verdict == "oscillating"


def test_a_well_conditioned_stream_fit_rereads_no_rows():
    """kappa <= 100: the moments' answer already has >= 12 digits, so a fit whose rows cost a
    read of the data per pass (stream, Dask) makes none after the statistics pass."""
    from descend.data.stats import moment_stats
    from descend.models import LinearModel

    class NoPasses:
        anchored = True

        def __getattr__(self, name):
            def read(*args, **kwargs):
                raise AssertionError(f"a pass over the rows was made ({name})")

            return read

    rng = np.random.default_rng(5)
    Xw = rng.normal(size=(2000, 4))  # independent columns: kappa ~ 1
    yw = Xw @ [1.0, -2.0, 3.0, 0.5] + 4.0 + rng.normal(size=2000)
    m = LinearModel().fit_moments(moment_stats(Xw, yw), ("a", "b", "c", "d"), rows=NoPasses())
    ref = np.linalg.lstsq(np.c_[np.ones(2000), Xw], yw, rcond=None)[0]
    np.testing.assert_allclose(np.r_[m.intercept_, m.coef_], ref, rtol=1e-11)
    assert m.verdict_ == "converged"


def test_the_window_and_divergence_follow_the_one_rule(capsys):
    from descend.loop.verdict import ceiling

    # lr = 2/L flips the iterate between two points of equal loss: the loss range over the
    # window is 0 from the first step, so the run stops after exactly n_iter_no_change steps
    for window in (5, 12):
        res = sweep_learning_rates(X, y, [1.0], max_iter=200, n_iter_no_change=window)
        assert res.n_iter.tolist() == [window] and res.status == ("no_progress",)
        assert res.verdicts == ("oscillating",)
    code = main(["sweep", "examples/houses.csv", "--lr", "1", "--n-iter-no-change", "12",
                 "--json"])
    # its one run oscillates: every run failed, so the sweep exits 3 (issue 24, finding 15)
    assert code == 3 and json.loads(capsys.readouterr().out)["runs"][0]["n_iter"] == 12
    # a step to a finite loss above the ceiling is committed (and counted); a step whose loss
    # overflows is not: that run keeps its start, 0 steps taken
    res = sweep_learning_rates(X, y, [1.5, 1e200], max_iter=200)
    assert res.status == ("diverged", "diverged") and res.verdicts == ("diverged", "diverged")
    curve = res.loss_curves[0]
    assert len(curve) == res.n_iter[0] + 1 == len(res.histories[0])
    assert curve[-1] > ceiling(curve[0]) and (curve[:-1] <= ceiling(curve[0])).all()
    assert res.n_iter[1] == 0 and len(res.loss_curves[1]) == 1
    np.testing.assert_array_equal(res.histories[1], [[0.0, 0.0]])
    assert np.isfinite(res.final_loss).all()
