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

__all__ = [
    "MomentStats",
    "centred_moments",
    "check_sample_weight",
    "moment_stats",
    "residual_compensated",
    "residual_pair",
    "dd_block_rows",
    "residual_sums_dd",
    "weighted_moment_stats",
]


@dataclass(frozen=True)
class MomentStats:
    """Count, means and centred cross-products of ``(X, y)``.

    Weighted rows (``sum_w`` set, the total weight ``W = sum_i s_i``): the means are weighted,
    ``mx = sum_i s_i x_i / W``, and the cross-products are those of the weights normalised to
    the row count, ``Cxx = (n / W) sum_i s_i (x_i - mx)(x_i - mx)^T`` (likewise ``cxy``,
    ``cyy``). Every formula written for unweighted rows then holds unchanged: ``loss`` is the
    weighted mean ``sum_i s_i r_i^2 / W``, and ``merge`` combines chunks by their weights.
    """

    n: int
    mean_x: Array  # (d,)
    mean_y: float
    cxx: Array  # (d, d)
    cxy: Array  # (d,)
    cyy: float
    sum_w: float | None = None  # total sample weight; None: unweighted (every weight 1)

    @property
    def weight(self) -> float:
        """The total weight ``W`` (the row count when unweighted)."""
        return float(self.n) if self.sum_w is None else float(self.sum_w)

    @property
    def d(self) -> int:
        return int(self.mean_x.shape[0])

    def merge(self, other: MomentStats) -> MomentStats:
        """Statistics of the concatenation of both data sets (Chan et al. 1979, eq. 2.1b)."""
        if self.n == 0:
            return other
        if other.n == 0:
            return self
        if self.sum_w is not None or other.sum_w is not None:
            return self._merge_weighted(other)
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

    def _merge_weighted(self, other: MomentStats) -> MomentStats:
        """Chan et al.'s update with the weights ``W_a, W_b`` in place of the counts.

        On the raw weighted products ``C_raw = (W / n) C``:
        ``C_raw = C_raw,a + C_raw,b + (W_a W_b / W) dx dx^T``, then normalised to the new count.
        """
        wa, wb = self.weight, other.weight
        W = wa + wb
        n = self.n + other.n
        dx = other.mean_x - self.mean_x
        dy = other.mean_y - self.mean_y
        f = wa * wb / W
        ra, rb, back = wa / self.n, wb / other.n, n / W  # normalised -> raw -> normalised
        return MomentStats(
            n=n,
            mean_x=self.mean_x + dx * (wb / W),
            mean_y=self.mean_y + dy * (wb / W),
            cxx=(self.cxx * ra + other.cxx * rb + np.outer(dx, dx) * f) * back,
            cxy=(self.cxy * ra + other.cxy * rb + dx * dy * f) * back,
            cyy=(self.cyy * ra + other.cyy * rb + dy * dy * f) * back,
            sum_w=W,
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


def _column_means(X: Array) -> Array:
    """``X.mean(axis=0)``, bit for bit. For a row-major ``X`` of >= 2 columns NumPy's reduction
    adds the rows one after another into the ``d`` sums; ``einsum('ij->j')`` adds them in the
    same order, 2-3x faster (1e4 x 5: 70 instead of 200 us). Otherwise (one column, column-major:
    the reduction is along contiguous memory, summed pairwise) NumPy's own."""
    if X.ndim == 2 and X.shape[1] >= 2 and X.flags.c_contiguous:
        return np.einsum("ij->j", X) / X.shape[0]
    return X.mean(axis=0)


def moment_stats(X: Array, y: Array) -> MomentStats:
    """Exact statistics of an in-memory block (two passes: means, then centred products)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    if n == 0:
        d = X.shape[1] if X.ndim == 2 else 0
        return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)
    return centred_moments(X, y, _column_means(X), float(y.mean()))


def centred_moments(X: Array, y: Array, mx: Array, my: float) -> MomentStats:
    """:class:`MomentStats` of ``(X, y)`` (float64, ``n >= 1`` rows) about the given means
    ``mx``, ``my``: the second pass of :func:`moment_stats`, ``Cxx = (X - mx)^T (X - mx)``
    etc., on centred copies of ``_BLOCK`` rows at a time."""
    n = X.shape[0]
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


def check_sample_weight(sample_weight: Any, n: int) -> Array | None:
    """``sample_weight`` as ``(n,)`` float64, or ``None`` for unweighted rows.

    Raises :class:`~descend.errors.InputError` naming the problem: not numbers, not one weight
    per row, NaN/inf, negative, or all zero. A scalar gives every row that weight.
    """
    from descend.errors import InputError

    if sample_weight is None:
        return None
    try:
        sw = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"sample_weight must be numbers, one per row: {exc}") from None
    if sw.ndim == 0:
        sw = np.full(n, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n:
        raise InputError(
            f"sample_weight has shape {sw.shape} but X has {n} rows; give one weight per row"
        )
    if not np.isfinite(sw).all():
        bad = int(np.flatnonzero(~np.isfinite(sw))[0])
        raise InputError(
            f"sample_weight[{bad}] is {sw[bad]}; weights must be finite numbers >= 0")
    if (sw < 0).any():
        bad = int(np.flatnonzero(sw < 0)[0])
        raise InputError(
            f"sample_weight[{bad}] is {sw[bad]:g}; weights must be >= 0 (0 drops a row)")
    if not (sw > 0).any():
        raise InputError("sample_weight is zero for every row; give at least one row a positive "
                         "weight")
    return sw


def weighted_moment_stats(X: Array, y: Array, sample_weight: Array) -> MomentStats:
    """Exact weighted statistics of an in-memory block (see :class:`MomentStats`).

    With weights ``s_i`` (validated: finite, >= 0, not all zero), ``W = sum s_i``:
    ``mx = sum s_i x_i / W``, ``Cxx = (n / W) sum s_i (x_i - mx)(x_i - mx)^T`` (two passes,
    as :func:`moment_stats`).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    s = np.asarray(sample_weight, dtype=np.float64)
    n = X.shape[0]
    W = float(s.sum())
    p = s / W
    mx = p @ X
    my = float(p @ y)
    Xc = X - mx
    yc = y - my
    sn = s * (n / W)  # the weights normalised to the row count
    return MomentStats(
        n=n,
        mean_x=mx,
        mean_y=my,
        cxx=Xc.T @ (Xc * sn[:, None]),
        cxy=Xc.T @ (sn * yc),
        cyy=float(yc @ (sn * yc)),
        sum_w=W,
    )


def _two_sum(a: Any, c: Any) -> tuple[Any, Any]:
    """``s + e == a + c`` exactly, ``s = fl(a + c)`` (Knuth's TwoSum), elementwise."""
    s = a + c
    z = s - a
    return s, (a - (s - z)) + (c - z)


def _split(a: Any) -> tuple[Any, Any]:
    """``a = hi + lo`` with each half 26 bits or fewer (Dekker's split, ``2^27 + 1``)."""
    t = 134217729.0 * a
    hi = t - (t - a)
    return hi, a - hi


def _prod_error(a: Any, c: Any, p: Any) -> Any:
    """``a c - p`` exactly for ``p = fl(a c)`` (Dekker's TwoProduct), elementwise."""
    ah, al = _split(a)
    ch, cl = _split(c)
    return ((ah * ch - p) + ah * cl + al * ch) + al * cl


def residual_pair(X: Array, y: Array, b: float, w: Array) -> tuple[Array, Array]:
    """``r = y - b - X w`` as a double-double ``h + l`` per row (``h = fl(h + l)``).

    Each product and sum is made error-free (Dekker's TwoProduct, Knuth's TwoSum) and the
    errors are summed apart (Ogita, Rump & Oishi 2005, *SIAM J. Sci. Comput.* 26, "Dot2"):
    ``h + l`` is exact to about ``eps^2 (|r| + sum |x w|)``, the same per-row arithmetic as
    the compiled pass (:mod:`descend.kernels._dot2`).
    """
    s, e = _two_sum(np.array(y, dtype=np.float64, copy=True), -float(b))
    wn = -np.asarray(w, dtype=np.float64)
    for j in range(X.shape[1]):
        x = X[:, j]
        p = x * wn[j]
        s, t = _two_sum(s, p)
        e += t + _prod_error(x, wn[j], p)
    h = s + e
    return h, e - (h - s)


def residual_compensated(X: Array, y: Array, b: float, w: Array) -> Array:
    """``y - b - X w`` to (nearly) twice the working precision, rounded to float64.

    The high part of :func:`residual_pair`: exact to about ``eps |r| + eps^2 sum |x w|``.
    Where ``X w`` is large and the residual small (a polynomial's ``x^10`` column, a large
    offset), the float64 residual is rounding noise, and refinement on it cannot go past it.
    """
    return residual_pair(X, y, b, w)[0]


def dd_block_rows(d: int) -> int:
    """Rows per block of the Dot2 pass (~128 KiB of ``X``), the compiled kernel's
    (:mod:`descend.kernels._dot2`) and :func:`residual_sums_dd`'s: each block sums apart, the
    blocks' pairs then in order (a sum's error grows with its length); the same blocks, the
    same order of every sum, the same bits."""
    return max(64, min(4096, (1 << 14) // max(d, 1)))


def _sequential_sum2(P: Array, Q: Array) -> tuple[Array, Array]:
    """Column sums of the pairs ``P + Q`` of each block ``P[k]`` (``(blocks, rows, columns)``)
    as the compiled pass adds them, row after row: ``s`` by TwoSum (``s_i = fl(s_{i-1} + p_i)``,
    its error ``t_i``), ``e_i = fl(e_{i-1} + fl(t_i + q_i))``, both from 0. ``s`` is NumPy's
    ``cumsum`` (an accumulation is sequential, unlike a reduction's pairwise sum); every
    ``t_i`` then follows from two neighbouring partial sums. ``P`` and ``Q`` are overwritten;
    returns each block's ``(s, e)``."""
    P[:, 0] += 0.0  # fl(0 + p) is p, but +0 for -0 (the kernel starts from 0)
    S = np.cumsum(P, axis=1)
    s, a, p = S[:, 1:], S[:, :-1], P[:, 1:]
    T = np.empty_like(P)  # fl(t_i + q_i); t_0 = 0: the first row's sum is exact
    np.add(Q[:, 0], 0.0, out=T[:, 0])
    z = s - a
    t = np.subtract(s, z, out=T[:, 1:])
    np.subtract(a, t, out=t)
    np.subtract(p, z, out=z)
    t += z
    t += Q[:, 1:]
    return S[:, -1], np.cumsum(T, axis=1, out=T)[:, -1]


def _block_terms(X: Array, y: Array, b: float, w: Array, m: Array) -> tuple[Array, Array]:
    """Per row the high terms ``P = (z_h h, h, h^2)`` and the low ones ``Q`` of ``(z r, r,
    r^2)`` (see :func:`residual_sums_dd`)."""
    d = X.shape[1]
    h, l_ = residual_pair(X, y, b, w)
    zh, zl = _two_sum(X, -m)
    hc, lc = h[:, None], l_[:, None]
    P = np.empty((h.shape[0], d + 2))
    np.multiply(zh, hc, out=P[:, :d])
    P[:, d] = h
    np.multiply(h, h, out=P[:, d + 1])
    Q = np.empty_like(P)
    Q[:, :d] = _prod_error(zh, hc, P[:, :d]) + zh * lc + zl * hc
    Q[:, d] = l_
    Q[:, d + 1] = _prod_error(h, h, P[:, d + 1]) + 2.0 * h * l_
    return P, Q


#: elements of ``X`` whose terms one step of :func:`residual_sums_dd` forms at once (~10
#: temporaries of this size), whole blocks of the kernel's at a time
_DD_CHUNK = 1 << 17


def residual_sums_dd(X: Array, y: Array, b: float, w: Array, m: Array,
                     rows: int | None = None) -> tuple[Array, float, float]:
    """``((X - m)^T r, sum r, r . r)`` at ``r = y - b - X w`` in NumPy, each as accurate as
    twice float64's precision rounded once: the compiled Dot2 pass's arithmetic
    (:func:`descend.kernels.residual_sums`), so a fit gives the same numbers with or without it.

    Per row ``r = h + l`` (:func:`residual_pair`), ``z = x - m = z_h + z_l`` (TwoSum) and
    ``z r = z_h h + err(z_h h) + z_h l + z_l h``; ``r^2 = h^2 + err(h^2) + 2 h l``. Per block
    of ``rows`` rows (default the kernel's, :func:`dd_block_rows`) the high terms are added
    row after row by TwoSum and the low ones with the TwoSums' errors
    (:func:`_sequential_sum2`), then the blocks' pairs in order by TwoSum: the kernel's sums in
    the kernel's order, so its bits (a double-double sum is not correctly rounded: where ``Z^T
    r`` cancels to ~1e-17 of its terms, as at the answer, another order gives other last bits).

    >>> X = np.array([[1e16, 1.0], [1.0, 1.0]]); y = np.array([1e16 + 2.0, 3.0])
    >>> zr, sr, rr = residual_sums_dd(X, y, 0.0, np.array([1.0, 1.0]), np.zeros(2))
    >>> zr.tolist(), sr, rr
    ([1e+16, 2.0], 2.0, 2.0)
    """
    n, d = X.shape
    rows = dd_block_rows(d) if rows is None else max(int(rows), 1)
    m = np.asarray(m, dtype=np.float64)
    step = rows * max(1, _DD_CHUNK // (rows * max(d, 1)))
    acc = np.zeros(d + 2)
    acc_e = np.zeros(d + 2)
    for lo in range(0, n, step):
        P, Q = _block_terms(X[lo : lo + step], y[lo : lo + step], b, w, m)
        full = P.shape[0] // rows * rows
        parts = []
        if full:
            parts.append(_sequential_sum2(P[:full].reshape(-1, rows, d + 2),
                                          Q[:full].reshape(-1, rows, d + 2)))
        if full < P.shape[0]:
            parts.append(_sequential_sum2(P[None, full:], Q[None, full:]))
        for s_blk, e_blk in parts:
            for k in range(s_blk.shape[0]):  # the blocks' pairs in order, as the kernel merges
                acc, t = _two_sum(acc, s_blk[k])
                acc_e += t + e_blk[k]
    out = acc + acc_e
    return out[:d], float(out[d]), float(out[d + 1])
