"""The lessons' stated answers against the engine and against closed forms; the pages and the
command line. (The walks through each lesson in Chromium are in test_lessons_browser.py.)

Each right answer a lesson embeds was computed by descend when the page was built; here it is
computed again, independently: by hand (derivatives, contraction factors, least squares, the
roots of f′) and by calling ``descend.minimize`` / ``descend.LinearRegression`` directly.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import descend
from descend.cli.app import main
from descend.explorer.lessons import LESSONS, build_index, build_lesson, lesson_named, questions_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def qs():
    return {ls.name: questions_of(ls) for ls in LESSONS}


def _min(f, start, lr, optimizer="gd", max_iter=200, variables=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.minimize(f, start, variables=variables, max_iter=max_iter,
                                optimizer=descend.get_optimizer(optimizer, learning_rate=lr))


def _chosen(q):
    return q["choices"][q["answer"]]


def test_ten_lessons_with_their_names():
    assert [ls.name for ls in LESSONS] == ["tangent", "step", "bowl", "zigzag", "too-fast",
                                           "houses", "saddle", "local-minimum", "momentum", "adam"]
    assert lesson_named("saddle").target == "x**2 - y**2"


def test_every_reveal_run_is_the_engines(qs):
    """The (verdict, steps) each reveal quotes for its map run is descend.minimize's."""
    for ls in LESSONS:
        for q in qs[ls.name]:
            s, e = q["state"], q["engine"]
            f = ls.target if ls.target != "houses" else _houses_formula(s["scaled"])
            r = _min(f, s["start"], s["learning_rate"], s["optimizer"], s["max_iter"],
                     variables=("b", "m") if ls.target == "houses" else None)
            assert (str(r.verdict), r.nit) == (e["verdict"], e["nit"]), (ls.name, q["prompt"])
            assert q["kind"] == "number" or 0 <= q["answer"] < len(q["choices"])


def _houses_formula(scaled=False):
    """The houses' mean squared error over (b, m); scaled: on z = (size − mean)/std."""
    rows = np.loadtxt(EXAMPLES / "houses.csv", delimiter=",", skiprows=1)
    x = (rows[:, 0] - rows[:, 0].mean()) / rows[:, 0].std() if scaled else rows[:, 0]
    terms = [f"(b + {float(xi)!r}*m - {y:g})**2" for xi, y in zip(x, rows[:, 1], strict=True)]
    return "(" + " + ".join(terms) + f")/{len(rows)}"


def test_tangent(qs):
    slope, step = qs["tangent"]
    assert slope["answer"] == 2 * 3 == descend.gradient_at("x**2", [3]).value[0]
    assert _chosen(step) == "x = 2.4"
    assert _min("x**2", [3], 0.1, max_iter=1).x[0] == pytest.approx(3 - 0.1 * 6, abs=1e-15)


def test_step(qs):
    grad, step = qs["step"]
    assert _chosen(grad) == "(7, 5)"  # (2x + y, x + 2y) at (3, 1)
    assert _chosen(step) == "(2.3, 0.5)"
    np.testing.assert_allclose(_min("x**2 + x*y + y**2", [3, 1], 0.1, max_iter=1).x,
                               [3 - 0.1 * 7, 1 - 0.1 * 5], atol=1e-15)


def test_bowl(qs):
    way, steps, jump = qs["bowl"]
    assert _chosen(way) == "straight away from the bottom: uphill"  # (6, 2) = 2·((3, 1) − 0)
    # |∇f_k| = 0.8^k · 2|(3, 1)|: the first k with that at most 1e-6
    k = math.ceil(math.log(1e-6 / (2 * math.sqrt(10))) / math.log(0.8))
    assert k == _min("x**2 + y**2", [3, 1], 0.1).nit == 71
    assert _chosen(steps) == "51–200 steps"
    assert _chosen(jump) == "1 step" and _min("x**2 + y**2", [3, 1], 0.5).nit == 1


def test_zigzag(qs):
    shape, speed = qs["zigzag"]
    r = _min("x**2 + x*y + y**2", [3, 1], 0.6)
    across = r.history.x[:11] @ np.array([1.0, 1.0])
    # along (1, 1) (eigenvalue 3) each step multiplies by 1 − 0.6·3 = −0.8: the sign flips
    np.testing.assert_allclose(across[1:], -0.8 * across[:-1], rtol=1e-12)
    assert str(r.verdict) == "converged" and _chosen(shape).startswith("zig-zags across")
    assert r.nit < _min("x**2 + x*y + y**2", [3, 1], 0.1).nit and _chosen(speed).startswith("faster")


def test_too_fast(qs):
    what, when = qs["too-fast"]
    r = _min("x**2 + x*y + y**2", [3, 1], 0.7)
    assert 0.7 > 2 / 3 and str(r.verdict) == "diverged" and "diverges" in _chosen(what)
    assert 51 <= r.nit <= 500 and _chosen(when) == "51–500 steps"
    # the loss grows by (1 − 3γ)² = 1.21 a step: 10¹² × f(3, 1) = 13 near step log(1e12)/log(1.21)
    assert abs(r.nit - math.log(1e12) / math.log(1.21)) < 5


def test_houses(qs):
    raw_q, std_q = qs["houses"]
    X, y = np.loadtxt(EXAMPLES / "houses.csv", delimiter=",", skiprows=1).T
    H = 2 * np.array([[1, X.mean()], [X.mean(), (X * X).mean()]])
    limit = 2 / np.linalg.eigvalsh(H)[-1]
    assert 1e-4 > 300 * limit  # tutorial 001's rate is hundreds of times the stable limit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = descend.LinearRegression(learning_rate=1e-4, scale=False).fit(X[:, None], y)
        std = descend.LinearRegression(learning_rate=0.1, scale=True).fit(X[:, None], y)
    assert raw.stability_limit_ == pytest.approx(limit, rel=1e-9)
    assert str(raw.verdict_) == "diverged" and "diverges" in _chosen(raw_q)
    b, m = np.linalg.lstsq(np.column_stack([np.ones_like(X), X]), y, rcond=None)[0]
    assert m == pytest.approx(500 / 3) and str(std.verdict_) == "converged"
    assert std.coef_[0] == pytest.approx(m, rel=1e-9)
    assert _chosen(std_q) == "$166.67 per square foot, base price $0"
    assert "342×" in raw_q["reveal"] and f"{1e-4 / limit:.3g}" == "342"
    # the second reveal opens the run it asked about: standardised, γ = 0.1, from (0, 0) on z,
    # checked against the fit engine's standardised run with the page's stopping rules
    assert std_q["state"] == {**std_q["state"], "start": [0.0, 0.0], "learning_rate": 0.1,
                              "scaled": True}
    assert raw_q["state"]["scaled"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        page_rules = descend.LinearRegression(learning_rate=0.1, optimizer="gd", tol=1e-10,
                                              n_iter_no_change=100, gtol=1e-6,
                                              max_iter=200).fit(X[:, None], y)
    assert std_q["engine"] == {"verdict": str(page_rules.verdict_), "nit": page_rules.n_iter_}


def test_houses_rows_are_the_examples(qs):
    from importlib import resources

    packaged = resources.files("descend.explorer").joinpath("houses.csv").read_text()
    assert packaged == (EXAMPLES / "houses.csv").read_text()
    page = build_lesson("houses")
    assert page.data["regression"]["source"] == "houses.csv"  # not the install path
    assert "descend/explorer" not in page.html and page.data["regression"]["rows"] == 5


def test_saddle(qs):
    on, off = qs["saddle"]
    assert str(_min("x**2 - y**2", [3, 0], 0.1).verdict) == "not_a_minimum"
    assert "saddle" in _chosen(on)
    r = _min("x**2 - y**2", [3, 0.01], 0.1)
    assert str(r.verdict) == "unbounded_below" and "without bound" in _chosen(off)
    assert r.x[1] == pytest.approx(0.01 * 1.2**r.nit, rel=1e-9)  # y grows by 1 + 2γ a step


def test_local_minimum(qs):
    where, called = qs["local-minimum"]
    roots = np.sort(np.roots([4, 0, -6, 1]).real)  # f′(x) = 4x³ − 6x + 1
    r = _min("x**4 - 3*x**2 + x", [2], 0.01)
    assert r.x[0] == pytest.approx(roots[2], abs=1e-6)  # the right, shallower valley
    f = np.poly1d([1, 0, -3, 1, 0])
    assert f(roots[0]) < f(roots[2])  # the left one is deeper
    assert _chosen(where).startswith("in the nearer valley")
    assert str(r.verdict) == "converged" and _chosen(called).startswith("yes")
    # both predictions are about the run from x = 2, so both reveals open the map on it and
    # check the page's run against that run (the second reveal opened x = −2's before)
    for q in (where, called):
        assert q["state"]["start"] == [2.0]
        assert q["engine"] == {"verdict": "converged", "nit": int(r.nit)}


def test_momentum(qs):
    gd_q, hb_q = qs["momentum"]
    gd = _min("x**2/20 + y**2", [3, 1], 0.1, max_iter=2000)
    hb = _min("x**2/20 + y**2", [3, 1], 0.1, "momentum", max_iter=2000)
    # along x gd keeps 1 − 0.1·0.1 = 0.99 a step: |∇f| = 0.1·3·0.99^k under 1e-6 near k = 1255
    assert abs(gd.nit - math.log(1e-6 / 0.3) / math.log(0.99)) < 3
    assert _chosen(gd_q) == "501–2000 steps"
    assert hb.nit < gd.nit / 4 and _chosen(hb_q) == "under a quarter of gd's"


def test_adam(qs):
    first, settle = qs["adam"]
    g = np.array([6.0, 200.0])  # ∇(x² + 100y²) at (3, 1)
    one = _min("x**2 + 100*y**2", [3, 1], 0.1, "adam", max_iter=1)
    # step 1: m̂ = g, v̂ = g², so the step is γ·g/(|g| + ε), 0.1 in each coordinate
    np.testing.assert_allclose(np.array([3.0, 1.0]) - one.x, 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert _chosen(first) == "both by about 0.1"
    full = _min("x**2 + 100*y**2", [3, 1], 0.1, "adam")
    assert str(full.verdict) == "budget_spent" and _chosen(settle).startswith("no")


# ------------------------------------------------------------------------------ the pages
@pytest.fixture(scope="module")
def saddle_page():
    return build_lesson("saddle", linked=True)


def test_a_lesson_page_is_one_offline_file(saddle_page):
    text = saddle_page.html
    assert len(text.encode()) < 150_000
    assert "connect-src 'none'" in text and "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text and not re.search(r"<(script|link|img)[^>]+(src|href)=", text)
    assert text.count('id="descend-lesson"') == 1 and text.count('id="descend-data"') == 1
    assert "<title>Lesson 7: A saddle — descend</title>" in text
    lesson = saddle_page.data["lesson"]
    assert lesson["nav"]["prev"]["href"] == "lesson-houses.html"
    assert lesson["nav"]["next"]["href"] == "lesson-local-minimum.html"


def test_the_index_links_every_lesson():
    text = build_index()
    hrefs = re.findall(r'href="([^"]+)"', text)
    assert hrefs == [f"lesson-{ls.name}.html" for ls in LESSONS]
    assert "connect-src 'none'" in text and "<script" not in text


# ------------------------------------------------------------------------- the command line
def test_cli_writes_one_lesson(tmp_path, capsys):
    out = tmp_path / "bowl.html"
    assert main(["explore", "--lesson", "bowl", "--html", str(out)]) == 0
    said = capsys.readouterr().out
    assert "lesson 3 of 10, The bowl, 3 predictions" in said and "works offline" in said
    text = out.read_text(encoding="utf-8")
    assert 'id="descend-lesson"' in text and len(text.encode()) < 150_000


def test_cli_lists_and_writes_all_lessons(tmp_path, capsys):
    assert main(["explore", "--lessons"]) == 0
    listing = capsys.readouterr().out
    assert all(f" {ls.name} " in listing for ls in LESSONS)
    assert main(["explore", "--lessons", "--html", str(tmp_path / "index.html")]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["index.html"] + [f"lesson-{ls.name}.html" for ls in LESSONS])
    assert all(p.stat().st_size < 150_000 for p in tmp_path.iterdir())


@pytest.mark.parametrize("args, words", [
    (["--lesson", "sadle", "--html", "p.html"], "no lesson named 'sadle'; choose one of"),
    (["--lesson", "saddle"], "--lesson saddle needs --html"),
    (["x**2", "--lesson", "saddle", "--html", "p.html"], "leave out TARGET"),
    (["--lesson", "saddle", "--html", "p.png"], "ending in .html"),
    (["--lessons", "--html", "nowhere/index.html"], "does not exist"),
    (["--lesson", "bowl", "--html", "p.html", "--lr", "0.3"], "--lr does not apply to a lesson"),
    (["--lessons", "--race", "gd,adam"], "--race does not apply to a lesson"),
    ([], "explore needs TARGET"),
    (["x**2"], "explore needs --html"),
])
def test_cli_bad_lesson_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    assert main(["explore", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("descend: error:") and words in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_cli_never_replaces_a_lesson_without_force(tmp_path, capsys):
    out = tmp_path / "s.html"
    out.write_text("mine")
    assert main(["explore", "--lesson", "saddle", "--html", str(out)]) == 2
    assert out.read_text() == "mine"
    (tmp_path / "index.html").write_text("mine too")
    assert main(["explore", "--lessons", "--html", str(tmp_path / "index.html")]) == 2
    assert (tmp_path / "index.html").read_text() == "mine too"
    assert not (tmp_path / "lesson-bowl.html").exists()  # planned first: nothing written


def test_lessons_are_a_light_command(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from descend.cli.app import main; "
            f"rc = main(['explore', '--lessons', '--html', {str(tmp_path / 'index.html')!r}]); "
            "print(rc, sorted(m for m in ('matplotlib', 'plotly', 'sklearn', 'numba', 'dask', "
            "'polars', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
