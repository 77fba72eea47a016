"""descend: gradient descent you can see and trust.

The flat public API, in pipeline order::

    function / gradient_at            a formula or callable -> Objective with exact gradients
    gd, momentum, ..., adamw          pure update rules (optax's init/update), torch conventions
    minimize                          the descent loop -> OptimizeResult with history and status
    load_table, LinearRegression      data files -> a scikit-learn estimator fit by descent
    sweep_learning_rates              the tutorial's learning-rate experiment, batched

>>> import descend
>>> descend.gradient_at("x**2 + y**2", [3, 1]).value.tolist()
[6.0, 2.0]
>>> r = descend.minimize("x**2 + x*y + y**2", [3, 1], optimizer=descend.gd(0.1), max_iter=5)
>>> r.nit, str(r.status)
(5, 'max_iter')
"""

from __future__ import annotations

import importlib
from typing import Any

from descend.errors import (
    ConvergenceWarning,
    DataError,
    DescendError,
    ExpressionError,
    InputError,
    StabilityWarning,
)

__version__ = "0.1.0"

# Every layer loads on first use (PEP 562), so `import descend` costs almost nothing and the
# CLI imports only what a command needs: SymPy for formulas, scikit-learn for the estimator,
# polars/pyarrow for files, numba for large arrays.
_LAZY = {
    **dict.fromkeys(
        ("CallableFunction", "GradientInfo", "Objective", "SymbolicFunction", "function",
         "gradient_at", "parse_expression"), "descend.expr"),
    **dict.fromkeys(
        ("History", "OptimizeResult", "Status", "explain_steps", "minimize"), "descend.loop"),
    "Verdict": "descend.loop.verdict",
    **dict.fromkeys(
        ("Optimizer", "adagrad", "adam", "adamw", "chain", "constant", "cosine_decay",
         "exponential_decay", "gd", "get_optimizer", "inverse_time_decay", "momentum",
         "nesterov", "rmsprop", "step_decay"), "descend.optim"),
    "LinearRegression": "descend.models",
    "LinearModel": "descend.models",
    "sweep_learning_rates": "descend.models",
    "load_table": "descend.data",
    "MomentStats": "descend.data",
    "Table": "descend.data",
    "explore": "descend.explorer",
    "explore_regression": "descend.explorer",
}


def _lazy_module(name: str) -> Any:
    # ``descend.plot`` is the plotting package; matplotlib loads on first use, not on import.
    return importlib.import_module(f"descend.{name}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def __getattr__(name: str) -> Any:
    if name == "plot":
        value = _lazy_module("plot")
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:  # an extra not installed: say which (descend._optional)
        from descend._optional import MissingExtraError, missing_extra

        message = missing_extra(exc)
        if message is None:
            raise
        raise MissingExtraError(message, name=exc.name) from exc
    globals()[name] = value
    return value


__all__ = [
    "CallableFunction",
    "ConvergenceWarning",
    "DataError",
    "DescendError",
    "ExpressionError",
    "GradientInfo",
    "History",
    "InputError",
    "LinearModel",
    "LinearRegression",
    "MomentStats",
    "Objective",
    "OptimizeResult",
    "Optimizer",
    "StabilityWarning",
    "Status",
    "SymbolicFunction",
    "Table",
    "Verdict",
    "adagrad",
    "adam",
    "adamw",
    "chain",
    "constant",
    "cosine_decay",
    "exponential_decay",
    "explain_steps",
    "explore",
    "explore_regression",
    "function",
    "gd",
    "get_optimizer",
    "gradient_at",
    "inverse_time_decay",
    "load_table",
    "minimize",
    "momentum",
    "nesterov",
    "parse_expression",
    "rmsprop",
    "step_decay",
    "sweep_learning_rates",
]
