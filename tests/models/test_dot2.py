"""The compiled Dot2 pass of the in-memory refinement (:mod:`descend.kernels._dot2`) against
exact sums, and the default fit that uses it against the exact least-squares answer.

Every reference is exact rational arithmetic (``fractions.Fraction``) on data exact in binary.
"""

from __future__ import annotations

import warnings
from fractions import Fraction as F

import numpy as np
import pytest
from benchmarks._exact import exact_least_squares

from descend import kernels
from descend.data.stats import moment_stats, residual_sums_dd
from descend.models import LinearRegression
from descend.models._memory import MemoryRows

pytest.importorskip("numba")
if not kernels.have_numba():  # pragma: no cover - DESCEND_NO_NUMBA
    pytest.skip("numba disabled", allow_module_level=True)

from descend.kernels._dot2 import residual_sums_fast  # noqa: E402 - numba loads here

EPS = float(np.finfo(np.float64).eps)


def _hard(n, d, seed=0):
    """A common offset ~2^35 in every column (condition ~1e8 after centring): ``X w`` cancels
    against ``y`` to a few units; every value an integer below 2^53."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**10, n) * 2.0**25
    X = base[:, None] + rng.integers(-4, 5, (n, d))
    y = 3.0 + X @ rng.integers(-3, 4, d).astype(float) + rng.integers(-4, 5, n)
    return X, y


def _exact(X, y, b, w, m):
    """``(X - m)^T r``, ``sum r``, ``r . r`` at ``r = y - b - X w``, exactly, and each sum's
    sum of absolute terms (the size a float64 sum's rounding is relative to)."""
    d = X.shape[1]
    zr, za = [F(0)] * d, [F(0)] * d
    sr = rr = sa = F(0)
    for xi, yi in zip(X, y, strict=True):
        r = F(yi) - F(b) - sum(F(a) * F(c) for a, c in zip(xi, w, strict=True))
        for j in range(d):
            t = (F(xi[j]) - F(m[j])) * r
            zr[j] += t
            za[j] += abs(t)
        sr += r
        sa += abs(r)
        rr += r * r
    return zr, za, sr, sa, rr


def _point(X, y):
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    return float(sol[0]), sol[1:]


@pytest.mark.parametrize(("n", "d"), [(1, 1), (7, 3), (300, 4), (5000, 2)])
def test_the_sums_are_the_exact_sums_to_twice_float64s_precision(n, d):
    """Each sum is within ``2 eps |s| + 1e-3 eps^2 sum|terms|`` of the exact one (Dot2's
    bound, Ogita, Rump & Oishi 2005), at a point near the answer where ``X w`` ~2^38 cancels
    against ``y``; the float64 sums miss that bound by orders of magnitude (the test can fail)."""
    X, y = _hard(n, d, seed=n)
    b, w = _point(X, y) if n > d + 1 else (1.5, np.full(d, 0.75))
    m = X.mean(axis=0)
    zr, sr, rr = residual_sums_fast(X, y, b, w, m)
    ezr, eza, esr, esa, err = _exact(X, y, b, w, m)
    for got, want, size in [*zip(zr, ezr, eza, strict=True), (sr, esr, esa), (rr, err, err)]:
        assert abs(F(got) - want) <= 2 * EPS * abs(want) + F(1e-3) * F(EPS) ** 2 * size
    if n >= 300:  # plain float64 on the same point: the residual is rounding noise
        r = y - b - X @ w
        plain = (X - m).T @ r
        assert max(abs(F(p) - e) / (abs(e) + 1) for p, e in zip(plain, ezr, strict=True)) > 1e-6


def test_the_sums_do_not_depend_on_the_blocks(monkeypatch):
    """Blocks of 7 rows instead of thousands: the same sums to 2 eps (each block's pair is
    merged in double-double, the sum rounded once); the same call twice: the same bits."""
    from descend.kernels import _dot2

    X, y = _hard(9000, 3, seed=5)
    b, w = _point(X, y)
    m = X.mean(axis=0)
    whole = residual_sums_fast(X, y, b, w, m)
    assert _dot2.block_rows(3) > 1000
    np.testing.assert_array_equal(whole[0], residual_sums_fast(X, y, b, w, m)[0])
    monkeypatch.setattr(_dot2, "block_rows", lambda d: 7)
    small = residual_sums_fast(X, y, b, w, m)
    np.testing.assert_allclose(small[0], whole[0], rtol=2 * EPS)
    assert small[1] == pytest.approx(whole[1], rel=2 * EPS)
    assert small[2] == pytest.approx(whole[2], rel=2 * EPS)


def test_memory_rows_take_the_compiled_pass_once_it_is_loaded(monkeypatch):
    """With the kernel compiled and numba loaded, a pass of :class:`MemoryRows` is the Dot2
    kernel's and gives the exact sums (scaled)."""
    X, y = _hard(400, 3, seed=2)
    residual_sums_fast(X[:2], y[:2], 0.0, np.zeros(3), np.zeros(3))  # compiled, loaded
    calls = []
    real = kernels.residual_sums
    monkeypatch.setattr(kernels, "residual_sums", lambda *a: calls.append(real(*a)) or calls[-1])
    st = moment_stats(X, y)
    scale = np.sqrt(np.diag(st.cxx) / st.n)
    b, w = _point(X, y)
    rows = MemoryRows(X, y, st)
    zr, sr, rr, n = rows.sums(st.mean_x, scale, b, w)
    assert rows.passes == 1 and len(calls) == 1 and calls[0] is not None
    ezr, _, esr, _, err = _exact(X, y, b, w, st.mean_x)
    np.testing.assert_allclose(zr, [float(v) for v in ezr] / scale, rtol=4 * EPS)
    assert sr == pytest.approx(float(esr), rel=4 * EPS) and rr == pytest.approx(float(err), rel=4 * EPS)


@pytest.mark.parametrize(("n", "d", "seed"), [(7, 3, 1), (300, 4, 2), (5000, 2, 3), (9000, 3, 5)])
def test_the_numpy_pass_gives_the_kernels_bits(n, d, seed):
    """:func:`~descend.data.stats.residual_sums_dd` (the cold start, no numba) is the kernel's
    arithmetic in NumPy: the same sums, bit for bit, in blocks of any size."""
    X, y = _hard(n, d, seed=seed)
    b, w = _point(X, y) if n > d + 1 else (1.5, np.full(d, 0.75))
    m = X.mean(axis=0)
    want = residual_sums_fast(X, y, b, w, m)
    for rows in (3, 256, 4096):
        got = residual_sums_dd(X, y, b, w, m, rows=rows)
        np.testing.assert_array_equal(got[0], want[0])
        assert (got[1], got[2]) == (want[1], want[2])


def _digits(estimate, exact):
    ref = np.array([float(r) for r in exact])
    err = np.abs(np.asarray(estimate) - ref) / np.abs(ref)
    return float(np.min(-np.log10(np.maximum(err, 1e-17))))


@pytest.mark.parametrize("kind", ["correlated", "mixed", "badly"])
def test_a_fit_gives_the_same_numbers_with_or_without_the_kernel(monkeypatch, kind):
    """The same fit in a process with numba loaded (the Dot2 kernel) and in one without it (the
    NumPy pass): every coefficient the same to the bit, and more digits than lstsq. Before, the
    4000 x 3 mixed design got 14.9 digits with the kernel and 10.6 without."""
    from benchmarks import _grid_data as g

    X, y, e = g.design(4000, 3, kind)
    exact = g.exact_answer(X, y, e)
    residual_sums_fast(X[:2], y[:2], 0.0, np.zeros(3), np.zeros(3))  # compiled, loaded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the collinearity notice
        fast = LinearRegression().fit(X, y)
        monkeypatch.setattr(kernels, "residual_sums", lambda *a, **k: None)
        slow = LinearRegression().fit(X, y)
    np.testing.assert_array_equal(slow.coef_, fast.coef_)
    assert slow.intercept_ == fast.intercept_
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    lstsq = g.digits(np.linalg.lstsq(A, y, rcond=None)[0], exact)
    assert g.digits(np.r_[fast.intercept_, fast.coef_], exact) >= lstsq - 0.3


def test_the_default_fit_on_the_dot2_pass_has_more_digits_than_lstsq_and_says_fewer(monkeypatch):
    """A correlated design (condition ~1e8): the fit refined on the Dot2 pass has at least the
    digits of the NumPy pass and of ``numpy.linalg.lstsq``, and ``trusted_digits_`` never
    promises more than it has."""
    X, y = _hard(3000, 4, seed=3)
    residual_sums_fast(X[:2], y[:2], 0.0, np.zeros(4), np.zeros(4))  # compiled, loaded
    exact = exact_least_squares(X, y)
    got = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the collinearity notice
        fast = LinearRegression().fit(X, y)
        monkeypatch.setattr(kernels, "residual_sums", lambda *a, **k: None)
        slow = LinearRegression().fit(X, y)
    for name, model in (("dot2", fast), ("numpy", slow)):
        got[name] = _digits(np.r_[model.intercept_, model.coef_], exact)
        assert model.verdict_ == "converged"
        assert model.trusted_digits_ <= _digits(model.coef_, exact[1:]) + 0.5
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    got["lstsq"] = _digits(np.linalg.lstsq(A, y, rcond=None)[0], exact)
    assert got["dot2"] >= max(got["numpy"], got["lstsq"]) - 0.3, got
    assert got["dot2"] >= 10, got


@pytest.mark.parametrize(("n", "d", "kind"), [(10_000, 5, "well"), (65, 3, "well"),
                                              (3001, 7, "badly"), (10_000, 20, "mixed")])
def test_the_numpy_pass_gives_the_kernels_bits_where_the_sums_cancel_past_double_double(
        n, d, kind):
    """At ``numpy.linalg.lstsq``'s answer of a grid design ``Z^T r`` cancels to ~1e-17 of its
    terms, below what a double-double sum resolves: there the last bits depend on the order of
    the additions. The NumPy pass adds in the kernel's blocks and order (a pairwise tree gave
    other bits on the 1e4 x 5 and 65 x 3 well designs): the same bits, signs of zero
    included, about the column means and about 0."""
    from benchmarks import _grid_data as g

    X, y, _ = g.design(n, d, kind)
    A = np.hstack([np.ones((n, 1)), X])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    for m in (X.mean(axis=0), np.zeros(d)):
        want = residual_sums_fast(X, y, sol[0], sol[1:], m)
        got = residual_sums_dd(X, y, sol[0], sol[1:], m)
        assert [v.hex() for v in got[0]] == [v.hex() for v in want[0]]
        assert (got[1].hex(), got[2].hex()) == (want[1].hex(), want[2].hex())
