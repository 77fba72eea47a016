from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from descend.errors import InputError
from descend.loop.result import History, OptimizeResult, Status
from descend.report import frame_indices, minimize_report, sweep_report, write_html

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                        else None)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _result(lr: float, steps: int = 30) -> OptimizeResult:
    # gd on x**2 + x*y + y**2 from (3, 1), by hand: x <- x - lr * A x
    A = np.array([[2.0, 1.0], [1.0, 2.0]])
    xs = [np.array([3.0, 1.0])]
    for _ in range(steps):
        xs.append(xs[-1] - lr * A @ xs[-1])
    X = np.array(xs)
    f = np.einsum("ij,jk,ik->i", X, A / 2, X)
    return OptimizeResult(
        x=X[-1], fun=float(f[-1]), jac=A @ X[-1], nit=steps, nfev=steps + 1, njev=steps + 1,
        status=Status.MAX_ITER, message="budget spent",
        history=History(X, f, np.linalg.norm(X @ A, axis=1), np.full(steps, lr)),
        variables=("x", "y"), optimizer="gd", learning_rate=lr, elapsed=0.002,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from descend.expr import function

    f = function("x**2 + x*y + y**2")
    p = tmp_path_factory.mktemp("r") / "report.html"
    return minimize_report(p, f, [_result(0.1), _result(0.3)], {"expression": "x**2+x*y+y**2"})


def _payload(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script id="descend-data" type="application/json">(.*?)</script>', text, re.S)
    assert m
    return json.loads(m.group(1))


def test_self_contained_offline(report):
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)  # nothing fetched
    assert not re.search(r"<link[^>]+href=\"http", text)
    # no plotting library inside: the page draws on canvases with its own small script
    assert "Plotly" not in text and len(text) < 300_000


def test_payload_has_runs_paths_and_facts(report):
    d = _payload(report)
    assert [r["label"] for r in d["runs"]] == ["gd, lr = 0.1", "gd, lr = 0.3"]
    np.testing.assert_allclose(d["runs"][0]["path"], _result(0.1).history.x)
    assert "∂f/∂x = 2*x + y" in d["facts"]["gradient ∇f"]
    assert d["runs"][0]["facts"]["iterations"] == "30"
    assert d["surface"]["equal"] is True


def test_frames_are_sampled_keeping_ends():
    idx = frame_indices(10_001, 400)
    assert idx[0] == 0 and idx[-1] == 10_000 and len(idx) <= 400
    assert frame_indices(5) == [0, 1, 2, 3, 4]


def test_nonfinite_losses_become_null_and_bad_paths_error(tmp_path):
    p = write_html(tmp_path / "r.html", title="t",
                   runs=[{"label": "a", "loss": [1.0, np.inf, np.nan]}])
    assert _payload(p)["runs"][0]["loss"] == [1.0, None, None]
    with pytest.raises(InputError, match="unknown report format"):
        write_html(tmp_path / "r.txt", title="t", runs=[])
    with pytest.raises(InputError, match="does not exist"):
        write_html(tmp_path / "no" / "r.html", title="t", runs=[])


def test_sweep_report_marks_diverged_runs(tmp_path):
    from descend.data import load_table
    from descend.models import sweep_learning_rates

    X = np.array([1200, 1500, 1800, 2100, 2400.0])
    y = 166.67 * X
    t = load_table((X, y))
    s = sweep_learning_rates(t.X, t.y, [1e-8, 1e-7, 1e-4], max_iter=50, scale=False)
    assert list(s.diverged) == [False, False, True]
    p = sweep_report(tmp_path / "s.html", s, t)
    d = _payload(p)
    labels = [r["label"] for r in d["runs"]]
    assert labels[-1].endswith("(diverged)") and not labels[0].endswith("(diverged)")
    assert "stability limit 2/L" in d["facts"]


@pytest.mark.browser
def test_page_in_headless_chromium(report):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri())
            page.wait_for_function("document.body.dataset.ready === '1'", timeout=20_000)
            assert page.locator("#surface canvas").count() == 1
            assert page.locator("#loss canvas").count() == 1
            # the contour map is drawn: its canvas holds many distinct colours, not a blank
            colours = page.evaluate(
                "(() => { const c = document.querySelector('#surface canvas');"
                " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                " const s = new Set(); for (let i = 0; i < d.length; i += 4 * 97)"
                " s.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]); return s.size; })()")
            assert colours > 50

            def current_point():
                return page.evaluate(
                    "JSON.parse(document.getElementById('surface').dataset.current)")

            end = current_point()
            page.locator("#iter").fill("0")
            page.locator("#iter").dispatch_event("input")
            start = current_point()
            assert start == pytest.approx([3.0, 1.0]) and start != end
            assert page.evaluate("document.body.dataset.iteration") == "0"
            page.select_option("#run", "1")
            assert page.evaluate("document.body.dataset.iteration") == "30"
            assert errors == []
        finally:
            browser.close()


def test_sweep_report_does_not_call_a_rate_of_2_over_L_stable(tmp_path):
    from descend.data import load_table
    from descend.models import sweep_learning_rates

    X = np.array([1200, 1500, 1800, 2100, 2400.0])
    t = load_table((X, X * 500 / 3))
    s = sweep_learning_rates(t.X, t.y, [0.1, 1.0], max_iter=200, scale=True)
    assert s.stability_limit == pytest.approx(1.0)  # standardised: L = 2, so 2/L = 1
    d = _payload(sweep_report(tmp_path / "s.html", s, t))
    outcomes = [r["facts"]["outcome"] for r in d["runs"]]
    assert "stable" not in outcomes[1].split(":")[0] and "oscillating" in outcomes[1]
    assert d["runs"][1]["label"] == "lr = 1 (oscillating)"
    assert not outcomes[0].startswith("oscillating")


_NO_MATPLOTLIB = """
import sys
import warnings
warnings.simplefilter("ignore")  # the huber fit stops at max_iter: not what is tested here
import numpy as np
from descend.data import load_table
from descend.models import LinearRegression, sweep_learning_rates
from descend.report import fit_report, sweep_report

X = np.array([1200, 1500, 1800, 2100, 2400.0])
y = 166.67 * X + np.array([3.0, -2.0, 1.0, 0.5, -1.0])
t = load_table((X, y))
fit_report(sys.argv[1] + "/fit.html", LinearRegression().fit(t.X, t.y), t)
fit_report(sys.argv[1] + "/huber.html", LinearRegression(loss="huber").fit(t.X, t.y), t)
s = sweep_learning_rates(t.X, t.y, [1e-8, 1e-7, 1e-4], max_iter=50, scale=False)
sweep_report(sys.argv[1] + "/sweep.html", s, t)
print(sorted(m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")))
"""


def test_html_reports_import_no_matplotlib(tmp_path):
    """The fit and sweep reports are built without matplotlib (issue 20: pages are views of the
    engine's results; their levels and windows come from descend.geometry)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _NO_MATPLOTLIB, str(tmp_path)],
                         capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    for name in ("fit.html", "huber.html", "sweep.html"):
        assert (tmp_path / name).stat().st_size > 1000
