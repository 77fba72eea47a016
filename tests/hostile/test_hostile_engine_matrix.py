"""The same file, the same verdict, in every engine: each bad (or merely unusual) file goes
through the in-memory, stream and Dask engines, which must agree on the exit code and give
the same message (the stream and Dask engines read CSV through the in-memory reader's
sniffer, and explain a bad file with its words)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hostile_data import ENGINES, engine_args

pytestmark = pytest.mark.slow  # each case through every engine (numpy, stream, Dask): 86 s

# name -> (file content, exit code, what the user must see: a phrase of the one error line,
# or for exit 0 the coefficient every engine must find)
CSV_CASES = {
    "constant target": ("x,y\n1,5\n2,5\n3,5\n", 2, "the target 'y' is constant (every value is 5)"),
    "subnormal target": (
        "x,y\n1,1e-310\n2,2e-310\n3,4e-310\n", 2, "column 'y' holds values too small for float64"
    ),
    "values near 1e308": (
        "size,price\n1200,1e308\n1500,1.2e308\n1800,1.5e308\n",
        2,
        "column 'price' holds values too large for float64 arithmetic",
    ),
    "first row 1,NA": ("x,y\n1,NA\n2,4\n3,7\n", 2, "missing value at line 2, column 'y' (2)"),
    "headerless 1,NA": ("1,NA\n2,4\n3,7\n", 2, "missing value at line 1, column 'y' (2)"),
    "empty cell": ("a,b\n1,2\n3,\n5,6\n", 2, "missing value at line 3, column 'b' (2)"),
    "text in a cell": ("a,b\n1,2\n3,x\n5,6\n", 2, "non-numeric value 'x' at line 3, column 'b' (2)"),
    "inf in a cell": ("a,b\n1,2\n3,inf\n5,6\n", 2, "infinite value at line 3, column 'b' (2)"),
    "short row": ("a,b\n1,2\n3\n5,6\n", 2, "line 3 has 1 fields but the header has 2"),
    "one data row": ("a,b\n1,2\n3,4\n"[:8], 2, "has only 1 data row"),
    "header only": ("a,b\n", 2, "has a header (a, b) but no data rows"),
    "empty file": ("", 2, "the file is empty"),
    "duplicate names": ("a,a,b\n1,2,3\n4,5,7\n6,1,2\n", 2, "column name 'a' appears twice"),
    "NUL byte": ("x,y\n1,2\n2,4\x003\n3,7\n", 2, "line 3, column 4 holds a NUL byte"),
    # unusual but fine: every engine reads them the same way
    "quoted header": ('"size","price"\n1,2\n2,4\n3,7\n', 0, 2.5),
    "spaces around names": ("size , price\n1,2\n2,4\n3,7\n", 0, 2.5),
    "semicolons and CRLF": ("size;price\r\n1;2\r\n2;4\r\n3;7\r\n", 0, 2.5),
    "spaces around values": ("size,price\n 1 , 2\n2,4\n3,7\n", 0, 2.5),
}

BYTES_CASES = {
    "Latin-1 name": (b"gr\xf6\xdfe,price\n1,2\n2,4\n3,7\n", 0, 2.5),
    "UTF-16 with BOM": ("size,price\n1,2\n2,4\n3,7\n".encode("utf-16"), 0, 2.5),
    "UTF-8 BOM": (b"\xef\xbb\xbfsize,price\n1,2\n2,4\n3,7\n", 0, 2.5),
}


def _case_file(tmp_path, name, content):
    p = tmp_path / "data.csv"
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


def _verdicts(cli, path, scheduler, *extra):
    out = {}
    for engine in ENGINES:
        out[engine] = cli("fit", path, "--json", "-q", *extra, *engine_args(engine, scheduler))
    return out


@pytest.mark.parametrize("name", [*CSV_CASES, *BYTES_CASES])
def test_csv_same_verdict_in_every_engine(cli, scheduler, tmp_path, name):
    content, code, expect = {**CSV_CASES, **BYTES_CASES}[name]
    path = _case_file(tmp_path, name, content)
    runs = _verdicts(cli, path, scheduler)
    codes = {e: r.code for e, r in runs.items()}
    assert set(codes.values()) == {code}, (name, codes, {e: r.stderr for e, r in runs.items()})
    if code == 2:
        for engine, r in runs.items():
            assert r.one_line_error, (engine, r.stderr)
            assert expect in r.stderr, (engine, r.stderr)
        assert len({r.stderr for r in runs.values()}) == 1, {e: r.stderr for e, r in runs.items()}
    else:
        for engine, r in runs.items():
            obj = json.loads(r.stdout)
            # y = 2.5 x - 2/3 is the least-squares line through (1,2), (2,4), (3,7)
            assert obj["coef"][0] == pytest.approx(expect, rel=1e-9), engine
            assert obj["intercept"] == pytest.approx(-2 / 3, rel=1e-9), engine


def _parquet(tmp_path, columns):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "data.parquet"
    pq.write_table(pa.table(columns), p)
    return p


PARQUET_CASES = {
    "constant target": (
        {"x": [1.0, 2.0, 3.0], "y": [5.0, 5.0, 5.0]}, "the target 'y' is constant"
    ),
    "values near 1e308": (
        {"x": [1.0, 2.0, 3.0], "y": [1e308, 1.2e308, 1.5e308]},
        "column 'y' holds values too large for float64 arithmetic",
    ),
    "subnormal target": (
        {"x": [1.0, 2.0, 3.0], "y": [1e-310, 2e-310, 4e-310]}, "holds values too small"
    ),
    "a null": ({"x": [1.0, None, 3.0], "y": [1.0, 2.0, 4.0]}, "missing value at line 2, column 'x' (1)"),
    "an inf": ({"x": [1.0, 2.0, 3.0], "y": [1.0, np.inf, 4.0]}, "infinite value at line 2, column 'y' (2)"),
}


@pytest.mark.parametrize("name", PARQUET_CASES)
def test_parquet_same_verdict_in_every_engine(cli, scheduler, tmp_path, name):
    columns, expect = PARQUET_CASES[name]
    path = _parquet(tmp_path, columns)
    runs = _verdicts(cli, path, scheduler)
    for engine, r in runs.items():
        assert r.one_line_error, (engine, r.code, r.stderr)
        assert expect in r.stderr, (engine, r.stderr)
    assert len({r.stderr for r in runs.values()}) == 1, {e: r.stderr for e, r in runs.items()}


def test_huber_constant_target_refused_in_every_engine(cli, scheduler, tmp_path):
    path = _case_file(tmp_path, "c", "x,y\n1,5\n2,5\n3,5\n4,5\n")
    runs = _verdicts(cli, path, scheduler, "--loss", "huber")
    assert {r.code for r in runs.values()} == {2}
    assert len({r.stderr for r in runs.values()}) == 1


def test_a_text_column_is_refused_only_when_chosen_in_every_engine(cli, scheduler, tmp_path):
    path = _parquet(tmp_path, {"x": [1.0, 2.0, 3.0], "name": ["a", "b", "c"], "y": [2.0, 4.0, 7.0]})
    runs = _verdicts(cli, path, scheduler)
    for engine, r in runs.items():
        assert r.one_line_error and "column 'name' is not numeric" in r.stderr, (engine, r)
    assert len({r.stderr for r in runs.values()}) == 1
    runs = _verdicts(cli, path, scheduler, "--features", "x")
    for engine, r in runs.items():
        assert r.code == 0 and json.loads(r.stdout)["coef"][0] == pytest.approx(2.5), engine


def test_a_parquet_file_with_a_csv_name_is_read_by_its_content(cli, scheduler, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "actually-parquet.csv"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 7.0]}), path)
    for engine, r in _verdicts(cli, path, scheduler).items():
        assert r.code == 0 and json.loads(r.stdout)["coef"][0] == pytest.approx(2.5), engine


def test_a_csv_text_column_left_out_does_not_stop_any_engine(cli, scheduler, tmp_path):
    path = _case_file(tmp_path, "t", "x,name,y\n1,a,2\n2,b,4\n3,,7\n")
    runs = _verdicts(cli, path, scheduler)
    for engine, r in runs.items():
        assert r.one_line_error, (engine, r)
        assert "non-numeric value 'a' at line 2, column 'name' (2)" in r.stderr, engine
    assert len({r.stderr for r in runs.values()}) == 1
    for engine, r in _verdicts(cli, path, scheduler, "--features", "x").items():
        assert r.code == 0 and json.loads(r.stdout)["coef"][0] == pytest.approx(2.5), engine
