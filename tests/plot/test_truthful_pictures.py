"""Pictures that tell the truth: the raw-units sweep is not empty, one rate has one colour in
every panel, a diverged path jumps off the chart instead of walking through the minimum."""

from __future__ import annotations

import warnings

import numpy as np

import descend
from descend.plot import regression_loss_surface, sweep_figure

X = np.array([1200, 1500, 1800, 2100, 2400.0])
Y = X * 500 / 3


class _Table:
    X = X.reshape(-1, 1)
    y = Y
    feature_names = ("size",)
    target_name = "price"


def _sweep(rates, scale):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.sweep_learning_rates(X.reshape(-1, 1), Y, rates, scale=scale)


def test_raw_units_sweep_draws_the_diverged_runs():
    sweep = _sweep([1e-4, 1e-6, 1e-7], scale=False)
    ax = sweep_figure(sweep, _Table()).axes[0]
    for i in (0, 1):  # both diverge; each is drawn from its start to its explosion
        line = next(ln for ln in ax.get_lines() if ln.get_gid() == f"sweep-{i}")
        y = line.get_ydata()
        assert len(y) >= 2 and y[-1] > 1e3 * y[0]
        lo, hi = ax.get_ylim()
        assert lo <= y.min() and y.max() <= hi  # on the chart, not clipped away


def test_one_rate_has_one_colour_in_both_panels():
    sweep = _sweep([0.001, 0.01, 0.1], scale=True)
    fig = sweep_figure(sweep, _Table())
    left = {ln.get_gid(): ln.get_color() for ln in fig.axes[0].get_lines()}
    right = {ln.get_gid(): ln.get_color() for ln in fig.axes[1].get_lines()}
    for i in range(3):
        assert left[f"sweep-{i}"] == right[f"path-{i}"]
    assert len({left[f"sweep-{i}"] for i in range(3)}) == 3


def test_a_diverged_path_jumps_off_the_chart():
    b, m = 0.0, 0.0
    path = [(b, m)]
    for _ in range(3):  # gradient descent on the mean squared error at lr 1e-6 (> 2/L)
        r = b + m * X - Y
        b, m = b - 1e-6 * 2 * r.mean(), m - 1e-6 * 2 * (r * X).mean()
        path.append((b, m))
    path = np.array(path)
    ax = regression_loss_surface(X, Y, path).axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "path-0")
    drawn = line.get_xydata()
    lo, hi = ax.get_ylim()
    assert np.all((drawn[:, 1] >= lo) & (drawn[:, 1] <= hi))  # only the points on the chart
    jump = [t for t in ax.texts if str(t.get_gid()) == "jump-0"]
    assert jump, "the step off the chart is drawn as a jump"
    label = [t.get_text() for t in ax.texts if t.get_text().startswith("step 1: jumps to")]
    assert label and f"{path[1, 1]:.3g}" in label[0]
