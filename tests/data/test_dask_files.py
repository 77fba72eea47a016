"""Parquet on Dask as row groups (descend.data.dask_files): the partitions, each pass against
independent references (NumPy's moments, residual sums and ``Z^T Z``), the stream's answers,
and a fit on the CLI's local cluster against ``numpy.linalg.lstsq``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("dask")

from descend.data.chunks import open_source  # noqa: E402
from descend.data.dask_files import (  # noqa: E402
    ParquetResiduals,
    PartSource,
    parquet_moments,
    parquet_partitions,
    parquet_xy,
    prepare_parquet_dask,
)
from descend.errors import DataError  # noqa: E402


def _write(path: Path, X: np.ndarray, y: np.ndarray, group: int) -> None:
    cols = {f"x{j}": X[:, j] for j in range(X.shape[1])} | {"y": y}
    pq.write_table(pa.table(cols), path, row_group_size=group)


def _data(n: int = 3000, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + 50.0
    y = X @ rng.standard_normal(d) + 3.0 + rng.standard_normal(n)
    return X, y


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1e-300, np.max(np.abs(b))))


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """3000 rows in two files: 1800 in row groups of 500 (500, 500, 500, 300), then 1200 in 400s."""
    X, y = _data()
    (tmp_path / "parts").mkdir()
    _write(tmp_path / "parts" / "a.parquet", X[:1800], y[:1800], 500)
    _write(tmp_path / "parts" / "b.parquet", X[1800:], y[1800:], 400)
    return tmp_path / "parts", X, y


def test_row_groups_are_combined_in_file_order_up_to_the_cap(two_files) -> None:
    folder, X, _ = two_files
    src = open_source(str(folder), target="y")
    a, b = (str(folder / "a.parquet"), str(folder / "b.parquet"))
    # 3000 rows x 5 float64 columns = 120000 bytes; 3 threads x 2: a cap of 20000 bytes = 500
    # rows, so every row group is its own partition
    parts = parquet_partitions(src, threads=3)
    assert [p for p, _ in parts] == [((a, (0,)),), ((a, (1,)),), ((a, (2,)),), ((a, (3,)),),
                                     ((b, (0,)),), ((b, (1,)),), ((b, (2,)),)]
    assert [m for _, m in parts] == [500, 500, 500, 300, 400, 400, 400]
    # one thread: a cap of 60000 bytes = 1500 rows; a partition may span the two files
    parts = parquet_partitions(src, threads=1)
    assert parts == [(((a, (0, 1, 2)),), 1500), (((a, (3,)), (b, (0, 1, 2))), 1500)]
    assert sum(m for _, m in parts) == X.shape[0]


def test_a_partition_reads_its_row_groups_only(two_files) -> None:
    folder, X, y = two_files
    src = open_source(str(folder), target="y", chunk_rows=128)
    a, b = (str(folder / "a.parquet"), str(folder / "b.parquet"))
    part = PartSource(**{k: getattr(src, k) for k in src.__dataclass_fields__},
                      row_groups=((a, (3,)), (b, (0,))))
    chunks = list(part.chunks())
    got_X = np.concatenate([c[0] for c in chunks])
    got_y = np.concatenate([c[1] for c in chunks])
    np.testing.assert_array_equal(got_X, X[1500:2200])
    np.testing.assert_array_equal(got_y, y[1500:2200])
    assert part.pieces() == [(a, 3), (b, 0)]


def test_moments_equal_numpy_and_the_stream(two_files) -> None:
    from descend.data.stream import stats_from_file

    folder, X, y = two_files
    src = open_source(str(folder), target="y", chunk_rows=128)
    s = parquet_moments(src, parquet_partitions(src, threads=3))
    Xc, yc = X - X.mean(0), y - y.mean()
    assert s.n == 3000
    assert _rel(s.mean_x, X.mean(0)) <= 1e-14 and _rel(s.mean_y, y.mean()) <= 1e-14
    assert _rel(s.cxx, Xc.T @ Xc) <= 1e-12 and _rel(s.cxy, Xc.T @ yc) <= 1e-12
    assert _rel(s.cyy, yc @ yc) <= 1e-12
    ref, _, _ = stats_from_file(src)
    assert _rel(s.cxx, ref.cxx) <= 1e-13 and _rel(s.cxy, ref.cxy) <= 1e-13


def test_residual_passes_and_r_factor_equal_numpy(two_files) -> None:
    folder, X, y = two_files
    src = open_source(str(folder), target="y", chunk_rows=128)
    rows = ParquetResiduals(src, parquet_partitions(src, threads=3))
    mean, scale = X.mean(0), X.std(0)
    v, y0, c = np.array([0.5, -1.0, 2.0, 0.25]), 3.0, 0.125
    Z = (X - mean) / scale
    r = (y - y0) - c - Z @ v
    zr, sr, rr, n = rows.residuals(mean, scale, y0, v, c)
    assert n == 3000
    assert _rel(zr, Z.T @ r) <= 1e-12 and _rel(sr, r.sum()) <= 1e-10 and _rel(rr, r @ r) <= 1e-12
    b, w, dv = 1.5, np.array([0.1, 0.2, -0.3, 0.4]), np.array([1e-3, 0.0, -2e-3, 0.0])
    r2 = (y - b - X @ w) - c - Z @ dv
    zr2, sr2, rr2, _ = rows.anchored(mean, scale, b, w, dv, c)
    assert _rel(zr2, Z.T @ r2) <= 1e-10 and _rel(rr2, r2 @ r2) <= 1e-12
    R = rows.r_factor(mean, scale)
    assert np.allclose(np.triu(R), R)
    assert _rel(R.T @ R, Z.T @ Z) <= 1e-12  # R is Z's triangular factor (up to row signs)


def test_the_rows_as_dask_arrays(two_files) -> None:
    import dask

    folder, X, y = two_files
    src = open_source(str(folder), target="y")
    parts = parquet_partitions(src, threads=2)
    Xd, yd = parquet_xy(src, parts)
    assert Xd.chunks[0] == tuple(m for _, m in parts)
    got_X, got_y = dask.compute(Xd, yd)
    np.testing.assert_array_equal(got_X, X)
    np.testing.assert_array_equal(got_y, y)


def test_a_missing_value_is_named_as_the_stream_names_it(tmp_path: Path) -> None:
    X, y = _data(n=600)
    cols = {f"x{j}": pa.array(X[:, j]) for j in range(X.shape[1])}
    ys = y.tolist()
    ys[437] = None
    pq.write_table(pa.table(cols | {"y": pa.array(ys, type=pa.float64())}),
                   tmp_path / "m.parquet", row_group_size=100)
    src = open_source(str(tmp_path / "m.parquet"), target="y")
    with pytest.raises(DataError, match=r"missing value at line 438, column 'y'"):
        prepare_parquet_dask(src, source="m.parquet", loss="squared_error", epsilon=1.35)


def _fit(data: str, engine: str, loss: str):
    from descend.data.engine import open_rows
    from descend.models import LinearRegression

    with open_rows(data, engine, target="y", loss=loss) as prep:
        model = LinearRegression(loss=loss, max_iter=3 if loss == "huber" else 1000)
        if prep.passes is None:
            model.fit_moments(prep.stats, prep.feature_names, rows=prep.rows)
        else:
            model.fit_rows(prep.stats, prep.feature_names, prep.passes)
    return prep, model


@pytest.mark.slow  # a local cluster
@pytest.mark.filterwarnings("ignore:columns 'x0', 'x1' are nearly collinear")
@pytest.mark.filterwarnings("ignore:stopped at max_iter")
@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_the_cli_cluster_fits_an_ill_conditioned_file_as_lstsq(tmp_path: Path, loss) -> None:
    """Condition ~1e6: the squared loss refines on the partitions (TSQR factor, compensated
    residual passes) to lstsq's answer; huber's steps (on a well-conditioned design, where
    the order of the sums cannot matter) run on the persisted partitions and equal the
    in-memory fit's."""
    from descend.models import LinearRegression

    rng = np.random.default_rng(4)
    n = 20_000
    t = rng.standard_normal(n)
    X = np.column_stack([t, t + 1e-6 * rng.standard_normal(n), rng.standard_normal(n)]) + 10.0
    y = X @ np.array([1.0, -2.0, 0.5]) + 4.0 + 1e-3 * rng.standard_normal(n)
    if loss == "huber":
        X, y = _data(n=n)
    _write(tmp_path / "c.parquet", X, y, 1500)
    prep, model = _fit(str(tmp_path / "c.parquet"), "dask", loss)
    assert prep.n == n
    got = np.r_[model.intercept_, model.coef_]
    if loss == "huber":
        ref_model = LinearRegression(loss=loss, max_iter=3).fit(X, y)
        assert model.n_iter_ == ref_model.n_iter_ == 3
        assert _rel(got, np.r_[ref_model.intercept_, ref_model.coef_]) <= 1e-10
        return
    from benchmarks._exact import exact_least_squares

    # the exact answer (rationals): the cluster's and the stream's each as close as lstsq's
    # (measured: dask 5.1e-9, stream 1.5e-9, lstsq 5.5e-9 relative; their merges add the
    # partitions' sums in different orders, so they agree only to their accuracy)
    exact = np.array([float(v) for v in exact_least_squares(X.tolist(), y.tolist())])
    lstsq = np.linalg.lstsq(np.column_stack([np.ones(n), X]), y, rcond=None)[0]
    bound = max(2 * _rel(lstsq, exact), 1e-12)
    assert _rel(got, exact) <= bound
    assert model.result_.info["factor"] == "tsqr"
    _, streamed = _fit(str(tmp_path / "c.parquet"), "stream", loss)
    assert _rel(np.r_[streamed.intercept_, streamed.coef_], exact) <= bound
    assert -np.log10(_rel(got, exact)) >= model.trusted_digits_ - 0.5  # the trust is honest
