from __future__ import annotations

import numpy as np
import pytest

from descend.errors import InputError
from descend.plot import gradient_field, optimizer_race, save_figure, surface_3d


def bowl(X, Y):
    return X**2 + Y**2


def valley(X, Y):
    return X**2 + X * Y + Y**2


def _path_lines(ax):
    return {ln.get_gid(): ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("path-")}


def test_path_line_is_the_history(bowl, make_bowl):
    other = make_bowl((-2.0, -2.0), 0.2, 10)
    fig = gradient_field(lambda X, Y: X**2 + Y**2, [bowl, other])
    ax = fig.axes[0]
    lines = _path_lines(ax)
    assert set(lines) == {"path-0", "path-1"}
    np.testing.assert_allclose(np.asarray(lines["path-0"].get_xydata()), bowl.history.x)
    np.testing.assert_allclose(np.asarray(lines["path-1"].get_xydata()), other.history.x)
    assert lines["path-0"].get_marker() == "o"  # a marker per step


def test_equal_aspect_window_holds_paths_and_minimum(bowl):
    fig = gradient_field(lambda X, Y: X**2 + Y**2, bowl)
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    pts = bowl.history.x
    assert x0 < pts[:, 0].min() and pts[:, 0].max() < x1
    assert y0 < pts[:, 1].min() and pts[:, 1].max() < y1
    star = [ln for ln in ax.get_lines() if ln.get_gid() == "minimum"][0]
    np.testing.assert_allclose(star.get_xydata()[0], [0, 0], atol=1e-5)


def _arrow_contour_cosines(fig):
    ax = fig.axes[0]
    q = next(c for c in ax.collections if c.get_gid() == "gradient-arrows")
    cs = next(c for c in ax.collections if c.get_gid() == "contours")
    bases = np.asarray(q.get_offsets())
    U, V = np.asarray(q.U, dtype=float), np.asarray(q.V, dtype=float)
    segs = [s for level in cs.allsegs for s in level if len(s) > 2]
    pts = np.vstack([s[1:-1] for s in segs])
    tangents = np.vstack([(s[2:] - s[:-2]) for s in segs])
    cosines = []
    for (bx, by), u, v in zip(bases, U, V, strict=True):
        if np.hypot(u, v) == 0:
            continue
        d = np.hypot(pts[:, 0] - bx, pts[:, 1] - by)
        j = int(np.argmin(d))
        if d[j] > 0.05:  # only arrows whose base sits on a contour line
            continue
        t = tangents[j] / np.linalg.norm(tangents[j])
        g = np.array([u, v]) / np.hypot(u, v)
        cosines.append(abs(float(t @ g)))
    return np.array(cosines)


@pytest.mark.parametrize("fn", [bowl, valley])
def test_gradient_arrows_cross_contours_at_right_angles(fn):
    fig = gradient_field(fn, xlim=(-3, 3), ylim=(-3, 3), arrows=25)
    cos = _arrow_contour_cosines(fig)
    assert len(cos) >= 5
    assert cos.max() < 0.05


def test_objective_input_and_formula_in_title():
    from descend.expr import function

    f = function("x**2 + x*y + y**2")
    fig = gradient_field(f, xlim=(-2, 2), ylim=(-2, 2))
    ax = fig.axes[0]
    assert "x**2 + x*y + y**2" in ax.get_title()
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    assert len(fig.axes) == 2  # the colorbar


def test_race_has_legend_per_optimizer(bowl, make_bowl):
    paths = {"gd": bowl.history.x, "fast": make_bowl(lr=0.4).history.x}
    fig = optimizer_race(lambda X, Y: X**2 + Y**2, paths)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("gd:") for t in texts) and any(t.startswith("fast:") for t in texts)
    assert not any(c.get_gid() == "gradient-arrows" for c in fig.axes[0].collections)


def test_race_title_is_the_formula_as_typed_and_markers_follow_the_runs(bowl, make_bowl):
    from descend.expr import function

    typed = "(1 - x)**2 + 100*(y - x**2)**2"
    f = function(typed)
    assert f.formula != typed  # SymPy reorders it: 100*(-x**2 + y)**2
    paths = {"gd": bowl.history.x, "fast": make_bowl(lr=0.4).history.x}
    ax = optimizer_race(f, paths, xlim=(-2, 2), ylim=(-1, 3)).axes[0]
    assert ax.get_title() == f"Optimizer race on {typed}"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    runs = [i for i, t in enumerate(texts) if t.startswith(("gd:", "fast:"))]
    marks = [texts.index("start"), texts.index("end")]
    assert len(runs) == 2 and max(runs) < min(marks)


def test_surface_3d_lifts_path(bowl):
    fig = surface_3d(lambda X, Y: X**2 + Y**2, bowl)
    ax = fig.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "path-0")
    xs, ys, zs = line.get_data_3d()
    np.testing.assert_allclose(zs - (xs**2 + ys**2), zs[0] - (xs[0] ** 2 + ys[0] ** 2))


def test_non_2d_objective_is_refused():
    from descend.expr import function

    with pytest.raises(InputError, match="two variables"):
        gradient_field(function("x**2 + y**2 + z**2"))


def test_save_figure_formats_and_errors(tmp_path, bowl):
    fig = gradient_field(lambda X, Y: X**2 + Y**2, bowl)
    for ext, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        p = save_figure(fig, tmp_path / f"f{ext}")
        assert p.read_bytes().startswith(magic)
    with pytest.raises(InputError, match=r"unknown figure format '\.jpg'"):
        save_figure(fig, tmp_path / "f.jpg")
    with pytest.raises(InputError, match="does not exist.*mkdir -p"):
        save_figure(fig, tmp_path / "missing" / "f.png")
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png", "f.svg"]
