"""The documentation site: its checks (docs/hooks.py) have teeth, and the built site makes no
network request in Chromium.

The build itself is ``make docs`` (``mkdocs build --strict``, CI); the slow test here builds it
into a temporary folder when mkdocs is installed, serves it on 127.0.0.1 and records every
request Chromium makes while opening each page.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from docs_blocks import ROOT

sys.path.insert(0, str(ROOT / "docs"))
hooks = pytest.importorskip("hooks", reason="docs/hooks.py needs mkdocs (the docs extra)")
CHROMIUM = os.environ.get("DESCEND_CHROMIUM", "/usr/bin/chromium")


def test_link_check_finds_broken_links_and_network_resources(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<a href="../b/">b</a><a href="../a/#x">a</a>')
    assert hooks.broken_links(tmp_path) == ["a/index.html: broken link ../b/"]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "index.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">')
    problems = hooks.broken_links(tmp_path)
    assert len(problems) == 1 and "b/index.html: loads" in problems[0]


def test_cli_reference_has_every_command() -> None:
    text = hooks.cli_reference()
    for command in hooks.COMMANDS:
        section = text.split(f"## descend {command}\n", 1)[1].split("\n## ", 1)[0]
        assert "| option | default | meaning |" in section and "--help" not in section, command
    assert "`--lr`" in text and "`--json`" in text


def test_api_paths_name_where_lazy_names_live() -> None:
    assert hooks.object_path("descend.expr", "function") == "descend.expr._function.function"
    assert hooks.object_path("descend", "LinearRegression") == (
        "descend.models.estimator.LinearRegression")
    assert hooks.api_members("descend.report").count(":::") == len(
        __import__("descend.report", fromlist=["__all__"]).__all__)


@pytest.mark.slow
@pytest.mark.browser
def test_built_site_makes_no_network_request(tmp_path: Path) -> None:
    pytest.importorskip("mkdocstrings")
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    site = tmp_path / "site"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), NO_MKDOCS_2_WARNING="1")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                            str(site)], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    assert hooks.broken_links(site) == [] and hooks.undocumented(site) == []
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    outside: list[str] = []
    pages = ["", "cli/", "api/expr/", "api/plot/", "api/report/", "verdicts/", "tutorials/"]
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:"))
                    else outside.append(r.url))
            for path in pages:
                page.goto(base + path, wait_until="networkidle")
                assert page.title(), path
            cli_text = page.goto(base + "cli/") and page.inner_text("article")
            assert "descend fit" in cli_text and "--target-loss" in cli_text
            browser.close()
    finally:
        server.shutdown()
    assert outside == [], outside
