"""Hyper-parameter checks at the boundary: each error names the parameter, value and range."""

from __future__ import annotations

import difflib
import math
from numbers import Real
from typing import Any

from descend.errors import InputError

LEARNING_RATE_STRINGS = ("auto", "armijo")


def real(name: str, value: Any, *, owner: str) -> float:
    """``value`` as a finite float, or an InputError naming ``owner``'s parameter ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{owner}: {name} must be a real number, got {value!r}", param=name, value=value)
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{owner}: {name} must be finite, got {out!r}", param=name, value=value)
    return out


def in_range(
    name: str,
    value: Any,
    *,
    owner: str,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """Check ``low <= value < high`` (bracket kinds chosen by ``low_open``/``high_open``)."""
    x = real(name, value, owner=owner)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        hi = "inf" if math.isinf(high) else f"{high:g}"
        raise InputError(
            f"{owner}: {name}={value!r} is out of range; valid range is {left}{low:g}, {hi}{right}",
            param=name, value=value,
        )
    return x


def integer(name: str, value: Any, *, owner: str, low: int = 1) -> int:
    """An integer ``>= low`` (floats with an integral value are accepted)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(
            f"{owner}: {name} must be an integer >= {low}, got {value!r}", param=name, value=value
        )
    x = float(value)
    if not x.is_integer() or x < low:
        raise InputError(
            f"{owner}: {name}={value!r} must be an integer >= {low}", param=name, value=value
        )
    return int(x)


def learning_rate(value: Any, *, owner: str) -> Any:
    """A positive finite float, a Schedule (callable of the step count), "auto" or "armijo"."""
    if isinstance(value, str):
        if value in LEARNING_RATE_STRINGS:
            return value
        close = difflib.get_close_matches(value, LEARNING_RATE_STRINGS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"{owner}: learning_rate={value!r} is not understood; use a positive number, "
            f"a schedule, 'auto' or 'armijo'{hint}",
            param="learning_rate", value=value,
        )
    if callable(value):
        return value
    return in_range("learning_rate", value, owner=owner, low=0.0, low_open=True)


def boolean(name: str, value: Any, *, owner: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(
            f"{owner}: {name} must be True or False, got {value!r}", param=name, value=value
        )
    return value
