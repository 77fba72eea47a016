"""Engines that disagreed on the same file: a Parquet decimal column (stream refused it) and
features ~1e-160 (stream/Dask lose digits in subnormal moments, silently before)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def fit(capsys: pytest.CaptureFixture[str]):
    from descend.cli.app import main

    def run(*args: object) -> tuple[int, list[str], str]:
        code = main(["fit", *(str(a) for a in args)])
        captured = capsys.readouterr()
        return code, [ln for ln in captured.err.splitlines() if ln.strip()], captured.out

    return run


def test_a_decimal_column_reads_alike_on_every_engine(tmp_path: Path, fit) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = [Decimal(f"{i}.25") for i in range(1, 30)]
    y = [2.0 * float(v) + 1.0 + (i % 3) * 0.01 for i, v in enumerate(x)]
    p = tmp_path / "dec.parquet"
    pq.write_table(pa.table({"x": pa.array(x, pa.decimal128(10, 2)), "y": y}), p)
    ref = np.polyfit([float(v) for v in x], y, 1)[::-1]  # intercept, slope
    for engine in ("numpy", "stream"):
        code, err, out = fit(p, "--engine", engine, "--json")
        # before: stream said "column 'x' is not numeric (it holds text or dates)"
        assert code == 0, (engine, err)
        np.testing.assert_allclose(json.loads(out)["x"], ref, rtol=1e-9)


def test_tiny_features_are_named_where_the_moments_lose_digits(tmp_path: Path, fit) -> None:
    p = tmp_path / "tiny_x.csv"
    xs = [i * 1e-160 for i in range(1, 30)]
    p.write_text("x,y\n" + "".join(f"{v!r},{v * 1e160!r}\n" for v in xs))
    code, err, out = fit(p, "--engine", "numpy", "--json")
    assert code == 0 and err == [], err  # standardised before squaring: exact, nothing to say
    assert json.loads(out)["coef"][0] == pytest.approx(1e160, rel=1e-12)
    code, err, out = fit(p, "--engine", "stream", "--json")
    assert code == 0
    # before: 1.0000001806e160 and "converged", without a word; NumPy's raw overflow warning
    assert len(err) == 1 and err[0].startswith(
        f"descend: warning: {p}: feature 'x' holds values so small (around 1.5e-159) that "
        "their squares are subnormal floats"), err
    assert "--engine numpy" in err[0] and "encountered in" not in "".join(err)
