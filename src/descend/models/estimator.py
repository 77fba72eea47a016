"""``LinearRegression``: the scikit-learn estimator, a thin adapter on the engine.

This is the only module of descend that imports scikit-learn (as LightGBM's and XGBoost's
``sklearn.py`` wrap their plain training functions): the fitting, the stopping rules and the
verdicts are :class:`~descend.models.linear.LinearModel`'s; this class adds scikit-learn's
base classes (``get_params``/``set_params``, ``score``, ``clone``, the HTML diagram) and its
input validation, so it passes ``sklearn.utils.estimator_checks``.

>>> import numpy as np
>>> X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
>>> y = np.array([200000.0, 250000.0, 300000.0, 350000.0, 400000.0])
>>> model = LinearRegression().fit(X, y)
>>> round(float(model.coef_[0]), 2), round(float(model.predict([[2000.0]])[0]))
(166.67, 333333)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from descend.models.linear import Array, LinearModel

__all__ = ["LinearRegression"]


def _plain(X: Any, y: Any) -> bool:
    """``X`` a 2-D and ``y`` a 1-D float64 ndarray (exactly: no subclass, no column names), as
    many rows (>= 1) as targets, >= 1 column, every value finite -- a case ``validate_data``
    passes unchanged. The sums are finite only when every value is (a NaN or inf makes them
    NaN or inf; finite values that overflow the sum fall back to the full check)."""
    if not (type(X) is np.ndarray and type(y) is np.ndarray and X.dtype == np.float64
            and y.dtype == np.float64 and X.ndim == 2 and y.ndim == 1
            and X.shape[0] == y.shape[0] >= 1 and X.shape[1] >= 1):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()) and np.isfinite(y.sum()))


class LinearRegression(RegressorMixin, BaseEstimator, LinearModel):  # type: ignore[misc]
    __doc__ = (LinearModel.__doc__ or "").replace(
        "the engine, plain NumPy", "a scikit-learn estimator", 1)

    def _check_fitted(self) -> None:
        check_is_fitted(self, "coef_")

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[Array, Array]:
        if _plain(X, y):
            # what validate_data would return and record, at a tenth of its cost (~0.5 ms of
            # a 1e4 x 5 fit's ~5): plain float64 arrays without column names, finite
            self.n_features_in_ = X.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return X, y
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        return X, y

    def _validate_partial_data(self, X: Any, y: Any, first: bool) -> tuple[Array, Array]:
        X, y = validate_data(self, X, y, reset=first, y_numeric=True, dtype=np.float64)
        return X, y

    def _validate_predict_data(self, X: Any) -> Array:
        return validate_data(self, X, reset=False, dtype=np.float64)  # type: ignore[no-any-return]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return BaseEstimator.get_params(self, deep)  # type: ignore[no-any-return]

    def set_params(self, **params: Any) -> Any:
        return BaseEstimator.set_params(self, **params)

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        return BaseEstimator.__repr__(self, N_CHAR_MAX)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:  # Jupyter: the fit's card
        from descend.display import model_mimebundle

        return model_mimebundle(self, BaseEstimator._repr_mimebundle_(self, **kwargs))
