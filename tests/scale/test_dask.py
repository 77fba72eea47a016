"""Dask map-reduce on a two-process LocalCluster equals the in-memory answers."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from descend.data.stats import moment_stats
from descend.scale.kernels import loss_and_grad_fast

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from descend.scale import dask_engine  # noqa: E402

pytestmark = pytest.mark.slow  # a Dask cluster


@pytest.fixture(scope="module")
def client(dask_cluster):
    with distributed.Client(dask_cluster) as c:
        yield c


def _data(n=20_000, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + 100.0
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    return X, y


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1e-300, np.max(np.abs(b))))


def test_moment_stats_dask_array_equals_in_memory(client):
    X, y = _data()
    s = dask_engine.moment_stats_dask(da.from_array(X, chunks=(1500, 2)), da.from_array(y, chunks=999))
    r = moment_stats(X, y)
    assert s.n == r.n
    for a, b in [(s.mean_x, r.mean_x), (s.mean_y, r.mean_y), (s.cxx, r.cxx), (s.cxy, r.cxy),
                 (s.cyy, r.cyy)]:
        assert _rel(a, b) <= 1e-10


def test_moment_stats_dask_dataframe(client):
    import pandas as pd

    X, y = _data(d=3)
    pdf = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "price": y})
    ddf = dd.from_pandas(pdf, npartitions=7)
    s = dask_engine.moment_stats_dask(ddf, target="price", features="c,a")
    r = moment_stats(X[:, [2, 0]], y)
    assert _rel(s.cxx, r.cxx) <= 1e-10 and _rel(s.cxy, r.cxy) <= 1e-10
    assert _rel(s.mean_x, r.mean_x) <= 1e-10


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error"])
def test_loss_and_grad_dask_equals_in_memory(client, loss):
    X, y = _data()
    Xd, yd = da.from_array(X, chunks=(2500, 5)), da.from_array(y, chunks=2500)
    Xd, yd = client.persist([Xd, yd])
    w = np.linspace(-1, 1, 5)
    got = dask_engine.loss_and_grad_dask(Xd, yd, w, 0.5, loss, 2.0)
    ref = loss_and_grad_fast(X, y, w, 0.5, loss, 2.0)
    for a, b in zip(got, ref, strict=True):
        assert _rel(a, b) <= 1e-10


def _descent(grad, d, steps, lr, on_step=None):
    w, b = np.zeros(d), 0.0
    for k in range(steps):
        _, gw, gb = grad(w, b)
        w, b = w - lr * gw, b - lr * gb
        if on_step is not None:
            on_step(k)
    return w, b


def test_worker_killed_mid_fit_gives_the_same_answer(client):
    X, y = _data(n=12_000, d=4)
    X = (X - X.mean(0)) / X.std(0)
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.7 + np.random.default_rng(1).standard_cauchy(len(y))
    Xd, yd = client.persist([da.from_array(X, chunks=(1000, 4)), da.from_array(y, chunks=1000)])
    distributed.wait([Xd, yd])

    killed = []

    def kill_one(k):
        if k == 3:  # mid-fit: this worker holds persisted partitions
            pid = sorted(client.run(os.getpid).values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    got = _descent(lambda w, b: dask_engine.loss_and_grad_dask(Xd, yd, w, b, "huber", 1.0),
                   4, 12, 0.9, kill_one)
    ref = _descent(lambda w, b: loss_and_grad_fast(X, y, w, b, "huber", 1.0), 4, 12, 0.9)
    assert np.all(np.abs(ref[0]) > 0.1)  # a real fit, not a run stuck near 0
    assert _rel(got[0], ref[0]) <= 1e-10 and abs(got[1] - ref[1]) <= 1e-10 * max(1, abs(ref[1]))
    client.wait_for_workers(2, timeout=60)
    assert killed and killed[0] not in client.run(os.getpid).values()  # it really died


def test_dask_fit_equals_in_memory_fit(client):
    models = pytest.importorskip("descend.models")
    X, y = _data(d=3)
    st = dask_engine.moment_stats_dask(da.from_array(X, chunks=(3000, 3)), da.from_array(y, chunks=3000))
    a = models.LinearRegression().fit_moments(st, ("a", "b", "c"))
    b = models.LinearRegression().fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-10)
