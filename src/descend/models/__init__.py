"""Models on data: ``LinearRegression`` (a scikit-learn estimator fit by gradient descent),
its losses, learning-rate sweeps and JSON model files."""

from descend.models._diagnose import DivergenceWarning
from descend.models.linear import LinearRegression

__all__ = ["DivergenceWarning", "LinearRegression"]
