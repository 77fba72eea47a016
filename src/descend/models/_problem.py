"""The fitting problem in the optimizer's coordinates: standardised, intercept first.

Gradient descent is not invariant to the units of the features: with sizes in square feet
and prices in dollars the curvature along the slope is ``2 mean(x**2) ~ 7e6`` while along the
intercept it is ``2``, so any stable step (below ``2/L``) barely moves the intercept -- the
tutorials' runs that need millions of steps, or diverge. Standardising each feature
(``z = (x - mean) / std``) makes the curvature of the squared loss the correlation matrix of the
features, whose condition number is that of the problem itself, not of the units.

The optimizer works on ``theta = (c, v)`` with ``v_j = w_j std_j`` and ``c = b + mean . w``;
the user sees ``w = v / std`` and ``b = c - (mean / std) . v``. Scaling changes the path, never
the optimum: the loss (and the L2 penalty, which is on ``w``) is the same function of ``(b, w)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.models.losses import loss_and_grad

Array = NDArray[np.float64]

__all__ = ["DataObjective", "Standardizer", "StatsObjective", "curvature", "hessian"]


@dataclass(frozen=True)
class Standardizer:
    """The affine map between user parameters ``(b, w)`` and the optimizer's ``theta``."""

    mean: Array
    scale: Array
    active: bool

    @classmethod
    def fit(cls, stats: MomentStats, enabled: bool, intercept: bool = True) -> Standardizer:
        """Centre and scale by the standard deviation; without an intercept (a fit through
        the origin) only scale, by the root mean square, since a shift would need ``b``."""
        d = stats.d
        if not enabled:
            return cls(np.zeros(d), np.ones(d), False)
        if intercept:
            std = stats.std_x()
        else:
            std = np.sqrt(np.maximum(np.diag(stats.cxx) / max(stats.n, 1), 0.0) + stats.mean_x**2)
        # A constant feature cannot be scaled (std 0): leave it in its units; its coefficient
        # then never moves from the start, which is the minimum-norm answer.
        scale = np.where(std > 0, std, 1.0)
        return cls(stats.mean_x.copy() if intercept else np.zeros(d), scale, True)

    def to_internal(self, b: float, w: Array) -> Array:
        if not self.active:
            return np.concatenate([[float(b)], np.asarray(w, dtype=np.float64)])
        return np.concatenate([[float(b) + float(self.mean @ w)], w * self.scale])

    def to_user(self, theta: Array) -> tuple[float, Array]:
        if not self.active:
            return float(theta[0]), theta[1:].copy()
        v = theta[1:]
        return float(theta[0] - (self.mean / self.scale) @ v), v / self.scale

    def path_to_user(self, thetas: Array) -> Array:
        """Rows ``theta`` -> rows ``(b, w)`` (intercept first), for histories."""
        if not self.active:
            return thetas.copy()
        out = np.empty_like(thetas)
        v = thetas[..., 1:]
        out[..., 1:] = v / self.scale
        out[..., 0] = thetas[..., 0] - v @ (self.mean / self.scale)
        return out

    def stats(self, st: MomentStats) -> MomentStats:
        """The moments of the standardised features (mean 0), computed from ``st`` in O(d^2)."""
        if not self.active:
            return st
        s = self.scale
        return MomentStats(
            n=st.n,
            mean_x=(st.mean_x - self.mean) / s,
            mean_y=st.mean_y,
            cxx=st.cxx / np.outer(s, s),
            cxy=st.cxy / s,
            cyy=st.cyy,
        )

    def grad_to_internal(self, gb: float, gw: Array) -> Array:
        """Chain rule through ``w = v / std``, ``b = c - (mean / std) . v``."""
        if not self.active:
            return np.concatenate([[gb], gw])
        return np.concatenate([[gb], gw / self.scale - gb * (self.mean / self.scale)])


def hessian(st: MomentStats, penalty: Array, intercept: bool = True) -> Array:
    """The squared loss's Hessian in ``theta`` (exact; without an intercept, its ``w`` block).

    The Hessian of ``mean((x.w + b - y)**2) + sum(penalty * v**2)`` is
    ``2 [[1, m^T], [m, Cxx/n + m m^T + diag(penalty)]]``.
    """
    d = st.d
    m = st.mean_x
    M = np.empty((d + 1, d + 1))
    M[0, 0] = 1.0
    M[0, 1:] = m
    M[1:, 0] = m
    M[1:, 1:] = st.cxx / max(st.n, 1) + np.outer(m, m) + np.diag(penalty)
    return 2.0 * (M if intercept else M[1:, 1:])


def curvature(st: MomentStats, penalty: Array, intercept: bool = True) -> float:
    """L = the largest eigenvalue of the squared loss's Hessian in ``theta`` (exact)."""
    return float(np.linalg.eigvalsh(hessian(st, penalty, intercept))[-1])


class StatsObjective:
    """Squared loss (+ L2) from the moments: value and gradient in O(d^2), whatever n is."""

    def __init__(self, stats: MomentStats, penalty: Array, intercept: bool = True):
        self.stats = stats
        self.penalty = penalty
        self.intercept = intercept  # False: b stays where it starts (0), its gradient is 0
        self._d = stats.d

    @property
    def variables(self) -> tuple[str, ...]:
        return ("b", *(f"w{j}" for j in range(1, self._d + 1)))

    @property
    def n(self) -> int:
        return self._d + 1

    def value(self, x: Array) -> float:
        v = x[1:]
        return self.stats.loss(v, float(x[0])) + float(self.penalty @ (v * v))

    def grad(self, x: Array) -> Array:
        v = x[1:]
        gv, gc = self.stats.grad(v, float(x[0]))
        return np.concatenate([[gc if self.intercept else 0.0], gv + 2.0 * self.penalty * v])

    def value_and_grad(self, x: Array) -> tuple[float, Array]:
        return self.value(x), self.grad(x)

    def hessian(self, x: Array) -> Array | None:
        return hessian(self.stats, self.penalty)

    def curvature_bound(self) -> float | None:
        return curvature(self.stats, self.penalty, self.intercept)


class DataObjective:
    """Any loss over the rows ``X[rows]`` (all rows by default), in the optimizer's ``theta``."""

    def __init__(
        self,
        X: Array,
        y: Array,
        loss: str,
        standardizer: Standardizer,
        *,
        alpha: float = 0.0,
        epsilon: float = 1.35,
        bound: float | None = None,
    ):
        self.X, self.y, self.loss = X, y, loss
        self.std = standardizer
        self.alpha, self.epsilon, self.bound = alpha, epsilon, bound

    @property
    def variables(self) -> tuple[str, ...]:
        return ("b", *(f"w{j}" for j in range(1, self.X.shape[1] + 1)))

    @property
    def n(self) -> int:
        return int(self.X.shape[1]) + 1

    def value_and_grad(self, x: Array, rows: NDArray[np.intp] | None = None) -> tuple[float, Array]:
        b, w = self.std.to_user(x)
        X, y = (self.X, self.y) if rows is None else (self.X[rows], self.y[rows])
        f, gw, gb = loss_and_grad(self.loss, X, y, w, b, epsilon=self.epsilon)
        if self.alpha:
            f += self.alpha * float(w @ w)
            gw = gw + 2.0 * self.alpha * w
        return f, self.std.grad_to_internal(gb, gw)

    def value(self, x: Array) -> float:
        return self.value_and_grad(x)[0]

    def grad(self, x: Array) -> Array:
        return self.value_and_grad(x)[1]

    def hessian(self, x: Array) -> Array | None:
        return None

    def curvature_bound(self) -> float | None:
        return self.bound
