"""Batched runs equal the same runs one at a time; divergent runs freeze, others go on."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend.models.sweep import sweep_learning_rates
from descend.scale import stream
from descend.scale.kernels import loss_and_grad_fast, moment_stats_fast


def _sweep(data, rates, **kw):
    """The one sweep on the rows, in raw coordinates (what ``batched_gd`` was)."""
    return sweep_learning_rates(data, None, rates, scale=False, rows=True, **kw)


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


@pytest.mark.slow  # 16-34 s of CPU per loss (measured)
@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error"])
def test_sweep_equals_separate_runs(loss):
    X, y = _data()
    rates = [0.01, 0.1, 0.3]
    # tol=0: a run stops only when its loss is exactly flat over 5 steps (or at max_iter)
    res = _sweep((X, y), rates, loss=loss, epsilon=1.0, max_iter=40, tol=0)
    assert not res.diverged.any()
    for q, lr in enumerate(rates):
        k = int(res.n_iter[q])
        w, b = _one_run(X, y, np.zeros(3), 0.0, lr, loss, k)
        np.testing.assert_allclose(res.coef[q], w, rtol=1e-10, atol=1e-12)
        assert abs(res.intercept[q] - b) <= 1e-10
        if k < 40:  # stopped early: only by an exactly flat loss over the last 5 steps
            assert res.status[q] == "no_progress"
            assert np.ptp(res.loss_curve[k - 5 : k + 1, q]) == 0.0
        else:
            assert res.status[q] == "max_iter"
    assert (res.n_iter[:2] == 40).all()  # the slow rates cannot flatten in 40 steps


@pytest.mark.slow  # 25 s of CPU (measured)
def test_stats_and_stream_paths_agree(tmp_path):
    X, y = _data()
    f = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}), f,
                   row_group_size=500)
    rates = [0.05, 0.5]
    a = _sweep((X, y), rates, max_iter=30)
    s = _sweep(moment_stats_fast(X, y), rates, max_iter=30)
    c = _sweep(stream.open_source(f, chunk_rows=700), rates, max_iter=30)
    for other in (s, c):
        np.testing.assert_allclose(other.coef, a.coef, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(other.loss_curve, a.loss_curve, rtol=1e-9)


def test_divergent_runs_freeze_and_others_continue():
    X, y = _data()
    L = 2 * np.linalg.eigvalsh(X.T @ X / len(X)).max()
    res = _sweep(moment_stats_fast(X, y), [0.1, 5.0 / L], max_iter=200,
                                      tol=0)
    assert res.diverged.tolist() == [False, True]
    assert res.status[1] == "diverged" and res.verdicts[1] == "diverged"
    k0, k1 = int(res.n_iter[0]), int(res.n_iter[1])
    assert np.all(np.isfinite(res.coef)) and k1 < k0 <= 200
    # the blow-up run's curve ends at its last committed step; the other goes on past it
    assert np.isnan(res.loss_curve[k1 + 1 :, 1]).all() and np.isfinite(res.loss_curve[k1, 1])
    assert np.isfinite(res.loss_curve[: k0 + 1, 0]).all()
    # tol=0: the good run stops only at max_iter or on an exactly flat loss
    assert k0 == 200 or np.ptp(res.loss_curve[k0 - 5 : k0 + 1, 0]) == 0.0


def test_multi_start_reaches_the_same_minimum():
    X, y = _data()
    W0 = np.random.default_rng(3).normal(scale=5, size=(6, 3))
    res = _sweep((X, y), [0.2], starts=(W0, np.linspace(-3, 3, 6)), max_iter=300, tol=0)
    np.testing.assert_allclose(res.coef, np.tile(res.coef[0], (6, 1)), atol=1e-8)
