"""The moments kernel and the batched full pass, split into inlined helpers (issue 20), against
plain NumPy formulas written here, on every dtype, layout and loss they serve.

Each case is chosen to reach one branch of a helper: fewer than four features (only the tail
loops), a multiple of four, four plus a tail; one row, a ragged last block, more than 64
blocks (each fixed group merges several blocks before the groups merge); C, F and strided
``X``; float64 and float32; data far from zero (the per-block shift). The kernels are called
directly (``descend.kernels._moments`` / ``_full_pass``), so they compile in the foreground on
a cold cache (about 15 s for each moments signature and 8 s for each batched one here):
the module is in the slow lane. The same inputs gave bit-identical outputs (``float.hex``)
before and after the split; that one-off comparison against the tree before it is in the
issue's closing note, not here -- the bits of a reassociated sum are not portable.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.kernels import _full_pass, _moments
from descend.kernels._common import LOSSES, block_rows

pytestmark = pytest.mark.slow


def _data(n, d, dtype, seed, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d) + offset
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    return X.astype(dtype), y.astype(dtype)


def _layout(X, order):
    if order == "A":  # every other row of an array twice as long: numba's layout "A"
        Z = np.empty((2 * X.shape[0], X.shape[1]), dtype=X.dtype)
        Z[::2] = X
        return Z[::2]
    return np.asarray(X, order=order)


def _moments_reference(X, y):
    """Means and centred cross-products by the two-pass formula, in float64."""
    Z = np.column_stack([np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)])
    mu = Z.mean(axis=0)
    Zc = Z - mu
    C = Zc.T @ Zc
    d = X.shape[1]
    return mu[:d], mu[d], C[:d, :d], C[:d, d], C[d, d]


def _close(got, want, rtol):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(want))))
    assert np.max(np.abs(got - want)) <= rtol * scale, (got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F", "A"])
@pytest.mark.parametrize(("n", "d"), [(1, 3), (7, 1), (2503, 3), (2503, 4), (30_011, 10), (4001, 17)])
def test_moments_match_the_two_pass_formula(dtype, order, n, d):
    if order == "A" and dtype == np.float32:
        pytest.skip("one strided signature is enough")
    X, y = _data(n, d, dtype, seed=n + d)
    X = _layout(X, order)
    if (n, d) == (30_011, 10):  # the case meant to merge several blocks per group
        assert -(-n // block_rows(d)) > 64
    s = _moments.moment_stats_fast(X, y)
    mx, my, cxx, cxy, cyy = _moments_reference(X, y)
    assert s.n == n
    _close(s.mean_x, mx, 1e-12)
    _close(s.mean_y, my, 1e-12)
    scale = max(1.0, n)  # the cross-products are sums over n rows
    _close(s.cxx / scale, cxx / scale, 1e-11)
    _close(s.cxy / scale, cxy / scale, 1e-11)
    _close(s.cyy / scale, cyy / scale, 1e-11)


@pytest.mark.parametrize("order", ["C", "F"])
def test_moments_far_from_zero_keep_their_digits(order):
    # values ~1e6 with unit spread: the raw sums would lose ~12 digits; the shift keeps them
    X, y = _data(20_003, 6, np.float64, seed=3)
    s0 = _moments.moment_stats_fast(_layout(X, order), y)
    s1 = _moments.moment_stats_fast(_layout(X + 1e6, order), y + 1e6)
    _close(s1.mean_x - 1e6, s0.mean_x, 1e-9)
    _close(s1.cxx / 20_003, s0.cxx / 20_003, 1e-9)
    _close(s1.cxy / 20_003, s0.cxy / 20_003, 1e-9)
    _close(s1.cyy / 20_003, s0.cyy / 20_003, 1e-9)


def _loss_reference(X, y, w, b, loss, eps):
    """Mean loss and gradient of one run, written from the module docstring's formulas."""
    X = np.asarray(X, dtype=np.float64)
    r = X @ w + b - np.asarray(y, dtype=np.float64)
    if loss == "squared_error":
        val, p = r * r, 2.0 * r
    elif loss == "huber":
        a = np.abs(r)
        val = np.where(a <= eps, r * r, eps * (2.0 * a - eps))
        p = 2.0 * np.clip(r, -eps, eps)
    else:
        val, p = np.abs(r), np.sign(r)
    return val.mean(), X.T @ p / len(r), p.mean()


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(("n", "d", "runs"), [(2503, 1, 2), (2503, 3, 3), (999, 8, 5), (20_011, 9, 4)])
def test_batched_pass_matches_each_run_by_formula(loss, dtype, order, n, d, runs):
    X, y = _data(n, d, dtype, seed=7 * d + runs)
    X = _layout(X, order)
    rng = np.random.default_rng(runs)
    W, B = rng.standard_normal((runs, d)), rng.standard_normal(runs)
    L, G, GB = _full_pass.loss_and_grad_batched_fast(X, y, W, B, loss, 0.7)
    assert L.shape == (runs,) and G.shape == (runs, d) and GB.shape == (runs,)
    for q in range(runs):
        Lq, gq, gbq = _loss_reference(X, y, W[q], B[q], loss, 0.7)
        _close(L[q], Lq, 1e-10)
        _close(G[q], gq, 1e-10)
        _close(GB[q], gbq, 1e-10)
