from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("DESCEND_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright; the test is skipped where either is absent.

    Module-scoped: Playwright's sync API allows one running instance, and other test modules
    (the report's) start their own.
    """
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


class Page:
    """A loaded explorer page plus every console error and uncaught exception it raised."""

    def __init__(self, browser, path, width=1280, height=900):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.goto(f"file://{path}")
        self.page.wait_for_function("() => window.descendExplorer !== undefined")

    def js(self, code, arg=None):
        return self.page.evaluate(code, arg)

    def close(self):
        self.page.close()


@pytest.fixture
def open_page(browser):
    pages: list[Page] = []

    def _open(path, **kw):
        p = Page(browser, path, **kw)
        pages.append(p)
        return p

    yield _open
    for p in pages:
        p.close()
