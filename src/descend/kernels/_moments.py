"""Moments of ``(X, y)`` in one read: :func:`moment_stats_fast` (:class:`MomentStats`).

Statistics are computed per block of rows whose float64 tile fits in L1: copied column-major,
shifted by the block's first row, the cross-products formed 3 x 3 columns at a time, centred,
and the blocks merged with Chan, Golub & LeVeque (1979, eq. 2.1b). Memory is read once, and
the result is more accurate than the two-pass NumPy reference for data with a large mean and
a small spread, or a drift (tested against exact rational arithmetic). The pass costs
``(d + 1)(d + 2) / 2`` FMAs per row: at d = 10 about as long as reading the row, at d = 100
several times longer on any machine -- there the pass is bound by arithmetic, not memory.

The means are not taken from the merge (a block's mean relative to a shift, merged in float64,
loses ``eps |shift|`` per block: 1e-12 of a mean of 25 when the values reach 1e6): each
block's raw column sums are exact pairs (:func:`_split_sum`, an integer grid whose sums are
exact in any order, so the loop keeps fastmath and vectorises: 0.7 ns per value against 1.4
for four lanes of TwoSum), added per group and the groups in order in double-double (TwoSum,
compiled **without** fastmath and not inlined: reassociation would undo it, and numba sets
fast-math flags per function before linking), and the total divided once: each mean is
within about one ulp of the exact one.

Importing this module imports numba (:mod:`descend.kernels._jit`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.data.stats import MomentStats
from descend.kernels._common import as_float_1d, as_float_2d, block_rows, stats_key
from descend.kernels._jit import HAVE_NUMBA, columns_into, inline, jit, numba, prange
from descend.kernels._numpy import stats_numpy
from descend.kernels._stamps import run_compiled

__all__ = ["moment_stats_fast"]

#: Bits of headroom in the exact sums' carried grid (:func:`_shift_and_sum`): a column's sum of
#: magnitudes may grow at least 16x and shrink at least 8x from one block to the next before
#: the block is summed again.
_HEADROOM = 4


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


def _shift_and_sum(tile, m, e, g, sh, mu, tg, bh, bl, ok):  # pragma: no cover - compiled, inlined
    """Step (2) in one read of each column: the raw column's exact sum as a pair
    ``(bh, bl)`` (:func:`_split_sum`'s integer grid), then the column shifted by its first
    value (in place); ``mu`` = the shifted column's mean, ``sh`` = the shift measured from
    ``g``. The grid ``2^(tg - 52)`` is the one the previous block of the group chose
    (``tg``); it must satisfy ``2^(tg - 8) <= sum |c| < 2^tg`` (exact and as accurate as a
    grid chosen for this block: 2^7 x ~m^2 eps^2 sum |c|), and ``ok[j]`` says whether it did
    -- where not (a group's first block, a jump in magnitude, a value not finite), the kernel
    sums the raw column again from ``X`` (:func:`_resum_raw`). ``tg`` is set for the next
    block. One read instead of two: the separate grid scan and shift cost 21 + 9 cycles a
    row at d = 10 (2e6 x 10, one Zen 1 core)."""
    for j in range(e):
        t = tg[j]
        grid = math.ldexp(1.0, t - 52)
        inv = math.ldexp(1.0, 52 - t)
        s = tile[j, 0]
        a = 0.0
        sq = 0.0
        sl = 0.0
        tt = 0.0
        for i in range(m):
            c = tile[j, i]
            a += abs(c)
            q = np.rint(c * inv)
            sq += q
            sl += c - q * grid
            v = c - s
            tile[j, i] = v
            tt += v
        ok[j] = a < math.ldexp(1.0, t) and a >= math.ldexp(1.0, t - 8)
        bh[j] = sq * grid
        bl[j] = sl
        if 0.0 < a < 1e300:
            tg[j] = max(math.frexp(a)[1], -960) + _HEADROOM
        sh[j] = s - g[j]
        mu[j] = tt / m


def _resum_raw(col, X, y, lo, m, j, col_major):  # pragma: no cover - compiled, inlined
    """Column ``j`` of rows ``lo:lo + m`` of ``[X, y]`` copied into ``col`` again (the tile
    holds it shifted) and summed exactly (:func:`_split_sum`): the rare blocks whose carried
    grid did not fit (:func:`_shift_and_sum`)."""
    d = X.shape[1]
    if j == d:
        yb = y[lo:lo + m]  # slices indexed from 0: see predict._read_kernel
        for i in range(m):
            col[i] = yb[i]
    elif col_major:
        c = X.T[j, lo:lo + m]
        for i in range(m):
            col[i] = c[i]
    else:
        Xb = X[lo:lo + m]
        for i in range(m):
            col[i] = Xb[i, j]
    return split_sum(col, m)


def _cross_3x3(tile, P, jb, kb, m):  # pragma: no cover - compiled, inlined
    """Step (3), one register block: ``P[jb:jb+3, kb:kb+3]`` = the cross-products of the
    shifted columns ``jb..jb+2`` and ``kb..kb+2`` over ``m`` rows, vectorised over rows: six
    loads feed nine FMAs, and the nine accumulators and six operands fit the 16 vector
    registers. Against 4 x 2 blocks (six loads, eight FMAs) and 4 x 4 (sixteen accumulators:
    spilled), in GFMA/s of one Zen 1 core on tiles of 12 x 336 / 104 x 256: 3 x 3 11.2 / 10.6,
    4 x 2 9.9 / 10.1, 4 x 4 6.4 / 6.4; and the triangle wastes less: 90 FMAs a row at
    d = 10 (4 x 2: 96), 5355 at d = 100 (5616)."""
    s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = 0.0
    a0 = tile[jb]
    a1 = tile[jb + 1]
    a2 = tile[jb + 2]
    b0 = tile[kb]
    b1 = tile[kb + 1]
    b2 = tile[kb + 2]
    for i in range(m):
        x0 = b0[i]
        x1 = b1[i]
        x2 = b2[i]
        s00 += a0[i] * x0
        s01 += a0[i] * x1
        s02 += a0[i] * x2
        s10 += a1[i] * x0
        s11 += a1[i] * x1
        s12 += a1[i] * x2
        s20 += a2[i] * x0
        s21 += a2[i] * x1
        s22 += a2[i] * x2
    P[jb, kb] = s00
    P[jb, kb + 1] = s01
    P[jb, kb + 2] = s02
    P[jb + 1, kb] = s10
    P[jb + 1, kb + 1] = s11
    P[jb + 1, kb + 2] = s12
    P[jb + 2, kb] = s20
    P[jb + 2, kb + 1] = s21
    P[jb + 2, kb + 2] = s22


def _cross_3x2(tile, P, jb, kb, m):  # pragma: no cover - compiled, inlined
    """:func:`_cross_3x3` for the last block column when it has two columns."""
    s00 = s01 = s10 = s11 = s20 = s21 = 0.0
    a0 = tile[jb]
    a1 = tile[jb + 1]
    a2 = tile[jb + 2]
    b0 = tile[kb]
    b1 = tile[kb + 1]
    for i in range(m):
        x0 = b0[i]
        x1 = b1[i]
        s00 += a0[i] * x0
        s01 += a0[i] * x1
        s10 += a1[i] * x0
        s11 += a1[i] * x1
        s20 += a2[i] * x0
        s21 += a2[i] * x1
    P[jb, kb] = s00
    P[jb, kb + 1] = s01
    P[jb + 1, kb] = s10
    P[jb + 1, kb + 1] = s11
    P[jb + 2, kb] = s20
    P[jb + 2, kb + 1] = s21


def _cross_3x1(tile, P, jb, kb, m):  # pragma: no cover - compiled, inlined
    """:func:`_cross_3x3` for the last block column when it has one column."""
    s00 = s10 = s20 = 0.0
    a0 = tile[jb]
    a1 = tile[jb + 1]
    a2 = tile[jb + 2]
    b0 = tile[kb]
    for i in range(m):
        x0 = b0[i]
        s00 += a0[i] * x0
        s10 += a1[i] * x0
        s20 += a2[i] * x0
    P[jb, kb] = s00
    P[jb + 1, kb] = s10
    P[jb + 2, kb] = s20


def _diag_3(tile, P, jb, m):  # pragma: no cover - compiled, inlined
    """A diagonal register block: the six products ``P[j, k]``, ``jb <= j <= k < jb + 3``
    (three loads feed six FMAs; the full 3 x 3 block wasted three)."""
    s00 = s01 = s02 = s11 = s12 = s22 = 0.0
    a0 = tile[jb]
    a1 = tile[jb + 1]
    a2 = tile[jb + 2]
    for i in range(m):
        x0 = a0[i]
        x1 = a1[i]
        x2 = a2[i]
        s00 += x0 * x0
        s01 += x0 * x1
        s02 += x0 * x2
        s11 += x1 * x1
        s12 += x1 * x2
        s22 += x2 * x2
    P[jb, jb] = s00
    P[jb, jb + 1] = s01
    P[jb, jb + 2] = s02
    P[jb + 1, jb + 1] = s11
    P[jb + 1, jb + 2] = s12
    P[jb + 2, jb + 2] = s22


def _diag_2(tile, P, jb, m):  # pragma: no cover - compiled, inlined
    """:func:`_diag_3` for a last block of two columns (three products)."""
    s00 = s01 = s11 = 0.0
    a0 = tile[jb]
    a1 = tile[jb + 1]
    for i in range(m):
        x0 = a0[i]
        x1 = a1[i]
        s00 += x0 * x0
        s01 += x0 * x1
        s11 += x1 * x1
    P[jb, jb] = s00
    P[jb, jb + 1] = s01
    P[jb + 1, jb + 1] = s11


def _diag_1(tile, P, jb, m):  # pragma: no cover - compiled, inlined
    """:func:`_diag_3` for a last block of one column."""
    s00 = 0.0
    a0 = tile[jb]
    for i in range(m):
        s00 += a0[i] * a0[i]
    P[jb, jb] = s00


def _triangle(tile, P, e, m):  # pragma: no cover - compiled, inlined
    """Step (3): the upper triangle of the ``e`` shifted columns' cross-products, exactly
    the ``e (e + 1) / 2`` products (66 FMAs a row at d = 10, 5151 at d = 100): 3 x 3 blocks
    off the diagonal, the triangles of the diagonal blocks (:func:`_diag_3`), and blocks of
    the last one or two columns where ``e`` is not a multiple of 3. Padding the tile to
    3 x 3 blocks throughout cost 90 FMAs a row at d = 10 (5355 at d = 100)."""
    for jb in range(0, e, 3):
        wj = min(3, e - jb)
        if wj == 3:
            diag_3(tile, P, jb, m)
        elif wj == 2:
            diag_2(tile, P, jb, m)
        else:
            diag_1(tile, P, jb, m)
        for kb in range(jb + 3, e, 3):
            wk = min(3, e - kb)
            if wk == 3:
                cross_3x3(tile, P, jb, kb, m)
            elif wk == 2:
                cross_3x2(tile, P, jb, kb, m)
            else:
                cross_3x1(tile, P, jb, kb, m)


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


def _split_sum(c, m):  # pragma: no cover - compiled, inlined (fastmath is safe here)
    """``sum c[:m]`` as a pair ``(h, l)`` exact to ``~m^2 eps^2 sum |c|``: each value split on
    a grid ``G = 2^(t - 52)``, ``2^t > sum |c|``, as ``q G + l`` with ``q = rint(c / G)`` an
    integer (``|sum q| < 2^53``: exact in any order, reassociated or not) and ``l = c - q G``
    exact (``|l| <= G / 2``; an FMA computes it exactly too). A column that is not finite (or
    all 0) is summed plainly."""
    a = 0.0
    for i in range(m):
        a += abs(c[i])
    if not (a < 1e300) or a == 0.0:
        s = 0.0
        for i in range(m):
            s += c[i]
        return s, 0.0
    t = max(math.frexp(a)[1], -960)
    grid = math.ldexp(1.0, t - 52)
    inv = math.ldexp(1.0, 52 - t)
    sq = 0.0
    sl = 0.0
    for i in range(m):
        q = np.rint(c[i] * inv)
        sq += q
        sl += c[i] - q * grid
    return sq * grid, sl


def _add_pairs(bh, bl, gh, gl):  # pragma: no cover - compiled, not inlined, no fastmath
    """``(gh, gl) += (bh, bl)`` elementwise in double-double (TwoSum)."""
    for j in range(bh.shape[0]):
        h, t = two_sum(gh[j], bh[j])
        gh[j] = h
        gl[j] += t + bl[j]


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
add_pairs = _plain(_add_pairs, cache=True, nogil=True)
split_sum = inline(_split_sum)
exact_means = _plain(_exact_means, cache=True, nogil=True)
block_into_tile = inline(_block_into_tile, fastmath=False)
shift_and_sum = inline(_shift_and_sum)
resum_raw = inline(_resum_raw)
cross_3x3 = inline(_cross_3x3)
cross_3x2 = inline(_cross_3x2)
cross_3x1 = inline(_cross_3x1)
diag_3 = inline(_diag_3)
diag_2 = inline(_diag_2)
diag_1 = inline(_diag_1)
triangle = inline(_triangle)
merge_block = inline(_merge_block)
merge_groups = inline(_merge_groups)


def _stats_kernel(X, y, block):  # pragma: no cover - compiled
    """Per-block moments of z = [x, y] on a float64 tile in L1, merged with Chan et al.

    Per block of rows: (1) copy it into a column-major tile (the one strided step);
    (2) in one read of each column, its raw values' exact sum, then the column shifted by
    its first value and summed (vectorised over rows); (3) the
    cross-products of the shifted columns, 3 x 3 at a time -- six loads of the tile
    feed nine FMAs, vectorised over rows; (4) centre them (``P - m mu mu^T``; small
    because of the shift) and merge into the group's totals (Chan et al. 1979, eq. 2.1b).
    A shift per block keeps full precision where the data sit far from 0 or drift. The
    means come from the raw columns' double-double sums (:func:`_split_sum`'s grid, carried
    from block to block: :func:`_shift_and_sum`).
    """
    n = X.shape[0]
    d = X.shape[1]
    e = d + 1
    ep = (e + 2) // 3 * 3  # _common.tile_rows: padded to the 3 x 3 blocks; pad rows stay 0
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
        bh = np.empty(e)
        bl = np.empty(e)
        hh = np.zeros(e)  # the group's pairs; stored once at the end (no shared lines)
        ll = np.zeros(e)
        N = 0.0
        MU = np.zeros(e)
        C = np.zeros((e, e))
        tg = np.full(e, -2000)  # no grid yet: the first block sums its columns again
        ok = np.empty(e, dtype=np.bool_)
        col = np.empty(block)
        for k in range(grp * per, min(nb, (grp + 1) * per)):
            lo = k * block
            m = block_into_tile(tile, X, y, lo, min(n, lo + block), col_major)
            shift_and_sum(tile, m, e, g, sh, mu, tg, bh, bl, ok)  # (2) and the raw sums
            for j in range(e):
                if not ok[j]:
                    bh[j], bl[j] = resum_raw(col, X, y, lo, m, j, col_major)
            add_pairs(bh, bl, hh, ll)
            triangle(tile, P, e, m)  # (3) the upper triangle
            N = merge_block(P, m, mu, sh, N, MU, C, dm)
        for j in range(e):
            for q in range(j):
                C[j, q] = C[q, j]
        gcnt[grp] = N
        gmu[grp] = MU
        gc[grp] = C
        gh[grp] = hh
        gl[grp] = ll
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
