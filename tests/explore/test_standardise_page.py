"""Issue 23: the regression page's standardise box (tutorial 001's lesson).

With the box ticked the page descends on ``z = (x − mean)/std`` (population std), the
coordinates ``descend fit`` uses by default. Its iterates are checked against the fit engine's
own path (``LinearRegression(...).result_.history.x``, the optimizer's coordinates) and the
line it ends on against ``descend fit --json`` in the data's units; the verdict words against
the engine's; the URL hash round-trips the box; the page stays under 150 KB.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

import descend
from descend.cli.app import main
from descend.data import load_table
from descend.explorer import explore, explore_regression
from descend.explorer._regression import _line_loss, _z_loss

FILES = ["examples/houses.csv", "examples/data.csv"]
#: The page's stopping rules (gtol 1e-6, tol 1e-10 over 100 steps, 200 steps), for the engine.
PAGE_RULES = ["--lr", "0.1", "--tol", "1e-10", "--n-iter-no-change", "100", "--gtol", "1e-6",
              "--max-iter", "200"]


def _engine(path):
    """The fit engine's standardised gd run at γ = 0.1 with the page's stopping rules."""
    t = load_table(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.LinearRegression(learning_rate=0.1, optimizer="gd", tol=1e-10,
                                        n_iter_no_change=100, gtol=1e-6, max_iter=200).fit(t.X, t.y)


def _fit_json(path, capsys):
    capsys.readouterr()
    assert main(["fit", path, *PAGE_RULES, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _data(html):
    m = re.search(r'<script type="application/json" id="descend-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


# ------------------------------------------------------------------ the standardised loss
@pytest.mark.parametrize("path", FILES)
def test_the_z_loss_is_the_mean_squared_error_on_z(path):
    t = load_table(path)
    x, y = t.X[:, 0], t.y
    fun, mean, std = _z_loss(x, y)
    assert mean == pytest.approx(x.mean(), rel=1e-15)
    assert std == pytest.approx(np.std(x), rel=1e-15)  # population std, as descend fit
    z = (x - x.mean()) / np.std(x)
    rng = np.random.default_rng(0)
    scale = np.array([abs(y.mean()) + y.std(), y.std()])
    for b, m in rng.normal(size=(5, 2)) * scale:
        direct = np.mean((b + m * z - y) ** 2)
        assert fun.value(np.array([b, m])) == pytest.approx(direct, rel=1e-9, abs=1e-9 * y.var())
        g = fun.grad(np.array([b, m]))
        r = b + m * z - y
        np.testing.assert_allclose(g, [2 * r.mean(), 2 * (r * z).mean()], rtol=1e-9,
                                   atol=1e-9 * abs(y).max())
    assert fun.curvature_bound() == pytest.approx(2.0, rel=1e-12)  # 2/L = 1 in any units


def test_the_standardised_part_of_the_page():
    page = explore_regression("examples/houses.csv", start=[1000.0, 100.0])
    z = page.data["standardised"]
    t = load_table("examples/houses.csv")
    x, y = t.X[:, 0], t.y
    # the same line as the raw start: b + m·x = (b + m·mean) + (m·std)·z
    assert z["start"] == pytest.approx([1000.0 + 100.0 * x.mean(), 100.0 * np.std(x)], rel=1e-15)
    zz = (x - x.mean()) / np.std(x)
    sol = np.linalg.lstsq(np.column_stack([np.ones_like(zz), zz]), y, rcond=None)[0]
    assert z["minimum"] == pytest.approx(sol, rel=1e-12)
    assert z["L"] == pytest.approx(2.0) and z["learning_rate"] == 0.1
    assert z["lr_range"] == pytest.approx([1e-3, 1e3])
    (w0, w1), (h0, h1) = z["window"]
    assert w0 < z["start"][0] < w1 and h0 < z["start"][1] < h1
    assert "zᵢ" in z["display_formula"] and page.data["scaled"] is False
    assert "window.DESCEND_ZFUNCS = " in page.html


def test_scale_opens_standardised_with_its_rate_and_refuses_a_formula():
    page = explore("examples/houses.csv", scale=True, learning_rate=0.5)
    assert page.data["scaled"] is True
    assert page.data["standardised"]["learning_rate"] == 0.5
    assert page.data["learning_rate"] == 1e-7  # the raw view keeps its own default
    with pytest.raises(descend.InputError, match="a typed function has none"):
        explore("x**2 + y**2", scale=True)


def test_a_constant_feature_has_no_standardise_box(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("x,y\n2,1\n2,3\n2,5\n")
    page = explore(str(p), learning_rate=0.01)
    assert page.data["standardised"] is None and "window.DESCEND_ZFUNCS = " not in page.html
    with pytest.raises(descend.InputError, match="constant"):
        explore(str(p), scale=True)


@pytest.mark.parametrize("path", FILES)
def test_the_page_with_both_losses_stays_small(path):
    for scale in (False, True):
        html = explore(path, scale=scale).html
        assert len(html.encode("utf-8")) < 150_000, (path, scale)


# ------------------------------------------------------------------ the CLI
def test_cli_scale(tmp_path, capsys):
    out = tmp_path / "h.html"
    assert main(["explore", "examples/houses.csv", "--scale", "--html", str(out)]) == 0
    assert _data(out.read_text())["scaled"] is True
    capsys.readouterr()
    assert main(["explore", "x**2", "--scale", "--html", str(tmp_path / "f.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--scale" in err and "typed function" in err
    assert not (tmp_path / "f.html").exists()


def test_cli_lesson_without_a_name(tmp_path, capsys):
    from descend.explorer.lessons import LESSONS

    names = [ls.name for ls in LESSONS]
    for argv in (["explore", "--lesson"], ["explore", "--lesson", "--force"]):
        capsys.readouterr()
        assert main(argv) == 0, argv  # the list, as --lessons prints it
        listed = capsys.readouterr().out
        assert all(re.search(rf"\b{re.escape(n)}\b", listed) for n in names)
    for argv in (["explore", "--lesson", "--html", str(tmp_path / "x.html")],
                 ["explore", "--html", str(tmp_path / "x.html"), "--lesson"]):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("descend: error: --lesson needs")
        assert all(n in err for n in names)
        assert not (tmp_path / "x.html").exists()
    assert main(["explore", "--lesson", "saddle", "--html", str(tmp_path / "s.html")]) == 0
    assert (tmp_path / "s.html").exists()


# ------------------------------------------------------------------ in Chromium
@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=["houses", "data"])
def test_standardised_page_equals_descend_fit(open_page, tmp_path, capsys, path):
    engine = _engine(path)
    cli = _fit_json(path, capsys)
    page = open_page(explore(path).save(tmp_path / "p.html"))
    raw = page.js("() => window.descendExplorer.iterates()")
    assert raw["standardised"] is False
    page.page.check("#standardise")
    it = page.js("() => window.descendExplorer.iterates()")
    assert it["standardised"] is True and it["learning_rate"] == 0.1
    xs, theta = np.array(it["x"]), engine.result_.history.x
    assert xs.shape == theta.shape, (xs.shape, theta.shape)
    np.testing.assert_allclose(xs, theta, rtol=1e-13, atol=1e-13 * np.abs(theta).max())
    assert it["verdict"] == str(engine.verdict_) == cli["verdict"] == "converged"
    assert it["status"] == engine.stop_reason_ == cli["status"] == "gtol"
    assert len(xs) - 1 == engine.n_iter_ == cli["nit"]
    # the line it ends on, in the data's units (population std), against descend fit's
    t = load_table(path)
    x, y = t.X[:, 0], t.y
    c, v = xs[-1]
    slope, intercept = v / np.std(x), c - v * x.mean() / np.std(x)
    assert slope == pytest.approx(cli["coef"][0], rel=1e-10)
    # houses.csv's exact intercept is 0 (price = 500/3·size): compared to the scale of y
    assert abs(intercept - cli["intercept"]) <= 1e-9 * abs(y.mean())
    status = page.page.text_content("#status")
    assert f"converged in {cli['nit']} steps" in status
    assert f"{slope:.4g}·{t.feature_names[0]}" in status  # the slope back in the data's units
    assert "z=1" in page.js("() => location.hash")
    # a mean squared error is never negative: the loss curve stays on its log scale
    assert min(it["fun"]) >= 0 and "f (log scale)" in page.page.text_content("#loss")
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_box_changes_everything_together_and_says_so(open_page, tmp_path):
    page = open_page(explore("examples/houses.csv").save(tmp_path / "h.html"))
    d = _data(page.page.content())
    st0 = page.js("() => window.descendExplorer.state()")
    mark0 = page.page.text_content(".marklabel")
    assert "2/L = 2.92e-7" in mark0 and "sizeᵢ − priceᵢ" in page.page.text_content("#formula")
    assert "2/L = 1" in page.page.text_content("#standardise-note")  # what standardising would do
    page.page.check("#standardise")
    st = page.js("() => window.descendExplorer.state()")
    z = d["standardised"]
    assert st["view"] == [z["window"][0][0], z["window"][0][1], z["window"][1][0], z["window"][1][1]]
    assert st["view"] != st0["view"] and st["learning_rate"] == 0.1
    assert "2/L = 1" in page.page.text_content(".marklabel")
    assert "zᵢ = (sizeᵢ − mean)/std" in page.page.text_content("#formula")
    note = page.page.text_content("#standardise-note")
    assert "z = (size − 1800)/424.3" in note and "L = 2 and 2/L = 1" in note
    assert "L = 6.84e6" in note and "166.7·size" in note
    page.js("() => window.descendExplorer.select(1e9)")
    caption = page.page.text_content("#datacaption")
    assert "·z = " in caption and "166.7·size" in caption
    cartoon = page.page.text_content("#cartoon")
    assert "∂f/∂b = 2·b - 600000" in cartoon  # the z-loss's gradient, not the raw one
    # Newton on the z-loss: descend's own run, one step to the z-minimum
    page.page.select_option("#optimizer", "newton")
    it = page.js("() => window.descendExplorer.iterates()")
    np.testing.assert_allclose(it["x"], z["second"]["newton"]["x"], rtol=0, atol=0)
    np.testing.assert_allclose(it["x"][-1], z["minimum"], rtol=1e-12)
    page.page.select_option("#optimizer", "gd")
    # back to raw: its γ (1e-7), window, mark and formula return
    page.page.uncheck("#standardise")
    st1 = page.js("() => window.descendExplorer.state()")
    assert st1["view"] == st0["view"] and st1["learning_rate"] == st0["learning_rate"]
    assert page.page.text_content(".marklabel") == mark0
    assert "z=1" not in page.js("() => location.hash")
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_hash_round_trips_the_box(open_page, tmp_path):
    path = explore("examples/data.csv").save(tmp_path / "d.html")
    page = open_page(path)
    page.page.check("#standardise")
    page.page.fill("#lr-number", "0.5")
    page.page.press("#lr-number", "Enter")
    state = page.js("() => window.descendExplorer.state()")
    it = page.js("() => window.descendExplorer.iterates()")
    h = page.js("() => location.hash")
    assert "z=1" in h and "lr=0.5" in h
    other = open_page(path)
    other.page.goto(f"file://{path}{h}")
    other.page.wait_for_function("() => window.descendExplorer !== undefined")
    st2 = other.js("() => window.descendExplorer.state()")
    assert st2["standardised"] is True and st2["learning_rate"] == 0.5
    assert st2["start"] == state["start"]
    assert other.js("() => window.descendExplorer.iterates()")["x"] == it["x"]
    assert other.page.is_checked("#standardise")
    # a link without z= (every older link, the lessons') is in raw units
    other.js("() => { location.hash = 's=0,0&o=gd&lr=0.0001&n=200'; }")
    other.page.wait_for_function("() => !window.descendExplorer.state().standardised")
    st3 = other.js("() => window.descendExplorer.state()")
    assert st3["learning_rate"] == 0.0001 and not other.page.is_checked("#standardise")
    t = load_table("examples/data.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = descend.minimize(_line_loss(t.X[:, 0], t.y), [0.0, 0.0], learning_rate=1e-4,
                             max_iter=200)
    np.testing.assert_allclose(other.js("() => window.descendExplorer.iterates()")["x"],
                               r.history.x, rtol=1e-12, atol=1e-12)
    assert page.errors == [] and other.errors == []
