"""The gradient at one point, packaged for people: formula, value, length and direction.

The gradient ∇f(p) points along the steepest *ascent*; its length ‖∇f(p)‖ is the slope along
that direction, and -∇f(p) is the way downhill that gradient descent takes. At a stationary
point (‖∇f‖ = 0) there is no direction: it is reported as zeros.

>>> info = gradient_at("x**2 + y**2", [3, 1])
>>> info.formula, info.value.tolist(), round(info.magnitude ** 2, 12)
(('2*x', '2*y'), [6.0, 2.0], 40.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.errors import InputError
from descend.expr.objective import Array, Objective

__all__ = ["GradientInfo", "gradient_at"]


@dataclass(frozen=True)
class GradientInfo:
    """∇f at ``point``; ``direction`` = ∇f/‖∇f‖ (steepest ascent), zeros when ‖∇f‖ = 0."""

    variables: tuple[str, ...]
    formula: tuple[str, ...] | None
    point: Array
    value: Array
    magnitude: float
    direction: Array
    fun_value: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``variables, gradient (formulas or None), at, value, magnitude,
        direction, fun``; ``at``, ``value`` and ``direction`` are lists in variable order."""
        return {
            "variables": list(self.variables),
            "gradient": None if self.formula is None else list(self.formula),
            "at": self.point.tolist(),
            "value": self.value.tolist(),
            "magnitude": self.magnitude,
            "direction": self.direction.tolist(),
            "fun": self.fun_value,
        }


def gradient_at(fun: Any, point: Sequence[float] | Mapping[str, float] | Array) -> GradientInfo:
    """Evaluate ∇f at ``point`` and describe it.

    ``fun`` is anything :func:`descend.expr.function` accepts (text, SymPy, callable,
    Objective). ``point`` is a sequence in variable order or a mapping ``{name: value}``.

    >>> info = gradient_at("x**2 + y**2", {"x": -2, "y": -2})
    >>> info.value.tolist(), info.direction.round(6).tolist()
    ([-4.0, -4.0], [-0.707107, -0.707107])
    """
    from descend.expr import function  # the package's coercion; imported late to avoid a cycle

    objective: Objective = function(fun)
    x = _point_array(objective, point)
    fun_value, g = objective.value_and_grad(x)
    g = np.asarray(g, dtype=np.float64)
    magnitude = math.hypot(*g.tolist()) if g.size else 0.0
    if magnitude > 0 and math.isfinite(magnitude):
        direction = g / magnitude
    else:
        direction = np.zeros_like(g)
    formula = getattr(objective, "gradient_formula", None)
    return GradientInfo(
        variables=tuple(objective.variables),
        formula=None if formula is None else tuple(formula),
        point=x,
        value=g,
        magnitude=float(magnitude),
        direction=direction,
        fun_value=float(fun_value),
    )


def _point_array(objective: Objective, point: Any) -> Array:
    if isinstance(point, Mapping):
        names = tuple(objective.variables)
        missing = [v for v in names if v not in point]
        extra = [k for k in point if k not in names]
        if missing or extra:
            raise InputError(
                f"the point must give a value for each of ({', '.join(names)})"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(map(str, extra))}" if extra else "")
            )
        point = [point[v] for v in names]
    try:
        x = np.array(point, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the point must be real numbers: {exc}") from None
    if x.ndim == 0:
        x = x.reshape(1)
    return x
