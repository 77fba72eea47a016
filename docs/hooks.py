"""mkdocs hook: the CLI reference page is generated from the commands themselves.

``docs/cli.md`` holds the marker ``<!-- cli-reference -->``; this hook replaces it with every
command's help, usage and options (grouped by their help panels), read from the Typer app, so
the page cannot drift from ``descend --help``.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = "<!-- cli-reference -->"
API = re.compile(r"<!-- api: ([\w.]+) -->")
#: Every public name of these must have its entry in the built API reference (on_post_build).
PUBLIC = ("descend", "descend.expr", "descend.plot", "descend.report")
NOTEBOOKS = "<!-- notebooks -->"
ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("gradient", "minimize", "fit", "predict", "sweep", "plot", "explore")


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

    from descend.cli import commands
    from descend.cli.app import CHOICES, _choices_for, _prepare_help, app

    commands.register()  # every command module (a command line imports only its own)
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


def object_path(package: str, name: str) -> str:
    """Where ``package.name`` is defined, for mkdocstrings: a lazy name (PEP 562) is found by
    importing it, a constant by the sub-module that assigns it."""
    pkg = importlib.import_module(package)
    obj = getattr(pkg, name)
    module, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if (isinstance(module, str) and module.startswith("descend") and isinstance(qual, str)
            and "<" not in qual):
        return f"{module}.{qual}"
    for mod_name, mod in sorted(sys.modules.items()):
        if mod_name.startswith(package + ".") and vars(mod).get(name) is obj:
            return f"{mod_name}.{name}"
    return f"{package}.{name}"


def api_members(package: str) -> str:
    """``::: path`` for each name of ``package.__all__`` (lazy ones included)."""
    pkg = importlib.import_module(package)
    return "\n\n".join(f"::: {object_path(package, n)}" for n in pkg.__all__)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    markdown = API.sub(lambda m: api_members(m.group(1)), markdown)
    if MARKER in markdown:
        reference = cli_reference()
        missing = [c for c in COMMANDS if f"## descend {c}\n" not in reference]
        if missing:  # an empty reference is a broken build, not a quiet page (mkdocs --strict)
            raise PluginError(f"docs/hooks.py: the CLI reference lacks {', '.join(missing)}")
        markdown = markdown.replace(MARKER, reference)
    if NOTEBOOKS in markdown:
        markdown = markdown.replace(NOTEBOOKS, notebooks())
    return markdown


def documented_ids(site_dir: Path) -> set[str]:
    """The ``id`` of every heading mkdocstrings wrote in the built API pages."""
    ids: set[str] = set()
    for page in (site_dir / "api").rglob("index.html"):
        text = page.read_text(encoding="utf-8")
        ids |= set(re.findall(r'id="(descend[\w.]*)"', text))
    return ids


def undocumented(site_dir: Path) -> list[str]:
    """The public names with no entry in the built API reference."""
    ids = documented_ids(site_dir)
    tails = {i.rsplit(".", 1)[-1] for i in ids}
    missing = []
    for package in PUBLIC:
        pkg = importlib.import_module(package)
        missing += [f"{package}.{n}" for n in pkg.__all__ if n not in tails]
    return missing


_REF = re.compile(r'(href|src)="([^"#?]*)(?:[#?][^"]*)?"')
_RESOURCE = re.compile(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="(https?:)?//', re.I)


def broken_links(site_dir: Path) -> list[str]:
    """Links between the built pages that lead nowhere, and resources (scripts, styles, fonts,
    images) loaded from another host: the site must work offline."""
    problems: list[str] = []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        rel = page.relative_to(site_dir)
        for m in _RESOURCE.finditer(text):
            problems.append(f"{rel}: loads {m.group(0)}... from the network")
        for css in re.findall(r"@import\s+url\((?:'|\")?https?:", text):
            problems.append(f"{rel}: imports a stylesheet from the network ({css})")
        for _attr, target in _REF.findall(text):
            if not target or re.match(r"^[a-z]+:", target):  # http:, mailto:, data: -- links out
                continue
            base = site_dir if target.startswith("/") else page.parent  # 404.html: from root
            dest = (base / target.lstrip("/")).resolve()
            if not (dest.is_file() or (dest / "index.html").is_file()):
                problems.append(f"{rel}: broken link {target}")
    return problems


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Fail the build when a public name has no API entry (an empty reference page included),
    when a link between pages is broken, or when a page loads anything from the network."""
    site_dir = Path(config["site_dir"])
    missing = undocumented(site_dir)
    if missing:
        raise PluginError("docs/hooks.py: no API reference for " + ", ".join(missing))
    problems = broken_links(site_dir)
    if problems:
        raise PluginError("docs/hooks.py: " + "; ".join(problems[:20]))
