"""The NumPy paths: the same passes as the compiled kernels, blocked so temporaries stay small.

Used without numba, and on a first run before a kernel has compiled (see :mod:`._stamps`).
They give the kernels' numbers to rounding (tested to 1e-10 relative).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.data.stats import MomentStats, moment_stats
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


def stats_numpy(X: Any, y: Any, block: int) -> MomentStats:
    """Two-pass moments per chunk, merged (Chan et al.); means carried relative to the first
    row, as in the compiled kernel, so large means and drifts keep their low digits."""
    n = X.shape[0]
    gx = np.asarray(X[0], dtype=np.float64)
    gy = float(y[0])
    acc = moment_stats(np.zeros((0, X.shape[1])), np.zeros(0))
    step = block * 16
    for lo in range(0, n, step):
        Xc = np.asarray(X[lo : lo + step], dtype=np.float64) - gx
        yc = np.asarray(y[lo : lo + step], dtype=np.float64) - gy
        acc = acc.merge(moment_stats(Xc, yc))
    return MomentStats(n=acc.n, mean_x=acc.mean_x + gx, mean_y=acc.mean_y + gy,
                       cxx=acc.cxx, cxy=acc.cxy, cyy=acc.cyy)


def predict_numpy(A: Any, w: Array, b: float, out: Array) -> Array:
    """``out[:] = A w + b``."""
    np.matmul(A, w, out=out, casting="unsafe")
    out += float(b)
    return out
