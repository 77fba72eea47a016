"""Small gradient transformations that chain into optimizers, after optax's ``transform.py``.

Each block is a :class:`~descend.optim.base.GradientTransformation`: ``init(params) -> state``
and ``update(grads, state, params) -> (updates, new_state)``. States are immutable
``NamedTuple``\\ s; ``update`` never writes into ``grads``, ``state`` or ``params`` and every
array it returns is new, so a saved state replays a run bit for bit.

The arithmetic follows torch.optim's single-tensor ("for-loop") code line for line, because
the aliases promise torch's iterates to 1e-12 in float64. The blocks take no defaults beyond
torch's; the aliases in :mod:`descend.optim.alias` validate every hyper-parameter.

>>> import numpy as np
>>> opt = chain(trace(momentum=0.9), scale_by_learning_rate(0.1))
>>> state = opt.init(np.zeros(2))
>>> updates, state = opt.update(np.array([1.0, -2.0]), state)
>>> updates
array([-0.1,  0.2])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from descend.errors import InputError
from descend.optim.base import Array, GradientTransformation, LearningRateSpec, OptState

__all__ = [
    "AddDecayedWeightsState",
    "ScaleByAdagradState",
    "ScaleByAdamState",
    "ScaleByLearningRateState",
    "ScaleByRmsState",
    "TraceState",
    "add_decayed_weights",
    "chain",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_rms",
    "trace",
]


def _as_array(x: Array) -> Array:
    """A float64 view (no copy when already float64); callers never write into it."""
    return np.asarray(x, dtype=np.float64)


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """``start + weight*(end - start)``, as torch's ``lerp_`` rounds it (ATen ``Lerp.h``)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# --------------------------------------------------------------------------- weight decay


class AddDecayedWeightsState(NamedTuple):
    """Stateless."""


def add_decayed_weights(weight_decay: float) -> GradientTransformation:
    """``u = u + weight_decay * p``: L2 decay before a preconditioner, decoupled after one."""

    def init(params: Array) -> AddDecayedWeightsState:
        del params
        return AddDecayedWeightsState()

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        if params is None:
            raise InputError("add_decayed_weights needs params: call update(grads, state, params)")
        return _as_array(grads) + weight_decay * _as_array(params), state

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- momentum


class TraceState(NamedTuple):
    """``count`` steps taken; ``trace`` is torch's ``momentum_buffer`` (zeros before step 1)."""

    count: int  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    trace: Array


def trace(
    momentum: float, dampening: float = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """Heavy-ball momentum in torch.optim.SGD's convention.

    First step ``buf = g``; then ``buf = momentum*buf + (1 - dampening)*g``. The output is
    ``buf``, or ``g + momentum*buf`` with ``nesterov=True``.
    """

    def init(params: Array) -> TraceState:
        return TraceState(count=0, trace=np.zeros_like(_as_array(params)))

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        del params
        g = _as_array(grads)
        if state.count == 0:
            buf = g.copy()  # torch: the first buffer is the gradient itself, undamped
        else:
            buf = state.trace * momentum + (1.0 - dampening) * g
        direction = g + momentum * buf if nesterov else buf.copy()
        return direction, TraceState(count=state.count + 1, trace=buf)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- AdaGrad


class ScaleByAdagradState(NamedTuple):
    """``count`` steps taken; ``sum_of_squares`` is torch's ``state_sum``."""

    count: int  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    sum_of_squares: Array


def scale_by_adagrad(
    lr_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10
) -> GradientTransformation:
    """AdaGrad: ``G += g*g``; output ``g / (sqrt(G) + eps) / (1 + (step - 1)*lr_decay)``."""

    def init(params: Array) -> ScaleByAdagradState:
        acc = np.full_like(_as_array(params), initial_accumulator_value)
        return ScaleByAdagradState(count=0, sum_of_squares=acc)

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        del params
        g = _as_array(grads)
        step = state.count + 1
        decay = 1.0 + (step - 1) * lr_decay  # torch: clr = lr / (1 + (step - 1)*lr_decay)
        sum_sq = state.sum_of_squares + g * g
        std = np.sqrt(sum_sq) + eps
        return (g / std) / decay, ScaleByAdagradState(count=step, sum_of_squares=sum_sq)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- RMSProp


class ScaleByRmsState(NamedTuple):
    """torch's ``square_avg`` (nu), ``grad_avg`` (mu, centred only) and ``momentum_buffer``."""

    count: int  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    nu: Array
    mu: Array
    momentum_buffer: Array


def scale_by_rms(
    alpha: float = 0.99, eps: float = 1e-8, centered: bool = False, momentum: float = 0.0
) -> GradientTransformation:
    """RMSProp in torch's convention: ``v = alpha*v + (1-alpha)*g*g``; ``g / (sqrt(v) + eps)``.

    Centred: the denominator is ``sqrt(v - m*m) + eps`` with ``m = alpha*m + (1-alpha)*g``.
    Momentum: ``buf = momentum*buf + g/denominator`` (buffer starts at zero) is the output.
    """

    def init(params: Array) -> ScaleByRmsState:
        zeros = np.zeros_like(_as_array(params))
        return ScaleByRmsState(count=0, nu=zeros, mu=zeros, momentum_buffer=zeros)

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        del params
        g = _as_array(grads)
        nu = state.nu * alpha + (1.0 - alpha) * (g * g)
        mu = state.mu
        if centered:
            mu = _lerp(state.mu, g, 1.0 - alpha)
            avg = np.sqrt(nu + -1.0 * (mu * mu)) + eps
        else:
            avg = np.sqrt(nu) + eps
        buf = state.momentum_buffer
        if momentum > 0:
            buf = buf * momentum + g / avg
            out = buf.copy()
        else:
            out = g / avg
        return out, ScaleByRmsState(count=state.count + 1, nu=nu, mu=mu, momentum_buffer=buf)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- Adam


class ScaleByAdamState(NamedTuple):
    """``mu``/``nu``: torch's ``exp_avg``/``exp_avg_sq``; ``nu_max``: ``max_exp_avg_sq``."""

    count: int  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    mu: Array
    nu: Array
    nu_max: Array


def scale_by_adam(
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, amsgrad: bool = False
) -> GradientTransformation:
    """Adam's direction ``(m / (1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps)``.

    ``m = b1*m + (1-b1)*g`` and ``v = b2*v + (1-b2)*g*g``; with ``amsgrad`` the running
    maximum of ``v`` replaces ``v`` in the denominator. ``eps`` sits outside the bias
    correction of ``v``, as in torch.optim.Adam (not inside, as in the paper's Algorithm 1).
    """

    def init(params: Array) -> ScaleByAdamState:
        zeros = np.zeros_like(_as_array(params))
        return ScaleByAdamState(count=0, mu=zeros, nu=zeros, nu_max=zeros)

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        del params
        g = _as_array(grads)
        step = state.count + 1
        mu = _lerp(state.mu, g, 1.0 - b1)
        nu = state.nu * b2 + (1.0 - b2) * (g * g)
        bias_correction1 = 1.0 - b1**step
        bias_correction2_sqrt = (1.0 - b2**step) ** 0.5
        nu_max = np.maximum(state.nu_max, nu) if amsgrad else state.nu_max
        denom = np.sqrt(nu_max if amsgrad else nu) / bias_correction2_sqrt + eps
        direction = (mu / denom) / bias_correction1
        return direction, ScaleByAdamState(count=step, mu=mu, nu=nu, nu_max=nu_max)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- learning rate


class ScaleByLearningRateState(NamedTuple):
    """``count``: steps taken, the argument of a schedule (0 for the first step)."""

    count: int  # type: ignore[assignment]  # shadows tuple.count, as optax's states do


def scale_by_learning_rate(learning_rate: LearningRateSpec) -> GradientTransformation:
    """``u = -learning_rate(count) * u``: the descent step, with a constant or scheduled rate.

    A string rate (``"auto"``, ``"armijo"``) is a placeholder the descent loop replaces with
    ``Optimizer.with_learning_rate(...)``; updating with it raises :class:`InputError`.
    """

    def init(params: Array) -> ScaleByLearningRateState:
        del params
        return ScaleByLearningRateState(count=0)

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        del params
        if isinstance(learning_rate, str):
            raise InputError(
                f"learning_rate={learning_rate!r} has not been resolved to a number: the descent "
                "loop must call opt.with_learning_rate(number_or_schedule) before the first update"
            )
        lr = float(learning_rate(state.count)) if callable(learning_rate) else learning_rate
        return (-lr) * _as_array(grads), ScaleByLearningRateState(count=state.count + 1)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- chain


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply ``transforms`` in order; the state is the tuple of their states."""

    def init(params: Array) -> tuple[OptState, ...]:
        return tuple(t.init(params) for t in transforms)

    def update(
        grads: Array, state: OptState, params: Array | None = None
    ) -> tuple[Array, OptState]:
        if len(state) != len(transforms):
            raise InputError(
                f"chain: state has {len(state)} parts but the chain has {len(transforms)} "
                "blocks; pass the state that this optimizer's init returned"
            )
        updates = _as_array(grads).copy()  # a new array even for an empty chain
        new_state = []
        for t, s in zip(transforms, state, strict=True):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)
