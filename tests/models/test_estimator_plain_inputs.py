"""``LinearRegression``'s shortcut past ``validate_data`` for plain float64 arrays: the same
fitted attributes, the same refusals (scikit-learn's own checks run for everything else)."""

from __future__ import annotations

import numpy as np
import pytest

from descend.models import LinearRegression
from descend.models import estimator as est


def _xy(n=50, d=3):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    return X, X @ np.arange(1.0, d + 1) + 0.5


def test_plain_arrays_take_the_shortcut_and_fit_as_validated_ones(monkeypatch):
    X, y = _xy()
    assert est._plain(X, y)
    fast = LinearRegression().fit(X, y)
    monkeypatch.setattr(est, "_plain", lambda X, y: False)  # every input through validate_data
    slow = LinearRegression().fit(X, y)
    assert fast.n_features_in_ == slow.n_features_in_ == 3
    np.testing.assert_array_equal(fast.coef_, slow.coef_)
    assert fast.intercept_ == slow.intercept_


def test_a_refit_on_plain_arrays_forgets_the_column_names():
    pd = pytest.importorskip("pandas")
    X, y = _xy()
    m = LinearRegression().fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    assert list(m.feature_names_in_) == ["a", "b", "c"]
    m.fit(X, y)
    assert not hasattr(m, "feature_names_in_") and m.n_features_in_ == 3


@pytest.mark.parametrize(
    "case", ["nan_X", "inf_y", "int_X", "float32_X", "2d_y", "no_rows", "rows_differ", "huge"])
def test_anything_else_goes_to_validate_data(case):
    X, y = _xy()
    if case == "nan_X":
        X[3, 1] = np.nan
    elif case == "inf_y":
        y[0] = np.inf
    elif case == "int_X":
        X = X.astype(np.int64)
    elif case == "float32_X":
        X = X.astype(np.float32)
    elif case == "2d_y":
        y = y[:, None]
    elif case == "no_rows":
        X, y = X[:0], y[:0]
    elif case == "rows_differ":
        y = y[:-1]
    else:  # finite values whose sum overflows: the full check decides (they are finite)
        X[:2, 0] = 1.5e308
    assert not est._plain(X, y)
    if case in ("nan_X", "inf_y", "no_rows", "rows_differ"):
        with pytest.raises(ValueError):
            LinearRegression().fit(X, y)
