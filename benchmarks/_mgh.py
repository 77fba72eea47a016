"""Moré-Garbow-Hillstrom test problems with known optimal values, exact derivatives.

J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained optimization software",
ACM TOMS 7 (1981), 17-41. Each problem is a sum of squares ``f = sum r_i(x)^2`` with
``grad f = 2 J^T r`` and ``hess f = 2 (J^T J + sum r_i hess r_i)``; the small ones are written
as text and differentiated by descend's symbolic engine, the scalable ones (n = 100) by hand.
Numbers after the names are the problem's number in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = Any


@dataclass
class LeastSquares:
    """``f = |r(x)|^2`` from ``r``, its Jacobian ``J`` and ``S(x, r) = sum r_i hess r_i``."""

    name: str
    n: int
    r: Callable[[Array], Array]
    J: Callable[[Array], Array]
    S: Callable[[Array, Array], Array]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(f"x{i}" for i in range(self.n))

    def value(self, x: Array) -> float:
        r = self.r(x)
        return float(r @ r)

    def grad(self, x: Array) -> Array:
        return 2.0 * self.J(x).T @ self.r(x)

    def value_and_grad(self, x: Array) -> tuple[float, Array]:
        r = self.r(x)
        return float(r @ r), 2.0 * self.J(x).T @ r

    def hessian(self, x: Array) -> Array:
        J = self.J(x)
        return 2.0 * (J.T @ J + self.S(x, self.r(x)))

    def curvature_bound(self) -> None:
        return None


def _ext_rosenbrock(n: int) -> LeastSquares:
    def r(x: Array) -> Array:
        out = np.empty(n)
        out[0::2] = 10.0 * (x[1::2] - x[0::2] ** 2)
        out[1::2] = 1.0 - x[0::2]
        return out

    def J(x: Array) -> Array:
        M = np.zeros((n, n))
        i = np.arange(0, n, 2)
        M[i, i] = -20.0 * x[i]
        M[i, i + 1] = 10.0
        M[i + 1, i] = -1.0
        return M

    def S(x: Array, res: Array) -> Array:
        return np.diag(np.where(np.arange(n) % 2 == 0, -20.0 * np.repeat(res[0::2], 2), 0.0))

    return LeastSquares(f"extended Rosenbrock (21), n={n}", n, r, J, S)


def _ext_powell(n: int) -> LeastSquares:
    s5, s10 = math.sqrt(5.0), math.sqrt(10.0)
    a = np.array([0.0, 1.0, -2.0, 0.0])
    b = np.array([1.0, 0.0, 0.0, -1.0])

    def r(x: Array) -> Array:
        X = x.reshape(-1, 4)
        return np.stack([X[:, 0] + 10 * X[:, 1], s5 * (X[:, 2] - X[:, 3]),
                         (X[:, 1] - 2 * X[:, 2]) ** 2, s10 * (X[:, 0] - X[:, 3]) ** 2],
                        axis=1).ravel()

    def J(x: Array) -> Array:
        M = np.zeros((n, n))
        for k in range(0, n, 4):
            u = x[k + 1] - 2 * x[k + 2]
            v = x[k] - x[k + 3]
            M[k, k:k + 4] = [1.0, 10.0, 0.0, 0.0]
            M[k + 1, k:k + 4] = [0.0, 0.0, s5, -s5]
            M[k + 2, k:k + 4] = 2 * u * a
            M[k + 3, k:k + 4] = 2 * s10 * v * b
        return M

    def S(x: Array, res: Array) -> Array:
        M = np.zeros((n, n))
        for k in range(0, n, 4):
            M[k:k + 4, k:k + 4] = res[k + 2] * 2 * np.outer(a, a) + res[k + 3] * 2 * s10 * (
                np.outer(b, b))
        return M

    name = "Powell singular (13)" if n == 4 else f"extended Powell singular (22), n={n}"
    return LeastSquares(name, n, r, J, S)


def _tridiag(n: int, diag: Array, sub: float, sup: float) -> Array:
    return np.diag(diag) + np.diag(np.full(n - 1, sub), -1) + np.diag(np.full(n - 1, sup), 1)


def _broyden_tridiagonal(n: int) -> LeastSquares:
    def r(x: Array) -> Array:
        xp = np.concatenate([[0.0], x, [0.0]])
        return (3 - 2 * x) * x - xp[:-2] - 2 * xp[2:] + 1

    return LeastSquares(f"Broyden tridiagonal (30), n={n}", n, r,
                        lambda x: _tridiag(n, 3 - 4 * x, -1.0, -2.0),
                        lambda x, res: np.diag(-4.0 * res))


def _discrete_bv(n: int) -> LeastSquares:
    h = 1.0 / (n + 1)
    t = h * np.arange(1, n + 1)

    def r(x: Array) -> Array:
        xp = np.concatenate([[0.0], x, [0.0]])
        return 2 * x - xp[:-2] - xp[2:] + h * h * (x + t + 1) ** 3 / 2

    return LeastSquares(f"discrete boundary value (28), n={n}", n, r,
                        lambda x: _tridiag(n, 2 + 1.5 * h * h * (x + t + 1) ** 2, -1.0, -1.0),
                        lambda x, res: np.diag(res * 3 * h * h * (x + t + 1)))


def _variably_dimensioned(n: int) -> LeastSquares:
    j = np.arange(1, n + 1, dtype=float)

    def r(x: Array) -> Array:
        s = float(j @ (x - 1))
        return np.concatenate([x - 1, [s, s * s]])

    def J(x: Array) -> Array:
        s = float(j @ (x - 1))
        return np.vstack([np.eye(n), j, 2 * s * j])

    return LeastSquares(f"variably dimensioned (25), n={n}", n, r, J,
                        lambda x, res: res[-1] * 2 * np.outer(j, j))


def _broyden_banded(n: int) -> LeastSquares:
    band = [[j for j in range(max(0, i - 5), min(n, i + 2)) if j != i] for i in range(n)]

    def r(x: Array) -> Array:
        return np.array([x[i] * (2 + 5 * x[i] ** 2) + 1 - sum(x[j] * (1 + x[j]) for j in band[i])
                         for i in range(n)])

    def J(x: Array) -> Array:
        M = np.zeros((n, n))
        for i in range(n):
            M[i, i] = 2 + 15 * x[i] ** 2
            for j in band[i]:
                M[i, j] = -(1 + 2 * x[j])
        return M

    def S(x: Array, res: Array) -> Array:
        d = 30 * res * x
        for i in range(n):
            for j in band[i]:
                d[j] -= 2 * res[i]
        return np.diag(d)

    return LeastSquares(f"Broyden banded (31), n={n}", n, r, J, S)


def _brown_almost_linear(n: int) -> LeastSquares:
    def r(x: Array) -> Array:
        return np.concatenate([x[:-1] + x.sum() - (n + 1), [np.prod(x) - 1]])

    def others(x: Array) -> Array:
        return np.array([np.prod(np.delete(x, i)) for i in range(n)])

    def J(x: Array) -> Array:
        M = np.eye(n)[:-1] + 1.0
        return np.vstack([M, others(x)])

    def S(x: Array, res: Array) -> Array:
        M = np.array([[0.0 if i == k else np.prod(np.delete(x, [i, k])) for k in range(n)]
                      for i in range(n)])
        return res[-1] * M

    return LeastSquares(f"Brown almost-linear (27), n={n}", n, r, J, S)


def _linear_full_rank(n: int, m: int) -> LeastSquares:
    A = np.vstack([np.eye(n), np.zeros((m - n, n))]) - 2.0 / m

    return LeastSquares(f"linear, full rank (32), n={n}, m={m}", n,
                        lambda x: A @ x - 1.0, lambda x: A, lambda x, res: np.zeros((n, n)))


#: Text problems: (name, formula over x0.., start, f*).
_BIGGS = " + ".join(
    f"(x2*exp(-{0.1 * i:.1f}*x0) - x3*exp(-{0.1 * i:.1f}*x1) + x5*exp(-{0.1 * i:.1f}*x4)"
    f" - ({math.exp(-0.1 * i)!r} - 5*{math.exp(-i)!r} + 3*{math.exp(-0.4 * i)!r}))**2"
    for i in range(1, 14))
_BOX = " + ".join(
    f"(exp(-{0.1 * i:.1f}*x0) - exp(-{0.1 * i:.1f}*x1) - x2*({math.exp(-0.1 * i)!r} - "
    f"{math.exp(-i)!r}))**2" for i in range(1, 11))
_BEALE = " + ".join(f"({c} - x0*(1 - x1**{i}))**2" for i, c in ((1, 1.5), (2, 2.25), (3, 2.625)))
TEXT: list[tuple[str, str, tuple[float, ...], float]] = [
    ("Rosenbrock (1)", "100*(x1 - x0**2)**2 + (1 - x0)**2", (-1.2, 1.0), 0.0),
    ("Powell badly scaled (3)", "(10000*x0*x1 - 1)**2 + (exp(-x0) + exp(-x1) - 1.0001)**2",
     (0.0, 1.0), 0.0),
    ("Brown badly scaled (4)", "(x0 - 1000000)**2 + (x1 - 2/1000000)**2 + (x0*x1 - 2)**2",
     (1.0, 1.0), 0.0),
    ("Beale (5)", _BEALE, (1.0, 1.0), 0.0),
    ("Box three-dimensional (12)", _BOX, (0.0, 10.0, 20.0), 0.0),
    ("Wood (14)", "100*(x1 - x0**2)**2 + (1 - x0)**2 + 90*(x3 - x2**2)**2 + (1 - x2)**2 + "
     "10*(x1 + x3 - 2)**2 + (x1 - x3)**2/10", (-3.0, -1.0, -3.0, -1.0), 0.0),
    ("Biggs EXP6 (18)", _BIGGS, (1.0, 2.0, 1.0, 1.0, 1.0, 1.0), 0.0),
]


def problems(n_large: int = 100) -> list[tuple[str, Any, Array, float]]:
    """``(name, objective, start, f*)`` for every problem (text ones parsed here)."""
    from descend.expr import function

    out: list[tuple[str, Any, Array, float]] = []
    for name, text, start, fstar in TEXT:
        k = len(start)
        out.append((name, function(text, [f"x{i}" for i in range(k)]), np.array(start), fstar))
    n = n_large
    h = 1.0 / (n + 1)
    t = h * np.arange(1, n + 1)
    scaled = [
        (_ext_powell(4), np.array([3.0, -1.0, 0.0, 1.0]), 0.0),
        (_ext_rosenbrock(n), np.tile([-1.2, 1.0], n // 2), 0.0),
        (_ext_powell(n), np.tile([3.0, -1.0, 0.0, 1.0], n // 4), 0.0),
        (_variably_dimensioned(n), 1.0 - np.arange(1, n + 1) / n, 0.0),
        (_brown_almost_linear(10), np.full(10, 0.5), 0.0),
        (_discrete_bv(n), t * (t - 1), 0.0),
        (_broyden_tridiagonal(n), np.full(n, -1.0), 0.0),
        (_broyden_banded(n), np.full(n, -1.0), 0.0),
        (_linear_full_rank(n, 2 * n), np.ones(n), float(n)),
    ]
    out += [(p.name, p, x0, fstar) for p, x0, fstar in scaled]
    return out
