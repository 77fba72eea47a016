"""Issue 23's classroom features, driven in headless Chromium: zoom and pan, the colour bar,
dragging the start, play/pause/speed, PNG and SVG export, the projector layout, labels that do
not overlap. Each checks the page against an independent computation (numpy, descend)."""

from __future__ import annotations

import struct
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import descend
from descend.explorer import explore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("classroom")
    return {
        "himmelblau": explore(HIMMELBLAU, start=[3, 1]).save(d / "himmelblau.html"),
        "valley": explore("x**2 + 10*y**2", start=[3, 1], learning_rate=0.01,
                          max_iter=300).save(d / "valley.html"),
        "momentum": explore("x**2 + x*y + y**2", start=[3, 1], optimizer="momentum").save(
            d / "momentum.html"),
        "curve": explore("x*sin(x)", start=[1]).save(d / "curve.html"),
    }


def _grid_quantiles(formula, view, G=120):
    """The colour bar's ticks, independently: quantiles u² of f on the page's (G+1)² grid."""
    fun = descend.function(formula)
    xs = np.linspace(view[0], view[1], G + 1)
    ys = np.linspace(view[2], view[3], G + 1)
    X, Y = np.meshgrid(xs, ys)
    z = np.array([fun.value(np.array([a, b])) for a, b in zip(X.ravel(), Y.ravel(), strict=True)])
    z = np.sort(z[np.isfinite(z)])
    return [z[min(len(z) - 1, int(np.floor(u * u * (len(z) - 1))))] for u in (0, 0.25, 0.5, 0.75, 1)]


def _state(page):
    return page.js("() => window.descendExplorer.state()")


def _minimize_gd(f, start, lr, max_iter=200, optimizer="gd"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.minimize(f, start, optimizer=descend.get_optimizer(optimizer, learning_rate=lr),
                                max_iter=max_iter)


def test_zoom_pan_and_reset_recompute_the_grid_and_colour_bar(open_page, pages):
    page = open_page(pages["himmelblau"])
    v0 = _state(page)["view"]
    np.testing.assert_allclose(_state(page)["colorbar"], _grid_quantiles(HIMMELBLAU, v0), rtol=1e-9)
    page.page.click("#zoom-in")
    v1 = _state(page)["view"]
    cx, cy = (v0[0] + v0[1]) / 2, (v0[2] + v0[3]) / 2
    np.testing.assert_allclose(v1, [cx + (v0[0] - cx) * 0.8, cx + (v0[1] - cx) * 0.8,
                                    cy + (v0[2] - cy) * 0.8, cy + (v0[3] - cy) * 0.8], rtol=1e-12)
    # the grid is recomputed for the new window: the bar's ticks are its quantiles
    np.testing.assert_allclose(_state(page)["colorbar"], _grid_quantiles(HIMMELBLAU, v1), rtol=1e-9)
    # the wheel zooms about the pointer: the point under it stays under it
    px = page.js("() => window.descendExplorer.pixelOf([-2.8, 3.1])")
    box = page.page.locator("#map").bounding_box()
    page.page.mouse.move(box["x"] + px[0], box["y"] + px[1])
    page.page.mouse.wheel(0, -300)
    page.page.wait_for_timeout(100)
    v2 = _state(page)["view"]
    assert v2[1] - v2[0] < v1[1] - v1[0]
    np.testing.assert_allclose(page.js("() => window.descendExplorer.pixelOf([-2.8, 3.1])"), px, atol=0.5)
    # Shift + drag pans by the distance dragged
    page.page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.page.keyboard.down("Shift")
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + 260, box["y"] + 200, steps=4)
    page.page.mouse.up()
    page.page.keyboard.up("Shift")
    page.page.wait_for_timeout(100)
    v3 = _state(page)["view"]
    assert v3[0] < v2[0] and v3[2] == pytest.approx(v2[2], abs=1e-12)
    assert _state(page)["start"] == [3, 1]  # a pan is not a click: no descent started there
    # keys on the map: Alt+arrow pans a tenth, - zooms out, 0 resets
    page.page.focus("#map")
    page.page.keyboard.press("Alt+ArrowRight")
    v4 = _state(page)["view"]
    assert v4[0] - v3[0] == pytest.approx(0.1 * (v3[1] - v3[0]), rel=1e-9)
    page.page.keyboard.press("-")
    assert _state(page)["view"][1] - _state(page)["view"][0] == pytest.approx(1.25 * (v4[1] - v4[0]))
    # the window is in the link: opening it shows the same view
    link = page.page.url
    assert "v=" in link
    again = open_page(pages["himmelblau"])
    again.page.goto(link)
    again.page.reload()
    again.page.wait_for_function("() => window.descendExplorer !== undefined")
    np.testing.assert_allclose(_state(again)["view"], _state(page)["view"], rtol=1e-7)
    page.page.keyboard.press("0")
    assert _state(page)["view"] == v0
    assert page.errors == [] and again.errors == []


def test_the_colour_map_is_descends_pictures(pages):
    import re

    from matplotlib import colormaps

    from descend.plot._style import FIELD_CMAP

    js = (pages["himmelblau"]).read_text()
    stops = re.search(r"var FIELD = (\[\[.*?\]\]);", js)
    assert stops is not None
    rgb = np.array(eval(stops.group(1)), dtype=float) / 255  # noqa: S307 - our own test file's numbers
    ref = colormaps[FIELD_CMAP].resampled(9)(np.arange(9))[:, :3]  # its nine stops, exactly
    np.testing.assert_allclose(rgb, ref, atol=0.5 / 255)


def test_dragging_the_start_recomputes_every_run_live(open_page, pages):
    page = open_page(pages["himmelblau"])
    page.js("() => window.descendExplorer.select(0)")
    box = page.page.locator("#map").bounding_box()
    a = page.js("() => window.descendExplorer.pixelOf([3, 1])")
    b = page.js("() => window.descendExplorer.pixelOf([-1, 2])")
    page.page.mouse.move(box["x"] + a[0], box["y"] + a[1])
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + b[0], box["y"] + b[1], steps=6)
    page.page.wait_for_timeout(150)
    live = _state(page)  # before the button is released, the runs already follow
    assert live["start"] == pytest.approx([-1, 2], abs=0.05)
    it = page.js("() => window.descendExplorer.iterates()")
    assert it["x"][0] == live["start"]
    r = _minimize_gd(HIMMELBLAU, live["start"], it["learning_rate"])
    np.testing.assert_allclose(np.array(it["x"]), r.history.x, rtol=0, atol=1e-12)
    assert it["verdict"] == str(r.verdict)
    page.page.mouse.up()
    page.page.wait_for_timeout(100)
    assert _state(page)["start"] == live["start"]  # the release is not a click elsewhere
    assert "s=" + ",".join(f"{v:g}" for v in live["start"]) in page.page.url
    assert page.errors == []


def test_play_pause_and_speed(open_page, pages):
    page = open_page(pages["valley"])
    page.page.wait_for_function("() => window.descendExplorer.state().reveal === null")
    n = _state(page)["runs"][0]["nit"]
    assert n > 100
    page.page.select_option("#speed", "0.25")
    page.page.click("#play")
    page.page.wait_for_timeout(400)
    assert _state(page)["playing"] and page.page.text_content("#play") == "❚❚ pause"
    page.page.click("#play")  # pause
    paused = _state(page)
    assert not paused["playing"] and 1 <= paused["reveal"] < n
    assert paused["selected"] == paused["reveal"] - 1  # the step card walks with the run
    page.page.wait_for_timeout(300)
    assert _state(page)["reveal"] == paused["reveal"]  # paused means still
    page.page.select_option("#speed", "4")
    page.page.focus("#map")
    page.page.keyboard.press("p")  # the key plays too
    page.page.wait_for_function("() => !window.descendExplorer.state().playing", timeout=15000)
    done = _state(page)
    assert done["reveal"] is None and done["selected"] == n and done["speed"] == 4
    assert page.errors == []


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_export_png_and_svg_of_the_current_view(open_page, pages):
    page = open_page(pages["himmelblau"])
    requests: list[str] = []
    page.page.on("request", lambda r: requests.append(r.url))
    page.page.click("#zoom-in")
    with page.page.expect_download() as dl:
        page.page.click("#export-png")
    png = open(dl.value.path(), "rb").read()
    assert dl.value.suggested_filename == "descend-map.png"
    assert _png_size(png) == tuple(page.js("() => [document.getElementById('map').width, document.getElementById('map').height]"))
    with page.page.expect_download() as dl2:
        page.page.click("#export-svg")
    svg = ET.fromstring(open(dl2.value.path(), encoding="utf-8").read())
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(ns + "text")]
    assert len(list(svg.iter(ns + "image"))) == 1  # the coloured grid
    assert len(list(svg.iter(ns + "path"))) > 50  # contours, paths, markers, the colour bar
    assert "x" in texts and "y" in texts and "f" in texts
    # the bar's labels are the zoomed window's quantiles of f
    ticks = page.js("() => window.descendExplorer.state().colorbar")
    shown = [float(t.replace("−", "-")) for t in texts if t and t.replace("−", "-").replace(".", "", 1).replace("-", "", 1).isdigit()]
    for q in ticks:
        assert any(abs(s - q) <= 5e-3 * max(1.0, abs(q)) for s in shown), (q, shown)
    assert all(u.startswith(("file:", "blob:", "data:")) for u in requests)
    assert page.errors == []


@pytest.mark.parametrize("key", ["himmelblau", "curve"])
def test_the_projector_layout_fits_one_1280x800_screen(open_page, pages, key):
    page = open_page(pages[key], width=1280, height=800)
    page.page.click("#projector")
    page.page.wait_for_timeout(200)
    boxes = page.js("""() => ['#map', '#loss', '#status', '#play', '#lr-double', '#projector'].map(s => {
        const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    (ml, mt, mr, mb), (ll, _lt, lr, lb) = boxes[0], boxes[1]
    assert mb <= 800 and lb <= 800 and mr <= 1280 and lr <= 1280
    assert all(b[3] <= 800 and b[2] <= 1280 and b[2] > b[0] for b in boxes)  # all shown, on screen
    assert mr <= ll  # side by side
    assert mr - ml >= 500 and mb - mt >= 350 and lr - ll >= 500
    sizes = page.js("""() => ['body', '#status', '#legend', '#readout', '#play', '#speed'].map(s =>
        parseFloat(getComputedStyle(document.querySelector(s)).fontSize))""")
    assert min(sizes) >= 20, sizes
    st = _state(page)
    assert st["projector"] and round(11 * st["fontScale"]) >= 20  # the map's smallest text
    losstext = page.js("() => Math.min(...[...document.querySelectorAll('#loss text')].map(t => +t.getAttribute('font-size')))")
    assert losstext >= 20
    assert "pj=1" in page.page.url
    # the settings are hidden there; γ halves and doubles from the toolbar, and the runs follow
    lr = st["learning_rate"]
    page.page.click("#lr-double")
    assert _state(page)["learning_rate"] == pytest.approx(2 * lr)
    assert _state(page)["runs"][0]["learning_rate"] == pytest.approx(2 * lr)
    page.page.click("#lr-half")
    assert _state(page)["learning_rate"] == pytest.approx(lr)
    page.page.keyboard.press("Escape")
    assert not _state(page)["projector"]
    assert page.errors == []


def _overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("key", ["himmelblau", "momentum", "curve"])
def test_labels_on_a_phone_do_not_overlap(open_page, pages, key):
    page = open_page(pages[key], width=390, height=844)
    page.js("() => window.descendExplorer.select(0)")
    page.page.wait_for_function("() => window.descendExplorer.state().reveal === null")
    st = _state(page)
    labels = st["labels"]
    assert len(labels) >= 2
    width = page.js("() => document.getElementById('map').getBoundingClientRect().width")
    for i in range(len(labels)):
        assert labels[i][0] >= 0 and labels[i][0] + labels[i][2] <= width  # never cut at the edge
        for j in range(i):
            assert not _overlap(labels[i], labels[j]), (labels[i], labels[j])
        for m in st["marks"]:  # nor the markers of minima, saddles, maxima
            assert not _overlap(labels[i], m), (labels[i], m)
    if key == "momentum":  # step 0: velocity = gradient, one arrow and one label
        texts = [lb[4] for lb in labels]
        assert "−γ∇f = the step (v = ∇f)" in texts
        assert not any("velocity" in t for t in texts)
    assert page.errors == []


def test_touch_drags_the_start_and_pinch_zooms(browser, pages):
    """A phone: one finger on the start drags it (the runs follow), two fingers pinch-zoom."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                              device_scale_factor=2)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"file://{pages['himmelblau']}")
    page.wait_for_function("() => window.descendExplorer !== undefined")
    page.wait_for_function("() => window.descendExplorer.state().reveal === null")
    page.locator("#map").scroll_into_view_if_needed()
    cdp = ctx.new_cdp_session(page)
    box = page.locator("#map").bounding_box()

    def at(x):
        p = page.evaluate("x => window.descendExplorer.pixelOf(x)", x)
        return {"x": box["x"] + p[0], "y": box["y"] + p[1]}

    def touch(kind, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
            dict(p, id=i) for i, p in enumerate(points)]})

    a, b = at([3, 1]), at([0, -2])
    touch("touchStart", [a])
    for t in np.linspace(0, 1, 6)[1:]:
        touch("touchMove", [{"x": a["x"] + t * (b["x"] - a["x"]), "y": a["y"] + t * (b["y"] - a["y"])}])
        page.wait_for_timeout(40)
    assert page.locator("#map").bounding_box() == box  # the map kept still under the finger
    touch("touchEnd", [])
    page.wait_for_timeout(100)
    st = page.evaluate("() => window.descendExplorer.state()")
    assert st["start"] == pytest.approx([0, -2], abs=0.1)
    it = page.evaluate("() => window.descendExplorer.iterates()")
    r = _minimize_gd(HIMMELBLAU, st["start"], it["learning_rate"])
    np.testing.assert_allclose(np.array(it["x"]), r.history.x, rtol=0, atol=1e-12)
    v0 = st["view"]
    c = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    touch("touchStart", [{"x": c["x"] - 30, "y": c["y"]}, {"x": c["x"] + 30, "y": c["y"]}])
    for d in (40, 50, 60):
        touch("touchMove", [{"x": c["x"] - d, "y": c["y"]}, {"x": c["x"] + d, "y": c["y"]}])
        page.wait_for_timeout(40)
    touch("touchEnd", [])
    page.wait_for_timeout(100)
    v1 = page.evaluate("() => window.descendExplorer.state().view")
    assert (v1[1] - v1[0]) == pytest.approx(0.5 * (v0[1] - v0[0]), rel=0.02)  # fingers twice apart
    assert page.evaluate("() => window.descendExplorer.state().start") == st["start"]
    assert errors == []
    ctx.close()


def test_pan_mode_drags_the_map_and_arrows_pan(open_page, pages):
    page = open_page(pages["curve"])  # one variable: the window moves along x only
    v0 = _state(page)["view"]
    page.page.click("#pan-mode")
    assert page.page.get_attribute("#pan-mode", "aria-pressed") == "true"
    box = page.page.locator("#map").bounding_box()
    page.page.mouse.move(box["x"] + 300, box["y"] + 150)
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + 200, box["y"] + 150, steps=4)
    page.page.mouse.up()
    page.page.wait_for_timeout(100)
    v1 = _state(page)["view"]
    assert v1[0] > v0[0] and v1[1] - v1[0] == pytest.approx(v0[1] - v0[0])
    assert _state(page)["start"] == [1]  # dragging in pan mode starts nothing
    page.page.focus("#map")
    page.page.keyboard.press("ArrowLeft")  # in pan mode the arrows pan
    assert _state(page)["view"][0] == pytest.approx(v1[0] - 0.1 * (v1[1] - v1[0]))
    page.page.click("#zoom-reset")
    assert _state(page)["view"][:2] == v0[:2]
    assert page.errors == []


def test_a_factor_near_one_is_not_rounded_to_one(open_page, tmp_path):
    """examples/data.csv at γ = 0.0002: the shallow direction shrinks by 0.99998 a step, which
    4 digits showed as "= 1" (no shrinking at all)."""
    page = open_page(explore("examples/data.csv").save(tmp_path / "data.html"))
    status = page.page.text_content("#status")
    lam2 = min(np.linalg.eigvalsh(np.array(page.js("() => window.descendExplorer.hessian([0, 0]).H"))))
    lr = _state(page)["learning_rate"]
    assert "|1 − γλ₂| = " + f"{abs(1 - lr * lam2):.7g}" in status
    assert "|1 − γλ₂| = 1 per step" not in status


def test_dragging_the_start_along_a_curve(open_page, pages):
    page = open_page(pages["curve"])
    page.page.wait_for_function("() => window.descendExplorer.state().reveal === null")
    box = page.page.locator("#map").bounding_box()
    # the start dot sits on the curve at (1, f(1)), not where pixelOf puts 1-D points
    start_px = page.js("() => window.descendExplorer.startPixel()")
    b = page.js("() => window.descendExplorer.pixelOf([-4])")
    page.page.mouse.move(box["x"] + start_px[0], box["y"] + start_px[1])
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + b[0], box["y"] + start_px[1], steps=5)
    page.page.mouse.up()
    page.page.wait_for_timeout(100)
    st = _state(page)
    assert st["start"][0] == pytest.approx(-4, abs=0.05) and len(st["start"]) == 1
    it = page.js("() => window.descendExplorer.iterates()")
    r = _minimize_gd("x*sin(x)", st["start"], it["learning_rate"])
    np.testing.assert_allclose(np.array(it["x"]), r.history.x, rtol=0, atol=1e-12)
    assert page.errors == []
