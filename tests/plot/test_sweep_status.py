"""The sweep plot names a run that oscillates at 2/L instead of passing it off as converged."""

from __future__ import annotations

import numpy as np

from descend.models import sweep_learning_rates
from descend.plot import sweep_figure


def test_oscillating_run_is_dotted_and_named():
    X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    y = X[:, 0] * (500.0 / 3.0)
    sweep = sweep_learning_rates(X, y, [0.1, 1.0, 1.5], max_iter=50)
    # the tol rule stopped the run at 2/L (its loss is flat); its verdict says what it is
    assert sweep.status[1:] == ("no_progress", "diverged")
    assert sweep.verdicts[1:] == ("oscillating", "diverged")
    fig = sweep_figure(sweep)
    ax = fig.axes[0]
    labels = {line.get_label(): line for line in ax.get_lines() if line.get_gid()}
    osc = [lab for lab in labels if "oscillates" in lab]
    assert osc == ["lr = 1 — oscillates (at 2/L)"]
    assert labels[osc[0]].get_linestyle() == ":"
    assert any("diverged" in lab for lab in labels)
