"""The race on the page: Newton and BFGS beside gradient descent (issue 25), the Newton step
card with the learner's numbers, and the fair race with its stated tuning rule (issue 23)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend.explorer import explore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
QUADRATIC = "x**2 + x*y + y**2 + 3*x"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("race")
    return {
        "himmelblau": explore(HIMMELBLAU, start=[3, 1]).save(d / "himmelblau.html"),
        "quadratic": explore(QUADRATIC, start=[5, 5]).save(d / "quadratic.html"),
        "rosenbrock": explore("(1 - x)**2 + 100*(y - x**2)**2", start=[-1.2, 1],
                              race=["gd", "newton", "bfgs"]).save(d / "rosenbrock.html"),
        "valley": explore("x**2 + 10*y**2", start=[3, 1],
                          race=["gd", "momentum", "adam"]).save(d / "valley.html"),
        "curve": explore("x**4 - 3*x**2 + x", start=[2]).save(d / "curve.html"),
    }


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


def _state(page):
    return page.js("() => window.descendExplorer.state()")


@pytest.mark.parametrize("key,formula,start", [
    ("himmelblau", HIMMELBLAU, [3, 1]),
    ("rosenbrock", "(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1]),
    ("curve", "x**4 - 3*x**2 + x", [2]),
])
@pytest.mark.parametrize("method", ["newton", "bfgs"])
def test_second_order_iterates_are_minimizes(open_page, pages, key, formula, start, method):
    page = open_page(pages[key])
    page.page.select_option("#optimizer", method)
    it = page.js("() => window.descendExplorer.iterates()")
    r = _quiet(descend.minimize, formula, start, method=method, max_iter=200)
    assert it["optimizer"] == method
    np.testing.assert_allclose(np.array(it["x"]), r.history.x, rtol=0, atol=1e-12)
    assert it["verdict"] == str(r.verdict)
    status = page.page.text_content("#status")
    assert f'method="{method}"' in status and f"and its verdict: {r.nfev} values of f" in status
    assert page.errors == []


def test_the_race_draws_newton_and_bfgs_beside_gd(open_page, pages):
    page = open_page(pages["rosenbrock"])
    runs = {r["name"]: r for r in _state(page)["runs"]}
    assert set(runs) == {"gd", "newton", "bfgs"}
    for m in ("newton", "bfgs"):
        r = _quiet(descend.minimize, "(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1], method=m, max_iter=200)
        np.testing.assert_allclose(np.array(runs[m]["x"]), r.history.x, rtol=0, atol=1e-12)
        assert runs[m]["verdict"] == str(r.verdict) == "converged"
    assert runs["gd"]["verdict"] != "converged"  # 200 steps of gd do not get down the banana
    legend = page.page.text_content("#legend")
    assert "newton: converged" in legend and "bfgs: converged" in legend
    # elsewhere the page does not pretend: the embedded paths are from the built start only
    px = page.js("() => window.descendExplorer.pixelOf([0.5, 0.5])")
    page.page.click("#map", position={"x": px[0], "y": px[1]})
    legend = page.page.text_content("#legend")
    assert "newton: descend's path is on this page from (−1.2, 1) only" in legend
    page.page.select_option("#optimizer", "newton")  # its card still solves the Newton step here
    card = page.page.text_content("#cartoon")
    assert card.startswith("The Newton step from here (descend's newton run is on this page from (−1.2, 1) only)")
    assert "H(a) = [[" in card and "descend stopped" not in card
    page.page.select_option("#optimizer", "gd")
    page.page.click("#reset")
    page.page.check("#race")
    assert "newton: converged" in page.page.text_content("#legend")
    assert page.errors == []


def test_the_newton_card_writes_out_the_hessian_solve(open_page, pages):
    page = open_page(pages["quadratic"])
    page.page.select_option("#optimizer", "newton")
    page.js("() => window.descendExplorer.select(0)")
    card = page.page.text_content("#cartoon")
    H = np.array([[2.0, 1.0], [1.0, 2.0]])
    g = np.array([2 * 5 + 5 + 3, 5 + 2 * 5])  # ∇f(5, 5) = (18, 15)
    p = np.linalg.solve(H, -g)
    assert "H(a) = [[2, 1], [1, 2]]" in card
    assert "∇f(a) = (18, 15)" in card
    assert "det H = 2·2 − 1·1 = 3" in card
    assert "H⁻¹ = (1/det H)·[[2, −1], [−1, 2]] = [[0.6667, −0.3333], [−0.3333, 0.6667]]" in card
    assert f"p = −H⁻¹∇f(a) = ({p[0]:g}, {p[1]:g})".replace("-", "−") in card
    assert "descend took the whole Newton step: b = a + p = (−2, 1)" in card
    assert "one Newton step lands on the minimum" in card
    # the solve itself, anywhere: equal to numpy's to rounding
    fun = descend.function(HIMMELBLAU)
    page2 = open_page(pages["himmelblau"])
    for x in ([3.0, 1.0], [-1.0, 2.5], [0.3, -0.7]):
        ns = page2.js("x => window.descendExplorer.newtonStep(x)", x)
        ref = np.linalg.solve(fun.hessian(np.array(x)), -fun.grad(np.array(x)))
        np.testing.assert_allclose(ns["p"], ref, rtol=1e-12, atol=1e-12)
    assert page.errors == [] and page2.errors == []


def _tuned_by_descend(formula, start, optimizer, grid, max_iter):
    """The fair race's rule, replayed with descend.minimize: fewest steps to converge (the
    smaller rate on a tie), else the lowest final loss of the runs that do not fail."""
    best = None
    for lr in grid:
        r = _quiet(descend.minimize, formula, start,
                   optimizer=descend.get_optimizer(optimizer, learning_rate=lr), max_iter=max_iter)
        verdict = str(r.verdict)
        if verdict in ("diverged", "unbounded_below", "oscillating") or not np.isfinite(r.fun):
            continue
        c = (lr, verdict == "converged", r.nit, float(r.fun))
        if best is None or (c[1] and (not best[1] or c[2] < best[2])) or (
                not c[1] and not best[1] and c[3] < best[3]):
            best = c
    return best[0] if best else None


def test_the_fair_race_tunes_each_rate_by_the_stated_rule(open_page, pages):
    page = open_page(pages["valley"])
    page.page.check("#race-fair")
    st = _state(page)
    assert st["fair"] and st["race"]
    grid = page.js("() => window.descendExplorer.rateGrid()")
    assert grid[0] >= 1e-5 and len(grid) >= 12
    status = page.page.text_content("#status")
    assert "Fair race, γ tuned per optimizer" in status and "fewest steps" in status
    assert not page.page.is_hidden("#fair-rule")
    for run in st["runs"]:
        want = _tuned_by_descend("x**2 + 10*y**2", [3, 1], run["name"], grid, 200)
        assert run["learning_rate"] == want, run["name"]
        assert f"{run['name']} (γ = " in page.page.text_content("#legend")
    rates = {r["name"]: r["learning_rate"] for r in st["runs"]}
    assert len(set(rates.values())) > 1  # each its own
    assert "fair=1" in page.page.url
    assert page.errors == []
