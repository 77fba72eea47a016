"""Batched runs equal the same runs one at a time; divergent runs freeze, others go on."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend.scale import batched, stream
from descend.scale.kernels import loss_and_grad_fast, moment_stats_fast


def _data(n=3000, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ np.array([1.0, -2.0, 0.5][:d]) + 0.3 + rng.standard_normal(n)
    return X, y


def _one_run(X, y, w, b, lr, loss, steps):
    for _ in range(steps):
        _, g, gb = loss_and_grad_fast(X, y, w, b, loss, 1.0)
        w, b = w - lr * g, b - lr * gb
    return w, b


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error"])
def test_sweep_equals_separate_runs(loss):
    X, y = _data()
    rates = [0.01, 0.1, 0.3]
    res = batched.learning_rate_sweep((X, y), rates, loss=loss, epsilon=1.0, max_iter=40)
    for q, lr in enumerate(rates):
        w, b = _one_run(X, y, np.zeros(3), 0.0, lr, loss, 40)
        np.testing.assert_allclose(res.W[q], w, rtol=1e-10, atol=1e-12)
        assert abs(res.B[q] - b) <= 1e-10
    assert not res.diverged.any() and (res.n_iter == 40).all()


def test_stats_and_stream_paths_agree(tmp_path):
    X, y = _data()
    f = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}), f,
                   row_group_size=500)
    rates = [0.05, 0.5]
    a = batched.learning_rate_sweep((X, y), rates, max_iter=30)
    s = batched.learning_rate_sweep(moment_stats_fast(X, y), rates, max_iter=30)
    c = batched.learning_rate_sweep(stream.open_source(f, chunk_rows=700), rates, max_iter=30)
    for other in (s, c):
        np.testing.assert_allclose(other.W, a.W, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(other.loss_curve, a.loss_curve, rtol=1e-9)


def test_divergent_runs_freeze_and_others_continue():
    X, y = _data()
    L = 2 * np.linalg.eigvalsh(X.T @ X / len(X)).max()
    res = batched.learning_rate_sweep(moment_stats_fast(X, y), [0.1, 5.0 / L], max_iter=200)
    assert res.diverged.tolist() == [False, True]
    assert np.all(np.isfinite(res.W)) and res.n_iter[0] == 200 and res.n_iter[1] < 200
    assert np.isnan(res.loss_curve[-1, 1]) and np.isfinite(res.loss_curve[-1, 0])


def test_multi_start_reaches_the_same_minimum():
    X, y = _data()
    W0 = np.random.default_rng(3).normal(scale=5, size=(6, 3))
    res = batched.multi_start((X, y), W0, np.linspace(-3, 3, 6), 0.2, max_iter=300)
    np.testing.assert_allclose(res.W, np.tile(res.W[0], (6, 1)), atol=1e-8)
