from __future__ import annotations

import numpy as np

from descend.plot import (
    animate,
    fit_plot,
    loss_curve,
    regression_loss_surface,
    sweep_plot,
    wants_log_scale,
)


def test_decaying_loss_gets_log_scale_and_stop_reason():
    k = np.arange(60)
    fig = loss_curve(5 * 0.8**k, stop_reason="gtol")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "loss")
    np.testing.assert_allclose(line.get_ydata(), 5 * 0.8**k)
    note = next(t for t in ax.texts if t.get_gid() == "stop-reason")
    assert "gtol" in note.get_text() and "59 iterations" in note.get_text()


def test_flat_or_signed_loss_stays_linear():
    assert not wants_log_scale([3.0, 2.5, 2.0])
    assert not wants_log_scale([1.0, -1.0, 1e-5])
    assert loss_curve([3.0, 2.5, 2.0]).axes[0].get_yscale() == "linear"


def test_sweep_marks_divergence_without_drawing_to_infinity():
    k = np.arange(30)
    curves = [10 * 0.9**k, 10 * 0.5**k, np.concatenate([10 * 3.0 ** k[:12], [np.inf]])]
    fig = sweep_plot([0.01, 0.1, 1.0], curves, [False, False, True], stability_limit=0.5)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert "2/L = 0.5" in ax.get_title()
    marks = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("diverged-")]
    assert [m.get_gid() for m in marks] == ["diverged-2"]
    diverged_line = next(ln for ln in ax.get_lines() if ln.get_gid() == "sweep-2")
    # the explosion is drawn (a log axis holds it) up to the last finite loss, 10 * 3^11
    np.testing.assert_allclose(diverged_line.get_ydata(), 10 * 3.0 ** k[:12])
    assert marks[0].get_ydata()[0] == 10 * 3.0**11
    assert ax.get_ylim()[1] <= 10 * 3.0**11 * 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "lr = 1 — diverged at step 13" in labels  # 12 finite steps, the 13th overflowed


def test_sweep_draws_far_blowups_as_an_arrow_not_to_infinity():
    k = np.arange(40)
    curves = [10 * 0.5**k, 10 * 100.0 ** k[:20]]  # the second reaches 1e39, far off any chart
    ax = sweep_plot([0.1, 5.0], curves, [False, True]).axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "sweep-1")
    assert np.max(line.get_ydata()) <= 10 * 1e12  # drawn to 1e12 x the largest start
    assert any(str(t.get_gid()) == "beyond-1" for t in ax.texts)  # then an arrow up
    assert ax.get_ylim()[1] <= 10 * 1e12 * 3


def test_loss_curves_stop_at_the_rounding_floor():
    k = np.arange(60)
    losses = np.concatenate([1e11 * 0.5 ** k[:50], [1e-9, 1e-18, 3e-12, 1e-20]])
    ax = sweep_plot([0.1], [losses], [False]).axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "sweep-0")
    floor = 1e-15 * 1e11
    assert np.min(line.get_ydata()) == floor  # nothing below 1e-15 of the start is drawn
    assert ax.get_ylim()[0] >= floor / 30
    assert any("rounding noise" in t.get_text() for t in ax.texts)
    ax = loss_curve(losses).axes[0]
    assert np.min(ax.get_lines()[0].get_ydata()) == floor


def test_fit_plot_one_feature_line_values():
    x = np.array([1.0, 2, 3, 4])
    y = 2 * x + 1
    fig = fit_plot(x, y, coef=[2.0], intercept=1.0, feature_names=["size"], target_name="price")
    ax = fig.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "fit-line")
    np.testing.assert_allclose(line.get_ydata(), 1 + 2 * line.get_xdata())
    assert ax.get_xlabel() == "size" and ax.get_ylabel() == "price"
    assert "R² = 1.000" in ax.get_legend().get_texts()[1].get_text()


def test_fit_plot_several_features_identity():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -2.0, 0.5] + 3
    ax = fit_plot(X, y, coef=[1.0, -2.0, 0.5], intercept=3.0, target_name="t").axes[0]
    ident = next(ln for ln in ax.get_lines() if ln.get_gid() == "identity")
    np.testing.assert_allclose(ident.get_xdata(), ident.get_ydata())
    assert ax.get_xlabel() == "actual t" and ax.get_ylabel() == "predicted t"


def test_regression_loss_surface_path_and_minimum():
    from pathlib import Path

    data = np.loadtxt(Path(__file__).resolve().parents[2] / "examples" / "data.csv", delimiter=",")
    x, y = data[:, 0], data[:, 1]
    b = m = 0.0
    hist = [(b, m)]
    for _ in range(200):
        e = m * x + b - y
        b, m = b - 1e-4 * 2 * e.mean(), m - 1e-4 * 2 * (e * x).mean()
        hist.append((b, m))
    H = np.array(hist)
    ax = regression_loss_surface(x, y, H, feature_name="x", target_name="y").axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "path-0")
    np.testing.assert_allclose(line.get_xydata(), H)
    star = next(ln for ln in ax.get_lines() if ln.get_gid() == "minimum")
    beta = np.polyfit(x, y, 1)
    np.testing.assert_allclose(star.get_xydata()[0], [beta[1], beta[0]], rtol=1e-6)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < min(H[:, 0].min(), beta[1]) and max(H[:, 0].max(), beta[1]) < x1
    assert y0 < H[:, 1].min() and H[:, 1].max() < y1


def test_animate_writes_small_gif(tmp_path, bowl):
    from PIL import Image

    p = animate(lambda X, Y: X**2 + Y**2, bowl, tmp_path / "a.gif", max_frames=10)
    img = Image.open(p)
    assert img.n_frames == 10
    assert img.size[0] <= 600 and p.stat().st_size < 1_000_000


def test_animated_frames_grow_the_path(tmp_path, bowl):
    from PIL import Image

    p = animate(lambda X, Y: X**2 + Y**2, bowl, tmp_path / "b.gif", max_frames=6, fps=5)
    img = Image.open(p)
    assert img.info["duration"] == 200
    frames = []
    for i in range(img.n_frames):
        img.seek(i)
        frames.append(np.asarray(img.convert("RGB"), dtype=int))
    changed = [int((np.abs(frames[i] - frames[0]).sum(axis=2) > 0).sum()) for i in range(6)]
    assert changed[0] == 0 and all(a < b for a, b in zip(changed[1:], changed[2:], strict=False))
