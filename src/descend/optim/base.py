"""Optimizers as pairs of pure functions, after optax (``optax/_src/base.py``).

A :class:`GradientTransformation` is ``init(params) -> state`` and
``update(grads, state, params) -> (updates, new_state)``. The new parameters are
``params + updates``. State is an immutable ``NamedTuple`` of arrays and counters; ``update``
never mutates its inputs, so a saved state resumes a run bit for bit.

An :class:`Optimizer` is a named transformation that also remembers its hyper-parameters and
its learning-rate *specification* (a number, a :data:`Schedule`, ``"auto"`` or
``"armijo"``). ``"auto"`` and ``"armijo"`` need the function, not just its gradient, so the
descent loop resolves them (:meth:`Optimizer.with_learning_rate`) before the first step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
OptState = Any  # a NamedTuple (or tuple of NamedTuples for a chain)


class Schedule(Protocol):
    """A learning rate as a function of the step count (0 for the first step)."""

    def __call__(self, count: int) -> float: ...


LearningRateSpec = float | Schedule | Literal["auto", "armijo"]


class InitFn(Protocol):
    def __call__(self, params: Array) -> OptState: ...


class UpdateFn(Protocol):
    def __call__(
        self, grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]: ...


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(grads, state, params) -> (updates, state)``."""

    init: InitFn
    update: UpdateFn


@dataclass(frozen=True)
class Optimizer:
    """A named optimizer: a transformation plus what built it.

    ``build(learning_rate)`` rebuilds the same optimizer with another learning rate, which is
    how the loop turns ``"auto"`` into a number and how a sweep varies only the rate.
    """

    name: str
    learning_rate: LearningRateSpec
    hyperparams: Mapping[str, Any]
    transform: GradientTransformation
    build: Callable[[LearningRateSpec], Optimizer] = field(repr=False, compare=False)
    #: ``L -> (largest stable learning rate, its formula)`` on a quadratic of curvature ``L``,
    #: or ``None`` when no such limit is predictable (adaptive methods rescale each
    #: coordinate). It lives with the optimizer so nothing downstream keys on names.
    stability: Callable[[float], tuple[float, str]] | None = field(
        default=None, repr=False, compare=False)
    #: True when each step depends on the current gradient only (no momentum, no running
    #: averages): the step is along ``-grad``, so a line search may take the Barzilai-Borwein
    #: step as its first trial.
    memoryless: bool = field(default=False, compare=False)

    @property
    def adaptive(self) -> bool:
        """True when the step is rescaled per coordinate (no ``2/L``-style limit)."""
        return self.stability is None

    def stability_limit(self, L: float) -> tuple[float, str] | None:
        """The largest stable learning rate at curvature ``L`` and its formula, or ``None``.

        >>> from descend.optim import gd, momentum
        >>> gd(0.1).stability_limit(4.0)
        (0.5, '2/L')
        >>> momentum(0.1, momentum=0.5).stability_limit(3.0)
        (1.0, '2(1 + momentum)/L')
        """
        if self.stability is None or not (math.isfinite(L) and L > 0.0):
            return None
        return self.stability(L)

    def init(self, params: Array) -> OptState:
        return self.transform.init(params)

    def update(
        self, grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        return self.transform.update(grads, state, params)

    def with_learning_rate(self, learning_rate: LearningRateSpec) -> Optimizer:
        return self.build(learning_rate)


__all__ = [
    "Array",
    "GradientTransformation",
    "InitFn",
    "LearningRateSpec",
    "OptState",
    "Optimizer",
    "Schedule",
    "UpdateFn",
]
