"""``descend fit --formula`` with ``--engine auto`` judges the data by its design: a text column
of many levels makes a table small as columns large in memory, and the fit streams."""

import json

import numpy as np
import pandas as pd
import pytest

from descend.cli.app import main


@pytest.fixture
def wide(tmp_path):
    rng = np.random.default_rng(0)
    n = 2000
    city = np.array([f"c{k:02d}" for k in range(50)])[rng.integers(0, 50, n)]
    x = rng.standard_normal(n)
    y = 2 * x + np.array([int(c[1:]) for c in city]) * 0.1 + rng.standard_normal(n)
    path = tmp_path / "wide.parquet"
    pd.DataFrame({"x": x, "city": city, "y": y}).to_parquet(path, index=False)
    return str(path)


def test_a_design_larger_than_the_threshold_is_streamed(wide, monkeypatch, capsys):
    import descend.data.engine as engine

    # the columns are 2000 x 3 x 8 = 48 KB, the design 2000 x (1 + 49 + 2) x 8 = 832 KB
    monkeypatch.setattr(engine, "STREAM_BYTES", 200 << 10)
    assert main(["fit", wide, "--formula", "y ~ x + city"]) == 0
    text = capsys.readouterr().out
    assert "engine: stream (the formula's design is about" in text
    assert main(["fit", wide, "--formula", "y ~ x + city", "--json"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert main(["fit", wide, "--formula", "y ~ x + city", "--json", "--engine", "numpy"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(streamed["coef"], loaded["coef"], rtol=1e-9)


def test_a_small_design_stays_in_memory(wide, capsys):
    assert main(["fit", wide, "--formula", "y ~ x + city"]) == 0
    assert "engine: stream" not in capsys.readouterr().out


def test_a_column_the_file_lacks_is_named_before_the_engine_is_chosen(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n2,4\n3,7\n")
    assert main(["fit", str(path), "--formula", "y ~ nosuch + x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no column 'nosuch'" in err[0]
