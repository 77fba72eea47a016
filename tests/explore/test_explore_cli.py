"""``descend explore`` through the real entry point: the page, and one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from descend.cli.app import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _data(page: Path) -> dict:
    m = re.search(r'id="descend-data">(.*?)</script>', page.read_text(encoding="utf-8"), re.S)
    assert m
    return json.loads(m.group(1))


def test_explore_writes_the_page(tmp_path, capsys):
    out = tmp_path / "valley.html"
    assert main(["explore", "x**2 + x*y + y**2", "--html", str(out), "--start", "3,1",
                 "--lr", "0.1", "--optimizer", "momentum"]) == 0
    assert "works offline" in capsys.readouterr().out
    d = _data(out)
    assert d["start"] == [3.0, 1.0] and d["learning_rate"] == 0.1 and d["optimizer"] == "momentum"
    assert d["gradient_formula"] == ["2*x + y", "x + 2*y"]


def test_explore_a_formula_starting_with_minus(tmp_path):
    out = tmp_path / "hill.html"
    assert main(["explore", "-x**2 - y**2 + x**4 + y**4", "--html", str(out)]) == 0


def test_explore_data_file(tmp_path):
    out = tmp_path / "houses.html"
    assert main(["explore", str(EXAMPLES / "houses.csv"), "--html", str(out), "--lr", "1e-4"]) == 0
    d = _data(out)
    assert d["kind"] == "regression" and d["regression"]["x_name"] == "size"


@pytest.mark.parametrize("args, words", [
    (["x*y*z", "--html", "p.html"], "one or two variables"),
    (["x**2", "--html", "p.png"], ".html"),
    (["x ^ 2", "--html", "p.html"], "'^' is not a power"),
    (["x**2", "--html", "p.html", "--start", "1,2"], "start must be 1"),
    (["x**2", "--html", "p.html", "--optimizer", "lbfgs"], "optimizer"),
    (["missing.csv", "--html", "p.html"], "missing.csv"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    assert main(["explore", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("descend: error:") and words in err[0]
    assert not (tmp_path / "p.html").exists()


def test_explore_is_a_light_command(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from descend.cli.app import main; "
            f"rc = main(['explore', 'x**2 + x*y + y**2', '--html', {str(tmp_path / 'p.html')!r}]); "
            "print(rc, sorted(m for m in ('matplotlib', 'plotly', 'sklearn', 'numba', 'dask', "
            "'polars') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
