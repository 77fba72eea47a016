"""Fused single-pass kernels: every full pass over ``X`` reads it once, at memory speed.

A naive NumPy gradient ``(2/n) X^T (X w + b - y)`` reads ``X`` twice and writes two n-sized
temporaries; on a 2-core machine that is 0.1-0.3 of what the memory can deliver. Here each
pass is one loop over rows compiled by numba, parallel over blocks of rows: a row is loaded
once, its residual ``r_i = x_i.w + b - y_i`` formed in registers, and ``x_i * psi(r_i)``
accumulated into a per-block partial sum; the partials are added at the end.

Statistics (:class:`~descend.data.stats.MomentStats`) are computed per block of rows whose
float64 tile fits in L1: copied column-major, shifted by the block's first row, the
cross-products formed 4 x 4 columns at a time, centred, and the blocks merged with Chan,
Golub & LeVeque (1979, eq. 2.1b). Memory is read once, and the result is more accurate than
the two-pass NumPy reference for data with a large mean and a small spread, or a drift
(tested against exact rational arithmetic). The pass costs ``(d + 1)(d + 2) / 2`` FMAs per
row: at d = 10 about as long as reading the row, at d = 100 several times longer on any
machine -- there the pass is bound by arithmetic, not memory.

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
    "cache_dir",
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

def cache_dir() -> str:
    """Where compiled kernels are cached: ``$NUMBA_CACHE_DIR`` if set, else the user's cache
    folder (``$XDG_CACHE_HOME/descend/numba``, default ``~/.cache/descend/numba``).

    Not numba's default (``__pycache__`` beside this file): inside an installed package that
    folder may be read-only or shared between users, and a wheel upgrade would leave stale
    entries there.
    """
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        return given
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "descend", "numba")


try:  # numba is a dependency, but keep working (slower) where it cannot be imported.
    if os.environ.get("DESCEND_NO_NUMBA"):
        raise ImportError("disabled by DESCEND_NO_NUMBA")
    os.environ.setdefault("NUMBA_CACHE_DIR", cache_dir())
    import numba
    from numba import prange

    # numba reads NUMBA_CACHE_DIR when it is first imported; if someone imported it before
    # us, point its configuration at the same folder.
    if not getattr(numba.config, "CACHE_DIR", ""):
        setattr(numba.config, "CACHE_DIR", cache_dir())  # noqa: B010 - untyped module
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised through DESCEND_NO_NUMBA in the tests
    numba = None  # type: ignore[assignment]
    prange = range  # type: ignore[misc,assignment]
    HAVE_NUMBA = False

# Rows per block of the statistics pass: the float64 tile of a block (features + target,
# padded to a multiple of 4) fills about two thirds of a 48 KB L1 data cache.
_TILE_BYTES = 32 * 1024


_FASTMATH = {"reassoc", "contract"}


def _block_rows(d: int, itemsize: int = 8) -> int:
    ep = (d + 1 + 3) // 4 * 4
    return int(max(64, min(1024, _TILE_BYTES // (8 * ep))) // 8 * 8)


# Rows per block for streaming passes (gradient, prediction): ~2 MB, so the hardware
# prefetchers see long runs; measured 2x faster than 256 KB blocks for d = 10.
_PASS_BYTES = 2 * 1024 * 1024


def _pass_rows(d: int, itemsize: int) -> int:
    return int(max(1024, _PASS_BYTES // max(1, d * itemsize)))


# Rows per block of the column kernels (F-ordered X): long enough that each column segment
# is a long run for the prefetchers, short enough that the block is read a second time from
# L2 for the gradient. Measured (fraction of the read bandwidth, huber gradient, float64 /
# float32): d = 10 -- 1024 rows 0.65 / 0.54, 4096 0.72 / 0.60, 16384 0.67 / 0.61;
# d = 100 -- 1024 0.65 / 0.69, 4096 0.74 / 0.75, 16384 0.56 / 0.56.
_COL_ROWS = 4096


def _column_major(A: NDArray[Any]) -> bool:
    """True where ``A`` (2-D) is F-ordered and has several columns: the column kernels."""
    return bool(A.shape[1] > 1 and A.flags.f_contiguous and not A.flags.c_contiguous)


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
        # a slice, indexed from 0: numba then knows the index is never negative, drops its
        # wraparound check and vectorises (range(lo, hi) ran 3-5x slower on Zen 4)
        wb = words[k * block : min(n, (k + 1) * block)]
        s = np.uint64(0)
        for i in range(wb.shape[0]):
            s += wb[i]
        part[k] = s
    tot = np.uint64(0)
    for k in range(nb):
        tot += part[k]
    return tot


def _psi_impl(r, eps, loss):  # pragma: no cover - compiled, inlined
    """``(loss value, psi)`` of one residual. The kernels pass ``loss`` as a compile-time
    constant, so after inlining only its branch is left in the inner loop."""
    if loss == 0:  # squared_error
        return r * r, 2.0 * r
    if loss == 1:  # huber, branch-free: m = min(|r|, eps), m (2|r| - m)
        a = abs(r)
        m = min(a, eps)
        return m * (2.0 * a - m), 2.0 * max(-eps, min(r, eps))
    return abs(r), np.sign(r)  # absolute_error


# A module-level function, not one made per loss: numba's disk cache keys a closure by its
# pickled cells, and a cell holding a compiled function pickles differently in every process
# -- the kernels were recompiled (seconds) by every `descend` command, and the cache grew.
# The kernels' closures hold only ints and bools.
_psi = numba.njit(inline="always", fastmath=_FASTMATH)(_psi_impl) if HAVE_NUMBA else _psi_impl


def _columns_into_impl(tile, X, lo, hi, col_major):  # pragma: no cover - compiled, inlined
    """Copy rows ``lo:hi`` of ``X`` (n x d) into ``tile[:d, :hi - lo]`` column by column, in
    float64: the one strided step of the passes that work on columns. Column-major input is
    read through ``X.T`` -- C-contiguous for an F-ordered ``X``, so each column segment is
    a contiguous, vectorised copy (a slice ``X[lo:hi]`` of an F-ordered array has numba's
    layout "A", and its loops stayed scalar: 79 ms for the float64 statistics of 10^7 x 10,
    as slow as the transposing copy). Row-major input is read along rows."""
    m = hi - lo
    d = X.shape[1]
    if col_major:
        XT = X.T
        for j in range(d):
            c = XT[j, lo:hi]  # slices indexed from 0: see _read_kernel
            tj = tile[j]
            for i in range(m):
                tj[i] = c[i]
    else:
        Xb = X[lo:hi]
        for i in range(m):
            for j in range(d):
                tile[j, i] = Xb[i, j]


_columns_into = (numba.njit(inline="always")(_columns_into_impl) if HAVE_NUMBA
                 else _columns_into_impl)


def _add_columns_impl(acc, XT, w, lo, hi):  # pragma: no cover - compiled, inlined
    """``acc[:hi - lo] += XT[:, lo:hi]^T w``: four columns at a time, each a contiguous
    segment, so the loop over rows vectorises (the residuals and predictions of the column
    kernels; the batched pass keeps its own copy of these loops -- through these helpers,
    with a view of W and g per run and 16-row blocks at d = 100, it ran 5-15% slower)."""
    d = XT.shape[0]
    m = hi - lo
    j = 0
    while j + 4 <= d:
        c0 = XT[j, lo:hi]  # slices indexed from 0: see _read_kernel
        c1 = XT[j + 1, lo:hi]
        c2 = XT[j + 2, lo:hi]
        c3 = XT[j + 3, lo:hi]
        w0 = w[j]
        w1 = w[j + 1]
        w2 = w[j + 2]
        w3 = w[j + 3]
        for i in range(m):
            acc[i] += (c0[i] * w0 + c1[i] * w1) + (c2[i] * w2 + c3[i] * w3)
        j += 4
    while j < d:
        c0 = XT[j, lo:hi]
        w0 = w[j]
        for i in range(m):
            acc[i] += c0[i] * w0
        j += 1


def _add_dots_impl(g, XT, p, lo, hi):  # pragma: no cover - compiled, inlined
    """``g += XT[:, lo:hi] p``: four dot products at a time over contiguous column segments,
    sharing each load of ``p`` (the gradients of the column kernels)."""
    d = XT.shape[0]
    m = hi - lo
    j = 0
    while j + 4 <= d:
        c0 = XT[j, lo:hi]
        c1 = XT[j + 1, lo:hi]
        c2 = XT[j + 2, lo:hi]
        c3 = XT[j + 3, lo:hi]
        s0 = s1 = s2 = s3 = 0.0
        for i in range(m):
            pi = p[i]
            s0 += c0[i] * pi
            s1 += c1[i] * pi
            s2 += c2[i] * pi
            s3 += c3[i] * pi
        g[j] += s0
        g[j + 1] += s1
        g[j + 2] += s2
        g[j + 3] += s3
        j += 4
    while j < d:
        c0 = XT[j, lo:hi]
        s0 = 0.0
        for i in range(m):
            s0 += c0[i] * p[i]
        g[j] += s0
        j += 1


_add_columns = (numba.njit(inline="always", fastmath=_FASTMATH)(_add_columns_impl) if HAVE_NUMBA
                else _add_columns_impl)
_add_dots = (numba.njit(inline="always", fastmath=_FASTMATH)(_add_dots_impl) if HAVE_NUMBA
             else _add_dots_impl)


def _make_kernels(LOSS: int, UNROLL: bool = False) -> dict[str, Any]:
    """Row kernels for loss code ``LOSS`` and row unrolling ``UNROLL``, both constants.

    numba treats closure variables as compile-time constants, so the loss branch disappears
    from the inner loop, and the four-row loops of the gradient and the prediction are
    compiled only where they are used (see :func:`_unroll`). The number of features is *not*
    a constant: fully unrolled feature loops stayed scalar (LLVM cannot prove the gradient's
    stores miss ``X``), while a loop over ``d`` is vectorised behind a runtime alias check --
    as fast or faster for every d measured (float32, d = 10: 0.44 -> 0.62 of the read
    bandwidth; d = 25: 0.18-0.84 -> 0.79-0.94).
    """

    def _grad_kernel(X, y, w, b, loss, eps, block):  # pragma: no cover - compiled
        # Four rows at a time: their residuals are four independent FMA chains (one chain
        # per row would wait on FMA latency), and each x_ij feeds the gradient once.
        n = X.shape[0]
        d = X.shape[1]
        nb = (n + block - 1) // block
        gpart = np.zeros((nb, d))
        bpart = np.zeros(nb)
        lpart = np.zeros(nb)
        for k in prange(nb):
            # blocks are slices indexed from 0 (see _read_kernel)
            Xb = X[k * block : min(n, (k + 1) * block)]
            yb = y[k * block : min(n, (k + 1) * block)]
            m = Xb.shape[0]
            g = np.zeros(d)
            gb = 0.0
            ls = 0.0
            i = 0
            while UNROLL and i + 4 <= m:
                r0 = b - yb[i]
                r1 = b - yb[i + 1]
                r2 = b - yb[i + 2]
                r3 = b - yb[i + 3]
                for j in range(d):
                    wj = w[j]
                    r0 += Xb[i, j] * wj
                    r1 += Xb[i + 1, j] * wj
                    r2 += Xb[i + 2, j] * wj
                    r3 += Xb[i + 3, j] * wj
                l0, p0 = _psi(r0, eps, LOSS)
                l1, p1 = _psi(r1, eps, LOSS)
                l2, p2 = _psi(r2, eps, LOSS)
                l3, p3 = _psi(r3, eps, LOSS)
                ls += (l0 + l1) + (l2 + l3)
                gb += (p0 + p1) + (p2 + p3)
                for j in range(d):
                    g[j] += (Xb[i, j] * p0 + Xb[i + 1, j] * p1) + (Xb[i + 2, j] * p2 + Xb[i + 3, j] * p3)
                i += 4
            while i < m:
                r0 = b - yb[i]
                for j in range(d):
                    r0 += Xb[i, j] * w[j]
                l0, p0 = _psi(r0, eps, LOSS)
                ls += l0
                gb += p0
                for j in range(d):
                    g[j] += Xb[i, j] * p0
                i += 1
            gpart[k] = g  # not gpart[k, :]: numba then keeps g out of registers (2.4x slower)
            bpart[k] = gb
            lpart[k] = ls
        return lpart.sum(), gpart.sum(axis=0), bpart.sum()

    def _predict_kernel(X, w, b, out, block):  # pragma: no cover - compiled
        # Four rows at a time: four independent FMA chains instead of one per row, so the
        # dot products overlap instead of waiting on each other's latency.
        n = X.shape[0]
        d = X.shape[1]
        nb = (n + block - 1) // block
        for k in prange(nb):
            Xb = X[k * block : min(n, (k + 1) * block)]
            ob = out[k * block : min(n, (k + 1) * block)]
            m = Xb.shape[0]
            i = 0
            while UNROLL and i + 4 <= m:
                s0 = s1 = s2 = s3 = b
                for j in range(d):
                    wj = w[j]
                    s0 += Xb[i, j] * wj
                    s1 += Xb[i + 1, j] * wj
                    s2 += Xb[i + 2, j] * wj
                    s3 += Xb[i + 3, j] * wj
                ob[i] = s0
                ob[i + 1] = s1
                ob[i + 2] = s2
                ob[i + 3] = s3
                i += 4
            while i < m:
                s0 = b
                for j in range(d):
                    s0 += Xb[i, j] * w[j]
                ob[i] = s0
                i += 1
        return out

    # Column kernels, for column-major X (a pandas DataFrame's ``to_numpy()``, the chunks the
    # streaming reader builds from Arrow columns). They take ``XT = X.T``, C-contiguous
    # (d x n), so each column of a block is a contiguous slice and every loop runs over rows,
    # vectorised. Per block of rows (in L2): the residuals four columns at a time, psi in
    # place, then the gradient as four dot products at a time -- the second read of the block
    # comes from cache. Through the row kernels (strided, numba layout "A") F-ordered X ran
    # at 0.2-0.35 of the read bandwidth for d = 100 and float32 d = 10.

    def _grad_cols_kernel(XT, y, w, b, loss, eps, block):  # pragma: no cover - compiled
        d = XT.shape[0]
        n = XT.shape[1]
        nb = (n + block - 1) // block
        ngroups = min(nb, 64)  # fixed by n: the sum does not depend on the thread count
        per = (nb + ngroups - 1) // ngroups
        gpart = np.zeros((ngroups, d))
        bpart = np.zeros(ngroups)
        lpart = np.zeros(ngroups)
        for grp in prange(ngroups):
            r = np.empty(block)
            g = np.zeros(d)
            gb = 0.0
            ls = 0.0
            for k in range(grp * per, min(nb, (grp + 1) * per)):
                lo = k * block
                hi = min(n, lo + block)
                m = hi - lo
                yb = y[lo:hi]
                rb = r[:m]
                for i in range(m):
                    rb[i] = b - yb[i]
                _add_columns(rb, XT, w, lo, hi)
                for i in range(m):
                    l0, p0 = _psi(rb[i], eps, LOSS)
                    ls += l0
                    gb += p0
                    rb[i] = p0
                _add_dots(g, XT, rb, lo, hi)
            gpart[grp] = g
            bpart[grp] = gb
            lpart[grp] = ls
        return lpart.sum(), gpart.sum(axis=0), bpart.sum()

    def _predict_cols_kernel(XT, w, b, out, block):  # pragma: no cover - compiled
        n = XT.shape[1]
        nb = (n + block - 1) // block
        for k in prange(nb):
            lo = k * block
            hi = min(n, lo + block)
            m = hi - lo
            ob = out[lo:hi]
            for i in range(m):
                ob[i] = b
            _add_columns(ob, XT, w, lo, hi)
        return out

    def _stats_kernel(X, y, block):  # pragma: no cover - compiled
        """Per-block moments of z = [x, y] on a float64 tile in L1, merged with Chan et al.

        Per block of rows: (1) copy it into a column-major tile (the one strided step);
        (2) shift each column by its first value and sum it (vectorised over rows); (3) the
        cross-products of the shifted columns, 4 x 4 at a time -- eight loads of the tile
        feed sixteen FMAs, vectorised over rows; (4) centre them (``P - m mu mu^T``; small
        because of the shift) and merge into the group's totals (Chan et al. 1979, eq. 2.1b).
        A shift per block keeps full precision where the data sit far from 0 or drift.
        """
        n = X.shape[0]
        d = X.shape[1]
        e = d + 1
        ep = (e + 3) // 4 * 4  # padded to the 4 x 4 register blocks; pad rows stay 0
        col_major = d == 1 or X.strides[0] == X.itemsize
        nb = (n + block - 1) // block
        # Groups are fixed by n and d (not by the thread count), each merged in block order:
        # the result does not depend on the number of threads. One scratch tile per group.
        ngroups = min(nb, 64)
        per = (nb + ngroups - 1) // ngroups
        # Means are carried relative to the first row of the data, g: block means far from 0
        # (values ~1e8 with unit spread) would lose their low digits in the merge otherwise.
        g = np.empty(e)
        for j in range(d):
            g[j] = X[0, j]
        g[d] = y[0]
        gcnt = np.zeros(ngroups)
        gmu = np.zeros((ngroups, e))
        gc = np.zeros((ngroups, e, e))
        for grp in prange(ngroups):
            tile = np.zeros((ep, block))
            P = np.zeros((ep, ep))
            sh = np.empty(e)
            mu = np.empty(e)
            dm = np.empty(e)
            N = 0.0
            MU = np.zeros(e)
            C = np.zeros((e, e))
            for k in range(grp * per, min(nb, (grp + 1) * per)):
                yb = y[k * block : min(n, (k + 1) * block)]  # slices from 0: see _read_kernel
                m = yb.shape[0]
                # (1) the block, column-major, in float64
                _columns_into(tile, X, k * block, k * block + m, col_major)
                for i in range(m):
                    tile[d, i] = yb[i]
                # (2) shift by the block's first row, and the column sums; sh: that shift from g
                for j in range(e):
                    s = tile[j, 0]
                    t = 0.0
                    for i in range(m):
                        v = tile[j, i] - s
                        tile[j, i] = v
                        t += v
                    sh[j] = s - g[j]
                    mu[j] = t / m
                # (3) upper-triangular 4 x 4 blocks of the shifted cross-products
                for jb in range(0, ep, 4):
                    for kb in range(jb, ep, 4):
                        s00 = s01 = s02 = s03 = 0.0
                        s10 = s11 = s12 = s13 = 0.0
                        s20 = s21 = s22 = s23 = 0.0
                        s30 = s31 = s32 = s33 = 0.0
                        for i in range(m):
                            a0 = tile[jb, i]
                            a1 = tile[jb + 1, i]
                            a2 = tile[jb + 2, i]
                            a3 = tile[jb + 3, i]
                            b0 = tile[kb, i]
                            b1 = tile[kb + 1, i]
                            b2 = tile[kb + 2, i]
                            b3 = tile[kb + 3, i]
                            s00 += a0 * b0
                            s01 += a0 * b1
                            s02 += a0 * b2
                            s03 += a0 * b3
                            s10 += a1 * b0
                            s11 += a1 * b1
                            s12 += a1 * b2
                            s13 += a1 * b3
                            s20 += a2 * b0
                            s21 += a2 * b1
                            s22 += a2 * b2
                            s23 += a2 * b3
                            s30 += a3 * b0
                            s31 += a3 * b1
                            s32 += a3 * b2
                            s33 += a3 * b3
                        P[jb, kb] = s00
                        P[jb, kb + 1] = s01
                        P[jb, kb + 2] = s02
                        P[jb, kb + 3] = s03
                        P[jb + 1, kb] = s10
                        P[jb + 1, kb + 1] = s11
                        P[jb + 1, kb + 2] = s12
                        P[jb + 1, kb + 3] = s13
                        P[jb + 2, kb] = s20
                        P[jb + 2, kb + 1] = s21
                        P[jb + 2, kb + 2] = s22
                        P[jb + 2, kb + 3] = s23
                        P[jb + 3, kb] = s30
                        P[jb + 3, kb + 1] = s31
                        P[jb + 3, kb + 2] = s32
                        P[jb + 3, kb + 3] = s33
                # (4) centre, then merge (Chan et al. 1979, eq. 2.1b)
                tot = N + m
                f = N * m / tot
                for j in range(e):
                    dm[j] = mu[j] + sh[j] - MU[j]
                for j in range(e):
                    for q in range(j, e):
                        c = P[j, q] - m * mu[j] * mu[q] + dm[j] * dm[q] * f
                        C[j, q] += c
                for j in range(e):
                    MU[j] += dm[j] * (m / tot)
                N = tot
            for j in range(e):
                for q in range(j):
                    C[j, q] = C[q, j]
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
            dmk = gmu[k] - MU
            for j in range(e):
                for q in range(e):
                    C[j, q] += gc[k, j, q] + dmk[j] * dmk[q] * f
            MU += dmk * (nk / tot)
            N = tot
        MU += g
        return MU[:d].copy(), MU[d], C[:d, :d].copy(), C[:d, d].copy(), C[d, d]

    return {
        "grad": _jit(_grad_kernel),
        "predict": _jit(_predict_kernel),
        "grad_cols": _jit(_grad_cols_kernel),
        "predict_cols": _jit(_predict_cols_kernel),
        "stats": _jit(_stats_kernel),
    }


_KERNELS: dict[tuple[int, bool], dict[str, Any]] = {}


def _kernels(loss: int = 0, unroll: bool = False) -> dict[str, Any]:
    key = (loss, unroll)
    if key not in _KERNELS:
        _KERNELS[key] = _make_kernels(*key)
    return _KERNELS[key]


def _unroll(kind: str, d: int, itemsize: int) -> bool:
    """Four rows at a time, or one? Chosen from interleaved A/B runs on 2 cores of Zen 4
    (fractions of the read bandwidth, one row -> four). Few features: the row loop is bound
    by arithmetic and four independent rows win -- d = 10 float64 gradient 0.88 -> 0.90,
    float32 0.52 -> 0.62; d = 25 float32 huber gradient 0.79 -> 0.94, prediction 0.91 -> 0.95
    (float64 at d = 25: 0.93 -> 0.91, 0.98 -> 0.91). Many features: the feature loop
    vectorises on its own and four rows lose -- d = 100 gradient float64 0.91 -> 0.30,
    float32 0.90 -> 0.77, prediction 1.11 -> 0.41."""
    return d <= 16 or (itemsize == 4 and d <= 32)


def _make_batched(LOSS: int) -> Any:
    """The batched gradient for loss code ``LOSS`` (a constant)."""

    def _grad_batched_kernel(X, y, W, B, eps, block):  # pragma: no cover - compiled
        # W: (R, d). Per block of rows small enough for L1: the block transposed once into
        # XT (d, m) -- shared by all R runs, so its cost is paid once per row, not per run;
        # then per run, loops over contiguous rows that vectorise: the residuals
        # r = XT^T w + (b - y) four features at a time, psi in place, and the gradient
        # XT psi as four dot products at a time. One read of X feeds all runs.
        n = X.shape[0]
        d = X.shape[1]
        R = W.shape[0]
        col_major = d == 1 or X.strides[0] == X.itemsize
        nb = (n + block - 1) // block
        # fixed groups of blocks (not one partial per block: R x d each would add up)
        ngroups = min(nb, 64)
        per = (nb + ngroups - 1) // ngroups
        gpart = np.zeros((ngroups, R, d))
        bpart = np.zeros((ngroups, R))
        lpart = np.zeros((ngroups, R))
        for grp in prange(ngroups):
            XT = np.empty((d, block))
            RT = np.empty((R, block))
            g = np.zeros((R, d))
            gb = np.zeros(R)
            ls = np.zeros(R)
            for k in range(grp * per, min(nb, (grp + 1) * per)):
                yb = y[k * block : min(n, (k + 1) * block)]  # slices from 0: see _read_kernel
                m = yb.shape[0]
                _columns_into(XT, X, k * block, k * block + m, col_major)
                for q in range(R):
                    rq = RT[q]
                    bq = B[q]
                    for i in range(m):
                        rq[i] = bq - yb[i]
                    j = 0
                    while j + 4 <= d:
                        w0 = W[q, j]
                        w1 = W[q, j + 1]
                        w2 = W[q, j + 2]
                        w3 = W[q, j + 3]
                        x0 = XT[j]
                        x1 = XT[j + 1]
                        x2 = XT[j + 2]
                        x3 = XT[j + 3]
                        for i in range(m):
                            rq[i] += (w0 * x0[i] + w1 * x1[i]) + (w2 * x2[i] + w3 * x3[i])
                        j += 4
                    while j < d:
                        wj = W[q, j]
                        xj = XT[j]
                        for i in range(m):
                            rq[i] += wj * xj[i]
                        j += 1
                    lsum = 0.0
                    psum = 0.0
                    for i in range(m):
                        lv, pv = _psi(rq[i], eps, LOSS)
                        lsum += lv
                        psum += pv
                        rq[i] = pv
                    ls[q] += lsum
                    gb[q] += psum
                    j = 0
                    while j + 4 <= d:
                        x0 = XT[j]
                        x1 = XT[j + 1]
                        x2 = XT[j + 2]
                        x3 = XT[j + 3]
                        s0 = s1 = s2 = s3 = 0.0
                        for i in range(m):
                            p = rq[i]
                            s0 += x0[i] * p
                            s1 += x1[i] * p
                            s2 += x2[i] * p
                            s3 += x3[i] * p
                        g[q, j] += s0
                        g[q, j + 1] += s1
                        g[q, j + 2] += s2
                        g[q, j + 3] += s3
                        j += 4
                    while j < d:
                        xj = XT[j]
                        s0 = 0.0
                        for i in range(m):
                            s0 += xj[i] * rq[i]
                        g[q, j] += s0
                        j += 1
            gpart[grp] = g
            bpart[grp] = gb
            lpart[grp] = ls
        return lpart.sum(axis=0), gpart.sum(axis=0), bpart.sum(axis=0)

    return _jit(_grad_batched_kernel)


_BATCHED: dict[int, Any] = {}


def _batch_rows(d: int, runs: int) -> int:
    """Rows per block of the batched pass: its float64 tiles (d + runs values a row) in
    ~12 KB of L1 -- 80 rows at d = 10 and 8 runs. Measured for 8 huber runs at d = 10:
    64 rows 97 ms, 128 rows 108 ms, 256 rows 122 ms (8 separate passes: 210 ms)."""
    return int(max(16, min(256, 12288 // (8 * (d + runs)))) // 8 * 8)


def _batched(loss: int) -> Any:
    if loss not in _BATCHED:
        _BATCHED[loss] = _make_batched(loss)
    return _BATCHED[loss]


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
    """Two-pass moments per chunk, merged (Chan et al.); means carried relative to the first
    row, as in the compiled kernel, so large means and drifts keep their low digits."""
    from descend.data.stats import moment_stats

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
    A = np.asarray(X)
    if A.ndim == 2 and A.flags.f_contiguous:
        A = A.T  # the same bytes, read in place (a C-order copy would be timed instead)
    A = np.ascontiguousarray(A)
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
    mx, my, cxx, cxy, cyy = _kernels()["stats"](A, v, block)
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
    if not HAVE_NUMBA:
        ls, g, gb = _grad_numpy(A, v, wv, float(b), code, float(epsilon), _pass_rows(d, A.itemsize))
    elif _column_major(A):
        ls, g, gb = _kernels(code)["grad_cols"](A.T, v, wv, float(b), code, float(epsilon), _COL_ROWS)
    else:
        fn = _kernels(code, _unroll("grad", d, A.itemsize))["grad"]
        ls, g, gb = fn(A, v, wv, float(b), code, float(epsilon), _pass_rows(d, A.itemsize))
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
    if not HAVE_NUMBA:
        ls, g, gb = _grad_batched_numpy(A, v, Wm, Bv, code, float(epsilon), _pass_rows(d, A.itemsize))
    elif Wm.shape[0] == 1:  # one run: the fused pass is faster (27 vs 41 ms)
        one = loss_and_grad_fast(A, v, Wm[0], float(Bv[0]), loss, epsilon)
        return np.array([one[0]]), one[1][None, :], np.array([one[2]])
    else:
        ls, g, gb = _batched(code)(A, v, Wm, Bv, float(epsilon), _batch_rows(d, Wm.shape[0]))
    return np.asarray(ls) / n, np.asarray(g) / n, np.asarray(gb) / n


def predict_fast(X: Any, w: Any, b: float = 0.0, *, out: Array | None = None) -> Array:
    """``X w + b`` in one read of ``X`` (float64 output, accumulated in float64).

    ``out``: a float64 array of ``n`` values to write into (and return), so a loop over chunks
    does not allocate -- and page in -- a new array per call.
    """
    A = _as_float_2d(X)
    n, d = A.shape
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != d:
        raise InputError(f"w has {wv.shape[0]} coefficients but X has {d} columns")
    if out is None:
        out = np.empty(n)
    elif not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (n,)
              and out.flags.c_contiguous and out.flags.writeable):
        raise InputError(
            f"out must be a writeable, contiguous float64 array of shape ({n},); "
            f"got {getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}"
        )
    if not HAVE_NUMBA:
        np.matmul(A, wv, out=out, casting="unsafe")
        out += float(b)
        return out
    if _column_major(A):
        _kernels()["predict_cols"](A.T, wv, float(b), out, _COL_ROWS)
    else:
        _kernels(0, _unroll("predict", d, A.itemsize))["predict"](
            A, wv, float(b), out, _pass_rows(d, A.itemsize)
        )
    return out
