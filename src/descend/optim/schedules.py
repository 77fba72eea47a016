"""Learning-rate schedules: frozen dataclasses called with the step count (0 for the first step).

Each matches a torch.optim.lr_scheduler class stepped once per optimizer step, so
``schedule(k)`` is the rate torch uses for step ``k + 1``. ``str(schedule)`` is the ``--lr``
text that :func:`parse_schedule` reads back; ``describe()`` is a sentence for the CLI.

>>> s = parse_schedule("step:0.1,2,0.5")
>>> [s(k) for k in range(5)]
[0.1, 0.1, 0.05, 0.05, 0.025]
>>> s
StepDecay(initial=0.1, step_size=2, gamma=0.5)
>>> str(s)
'step:0.1,2,0.5'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from descend.errors import InputError
from descend.optim import _validate as v
from descend.optim.base import LearningRateSpec

__all__ = [
    "Constant",
    "CosineDecay",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "StepDecay",
    "constant",
    "cosine_decay",
    "exponential_decay",
    "inverse_time_decay",
    "parse_learning_rate",
    "parse_schedule",
    "step_decay",
]


def _positive(name: str, value: float, owner: str) -> float:
    return v.in_range(name, value, owner=owner, low=0.0, low_open=True)


def _decay_factor(value: float, owner: str) -> float:
    # A decay, not a growth: gamma > 1 would overflow and is never what a descent run wants.
    return v.in_range(
        "gamma", value, owner=owner, low=0.0, low_open=True, high=1.0, high_open=False
    )


@dataclass(frozen=True)
class Constant:
    """``lr_k = value`` (torch: no scheduler)."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _positive("initial", self.value, "constant"))

    def __call__(self, count: int) -> float:
        return self.value

    def __str__(self) -> str:
        return f"{self.value!r}"

    def describe(self) -> str:
        return f"constant learning rate {self.value:g}"


@dataclass(frozen=True)
class StepDecay:
    """``lr_k = initial * gamma ** (k // step_size)`` (torch.optim.lr_scheduler.StepLR)."""

    initial: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        owner = "step_decay"
        object.__setattr__(self, "initial", _positive("initial", self.initial, owner))
        object.__setattr__(self, "step_size", v.integer("step_size", self.step_size, owner=owner))
        object.__setattr__(self, "gamma", _decay_factor(self.gamma, owner))

    def __call__(self, count: int) -> float:
        return self.initial * self.gamma ** (count // self.step_size)

    def __str__(self) -> str:
        return f"step:{self.initial!r},{self.step_size},{self.gamma!r}"

    def describe(self) -> str:
        return (
            f"step decay: {self.initial:g}, multiplied by {self.gamma:g} "
            f"every {self.step_size} steps"
        )


@dataclass(frozen=True)
class ExponentialDecay:
    """``lr_k = initial * gamma ** k`` (torch.optim.lr_scheduler.ExponentialLR)."""

    initial: float
    gamma: float

    def __post_init__(self) -> None:
        owner = "exponential_decay"
        object.__setattr__(self, "initial", _positive("initial", self.initial, owner))
        object.__setattr__(self, "gamma", _decay_factor(self.gamma, owner))

    def __call__(self, count: int) -> float:
        return self.initial * self.gamma**count

    def __str__(self) -> str:
        return f"exp:{self.initial!r},{self.gamma!r}"

    def describe(self) -> str:
        return f"exponential decay: {self.initial:g} * {self.gamma:g}^k"


@dataclass(frozen=True)
class InverseTimeDecay:
    """``lr_k = initial / (1 + decay_rate * k / decay_steps)`` (torch: LambdaLR; Adagrad's lr_decay)."""

    initial: float
    decay_rate: float
    decay_steps: int = 1

    def __post_init__(self) -> None:
        owner = "inverse_time_decay"
        object.__setattr__(self, "initial", _positive("initial", self.initial, owner))
        object.__setattr__(
            self, "decay_rate", v.in_range("decay_rate", self.decay_rate, owner=owner, low=0.0)
        )
        object.__setattr__(
            self, "decay_steps", v.integer("decay_steps", self.decay_steps, owner=owner)
        )

    def __call__(self, count: int) -> float:
        return self.initial / (1 + self.decay_rate * count / self.decay_steps)

    def __str__(self) -> str:
        return f"invtime:{self.initial!r},{self.decay_rate!r},{self.decay_steps}"

    def describe(self) -> str:
        return (
            f"inverse-time decay: {self.initial:g} / (1 + {self.decay_rate:g} * k"
            f" / {self.decay_steps})"
        )


class InverseSqrt:
    """``eta0 / sqrt(step + offset + 1)``: the classic subgradient-method schedule (Shor 1985;
    Boyd, EE364b). ``offset`` counts the steps taken before (``partial_fit``'s chunks), so the
    schedule goes on counting across calls. ``learning_rate='auto'`` picks it for a loss
    without a curvature bound (:func:`descend.loop._curvature.auto_learning_rate`).
    """

    def __init__(self, eta0: float, offset: int = 0):
        self.eta0, self.offset = eta0, offset

    def __call__(self, count: int) -> float:
        return self.eta0 / math.sqrt(count + self.offset + 1.0)

    def __repr__(self) -> str:
        return f"{self.eta0:g}/sqrt(k+1)"


@dataclass(frozen=True)
class CosineDecay:
    """Cosine annealing from ``initial`` to ``alpha*initial`` over ``decay_steps``, then flat.

    ``lr_k = a + (initial - a) * (1 + cos(pi * min(k, decay_steps) / decay_steps)) / 2`` with
    ``a = alpha * initial``: torch.optim.lr_scheduler.CosineAnnealingLR(T_max=decay_steps,
    eta_min=alpha*initial) for ``k <= decay_steps``; torch then rises again, this stays at
    ``a`` (as optax's ``cosine_decay_schedule``).
    """

    initial: float
    decay_steps: int
    alpha: float = 0.0

    def __post_init__(self) -> None:
        owner = "cosine_decay"
        object.__setattr__(self, "initial", _positive("initial", self.initial, owner))
        object.__setattr__(
            self, "decay_steps", v.integer("decay_steps", self.decay_steps, owner=owner)
        )
        object.__setattr__(
            self,
            "alpha",
            v.in_range("alpha", self.alpha, owner=owner, low=0.0, high=1.0, high_open=False),
        )

    def __call__(self, count: int) -> float:
        floor = self.alpha * self.initial
        k = min(count, self.decay_steps)
        return floor + (self.initial - floor) * (1 + math.cos(math.pi * k / self.decay_steps)) / 2

    def __str__(self) -> str:
        return f"cosine:{self.initial!r},{self.decay_steps},{self.alpha!r}"

    def describe(self) -> str:
        return (
            f"cosine decay: {self.initial:g} to {self.alpha * self.initial:g} over "
            f"{self.decay_steps} steps"
        )


def constant(value: float) -> Constant:
    """A constant rate; ``constant(0.1)(k) == 0.1``."""
    return Constant(value)


def step_decay(initial: float, step_size: int, gamma: float = 0.1) -> StepDecay:
    """torch's StepLR: multiply by ``gamma`` every ``step_size`` steps."""
    return StepDecay(initial, step_size, gamma)


def exponential_decay(initial: float, gamma: float) -> ExponentialDecay:
    """torch's ExponentialLR: ``initial * gamma**k``."""
    return ExponentialDecay(initial, gamma)


def inverse_time_decay(initial: float, decay_rate: float, decay_steps: int = 1) -> InverseTimeDecay:
    """``initial / (1 + decay_rate * k / decay_steps)``."""
    return InverseTimeDecay(initial, decay_rate, decay_steps)


def cosine_decay(initial: float, decay_steps: int, alpha: float = 0.0) -> CosineDecay:
    """Cosine annealing to ``alpha * initial`` over ``decay_steps`` steps (torch's CosineAnnealingLR)."""
    return CosineDecay(initial, decay_steps, alpha)


# --------------------------------------------------------------------------- --lr text

_FORMS: dict[str, tuple[Any, int, int]] = {
    "const": (Constant, 1, 1),
    "constant": (Constant, 1, 1),
    "step": (StepDecay, 2, 3),
    "exp": (ExponentialDecay, 2, 2),
    "invtime": (InverseTimeDecay, 2, 3),
    "cosine": (CosineDecay, 2, 3),
}
_INT_FIELDS = {"step_size", "decay_steps"}

ACCEPTED_FORMS = (
    "NUMBER (e.g. 0.1), auto, armijo, exp:INITIAL,GAMMA, step:INITIAL,STEP_SIZE[,GAMMA], "
    "cosine:INITIAL,DECAY_STEPS[,ALPHA], invtime:INITIAL,DECAY_RATE[,DECAY_STEPS]"
)


def _bad(text: str, why: str) -> InputError:
    return InputError(
        f"learning_rate={text!r}: {why}; accepted forms: {ACCEPTED_FORMS}",
        param="learning_rate", value=text,
    )


def _number(text: str, item: str, integer: bool) -> float | int:
    try:
        x = float(item)
    except ValueError:
        raise _bad(text, f"{item.strip()!r} is not a number") from None
    if integer:
        if not x.is_integer():
            raise _bad(text, f"{item.strip()!r} must be a whole number of steps")
        return int(x)
    return x


def parse_schedule(
    text: str,
) -> Constant | StepDecay | ExponentialDecay | InverseTimeDecay | CosineDecay:
    """Read a ``--lr`` schedule: ``"0.1"``, ``"exp:0.1,0.99"``, ``"step:0.1,100,0.5"``, ...

    A bare number gives :class:`Constant`. Bad text raises :class:`InputError` naming
    ``learning_rate`` (the CLI shows ``--lr``) and the accepted forms.

    >>> parse_schedule("cosine:0.1,1000")
    CosineDecay(initial=0.1, decay_steps=1000, alpha=0.0)
    >>> parse_schedule("exp:0.1")
    Traceback (most recent call last):
    ...
    descend.errors.InputError: learning_rate='exp:0.1': exp takes 2 numbers, got 1; accepted forms: ...
    """
    if not isinstance(text, str):
        raise _bad(repr(text), "expected text")
    raw = text.strip()
    if not raw:
        raise _bad(text, "empty text is not a number or a schedule")
    kind, sep, rest = raw.partition(":")
    if not sep:
        kind, rest = "const", raw
    kind = kind.strip().lower()
    if kind not in _FORMS:
        raise _bad(text, f"unknown schedule {kind!r}")
    cls, low, high = _FORMS[kind]
    items = rest.split(",") if rest.strip() else []
    if not low <= len(items) <= high:
        count = str(low) if low == high else f"{low} to {high}"
        noun = "number" if high == 1 else "numbers"
        raise _bad(text, f"{kind} takes {count} {noun}, got {len(items)}")
    names = [f.name for f in fields(cls)]
    args = [_number(text, item, names[i] in _INT_FIELDS) for i, item in enumerate(items)]
    try:
        return cls(*args)
    except InputError as err:
        raise _bad(text, str(err)) from None


def parse_learning_rate(text: str) -> LearningRateSpec:
    """Read ``--lr``: ``"auto"``, ``"armijo"``, a number (a float) or a schedule.

    >>> parse_learning_rate("0.05"), parse_learning_rate("auto")
    (0.05, 'auto')
    """
    raw = text.strip().lower() if isinstance(text, str) else text
    if raw in v.LEARNING_RATE_STRINGS:
        return raw  # type: ignore[return-value]
    schedule = parse_schedule(text)
    return schedule.value if isinstance(schedule, Constant) else schedule
