"""The engine's entry points check the settings once and still refuse bad ones, and a start at
``(0, 0)`` (no re-anchoring: the whitening is anchored there already) fits exactly as a start
given explicitly; the fit's facts stay those of the exact answer."""

from __future__ import annotations

import numpy as np
import pytest

from descend.data.stats import moment_stats
from descend.errors import InputError
from descend.models import LinearRegression
from descend.models.fit import fit_linear, fit_moments, fit_rows
from descend.models.spec import FitSpec


def _data(n: int = 60, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(-50, 50, (n, d)).astype(float)
    y = 7.0 + X @ np.arange(1.0, d + 1.0) + rng.integers(-3, 4, n)
    return X, y


@pytest.mark.parametrize("bad", [{"alpha": -1.0}, {"tol": float("nan")}, {"max_iter": -2},
                                 {"loss": "hinge"}])
def test_every_entry_point_refuses_a_bad_setting(bad):
    X, y = _data()
    spec = FitSpec(**bad)
    stats = moment_stats(X, y)
    names = ("a", "b", "c")
    with pytest.raises(InputError):
        fit_linear(X, y, spec)
    with pytest.raises(InputError):
        fit_moments(stats, names, spec)

    class _NoRows:  # never read: the spec is refused first
        def full(self, w, b):  # pragma: no cover
            raise AssertionError("read before the settings were checked")

    with pytest.raises(InputError):
        fit_rows(stats, names, _NoRows(), spec)


def test_a_zero_start_given_or_not_is_the_same_fit_and_the_exact_answer():
    X, y = _data()
    plain = LinearRegression().fit(X, y)
    given = LinearRegression(init=[0.0] * 4).fit(X, y)
    assert plain.coef_.tobytes() == given.coef_.tobytes() and plain.intercept_ == given.intercept_
    assert plain.loss_curve_.tobytes() == given.loss_curve_.tobytes()
    assert str(plain.verdict_) == str(given.verdict_) == "converged"
    # the least-squares answer of this well-conditioned integer design (its normal equations)
    A = np.c_[np.ones(len(X)), X]
    exact = np.linalg.solve(A.T @ A, A.T @ y)
    np.testing.assert_allclose(np.r_[plain.intercept_, plain.coef_], exact, rtol=1e-13)


def test_a_start_away_from_zero_is_anchored_there_and_lands_on_the_same_answer():
    X, y = _data(seed=3)
    plain = LinearRegression().fit(X, y)
    for init in ([1.0, 2.0, -3.0, 0.5], [-0.0, 0.0, -0.0, 0.0]):
        warm = LinearRegression(init=init).fit(X, y)
        np.testing.assert_allclose(warm.coef_, plain.coef_, rtol=1e-13)
        assert abs(warm.intercept_ - plain.intercept_) <= 1e-12 * abs(plain.intercept_)
        assert str(warm.verdict_) == "converged"
