"""Models on data: ``LinearRegression`` (a scikit-learn estimator fit by gradient descent),
its losses, learning-rate sweeps and JSON model files."""

from descend.errors import link_sklearn_convergence_warning
from descend.models._diagnose import DivergenceWarning
from descend.models.linear import LinearRegression
from descend.models.losses import LOSSES, loss_and_grad
from descend.models.persist import load_model, model_to_dict, save_model
from descend.models.sweep import SweepResult, sweep_learning_rates

# scikit-learn is loaded now (by linear): descend's ConvergenceWarning becomes a subclass of its.
link_sklearn_convergence_warning()

__all__ = [
    "LOSSES",
    "DivergenceWarning",
    "LinearRegression",
    "SweepResult",
    "load_model",
    "loss_and_grad",
    "model_to_dict",
    "save_model",
    "sweep_learning_rates",
]
