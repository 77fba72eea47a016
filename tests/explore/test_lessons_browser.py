"""Each lesson walked through in headless Chromium, by keyboard only and by touch.

For every prediction: the map is hidden while it is open; the answer is given with keys only
(Tab, arrows, Space, typing, Enter) or with taps only; the reveal is announced (aria-live,
focus moves to it), names the engine's answer, and the map opens on the run whose verdict and
step count -- computed live by the page -- equal the ones descend.minimize gave at build time.
"""

from __future__ import annotations

import pytest

from descend.explorer.lessons import LESSONS, save_lessons

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lesson_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("lessons")
    save_lessons(d / "index.html")
    return d


def _open(browser, path, *, touch):
    size = {"width": 390, "height": 844} if touch else {"width": 1280, "height": 800}
    ctx = browser.new_context(viewport=size, has_touch=touch, is_mobile=touch)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"file://{path}")
    page.wait_for_function("() => window.descendLesson !== undefined")
    return ctx, page, errors


def _questions(page):
    return page.evaluate("() => JSON.parse(document.getElementById('descend-lesson').textContent).questions")


def _tab_to(page, selector, limit=40):
    """Press Tab until the focused element matches ``selector``; fail if it never does."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _pick(q, k):
    """The choice to give: the right one for even predictions, a wrong one for odd ones."""
    if q["kind"] == "number":
        return q["answer"] if k % 2 == 0 else q["answer"] + 1
    return q["answer"] if k % 2 == 0 else (q["answer"] + 1) % len(q["choices"])


def _answer_by_keys(page, q, k, pick):
    if q["kind"] == "number":
        _tab_to(page, f"#q{k}-num")
        page.keyboard.type(f"{pick:g}")
        page.keyboard.press("Enter")  # submits the prediction
        return
    _tab_to(page, f"input[name=q{k}]")  # one tab stop for the group: its first radio
    if pick == 0:
        page.keyboard.press("Space")
    for _ in range(pick):
        page.keyboard.press("ArrowDown")  # moves to the next choice and selects it
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == f"q{k}-check"
    page.keyboard.press("Enter")


def _answer_by_taps(page, q, k, pick):
    if q["kind"] == "number":
        page.tap(f"#q{k}-num")
        page.keyboard.type(f"{pick:g}")  # the on-screen keyboard
    else:
        page.tap(f"label[for=q{k}-c{pick}]")
    page.tap(f"#q{k}-check")


def _check_reveal(page, q, k, pick):
    reveal = f"#q{k}-reveal"
    page.wait_for_selector(f"#q{k}-run")
    assert page.get_attribute(reveal, "aria-live") == "polite"
    assert page.evaluate("() => document.activeElement.id") == f"q{k}-reveal"
    text = page.text_content(reveal)
    right = pick == q["answer"]
    assert text.startswith("Right." if right else "Not quite.")
    said = q["choices"][q["answer"]] if q["kind"] == "choice" else f"{q['answer']:g}"
    assert f"descend says “{said}”" in text
    assert q["reveal"] in text
    # the page's own run of the revealed state is the engine's
    run = page.locator(f"#q{k}-run")
    assert run.get_attribute("data-verdict") == q["engine"]["verdict"]
    assert int(run.get_attribute("data-nit")) == q["engine"]["nit"]
    assert "the same as descend.minimize" in run.text_content()
    # the map is open on that run (the explorer read the state from the hash)
    assert page.is_visible("#app") and not page.is_visible("#lesson-mapnote")
    s = q["state"]
    page.wait_for_function(
        "s => { const t = window.descendExplorer.state(); return t.learning_rate === s.learning_rate"
        " && t.optimizer === s.optimizer && t.start.join() === s.start.join()"
        " && t.standardised === s.scaled; }", arg=s)
    shown = page.evaluate("() => window.descendExplorer.iterates()")
    assert shown["verdict"] == q["engine"]["verdict"] and len(shown["x"]) - 1 == q["engine"]["nit"]


@pytest.mark.parametrize("how", ["keyboard", "touch"])
@pytest.mark.parametrize("name", [ls.name for ls in LESSONS])
def test_walk_through_the_lesson(browser, lesson_dir, name, how):
    ctx, page, errors = _open(browser, lesson_dir / f"lesson-{name}.html", touch=how == "touch")
    try:
        qs = _questions(page)
        assert len(qs) >= 2
        for k, q in enumerate(qs):
            assert not page.is_visible("#app") and page.is_visible("#lesson-mapnote")
            legend = page.text_content(f"#lesson-q{k} legend")
            assert legend == f"Prediction {k + 1} of {len(qs)}: {q['prompt']}"
            # what a screen reader names: the group by its question, each choice by its words
            assert page.get_by_role("group", name=legend, exact=True).count() == 1
            form = page.locator(f"#lesson-q{k}")
            if q["kind"] == "choice":
                for c in q["choices"]:
                    assert form.get_by_role("radio", name=c, exact=True).count() == 1, c
            else:
                assert form.get_by_role("textbox", name="Your prediction", exact=True).count() == 1
            # checking with no answer asks for one and reveals nothing
            if how == "touch":
                page.tap(f"#q{k}-check")
            else:
                _tab_to(page, f"#q{k}-check")
                page.keyboard.press("Enter")
            assert page.text_content(f"#q{k}-err") != "" and page.text_content(f"#q{k}-reveal") == ""
            pick = _pick(q, k)
            (_answer_by_taps if how == "touch" else _answer_by_keys)(page, q, k, pick)
            _check_reveal(page, q, k, pick)
            if k + 1 < len(qs):
                if how == "touch":
                    page.tap(f"#q{k}-next")
                else:
                    page.keyboard.press("Tab")  # from the reveal to its "Next prediction"
                    assert page.evaluate("() => document.activeElement.id") == f"q{k}-next"
                    page.keyboard.press("Enter")
                assert page.evaluate("() => document.activeElement.closest('form').id") == f"lesson-q{k + 1}"
        assert page.is_visible("#lesson-done")
        if how == "touch":  # nothing wider than the phone
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert errors == []
    finally:
        ctx.close()


def test_the_index_opens_each_lesson(browser, lesson_dir):
    ctx, page, errors = _open(browser, lesson_dir / "lesson-tangent.html", touch=False)
    try:
        page.goto(f"file://{lesson_dir / 'index.html'}")
        links = page.eval_on_selector_all("ol.lessons a", "as => as.map(a => a.getAttribute('href'))")
        assert links == [f"lesson-{ls.name}.html" for ls in LESSONS]
        page.click("text=A saddle")
        page.wait_for_function("() => window.descendLesson && window.descendLesson.name === 'saddle'")
        page.click("text=All lessons")
        page.wait_for_selector("#lesson-index")
        assert errors == []
    finally:
        ctx.close()
