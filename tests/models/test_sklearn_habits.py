"""scikit-learn habits: sample_weight, warm_start, partial_fit, verbose, feature names, moments
in model files. Every figure is checked against an independent reference: scikit-learn's
own estimators, repeated rows, closed forms, statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend import LinearRegression
from descend.data.stats import weighted_moment_stats
from descend.errors import InputError
from descend.models.linear import LinearModel


def _data(n=300, d=3, seed=0, noise=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.linspace(1.0, 5.0, d) + np.arange(d)
    y = X @ np.arange(1.0, d + 1) + 4.0 + noise * rng.normal(size=n)
    return X, y, rng


# ---------------------------------------------------------------- sample_weight

@pytest.mark.parametrize("cls", [LinearModel, LinearRegression])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_squared_loss_matches_sklearn(cls, fit_intercept):
    from sklearn.linear_model import LinearRegression as SkLR

    X, y, rng = _data()
    sw = rng.uniform(0.0, 3.0, size=X.shape[0])
    ref = SkLR(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    m = cls(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-11, atol=1e-12)
    assert m.intercept_ == pytest.approx(ref.intercept_, abs=1e-10)
    # the loss reported is the weighted mean squared error
    r = y - X @ ref.coef_ - ref.intercept_
    assert m.loss_ == pytest.approx(float(sw @ r**2) / sw.sum(), rel=1e-10)


@pytest.mark.parametrize("alpha", [0.1, 3.0])
def test_weighted_ridge_matches_sklearn(alpha):
    from sklearn.linear_model import Ridge

    X, y, rng = _data(seed=1)
    sw = rng.uniform(0.5, 2.0, size=X.shape[0])
    # descend's alpha penalises the weighted *mean* loss: Ridge's alpha is alpha * sum(w)
    ref = Ridge(alpha=alpha * sw.sum()).fit(X, y, sample_weight=sw)
    m = LinearModel(alpha=alpha).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-10)
    assert m.intercept_ == pytest.approx(ref.intercept_, abs=1e-9)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"optimizer": "gd", "max_iter": 20000, "tol": 0.0, "gtol": 1e-10},
        {"loss": "huber", "max_iter": 3000},
        {"loss": "absolute_error", "max_iter": 4000},
        {"batch_size": 10_000},  # one batch: the mini-batch path, full batch
    ],
)
def test_integer_weights_equal_repeated_rows(params):
    X, y, rng = _data(n=120, seed=2)
    sw = rng.integers(0, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = LinearModel(**params).fit(X, y, sample_weight=sw)
        b = LinearModel(**params).fit(X[rep], y[rep])
    tol = 1e-6 if params.get("loss") == "absolute_error" else 1e-9
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=tol, atol=tol)
    assert a.intercept_ == pytest.approx(b.intercept_, rel=tol, abs=tol)
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)


def test_weighted_minibatch_reaches_weighted_least_squares():
    from sklearn.linear_model import LinearRegression as SkLR

    X, y, rng = _data(n=400, seed=3)
    sw = rng.uniform(0.2, 2.0, size=X.shape[0])
    ref = SkLR().fit(X, y, sample_weight=sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LinearModel(batch_size=400, max_iter=5000, random_state=0).fit(
            X, y, sample_weight=sw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-5)


def test_weighted_moments_by_hand():
    X, y, rng = _data(n=50, d=2, seed=4)
    sw = rng.uniform(0.0, 2.0, size=50)
    st = weighted_moment_stats(X, y, sw)
    W = sw.sum()
    mx = (sw[:, None] * X).sum(0) / W
    my = float(sw @ y) / W
    Xc, yc = X - mx, y - my
    np.testing.assert_allclose(st.mean_x, mx, rtol=1e-13)
    assert st.mean_y == pytest.approx(my, rel=1e-13)
    np.testing.assert_allclose(st.cxx * W / 50, (Xc * sw[:, None]).T @ Xc, rtol=1e-12)
    np.testing.assert_allclose(st.cxy * W / 50, (Xc * sw[:, None]).T @ yc, rtol=1e-12)
    # merging weighted chunks is the weighted statistics of the whole
    parts = np.split(np.arange(50), [7, 30])
    acc = weighted_moment_stats(X[parts[0]], y[parts[0]], sw[parts[0]])
    for p in parts[1:]:
        acc = acc.merge(weighted_moment_stats(X[p], y[p], sw[p]))
    np.testing.assert_allclose(acc.cxx, st.cxx, rtol=1e-12)
    np.testing.assert_allclose(acc.cxy, st.cxy, rtol=1e-12)
    assert acc.cyy == pytest.approx(st.cyy, rel=1e-12)
    assert acc.sum_w == pytest.approx(W, rel=1e-14)


def test_unit_weights_are_the_unweighted_fit():
    X, y, _ = _data(seed=5)
    a = LinearModel().fit(X, y, sample_weight=np.ones(len(y)))
    b = LinearModel().fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize(
    ("sw", "words"),
    [
        (np.ones(5), "one weight per row"),
        (np.r_[np.ones(9), np.nan], "finite"),
        (np.r_[np.ones(9), -1.0], ">= 0"),
        (np.zeros(10), "zero for every row"),
        (["a"] * 10, "numbers"),
    ],
)
@pytest.mark.parametrize("cls", [LinearModel, LinearRegression])
def test_bad_sample_weight_is_a_clear_error(cls, sw, words):
    X, y, _ = _data(n=10)
    with pytest.raises(InputError, match=words):
        cls().fit(X, y, sample_weight=sw)
