"""Engines that disagreed on one file now agree: a true/false column; features ~1e-160.

Before: the Dask engine read ``true``/``false`` cells as 1/0 (pandas' C parser falls back to
its bool reading for a float64 column) where the numpy and stream engines refused the cell;
with ``--formula`` Dask read the column as a number ``flag`` where the others made it a
category ``flag[T.true]``. A typed Parquet bool column is a number 0/1 on every engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ENGINES = ("numpy", "stream", "dask")
X = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
FLAG = [True, False, True, False, False, True, True, False]
Y = [3.0, 5.0, 8.0, 9.0, 11.5, 14.0, 16.5, 17.0]


def _engine(engine: str, scheduler: str) -> list[str]:
    return ["--engine", engine] + (["--scheduler", scheduler] if engine == "dask" else [])


def _reference() -> np.ndarray:
    """Intercept, x, flag by least squares on the 0/1 column (numpy's lstsq)."""
    A = np.column_stack([np.ones(len(X)), X, np.asarray(FLAG, float)])
    return np.linalg.lstsq(A, np.asarray(Y), rcond=None)[0]


@pytest.fixture
def tf_csv(tmp_path: Path) -> Path:
    p = tmp_path / "tf.csv"
    p.write_text("x,flag,y\n" + "".join(
        f"{x},{str(f).lower()},{y}\n" for x, f, y in zip(X, FLAG, Y, strict=True)))
    return p


@pytest.mark.slow  # a Dask cluster
def test_true_false_features_are_refused_alike_on_every_engine(cli, scheduler, tf_csv) -> None:
    lines = set()
    for engine in ENGINES:
        r = cli("fit", tf_csv, "--features", "x,flag", "--target", "y",
                *_engine(engine, scheduler))
        assert r.one_line_error, (engine, r.code, r.stderr)
        lines.add(r.stderr.strip())
    (line,) = lines  # the very same line from the three engines
    assert "non-numeric value 'true' at line 2, column 'flag'" in line
    assert "write the column as 1/0" in line and "--formula 'TARGET ~ ... + flag'" in line


@pytest.mark.slow  # a Dask cluster
def test_a_true_false_column_in_a_formula_is_one_category_on_every_engine(
    cli, scheduler, tf_csv
) -> None:
    ref = _reference()
    for engine in ENGINES:
        r = cli("fit", tf_csv, "--formula", "y ~ x + flag", "--json", *_engine(engine, scheduler))
        assert r.code == 0, (engine, r.stderr)
        got = json.loads(r.stdout)
        # before: Dask named it 'flag' (pandas' bool), the others 'flag[T.true]'
        assert got["features"] == ["x", "flag[T.true]"], engine
        np.testing.assert_allclose([got["intercept"], *got["coef"]], ref, rtol=1e-12, atol=1e-12)


@pytest.mark.slow  # a Dask cluster
def test_a_parquet_bool_column_is_a_number_on_every_engine(cli, scheduler, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "tf.parquet"
    pq.write_table(pa.table({"x": X, "flag": FLAG, "y": Y}), p)
    ref = _reference()
    for engine in ENGINES:
        r = cli("fit", p, "--features", "x,flag", "--target", "y", "--json",
                *_engine(engine, scheduler))
        assert r.code == 0, (engine, r.stderr)
        got = json.loads(r.stdout)
        np.testing.assert_allclose([got["intercept"], *got["coef"]], ref, rtol=1e-12, atol=1e-12)


@pytest.mark.slow  # a Dask cluster
def test_tiny_features_give_one_answer_on_every_engine(cli, scheduler, tmp_path) -> None:
    """x ~ 1e-160, y = 1e160 x exactly: before, stream and Dask gave 1.0000001806e160 (their
    moments of x are subnormal) and a warning; now they read x times 2^k and map it back."""
    p = tmp_path / "tiny_x.csv"
    xs = [i * 1e-160 for i in range(1, 30)]
    p.write_text("x,y\n" + "".join(f"{v!r},{v * 1e160!r}\n" for v in xs))
    for engine in ENGINES:
        r = cli("fit", p, "--json", *_engine(engine, scheduler))
        assert r.code == 0 and r.stderr == "", (engine, r.stderr)
        got = json.loads(r.stdout)
        assert got["coef"][0] == pytest.approx(1e160, rel=1e-12), (engine, got["coef"])
        assert got["verdict"] == "converged"
