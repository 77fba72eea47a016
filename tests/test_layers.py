"""The layering written in docs/CONTRACTS.md, enforced on every ``import`` of ``src/descend``.

The map of the tree (a table in docs/CONTRACTS.md) says what each folder may import; this test
parses every module with :mod:`ast` (nothing is imported or run), resolves each import to the
file it names, and checks it against the map. Imports inside functions count (a lazy import is
still a dependency); those under ``if TYPE_CHECKING:`` do too. A second test finds import
cycles between files (module-level imports only: what runs when a module is imported).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "descend"
CONTRACTS = ROOT / "docs" / "CONTRACTS.md"

#: Wrong-way imports known today, (importing unit, imported unit) -> who removes them. The list
#: only shrinks: an entry that no longer occurs fails test_the_allow_list_only_shrinks, so
#: whoever fixes one removes it here. Never add one.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    # LinearModel asks scale/ for the stream/Dask passes and checkpoint state: issue 20 item 2-3
    # (helpers `engine` and `data`: the fit engine as functions, one row-source layer in data/)
    ("models/", "scale/"): "issue 20 items 2-3, helpers engine/data",
    # OptimizeResult._repr_html_ and LinearModel's/SweepResult's cards draw with display.py
    # (lazily, in Jupyter): the cards should move to display.py's own registry (issue 20 item 8)
    ("loop/", "display.py"): "issue 20 item 8: cards registered by display.py",
    ("models/", "display.py"): "issue 20 item 8: cards registered by display.py",
}

#: Cycles through imports inside functions (none at module level), known today -> who removes
#: them (only shrinks, as above).
KNOWN_LAZY_CYCLES: dict[frozenset[str], str] = {
    # input checks and URL opening call each other: issue 20 item 3 (helper `data`: URL
    # opening lives with the data)
    frozenset({"descend.io._input", "descend.io._remote"}): "issue 20 item 3, helper data",
    # the formula path builds a LinearModel, and LinearModel.summary() reads the analysis'
    # statistics (issue 21): the summary should take the model's facts, not the model
    frozenset({"descend.models.analysis", "descend.models.linear"}): "issue 21: summary_of",
}


class Import(NamedTuple):
    source: str  # the importing module, dotted
    target: str  # the imported module (a file of descend), dotted
    line: int
    top_level: bool  # runs when the module is imported (not in a function, not TYPE_CHECKING)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def unit_of(module: str) -> str:
    """The row of the map a module belongs to: ``loop/`` or ``errors.py``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__.py"
    if (PACKAGE / parts[1]).is_dir():
        return parts[1] + "/"
    return parts[1] + ".py"


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The descend modules ``from X import a, b`` loads: X, or X.a where that is a module."""
    if node.level:
        base = source.split(".") if is_package else source.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if not (module == "descend" or module.startswith("descend.")):
        return []
    found = []
    for alias in node.names:
        sub = f"{module}.{alias.name}"
        found.append(sub if sub in MODULES else module)
    return found


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imports_of(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            ) and not _type_checking(child)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    name = alias.name
                    while name and name not in MODULES and "." in name:
                        name = name.rsplit(".", 1)[0]
                    if name in MODULES:
                        found.append(Import(module, name, child.lineno, top))
            elif isinstance(child, ast.ImportFrom):
                for target in _resolve(module, path.name == "__init__.py", child):
                    if target in MODULES:
                        found.append(Import(module, target, child.lineno, top))
            visit(child, inner)

    visit(tree, True)
    return found


ALL_IMPORTS = [imp for m, p in MODULES.items() for imp in imports_of(m, p)]


def read_map(text: str) -> dict[str, set[str]]:
    """``unit -> the units it may import``, from the map's table in docs/CONTRACTS.md."""
    units: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[^`]+`", cells[0]):
            units[cells[0].strip("`")] = cells[2]
    allowed: dict[str, set[str]] = {}
    for unit, cell in units.items():
        named = set(re.findall(r"`([^`]+)`", cell))
        allowed[unit] = (set(units) - named if cell.startswith("every unit but") else named)
        allowed[unit] |= {unit}
    return allowed


MAP = read_map(CONTRACTS.read_text(encoding="utf-8"))


def violations(imports: list[Import], allowed: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> ``module:line -> module`` for each wrong-way import."""
    wrong: dict[tuple[str, str], list[str]] = defaultdict(list)
    for imp in imports:
        a, b = unit_of(imp.source), unit_of(imp.target)
        if b not in allowed.get(a, set()):
            wrong[(a, b)].append(f"{MODULES[imp.source].relative_to(ROOT)}:{imp.line} -> {imp.target}")
    return dict(wrong)


def test_the_map_covers_every_folder_and_file():
    units = {unit_of(m) for m in MODULES}
    assert units == set(MAP), (
        f"on the map but not in src/descend: {sorted(set(MAP) - units)}; "
        f"in src/descend but not on the map of docs/CONTRACTS.md: {sorted(units - set(MAP))}"
    )


def test_imports_follow_the_map():
    found = violations(ALL_IMPORTS, MAP)
    new = {pair: where for pair, where in found.items() if pair not in KNOWN_VIOLATIONS}
    assert not new, "imports against the map of docs/CONTRACTS.md (" + "; ".join(
        f"{a} may not import {b}: {', '.join(where)}" for (a, b), where in sorted(new.items())
    ) + ")"


def test_the_allow_list_only_shrinks():
    found = violations(ALL_IMPORTS, MAP)
    fixed = [f"{a} -> {b} ({who})" for (a, b), who in KNOWN_VIOLATIONS.items()
             if (a, b) not in found]
    assert not fixed, f"fixed, so remove from KNOWN_VIOLATIONS: {fixed}"


def cycles(imports: list[Import], *, lazy: bool = False) -> list[frozenset[str]]:
    """The strongly connected groups of two or more files (Tarjan): module-level imports only,
    or (``lazy``) imports inside functions too."""
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        if (imp.top_level or lazy) and imp.source != imp.target:
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[frozenset[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(frozenset(group))

    for v in list(graph):
        if v not in index:
            connect(v)
    return groups


def test_no_import_cycle_between_files():
    found = cycles(ALL_IMPORTS)
    assert not found, f"modules importing each other at module level: {[sorted(g) for g in found]}"


def test_no_new_cycle_through_lazy_imports():
    found = set(cycles(ALL_IMPORTS, lazy=True))
    new = [sorted(g) for g in found if g not in KNOWN_LAZY_CYCLES]
    assert not new, f"modules importing each other (inside functions): {new}"
    fixed = [sorted(g) for g in KNOWN_LAZY_CYCLES if g not in found]
    assert not fixed, f"fixed, so remove from KNOWN_LAZY_CYCLES: {fixed}"


# ------------------------------------------------------------------- the checks can fail


def test_a_wrong_way_import_is_caught():
    """A planted ``optim -> cli`` import, a package-relative one and a lazy one are reported."""
    planted = [
        Import("descend.optim.base", "descend.cli.app", 1, True),
        Import("descend.loop.driver", "descend.models.linear", 2, False),
    ]
    found = violations(planted, MAP)
    assert set(found) == {("optim/", "cli/"), ("loop/", "models/")}
    assert violations([Import("descend.cli.fit", "descend.models", 3, True)], MAP) == {}


def test_a_cycle_is_caught():
    ring = [Import("descend.a", "descend.b", 1, True), Import("descend.b", "descend.c", 1, True),
            Import("descend.c", "descend.a", 1, True), Import("descend.c", "descend.d", 1, True)]
    assert cycles(ring) == [frozenset({"descend.a", "descend.b", "descend.c"})]
    lazy = [Import("descend.a", "descend.b", 1, True), Import("descend.b", "descend.a", 1, False)]
    assert cycles(lazy) == [] and cycles(lazy, lazy=True) == [frozenset({"descend.a", "descend.b"})]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("from descend import kernels", ["descend.kernels"]),
        ("from descend.cli.app import main", ["descend.cli.app"]),
        ("from . import app", ["descend.cli.app"]),
        ("from ..loop import minimize", ["descend.loop"]),
        ("import descend.loop.driver as d", ["descend.loop.driver"]),
        ("import numpy", []),
    ],
)
def test_imports_are_resolved_to_files(tmp_path, code, expected):
    tree_file = tmp_path / "fit.py"  # read as descend/cli/fit.py for the relative imports
    tree_file.write_text(code + "\n")
    assert [i.target for i in imports_of("descend.cli.fit", tree_file)] == expected
