"""scikit-learn's own compatibility suite."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from descend.models import LinearRegression

# scikit-learn's estimator checks, ~40 per estimator (the mini-batch huber ones 3-15 s of CPU each)
pytestmark = pytest.mark.slow


@parametrize_with_checks(
    [LinearRegression(), LinearRegression(loss="huber", batch_size=8, random_state=0)]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
