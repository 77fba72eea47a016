"""Every console and Python block of README.md and docs/*.md runs, and shows what it prints.

The runner and its normalisation are in ``docs_blocks.py`` (its docstring is the reference).
``DESCEND_DOCS_UPDATE=1 pytest tests/docs`` rewrites the shown outputs from the real ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from docs_blocks import (
    DOCS,
    Block,
    all_blocks,
    apply_updates,
    read_blocks,
    rewrite_console,
    run_console,
    run_python,
    workdir,
)

UPDATE = os.environ.get("DESCEND_DOCS_UPDATE") == "1"
BLOCKS = all_blocks()
CONSOLE_RUN = [b for b in BLOCKS if b.runs and b.lang != "python"]
PYTHON_FILES = sorted({b.path for b in BLOCKS if b.runs and b.lang == "python"})
_updates: dict[Path, list[tuple[Block, list[str]]]] = {}


@pytest.fixture(scope="module", autouse=True)
def _write_updates():
    yield
    if UPDATE and _updates:
        changed = apply_updates(_updates)
        print(f"\nDESCEND_DOCS_UPDATE: rewrote {len(changed)} block(s): {', '.join(changed)}")


def test_block_count_and_markers(capsys: pytest.CaptureFixture[str]) -> None:
    """Counts the blocks run and not run (printed), and every not-run block says why."""
    run = [b for b in BLOCKS if b.runs]
    skipped = [b for b in BLOCKS if not b.runs]
    for b in skipped:
        assert b.not_run, f"{b.name}: a ```{b.lang} block is neither run nor marked not-run"
    with capsys.disabled():
        print(f"\ndocs blocks: {len(run)} run "
              f"({len(CONSOLE_RUN)} console, {len(run) - len(CONSOLE_RUN)} python), "
              f"{len(skipped)} not run:")
        for b in skipped:
            print(f"  {b.name} ({b.lang or 'no language'}): {b.not_run}")
    assert len(run) >= 20


@pytest.mark.parametrize("block", CONSOLE_RUN, ids=lambda b: b.name)
def test_console_block(block: Block, tmp_path: Path) -> None:
    """The block's commands print what it shows (normalised: times, paths, trailing spaces)."""
    results = run_console(block, workdir(tmp_path))
    if UPDATE:
        _updates.setdefault(block.path, []).append((block, rewrite_console(block, results)))
        return
    from docs_blocks import matches

    for k, o in enumerate(results):
        c, shown, real, code = o.command, o.shown, o.real, o.code
        following = results[k + 1].command.text.split("#")[0].strip() if k + 1 < len(results) else ""
        assert code == 0 or following == "echo $?", (
            f"{block.name}: `$ {c.text}` exited {code}; a block shows a failure's status with "
            "`$ echo $?` after it")
        assert matches(shown, real), (
            f"{block.name}: `$ {c.text}` printed something else.\n--- shown\n"
            + "\n".join(shown) + "\n--- real\n" + "\n".join(real)
            + "\n(DESCEND_DOCS_UPDATE=1 pytest tests/docs rewrites the shown output)")


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: p.name)
def test_python_blocks(path: Path, tmp_path: Path) -> None:
    """The file's Python blocks run, in order, in one namespace."""
    run_python([b for b in read_blocks(path) if b.runs and b.lang == "python"], workdir(tmp_path))


def test_docs_list_is_complete() -> None:
    assert DOCS[0].name == "README.md" and len(DOCS) > 5
