"""The in-memory fit of hard designs (:mod:`descend.models._memory`, ``kappa > QR_ABOVE``): the
row-blocked QR, the QR's own first step, the refinement rounds it needs, BLAS on one thread.

References are exact: the Gram matrix in rational arithmetic, and the exact least-squares answer
of ``benchmarks.bench_grid`` (integer data, Bareiss elimination on Python integers).
"""

from __future__ import annotations

import warnings
from fractions import Fraction as F

import numpy as np
import pytest
from benchmarks.bench_grid import design, digits, exact_answer

from descend.data.stats import moment_stats
from descend.models import LinearRegression, _memory
from descend.models._memory import MemoryRows, one_blas_thread

EPS = float(np.finfo(np.float64).eps)


def _hard(n=300, d=3, seed=2):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**10, n) * 2.0**25  # a large common offset: condition ~1e8
    X = base[:, None] + rng.integers(-4, 5, (n, d))
    y = 3.0 + X @ np.array([2.0, -1.0, 0.5, 1.0])[:d] + rng.integers(-4, 5, n)
    return X, y


def _fit(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the collinearity notice, max_iter's verdict
        return LinearRegression(**kw).fit(X, y)


@pytest.mark.parametrize("block", [64, 1 << 16])
def test_the_blocked_qr_gives_the_gram_matrix_exactly_to_rounding(monkeypatch, block):
    """``R^T R`` of the row-blocked QR equals the exact Gram matrix of ``[(X - m) / s | y - y_c]``
    to ``~eps |A|^2``, with ``R`` upper triangular, and ``|R|`` equal to numpy's QR of the whole
    matrix to rounding, whether the rows go through 19 blocks (``block = 64`` elements: 16 rows)
    or one."""
    monkeypatch.setattr(_memory, "_QR_BLOCK_ELEMENTS", block)
    X, y = _hard()
    st = moment_stats(X, y)
    mean, scale = st.mean_x, np.sqrt(np.diag(st.cxx) / st.n)
    R = _memory._blocked_r(X, y, mean, scale, float(st.mean_y))
    A = np.column_stack([(X - mean) / scale, y - st.mean_y])
    assert R.shape == (4, 4) and np.all(np.tril(R, -1) == 0)
    p = A.shape[1]
    # the exact Gram of the float64 matrix A (its rounding is the QR's input, not its error)
    G = [[sum((F(a) * F(b) for a, b in zip(A[:, i], A[:, j], strict=True)), F(0))
          for j in range(p)] for i in range(p)]
    size = np.linalg.norm(A, axis=0)
    err = np.abs(R.T @ R - np.array([[float(v) for v in row] for row in G]))
    assert np.all(err <= 64 * EPS * np.outer(size, size)), err / np.outer(size, size)
    # plain float64 A^T A misses by more than that on the y column (large |y - y_c|)?  Not
    # needed: the QR's R is compared to numpy's whole-matrix QR as well
    ref = np.linalg.qr(A, mode="r")
    np.testing.assert_allclose(np.abs(R), np.abs(ref), rtol=1e-8, atol=1e-12 * np.abs(ref).max())


def test_the_first_step_is_the_qr_answer():
    """One step (``max_iter=1``: no refinement round) lands on Householder QR's answer of the
    centred rows, ``R v = q`` -- as many digits as ``lstsq`` at least -- not on the normal
    equations' (``kappa^2 eps``: no digit at kappa ~3e8), which forming the gradient as ``S^-1
    V^T (R^T q)`` gave."""
    X, y, e = design(10_000, 5, "correlated")
    exact = exact_answer(X, y, e)
    m = _fit(X, y, max_iter=1)
    assert m.condition_number_ > 1e8 and m.n_iter_ == 1
    first = digits(np.r_[m.intercept_, m.coef_], exact)
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    lstsq = digits(np.linalg.lstsq(A, y, rcond=None)[0], exact)
    assert first >= lstsq - 0.3 and first >= 5.0, (first, lstsq)


def test_a_round_that_cannot_change_a_bit_is_not_made():
    """The ``mixed`` design (kappa ~3e7), on the Dot2 pass (sums to twice float64's precision):
    the QR's answer has ~8 digits, one round contracts its error by ~kappa eps to the last
    bits, so the fit stops after that round (the next changed < 1e-15); the answer is still at
    least 14 digits of the exact one."""
    from descend import kernels

    if not kernels.have_numba():
        pytest.skip("the rule is for the compiled Dot2 pass")
    kernels.warm_up(["dot2-0-float64C-float64C"], quiet=True)
    import numba  # noqa: F401 - a small fit takes the compiled pass once numba is loaded

    X, y, e = design(10_000, 5, "mixed")
    exact = exact_answer(X, y, e)
    m = _fit(X, y)
    assert m.result_.info["passes"] == 3  # the QR, the first step's point, one round's
    assert m.verdict_ == "converged"
    assert m.result_.info["factor"] == "tsqr" and m.result_.info["refinement_rounds"] == 1
    assert digits(np.r_[m.intercept_, m.coef_], exact) >= 14.0
    assert m.trusted_digits_ <= digits(m.coef_, exact[1:]) + 0.5


def _exact_ridge(X, y, alpha):
    """``(Xc^T Xc / n + alpha I) w = Xc^T yc / n`` (the centred rows), in rational arithmetic."""
    n, d = X.shape
    Xf = [[F(v) for v in row] for row in X]
    yf = [F(v) for v in y]
    mx = [sum((row[j] for row in Xf), F(0)) / n for j in range(d)]
    my = sum(yf, F(0)) / n
    Xc = [[row[j] - mx[j] for j in range(d)] for row in Xf]
    yc = [v - my for v in yf]
    M = [[sum((r[i] * r[j] for r in Xc), F(0)) / n + (F(alpha) if i == j else 0)
          for j in range(d)] + [sum((r[i] * v for r, v in zip(Xc, yc, strict=True)), F(0)) / n]
         for i in range(d)]
    for k in range(d):  # Gauss-Jordan, exact
        M[k] = [v / M[k][k] for v in M[k]]
        for i in range(d):
            if i != k:
                M[i] = [a - M[i][k] * b for a, b in zip(M[i], M[k], strict=True)]
    return np.array([float(M[i][d]) for i in range(d)])


def test_the_qr_start_holds_with_a_ridge_penalty():
    """With ``alpha`` the factor is the QR of the ridge rows ``[[R, q], [sqrt(n alpha) / s, 0]]``
    (the penalty ~1e-14 of the standardised Gram, far above its weakest direction ~1e-16: the
    problem stays hard, kappa ~1e7, and the penalty moves the answer): the default fit equals
    the exact ridge answer to 1e-9."""
    X, y = _hard(n=400, d=3)
    alpha = 1e7
    m = _fit(X, y, alpha=alpha)
    assert m.result_.info["factor"] == "tsqr"
    exact = _exact_ridge(X, y, alpha)
    plain = _exact_ridge(X, y, 0.0)
    assert np.max(np.abs(exact - plain) / np.abs(plain)) > 1e-3  # the penalty matters
    np.testing.assert_allclose(m.coef_, exact, rtol=1e-9)


def test_memory_rows_offer_the_qr_right_hand_side():
    X, y = _hard()
    st = moment_stats(X, y)
    mean, scale = st.mean_x, np.sqrt(np.diag(st.cxx) / st.n)
    rows = MemoryRows(X, y, st)
    assert rows.qr_rhs is None
    R = rows.r_factor(mean, scale)
    q = rows.qr_rhs
    assert q is not None
    v = np.linalg.solve(R, q)
    ref = np.linalg.lstsq((X - mean) / scale, y - st.mean_y, rcond=None)[0]
    np.testing.assert_allclose(v, ref, rtol=1e-6)


def test_one_blas_thread_inside_and_restored_after():
    """BLAS runs on one thread inside (a thin fit), and on as many as before after -- also when
    the fit raises."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def counts():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"]

    X = np.zeros((1 << 16, 2))
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = counts()
        assert before and all(k == 2 for k in before)
        with one_blas_thread(X):
            assert all(k == 1 for k in counts())
        assert counts() == before
        with pytest.raises(ZeroDivisionError), one_blas_thread(X):
            raise ZeroDivisionError
        assert counts() == before



def test_fits_in_other_threads_leave_blas_alone(monkeypatch):
    """BLAS's count is one setting for the process: fits run in other threads (a pool, ending
    in any order) never set it -- a fake BLAS records every call -- and their answers are the
    main thread's, bit for bit; the main thread sets and restores it."""
    import threading

    from descend.models import LinearRegression, _memory

    class FakeBlas:
        def __init__(self) -> None:
            self.n, self.calls = 2, []

        def get_num_threads(self) -> int:
            return self.n

        def set_num_threads(self, k: int) -> None:
            self.calls.append((threading.current_thread().name, k))
            self.n = k

    fake = FakeBlas()
    monkeypatch.setattr(_memory, "_blas_libs", lambda create: [fake])
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1 << 15, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.25 + rng.standard_normal(1 << 15)
    ref = LinearRegression().fit(X, y).coef_
    assert fake.calls == [("MainThread", 1), ("MainThread", 2)]
    fake.calls.clear()
    got: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: got.append(LinearRegression().fit(X, y).coef_),
                                name=f"pool-{k}") for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert fake.calls == [] and fake.n == 2
    assert len(got) == 3 and all(np.array_equal(c, ref) for c in got)
