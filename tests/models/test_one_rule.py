"""The estimator stops by the rules of every descent (descend.loop.stopping), and a resumed fit
carries those rules' state: the same stopping step as the uninterrupted run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend import minimize
from descend.errors import ConvergenceWarning, InputError
from descend.loop.result import Status
from descend.models import LinearRegression
from descend.models._descent import DescentState, run_descent
from descend.optim import gd
from descend.scale.checkpoint import Checkpoint

# y = b + w x + noise on a centred design: f(b, w) = mean((y - b - w x)^2) has Hessian
# diag(2, 2 mean(x^2)) = diag(2, 4), so gd at rate 0.2 contracts by 0.6 and 0.2 per step.
XS = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
YS = np.array([-0.9, 1.2, 0.8, 2.3, 2.9])
LR, TOL, WINDOW = 0.2, 1e-9, 4


def _rule_stop(curve: np.ndarray, tol: float, n: int) -> int:
    """The first step k >= n whose last n steps' losses ``curve[k-n..k]`` range within
    ``tol * max|f|`` -- the tol rule as documented, applied to a loss curve."""
    for k in range(n, len(curve)):
        w = curve[k - n : k + 1]
        if w.max() - w.min() <= tol * np.abs(w).max():
            return k
    raise AssertionError("the curve never goes flat")


def _reference_curve(steps: int) -> np.ndarray:
    """gd's losses on f from the exact minimiser: f_k = f* + sum_i h_i (1 - lr h_i)^(2k) e_i^2,
    with e the start's error in the Hessian's (diagonal) eigenbasis."""
    b_star, w_star = YS.mean(), (XS @ YS) / (XS @ XS)
    f_star = float(np.mean((YS - b_star - w_star * XS) ** 2))
    h = np.array([1.0, np.mean(XS**2)])  # half the Hessian's diagonal: f = f* + sum h e^2
    e0 = np.array([0.0 - b_star, 0.0 - w_star])
    k = np.arange(steps + 1)[:, None]
    return f_star + ((1.0 - LR * 2.0 * h) ** (2 * k) * h * e0**2).sum(axis=1)


def test_the_tol_rule_stops_the_estimator_and_minimize_at_the_same_step():
    pairs = zip(XS.tolist(), YS.tolist(), strict=True)
    expr = " + ".join(f"({y!r} - b - ({x!r})*w)**2" for x, y in pairs)
    r = minimize(f"({expr}) / 5", [0.0, 0.0], variables=("b", "w"), optimizer=gd(LR),
                 gtol=0.0, tol=TOL, n_iter_no_change=WINDOW, max_iter=1000)
    with warnings.catch_warnings():  # tol = 1e-9 stops short of a small gradient: "stalled"
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LinearRegression(optimizer="gd", learning_rate=LR, scale=False, tol=TOL,
                             n_iter_no_change=WINDOW, max_iter=1000).fit(XS[:, None], YS)
    reference = _reference_curve(200)
    expected = _rule_stop(reference, TOL, WINDOW)
    # the reference's crossing is not a rounding tie (rounding moves the window's ratio by
    # ~1e-7 relative here): it passes tol by far more than that
    ratio = [np.ptp(reference[k - WINDOW : k + 1]) / reference[k - WINDOW : k + 1].max()
             for k in (expected - 1, expected)]
    assert ratio[0] > 1.1 * TOL and ratio[1] < TOL / 1.1
    assert r.status is Status.NO_PROGRESS and m.stop_reason_ == "no_progress"
    assert r.nit == m.n_iter_ == expected
    np.testing.assert_allclose(r.history.fun, reference[: expected + 1], rtol=1e-12)
    np.testing.assert_allclose(m.loss_curve_, reference[: expected + 1], rtol=1e-12)
    np.testing.assert_allclose(m.history_[:, ::-1], r.history.x[:, ::-1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "settings",
    [
        {"optimizer": "momentum", "learning_rate": 0.05},
        {"optimizer": "adam", "learning_rate": 0.05, "batch_size": 16, "random_state": 3},
    ],
    ids=["momentum", "adam-minibatch"],
)
def test_a_fit_resumed_from_its_state_stops_where_the_uninterrupted_one_does(settings):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(80, 3))
    y = X @ [1.5, -2.0, 0.5] + 3.0 + 0.1 * rng.normal(size=80)

    def model() -> LinearRegression:
        return LinearRegression(tol=1e-4, n_iter_no_change=3, max_iter=3000, **settings)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = model().fit(X, y)
        assert whole.stop_reason_ == "no_progress" and 10 < whole.n_iter_ < 3000
        k = whole.n_iter_ - 2  # the window at the break holds losses from before it

        def stop_at_k(res):
            if res.nit == k:
                raise StopIteration

        first = model().fit(X, y, callback=stop_at_k)
        assert first.stop_reason_ == "callback" and first.n_iter_ == k
        state = first.result_.info["state"]
        assert isinstance(state, DescentState) and len(state.window) == 4
        assert state.window == tuple(first.loss_curve_[-4:])  # the last 4 iterates' losses
        ck = Checkpoint(x=first.result_.info["theta"], state=state, nit=k)
        rest = model().fit(X, y, resume=ck)
        # control: the same resume without the rules' window starts the window afresh
        fresh = Checkpoint(x=ck.x, state=state._replace(window=(state.window[-1],)), nit=k)
        again = model().fit(X, y, resume=fresh)
    assert rest.stop_reason_ == whole.stop_reason_ and rest.n_iter_ == whole.n_iter_
    assert np.array_equal(np.r_[first.loss_curve_, rest.loss_curve_[1:]], whole.loss_curve_)
    assert np.array_equal(np.vstack([first.history_, rest.history_[1:]]), whole.history_)
    assert np.array_equal(rest.coef_, whole.coef_) and rest.intercept_ == whole.intercept_
    assert rest.result_.info["state"].window == whole.result_.info["state"].window
    assert again.n_iter_ > whole.n_iter_  # the carried window is what stopped it on time


def _bowl(theta):
    with np.errstate(over="ignore"):
        return float(theta @ theta), 2.0 * theta


def test_a_non_finite_step_is_not_committed_and_a_finite_blow_up_is():
    from descend.loop.stopping import Rules

    rules = Rules(max_iter=100, tol=0.0, n_iter_no_change=5)
    # rate 1e200: the first step lands at -2e200 x0 whose square overflows -> not committed
    r = run_descent(_bowl, np.array([1.0, 1.0]), gd(1e200), rules)
    assert r.status is Status.DIVERGED and r.nit == 0
    assert np.array_equal(r.x, [1.0, 1.0]) and r.info["diverged_loss"] == np.inf
    assert r.history.fun.tolist() == [2.0]
    # rate 1e6: |1 - 2e6| per step, the loss x 4e12 in one step: finite, above the ceiling
    # f0 + 1e12 max(|f0|, 1) = 2 + 2e12, so committed and the run ends diverged
    r = run_descent(_bowl, np.array([1.0, 1.0]), gd(1e6), rules)
    x1 = np.array([1.0, 1.0]) * (1.0 - 2e6)
    assert r.status is Status.DIVERGED and r.nit == 1
    assert np.array_equal(r.x, x1) and r.info["diverged_loss"] == float(x1 @ x1) == r.fun
    assert r.history.fun.tolist() == [2.0, float(x1 @ x1)]


def test_n_iter_no_change_is_validated_by_name():
    with pytest.raises(InputError, match="n_iter_no_change=0 must be a positive integer"):
        LinearRegression(n_iter_no_change=0).fit(XS[:, None], YS)
    with pytest.raises(InputError, match="n_iter_no_change=2.5"):
        LinearRegression(n_iter_no_change=2.5).fit(XS[:, None], YS)
    assert LinearRegression().get_params()["n_iter_no_change"] == 5


def test_a_start_that_is_not_finite_diverges_at_once():
    from descend.loop.stopping import Rules

    r = run_descent(lambda t: (float("inf"), t), np.array([1.0]), gd(0.1),
                    Rules(max_iter=10, tol=0.0, n_iter_no_change=2))
    assert r.status is Status.DIVERGED and r.nit == 0 and r.info["state"].window == (np.inf,)
