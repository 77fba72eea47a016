"""The gradient and minimize commands through the real entry point."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest


def test_gradient_of_the_bowl_at_the_tutorial_points(cli):
    r = cli("gradient", "x**2 + y**2", "--at", "3,1", "--json")
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["variables"] == ["x", "y"]
    assert data["gradient"] == ["2*x", "2*y"]
    assert data["at"] == [3.0, 1.0]
    assert data["value"] == [6.0, 2.0]
    assert data["magnitude"] == pytest.approx(math.sqrt(40), rel=1e-15)
    assert data["direction"] == pytest.approx([6 / math.sqrt(40), 2 / math.sqrt(40)], rel=1e-15)

    r = cli("gradient", "x**2 + y**2", "--at", "-2,-2", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["value"] == [-4.0, -4.0]


def test_gradient_text_output_names_direction_and_magnitude(cli):
    r = cli("gradient", "x**2 + y**2", "--at", "3,1")
    assert r.code == 0, r.stderr
    assert "[6, 2]" in r.stdout
    assert "6.32455532" in r.stdout  # sqrt(40)
    assert "steepest ascent" in r.stdout and "steepest descent" in r.stdout


def test_valley_gradient_formula(cli):
    r = cli("gradient", "x**2 + x*y + y**2", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["gradient"] == ["2*x + y", "x + 2*y"]


def test_minimize_valley_reaches_the_origin(cli):
    r = cli("minimize", "x**2 + x*y + y**2", "--start", "3,1", "--json")
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["success"] is True
    assert max(abs(v) for v in data["x"]) < 1e-5
    assert data["history"]["x"][0] == [3.0, 1.0]
    assert len(data["history"]["fun"]) == data["nit"] + 1


def test_minimize_fixed_rate_matches_closed_form(cli):
    # gd on f = x^2 + x y + y^2: x_{k+1} = (I - lr A) x_k with A = [[2, 1], [1, 2]].
    r = cli(
        "minimize", "x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.1", "--max-iter", "5",
        "--json",
    )
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    x = [3.0, 1.0]
    for _ in range(5):
        x = [x[0] - 0.1 * (2 * x[0] + x[1]), x[1] - 0.1 * (x[0] + 2 * x[1])]
    assert data["x"] == pytest.approx(x, rel=1e-14)
    assert data["status"] == "max_iter"


def test_minimize_divergence_exits_3_with_the_diagnosis(cli):
    r = cli("minimize", "x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.7", "--json")
    assert r.code == 3
    data = json.loads(r.stdout)
    assert data["status"] == "diverged"
    assert all(math.isfinite(v) for v in data["x"])
    assert "0.667" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) >= 1


def test_explain_writes_the_tutorial_update(cli):
    r = cli("minimize", "x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.1", "--explain")
    assert r.code == 0, r.stderr
    # first step: (3, 1) - 0.1 * (7, 5) = (2.3, 0.5)
    assert "(7, 5)" in r.stdout and "(2.3, 0.5)" in r.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (("gradient", "__import__('os').system('echo hi')", "--at", "1"), "column"),
        (("gradient", "x**2 +", "--at", "1"), "column"),
        (("gradient", "x**2 + y**2", "--at", "1,2,3"), "(x, y)"),
        (("gradient", "x**2 + y**2", "--at", "1,zz"), "--at"),
        (("minimize", "x**2", "--start", "1", "--optimizer", "adamm"), "adam"),
        (("minimize", "x**2", "--start", "1", "--lr", "fast"), "--lr"),
        (("minimize", "x**2", "--start", "1", "--lr", "-1"), "--lr"),
        (("minimize", "x**2 + y**2", "--start", "1"), "(x, y)"),
        (("minimize", "x**2", "--start", "1", "--optimizer", "gd", "--b1", "0.9"), "b1"),
        (("minimize", "x**2", "--start", "1", "--nope"), "--nope"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(cli, args, needle):
    r = cli(*args)
    assert r.code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("descend: error:")
    assert needle in lines[0]
    assert "Traceback" not in r.stderr


@pytest.mark.slow  # new processes
def test_console_script_runs_and_bare_command_prints_help():
    exe = os.path.join(os.path.dirname(sys.executable), "descend")
    done = subprocess.run([exe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "gradient" in done.stdout and "minimize" in done.stdout
    done = subprocess.run(
        [exe, "gradient", "x**2 + y**2", "--at", "3,1", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == [6.0, 2.0]


@pytest.mark.slow  # matplotlib figures and an animation
def test_minimize_writes_only_the_named_pictures(cli, tmp_path):
    plot, html = tmp_path / "path.png", tmp_path / "report.html"
    r = cli(
        "minimize", "x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.1",
        "--plot", str(plot), "--html", str(html),
    )
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["path.png", "report.html"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = html.read_text()
    assert "<script" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)  # self-contained: nothing fetched


def test_picture_in_a_missing_folder_is_refused_before_the_run(cli, tmp_path):
    target = tmp_path / "nope" / "path.png"
    r = cli("minimize", "x**2 + y**2", "--start", "3,1", "--plot", str(target))
    assert r.code == 2
    assert "does not exist" in r.stderr and "Traceback" not in r.stderr
    assert not target.parent.exists()


def test_formula_with_a_leading_minus_is_not_an_option(cli):
    r = cli("gradient", "-x**2 + x*y", "--at", "1,2", "--json")
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["gradient"] == ["-2*x + y", "x"]
    assert data["value"] == [0.0, 1.0]  # -2*1 + 2, 1


@pytest.mark.parametrize("expr, start", [("x**3", "1"), ("-x**2 - y**2", "1,1")])
def test_unbounded_below_is_diverged_not_a_minimum(cli, expr, start):
    r = cli("minimize", expr, "--start", start, "--json")
    assert r.code == 3, r.stdout
    data = json.loads(r.stdout)
    assert data["status"] == "diverged" and data["success"] is False
    assert "unbounded below" in data["message"]
    assert all(math.isfinite(v) for v in data["x"])
