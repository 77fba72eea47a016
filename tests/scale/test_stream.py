"""Streaming readers: same statistics and gradients as in memory, constant chunk size."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend.data.stats import moment_stats
from descend.errors import DataError
from descend.scale import stream
from descend.scale.kernels import loss_and_grad_fast


def _data(n=5000, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * [1.0, 10.0, 0.1, 3.0][:d] + 5.0
    y = X @ np.arange(1.0, d + 1) + rng.standard_normal(n)
    return X, y


def _write_parquet(path, X, y, names=None, row_group_size=700):
    names = names or [f"f{j}" for j in range(X.shape[1])]
    cols = {n: X[:, j] for j, n in enumerate(names)}
    cols["target"] = y
    pq.write_table(pa.table(cols), path, row_group_size=row_group_size)


def _close(a, b, rtol=1e-10):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.max(np.abs(a - b)) <= rtol * max(1.0, np.max(np.abs(b))), (a, b)


def _same_stats(s, r):
    assert s.n == r.n
    for a, b in [(s.mean_x, r.mean_x), (s.mean_y, r.mean_y), (s.cxx, r.cxx), (s.cxy, r.cxy),
                 (s.cyy, r.cyy)]:
        _close(a, b)


@pytest.mark.parametrize("chunk_rows", [1, 333, 100_000])
def test_parquet_file_stats_equal_in_memory(tmp_path, chunk_rows):
    X, y = _data(n=2000 if chunk_rows == 1 else 5000)
    f = tmp_path / "d.parquet"
    _write_parquet(f, X, y)
    s, feats, tgt = stream.stats_from_file(f, chunk_rows=chunk_rows)
    assert feats == ("f0", "f1", "f2", "f3") and tgt == "target"
    _same_stats(s, moment_stats(X, y))


def test_folder_and_glob(tmp_path):
    X, y = _data()
    (tmp_path / "parts").mkdir()
    for k, lo in enumerate(range(0, 5000, 1250)):
        _write_parquet(tmp_path / "parts" / f"p{k}.parquet", X[lo : lo + 1250], y[lo : lo + 1250])
    ref = moment_stats(X, y)
    _same_stats(stream.stats_from_file(tmp_path / "parts", chunk_rows=512)[0], ref)
    _same_stats(stream.stats_from_file(str(tmp_path / "parts" / "p*.parquet"))[0], ref)


def test_named_target_and_features(tmp_path):
    X, y = _data()
    f = tmp_path / "d.parquet"
    _write_parquet(f, X, y)
    s, feats, tgt = stream.stats_from_file(f, target="f1", features="f3,f0")
    assert feats == ("f3", "f0") and tgt == "f1"
    _same_stats(s, moment_stats(X[:, [3, 0]], X[:, 1]))
    with pytest.raises(DataError, match="did you mean 'target'"):
        stream.stats_from_file(f, target="targt")


@pytest.mark.parametrize("sep,header,crlf,bom", [(",", True, False, False),
                                                  (";", False, True, True),
                                                  ("\t", True, True, False)])
def test_csv_stream(tmp_path, sep, header, crlf, bom):
    X, y = _data(n=3001, d=2)
    nl = "\r\n" if crlf else "\n"
    lines = ([sep.join(["size", "rooms", "price"])] if header else [])
    lines += [sep.join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y, strict=True)]
    f = tmp_path / "d.csv"
    f.write_bytes((("\ufeff" if bom else "") + nl.join(lines) + nl).encode())
    s, feats, tgt = stream.stats_from_file(f, chunk_rows=1000)
    assert (feats, tgt) == ((("size", "rooms"), "price") if header else (("x1", "x2"), "y"))
    _same_stats(s, moment_stats(X, y))


def test_stream_gradient_equals_in_memory(tmp_path):
    X, y = _data()
    f = tmp_path / "d.parquet"
    _write_parquet(f, X, y)
    src = stream.open_source(f, chunk_rows=777)
    w = np.array([0.5, -1.0, 2.0, 0.1])
    seen = []
    for loss in ("squared_error", "huber", "absolute_error"):
        got = stream.loss_and_grad_stream(src, w, 0.3, loss, 1.0,
                                          progress=lambda k, t: seen.append((k, t)))
        ref = loss_and_grad_fast(X, y, w, 0.3, loss, 1.0)
        for a, b in zip(got, ref, strict=True):
            _close(a, b)
    assert seen[-1] == (5000, 5000)


def test_minibatches_shuffle_across_and_within_chunks(tmp_path):
    X, y = _data(n=4000, d=2)
    X[:, 0] = np.arange(4000)  # row ids
    f = tmp_path / "d.parquet"
    _write_parquet(f, X, y, row_group_size=500)
    src = stream.open_source(f, chunk_rows=250)
    a = list(stream.iter_minibatches(src, 64, rng=7))
    b = list(stream.iter_minibatches(src, 64, rng=7))
    c = list(stream.iter_minibatches(src, 64, rng=8))
    ids = np.concatenate([xb[:, 0] for xb, _ in a])
    assert sorted(ids.tolist()) == list(range(4000))  # every row once per epoch
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b, strict=True))  # seeded
    assert not np.array_equal(ids, np.concatenate([xb[:, 0] for xb, _ in c]))
    first = a[0][0][:, 0] // 500  # row groups the first batch draws from
    assert len(set(first.tolist())) > 1  # across chunks
    assert not np.all(np.diff(a[0][0][:, 0]) > 0)  # within chunks
    assert all(len(xb) == 64 for xb, _ in a[:-1])
    for xb, yb in a:  # rows keep their targets
        np.testing.assert_array_equal(yb, y[xb[:, 0].astype(int)])


def test_bad_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        stream.open_source(tmp_path / "missing.parquet")
    f = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"a": [1.0, None, 3.0], "b": [1.0, 2.0, 3.0]}), f)
    with pytest.raises(DataError, match=r"missing value at line 2, column 'a' \(1\)"):
        stream.stats_from_file(f)
    g = tmp_path / "text.csv"
    g.write_text("a,b\n1,2\n3,x\n")
    with pytest.raises(DataError, match="text.csv"):
        stream.stats_from_file(g)
    with pytest.raises(DataError, match="no file matches"):
        stream.open_source(str(tmp_path / "*.nothing"))


def test_streamed_fit_equals_in_memory_fit(tmp_path):
    """The squared-loss fit from streamed statistics is the in-memory fit (the model hook)."""
    models = pytest.importorskip("descend.models")
    X, y = _data()
    f = tmp_path / "d.parquet"
    _write_parquet(f, X, y)
    st, names, _ = stream.stats_from_file(f, chunk_rows=999)
    # plain gd: the same steps from either (the default refines on the rows it can reach)
    a = models.LinearRegression(optimizer="gd").fit_moments(st, names)
    b = models.LinearRegression(optimizer="gd").fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-10)
    assert a.n_iter_ == b.n_iter_


def test_non_finite_values_are_named(tmp_path):
    X, y = _data(n=3000)
    X[2500, 2] = np.inf
    f = tmp_path / "inf.parquet"
    _write_parquet(f, X, y)
    with pytest.raises(DataError, match=r"infinite value at line 2501, column 'f2' \(3\)"):
        stream.stats_from_file(f, chunk_rows=1000)
    src = stream.open_source(f, chunk_rows=1000)
    with pytest.raises(DataError, match=r"infinite value at line 2501, column 'f2' \(3\)"):
        stream.loss_and_grad_stream(src, np.zeros(4), 0.0, "huber")
    with pytest.raises(DataError, match=r"infinite value at line 2501, column 'f2' \(3\)"):
        list(stream.iter_minibatches(src, 100, rng=0))


def test_default_chunks_hold_a_fixed_number_of_bytes(tmp_path):
    # 131072 rows at 10 features; wide files get fewer rows, so a chunk stays ~11 MB
    assert stream.default_chunk_rows(10) == 131072
    assert stream.default_chunk_rows(100) == 131072 * 11 // 101
    assert stream.default_chunk_rows(10_000) == 4096
    X, y = _data(n=300, d=3)
    f = tmp_path / "narrow.parquet"
    _write_parquet(f, X, y)
    assert stream.open_source(f).chunk_rows == 131072 * 11 // 4
    assert stream.open_source(f, features=["f0"]).chunk_rows == 131072 * 11 // 2
    assert stream.open_source(f, chunk_rows=50).chunk_rows == 50
    assert sum(c[0].shape[0] for c in stream.open_source(f, chunk_rows=50)) == 300
