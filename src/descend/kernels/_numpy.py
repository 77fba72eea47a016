"""The NumPy paths: the same passes as the compiled kernels, blocked so temporaries stay small.

Used without numba, and on a first run before a kernel has compiled (see :mod:`._stamps`).
They give the kernels' numbers to rounding (tested to 1e-10 relative).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.data.stats import MomentStats, centred_moments
from descend.kernels._common import Array


def psi_numpy(r: Array, loss: int, eps: float) -> tuple[float, Array]:
    """``(sum of h(r), psi(r))`` for the loss code ``loss`` (see ``_jit.psi``)."""
    if loss == 0:
        return float(r @ r), 2.0 * r
    if loss == 1:  # as the kernel: m = min(|r|, eps), h = m (2|r| - m); in place, 3 temporaries
        a = np.abs(r)
        m = np.minimum(a, eps)
        a *= 2.0
        a -= m
        lval = float(m @ a)
        p = np.clip(r, -eps, eps, out=m)
        p *= 2.0
        return lval, p
    return float(np.abs(r).sum()), np.sign(r)


def numpy_rows(d: int) -> int:
    """Rows per block of the NumPy passes: ~16 MB of float64, so BLAS and the ufuncs run on
    long arrays (131072-row blocks of a huber gradient at d = 10 took 3.9 ms, 26214-row
    blocks 6.6 ms) while the temporaries stay a few MB."""
    return int(max(4096, (16 << 20) // (8 * max(1, d))))


def grad_numpy(X: Any, y: Any, w: Array, b: float, loss: int, eps: float,
               block: int) -> tuple[float, Array, float]:
    """Sums (not means) of ``h(r)``, ``X^T psi(r)`` and ``psi(r)``, block by block."""
    n, d = X.shape
    g = np.zeros(d)
    gb = 0.0
    ls = 0.0
    for lo in range(0, n, block):
        Xb = np.asarray(X[lo : lo + block], dtype=np.float64)
        r = Xb @ w + (b - np.asarray(y[lo : lo + block], dtype=np.float64))
        lv, p = psi_numpy(r, loss, eps)
        ls += lv
        g += Xb.T @ p
        gb += float(p.sum())
    return ls, g, gb


def grad_batched_numpy(X: Any, y: Any, W: Array, B: Array, loss: int, eps: float,
                       block: int) -> tuple[Array, Array, Array]:
    """:func:`grad_numpy` for ``R`` parameter sets (rows of ``W``, entries of ``B``)."""
    n, d = X.shape
    R = W.shape[0]
    G = np.zeros((R, d))
    GB = np.zeros(R)
    LS = np.zeros(R)
    for lo in range(0, n, block):
        Xb = np.asarray(X[lo : lo + block], dtype=np.float64)
        yb = np.asarray(y[lo : lo + block], dtype=np.float64)
        Rr = Xb @ W.T + (B[None, :] - yb[:, None])  # (m, R)
        for q in range(R):
            lv, p = psi_numpy(Rr[:, q], loss, eps)
            LS[q] += lv
            G[q] += Xb.T @ p
            GB[q] += float(p.sum())
    return LS, G, GB


def column_sums2(A: Array) -> tuple[Array, Array]:
    """The column sums of ``A`` (``m x k`` float64) as double-double pairs ``(hi, lo)``, exact
    to about ``m eps^2 max |x|`` per column.

    Each value is split on a grid fixed per column, ``x = h + l`` with ``h = (x + c) - c``,
    ``c = 1.5 * 2^(t+1)``, ``2^t > m max|x|``: every ``h`` is a multiple of ``ulp(c)`` and
    their partial sums stay below ``2^53 ulp(c)``, so ``sum h`` is exact in any order (as
    NumPy's pairwise sum adds them); ``l = x - h`` is exact, ``|l| <= ulp(c) / 2``, and its
    float64 sum errs by ``~m eps ulp(c)``. (A column too large for the grid, ``m max|x|``
    near overflow, is summed plainly.)
    """
    m = A.shape[0]
    top = np.abs(A).max(axis=0) * m
    ok = np.isfinite(top)
    _, t = np.frexp(np.where(ok, top, 1.0))
    c = np.where(ok, np.ldexp(1.5, t + 1), 0.0)
    H = A + c
    H -= c
    L = np.subtract(A, H, out=np.zeros_like(A), where=ok)
    return H.sum(axis=0), L.sum(axis=0)


def exact_means(X: Any, y: Any, rows: int) -> tuple[Array, float]:
    """The means of the columns of ``X`` and of ``y``, each within about one ulp: their sums
    in double-double (:func:`column_sums2` per block of ``rows`` rows, the blocks' pairs
    added with TwoSum), rounded once, divided by ``n``."""
    n, d = X.shape
    h = np.zeros(d + 1)
    lo = np.zeros(d + 1)
    for start in range(0, n, rows):
        Z = np.empty((min(n, start + rows) - start, d + 1))
        Z[:, :d] = X[start : start + rows]
        Z[:, d] = y[start : start + rows]
        bh, bl = column_sums2(Z)
        s = h + bh  # TwoSum (Knuth), elementwise
        z = s - h
        lo += ((h - (s - z)) + (bh - z)) + bl
        h = s
    mean = (h + lo) / n
    return mean[:d], float(mean[d])


def stats_numpy(X: Any, y: Any, block: int) -> MomentStats:
    """The moments in two passes: the means exact to about one ulp (:func:`exact_means`, as
    the compiled kernel's), then the centred products about them (the second pass of
    :func:`~descend.data.stats.moment_stats`). ``block``: the kernel's block (unused here;
    the NumPy passes take ``numpy_rows``)."""
    mx, my = exact_means(X, y, max(1024, (1 << 17) // (X.shape[1] + 1)))  # ~1 MB: in cache
    if X.dtype != np.float64 or y.dtype != np.float64:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    return centred_moments(X, y, mx, my)


def predict_numpy(A: Any, w: Array, b: float, out: Array) -> Array:
    """``out[:] = A w + b``."""
    np.matmul(A, w, out=out, casting="unsafe")
    out += float(b)
    return out
