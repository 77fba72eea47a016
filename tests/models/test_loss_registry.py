"""One loss abstraction: value, gradient, curvature bound and name live in one registry, and
plots/reports of a fit name (and draw) the loss it minimised."""

from __future__ import annotations

import numpy as np
import pytest

from descend.models import LinearModel
from descend.models.losses import LOSS_REGISTRY, get_loss, loss_and_grad


def _numeric_grad(loss, X, y, w, b, eps, h=1e-6):
    theta = np.concatenate([[b], w])
    g = np.zeros_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        fp = loss_and_grad(loss, X, y, (theta + e)[1:], (theta + e)[0], epsilon=eps)[0]
        fm = loss_and_grad(loss, X, y, (theta - e)[1:], (theta - e)[0], epsilon=eps)[0]
        g[j] = (fp - fm) / (2 * h)
    return g


@pytest.mark.parametrize("name", ["squared_error", "huber"])
def test_gradient_is_the_derivative_of_the_value(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=40)
    w, b = np.array([0.3, 0.1, -0.2]), 0.4
    f, gw, gb = loss_and_grad(name, X, y, w, b, epsilon=0.8)
    np.testing.assert_allclose(np.concatenate([[gb], gw]), _numeric_grad(name, X, y, w, b, 0.8),
                               rtol=1e-6, atol=1e-8)


def test_values_by_hand():
    r = np.array([-3.0, 0.5, 2.0])
    assert get_loss("squared_error").value(r) == pytest.approx((9 + 0.25 + 4) / 3)
    # huber, epsilon 1: r^2 inside, epsilon (2|r| - epsilon) outside -> 5, 0.25, 3
    assert get_loss("huber").value(r, 1.0) == pytest.approx((5 + 0.25 + 3) / 3)
    assert get_loss("absolute_error").value(r) == pytest.approx(5.5 / 3)


def test_registry_metadata():
    assert set(LOSS_REGISTRY) == {"squared_error", "huber", "absolute_error"}
    assert get_loss("squared_error").curvature == 2.0 and get_loss("huber").smooth
    assert not get_loss("absolute_error").smooth
    assert [loss.code for loss in LOSS_REGISTRY.values()] == [0, 1, 2]  # the kernels' order
    with pytest.raises(Exception, match="choose one of"):
        get_loss("hinge")


def test_huber_on_an_exact_line_still_fits():
    # price = 500/3 size exactly: the least-squares residual is 0, which must not make the
    # huber threshold 0 (the loss would vanish and the fit would never move).
    X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    y = 500.0 / 3.0 * X[:, 0]
    m = LinearModel(loss="huber").fit(X, y)
    assert m.coef_[0] == pytest.approx(500.0 / 3.0, rel=1e-9) and m.verdict_ == "converged"


def test_huber_fit_is_drawn_as_huber(tmp_path):
    pytest.importorskip("matplotlib")
    from descend.data import load_table
    from descend.plot.figures import fit_figure

    table = load_table("examples/houses.csv")
    m = LinearModel(loss="huber").fit_table(table)
    fig = fit_figure(m, table)
    labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_title() for ax in fig.axes]
    assert "mean Huber loss" in labels
    assert not any("squared" in text for text in labels)


def test_callers_ask_the_registry_not_the_name():
    sq, hub, ab = (get_loss(n) for n in ("squared_error", "huber", "absolute_error"))
    assert (sq.moments_exact, hub.moments_exact, ab.moments_exact) == (True, False, False)
    assert (sq.scaled_threshold, hub.scaled_threshold, ab.scaled_threshold) == (False, True, False)
    assert (sq.reports_best, hub.reports_best, ab.reports_best) == (False, False, True)
    assert (sq.default_rate, hub.default_rate, ab.default_rate) == ("1/L", "1/L", "inverse_sqrt")


def _pinball(tau):
    """Koenker and Bassett's check loss of the residual ``r = x.w + b - y`` (``u = -r``):
    ``rho(u) = u (tau - [u < 0])``, i.e. ``(1 - tau) r`` for ``r > 0`` and ``-tau r`` else."""
    from descend.models.losses import Loss

    def h(r, epsilon):
        return np.where(r > 0, (1.0 - tau) * r, -tau * r)

    def psi(r, epsilon):
        return np.where(r > 0, 1.0 - tau, np.where(r < 0, -tau, 0.0))

    return Loss(f"pinball_{tau}", f"mean pinball loss (tau = {tau})", "pinball", h, psi,
                None, 3, reports_best=True)


def test_a_new_loss_is_one_registry_entry(monkeypatch):
    # extensibility: a quantile (pinball) loss registered from outside, nothing else changed;
    # the reference is scikit-learn's QuantileRegressor (an exact linear program, HiGHS)
    from sklearn.linear_model import QuantileRegressor

    tau = 0.8
    loss = _pinball(tau)
    monkeypatch.setitem(LOSS_REGISTRY, loss.name, loss)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    y = X @ [2.0, -1.0] + 1.0 + rng.exponential(size=300)  # skewed noise: quantiles differ
    model = LinearModel(loss=loss.name, max_iter=4000, tol=0.0).fit(X, y)
    ref = QuantileRegressor(quantile=tau, alpha=0.0, solver="highs").fit(X, y)
    r_ref = X @ ref.coef_ + ref.intercept_ - y
    best = float(np.mean(loss.h(r_ref, 0.0)))
    assert model.loss_ == pytest.approx(float(np.mean(loss.h(X @ model.coef_ + model.intercept_
                                                             - y, 0.0))), rel=1e-12)
    assert best <= model.loss_ <= best * (1 + 2e-3)  # the subgradient method gets close
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=0.05)
    below = float(np.mean(y <= X @ model.coef_ + model.intercept_))
    assert abs(below - tau) < 0.03  # the fitted plane has ~tau of the targets below it
    assert str(model.verdict_) in ("stalled", "budget_spent")  # not smooth: never "converged"
