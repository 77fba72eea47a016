"""``-`` as DATA reads standard input, as Unix tools do (plain or compressed CSV), through the
real entry point with stdin piped; nothing can be written over the file behind it."""

from __future__ import annotations

import bz2
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROWS = "size,price\n" + "".join(f"{x},{3 * x + 2 + (x % 3) * 0.1}\n" for x in range(1, 40))


def descend(*args: str, stdin: bytes | Path = b"", cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "descend", *args]
    if isinstance(stdin, Path):
        with open(stdin, "rb") as fh:
            return subprocess.run(cmd, stdin=fh, capture_output=True, text=True, env=env,
                                  cwd=cwd, timeout=180)
    return subprocess.run(cmd, input=stdin.decode("latin-1"), capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=180, encoding="latin-1")


def coef(run: subprocess.CompletedProcess[str]) -> list[float]:
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    return [out["intercept"], *out["coef"]]


def reference() -> np.ndarray:
    data = np.array([[float(v) for v in line.split(",")] for line in ROWS.splitlines()[1:]])
    A = np.column_stack([np.ones(len(data)), data[:, 0]])
    return np.linalg.lstsq(A, data[:, 1], rcond=None)[0]


@pytest.mark.parametrize("codec", ["plain", "gzip", "bzip2"])
@pytest.mark.parametrize("engine", ["numpy", "stream"])
def test_fit_reads_standard_input(tmp_path, codec, engine):
    raw = ROWS.encode()
    data = {"plain": raw, "gzip": gzip.compress(raw), "bzip2": bz2.compress(raw)}[codec]
    run = descend("fit", "-", "--engine", engine, "--json", stdin=data, cwd=tmp_path)
    np.testing.assert_allclose(coef(run), reference(), rtol=1e-7)
    assert json.loads(run.stdout)["engine"] == engine
    assert not list(tmp_path.iterdir())  # nothing written


def test_the_summary_and_errors_name_standard_input(tmp_path):
    run = descend("fit", "-", stdin=ROWS.encode(), cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.startswith("standard input: 39 rows"), run.stdout
    bad = descend("fit", "-", stdin=b"x,y\n1,3\n2,abc\n", cwd=tmp_path)
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 2 and len(lines) == 1
    assert lines[0].startswith("descend: error: standard input: non-numeric value 'abc' at line 3")
    empty = descend("fit", "-", stdin=b"", cwd=tmp_path)
    assert empty.returncode == 2
    assert empty.stderr.startswith("descend: error: standard input: the file is empty")


def test_nothing_is_written_over_the_file_behind_standard_input(tmp_path):
    data = tmp_path / "d.json"  # CSV under a model's name: --save could aim at it
    data.write_text(ROWS)
    for option in ("--save", "--checkpoint"):
        run = descend("fit", "-", option, "d.json", "--force", stdin=data, cwd=tmp_path)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2 and len(lines) == 1, run.stderr
        assert lines[0] == (f"descend: error: {option} d.json: is an input of this run (standard "
                            "input); writing there would destroy it; give another file name")
        assert data.read_text() == ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json"]


def test_predict_reads_standard_input(tmp_path):
    (tmp_path / "d.csv").write_text(ROWS)
    assert descend("fit", "d.csv", "--save", "m.json", cwd=tmp_path).returncode == 0
    x = b"size\n10\n20\n"
    run = descend("predict", "m.json", "-", "--json", stdin=gzip.compress(x), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    b0, b1 = reference()
    preds = json.loads(run.stdout)["predictions"]
    np.testing.assert_allclose(preds, [b0 + 10 * b1, b0 + 20 * b1], rtol=1e-6)
