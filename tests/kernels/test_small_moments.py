"""The compiled moments of a small fit on one thread (:func:`descend.kernels.small_moments`),
against exact integer sums and the two-thread kernel's bits, and the fit's dispatch to them
(issue 22).

Every value is a multiple of 2^-20 below 2^40 of them, so the exact sums and products are
Python integers (the construction of ``test_exact_means``); a column has a large mean and a
small spread, where a plain float64 sum of the raw values loses digits.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_exact_means import _check, _data  # the exact integer sums, shared

from descend import kernels
from descend.kernels import _jit

pytestmark = pytest.mark.skipif(not _jit.HAVE_NUMBA, reason="numba kernels only")


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(("n", "d"), [(5_003, 3), (7_001, 6)])
def test_small_moments_against_exact_sums(order, n, d):
    # several blocks of rows, the last one ragged; every register block shape of the triangle
    import numba

    X, y = _data(n, d, seed=d)
    X = np.asarray(X, order=order)
    kernels.warm_up([f"stats-0-float64{order}-float64C"], quiet=True)
    before = numba.get_num_threads()
    s = kernels.small_moments(X, y)
    assert s is not None and s.n == n
    assert numba.get_num_threads() == before  # the thread count is put back
    _check(s, X, y)


@pytest.mark.parametrize("n", [20_000, 100_000])
def test_on_one_thread_the_kernel_gives_its_two_thread_bits(n):
    # the groups of blocks are fixed by n and d: one thread or two, the same sums in order;
    # 1e5 x 5 is above FAST_MIN_ELEMENTS, where a fit took the kernel on two threads before
    from descend.kernels._moments import moment_stats_fast
    from descend.models import losses

    X, y = _data(n, 5, seed=3)
    kernels.warm_up(["stats-0-float64C-float64C"], quiet=True)
    a, b = moment_stats_fast(X, y), kernels.small_moments(X, y)
    assert b is not None and X.size < kernels.ONE_THREAD_STATS_ELEMENTS
    assert losses.fast_moment_stats(X, y).cxx.tobytes() == b.cxx.tobytes()
    for u, v in zip((a.mean_x, a.mean_y, a.cxx, a.cxy, a.cyy),
                    (b.mean_x, b.mean_y, b.cxx, b.cxy, b.cyy), strict=True):
        assert np.asarray(u).tobytes() == np.asarray(v).tobytes()


def test_a_small_fit_takes_it_once_numba_is_loaded():
    # 1e4 x 5 (5e4 elements: under FAST_MIN_ELEMENTS, from LOADED_MIN_ELEMENTS): the fit's
    # moments are the kernel's, once numba is loaded and the kernel on disk
    import numba  # noqa: F401 - what the dispatch asks for

    from descend.data.stats import moment_stats
    from descend.kernels._moments import moment_stats_fast
    from descend.models import losses

    kernels.warm_up(["stats-0-float64C-float64C"], quiet=True)
    X, y = _data(10_000, 5, seed=4)
    assert losses.LOADED_MIN_ELEMENTS <= X.size < kernels.FAST_MIN_ELEMENTS
    got = losses.fast_moment_stats(X, y)
    want = moment_stats_fast(X, y)
    assert got.mean_x.tobytes() == want.mean_x.tobytes() and got.cxx.tobytes() == want.cxx.tobytes()
    _check(got, X, y)
    # below LOADED_MIN_ELEMENTS: NumPy's two passes, as without numba
    Xs, ys = X[:1000], y[:1000]
    small, ref = losses.fast_moment_stats(Xs, ys), moment_stats(Xs, ys)
    assert small.cxx.tobytes() == ref.cxx.tobytes()
    # a float32 X is not this path's: None (NumPy's moments)
    assert kernels.small_moments(X.astype(np.float32), y) is None
