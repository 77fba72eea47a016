"""The explorer page in headless Chromium: its descents equal descend.minimize's, and it is
operable by mouse and keyboard without a console error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend.explorer import explore

pytestmark = pytest.mark.browser

VALLEY = "x**2 + x*y + y**2"
CURVED = "(1 - x)**2 + 10*(y - x**2)**2 + sin(x)"

# (optimizer, its keyword arguments for descend, the page's hyper-parameter names)
OPTIMIZERS = [
    ("gd", {}, {}),
    ("momentum", {"momentum": 0.8}, {"momentum": 0.8}),
    ("nesterov", {"momentum": 0.7}, {"momentum": 0.7}),
    ("adagrad", {}, {}),
    ("rmsprop", {"alpha": 0.95}, {"alpha": 0.95}),
    ("adam", {"b1": 0.85, "b2": 0.99}, {"b1": 0.85, "b2": 0.99}),
    ("adamw", {"b1": 0.9, "b2": 0.999, "weight_decay": 0.05}, {"weight_decay": 0.05}),
]


def _minimize(formula, start, name, lr, kwargs, max_iter):
    opt = descend.get_optimizer(name, learning_rate=lr, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.minimize(formula, start, optimizer=opt, max_iter=max_iter)


def _assert_same_run(page_run, r):
    xs = np.array(page_run["x"])
    assert xs.shape == r.history.x.shape, (page_run["status"], str(r.status))
    np.testing.assert_allclose(xs, r.history.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(page_run["fun"], r.history.fun, rtol=1e-12, atol=1e-12)
    assert page_run["status"] == str(r.status)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("explorer")
    return {
        "valley": explore(VALLEY, start=[3, 1], learning_rate=0.1).save(d / "valley.html"),
        "curved": explore(CURVED, start=[-1, 1], learning_rate=0.01).save(d / "curved.html"),
        "one": explore("x**2", start=[3]).save(d / "one.html"),
        "houses": explore("examples/houses.csv", learning_rate=1e-4).save(d / "houses.html"),
    }


@pytest.mark.parametrize("name, kwargs, hyper", OPTIMIZERS)
@pytest.mark.parametrize("formula, page_key, start, lr, max_iter", [
    (VALLEY, "valley", [3.0, 1.0], 0.1, 400),
    (CURVED, "curved", [-1.0, 1.0], 0.01, 150),
])
def test_page_iterates_equal_descend_minimize(open_page, pages, formula, page_key, start, lr,
                                              max_iter, name, kwargs, hyper):
    page = open_page(pages[page_key])
    run = page.js("o => window.descendExplorer.run(o)", {
        "start": start, "optimizer": name, "learning_rate": lr, "hyper": hyper,
        "max_iter": max_iter})
    _assert_same_run(run, _minimize(formula, start, name, lr, kwargs, max_iter))
    assert run["nit"] >= 20
    assert page.errors == []


def test_divergence_matches_and_is_explained(open_page, pages):
    page = open_page(pages["valley"])
    run = page.js("() => window.descendExplorer.run({start: [3, 1], optimizer: 'gd', "
                  "learning_rate: 0.8, max_iter: 500})")
    r = _minimize(VALLEY, [3, 1], "gd", 0.8, {}, 500)
    _assert_same_run(run, r)
    assert run["status"] == "diverged"
    # the learner types 0.8 (> 2/L = 2/3) into the exact box: the page says why, in numbers
    page.page.fill("#lr-number", "0.8")
    page.page.press("#lr-number", "Enter")
    status = page.page.text_content("#status")
    assert "diverged" in status and "2/L = 0.6667" in status
    assert "1.2× the stability limit" in status  # 0.8 / (2/3)
    assert "|1 − γλ| = 1.4" in status  # |1 - 0.8*3|
    assert page.errors == []


def test_click_starts_a_descent_there(open_page, pages):
    page = open_page(pages["valley"])
    px = page.js("() => window.descendExplorer.pixelOf([0.5, 2])")
    page.page.click("#map", position={"x": px[0], "y": px[1]})
    state = page.js("() => window.descendExplorer.state()")
    assert state["start"] == pytest.approx([0.5, 2], abs=0.05)  # within a pixel or two
    it = page.js("() => window.descendExplorer.iterates()")
    _assert_same_run(it, _minimize(VALLEY, state["start"], "gd", 0.1, {}, 200))
    assert page.errors == []


def test_the_step_cartoon_uses_the_learners_numbers(open_page, pages):
    page = open_page(pages["valley"])
    text = page.page.text_content("#cartoon")
    assert "∂f/∂x = 2·x + y = 7 at (3, 1)" in text
    assert "∂f/∂y = x + 2·y = 5 at (3, 1)" in text
    assert "b = a − γ∇f(a) = (3, 1) − 0.1·(7, 5) = (2.3, 0.5)" in text
    page.page.click("#next")
    assert "a = x₁ = (2.3, 0.5)" in page.page.text_content("#cartoon")
    # momentum: the velocity line appears, with the previous velocity from step 1
    page.page.select_option("#optimizer", "momentum")  # the selected step (1) stays
    text = page.page.text_content("#cartoon")
    assert "v = μ·v + ∇f(a) = 0.9·(7, 5) + " in text
    assert page.errors == []


def test_hessian_panel_and_eigen_directions(open_page, pages):
    page = open_page(pages["valley"])
    h = page.js("() => window.descendExplorer.hessian([3, 1])")
    assert h["eigenvalues"] == pytest.approx([3, 1], rel=1e-15)
    v = np.array(h["vectors"][0])
    assert abs(v @ np.array([1, 1]) / np.sqrt(2)) == pytest.approx(1, rel=1e-12)
    text = page.page.text_content("#hessian")
    assert "condition number κ = λ₁/λ₂ = 3" in text and "2/λ₁ = 0.6667" in text
    curved = open_page(pages["curved"])
    H = descend.function(CURVED).hessian(np.array([-1.0, 1.0]))
    got = curved.js("() => window.descendExplorer.hessian([-1, 1])")
    np.testing.assert_allclose(got["eigenvalues"], np.linalg.eigvalsh(H)[::-1], rtol=1e-12)


def test_keyboard_moves_the_cursor_and_starts(open_page, pages):
    page = open_page(pages["valley"])
    page.page.focus("#map")
    for _ in range(4):
        page.page.keyboard.press("ArrowLeft")
    page.page.keyboard.press("ArrowUp")
    cursor = page.js("() => window.descendExplorer.state().cursor")
    page.page.keyboard.press("Enter")
    state = page.js("() => window.descendExplorer.state()")
    assert state["start"] == cursor and cursor[0] < 3 and cursor[1] > 1
    page.page.keyboard.press("]")
    page.page.keyboard.press("]")
    assert page.js("() => window.descendExplorer.state().selected") == 2
    assert page.page.get_attribute("#iterates tbody tr:nth-child(3)", "class") == "hl"
    # the learning-rate slider answers the arrow keys and reruns the descent
    lr0 = page.js("() => window.descendExplorer.state().learning_rate")
    page.page.focus("#lr")
    for _ in range(30):
        page.page.keyboard.press("ArrowRight")
    lr1 = page.js("() => window.descendExplorer.state().learning_rate")
    assert lr1 > lr0
    it = page.js("() => window.descendExplorer.iterates()")
    assert it["learning_rate"] == lr1
    _assert_same_run(it, _minimize(VALLEY, state["start"], "gd", lr1, {}, 200))
    assert page.errors == []


def test_hovering_the_loss_curve_selects_that_step(open_page, pages):
    page = open_page(pages["valley"])
    loss = page.page.locator("#loss")
    box = loss.bounding_box()
    loss.hover(position={"x": box["width"] * 0.5, "y": box["height"] / 2})
    k = page.js("() => window.descendExplorer.state().selected")
    assert k > 5
    assert f"Step {k} → {k + 1}" in page.page.text_content("#cartoon")


def test_race_runs_several_optimizers_from_one_start(open_page, pages):
    page = open_page(pages["valley"])
    page.page.check("#race")
    assert page.js("() => window.descendExplorer.iterates().races") == 3  # gd, momentum, adam
    legend = page.page.text_content("#legend")
    assert "gd:" in legend and "momentum:" in legend and "adam:" in legend
    page.page.check("#race-nesterov")
    assert page.js("() => window.descendExplorer.iterates().races") == 4
    assert page.errors == []


def test_one_variable_page(open_page, pages):
    page = open_page(pages["one"])
    run = page.js("() => window.descendExplorer.run({start: [3], optimizer: 'momentum', "
                  "learning_rate: 0.05, max_iter: 300})")
    _assert_same_run(run, _minimize("x**2", [3.0], "momentum", 0.05, {}, 300))
    assert "∂f/∂x = 2·x = 6 at 3" in page.page.text_content("#cartoon")
    page.page.focus("#map")
    page.page.keyboard.press("ArrowLeft")
    page.page.keyboard.press("Enter")
    assert page.js("() => window.descendExplorer.state().start")[0] < 3
    assert page.errors == []


def test_regression_page_teaches_the_tutorial_lesson(open_page, pages):
    page = open_page(pages["houses"])
    status = page.page.text_content("#status")
    assert "diverged" in status and "342× the stability limit 2/L = 2.924e-7" in status
    x = [1200, 1500, 1800, 2100, 2400]
    y = [200000, 250000, 300000, 350000, 400000]
    f = descend.SymbolicFunction(
        "(" + " + ".join(f"(b + {a}*m - {c})**2" for a, c in zip(x, y, strict=True)) + ")/5",
        ("b", "m"))
    it = page.js("() => window.descendExplorer.iterates()")
    _assert_same_run(it, _minimize(f, [0, 0], "gd", 1e-4, {}, 200))
    # below 2/L it converges towards the least-squares line: slope 500/3 dollars per sq ft
    run = page.js("() => window.descendExplorer.run({start: [0, 0], optimizer: 'gd', "
                  "learning_rate: 2.9e-7, max_iter: 400})")
    assert run["status"] != "diverged" and run["x"][-1][1] == pytest.approx(500 / 3, rel=1e-2)
    assert "line is" in page.page.text_content("#datacaption")
    assert page.errors == []


def test_hostile_text_shows_as_text_and_runs_nothing(open_page, tmp_path):
    text = "x**2 + y**2 # </script><script>alert(1)</script><img src=x onerror=alert(2)>"
    path = explore(text).save(tmp_path / "hostile.html")
    page = open_page(path)
    assert page.dialogs == []
    assert page.js("() => document.querySelectorAll('script').length") == 3
    assert page.js("() => document.querySelectorAll('img').length") == 0
    assert page.page.title().startswith("Explore f = x**2 + y**2")
    assert page.errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_fit_the_window(open_page, pages, width, tmp_path):
    for key in ("valley", "houses"):
        page = open_page(pages[key], width=width)
        page.page.wait_for_timeout(300)
        overflow = page.js("() => document.documentElement.scrollWidth - "
                           "document.documentElement.clientWidth")
        assert overflow <= 0
        page.page.screenshot(path=str(tmp_path / f"{key}_{width}.png"), full_page=True)
        assert page.errors == []


def test_the_jupyter_display_runs_the_page_in_its_iframe(browser, tmp_path):
    shown = explore(VALLEY, learning_rate=0.1)._repr_html_()
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><html><body><h1>a notebook cell</h1>{shown}</body></html>",
                    encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(host.as_uri())
        frame = page.frame_locator("iframe")
        assert "∂f/∂x = 2·x + y = 7 at (3, 1)" in frame.locator("#cartoon").text_content()
        it = page.frames[1].evaluate("() => window.descendExplorer.iterates()")
        _assert_same_run(it, _minimize(VALLEY, [3.0, 1.0], "gd", 0.1, {}, 200))
        # the sandbox keeps the page away from the notebook: no same-origin access
        assert page.evaluate("() => { try { return !!document.querySelector('iframe')"
                             ".contentWindow.document; } catch (e) { return false; } }") is False
        assert errors == []
    finally:
        page.close()


def test_a_long_run_keeps_the_table_short(open_page, pages):
    page = open_page(pages["valley"])
    page.page.fill("#lr-number", "0.001")
    page.page.press("#lr-number", "Enter")
    page.page.fill("#max-iter", "3000")
    page.page.press("#max-iter", "Enter")
    it = page.js("() => window.descendExplorer.iterates()")
    assert len(it["x"]) == 3001 and it["status"] == "max_iter"
    rows = page.page.locator("#iterates tbody tr")
    assert rows.count() == 501  # 400 first, a gap row, 100 last
    assert "left out" in rows.nth(400).text_content()
    page.page.focus("#map")
    page.page.keyboard.press("End")
    assert page.page.get_attribute("#iterates tbody tr:last-child", "class") == "hl"
    assert page.errors == []


@pytest.mark.parametrize("formula, start, lr, max_iter", [
    ("x**2 - y**2", [1.0, 0.5], 0.1, 400),            # a saddle: falls without bound
    ("abs(x) + 2*abs(y) + x*y/4", [2.0, -1.5], 0.05, 300),  # kinks: sign() in the gradient
    ("log(1 + x**2 + y**2) + exp(x/3) * sin(y)", [1.5, 2.0], 0.3, 300),
    ("sqrt(1 + x**2) + atan(y)**2 + tanh(x*y)", [2.0, 1.0], 0.4, 300),
    ("x**2 + y**2 + 1", [3.0, 1.0], 1.0, 300),  # gd at exactly 2/L: flat, the tol rule stops
])
@pytest.mark.parametrize("name", ["gd", "nesterov", "adam"])
def test_unusual_functions_match_too(open_page, tmp_path, formula, start, lr, max_iter, name):
    page = open_page(explore(formula, start=start).save(tmp_path / "f.html"))
    run = page.js("o => window.descendExplorer.run(o)", {
        "start": start, "optimizer": name, "learning_rate": lr, "max_iter": max_iter})
    _assert_same_run(run, _minimize(formula, start, name, lr, {}, max_iter))
    assert page.errors == []
    if formula == "x**2 + y**2 + 1" and name == "gd":  # the sliding window of the tol rule
        assert run["status"] == "no_progress" and len(run["x"]) == 101
    if formula.startswith("x**2 - y**2") and name == "gd":
        assert run["unbounded"]
        page.page.fill("#lr-number", str(lr))
        page.page.press("#lr-number", "Enter")
        assert "unbounded below" in page.page.text_content("#status")
