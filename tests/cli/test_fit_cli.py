"""descend fit / predict / sweep through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = "/work/shared/seeds/data.csv"
HOUSES = "size,price\n1200,200000\n1500,250000\n1800,300000\n2100,350000\n2400,400000\n"


@pytest.fixture
def houses(tmp_path: Path) -> Path:
    p = tmp_path / "houses.csv"
    p.write_text(HOUSES)
    return p


def test_tutorial_run_exactly(cli):
    r = cli("fit", SEEDS, "--lr", "0.0001", "--max-iter", "1000", "--no-scale", "--json")
    assert r.code == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["initial_loss"] == pytest.approx(5565.107834483211, rel=1e-13)
    assert obj["intercept"] == pytest.approx(0.0889365199374, rel=1e-11)
    assert obj["coef"] == [pytest.approx(1.4777440851894, rel=1e-12)]
    assert obj["loss"] == pytest.approx(112.6148101161, rel=1e-12)
    assert obj["n_iter"] == 1000 and obj["status"] == "max_iter"
    assert obj["features"] == ["x"] and obj["target"] == "y"
    assert set(obj) >= {"message", "r2"}
    assert "--max-iter 1000" in r.stderr  # the CLI speaks in its flags


def test_tutorial_run_text(cli):
    r = cli("fit", SEEDS, "--lr", "0.0001", "--max-iter", "1000", "--no-scale")
    assert r.code == 0
    for text in ("5565.10783448", "0.0889365199", "1.47774408519", "112.614810116", "max_iter"):
        assert text in r.stdout


def test_house_default_and_predict(cli, houses, tmp_path):
    model = tmp_path / "m.json"
    r = cli("fit", str(houses), "--save", str(model))
    assert r.code == 0, r.stderr
    assert "coef size" in r.stdout and "166.666666667" in r.stdout
    r = cli("predict", str(model), "--x", "2000", "--json")
    assert r.code == 0
    assert json.loads(r.stdout)["predictions"] == [pytest.approx(333333.3333333, rel=1e-12)]
    r = cli("predict", str(model), str(houses))
    assert r.code == 0 and r.stdout.split()[0] == "price" and len(r.stdout.split()) == 6
    r = cli("fit", str(houses), "--save", str(model))  # refuses to overwrite
    assert r.code == 2 and "already exists" in r.stderr and "--force" in r.stderr
    assert cli("fit", str(houses), "--save", str(model), "--force").code == 0


def test_house_tutorial_rate_diverges_with_diagnosis(cli, houses):
    r = cli("fit", str(houses), "--lr", "0.0001", "--no-scale")
    assert r.code == 3
    assert "diverged" in r.stderr and "2.92e-07" in r.stderr and "'size'" in r.stderr
    assert "--scale" in r.stderr
    r = cli("fit", str(houses), "--lr", "0.0001", "--no-scale", "--json")
    assert r.code == 3 and json.loads(r.stdout)["status"] == "diverged"


def test_sweep(cli, houses):
    r = cli("sweep", str(houses), "--lr", "0.001,0.01,0.1,1.0", "--no-scale", "--json")
    assert r.code == 0
    obj = json.loads(r.stdout)
    assert [run["diverged"] for run in obj["runs"]] == [True] * 4
    assert obj["stability_limit"] == pytest.approx(2.924e-07, rel=1e-3)
    r = cli("sweep", str(houses))
    assert r.code == 0 and "2/L = 1" in r.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", (), "the file is empty"),
        ("a,b\n1,2\n3,x\n", (), "non-numeric value 'x' at line 3, column 'b'"),
        (HOUSES, ("--target", "prices"), "did you mean 'price'"),
        (HOUSES, ("--lr", "fast"), "--lr 'fast'"),
        (HOUSES, ("--init", "1"), "--init 1: expected 2 values"),
        (HOUSES, ("--loss", "l3"), "loss='l3'"),
        (HOUSES, ("--optimizer", "adamm"), "did you mean 'adam'"),
        (HOUSES, ("--save", "m.txt"), "ending in .json"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, tmp_path, content, args, message):
    p = tmp_path / "d.csv"
    p.write_text(content)
    r = cli("fit", str(p), *args)
    assert r.code == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_predict_errors(cli, tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text('{"format": "descend.linear-model", "version": 1}')
    r = cli("predict", str(bad), "--x", "1")
    assert r.code == 2 and "'features'" in r.stderr


def test_help_has_examples(cli):
    for cmd, example in (
        ("fit", "descend fit data.csv"),
        ("predict", "descend predict"),
        ("sweep", "descend sweep"),
    ):
        r = cli(cmd, "--help")
        assert r.code == 0 and example in r.stdout


def test_console_script(houses):
    exe = Path(sys.executable).with_name("descend")
    env = {**os.environ, "COLUMNS": "120"}
    r = subprocess.run(
        [str(exe), "fit", str(houses), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["coef"] == [pytest.approx(500 / 3, rel=1e-12)]
    r = subprocess.run(
        [str(exe), "fit", str(houses), "--lr", "0.0001", "--no-scale"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 3 and "diverged" in r.stderr
