"""The explorer page: one self-contained HTML file (no network), from data and compiled code.

The page is a template with three inserts: the data as JSON in a ``<script
type="application/json">`` block, the compiled function code (see :mod:`._jscode`) and the
page's own script and style (``explorer.js``, ``explorer.css`` next to this module). A
Content-Security-Policy forbids every network request, so the page works offline and cannot
leak anything.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

__all__ = ["build_page", "compact", "json_for_script", "rebuild"]

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)


def json_for_script(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc., so no ``</script>`` or ``<!--`` can end or
    bend the block; U+2028/2029 are escaped for old parsers. ``NaN``/``Infinity`` are refused
    (they are not JSON): callers send ``None`` instead.

    >>> json_for_script({"text": "</script><!--"})
    '{"text": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _asset(name: str) -> str:
    return resources.files("descend.explorer").joinpath(name).read_text(encoding="utf-8")


def compact(code: str) -> str:
    """``code`` without indentation, blank lines and whole-line ``//`` comments.

    The page's scripts hold no multi-line strings (no template literals), so this changes no
    behaviour; it keeps the one offline file small (the sources stay commented).

    >>> print(compact("  var a = 1; // one" + chr(10) * 2 + "  // a comment" + chr(10) + "  return a;"))
    var a = 1; // one
    return a;
    """
    lines = (line.strip() for line in code.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def build_page(data: dict[str, Any], functions_js: str, title: str) -> str:
    """The complete HTML page."""
    script = compact(_asset("verdict.js") + "\n" + _asset("explorer.js"))
    style = _asset("explorer.css")
    for code in (functions_js, script):
        if "</" in code or "<!--" in code:  # cannot happen for checked code; never let it
            raise ValueError("page code must not contain '</' or '<!--'")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{html.escape(title)}</title>
<style>
{style}
</style>
</head>
<body>
<noscript>This explorer needs JavaScript (it runs offline; nothing is downloaded).</noscript>
<div id="app"></div>
<script type="application/json" id="descend-data">{json_for_script(data)}</script>
<script>
{functions_js}
</script>
<script>
{script}
</script>
</body>
</html>
"""


def rebuild(page: str, data: dict[str, Any]) -> str:
    """``page`` with its data block (and title) replaced by ``data``; the code is unchanged."""
    start = page.index('<script type="application/json" id="descend-data">')
    body = page.index(">", start) + 1
    end = page.index("</script>", body)
    page = page[:body] + json_for_script(data) + page[end:]
    t0, t1 = page.index("<title>") + len("<title>"), page.index("</title>")
    return page[:t0] + html.escape(str(data.get("title", ""))) + page[t1:]
