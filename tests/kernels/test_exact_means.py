"""The moments' means to one ulp, against exact integer sums (issue 22).

Data where ``|y|`` reaches 1e6 while its mean is ~25, and a column with a large mean and a small
spread: every value a multiple of 2^-20 below 2^40 of them, so the exact sums and products are
Python integers. A float64 sum of such columns rounds; carrying block means relative to a shift
and merging them in float64 (the kernel and the NumPy blocked path before this test) missed the
means by thousands of ulps (3760 for the compiled kernel, 1.4e5 for the NumPy path, measured on
these data), and the fitted intercept lost 2 digits with them. The compensated (double-double)
sums give each mean within one ulp; the centred products keep the accuracy they had.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from descend.kernels import _moments
from descend.kernels._common import block_rows
from descend.kernels._numpy import column_sums2, stats_numpy

Q = 2.0**-20


def _data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = np.round(rng.uniform(-1e6, 1e6, (n, d)) / Q) * Q
    X[:, 0] = np.round((3e5 + rng.uniform(-1.0, 1.0, n)) / Q) * Q  # large mean, small spread
    y = np.round((25.0 + rng.uniform(-1e6, 1e6, n)) / Q) * Q
    return X, y


def _exact(X, y):
    """The exact means (Fractions) and centred cross-products of ``[X, y]`` (rounded once)."""
    n = X.shape[0]
    Z = np.column_stack([X, y])
    cols = [[int(v) for v in (Z[:, j] / Q).astype(np.int64)] for j in range(Z.shape[1])]
    sums = [sum(c) for c in cols]
    e = len(cols)
    C = np.empty((e, e))
    for j in range(e):
        for k in range(j, e):
            raw = sum(a * b for a, b in zip(cols[j], cols[k], strict=True))
            C[j, k] = C[k, j] = float((raw - Fraction(sums[j] * sums[k], n)) * Fraction(Q) ** 2)
    return [Fraction(s, n) * Fraction(Q) for s in sums], C


def _check(s, X, y):
    mu, C = _exact(X, y)
    d = X.shape[1]
    got = [*s.mean_x.tolist(), s.mean_y]
    for a, b in zip(got, mu, strict=True):  # within one ulp of the exact mean
        assert abs(Fraction(a) - b) <= Fraction(float(np.spacing(abs(float(b))))), (a, float(b))
    G = np.empty_like(C)
    G[:d, :d] = s.cxx
    G[:d, d] = G[d, :d] = s.cxy
    G[d, d] = s.cyy
    # as accurate as the two-pass products were (measured 2.4e-16 -- 3.6e-16 of max |C|)
    assert np.max(np.abs(G - C)) <= 2e-15 * np.max(np.abs(C))


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_kernels_means_are_within_one_ulp(order):
    # > 64 blocks: each fixed group adds several blocks' pairs before the groups are added
    X, y = _data(100_000, 3)
    s = _moments.moment_stats_fast(np.asarray(X, order=order), y)
    _check(s, X, y)


def test_the_numpy_paths_means_are_within_one_ulp():
    X, y = _data(100_000, 3, seed=1)
    _check(stats_numpy(X, y, 16 * block_rows(3)), X, y)


def test_column_sums2_is_exact_where_a_float64_sum_is_not():
    rng = np.random.default_rng(2)
    A = rng.uniform(-1e6, 1e6, (50_000, 2))  # full 53-bit significands
    A[:, 1] = A[:, 1] * 1e-9 + 1e12  # a large offset with low bits of its own
    hi, lo = column_sums2(A)
    for j in range(2):
        exact = sum(Fraction(v) for v in A[:, j].tolist())
        assert abs(Fraction(hi[j]) + Fraction(lo[j]) - exact) <= abs(exact) * Fraction(2.0**-100)
        assert Fraction(float(A[:, j].sum())) != exact  # a plain float64 sum misses it


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("d", [3, 6, 10, 14, 20])
def test_every_register_block_against_exact_products(order, d):
    # d + 1 columns = 4, 7, 11, 15: the triangle's last block column has 1, 1, 2 and 3
    # columns, so each register block (3 x 3, 3 x 2, 3 x 1 and the diagonal blocks of 3, 2
    # and 1 columns) computes some entries; several tiles of rows, the last one ragged.
    # d = 20: the wide tiles (block_rows 400, L2-resident), 13 of them
    if d == 20:
        assert block_rows(d) == 400
    X, y = _data(5_003, d, seed=d)
    s = _moments.moment_stats_fast(np.asarray(X, order=order), y)
    _check(s, X, y)



@pytest.mark.parametrize("order", ["C", "F"])
def test_means_exact_where_a_column_jumps_in_magnitude_between_blocks(order):
    # The exact sums' grid is carried from one block to the next (_moments._shift_and_sum);
    # where a column's sum of magnitudes leaves its window (here 1e6 times larger every
    # other 1000 rows, a column of zeros up to row 50,000, one that shrinks 1e9 times),
    # the block's column is summed again from X. Values with full 53-bit significands: a
    # grid kept from the last block would be too fine (the integer sums pass 2^53 and
    # round; checked: with the window check switched off this test fails).
    n = 100_000  # > 64 blocks: each fixed group carries its grid over several blocks
    rng = np.random.default_rng(5)
    seg = np.arange(n) // 1000
    X = rng.uniform(-1.0, 1.0, (n, 3))
    # column 0: values near 1 and, every other 1000 rows, values to 1e6 whose segments
    # cancel exactly in pairs (+v, then -v), so the mean stays near 0.5 and one block's
    # rounded sum of its large values (a grid kept from a block of small ones) shows
    base = rng.uniform(-1e6, 1e6, 1000)
    X[:, 0] = np.where(seg % 2 == 1, np.tile(base, n // 1000) * np.where(seg % 4 == 1, 1.0, -1.0),
                       rng.uniform(0.5, 1.5, n))
    X[:50_000, 1] = 0.0
    X[:, 2] *= np.where(np.arange(n) < 70_000, 1e6, 1e-3)
    y = rng.uniform(-1e6, 1e6, n)
    assert block_rows(3) < 1000  # the jumps fall between blocks and inside them
    s = _moments.moment_stats_fast(np.asarray(X, order=order), y)
    Z = np.column_stack([X, y])
    for got, col in zip([*s.mean_x.tolist(), s.mean_y], Z.T, strict=True):
        exact = sum(Fraction(v) for v in col.tolist()) / n
        assert abs(Fraction(got) - exact) <= Fraction(float(np.spacing(abs(float(exact))))), (got, float(exact))
    ref = stats_numpy(X, y, 16 * block_rows(3))
    assert np.max(np.abs(s.cxx - ref.cxx)) <= 1e-13 * np.max(np.abs(ref.cxx))
