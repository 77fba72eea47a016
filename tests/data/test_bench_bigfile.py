"""The big-file benchmark at a tiny size: its files, its exact reference, its children.

``benchmarks/bench_bigfile.py`` times ``descend fit FILE`` against DuckDB on a Parquet and a
CSV file; here both files hold 400 rows, the exact answer it keeps beside them is checked
against an independent rational solve of the rows read back, and one run of each contender
must report its figures (DuckDB's only where it is installed: a benchmark-only peer).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from benchmarks import bench_bigfile as bb
from benchmarks._exact import exact_least_squares

N = 400


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return bb.write_files(tmp_path_factory.mktemp("big"), {"parquet": N, "csv": N})


def _read(path: Path) -> np.ndarray:
    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    return np.column_stack([table.column(c).to_numpy() for c in bb.NAMES])


def test_files_hold_dyadic_rows_and_their_exact_answer(files):
    A = _read(files["parquet"])
    assert A.shape == (N, bb.D + 1)
    np.testing.assert_array_equal(_read(files["csv"]), A)  # the text round-trips exactly
    assert np.all(A * 2.0**bb.FRAC == np.round(A * 2.0**bb.FRAC))
    want = [float(v) for v in exact_least_squares(A[:, :-1].tolist(), A[:, -1].tolist())]
    for kind in ("parquet", "csv"):
        np.testing.assert_array_equal(bb.exact(files[kind]), want)
    # cached: a second call writes nothing new
    stamp = files["csv"].stat().st_mtime_ns
    bb.write_files(files["csv"].parent, {"csv": N})
    assert files["csv"].stat().st_mtime_ns == stamp


def test_one_run_reports_time_memory_and_digits(files, capsys):
    pytest.importorskip("duckdb")
    res = bb.bench_file("csv", files["csv"], repeat=1)
    out = capsys.readouterr().out
    assert "descend's speed vs DuckDB" in out
    for name in ("descend", "duckdb"):
        r = res[name]
        assert "error" not in r, r
        assert r["wall"] > 0 and r["cpu"] > 0 and 20 < r["rss_MB"] < 4000
    assert res["descend"]["digits"] >= 13  # the exact answer's digits, not a closeness
    assert res["duckdb"]["digits"] >= 8
    json.dumps(res)  # the figures go into the combined JSON
