"""scikit-learn's own compatibility suite."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from descend.models import LinearRegression


@parametrize_with_checks(
    [LinearRegression(), LinearRegression(loss="huber", batch_size=8, random_state=0)]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
