"""Issue 23: a picture says what the run's verdict says -- its exit status, legend, title,
stars and R² -- and draws a diverging loss from its true start."""

from __future__ import annotations

import warnings

import numpy as np

import descend
from descend.plot import fit_plot, gradient_field, loss_curve

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"


def _legend(fig):
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_plot_exits_as_minimize_and_says_why(cli, tmp_path):
    out = tmp_path / "s.png"
    r = cli("plot", "x**2 - y**2", "--start", "3,1", "--out", out)
    m = cli("minimize", "x**2 - y**2", "--start", "3,1")
    assert r.code == m.code == 3
    assert "unbounded below" in r.stderr and out.exists()  # the picture of the failure stays
    ok = cli("plot", "x**2 + y**2", "--start", "3,1", "--lr", "0.1", "--out", tmp_path / "b.png")
    assert ok.code == 0, ok.stderr


def test_the_legend_carries_the_verdict():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = descend.minimize("x**2 + x*y + y**2", [3, 1],
                             optimizer=descend.get_optimizer("gd", learning_rate=0.7), max_iter=60)
    assert r.verdict == "oscillating"
    fig = gradient_field(descend.function("x**2 + x*y + y**2"), r)
    assert any("gd, lr = 0.7: oscillating" in t for t in _legend(fig))


def test_four_starts_of_one_optimizer_are_not_a_race_and_each_minimum_is_starred(cli, tmp_path,
                                                                                  monkeypatch):
    import descend.plot as plot

    figs = []

    def catch(fig, out):
        figs.append(fig)
        with open(out, "wb") as fh:
            fh.write(b"figure")

    monkeypatch.setattr(plot, "save_figure", catch)
    r = cli("plot", HIMMELBLAU, "--start", "0,0", "--start", "-1,1", "--start", "-1,-1",
            "--start", "1,-1", "--lr", "0.01", "--out", tmp_path / "h.png")
    assert r.code == 0, r.stderr
    ax = figs[0].axes[0]
    assert "race" not in ax.get_title() and "from 4 starts" in ax.get_title()
    stars = sorted((round(float(ln.get_xdata()[0]), 3), round(float(ln.get_ydata()[0]), 3))
                   for ln in ax.get_lines() if str(ln.get_gid()).startswith("minimum"))
    # Himmelblau's four minima (known to 6 digits), each where one path converged
    assert stars == [(-3.779, -3.283), (-2.805, 3.131), (3.0, 2.0), (3.584, -1.848)]


def test_no_r2_for_a_diverged_fit():
    X = np.array([[1.0], [2.0], [3.0]])
    y = np.array([1.0, 2.0, 3.1])
    fig = fit_plot(X, y, coef=[-3e9], intercept=5e9, verdict="diverged")
    texts = _legend(fig)
    assert not any("R² =" in t for t in texts) and any("diverged: no R²" in t for t in texts)
    fig = fit_plot(X, y, coef=[1.05], intercept=-0.03, verdict="converged")
    assert any("R² = 0.99" in t for t in _legend(fig))


def test_a_diverging_loss_is_drawn_from_its_start():
    y = np.array([9.5e10, 6.5e16, 4.4e22, 9.6e27])
    fig = loss_curve(y, stop_reason="diverged", verdict="diverged")
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "loss")
    np.testing.assert_array_equal(line.get_ydata(), y)  # nothing raised to a "noise floor"
    assert "verdict: diverged" in next(
        t.get_text() for t in fig.axes[0].texts if t.get_gid() == "stop-reason")


def test_animate_size_and_fps(cli, tmp_path):
    from PIL import Image

    out = tmp_path / "a.gif"
    r = cli("plot", "x**2 + 10*y**2", "--start", "3,1", "--lr", "0.05", "--max-iter", "8",
            "--animate", "--size", "700", "--fps", "20", "--out", out)
    assert r.code == 0, r.stderr
    im = Image.open(out)
    assert abs(im.size[0] - 700) <= 2 and im.info["duration"] == 50  # 1000 ms / 20 fps
    bad = cli("plot", "x**2 + y**2", "--start", "3,1", "--animate", "--fps", "0", "--out",
              tmp_path / "b.gif")
    assert bad.code == 2 and "--fps 0" in bad.stderr
