"""The code blocks of README.md and docs/*.md, read, run and compared (the docs-as-tests runner).

A fenced block is one of:

* ``console`` (or ``bash``/``sh``/``shell``): lines ``$ command`` (a trailing ``\\`` continues
  one), each followed by the output it prints (stdout and stderr together, as a terminal shows
  them). The block's commands run in order, in one ``bash``, in a fresh temporary folder that
  holds a copy of ``examples/``; ``descend`` and ``python`` are the ones under test.
* ``python``: run with ``exec``; the blocks of one file share one namespace, in order (so a
  later block may use an earlier block's names), in the same kind of temporary folder.
* marked not-run: an HTML comment ``<!-- not-run: why -->`` on the line just before the fence
  (it is invisible on the rendered page, so the prose around the block should say it is
  illustrative too), or a ``text`` fence / a fence with no language (shown as is: a layout, a
  table of benchmark figures). A ``console``/``python`` block without the marker is run.

Shown output is compared with the real output after this normalisation, and nothing more:

1. **times**: a duration (``2.74 ms``, ``0.00877 s``, ``1.2 µs``) and the spaces around it become
   `` <time> `` (the spaces too, because a table pads a shorter time with more spaces);
2. **paths**: the temporary folder becomes ``.`` and the repository root ``<repo>``;
3. **layout**: trailing spaces on each line and trailing empty lines are dropped;
4. **elision**: a line ``...`` alone in the shown output stands for any number of lines
   (doctest's ELLIPSIS, whole lines only).

``DESCEND_DOCS_UPDATE=1 pytest tests/docs`` rewrites every shown output from the real one
(keeping the ``...`` elisions where they still fit), for review with ``git diff``.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONSOLE = {"console", "bash", "sh", "shell"}
PYTHON = {"python", "py"}
SHOWN = {"", "text"}
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->")
FENCE = re.compile(r"^(\s*)(`{3,})(\w*)\s*$")
ELLIPSIS = "..."
MARK = "@@descend-docs-command@@"


@dataclass
class Block:
    """One fenced block: where it is, its language, its text and why it is not run (if so)."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    indent: str
    body: list[str]  # the lines between the fences, the indent removed
    not_run: str | None

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.not_run is None and self.lang in CONSOLE | PYTHON


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of a markdown file, with its not-run marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        prev = lines[i - 1] if i else ""
        marker = NOT_RUN.search(prev)
        reason = marker.group(1) if marker else None
        if reason is None and lang in SHOWN:
            reason = "shown as is (a text fence)"
        body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in lines[i + 1:j]]
        blocks.append(Block(path, i + 1, lang, indent, body, reason))
        i = j + 1
    return blocks


def all_blocks() -> list[Block]:
    return [b for p in DOCS for b in read_blocks(p)]


# --- console blocks ----------------------------------------------------------------------------


@dataclass
class Command:
    text: str  # the command, continuation lines joined
    head: int  # index in the block body of its first line
    out_start: int  # index of its first output line
    out_end: int  # index after its last output line

    def shown(self, body: list[str]) -> list[str]:
        return body[self.out_start:self.out_end]


def commands(body: list[str]) -> list[Command]:
    """The ``$ command`` lines of a console block and the span of output each shows."""
    found: list[Command] = []
    i = 0
    while i < len(body):
        if not body[i].startswith("$ "):
            if not found:
                raise ValueError(f"console block line {i + 1}: output before any '$ command'")
            i += 1
            continue
        head, text = i, body[i][2:]
        while text.endswith("\\") and i + 1 < len(body):
            i += 1
            text = text[:-1] + " " + body[i].strip()
        if found:
            found[-1].out_end = head
        found.append(Command(text, head, i + 1, len(body)))
        i += 1
    return found


_TIME = re.compile(r"[ \t]*(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ms|µs|us|ns|s)\b[ \t]*")


def normalise(text: str, tmp: Path | None = None, *, times: bool = True) -> list[str]:
    """The documented normalisation: times, paths, trailing spaces (see the module docstring).
    ``times=False`` keeps the times (the lines an update writes into the docs)."""
    if tmp is not None:
        text = text.replace(str(tmp.resolve()), ".").replace(str(tmp), ".")
    text = text.replace(str(ROOT), "<repo>")
    lines = [(_TIME.sub(" <time> ", ln) if times else ln).rstrip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(shown: list[str], real: list[str]) -> bool:
    """``shown`` equals ``real``, a line ``...`` standing for any number of lines."""
    if ELLIPSIS not in shown:
        return shown == real
    parts: list[list[str]] = [[]]
    for ln in shown:
        if ln == ELLIPSIS:
            parts.append([])
        else:
            parts[-1].append(ln)
    first, *middle, last = parts
    if real[: len(first)] != first or len(real) < len(first) + len(last):
        return False
    if last and real[len(real) - len(last):] != last:
        return False
    pos, end = len(first), len(real) - len(last)
    for part in middle:
        found = next((k for k in range(pos, end - len(part) + 1) if real[k:k + len(part)] == part),
                     None)
        if found is None:
            return False
        pos = found + len(part)
    return True


def updated(shown: list[str], real: list[str], raw: list[str] | None = None) -> list[str]:
    """The shown output rewritten from the real one, keeping each ``...`` line in place: real
    lines aligned with shown ones replace them, shown lines the real output lacks go, real lines
    not shown are added unless a ``...`` sits where they are (the full output if that fails)."""
    raw = real if raw is None else raw  # what is written: ``real`` with its times kept
    if matches(shown, real):
        return shown
    plain = [ln for ln in shown if ln != ELLIPSIS]
    before = [False] * (len(plain) + 1)  # before[k]: a '...' sits just before plain[k]
    k = 0
    for ln in shown:
        if ln == ELLIPSIS:
            before[k] = True
        else:
            k += 1
    out: list[str] = []

    def emit(lines: list[str]) -> None:
        out.extend(ln for ln in lines if not (ln == ELLIPSIS and out and out[-1] == ELLIPSIS))

    sm = difflib.SequenceMatcher(a=plain, b=real, autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            for a, b in zip(range(a0, a1), range(b0, b1), strict=True):
                emit([ELLIPSIS] * before[a] + [raw[b]])
        elif op == "insert":
            emit([ELLIPSIS] if before[a0] else raw[b0:b1])
        elif op == "delete":
            emit([ELLIPSIS] * any(before[a0:a1]))
        else:  # replace: keep the elisions inside, lines before/after them replaced 1:1
            cuts = [a for a in range(a0, a1) if before[a]]
            head = (cuts[0] - a0) if cuts else 0
            tail = (a1 - cuts[-1]) if cuts else 0
            if cuts and head + tail <= b1 - b0:
                emit(raw[b0:b0 + head] + [ELLIPSIS] + raw[b1 - tail:b1])
            else:
                emit(raw[b0:b1])
    emit([ELLIPSIS] * before[len(plain)])
    return out if matches(normalise("\n".join(out)), real) else raw


def tool_dir(tmp: Path) -> Path:
    """A folder for PATH with ``descend`` and ``python`` running this checkout's descend."""
    bin_dir = tmp / ".bin"
    bin_dir.mkdir()
    for name, line in (("descend", f'exec "{sys.executable}" -m descend "$@"'),
                       ("python", f'exec "{sys.executable}" "$@"')):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{line}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def workdir(tmp: Path) -> Path:
    """A fresh folder holding a copy of ``examples/`` (the data the docs use)."""
    shutil.copytree(ROOT / "examples", tmp / "examples",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return tmp


def environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESCEND_", "FORCE_COLOR"))}
    src = str(ROOT / "src")
    env.update(PATH=f"{tool_dir(tmp)}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1",
               COLUMNS="80", LINES="40", TERM="dumb", MPLBACKEND="Agg", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p),
               HOME=str(tmp))
    return env


@dataclass
class Outcome:
    """One command of a console block: its shown and real output (normalised), the real output
    with its times (for an update) and its exit status."""

    command: Command
    shown: list[str]
    real: list[str]
    raw: list[str]
    code: int


def run_console(block: Block, tmp: Path) -> list[Outcome]:
    """Run a console block's commands in order: each command with its shown and real output and
    its exit status."""
    cmds = commands(block.body)
    script = ["cd " + _quote(str(tmp))]
    for k, c in enumerate(cmds):
        # each command sees the exit status of the one before (for `echo $?`)
        script += ["__s=$?", f"echo '{MARK}{k}:'$__s", "(exit $__s)", c.text + " 2>&1"]
    script += ["__s=$?", f"echo '{MARK}end:'$__s"]
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp, env=environment(tmp),
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    split = re.split(rf"^{re.escape(MARK)}\w+:(\d+)\n", proc.stdout, flags=re.M)
    pieces, codes = split[2::2], [int(c) for c in split[1::2]][1:]  # marker k: status of k-1
    if len(pieces) != len(cmds) + 1:
        raise AssertionError(f"{block.name}: the block's script stopped early:\n{proc.stdout}"
                             f"\n{proc.stderr}")
    return [Outcome(c, normalise("\n".join(c.shown(block.body))), normalise(real, tmp),
                    normalise(real, tmp, times=False), code)
            for c, real, code in zip(cmds, pieces[:-1], codes, strict=True)]


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def rewrite_console(block: Block, results: list[Outcome]) -> list[str]:
    """The block's body with every command's shown output rewritten from the real one (the
    blank lines that separate one command from the next kept)."""
    body = list(block.body)
    for o in reversed(results):
        raw = o.command.shown(body)
        blank = len(raw) - len(normalise("\n".join(raw), times=False))
        kept = normalise("\n".join(raw), times=False)  # as written, its times included
        new = kept if matches(o.shown, o.real) else updated(o.shown, o.real, o.raw)
        body[o.command.out_start:o.command.out_end] = new + [""] * blank
    return body


# --- python blocks -----------------------------------------------------------------------------


def run_python(blocks: list[Block], tmp: Path) -> None:
    """Run one file's Python blocks in order in one namespace, in ``tmp``; the failing block is
    named in the error."""
    import warnings

    namespace: dict[str, object] = {"__name__": "__docs__"}
    here = Path.cwd()
    os.chdir(tmp)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for block in blocks:
                code = compile("\n".join(block.body), block.name, "exec")
                try:
                    exec(code, namespace)  # noqa: S102  (our own docs, not user input)
                except Exception as exc:  # noqa: BLE001
                    raise AssertionError(f"{block.name}: the Python block raised "
                                         f"{type(exc).__name__}: {exc}") from exc
    finally:
        os.chdir(here)


# --- update mode -------------------------------------------------------------------------------


def apply_updates(updates: dict[Path, list[tuple[Block, list[str]]]]) -> list[str]:
    """Write the rewritten bodies into their files (bottom up, so line numbers stay valid)."""
    changed: list[str] = []
    for path, items in updates.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for block, body in sorted(items, key=lambda it: -it[0].line):
            if body == block.body:
                continue
            start = block.line  # index of the first body line (0-based = line after the fence)
            lines[start:start + len(block.body)] = [block.indent + ln if ln else ln for ln in body]
            changed.append(block.name)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed
