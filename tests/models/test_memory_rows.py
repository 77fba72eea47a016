"""The in-memory rows of the preconditioned fit (:mod:`descend.models._memory`) against exact sums.

Every reference is exact rational arithmetic (``fractions.Fraction``) on data that are exact in
binary, so ``Z^T r``, ``sum r`` and ``r . r`` are known to the last bit.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from descend.data.stats import moment_stats
from descend.models import _memory
from descend.models._memory import MemoryRows


@pytest.fixture(autouse=True)
def _numpy_path(monkeypatch):
    """These tests check the NumPy reference pass (the cold start): the compiled Dot2 pass,
    once a test in this process has loaded numba, is checked in test_dot2.py."""
    from descend import kernels

    monkeypatch.setattr(kernels, "residual_sums", lambda *a, **k: None)


def _data(n=200, d=3, seed=1):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**10, n) * 2.0**25  # a large common offset: X w cancels against y
    X = base[:, None] + rng.integers(-4, 5, (n, d))
    y = 3.0 + X @ np.array([2.0, -1.0, 0.5])[:d] + rng.integers(-4, 5, n)
    return X, y


def _exact_sums(X, y, mean, scale, b, w):
    zr = [F(0)] * X.shape[1]
    sr = rr = F(0)
    for xi, yi in zip(X, y, strict=True):
        r = F(yi) - F(b) - sum(F(a) * F(c) for a, c in zip(xi, w, strict=True))
        for j, a in enumerate(xi):
            zr[j] += (F(a) - F(mean[j])) / F(scale[j]) * r
        sr += r
        rr += r * r
    return [float(v) for v in zr], float(sr), float(rr)


@pytest.mark.parametrize("rows", [256, 4096])
def test_one_pass_sums_are_exact_to_rounding(monkeypatch, rows):
    """``Z^T r``, ``sum r``, ``r . r`` at a point near the answer, where ``X w`` (~2^36) cancels
    against ``y`` to ~4: the NumPy double-double pass gives the exact sums rounded once (to a
    few units in the last place; a float64 residual is off by ~1e-5 of their size), in one
    block or several."""
    monkeypatch.setattr(_memory, "_DD_BLOCK_ELEMENTS", rows * 3)
    X, y = _data(n=1000)  # 4 blocks of 256 rows, or one
    st = moment_stats(X, y)
    mean, scale = st.mean_x, np.sqrt(np.diag(st.cxx) / st.n)
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    b, w = float(sol[0]), sol[1:]
    zr, sr, rr, n = MemoryRows(X, y, st).sums(mean, scale, b, w)
    ezr, esr, err = _exact_sums(X, y, mean, scale, b, w)
    size = np.sqrt(err) * np.sqrt(n)  # |Z^T r| <= |Z_j| |r| = sqrt(n) |r|
    assert n == X.shape[0]
    np.testing.assert_allclose(zr, ezr, rtol=4e-16, atol=1e-15 * size)
    assert sr == pytest.approx(esr, rel=4e-16, abs=1e-15 * size)
    assert rr == pytest.approx(err, rel=4e-16)


def test_start_sums_come_from_the_moments_and_match_a_pass():
    """At ``w = 0`` no pass is made: the moments give the same sums as a pass would."""
    X, y = _data(d=2)
    st = moment_stats(X, y)
    mean, scale = st.mean_x, np.sqrt(np.diag(st.cxx) / st.n)
    rows = MemoryRows(X, y, st)
    zr, sr, rr, _ = rows.sums(mean, scale, 1.5, np.zeros(2))
    assert rows.passes == 0
    ezr, esr, err = _exact_sums(X, y, mean, scale, 1.5, [0.0, 0.0])
    np.testing.assert_allclose(zr, ezr, rtol=1e-12, atol=1e-12 * np.sqrt(err * st.n))
    assert sr == pytest.approx(esr, rel=1e-12) and rr == pytest.approx(err, rel=1e-12)
    # the same point again is not read again
    rows.sums(mean, scale, 1.5, np.zeros(2))
    rows.sums(mean, scale, 1.0, np.ones(2))
    rows.sums(mean, scale, 1.0, np.ones(2))
    assert rows.passes == 1


def test_qr_start_is_the_householder_answer():
    """After ``r_factor``, the start's ``Z^T (y - b)`` is ``R^T q`` of the QR of ``[Z | y - y_c]``:
    equal to the product from the rows, and ``R^-1 q`` is ``lstsq``'s answer of the centred rows."""
    X, y = _data(d=3)
    st = moment_stats(X, y)
    mean, scale = st.mean_x, np.sqrt(np.diag(st.cxx) / st.n)
    rows = MemoryRows(X, y, st)
    R = rows.r_factor(mean, scale)
    Z = (X - mean) / scale
    zr, _, _, _ = rows.sums(mean, scale, 0.0, np.zeros(3))
    np.testing.assert_allclose(R.T @ R, Z.T @ Z, rtol=1e-9, atol=1e-9 * st.n)
    np.testing.assert_allclose(zr, Z.T @ y, rtol=1e-6, atol=1e-9 * np.abs(Z.T @ y).max())
    assert rows._start is not None
    R2, q = rows._start
    v = np.linalg.solve(R2, q)
    ref = np.linalg.lstsq(Z, y - st.mean_y, rcond=None)[0]
    np.testing.assert_allclose(v, ref, rtol=1e-6)
