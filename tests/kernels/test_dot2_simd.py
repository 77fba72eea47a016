"""The Dot2 pass's residuals of 4 rows side by side (:mod:`descend.kernels._dot2`,
``_residuals4``, 256-bit vectors written in LLVM IR) against the row-at-a-time chain and
against exact rational residuals, on every layout it reads; and the whole pass against its NumPy
twin (:func:`~descend.data.stats.residual_sums_dd`) on the layouts and ragged ends the vector
path adds: 1-3 rows left at a block's end, a column count that is not a multiple of 4.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from descend import kernels
from descend.data.stats import residual_sums_dd

pytest.importorskip("numba")
if not kernels.have_numba():  # pragma: no cover - DESCEND_NO_NUMBA
    pytest.skip("numba disabled", allow_module_level=True)

import numba  # noqa: E402

from descend.kernels import _dot2  # noqa: E402 - numba loads here

EPS = float(np.finfo(np.float64).eps)


@numba.njit
def _four(X, y, i, b, nw):  # pragma: no cover - compiled
    return _dot2._residuals4(X, y, i, b, nw)


@numba.njit
def _one(X, y, i, b, nw):  # pragma: no cover - compiled
    return _dot2._residual(X, y, i, b, nw)


def _cancelling(n, d, seed):
    """Rows whose ``x . w`` ~2^40 cancels against ``y`` to a few units (the float64 residual
    is rounding noise there); integers times powers of 2, so exact in binary."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-2**20, 2**20, (n, d)) * 2.0 ** rng.integers(-8, 9, d)
    w = rng.integers(-2**20, 2**20, d) / 3.0
    y = X @ w + rng.integers(-4, 5, n) * 2.0**-20
    return X, y, w


def _exact_residual(x, y, b, w):
    """``y - b - x . w`` in rationals, and ``|y| + sum |x_j w_j|`` (what Dot2's error scales by)."""
    terms = [F(a) * F(c) for a, c in zip(x, w, strict=True)]
    return F(y) - F(b) - sum(terms, F(0)), abs(F(y)) + sum(map(abs, terms), F(0))


def _layouts(X):
    """``X`` row-major, column-major, every other column of a wider array, rows reversed."""
    wide = np.repeat(X, 2, axis=1)[:, ::2]
    return {"C": X, "F": np.asfortranarray(X), "strided": wide, "reversed": X[::-1]}


@pytest.mark.parametrize("d", [0, 1, 3, 4, 5, 8, 9])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed"])
def test_four_rows_side_by_side_are_the_row_chains_bits_and_exact(d, layout):
    """Each lane's ``(h, l)`` is the scalar chain's on that row, to the bit (the same operations
    in the same order), and ``h + l`` is the exact residual to ``eps^2 sum |x_j w_j|``."""
    X, y, w = _cancelling(12, d, seed=d)
    X = _layouts(X)[layout]
    yy = y[::-1].copy() if layout == "reversed" else y
    b, nw = 0.75, -w
    for i in (0, 3, 8):
        got = _four(X, yy, i, b, nw)
        for k in range(4):
            h, lo = _one(X, yy, i + k, b, nw)
            assert (got[k].hex(), got[4 + k].hex()) == (h.hex(), lo.hex())
            exact, size = _exact_residual(X[i + k], yy[i + k], b, w)
            assert abs(F(got[k]) + F(got[4 + k]) - exact) <= 4 * F(EPS) ** 2 * size


@pytest.mark.parametrize(("n", "d"), [(1, 3), (3, 5), (6, 4), (4099, 1), (3283, 5), (831, 20),
                                      (170, 100)])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed"])
def test_the_pass_gives_the_numpy_twins_bits_on_every_layout_and_ragged_end(n, d, layout):
    """Blocks of ``dd_block_rows(d)`` rows whose last group has 1-3 rows (3283 = 3276 + 7 at
    d = 5, 831 = 819 + 12 at d = 20, 170 = 163 + 7 at d = 100): the compiled pass and the
    NumPy twin agree to the bit (``float.hex``), about the column means and about 0; and the
    sums are the exact ones to twice float64's precision."""
    X, y, w = _cancelling(n, d, seed=n + d)
    X = _layouts(X)[layout]
    yy = y[::-1].copy() if layout == "reversed" else y
    for m in (X.mean(axis=0), np.zeros(d)):
        want = residual_sums_dd(np.ascontiguousarray(X), yy, 0.25, w, m)
        got = _dot2.residual_sums_fast(X, yy, 0.25, w, m)
        assert [v.hex() for v in got[0]] == [v.hex() for v in want[0]]
        assert (got[1].hex(), got[2].hex()) == (want[1].hex(), want[2].hex())
    if n <= 10:
        r = [_exact_residual(row, a, 0.25, w)[0] for a, row in zip(yy, X, strict=True)]
        sr, rr = sum(r, F(0)), sum((v * v for v in r), F(0))
        assert abs(F(got[1]) - sr) <= 2 * F(EPS) * abs(sr) + F(EPS) ** 2
        assert abs(F(got[2]) - rr) <= 2 * F(EPS) * abs(rr) + F(EPS) ** 2


def test_float32_input_is_converted_not_misread():
    """The vector path reads float64 only: float32 ``X`` and ``y`` are converted first, so the
    sums are those of the float64 copies (the intrinsic refuses other dtypes at typing)."""
    X, y, w = _cancelling(9, 3, seed=1)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    want = _dot2.residual_sums_fast(X32.astype(np.float64), y32.astype(np.float64), 0.0, w,
                                    np.zeros(3))
    got = _dot2.residual_sums_fast(X32, y32, 0.0, w, np.zeros(3))
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1:] == want[1:]
