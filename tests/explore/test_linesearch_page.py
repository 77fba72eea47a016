"""Issue 23: descend's line search (``learning_rate="armijo"``) on the explorer page.

The page computes the backtracking steps in JavaScript with the engine's rules
(``descend.loop._linesearch``); its iterates, step sizes and verdict are checked against
``descend.minimize(..., learning_rate="armijo")`` run here, and the CLI's ``--lr armijo``.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

import descend
from descend.cli.app import main
from descend.explorer import explore

BOWL = "x**2 + 10*y**2"
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
SADDLE = "x**2 - y**2"
CASES = [(BOWL, [3.0, 1.0]), (ROSENBROCK, [-1.2, 1.0]), (HIMMELBLAU, [-1.0, -1.0]),
         (SADDLE, [3.0, 0.0]), ("x**4 - 3*x**2 + x", [2.0])]
MAX_ITER = 500
WORD = {"converged": "converged in", "not_a_minimum": "not a minimum"}


def _armijo(f, start):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.minimize(f, start, learning_rate="armijo", max_iter=MAX_ITER)


def _data(html):
    m = re.search(r'<script type="application/json" id="descend-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(("f", "start"), CASES, ids=["bowl", "rosenbrock", "himmelblau", "saddle",
                                                     "quartic"])
def test_page_line_search_equals_minimize(open_page, tmp_path, f, start):
    r = _armijo(f, start)
    assert r.learning_rate == "armijo"
    path = explore(f, start=start, learning_rate="armijo", max_iter=MAX_ITER).save(
        tmp_path / "p.html")
    page = open_page(path)
    assert page.js("() => window.descendExplorer.state().line_search") is True
    it = page.js("() => window.descendExplorer.iterates()")
    assert it["learning_rate"] == "armijo"
    xs = np.array(it["x"])
    assert xs.shape == r.history.x.shape, (xs.shape, r.history.x.shape, r.message)
    np.testing.assert_allclose(xs, r.history.x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(it["rates"], r.history.learning_rate, rtol=1e-12, atol=0)
    assert it["verdict"] == str(r.verdict), r.message
    status = page.page.locator("#status").inner_text()
    assert WORD[str(r.verdict)] in status, status
    assert "line search" in status
    # the step card shows the accepted step t of the selected step
    page.js("() => window.descendExplorer.select(0)")
    card = page.page.locator("#cartoon").inner_text()
    t0 = float(f"{r.history.learning_rate[0]:.4g}")
    assert 1e-4 <= t0 < 1e6  # the page writes these plainly, 4 significant digits
    assert f"t = {repr(t0).removesuffix('.0')}" in card, card
    assert not page.errors, page.errors


@pytest.mark.browser
@pytest.mark.slow
def test_the_checkbox_and_the_hash_switch_the_line_search(open_page, tmp_path):
    path = explore(ROSENBROCK, start=[-1.2, 1.0], learning_rate=0.001, max_iter=MAX_ITER).save(
        tmp_path / "r.html")
    page = open_page(path)
    assert page.js("() => window.descendExplorer.iterates().learning_rate") == 0.001
    page.page.locator("#lr-armijo").check()
    it = page.js("() => window.descendExplorer.iterates()")
    r = _armijo(ROSENBROCK, [-1.2, 1.0])
    np.testing.assert_allclose(np.array(it["x"]), r.history.x, rtol=0, atol=1e-12)
    assert it["verdict"] == str(r.verdict) == "converged"
    assert "lr=armijo" in page.js("() => location.hash")
    # a link with lr=armijo opens with it; a numeric lr (as the lessons write) turns it off
    page.js("() => { location.hash = 's=-1.2,1&o=gd&lr=0.001&n=500'; }")
    page.page.wait_for_function("() => window.descendExplorer.state().line_search === false")
    assert page.js("() => window.descendExplorer.iterates().learning_rate") == 0.001
    page.js("() => { location.hash = 's=-1.2,1&o=gd&lr=armijo&n=500'; }")
    page.page.wait_for_function("() => window.descendExplorer.state().line_search === true")
    assert page.page.locator("#lr-armijo").is_checked()
    # the line search is gradient descent's: momentum keeps the slider's γ
    page.page.select_option("#optimizer", "momentum")
    assert page.js("() => window.descendExplorer.iterates().learning_rate") == 0.001
    assert not page.errors, page.errors


def test_cli_lr_armijo_presets_the_line_search(tmp_path, capsys):
    out = tmp_path / "a.html"
    assert main(["explore", BOWL, "--lr", "armijo", "--html", str(out)]) == 0
    data = _data(out.read_text(encoding="utf-8"))
    assert data["line_search"] is True and data["optimizer"] == "gd"
    assert data["learning_rate"] > 0  # the slider keeps a number
    out2 = tmp_path / "b.html"
    assert main(["explore", BOWL, "--lr", "0.05", "--html", str(out2)]) == 0
    d2 = _data(out2.read_text(encoding="utf-8"))
    assert d2["line_search"] is False and d2["learning_rate"] == 0.05


@pytest.mark.parametrize(("args", "words"), [
    (["--lr", "fast"], "--lr fast: give a positive number"),
    (["--lr", "-1"], "--lr -1: give a positive number"),
    (["--lr", "armijo", "--optimizer", "adam"], "line search; use it with --optimizer 'gd', not 'adam'"),
])
def test_cli_bad_lr_is_one_line(tmp_path, capsys, args, words):
    code = main(["explore", BOWL, "--html", str(tmp_path / "x.html"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert words in err and "\n" not in err and "Traceback" not in err, err
    assert not (tmp_path / "x.html").exists()
