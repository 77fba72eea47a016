"""descend fit / predict / sweep through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = str(Path(__file__).resolve().parents[2] / "examples" / "data.csv")  # the tutorials' data
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
    assert obj["verdict"] == "budget_spent" and obj["success"] is False
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
    lines = r.stdout.splitlines()  # the column is predicted_<target>; the file holds the
    assert r.code == 0 and lines[0] == "predicted_price" and len(lines) == 7  # target: metrics
    assert [float(v) for v in lines[1:6]] == pytest.approx([2e5, 2.5e5, 3e5, 3.5e5, 4e5])
    assert lines[6].startswith("# against price in the file (5 rows): RMSE ")
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


@pytest.mark.parametrize("window", [2, 8])
def test_n_iter_no_change_is_the_tol_rules_window(cli, window):
    import numpy as np

    from descend.models.linear import LinearModel

    r = cli("fit", SEEDS, "--optimizer", "gd", "--lr", "0.1", "--tol", "1e-8",
            "--n-iter-no-change", str(window), "--json")
    assert r.code == 0, r.stderr
    obj = json.loads(r.stdout)
    data = np.loadtxt(SEEDS, delimiter=",")  # no header: columns x, y
    m = LinearModel(optimizer="gd", learning_rate=0.1, tol=1e-8, n_iter_no_change=window)
    m.fit(data[:, :1], data[:, 1])
    assert obj["status"] == m.stop_reason_ == "no_progress" and obj["n_iter"] == m.n_iter_
    # the rule as documented, on the fit's own curve: the first step whose last `window`
    # steps' losses range within tol x their largest
    curve = np.array(m.loss_curve_)
    flat = [k for k in range(window, len(curve))
            if np.ptp(curve[k - window : k + 1]) <= 1e-8 * np.abs(curve[k - window : k + 1]).max()]
    assert flat[0] == obj["n_iter"]


def test_sweep(cli, houses):
    r = cli("sweep", str(houses), "--lr", "0.001,0.01,0.1,1.0", "--no-scale", "--json")
    assert r.code == 3  # every run diverged: the sweep failed (issue 24, finding 15)
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
        (HOUSES, ("--loss", "l3"), "--loss 'l3'"),  # issue 20.9: the CLI names its flags
        (HOUSES, ("--optimizer", "adamm"), "did you mean 'adam'"),
        (HOUSES, ("--save", "m.txt"), "ending in .json"),
        (HOUSES, ("--n-iter-no-change", "0"), "--n-iter-no-change 0 must be a positive integer"),
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


@pytest.mark.slow  # a new process
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


# ---------------------------------------------------------------- verdicts, digits, coordinates

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_step_at_exactly_2_over_L_is_oscillating_exit_3(cli):
    houses = str(EXAMPLES / "houses.csv")
    r = cli("fit", houses, "--lr", "1")
    assert r.code == 3
    assert "oscillating" in r.stderr and "2/L = 1" in r.stderr and "converged" not in r.stderr
    r = cli("fit", houses, "--lr", "1", "--json")
    obj = json.loads(r.stdout)
    assert r.code == 3 and obj["verdict"] == "oscillating" and obj["success"] is False


def test_default_fit_reports_verdict_condition_and_digits(cli, houses):
    r = cli("fit", str(houses), "--json")
    assert r.code == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["verdict"] == "converged" and obj["success"] is True
    assert obj["optimizer"] == "preconditioned" and obj["learning_rate_coordinates"] == "whitened"
    assert obj["condition_number"] == pytest.approx(1.0) and obj["trusted_digits"] >= 10
    assert obj["coef"] == [pytest.approx(500 / 3, rel=1e-14)]
    r = cli("fit", str(houses))
    for text in ("optimizer preconditioned", "whitened coordinates", "verdict", "converged",
                 "condition number", "trusted digits"):
        assert text in r.stdout


def test_typed_rate_says_its_coordinates_and_warns(cli, houses):
    r = cli("fit", str(houses), "--lr", "0.0001", "--json")
    assert r.code == 0
    obj = json.loads(r.stdout)
    assert obj["learning_rate_coordinates"] == "standardised" and obj["optimizer"] == "gd"
    assert obj["verdict"] == "budget_spent" and obj["success"] is False
    assert "standardised features" in r.stderr and "--no-scale" in r.stderr
    r = cli("fit", str(houses), "--lr", "0.0001")
    assert "on the standardised features (x - mean) / std" in r.stdout


def test_no_intercept_fits_through_the_origin(cli, tmp_path):
    p = tmp_path / "origin.csv"
    p.write_text("x,y\n1,2.5\n2,4.5\n3,7\n")
    r = cli("fit", str(p), "--no-intercept", "--json")
    assert r.code == 0, r.stderr
    obj = json.loads(r.stdout)
    # b = 0 and w = sum(x y) / sum(x^2) = 32.5 / 14, exactly
    assert obj["intercept"] == 0.0 and obj["coef"] == [pytest.approx(32.5 / 14, rel=1e-15)]
    assert obj["fit_intercept"] is False and obj["verdict"] == "converged"
    assert "through the origin" in cli("fit", str(p), "--no-intercept").stdout


def test_plain_gd_on_hard_data_says_how_many_steps_it_needs(cli, tmp_path):
    p = tmp_path / "poly.csv"
    rows = [f"{x},{x * x},{x**3},{1 + x + x * x + x**3}" for x in range(21)]
    p.write_text("a,b,c,y\n" + "\n".join(rows) + "\n")
    r = cli("fit", str(p), "--optimizer", "gd", "--json")
    obj = json.loads(r.stdout)
    assert r.code == 0 and obj["verdict"] in ("budget_spent", "stalled")
    assert "plain gradient descent at 1/L needs about" in r.stderr
    assert "--optimizer auto" in r.stderr
    r = cli("fit", str(p), "--json")
    obj = json.loads(r.stdout)
    assert obj["verdict"] == "converged"
    assert obj["coef"] == [pytest.approx(1.0, rel=1e-12)] * 3


def test_decayed_schedule_is_stalled_in_json(cli):
    r = cli("fit", str(EXAMPLES / "data.csv"), "--lr", "exp:0.01,0.5", "--json")
    obj = json.loads(r.stdout)
    assert r.code == 0 and obj["verdict"] == "stalled" and obj["success"] is False
    assert "stalled (not converged)" in r.stderr and "schedule decayed" in r.stderr
    assert "converged:" not in r.stderr
