"""Fused single-pass kernels: every full pass over ``X`` reads it once, at memory speed.

A naive NumPy gradient ``(2/n) X^T (X w + b - y)`` reads ``X`` twice and writes two n-sized
temporaries; on a 2-core machine that is 0.1-0.3 of what the memory can deliver. Here each
pass is one loop over rows compiled by numba, parallel over blocks of rows: a row is loaded
once, its residual ``r_i = x_i.w + b - y_i`` formed in registers, and ``x_i * psi(r_i)``
accumulated into a per-block partial sum; the partials are added at the end.

Statistics (:class:`~descend.data.stats.MomentStats`) are computed per block of rows that
fits in cache -- block means, then centred products from cache -- and the blocks merged with
Chan, Golub & LeVeque (1979, eq. 2.1b). Memory is read once and the result is as accurate as
the two-pass NumPy reference, even for data with a large mean and a small spread.

Inputs may be float64 or float32; accumulation is always in float64. Without numba every
function falls back to a blocked NumPy path with the same answers (to rounding).

Losses (``r = x.w + b - y``; the objective is the mean over rows):

- ``squared_error``: ``r^2``, ``psi(r) = 2 r``
- ``huber``: ``r^2`` if ``|r| <= epsilon`` else ``epsilon (2 |r| - epsilon)``,
  ``psi(r) = 2 clip(r, -epsilon, epsilon)`` (Huber's loss times two, so a large epsilon is the
  squared error -- the convention of :mod:`descend.models.losses`)
- ``absolute_error``: ``|r|``, ``psi(r) = sign(r)`` (a subgradient; 0 at 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import InputError

Array = NDArray[np.float64]

__all__ = [
    "HAVE_NUMBA",
    "LOSSES",
    "kernel_threads",
    "loss_and_grad_batched_fast",
    "loss_and_grad_fast",
    "moment_stats_fast",
    "predict_fast",
    "read_pass",
]

LOSSES = ("squared_error", "huber", "absolute_error")
_LOSS_CODE = {name: i for i, name in enumerate(LOSSES)}

try:  # numba is a dependency, but keep working (slower) where it cannot be imported.
    if os.environ.get("DESCEND_NO_NUMBA"):
        raise ImportError("disabled by DESCEND_NO_NUMBA")
    import numba
    from numba import prange

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised through DESCEND_NO_NUMBA in the tests
    numba = None  # type: ignore[assignment]
    prange = range  # type: ignore[misc,assignment]
    HAVE_NUMBA = False

# Rows per block: big enough that per-block overhead (an O(d^2) merge, a partial vector)
# vanishes, small enough that a block of X stays in L2 for the second in-cache sweep.
_BLOCK_BYTES = 256 * 1024


_FASTMATH = {"reassoc", "contract"}


def _block_rows(d: int, itemsize: int) -> int:
    return int(max(256, min(65536, _BLOCK_BYTES // max(1, d * itemsize))))


# Rows per block for streaming passes (gradient, prediction): ~2 MB, so the hardware
# prefetchers see long runs; measured 2x faster than 256 KB blocks for d = 10.
_PASS_BYTES = 2 * 1024 * 1024


def _pass_rows(d: int, itemsize: int) -> int:
    return int(max(1024, _PASS_BYTES // max(1, d * itemsize)))


def _jit(fn: Any) -> Any:
    if not HAVE_NUMBA:
        return fn
    # Reassociation lets LLVM vectorise the reductions (dot products, sums) with several
    # accumulators; without it a d-term dot product is one serial chain of FMAs, latency-bound.
    # Results stay deterministic: blocks are fixed by n and d, not by the thread count, and
    # their partials are added in block order.
    return numba.njit(parallel=True, fastmath=_FASTMATH, cache=True, nogil=True)(fn)


# ----------------------------------------------------------------------------------------
# numba kernels (compiled on first use per dtype/layout; cached on disk)
# ----------------------------------------------------------------------------------------


def _read_kernel(words, block):  # pragma: no cover - compiled
    # integer adds of 64-bit words: vectorised for any dtype, no float quirks (denormals)
    n = words.shape[0]
    nb = (n + block - 1) // block
    part = np.zeros(nb, dtype=np.uint64)
    for k in prange(nb):
        lo = k * block
        hi = min(n, lo + block)
        s = np.uint64(0)
        for i in range(lo, hi):
            s += words[i]
        part[k] = s
    tot = np.uint64(0)
    for k in range(nb):
        tot += part[k]
    return tot


_SPECIALISE_UP_TO = 32  # d known at compile time: loops over features fully unrolled


def _make_kernels(D: int, LOSS: int) -> dict[str, Any]:
    """Row kernels for ``d == D`` (``D <= 0``: any d) and loss code ``LOSS``, both constants.

    numba treats closure variables as compile-time constants, so the loops over features
    unroll and the loss branch disappears from the inner loop."""

    def _grad_kernel(X, y, w, b, loss, eps, block):  # pragma: no cover - compiled
        n = X.shape[0]
        d = D if D > 0 else X.shape[1]
        nb = (n + block - 1) // block
        gpart = np.zeros((nb, d))
        bpart = np.zeros(nb)
        lpart = np.zeros(nb)
        for k in prange(nb):
            lo = k * block
            hi = min(n, lo + block)
            g = np.zeros(d)
            gb = 0.0
            ls = 0.0
            for i in range(lo, hi):
                r = b - y[i]
                for j in range(d):
                    r += X[i, j] * w[j]
                if LOSS == 0:  # squared_error
                    ls += r * r
                    p = 2.0 * r
                elif LOSS == 1:  # huber, branch-free: m = min(|r|, eps), m (2|r| - m)
                    a = abs(r)
                    m = min(a, eps)
                    ls += m * (2.0 * a - m)
                    p = 2.0 * max(-eps, min(r, eps))
                else:  # absolute_error
                    ls += abs(r)
                    p = np.sign(r)
                gb += p
                for j in range(d):
                    g[j] += X[i, j] * p
            gpart[k] = g  # not gpart[k, :]: numba then keeps g out of registers (2.4x slower)
            bpart[k] = gb
            lpart[k] = ls
        return lpart.sum(), gpart.sum(axis=0), bpart.sum()


    def _grad_batched_kernel(X, y, WT, B, loss, eps, block):  # pragma: no cover - compiled
        # WT: (d, R), runs along the fast axis, so every update below is a vector over runs:
        # r[:] += x_ij * WT[j, :], then g[j, :] += x_ij * p[:]. One read of X feeds all runs.
        n = X.shape[0]
        d = D if D > 0 else X.shape[1]
        R = WT.shape[1]
        nb = (n + block - 1) // block
        gpart = np.zeros((nb, d, R))
        bpart = np.zeros((nb, R))
        lpart = np.zeros((nb, R))
        for k in prange(nb):
            lo = k * block
            hi = min(n, lo + block)
            g = np.zeros((d, R))
            gb = np.zeros(R)
            ls = np.zeros(R)
            r = np.empty(R)
            p = np.empty(R)
            for i in range(lo, hi):
                yi = np.float64(y[i])
                for q in range(R):
                    r[q] = B[q] - yi
                for j in range(d):
                    xij = np.float64(X[i, j])
                    for q in range(R):
                        r[q] += xij * WT[j, q]
                for q in range(R):
                    rq = r[q]
                    if LOSS == 0:
                        ls[q] += rq * rq
                        p[q] = 2.0 * rq
                    elif LOSS == 1:
                        a = abs(rq)
                        m = min(a, eps)
                        ls[q] += m * (2.0 * a - m)
                        p[q] = 2.0 * max(-eps, min(rq, eps))
                    else:
                        ls[q] += abs(rq)
                        p[q] = np.sign(rq)
                    gb[q] += p[q]
                for j in range(d):
                    xij = np.float64(X[i, j])
                    for q in range(R):
                        g[j, q] += xij * p[q]
            gpart[k] = g
            bpart[k] = gb
            lpart[k] = ls
        return lpart.sum(axis=0), gpart.sum(axis=0).T.copy(), bpart.sum(axis=0)

    def _predict_kernel(X, w, b, out, block):  # pragma: no cover - compiled
        n = X.shape[0]
        d = D if D > 0 else X.shape[1]
        nb = (n + block - 1) // block
        for k in prange(nb):
            lo = k * block
            hi = min(n, lo + block)
            for i in range(lo, hi):
                s = b
                for j in range(d):
                    s += X[i, j] * w[j]
                out[i] = s
        return out


    def _stats_kernel(X, y, block):  # pragma: no cover - compiled
        """Per-block centred moments of z = [x, y] (the products a GEMM on a float64 tile in
        cache), merged with Chan et al. within fixed groups of blocks, then across groups."""
        n = X.shape[0]
        d = D if D > 0 else X.shape[1]
        e = d + 1
        nb = (n + block - 1) // block
        sh = np.empty(e)
        for j in range(d):
            sh[j] = X[0, j]
        sh[d] = np.float64(y[0])
        # Groups are fixed by n and d (not by the thread count), each merged in block order:
        # the result does not depend on the number of threads. One scratch tile per group.
        ngroups = min(nb, 64)
        per = (nb + ngroups - 1) // ngroups
        gcnt = np.zeros(ngroups)
        gmu = np.zeros((ngroups, e))
        gc = np.zeros((ngroups, e, e))
        for grp in prange(ngroups):
            tile = np.empty((e, block))
            cb = np.empty((e, e))
            N = 0.0
            MU = np.zeros(e)
            C = np.zeros((e, e))
            for k in range(grp * per, min(nb, (grp + 1) * per)):
                lo = k * block
                hi = min(n, lo + block)
                m = hi - lo
                # pass 1 (from memory): widen to float64 offsets from the first row of the data
                # into a column-major tile, summing as we go. Offsets keep full precision where
                # the data sit far from 0 (values ~1e8 with unit spread).
                acc = np.zeros(e)
                for i in range(m):
                    for j in range(d):
                        v = np.float64(X[lo + i, j]) - sh[j]
                        tile[j, i] = v
                        acc[j] += v
                    v = np.float64(y[lo + i]) - sh[d]
                    tile[d, i] = v
                    acc[d] += v
                mu = acc / m
                # pass 2 (from cache): centre each column, then the cross-products as dots
                # along rows, four columns at a time (one load of column j feeds four FMAs)
                for j in range(e):
                    cj = tile[j]
                    mj = mu[j]
                    for i in range(m):
                        cj[i] -= mj
                for j in range(e):
                    cj = tile[j]
                    t = j
                    while t + 4 <= e:
                        c0 = tile[t]
                        c1 = tile[t + 1]
                        c2 = tile[t + 2]
                        c3 = tile[t + 3]
                        s0 = 0.0
                        s1 = 0.0
                        s2 = 0.0
                        s3 = 0.0
                        for i in range(m):
                            a = cj[i]
                            s0 += a * c0[i]
                            s1 += a * c1[i]
                            s2 += a * c2[i]
                            s3 += a * c3[i]
                        cb[j, t] = s0
                        cb[j, t + 1] = s1
                        cb[j, t + 2] = s2
                        cb[j, t + 3] = s3
                        t += 4
                    while t < e:
                        ct = tile[t]
                        s0 = 0.0
                        for i in range(m):
                            s0 += cj[i] * ct[i]
                        cb[j, t] = s0
                        t += 1
                    for t in range(j):
                        cb[j, t] = cb[t, j]
                # Chan et al. (1979) eq. 2.1b
                tot = N + m
                f = N * m / tot
                dm = mu - MU
                for j in range(e):
                    for q in range(e):
                        C[j, q] += cb[j, q] + dm[j] * dm[q] * f
                MU += dm * (m / tot)
                N = tot
            gcnt[grp] = N
            gmu[grp] = MU
            gc[grp] = C
        N = gcnt[0]
        MU = gmu[0].copy()
        C = gc[0].copy()
        for k in range(1, ngroups):
            nk = gcnt[k]
            tot = N + nk
            f = N * nk / tot
            dm = gmu[k] - MU
            for j in range(e):
                for q in range(e):
                    C[j, q] += gc[k, j, q] + dm[j] * dm[q] * f
            MU += dm * (nk / tot)
            N = tot
        MU += sh
        return MU[:d].copy(), MU[d], C[:d, :d].copy(), C[:d, d].copy(), C[d, d]

    return {
        "grad": _jit(_grad_kernel),
        "grad_batched": _jit(_grad_batched_kernel),
        "predict": _jit(_predict_kernel),
        "stats": _jit(_stats_kernel),
    }


_KERNELS: dict[tuple[int, int], dict[str, Any]] = {}


def _kernels(d: int, loss: int = 0) -> dict[str, Any]:
    key = (d if d <= _SPECIALISE_UP_TO else 0, loss)
    if key not in _KERNELS:
        _KERNELS[key] = _make_kernels(*key)
    return _KERNELS[key]


_read_jit = _jit(_read_kernel)




# ----------------------------------------------------------------------------------------
# NumPy fallbacks (blocked, so temporaries stay small)
# ----------------------------------------------------------------------------------------


def _psi_numpy(r: Array, loss: int, eps: float) -> tuple[float, Array]:
    if loss == 0:
        return float(r @ r), 2.0 * r
    if loss == 1:
        a = np.abs(r)
        small = a <= eps
        lval = float(np.where(small, r * r, eps * (2.0 * a - eps)).sum())
        return lval, 2.0 * np.clip(r, -eps, eps)
    return float(np.abs(r).sum()), np.sign(r)


def _grad_numpy(X, y, w, b, loss, eps, block):  # type: ignore[no-untyped-def]
    n, d = X.shape
    g = np.zeros(d)
    gb = 0.0
    ls = 0.0
    for lo in range(0, n, block):
        Xb = np.asarray(X[lo : lo + block], dtype=np.float64)
        r = Xb @ w + (b - np.asarray(y[lo : lo + block], dtype=np.float64))
        lv, p = _psi_numpy(r, loss, eps)
        ls += lv
        g += Xb.T @ p
        gb += float(p.sum())
    return ls, g, gb


def _grad_batched_numpy(X, y, W, B, loss, eps, block):  # type: ignore[no-untyped-def]
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
            lv, p = _psi_numpy(Rr[:, q], loss, eps)
            LS[q] += lv
            G[q] += Xb.T @ p
            GB[q] += float(p.sum())
    return LS, G, GB


def _stats_numpy(X, y, block):  # type: ignore[no-untyped-def]
    from descend.data.stats import moment_stats

    n = X.shape[0]
    acc = moment_stats(X[:0], y[:0])
    for lo in range(0, n, block * 16):
        acc = acc.merge(moment_stats(X[lo : lo + block * 16], y[lo : lo + block * 16]))
    return acc


# ----------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------


def _as_float_2d(X: Any, name: str = "X") -> NDArray[Any]:
    A = np.asarray(X)
    if A.dtype not in (np.float64, np.float32):
        A = A.astype(np.float64)
    if A.ndim == 1:
        A = A.reshape(-1, 1)
    if A.ndim != 2:
        raise InputError(f"{name} must be 2-D (rows x features); got shape {A.shape}")
    return A


def _as_float_1d(y: Any, n: int, name: str = "y") -> NDArray[Any]:
    v = np.asarray(y)
    if v.dtype not in (np.float64, np.float32):
        v = v.astype(np.float64)
    v = v.reshape(-1)
    if v.shape[0] != n:
        raise InputError(f"{name} has {v.shape[0]} values but X has {n} rows; pass one per row")
    return v


def _loss_code(loss: str) -> int:
    try:
        return _LOSS_CODE[loss]
    except KeyError:
        raise InputError(
            f"loss={loss!r} is not known; use one of {', '.join(LOSSES)}"
        ) from None


@contextmanager
def kernel_threads(n: int | None) -> Iterator[None]:
    """Run the kernels called inside on ``n`` threads (``None``: leave as is).

    Streaming uses one: the reader thread decodes the next chunk on the other core while the
    kernel reduces this one, which beats two kernel threads fighting the reader (measured 0.45 s
    against 0.65 s for 10^7 x 10 rows of Parquet on 2 cores).
    """
    if n is None or not HAVE_NUMBA:
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    try:
        yield
    finally:
        numba.set_num_threads(old)


def read_pass(X: Any) -> int:
    """Read every byte of ``X`` once, as fast as the machine allows: the bandwidth limit.

    Returns a checksum (the sum of ``X``'s 64-bit words modulo 2^64) so the read cannot be
    optimised away; its time is what any pass over ``X`` must pay at least. Benchmarks
    report every other pass as a fraction of it.
    """
    A = np.ascontiguousarray(np.asarray(X))
    raw = A.reshape(-1).view(np.uint8)
    k = raw.shape[0] // 8
    tail = int(raw[8 * k :].sum())
    if k == 0:
        return tail
    words = raw[: 8 * k].view(np.uint64)
    if HAVE_NUMBA:
        return int(_read_jit(words, _PASS_BYTES // 8)) + tail
    return int(words.sum(dtype=np.uint64)) + tail


def moment_stats_fast(X: Any, y: Any) -> MomentStats:
    """:class:`MomentStats` of ``(X, y)`` in one read of the data.

    Same answer as :func:`descend.data.stats.moment_stats` (the two-pass reference) to
    rounding; float32 inputs are accumulated in float64.

    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2); y = X @ [1.0, 2.0] + 3.0
    >>> s = moment_stats_fast(X, y)
    >>> s.n, s.mean_x.tolist(), round(s.loss(np.array([1.0, 2.0]), 3.0), 12)
    (6, [5.0, 6.0], 0.0)
    """
    A = _as_float_2d(X)
    v = _as_float_1d(y, A.shape[0])
    n, d = A.shape
    if n == 0:
        return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)
    block = _block_rows(d, A.itemsize)
    if not HAVE_NUMBA:
        return _stats_numpy(A, v, block)  # type: ignore[no-any-return]
    mx, my, cxx, cxy, cyy = _kernels(d)["stats"](A, v, block)
    return MomentStats(n=n, mean_x=mx, mean_y=float(my), cxx=cxx, cxy=cxy, cyy=float(cyy))


def loss_and_grad_fast(
    X: Any,
    y: Any,
    w: Any,
    b: float,
    loss: str = "squared_error",
    epsilon: float = 1.35,
) -> tuple[float, Array, float]:
    """Mean loss and its gradient ``(L, dL/dw, dL/db)`` at ``(w, b)`` in one read of ``X``.

    ``dL/dw = (1/n) X^T psi(X w + b - y)``, ``dL/db = mean(psi(X w + b - y))``; see the
    module docstring for each loss and ``psi``.

    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0]]); y = np.array([1.0, 3.0])
    >>> L, gw, gb = loss_and_grad_fast(X, y, np.array([1.0]), 0.0)
    >>> L, gw.tolist(), gb
    (0.5, [-2.0], -1.0)
    """
    A = _as_float_2d(X)
    n, d = A.shape
    v = _as_float_1d(y, n)
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != d:
        raise InputError(f"w has {wv.shape[0]} coefficients but X has {d} columns")
    if n == 0:
        raise InputError("X has no rows; a loss needs at least one")
    code = _loss_code(loss)
    block = _pass_rows(d, A.itemsize)
    fn = _kernels(d, code)["grad"] if HAVE_NUMBA else _grad_numpy
    ls, g, gb = fn(A, v, wv, float(b), code, float(epsilon), block)
    return float(ls) / n, np.asarray(g, dtype=np.float64) / n, float(gb) / n


def loss_and_grad_batched_fast(
    X: Any,
    y: Any,
    W: Any,
    B: Any,
    loss: str = "squared_error",
    epsilon: float = 1.35,
) -> tuple[Array, Array, Array]:
    """:func:`loss_and_grad_fast` for ``R`` parameter sets at once, in one read of ``X``.

    ``W`` is ``(R, d)``, ``B`` is ``(R,)``; returns losses ``(R,)``, gradients ``(R, d)`` and
    intercept gradients ``(R,)``. This is what makes a learning-rate sweep or a multi-start
    one pass over the data per step instead of ``R``.
    """
    A = _as_float_2d(X)
    n, d = A.shape
    v = _as_float_1d(y, n)
    Wm = np.ascontiguousarray(W, dtype=np.float64)
    if Wm.ndim != 2 or Wm.shape[1] != d:
        raise InputError(f"W must have shape (runs, {d}); got {Wm.shape}")
    Bv = np.ascontiguousarray(B, dtype=np.float64).reshape(-1)
    if Bv.shape[0] != Wm.shape[0]:
        raise InputError(f"B has {Bv.shape[0]} intercepts for {Wm.shape[0]} runs")
    if n == 0:
        raise InputError("X has no rows; a loss needs at least one")
    code = _loss_code(loss)
    block = _pass_rows(d, A.itemsize)
    if HAVE_NUMBA:
        WT = np.ascontiguousarray(Wm.T)
        ls, g, gb = _kernels(d, code)["grad_batched"](A, v, WT, Bv, code, float(epsilon), block)
    else:
        ls, g, gb = _grad_batched_numpy(A, v, Wm, Bv, code, float(epsilon), block)
    return np.asarray(ls) / n, np.asarray(g) / n, np.asarray(gb) / n


def predict_fast(X: Any, w: Any, b: float = 0.0) -> Array:
    """``X w + b`` in one read of ``X`` (float64 output)."""
    A = _as_float_2d(X)
    n, d = A.shape
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != d:
        raise InputError(f"w has {wv.shape[0]} coefficients but X has {d} columns")
    if not HAVE_NUMBA:
        return np.asarray(A @ wv + float(b), dtype=np.float64)
    out = np.empty(n)
    _kernels(d)["predict"](A, wv, float(b), out, _pass_rows(d, A.itemsize))
    return out
