"""LinearRegression against independent references: the tutorial's own loop, lstsq, sklearn."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import HuberRegressor, QuantileRegressor, Ridge
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from descend.errors import ConvergenceWarning, InputError, StabilityWarning
from descend.models import DivergenceWarning, LinearRegression
from descend.models.losses import loss_and_grad

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "data.csv"  # the tutorials' data, in the repository
SIZES = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
PRICES = np.array([200000.0, 250000.0, 300000.0, 350000.0, 400000.0])


# ---------------------------------------------------------------- the tutorial, translated


def compute_error_for_line_given_points(b, m, points):
    total = 0
    for i in range(0, len(points)):
        x = points[i, 0]
        y = points[i, 1]
        total += (y - (m * x + b)) ** 2
    return total / float(len(points))


def step_gradient(b_current, m_current, points, learning_rate):
    b_gradient = 0
    m_gradient = 0
    N = float(len(points))
    for i in range(0, len(points)):
        x = points[i, 0]
        y = points[i, 1]
        b_gradient += -(2 / N) * (y - ((m_current * x) + b_current))
        m_gradient += -(2 / N) * x * (y - ((m_current * x) + b_current))
    return [b_current - learning_rate * b_gradient, m_current - learning_rate * m_gradient]


def tutorial_run(points, b, m, learning_rate, num_iterations):
    path = [(b, m)]
    for _ in range(num_iterations):
        b, m = step_gradient(b, m, points, learning_rate)
        path.append((b, m))
    return np.array(path)


@pytest.fixture(scope="module")
def points():
    return np.genfromtxt(SEEDS, delimiter=",")


def test_tutorial_numbers_exactly(points):
    with pytest.warns(ConvergenceWarning, match="max_iter=1000"):
        model = LinearRegression(learning_rate=0.0001, max_iter=1000, scale=False)
        model.fit(points[:, :1], points[:, 1])
    ref = tutorial_run(points, 0, 0, 0.0001, 1000)
    # the numbers printed by the tutorial
    assert model.initial_loss_ == pytest.approx(5565.107834483211, rel=1e-13)
    assert model.intercept_ == pytest.approx(0.08893651993741346, rel=1e-11)
    assert model.coef_[0] == pytest.approx(1.4777440851894448, rel=1e-12)
    assert model.loss_ == pytest.approx(112.61481011613473, rel=1e-12)
    # and the tutorial's own loop, iterate by iterate
    assert model.n_iter_ == 1000 and model.stop_reason_ == "max_iter"
    np.testing.assert_allclose(model.history_, ref, rtol=1e-12, atol=1e-14)
    assert compute_error_for_line_given_points(*ref[-1], points) == pytest.approx(model.loss_)


def test_stats_step_equals_per_row_step_on_small_data():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + 4.0 + rng.normal(size=40)
    lr = 0.01
    model = LinearRegression(learning_rate=lr, max_iter=200, scale=False, tol=0).fit(X, y)
    b, w = 0.0, np.zeros(3)
    path = [np.concatenate([[b], w])]
    for _ in range(200):
        _, gw, gb = loss_and_grad("squared_error", X, y, w, b)
        b, w = b - lr * gb, w - lr * gw
        path.append(np.concatenate([[b], w]))
    np.testing.assert_allclose(model.history_, np.array(path), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- accuracy against oracles


def ols(X, y):
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    return np.linalg.lstsq(A, y, rcond=None)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_reaches_least_squares_to_six_digits(seed):
    rng = np.random.default_rng(seed)
    n, d = 500, 6
    scales = 10.0 ** rng.uniform(-2, 4, d)
    X = rng.normal(size=(n, d)) * scales + rng.normal(0, 5, d) * scales
    w_true = rng.normal(size=d) / scales
    y = X @ w_true + 3.0 + 0.1 * rng.normal(size=n)
    model = LinearRegression().fit(X, y)
    ref = ols(X, y)
    np.testing.assert_allclose(model.intercept_, ref[0], rtol=1e-6)
    np.testing.assert_allclose(model.coef_, ref[1:], rtol=1e-6)
    sk = SkLinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-6)
    assert model.optimality_gap_ <= 1e-9 * model.optimal_loss_
    assert model.stop_reason_ == "no_progress"


def test_house_example_default():
    model = LinearRegression().fit(SIZES, PRICES)
    assert model.coef_[0] == pytest.approx(500 / 3, rel=1e-12)
    assert abs(model.intercept_) < 1e-6
    assert model.predict([[2000.0]])[0] == pytest.approx(1e6 / 3, rel=1e-12)
    assert round(float(model.predict([[2000.0]])[0])) == 333333


def test_momentum_is_warned_at_its_own_stability_limit():
    """The warning before a fit comes from the optimizer's own limit (heavy ball:
    2(1 + momentum)/L, Polyak 1964), not from gradient descent's 2/L. Standardised houses
    have L = 2 (identity Hessian of the centred, scaled problem), so the limit at momentum
    0.5 is 2 * 1.5 / 2 = 1.5: a rate of 1.2 is stable (above 2/L = 1), 1.6 is not."""
    from descend.optim import momentum

    with warnings.catch_warnings():
        warnings.simplefilter("error", StabilityWarning)
        LinearRegression(optimizer=momentum(momentum=0.5), learning_rate=1.2,
                         max_iter=50).fit(SIZES, PRICES)
    with pytest.warns(StabilityWarning, match=r"2\(1 \+ momentum\)/L = 1\.5\b"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = LinearRegression(optimizer=momentum(momentum=0.5), learning_rate=1.6,
                                 max_iter=50).fit(SIZES, PRICES)
    # its verdict is judged at the same limit: not "budget spent" but a run that cannot settle
    assert str(m.verdict_) in ("oscillating", "diverged") and not m.result_.success
    assert "stability limit 2(1 + momentum)/L = 1.5" in m.message_  # not gd's 2/L = 1


def test_house_example_diverges_with_the_tutorial_rate():
    with pytest.warns(StabilityWarning, match=r"above the stability limit 2/L = 2\.92e-07"):
        with pytest.warns(DivergenceWarning, match=r"'x' ~ 1\.85e\+03"):
            model = LinearRegression(learning_rate=0.0001, scale=False).fit(SIZES, PRICES)
    assert model.stop_reason_ == "diverged"
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_)
    assert np.isfinite(model.loss_curve_).all()
    assert model.stability_limit_ == pytest.approx(
        2 / (2 * np.linalg.eigvalsh(np.array([[1, 1800], [1800, np.mean(SIZES[:, 0] ** 2)]]))[-1])
    )
    assert "scale=True" in model.message_


def test_tutorial_001_tests():
    X = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([3.0, 5.0, 7.0, 9.0, 11.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LinearRegression(learning_rate=0.01, max_iter=1000, scale=False).fit(X, y)
    assert abs(m.coef_[0] - 2.0) < 0.1 and abs(m.intercept_ - 1.0) < 0.1
    m = LinearRegression().fit(X, y)
    assert m.coef_[0] == pytest.approx(2.0, rel=1e-9) and m.intercept_ == pytest.approx(1.0)
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    y = np.array([2.0, 4.0, 6.0, 8.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LinearRegression(learning_rate=0.01, max_iter=100, scale=False).fit(X, y)
    assert m.loss_curve_[-1] < m.loss_curve_[0]


def test_ridge_penalty_matches_sklearn_ridge():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4)) * [1, 10, 100, 0.1]
    y = X @ [1, 0.2, 0.03, 5] + rng.normal(size=200)
    alpha = 0.05
    m = LinearRegression(alpha=alpha, max_iter=5000).fit(X, y)
    r = Ridge(alpha=alpha * X.shape[0]).fit(X, y)
    np.testing.assert_allclose(m.coef_, r.coef_, rtol=1e-6)
    assert m.intercept_ == pytest.approx(r.intercept_, rel=1e-6)


def test_huber_matches_sklearn_huber_regressor():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2)) * [1.0, 3.0]
    y = X @ [2.0, -1.0] + 1.0 + 0.3 * rng.normal(size=300)
    y[:15] += 20  # outliers
    sk = HuberRegressor(epsilon=1.35, alpha=0.0, max_iter=1000, tol=1e-10).fit(X, y)
    m = LinearRegression(loss="huber", huber_scale=sk.scale_, max_iter=20000).fit(X, y)
    assert m.huber_threshold_ == pytest.approx(1.35 * sk.scale_)
    np.testing.assert_allclose(m.coef_, sk.coef_, rtol=1e-4)
    assert m.intercept_ == pytest.approx(sk.intercept_, rel=1e-4)


def test_absolute_error_close_to_quantile_regressor():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 2))
    y = X @ [1.5, -0.5] + 2.0 + rng.laplace(size=200)
    sk = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(X, y)
    best = np.mean(np.abs(y - sk.predict(X)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LinearRegression(loss="absolute_error", max_iter=3000).fit(X, y)
    assert m.loss_ >= best - 1e-12
    assert m.loss_ <= best * (1 + 2e-3)
    np.testing.assert_allclose(m.coef_, sk.coef_, atol=0.05)


# ---------------------------------------------------------------- behaviour


def test_minibatch_same_seed_same_bits_and_converges():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(400, 3))
    y = X @ [1.0, 2.0, 3.0] + 0.5 + 0.01 * rng.normal(size=400)
    kw = dict(batch_size=32, random_state=7, max_iter=50, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = LinearRegression(**kw).fit(X, y)
        b = LinearRegression(**kw).fit(X, y)
        c = LinearRegression(**{**kw, "random_state": 8}).fit(X, y)
    np.testing.assert_array_equal(a.history_, b.history_)
    assert not np.array_equal(a.history_, c.history_)
    np.testing.assert_allclose(a.coef_, ols(X, y)[1:], atol=0.02)
    assert a.n_iter_ == 50 and a.history_.shape == (51, 4)


def test_init_history_and_attributes():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    y = np.array([1.0, 2.0, 3.0, 4.5])
    m = LinearRegression(optimizer="gd", init=[1.0, 2.0, 3.0], max_iter=3, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        m.fit(X, y)
    # the columns are uncorrelated, so the standardised Hessian is 2 I and one step of 1/L
    # lands on the optimum: the budget ran out (status) but convergence is shown (verdict)
    assert m.stop_reason_ == "max_iter" and m.verdict_ == "converged"
    np.testing.assert_allclose(m.history_[0], [1.0, 2.0, 3.0])
    assert m.history_.shape == (4, 3) and m.loss_curve_.shape == (4,)
    np.testing.assert_allclose(m.history_[-1], [m.intercept_, *m.coef_])
    assert m.learning_rate_ == pytest.approx(m.stability_limit_ / 2)


def test_momentum_and_adam_reach_the_optimum():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(100, 2)) * [1, 50]
    y = X @ [3.0, 0.1] + 2 + rng.normal(size=100)
    ref = ols(X, y)
    m = LinearRegression(optimizer="nesterov", max_iter=3000).fit(X, y)
    np.testing.assert_allclose(m.coef_, ref[1:], rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = LinearRegression(optimizer="adam", max_iter=3000).fit(X, y)
    np.testing.assert_allclose(a.coef_, ref[1:], rtol=1e-2)


def test_constant_and_collinear_features_warn_and_fit():
    rng = np.random.default_rng(10)
    x = rng.normal(size=50)
    X = np.column_stack([x, np.full(50, 3.0), 2 * x])
    y = 4 * x + 1
    with pytest.warns(UserWarning) as rec:
        m = LinearRegression(max_iter=5000).fit(X, y)
    text = " ".join(str(r.message) for r in rec)
    assert "'x2' are constant" in text and "collinear" in text
    assert m.coef_[1] == 0.0
    np.testing.assert_allclose(m.predict(X), y, atol=1e-8)
    # the solution nearest the start (zeros) in standardised coordinates: v1 = v3
    np.testing.assert_allclose(m.coef_[[0, 2]], [2.0, 1.0], rtol=1e-6)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"loss": "squared"}, "loss='squared'"),
        ({"learning_rate": -1.0}, "learning_rate=-1.0"),
        ({"learning_rate": "fast"}, "learning_rate='fast'"),
        ({"max_iter": 0.5}, "max_iter=0.5"),
        ({"init": [1.0]}, "init must hold 2"),
        ({"optimizer": "adamm"}, "did you mean 'adam'"),
    ],
)
def test_bad_parameters_name_themselves(kw, match):
    with pytest.raises(InputError, match=match):
        LinearRegression(**kw).fit(SIZES, PRICES)


def test_pipeline_and_grid_search():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(120, 3))
    y = X @ [1.0, -1.0, 2.0] + rng.normal(size=120)
    pipe = make_pipeline(StandardScaler(), LinearRegression())
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.8
    gs = GridSearchCV(LinearRegression(), {"alpha": [0.0, 0.1, 10.0]}, cv=3).fit(X, y)
    assert gs.best_params_["alpha"] in (0.0, 0.1)
