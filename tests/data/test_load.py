"""load_table on files as people have them, and one clear line for every bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from descend.data import load_table
from descend.errors import DataError

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "data.csv"  # the tutorials' data, in the repository


def write(tmp_path: Path, content: str | bytes, name: str = "d.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def test_tutorial_file_headerless():
    t = load_table(SEEDS)
    ref = np.genfromtxt(SEEDS, delimiter=",")
    assert t.X.shape == (100, 1) and t.feature_names == ("x",) and t.target_name == "y"
    np.testing.assert_array_equal(t.X[:, 0], ref[:, 0])
    np.testing.assert_array_equal(t.y, ref[:, 1])


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_header_separators_line_endings_bom(tmp_path, sep, eol, bom):
    text = (
        eol.join(
            [
                sep.join(["size", "rooms", "price"]),
                sep.join(["1200", "3", "2e5"]),
                sep.join(["1500", "4", "250000"]),
            ]
        )
        + eol
    )
    t = load_table(write(tmp_path, bom + text.encode()))
    assert t.feature_names == ("size", "rooms") and t.target_name == "price"
    np.testing.assert_array_equal(t.X, [[1200, 3], [1500, 4]])
    np.testing.assert_array_equal(t.y, [2e5, 2.5e5])


def test_target_and_features_by_name(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n4,5,7\n7,8,8\n")
    t = load_table(p, target="a", features="c,b")
    assert t.feature_names == ("c", "b") and t.target_name == "a"
    np.testing.assert_array_equal(t.X, [[3, 2], [7, 5], [8, 8]])
    with pytest.raises(DataError, match=r"no column 'cc'.*did you mean 'c'"):
        load_table(p, features="cc")
    with pytest.raises(DataError, match="both the target and a feature"):
        load_table(p, target="a", features="a,b")


def test_parquet_pandas_polars_numpy(tmp_path):
    df = pd.DataFrame({"size": [1.0, 2.0, 3.0], "price": [2.0, 4.0, 7.0]})
    p = tmp_path / "d.parquet"
    df.to_parquet(p)
    for src in (p, df, pl.from_pandas(df)):
        t = load_table(src)
        assert t.feature_names == ("size",) and t.target_name == "price"
        np.testing.assert_array_equal(t.y, [2, 4, 7])
    t = load_table(df.to_numpy())
    assert t.feature_names == ("x",)
    t = load_table((np.ones((3, 2)), [1.0, 2.0, 3.0]))
    assert t.feature_names == ("x1", "x2") and t.X.shape == (3, 2)
    # Parquet is recognised by its magic number whatever the name
    q = tmp_path / "renamed.csv"
    q.write_bytes(p.read_bytes())
    assert load_table(q).target_name == "price"


BAD = [
    ("", r"d\.csv: the file is empty"),
    ("\n\n", r"the file is empty"),
    ("size,price\n", r"has a header \(size, price\) but no data rows"),
    ("size,price\n1,2\n", r"has only 1 data row"),
    ("a,b\n1,2\n3,x\n", r"non-numeric value 'x' at line 3, column 'b' \(2\)"),
    ("a;b\n1,5;2\n3,1;4\n", r"decimal comma"),
    ("a,b\n1,2\n3,\n5,6\n", r"missing value at line 3, column 'b' \(2\)"),
    ("a,b\n1,2\nNA,4\n5,6\n", r"missing value at line 3, column 'a' \(1\)"),
    ("a,b\n1,2\n3,inf\n5,6\n", r"infinite value at line 3, column 'b' \(2\)"),
    ("a,b\n1,2\n3,4,5\n5,6\n", r"line 3 has 3 fields but the header has 2"),
    ("a,b\n1,2\n3\n5,6\n", r"line 3 has 1 fields but the header has 2"),
    ("a,a\n1,2\n3,4\n", r"column name 'a' appears twice .*columns 1 and 2"),
    ("a,b\n1,2\n3,2\n5,2\n", r"target 'b' is constant \(every value is 2\)"),
    ("1\n2\n3\n", r"has 1 column; fitting needs at least two"),
    (b"PK\x03\x04\x00\x00binary", r"line 1, column 5 holds a NUL byte: this is binary data"),
    (b"a,b\n1,\x00\n", r"line 2, column 3 holds a NUL byte"),
    # not UTF-8: read as Latin-1, so the bad cell is shown as the user's editor shows it
    (b"a,b\n1,\xff\xfe\n3,4\n", "non-numeric value '\u00ff\u00fe' at line 2, column 'b'"),
]


@pytest.mark.parametrize(("content", "message"), BAD)
def test_bad_files_are_one_clear_line(tmp_path, content, message):
    p = write(tmp_path, content)
    with pytest.raises(DataError, match=message) as info:
        load_table(p)
    text = str(info.value)
    assert "\n" not in text and str(p) in text


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a (directory|folder)"):
        load_table(tmp_path)


def test_array_errors_name_the_row():
    a = np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 5.0]])
    with pytest.raises(DataError, match=r"missing value at row index 1, column 'x' \(1\)"):
        load_table(a)
    with pytest.raises(DataError, match="must be 2-D"):
        load_table(np.ones(3))


def test_blank_lines_are_skipped_and_lines_stay_true(tmp_path):
    t = load_table(write(tmp_path, "a,b\n1,2\n\n3,5\n4,7\n"))
    np.testing.assert_array_equal(t.y, [2, 5, 7])
    with pytest.raises(DataError, match="line 5"):
        load_table(write(tmp_path, "a,b\n1,2\n\n3,5\n4,inf\n", "e.csv"))


@settings(max_examples=40, deadline=None)
@given(
    data=arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.integers(2, 5)),
        elements=st.floats(-1e12, 1e12, allow_nan=False, width=64),
    ),
    sep=st.sampled_from([",", ";", "\t"]),
    header=st.booleans(),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_round_trip_property(tmp_path_factory, data, sep, header, crlf, bom):
    data[:, -1] = np.arange(data.shape[0], dtype=np.float64)  # a target that is not constant
    eol = "\r\n" if crlf else "\n"
    lines = [sep.join(repr(float(v)) for v in row) for row in data]
    names = [f"col{j}" for j in range(data.shape[1])]
    if header:
        lines.insert(0, sep.join(names))
    path = tmp_path_factory.mktemp("rt") / "d.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (eol.join(lines) + eol).encode())
    t = load_table(path)
    np.testing.assert_array_equal(t.X, data[:, :-1])
    np.testing.assert_array_equal(t.y, data[:, -1])
    if header:
        assert t.feature_names == tuple(names[:-1])


def test_blocked_moment_stats_equal_the_one_block_answer():
    # more rows than one block: the centred products are summed block by block
    import numpy as np

    from descend.data import stats

    rng = np.random.default_rng(3)
    n = stats._BLOCK * 2 + 123
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 1e3] + [5.0, -2.0, 1e4]
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=n)
    st = stats.moment_stats(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    np.testing.assert_allclose(st.cxx, Xc.T @ Xc, rtol=1e-12)
    np.testing.assert_allclose(st.cxy, Xc.T @ yc, rtol=1e-12)
    assert st.cyy == __import__("pytest").approx(float(yc @ yc), rel=1e-12)


def test_small_csv_reader_gives_polars_bits(tmp_path):
    # small files skip polars (start-up); the values must be the same bits as polars reads
    import numpy as np

    from descend.data import _csv

    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    lines = ["a,b,y"]
    for _ in range(2000):
        values = rng.normal(size=3) * 10.0 ** rng.integers(-8, 8, size=3)
        lines.append(",".join(repr(float(v)) for v in values))
        lines.append("0.1,1e-300,123456789.123456789")
    path.write_text("\n".join(lines) + "\n")
    layout = _csv.sniff_csv(path)
    slow, fast = _csv._scan(layout), _csv._read_polars(layout)
    assert fast is not None and slow.columns == fast.columns
    assert np.array_equal(slow.data, fast.data)
    assert path.stat().st_size <= _csv.SMALL_CSV_BYTES * 2  # both paths are in use at this size
