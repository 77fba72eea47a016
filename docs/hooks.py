"""mkdocs hook: the CLI reference page is generated from the commands themselves.

``docs/cli.md`` holds the marker ``<!-- cli-reference -->``; this hook replaces it with every
command's help, usage and options (grouped by their help panels), read from the Typer app, so
the page cannot drift from ``descend --help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MARKER = "<!-- cli-reference -->"
NOTEBOOKS = "<!-- notebooks -->"
ROOT = Path(__file__).resolve().parents[1]


def _default(param: Any) -> str:
    if getattr(param, "is_flag", False) and getattr(param, "secondary_opts", None):
        return f"`{param.opts[0] if param.default else param.secondary_opts[0]}`"
    value = param.default
    if value is None or value == () or callable(value):
        return ""
    return f"`{value}`"


def _metavar(param: Any) -> str:
    """`` (`a` | `b`)`` for an option whose values are a fixed set (``<a|b>``, set by the CLI)."""
    mv = getattr(param, "metavar", None) or ""
    if not (mv.startswith("<") and "|" in mv):
        return ""
    return " (" + " \\| ".join(f"`{v}`" for v in mv.strip("<>").split("|")) + ")"


def _names(param: Any) -> str:
    if param.param_type_name == "argument":
        return f"`{param.name.upper()}`"
    opts = [*param.opts, *getattr(param, "secondary_opts", [])]
    return ", ".join(f"`{o}`" for o in opts)


def _cell(text: str | None) -> str:
    text = " ".join((text or "").split())
    for ch in "|*_":  # a table cell of plain text: 'x**2 + y**2' is not emphasis
        text = text.replace(ch, "\\" + ch)
    return text


def cli_reference() -> str:
    import typer

    from descend.cli import commands  # noqa: F401  (registers the sub-commands)
    from descend.cli.app import CHOICES, _choices_for, _prepare_help, app

    _prepare_help()
    for command in {owner for owner, _ in CHOICES}:
        _choices_for(command)
    group = typer.main.get_command(app)
    lines: list[str] = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        lines += [f"## descend {name}", ""]
        doc = (cmd.help or "").strip().split("\n\n")
        lines += [_cell(doc[0]), ""]
        for para in doc[1:]:
            lines += ["```console", "$ " + " ".join(para.split()).split(": ", 1)[-1], "```", ""]
        panels: dict[str, list[Any]] = {}
        for param in cmd.params:
            if param.name == "help":
                continue
            panel = getattr(param, "rich_help_panel", None) or (
                "Arguments" if param.param_type_name == "argument" else "Options"
            )
            panels.setdefault(panel, []).append(param)
        for panel, params in panels.items():
            if len(panels) > 1:
                lines += [f"**{panel}**", ""]
            lines += ["| option | default | meaning |", "|---|---|---|"]
            for p in params:
                lines.append(f"| {_names(p)}{_metavar(p)} | {_default(p)} | {_cell(p.help)} |")
            lines.append("")
    return "\n".join(lines)


def notebooks() -> str:
    """The tutorials as notebooks, when the repository has them (``notebooks/`` or
    ``examples/notebooks/``)."""
    for folder in ("notebooks", "examples/notebooks"):
        found = sorted((ROOT / folder).glob("*.ipynb"))
        if found:
            items = "\n".join(f"- `{folder}/{p.name}`" for p in found)
            return (
                f"The tutorials are also notebooks, in the repository's `{folder}/` folder "
                f"(`jupyter lab {folder}/`):\n\n" + items + "\n"
            )
    return ""


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, cli_reference())
    if NOTEBOOKS in markdown:
        markdown = markdown.replace(NOTEBOOKS, notebooks())
    return markdown
