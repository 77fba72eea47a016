"""The streamed passes' parallel readers: the same chunks, in the same order, as one reader.

A CSV is cut into blocks at line ends outside quotes and parsed on several threads
(:mod:`descend.data._csv_blocks`); Parquet row groups are read round-robin
(:mod:`descend.data._parallel`). Each is checked against the single-threaded streaming reader
(``prefetch=0``) and against the values written, row for row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend.data import _csv_blocks
from descend.data._csv_blocks import cut_at_line_end
from descend.data._parallel import ordered_map, round_robin
from descend.data.chunks import open_source
from descend.data.stream import stats_from_file
from descend.errors import DataError


def _rows(src, prefetch):
    parts = list(src.chunks(prefetch=prefetch, check=False))
    assert all(X.shape[0] <= src.chunk_rows for X, _ in parts)
    if prefetch:  # (the single reader slices its chunks: views)
        assert all(X.flags.f_contiguous for X, _ in parts)
    return np.concatenate([X for X, _ in parts]), np.concatenate([y for _, y in parts])


def test_cut_at_line_end_skips_quoted_line_breaks():
    assert cut_at_line_end(b"a,b\n1,2\n3,") == 8
    assert cut_at_line_end(b'a,b\n1,"x\ny"\n2,"z\n') == 12  # the last break is inside quotes
    assert cut_at_line_end(b'1,"x\ny') == 0
    assert cut_at_line_end(b"no line end") == 0
    assert cut_at_line_end(b'"a""b",1\n') == 9  # an escaped quote keeps the count even


@pytest.mark.parametrize("chunk_rows", [7, 1000, 100_000])
def test_csv_blocks_equal_the_streaming_reader(tmp_path, monkeypatch, chunk_rows):
    rng = np.random.default_rng(3)
    n = 5000
    X = np.round(rng.standard_normal((n, 3)), 6)
    Xl = X.tolist()
    y = X @ [1.0, -2.0, 0.5] + 3.0
    yl = y.tolist()
    lines = ["\ufeffa,b,label,y"]  # a BOM, a text column left out, quoted numbers
    for i in range(n):
        label = '"two\nlines"' if i % 97 == 0 else f'"k{i}"'
        a = f'"{Xl[i][0]!r}"' if i % 5 == 0 else repr(Xl[i][0])
        lines.append(f"{a},{Xl[i][1]!r},{label},{yl[i]!r}")
        if i % 400 == 0:
            lines.append("")  # blank lines are skipped, as by the streaming reader
    f = tmp_path / "d.csv"
    f.write_bytes(("\r\n".join(lines)).encode())  # CRLF, and no line end at the end
    monkeypatch.setattr(_csv_blocks, "MIN_BLOCK", 4096)  # many blocks, cut mid-file
    monkeypatch.setattr(_csv_blocks, "MAX_BLOCK", 4096)
    src = open_source(f, target="y", features="a,b", chunk_rows=chunk_rows)
    assert src._csv_blocks_ok
    Xp, yp = _rows(src, prefetch=2)
    Xs, ys = _rows(src, prefetch=0)
    np.testing.assert_array_equal(Xp, X[:, :2])
    np.testing.assert_array_equal(yp, y)
    np.testing.assert_array_equal(Xs, Xp)
    np.testing.assert_array_equal(ys, yp)


def test_csv_blocks_long_line_and_bad_cell(tmp_path, monkeypatch):
    monkeypatch.setattr(_csv_blocks, "MIN_BLOCK", 64)
    monkeypatch.setattr(_csv_blocks, "MAX_BLOCK", 64)
    f = tmp_path / "d.csv"
    rows = [f"{i},{'1' * 200},{2 * i}" for i in range(50)]  # lines longer than a block
    f.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    X, y = _rows(open_source(f, chunk_rows=8), prefetch=2)
    np.testing.assert_array_equal(X[:, 0], np.arange(50))
    np.testing.assert_array_equal(y, 2 * np.arange(50))
    g = tmp_path / "bad.csv"
    g.write_text("a,y\n" + "".join(f"{i},{i}\n" for i in range(40)) + "7,oops\n1,2\n")
    with pytest.raises(DataError, match=r"line 42.*'y'"):
        list(open_source(g, chunk_rows=8).chunks(check=False))


def test_parquet_row_groups_round_robin(tmp_path):
    rng = np.random.default_rng(5)
    n = 10_000
    X = rng.standard_normal((n, 4))
    y = rng.standard_normal(n)
    f = tmp_path / "d.parquet"
    cols = {f"x{j}": X[:, j] for j in range(4)} | {"y": y}
    pq.write_table(pa.table(cols), f, row_group_size=333)  # row groups of uneven fit
    src = open_source(f, chunk_rows=100)
    Xp, yp = _rows(src, prefetch=2)
    np.testing.assert_array_equal(Xp, X)
    np.testing.assert_array_equal(yp, y)
    a = stats_from_file(src)[0]
    b = stats_from_file(src)[0]  # the same order of sums: the same bits, every run
    assert a.cxx.tobytes() == b.cxx.tobytes() and a.cxy.tobytes() == b.cxy.tobytes()
    np.testing.assert_allclose(a.cxx, np.cov(X.T, bias=True) * n, rtol=1e-12)


def test_ordered_helpers_keep_order_and_raise_at_the_item():
    pieces = [lambda i=i: range(10 * i, 10 * i + 10) for i in range(7)]
    assert list(round_robin(pieces, 3, 2)) == list(range(70))
    assert list(ordered_map(lambda v: v * v, range(100), 3, 4)) == [v * v for v in range(100)]

    def boom(v):
        if v == 5:
            raise ValueError("five")
        return v

    got = []
    with pytest.raises(ValueError, match="five"):
        for v in ordered_map(boom, range(20), 2, 3):
            got.append(v)
    assert got == [0, 1, 2, 3, 4]
    it = round_robin(pieces, 2, 1)
    assert next(it) == 0
    it.close()  # the readers stop
