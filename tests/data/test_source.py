"""The data layer's seams: the design-matrix stage, row sources on every engine, URL opening,
one list of Parquet suffixes, one rule for default names, and no import cycle in data/."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from descend.data import (
    PARQUET_SUFFIXES,
    choose_columns,
    choose_design,
    default_feature_names,
    default_names,
    moment_stats,
    open_rows,
)
from descend.errors import DataError, InputError

SRC = Path(__file__).resolve().parents[2] / "src" / "descend"


def test_design_split_takes_the_chosen_columns_in_order():
    block = np.arange(12.0).reshape(3, 4)  # columns a b c y
    spec = choose_design(("a", "b", "c", "y"), "y", "c,a", "f.csv")
    assert spec.index == (2, 0, 3) and spec.read == ("c", "a", "y")
    assert spec.feature_names == ("c", "a") and spec.target_name == "y" and spec.d == 2
    X, y = spec.split(block, whole=True)
    np.testing.assert_array_equal(X, block[:, [2, 0]])
    np.testing.assert_array_equal(y, [3.0, 7.0, 11.0])
    X2, y2 = spec.split(block[:, [2, 0, 3]])  # a block holding only the read columns
    np.testing.assert_array_equal(X2, X) and np.testing.assert_array_equal(y2, y)


def test_design_split_of_all_columns_is_a_view():
    block = np.arange(12.0).reshape(4, 3)
    X, y = choose_design(("a", "b", "y"), None, None, "f").split(block, whole=True)
    assert np.shares_memory(X, block) and y.flags.c_contiguous
    assert not np.shares_memory(y, block) or y.base is None


def test_design_from_columns_is_column_major():
    spec = choose_design(("a", "b", "y"), None, None, "f")
    X, y = spec.from_columns([np.array([1, 2]), np.array([3.5, 4.5]), np.array([5, 6])], 2)
    assert X.flags.f_contiguous and X.dtype == np.float64 and y.dtype == np.float64
    np.testing.assert_array_equal(X, [[1.0, 3.5], [2.0, 4.5]])
    np.testing.assert_array_equal(y, [5.0, 6.0])


def test_design_refuses_as_every_engine_does():
    with pytest.raises(DataError, match=r"no column 'prce' for the target.*did you mean 'price'"):
        choose_design(("size", "price"), "prce", None, "f.csv")
    with pytest.raises(DataError, match="both the target and a feature"):
        choose_columns(("a", "y"), "y", "a,y", "f.csv")


def test_default_names_one_rule():
    from descend.models.linear import default_feature_names as models_names

    for k in range(2, 7):
        names = default_names(k)
        assert names[-1] == "y" and len(set(names)) == k
        assert default_feature_names(k - 1) == names[:-1] == models_names(k - 1)
    assert default_names(2) == ("x", "y") and default_names(4) == ("x1", "x2", "x3", "y")


def test_one_list_of_parquet_suffixes():
    from descend import io
    from descend.data._parquet import is_parquet_name

    assert PARQUET_SUFFIXES is io.PARQUET_SUFFIXES
    assert set(PARQUET_SUFFIXES) == {".parquet", ".pq", ".parq"}
    assert is_parquet_name("A.PARQ") and not is_parquet_name("a.csv")
    literal = '".parq"'
    holders = [p for p in SRC.rglob("*.py") if literal in p.read_text()]
    assert [p.relative_to(SRC).as_posix() for p in holders] == ["io/_input.py"]


def _data(tmp_path: Path, n: int = 3000) -> tuple[Path, np.ndarray]:
    import polars as pl

    rng = np.random.default_rng(3)
    A = rng.normal(size=(n, 4)) * [1.0, 50.0, 0.01, 1.0] + [0.0, 1e3, 0.0, 0.0]
    A[:, 3] = A[:, :3] @ [2.0, -0.1, 30.0] + 5.0 + rng.normal(size=n)
    path = tmp_path / "d.parq"  # the third suffix: read as Parquet by every engine
    pl.DataFrame({"a": A[:, 0], "b": A[:, 1], "c": A[:, 2], "t": A[:, 3]}).write_parquet(
        path, row_group_size=700
    )
    return path, A


def test_open_rows_in_memory_and_streamed_agree(tmp_path):
    path, A = _data(tmp_path)
    ref = moment_stats(A[:, [2, 0]], A[:, 3])  # the two-pass reference, in memory
    with open_rows(str(path), "numpy", target="t", features="c,a") as mem:
        assert mem.table is not None and mem.stats is None and mem.n == 3000 and mem.d == 2
        np.testing.assert_array_equal(mem.table.X, A[:, [2, 0]])
    with open_rows(str(path), "stream", target="t", features="c,a", chunk_rows=512,
                   loss="huber") as st:
        assert st.feature_names == ("c", "a") and st.target_name == "t" and st.n == 3000
        assert st.passes is not None and st.rows is None  # huber: a pass per step
        for got, want in [(st.stats.mean_x, ref.mean_x), (st.stats.cxx, ref.cxx),
                          (st.stats.cxy, ref.cxy), (st.stats.cyy, ref.cyy)]:
            np.testing.assert_allclose(got, want, rtol=1e-12)
        w, b = np.array([1.0, 0.5]), 0.25
        from descend.models.losses import loss_and_grad

        f, g, gb = st.passes.full(w, b)
        f0, g0, gb0 = loss_and_grad("huber", A[:, [2, 0]], A[:, 3], w, b)
        assert f == pytest.approx(f0, rel=1e-12) and gb == pytest.approx(gb0, rel=1e-12)
        np.testing.assert_allclose(g, g0, rtol=1e-12)
    with open_rows(str(path), "stream", target="t") as sq:  # squared loss: moments only
        assert sq.passes is None and sq.rows is not None


def test_open_rows_refuses_an_unknown_engine(tmp_path):
    path, _ = _data(tmp_path, 50)
    with pytest.raises(InputError, match="engine='spark': choose one of numpy, stream, dask"):
        with open_rows(str(path), "spark"):
            pass


def test_url_opening_is_public(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    from descend.data import is_url, open_url
    from descend.data.urls import url_files, url_size

    with fsspec.open("memory://data-layer/a.csv", "wb") as fh:
        fh.write(b"x,y\n1,2\n2,4\n")
    assert is_url("memory://data-layer/a.csv") and not is_url(str(tmp_path))
    with open_url("memory://data-layer/a.csv") as fh:
        assert fh.read() == b"x,y\n1,2\n2,4\n"
    assert url_size("memory://data-layer/a.csv") == 12
    assert url_files("memory://data-layer/a.csv")[1] == "file"


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_no_import_cycle_in_the_data_layer():
    """Every import (top-level or inside a function) between files of descend/data."""
    mods = {f"descend.data.{p.stem}": p for p in (SRC / "data").glob("*.py") if p.stem != "__init__"}
    graph = {m: {t for t in _imports(p) if t in mods and t != m} for m, p in mods.items()}

    def reaches(a: str, b: str, seen: set[str]) -> bool:
        return any(n == b or (n not in seen and not seen.add(n) and reaches(n, b, seen))
                   for n in graph[a])

    cycles = [(a, b) for a in graph for b in graph[a] if reaches(b, a, set())]
    assert cycles == []
