"""fit and sweep with --plot/--html, and the sweep's verdict at the stability limit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from descend.models import sweep_learning_rates

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow  # matplotlib figures
def test_fit_writes_the_named_plot_and_report(cli, tmp_path):
    plot, html = tmp_path / "fit.png", tmp_path / "fit.html"
    r = cli("fit", str(EXAMPLES / "houses.csv"), "--plot", str(plot), "--html", str(html))
    assert r.code == 0, r.stderr
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert 'id="descend-data"' in html.read_text()  # the report page with its run data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.html", "fit.png"]


@pytest.mark.slow  # matplotlib figures
def test_sweep_marks_the_rate_at_two_over_L_as_oscillating(cli, tmp_path):
    # Standardised houses: L = 2 exactly (identity Hessian of the centred, scaled problem),
    # so 2/L = 1: lr = 1 flips the intercept between two values forever, lr = 1.5 blows up.
    plot = tmp_path / "sweep.png"
    r = cli(
        "sweep", str(EXAMPLES / "houses.csv"), "--lr", "0.1,1,1.5", "--max-iter", "200",
        "--json", "--plot", str(plot),
    )
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["stability_limit"] == 1.0
    assert [run["status"] for run in data["runs"]] == ["no_progress", "no_progress", "diverged"]
    assert [run["verdict"] for run in data["runs"]] == ["converged", "oscillating", "diverged"]
    assert plot.exists()


def test_oscillating_run_keeps_its_starting_loss():
    X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    y = 200000.0 + (X[:, 0] - 1200.0) * (50000.0 / 300.0)
    res = sweep_learning_rates(X, y, [1.0], max_iter=20)
    # gd at 2/L on a quadratic: e_{k+1} = (1 - 2) e_k along the top direction, so f is flat.
    assert res.status == ("no_progress",) and res.verdicts == ("oscillating",)
    assert res.final_loss[0] == res.loss_curves[0][0] == np.mean(y**2)
