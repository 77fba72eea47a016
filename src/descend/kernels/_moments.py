"""Moments of ``(X, y)`` in one read: :func:`moment_stats_fast` (:class:`MomentStats`).

Statistics are computed per block of rows whose float64 tile fits in L1: copied column-major,
shifted by the block's first row, the cross-products formed 4 x 4 columns at a time, centred,
and the blocks merged with Chan, Golub & LeVeque (1979, eq. 2.1b). Memory is read once, and
the result is more accurate than the two-pass NumPy reference for data with a large mean and
a small spread, or a drift (tested against exact rational arithmetic). The pass costs
``(d + 1)(d + 2) / 2`` FMAs per row: at d = 10 about as long as reading the row, at d = 100
several times longer on any machine -- there the pass is bound by arithmetic, not memory.

The means are not taken from the merge (a block's mean relative to a shift, merged in float64,
loses ``eps |shift|`` per block: 1e-12 of a mean of 25 when the values reach 1e6): each
column's raw values are summed in double-double -- Knuth's TwoSum per value, four interleaved
lanes, the errors kept apart (Ogita, Rump & Oishi's Sum2) -- the blocks' and groups' pairs
added in order with TwoSum, and the total divided once: each mean is within about one ulp of
the exact one. That helper is compiled **without** fastmath and not inlined (reassociation
would undo TwoSum; numba's fast-math flags are set per function, before linking).

Importing this module imports numba (:mod:`descend.kernels._jit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.data.stats import MomentStats
from descend.kernels._common import as_float_1d, as_float_2d, block_rows, stats_key
from descend.kernels._jit import HAVE_NUMBA, columns_into, inline, jit, numba, prange
from descend.kernels._numpy import stats_numpy
from descend.kernels._stamps import run_compiled

__all__ = ["moment_stats_fast"]


def _block_into_tile(tile, X, y, lo, hi, col_major):  # pragma: no cover - compiled, inlined
    """Step (1): rows ``lo:hi`` of ``[X, y]`` into the column-major float64 ``tile``;
    returns the number of rows ``m``."""
    d = X.shape[1]
    yb = y[lo:hi]  # slices indexed from 0: see predict._read_kernel
    m = yb.shape[0]
    columns_into(tile, X, lo, lo + m, col_major)
    for i in range(m):
        tile[d, i] = yb[i]
    return m


def _shift_and_sum(tile, m, e, g, sh, mu):  # pragma: no cover - compiled, inlined
    """Step (2): shift each of the ``e`` columns of ``tile`` by its first value (in place),
    ``mu`` = the shifted columns' means, ``sh`` = each shift measured from ``g``."""
    for j in range(e):
        s = tile[j, 0]
        t = 0.0
        for i in range(m):
            v = tile[j, i] - s
            tile[j, i] = v
            t += v
        sh[j] = s - g[j]
        mu[j] = t / m


def _cross_4x4(tile, P, jb, kb, m):  # pragma: no cover - compiled, inlined
    """Step (3), one register block: ``P[jb:jb+4, kb:kb+4]`` = the cross-products of the
    shifted columns ``jb..jb+3`` and ``kb..kb+3`` over ``m`` rows -- eight loads of the tile
    feed sixteen FMAs, vectorised over rows."""
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


def _merge_block(P, m, mu, sh, N, MU, C, dm):  # pragma: no cover - compiled, inlined
    """Step (4): centre the block's cross-products ``P`` (``P - m mu mu^T``) and merge the
    block (``m`` rows, means ``mu + sh``) into the running ``N``, ``MU``, upper ``C``
    (Chan et al. 1979, eq. 2.1b); returns the new count. ``dm`` is scratch."""
    e = MU.shape[0]
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
    return tot


def _merge_groups(gcnt, gmu, gc):  # pragma: no cover - compiled, inlined
    """The groups' ``(count, mean, full C)`` merged in group order (Chan et al., eq. 2.1b):
    ``(MU, C)`` of all rows, the means still relative to the first row."""
    e = gmu.shape[1]
    N = gcnt[0]
    MU = gmu[0].copy()
    C = gc[0].copy()
    for k in range(1, gcnt.shape[0]):
        nk = gcnt[k]
        tot = N + nk
        f = N * nk / tot
        dmk = gmu[k] - MU
        for j in range(e):
            for q in range(e):
                C[j, q] += gc[k, j, q] + dmk[j] * dmk[q] * f
        MU += dmk * (nk / tot)
        N = tot
    return MU, C


def _two_sum_impl(a, b):  # pragma: no cover - compiled, inlined (never with fastmath)
    """``s + e == a + b`` exactly, ``s = fl(a + b)`` (Knuth's TwoSum)."""
    s = a + b
    z = s - a
    return s, (a - (s - z)) + (b - z)


def _lane_sums(c, m):  # pragma: no cover - compiled, inlined (never with fastmath)
    """``c[:m]`` summed in four interleaved lanes of double-double ``(s_k, e_k)``: four
    independent TwoSum chains, so the loop runs at the adders' throughput, not their
    latency. Returns the lanes' sums and their errors summed."""
    s0 = s1 = s2 = s3 = 0.0
    e0 = e1 = e2 = e3 = 0.0
    m4 = m - m % 4
    for i in range(0, m4, 4):
        s0, t0 = two_sum(s0, c[i])
        s1, t1 = two_sum(s1, c[i + 1])
        s2, t2 = two_sum(s2, c[i + 2])
        s3, t3 = two_sum(s3, c[i + 3])
        e0 += t0
        e1 += t1
        e2 += t2
        e3 += t3
    for i in range(m4, m):
        s0, t0 = two_sum(s0, c[i])
        e0 += t0
    return s0, s1, s2, s3, (e0 + e1) + (e2 + e3)


def _add_block_sums(tile, m, e, gh, gl):  # pragma: no cover - compiled, not inlined
    """Add the raw sums of the ``e`` columns of ``tile[:, :m]`` to the double-double pairs
    ``(gh, gl)`` (before the shift: the means' sums, see the module docstring)."""
    for j in range(e):
        s0, s1, s2, s3, err = lane_sums(tile[j], m)
        h = gh[j]
        lo = gl[j] + err
        h, t = two_sum(h, s0)
        lo += t
        h, t = two_sum(h, s1)
        lo += t
        h, t = two_sum(h, s2)
        lo += t
        h, t = two_sum(h, s3)
        gh[j] = h
        gl[j] = lo + t


def _exact_means(gh, gl, n):  # pragma: no cover - compiled, not inlined
    """The groups' pairs ``(gh[k], gl[k])`` added in group order in double-double, rounded
    once and divided by ``n``: each mean within about one ulp."""
    e = gh.shape[1]
    out = np.empty(e)
    for j in range(e):
        h = 0.0
        lo = 0.0
        for k in range(gh.shape[0]):
            h, t = two_sum(h, gh[k, j])
            lo += t + gl[k, j]
        out[j] = (h + lo) / n
    return out


def _plain(fn, **kw):
    """``fn`` compiled without fastmath (``fn`` itself without numba)."""
    return numba.njit(**kw)(fn) if HAVE_NUMBA else fn


two_sum = _plain(_two_sum_impl, inline="always")
lane_sums = _plain(_lane_sums, inline="always")
add_block_sums = _plain(_add_block_sums, cache=True, nogil=True)
exact_means = _plain(_exact_means, cache=True, nogil=True)
block_into_tile = inline(_block_into_tile, fastmath=False)
shift_and_sum = inline(_shift_and_sum)
cross_4x4 = inline(_cross_4x4)
merge_block = inline(_merge_block)
merge_groups = inline(_merge_groups)


def _stats_kernel(X, y, block):  # pragma: no cover - compiled
    """Per-block moments of z = [x, y] on a float64 tile in L1, merged with Chan et al.

    Per block of rows: (1) copy it into a column-major tile (the one strided step);
    (2) shift each column by its first value and sum it (vectorised over rows); (3) the
    cross-products of the shifted columns, 4 x 4 at a time -- eight loads of the tile
    feed sixteen FMAs, vectorised over rows; (4) centre them (``P - m mu mu^T``; small
    because of the shift) and merge into the group's totals (Chan et al. 1979, eq. 2.1b).
    A shift per block keeps full precision where the data sit far from 0 or drift. The
    means come from the raw columns' double-double sums (:func:`_add_block_sums`).
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
    gh = np.zeros((ngroups, e))  # the raw column sums, double-double, per group
    gl = np.zeros((ngroups, e))
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
            m = block_into_tile(tile, X, y, k * block, min(n, (k + 1) * block), col_major)
            add_block_sums(tile, m, e, gh[grp], gl[grp])
            shift_and_sum(tile, m, e, g, sh, mu)
            for jb in range(0, ep, 4):  # (3) the upper triangle, 4 x 4 blocks
                for kb in range(jb, ep, 4):
                    cross_4x4(tile, P, jb, kb, m)
            N = merge_block(P, m, mu, sh, N, MU, C, dm)
        for j in range(e):
            for q in range(j):
                C[j, q] = C[q, j]
        gcnt[grp] = N
        gmu[grp] = MU
        gc[grp] = C
    MU, C = merge_groups(gcnt, gmu, gc)  # MU (relative to g) only for the merges
    MU = exact_means(gh, gl, n)
    return MU[:d].copy(), MU[d], C[:d, :d].copy(), C[:d, d].copy(), C[d, d]


_stats = jit(_stats_kernel)


def moment_stats_fast(X: Any, y: Any) -> MomentStats:
    """:class:`MomentStats` of ``(X, y)`` in one read of the data.

    Same answer as :func:`descend.data.stats.moment_stats` (the two-pass reference) to
    rounding; float32 inputs are accumulated in float64. Compiles on first use (once per
    dtype and layout, cached on disk), saying so on stderr.

    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2); y = X @ [1.0, 2.0] + 3.0
    >>> s = moment_stats_fast(X, y)
    >>> s.n, s.mean_x.tolist(), round(s.loss(np.array([1.0, 2.0]), 3.0), 12)
    (6, [5.0, 6.0], 0.0)
    """
    A = as_float_2d(X)
    v = as_float_1d(y, A.shape[0])
    n, d = A.shape
    if n == 0:
        return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)
    block = block_rows(d, A.itemsize)
    if not HAVE_NUMBA:
        return stats_numpy(A, v, block)
    mx, my, cxx, cxy, cyy = run_compiled(stats_key(A, v), _stats, A, v, block)
    return MomentStats(n=n, mean_x=mx, mean_y=float(my), cxx=cxx, cxy=cxy, cyy=float(cyy))
