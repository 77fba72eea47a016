"""Functions to minimise: text or Python callables -> ``Objective`` with gradients.

>>> f = function("x**2 + x*y + y**2")
>>> f.gradient_formula
('2*x + y', 'x + 2*y')
>>> gradient_at(f, [1, 0]).value.tolist()
[2.0, 1.0]
"""

from __future__ import annotations

import importlib
from typing import Any

# Submodules load on first use (PEP 562): `descend.expr.objective` (the Objective protocol,
# NumPy only) must not pull in SymPy for the layers that only type against it.
_LAZY = {
    "Array": "descend.expr.objective",
    "Objective": "descend.expr.objective",
    "CallableFunction": "descend.expr.callable",
    "GradientInfo": "descend.expr.gradient",
    "gradient_at": "descend.expr.gradient",
    "parse_expression": "descend.expr.parse",
    "SymbolicFunction": "descend.expr.symbolic",
    "function": "descend.expr._function",
}

__all__ = [
    "Array",
    "CallableFunction",
    "GradientInfo",
    "Objective",
    "SymbolicFunction",
    "function",
    "gradient_at",
    "parse_expression",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'descend.expr' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
