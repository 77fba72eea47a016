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
    gradient step (momentum, Adam) is written ``b = a + step`` with its actual step. A Newton
    step is written ``b = a - H^-1 grad f(a)``, or ``b = a - (H + lam I)^-1 grad f(a)`` where
    the trust region held it back (:func:`newton_line`).

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
        newton = newton_line(objective, a, b, g) if result.optimizer == "newton" else None
        if newton is not None:
            lines.append(newton)
        elif np.allclose(b, a - gamma * g, rtol=1e-9, atol=1e-12):
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


def _matrix(M: Array) -> str:
    return "[" + ", ".join("[" + ", ".join(_num(v) for v in row) + "]" for row in M) + "]"


def newton_line(objective: Any, a: Array, b: Array, g: Array) -> str | None:
    r"""A Newton step ``a -> b`` written out, or ``None`` when it is not one.

    ``p = b - a`` solves ``(H + lam I) p = -g`` with ``lam = 0`` for the Newton step inside
    the trust region and ``lam > 0`` on its boundary (Moré & Sorensen); ``lam`` is read off as
    ``-(g + H p).p / p.p`` and the line is written only when that equation holds to 1e-8.
    In 2-D the solve is shown as ``adj(M) / det(M) * g``, ``adj [[a, b], [c, d]] = [[d, -b],
    [-c, a]]``; in 1-D as ``f'(a) / f''(a)``.

    >>> from descend.expr import function
    >>> f = function("x**2 + x*y + y**2 + 3*x")
    >>> a = np.array([5.0, 5.0])
    >>> newton_line(f, a, np.array([-2.0, 1.0]), f.grad(a))
    'b = a - H^-1 grad f(a) = (5, 5) - [[2, -1], [-1, 2]] / 3 * (18, 15) = (5, 5) - (7, 4) = (-2, 1)'
    """
    if not hasattr(objective, "hessian"):
        return None
    H = np.asarray(objective.hessian(a), dtype=np.float64)
    p = b - a
    pp = float(p @ p)
    if H.shape != (a.shape[0], a.shape[0]) or pp == 0.0 or not np.all(np.isfinite(H)):
        return None
    lam = -float((g + H @ p) @ p) / pp
    lam = 0.0 if abs(lam) <= 1e-10 * max(1.0, float(np.max(np.abs(H)))) else lam
    M = H + lam * np.eye(a.shape[0])
    if lam < 0.0 or not np.allclose(M @ p, -g, rtol=1e-8, atol=1e-10 * max(1.0, float(
            np.max(np.abs(g))))):
        return None
    name = "H^-1" if lam == 0.0 else "(H + lam I)^-1"
    where = "" if lam == 0.0 else (f"  (lam = {_num(lam)} holds the step to the trust "
                                    f"region |b - a| <= {_num(np.sqrt(pp))}; H = {_matrix(H)})")
    if a.shape[0] == 1:
        head = "b = a - f'(a) / f''(a)" if lam == 0.0 else "b = a - f'(a) / (f''(a) + lam)"
        return f"{head} = {_num(a[0])} - {_num(g[0])} / {_num(M[0, 0])} = {_num(b[0])}{where}"
    if a.shape[0] == 2:
        det = float(M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0])
        adj = np.array([[M[1, 1], -M[0, 1]], [-M[1, 0], M[0, 0]]])
        solve = f"{_matrix(adj)} / {_num(det)} * {_vec(g)}"
    else:
        solve = f"{name} {_vec(g)}"
    return (f"b = a - {name} grad f(a) = {_vec(a)} - {solve} = {_vec(a)} - {_vec(-p)} = "
            f"{_vec(b)}{where}")
