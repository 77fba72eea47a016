"""The first steps of a run, written out with numbers as the tutorials do."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.expr.objective import Array
from descend.loop._minimize import _objective
from descend.loop.result import OptimizeResult

__all__ = ["explain_steps"]


def _num(v: float) -> str:
    return f"{float(v):.6g}"


def _vec(v: Array) -> str:
    if v.shape[0] == 1:
        return _num(v[0])
    return "(" + ", ".join(_num(c) for c in v) + ")"


def explain_steps(fun: Any, result: OptimizeResult, k: int = 3) -> list[str]:
    """The first ``k`` steps of ``result`` as ``b = a - gamma * grad f(a)`` with numbers.

    ``fun`` is what was minimised (text, callable or Objective). A step that is not a plain
    gradient step (momentum, Adam) is written ``b = a + step`` with its actual step.

    >>> import numpy as np
    >>> from descend.loop.result import History, OptimizeResult, Status
    >>> class Valley:
    ...     variables, n = ("x", "y"), 2
    ...     def grad(self, p): return np.array([2 * p[0] + p[1], p[0] + 2 * p[1]])
    >>> a = np.array([3.0, 1.0]); b = a - 0.1 * Valley().grad(a)
    >>> h = History(np.array([a, b]), np.zeros(2), np.zeros(2), np.array([0.1]))
    >>> r = OptimizeResult(b, 0.0, b, 1, 2, 2, Status.MAX_ITER, "", h)
    >>> explain_steps(Valley(), r)
    ['b = a - gamma * grad f(a) = (3, 1) - 0.1 * (7, 5) = (2.3, 0.5)']
    """
    xs = result.history.x
    objective = fun if hasattr(fun, "grad") else _objective(fun, result.variables or None, None, xs.shape[1])
    rates = result.history.learning_rate
    lines = []
    for i in range(min(int(k), xs.shape[0] - 1)):
        a, b = xs[i], xs[i + 1]
        g = np.asarray(objective.grad(a), dtype=np.float64)
        gamma = float(rates[i]) if i < rates.shape[0] else float("nan")
        if np.allclose(b, a - gamma * g, rtol=1e-9, atol=1e-12):
            lines.append(
                f"b = a - gamma * grad f(a) = {_vec(a)} - {_num(gamma)} * {_vec(g)} = {_vec(b)}"
            )
        else:
            lines.append(
                f"b = a + step = {_vec(a)} + {_vec(b - a)} = {_vec(b)}"
                f"  ({result.optimizer or 'this optimizer'}: the step is not -gamma * grad f(a);"
                f" grad f(a) = {_vec(g)})"
            )
    return lines
