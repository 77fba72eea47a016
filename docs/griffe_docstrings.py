"""Griffe extension for the API reference: descend's docstrings read well as Markdown.

The docstrings are Google style with two habits Markdown does not know: bare doctests
(``>>> ...`` in the description, run by pytest's ``--doctest-modules``) and Sphinx roles
(``:class:`~descend.loop.result.OptimizeResult```), and some use numpydoc's ``name : text``
parameter lines. Doctest blocks become ``pycon`` code blocks
(else ``r.info["a"]["b"]`` reads as a Markdown link) roles become code spans, and
``name : text`` lines a list.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DEFINITION = re.compile(r"^(\w+) : (.*)$")
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|py:\w+):`(~?)([^`]+)`")


def _role(m: re.Match[str]) -> str:
    target = m.group(2)
    return f"`{target.rsplit('.', 1)[-1] if m.group(1) else target}`"


def fence_doctests(text: str) -> str:
    """Wrap each run of ``>>>`` lines (with their output, up to a blank line) in a fence."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        if not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def definition_lists(text: str) -> str:
    """``name : text`` paragraphs (numpydoc's parameter lines) as a Markdown list."""
    out: list[str] = []
    in_list = False
    for line in text.split("\n"):
        m = _DEFINITION.match(line)
        if m:
            if not in_list and out and out[-1].strip():
                out.append("")
            out.append(f"- `{m.group(1)}`: {m.group(2)}")
            in_list = True
        elif in_list and line.startswith("    ") and line.strip():
            out.append("  " + line.strip())
        else:
            in_list = in_list and bool(line.strip()) and False
            out.append(line)
    return "\n".join(out)


class DocstringsAsMarkdown(griffe.Extension):
    """Rewrite every docstring once it is loaded."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        doc = getattr(obj, "docstring", None)
        if doc is not None and doc.value:
            doc.value = fence_doctests(definition_lists(_ROLE.sub(_role, doc.value)))
