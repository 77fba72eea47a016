"""Optimizers by name, for the CLI and sweeps: ``get_optimizer("adam", learning_rate=0.01)``."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from descend.errors import InputError
from descend.optim.alias import adagrad, adam, adamw, gd, momentum, nesterov, rmsprop
from descend.optim.base import Optimizer

__all__ = ["OPTIMIZERS", "get_optimizer", "optimizer_parameters"]

OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
}


def optimizer_parameters(name: str) -> dict[str, Any]:
    """The keyword arguments ``name`` takes, with their defaults (``learning_rate`` first).

    >>> optimizer_parameters("momentum")
    {'learning_rate': 0.001, 'momentum': 0.9, 'dampening': 0.0, 'weight_decay': 0.0}
    """
    factory = _lookup(name)
    return {p.name: p.default for p in inspect.signature(factory).parameters.values()}


def _lookup(name: str) -> Callable[..., Optimizer]:
    key = name.strip().lower() if isinstance(name, str) else name
    if key in OPTIMIZERS:
        return OPTIMIZERS[key]
    valid = ", ".join(OPTIMIZERS)
    close = difflib.get_close_matches(str(key), list(OPTIMIZERS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(
        f"unknown optimizer {name!r}; choose one of: {valid}{hint}", param="optimizer", value=name
    )


def get_optimizer(name: str, **hyperparams: Any) -> Optimizer:
    """Build optimizer ``name`` from keyword hyper-parameters, checked against its signature.

    Hyper-parameters given as ``None`` are left at their defaults, so a CLI may pass every
    option it has. A name the optimizer does not take raises :class:`InputError` saying which
    optimizers do take it.

    >>> get_optimizer("adam", learning_rate=0.01, b1=0.8).hyperparams["b1"]
    0.8
    >>> get_optimizer("momentum", b1=0.8)
    Traceback (most recent call last):
    ...
    descend.errors.InputError: momentum does not take b1 (adam, adamw do); momentum takes: learning_rate, momentum, dampening, weight_decay
    """
    factory = _lookup(name)
    key = name.strip().lower()
    given = {k: val for k, val in hyperparams.items() if val is not None}
    accepted = list(inspect.signature(factory).parameters)
    for param in given:
        if param not in accepted:
            takers = [n for n, f in OPTIMIZERS.items() if param in inspect.signature(f).parameters]
            who = f" ({', '.join(takers)} {'does' if len(takers) == 1 else 'do'})" if takers else ""
            close = difflib.get_close_matches(param, accepted, n=1)
            hint = f"; did you mean {close[0]!r}?" if close and not takers else ""
            raise InputError(
                f"{key} does not take {param}{who}; {key} takes: {', '.join(accepted)}{hint}"
            )
    return factory(**given)
