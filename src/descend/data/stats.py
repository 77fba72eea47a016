"""Sufficient statistics of the squared loss, mergeable across chunks and workers.

For the squared loss a full-batch gradient step needs only the centred moments of the data,
so after one pass every step costs O(d^2) whatever n is. Chunks (streaming) and partitions
(Dask) are combined with the pairwise update of Chan, Golub & LeVeque (1979), which stays
accurate when the raw sums would cancel catastrophically (large means, small spread).

With ``mx, my`` the means and ``Cxx = sum (x - mx)(x - mx)^T``, ``cxy = sum (x - mx)(y - my)``,
``cyy = sum (y - my)^2``, the mean squared error of ``y ~ X w + b`` is

    L(w, b) = (w^T Cxx w - 2 w^T cxy + cyy) / n + r^2,     r = b + mx.w - my

and its gradient ``dL/dw = 2 (Cxx w - cxy) / n + 2 r mx``, ``dL/db = 2 r`` -- exactly the
tutorials' ``(2/n) X^T (Xw + b - y)`` rearranged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

__all__ = ["MomentStats", "moment_stats", "residual_compensated"]


@dataclass(frozen=True)
class MomentStats:
    """Count, means and centred cross-products of ``(X, y)``."""

    n: int
    mean_x: Array  # (d,)
    mean_y: float
    cxx: Array  # (d, d)
    cxy: Array  # (d,)
    cyy: float

    @property
    def d(self) -> int:
        return int(self.mean_x.shape[0])

    def merge(self, other: MomentStats) -> MomentStats:
        """Statistics of the concatenation of both data sets (Chan et al. 1979, eq. 2.1b)."""
        if self.n == 0:
            return other
        if other.n == 0:
            return self
        n = self.n + other.n
        dx = other.mean_x - self.mean_x
        dy = other.mean_y - self.mean_y
        f = self.n * other.n / n
        return MomentStats(
            n=n,
            mean_x=self.mean_x + dx * (other.n / n),
            mean_y=self.mean_y + dy * (other.n / n),
            cxx=self.cxx + other.cxx + np.outer(dx, dx) * f,
            cxy=self.cxy + other.cxy + dx * dy * f,
            cyy=self.cyy + other.cyy + dy * dy * f,
        )

    def std_x(self) -> Array:
        """Population standard deviation of each feature (0 for a constant feature)."""
        return np.sqrt(np.maximum(np.diag(self.cxx) / self.n, 0.0))

    def loss(self, w: Array, b: float) -> float:
        """Mean squared error of ``X w + b`` against ``y``, in O(d^2)."""
        r = b + float(self.mean_x @ w) - self.mean_y
        quad = float(w @ self.cxx @ w) - 2.0 * float(w @ self.cxy) + self.cyy
        return max(quad, 0.0) / self.n + r * r

    def grad(self, w: Array, b: float) -> tuple[Array, float]:
        """Gradient ``((2/n) X^T (Xw + b - y), 2 mean(Xw + b - y))`` in O(d^2)."""
        r = b + float(self.mean_x @ w) - self.mean_y
        gw = (2.0 / self.n) * (self.cxx @ w - self.cxy) + 2.0 * r * self.mean_x
        return gw, 2.0 * r


#: Rows per block of the centred products in :func:`moment_stats`.
_BLOCK = 1 << 16


def moment_stats(X: Array, y: Array) -> MomentStats:
    """Exact statistics of an in-memory block (two passes: means, then centred products)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    if n == 0:
        d = X.shape[1] if X.ndim == 2 else 0
        return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)
    mx = X.mean(axis=0)
    my = float(y.mean())
    if n <= _BLOCK:
        Xc = X - mx
        yc = y - my
        cxx, cxy, cyy = Xc.T @ Xc, Xc.T @ yc, float(yc @ yc)
    else:  # the centred copy one block at a time: memory stays O(block x d), not a 2nd X
        d = X.shape[1]
        cxx, cxy, cyy = np.zeros((d, d)), np.zeros(d), 0.0
        for lo in range(0, n, _BLOCK):
            Xc = X[lo : lo + _BLOCK] - mx
            yc = y[lo : lo + _BLOCK] - my
            cxx += Xc.T @ Xc
            cxy += Xc.T @ yc
            cyy += float(yc @ yc)
    return MomentStats(
        n=n,
        mean_x=mx,
        mean_y=my,
        cxx=cxx,
        cxy=cxy,
        cyy=cyy,
    )


def residual_compensated(X: Array, y: Array, b: float, w: Array) -> Array:
    """``y - b - X w`` to (nearly) twice the working precision, rounded to float64.

    Each product and sum is made error-free (Dekker's TwoProduct, Knuth's TwoSum) and the
    errors are summed apart (Ogita, Rump & Oishi 2005, *SIAM J. Sci. Comput.* 26, "Dot2"):
    the result is exact to about ``eps |r| + eps^2 sum |x w|``. Where ``X w`` is large and the
    residual small (a polynomial's ``x^10`` column, a large offset), the float64 residual is
    rounding noise, and refinement on it cannot go past it.
    """

    def two_sum(a: Array, c: Array) -> tuple[Array, Array]:
        s = a + c
        z = s - a
        return s, (a - (s - z)) + (c - z)

    def split(a: Any) -> tuple[Any, Any]:
        t = 134217729.0 * a  # 2^27 + 1
        hi = t - (t - a)
        return hi, a - hi

    s = np.array(y, dtype=np.float64, copy=True)
    s, e = two_sum(s, np.full_like(s, -float(b)))
    wh, wl = split(-np.asarray(w, dtype=np.float64))
    for j in range(X.shape[1]):
        x = X[:, j]
        p = x * -float(w[j])
        xh, xl = split(x)
        pe = ((xh * wh[j] - p) + xh * wl[j] + xl * wh[j]) + xl * wl[j]
        s, t = two_sum(s, p)
        e += t + pe
    return s + e
