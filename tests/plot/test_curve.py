"""One-variable pictures: the curve, tangents with their slopes, the descent along the curve."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend.cli.app import main
from descend.errors import InputError
from descend.plot import curve_plot, minimize_figure, tangent_line


def _lines(ax, prefix):
    return {ln.get_gid(): ln for ln in ax.get_lines() if str(ln.get_gid()).startswith(prefix)}


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_tangents_of_x_squared_have_slopes_6_and_8():
    fig = curve_plot(descend.function("x**2"), tangents=[3, 4])
    ax = fig.axes[0]
    lines = _lines(ax, "tangent-")
    for gid, a in (("tangent-0", 3.0), ("tangent-1", 4.0)):
        (x0, y0), (x1, y1) = lines[gid].get_xydata()
        slope = (y1 - y0) / (x1 - x0)
        assert slope == pytest.approx(2 * a, rel=1e-12)  # d/dx x^2 = 2x, by hand
        assert y0 + slope * (a - x0) == pytest.approx(a * a, rel=1e-12)  # it touches (a, a^2)
    assert "slope 6\nat x = 3" in _texts(ax) and "slope 8\nat x = 4" in _texts(ax)
    labels = ax.get_legend_handles_labels()[1]
    assert "tangent at x = 3: slope 6" in labels


def test_tangent_line_of_a_cubic():
    f = descend.function("x**3 - 2*x")
    assert tangent_line(f, 2.0) == (4.0, 10.0)  # f(2) = 8 - 4, f'(2) = 3*4 - 2


def test_path_is_drawn_on_the_curve():
    f = descend.function("x**2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = descend.minimize(f, [3.0], optimizer=descend.gd(0.8), max_iter=12)
    ax = curve_plot(f, [r]).axes[0]
    xy = _lines(ax, "path-")["path-0"].get_xydata()
    np.testing.assert_allclose(xy[:, 0], r.history.x[:, 0])
    np.testing.assert_allclose(xy[:, 1], r.history.x[:, 0] ** 2)
    assert xy[1, 0] == pytest.approx(3 - 0.8 * 6)  # the first step jumps across the bottom
    lo, hi = ax.get_xlim()
    assert lo < r.history.x.min() and r.history.x.max() < hi


def test_diverged_path_keeps_the_window_and_says_where_it_went():
    f = descend.function("x**2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = descend.minimize(f, [3.0], optimizer=descend.gd(1.1))
    assert str(r.status) == "diverged"
    ax = curve_plot(f, [r]).axes[0]
    lo, hi = ax.get_xlim()
    assert hi - lo < 200  # the first steps, not the 1e3-wide blow-up
    label = _lines(ax, "path-")["path-0"].get_label()
    assert "diverged" in label and "leaves the window" in label


def test_curve_plot_refuses_two_variables():
    with pytest.raises(InputError, match="one variable"):
        curve_plot(descend.function("x*y"))


def test_minimize_figure_of_one_variable_has_the_curve_and_the_loss():
    f = descend.function("x**4 - 3*x**2 + x")
    r = descend.minimize(f, [2.0], optimizer=descend.momentum(0.01))
    fig = minimize_figure(f, [r])
    assert len(fig.axes) == 2
    assert _lines(fig.axes[0], "path-")


def test_cli_plot_tangents_and_start(tmp_path, capsys):
    out = tmp_path / "slopes.png"
    assert main(["plot", "x**2", "--tangent", "3,4", "--start", "3", "--lr", "0.2",
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert main(["plot", "x**2 + y", "--tangent", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--tangent" in err[0] and err[0].startswith("descend: error:")
    assert main(["plot", "x**2", "--surface", "--out", str(out)]) == 2


def test_cli_minimize_plot_of_one_variable(tmp_path):
    out = tmp_path / "m.png"
    assert main(["minimize", "x**2 - x", "--start", "2", "--plot", str(out)]) == 0
    assert out.exists()
