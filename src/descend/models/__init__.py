"""Models on data: ``LinearModel`` (linear regression fit by gradient descent, plain NumPy),
``LinearRegression`` (the same as a scikit-learn estimator, loaded on first use), their
losses, learning-rate sweeps and JSON model files."""

from __future__ import annotations

import importlib
from typing import Any

from descend.models._diagnose import DivergenceWarning
from descend.models.linear import LinearModel
from descend.models.losses import LOSSES, loss_and_grad
from descend.models.persist import load_model, model_to_dict, save_model
from descend.models.sweep import SweepResult, sweep_learning_rates


def __getattr__(name: str) -> Any:
    # The estimator imports scikit-learn (a second or more): only when someone asks for it.
    if name == "LinearRegression":
        from descend.errors import link_sklearn_convergence_warning

        value = importlib.import_module("descend.models.estimator").LinearRegression
        # scikit-learn is loaded now: descend's ConvergenceWarning becomes a subclass of its.
        link_sklearn_convergence_warning()
        globals()[name] = value
        return value
    raise AttributeError(f"module 'descend.models' has no attribute {name!r}")

__all__ = [
    "LOSSES",
    "DivergenceWarning",
    "LinearModel",
    "LinearRegression",
    "SweepResult",
    "load_model",
    "loss_and_grad",
    "model_to_dict",
    "save_model",
    "sweep_learning_rates",
]
