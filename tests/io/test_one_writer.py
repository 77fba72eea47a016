"""Every file descend writes goes through the one writer (:mod:`descend.io._output`).

Two enumerations, each failing when a new writer appears without the writer's checks:

- the source: every call outside ``descend/io`` that writes a file (``open(.., "w")``,
  ``write_text``, ``write_bytes``, ``savefig``, ``.save(``, ``np.save*``, ``to_csv``...) must sit
  inside ``with atomic_output(...)`` or a ``write_output(...)`` call, or be listed below with the
  reason it is safe;
- the command line: every option of every command that names a file to write must refuse a
  symlink and a hard link to the data file (the data untouched), and an existing file without
  ``--force``.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "descend"

#: Calls whose name says they write a file.
WRITING_ATTRS = {
    "write_text", "write_bytes", "savefig", "save", "savez", "savez_compressed", "tofile",
    "to_csv", "to_parquet", "to_json", "write_csv", "write_parquet", "sink_csv",
    "sink_parquet", "dump", "copy", "copyfile", "copy2", "rename", "replace", "symlink_to",
    "hardlink_to", "touch",
}
WRITE_MODES = ("w", "a", "x", "+")

#: ``module:call source`` -> why it is safe (not a file, or the writer's own temporary path).
ALLOWED = {
    "plot/_style.py:fig.savefig(buf, format='png', dpi=100)": "writes to an in-memory BytesIO",
    "loop/checkpoint.py:np.savez(buf, **payload)": "writes to an in-memory BytesIO",
    "loop/checkpoint.py:self.save(r.x, r.state, r.nit)": "Checkpointer.save -> save_checkpoint"
    " -> atomic_output",
    "loop/checkpoint.py:self.save(result.x, result.info['state'], start + int(result.nit))":
        "Checkpointer.save -> save_checkpoint -> atomic_output",
    "cli/fit.py:run.saver.save(info['theta'], info['state'], model.n_iter_)":
        "Checkpointer.save -> atomic_output",
    # the kernels' compile stamps and lock: empty marker files in descend's own cache folder
    # (descend.kernels.cache_dir), never a path the user named
    "kernels/_stamps.py:lock.touch()": "a lock file in descend's kernel cache folder",
    "kernels/_stamps.py:os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 420)":
        "the same lock, created exclusively",
    "kernels/_stamps.py:(folder / f'{key}.want').touch()": "a request marker in the cache folder",
    "kernels/_stamps.py:os.open(folder / 'compile.flock', os.O_CREAT | os.O_RDWR, 420)":
        "the compile lock (an empty file) in the cache folder",
    "cli/explore.py:page.save(html_path, force=force)": "Explorer.save -> write_output",
    "plot/_animate.py:gif[0].save(p, save_all=True, append_images=gif[1:], "
    "duration=max(20, round(1000 / fps)), loop=0, optimize=False)":
        "_write_gif is called only inside atomic_output, with its temporary path",
}


def _mode_of(call: ast.Call) -> str | None:
    if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
        return str(call.args[1].value)
    for kw in call.keywords:
        if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None


def _is_writer_call(call: ast.Call) -> bool:
    f = call.func
    if isinstance(f, ast.Name) and f.id == "open":
        mode = _mode_of(call)
        return mode is not None and any(c in mode for c in WRITE_MODES)
    if isinstance(f, ast.Attribute) and f.attr == "open" and isinstance(f.value, ast.Name) \
            and f.value.id == "os":
        return True
    if isinstance(f, ast.Attribute) and f.attr == "open":  # Path.open("w")
        mode = _mode_of(call) if call.args else None
        if call.args and isinstance(call.args[0], ast.Constant):
            mode = str(call.args[0].value)
        return mode is not None and any(c in mode for c in WRITE_MODES)
    return isinstance(f, ast.Attribute) and f.attr in WRITING_ATTRS and not (
        f.attr in ("replace", "copy", "dump") and not _file_like(f)
    )


def _file_like(f: ast.Attribute) -> bool:
    """``os.replace``/``shutil.copy``/``json.dump``, not ``str.replace``/``dict.copy``."""
    return isinstance(f.value, ast.Name) and f.value.id in ("os", "shutil", "json", "pickle")


def _guarded(parents: list[ast.AST]) -> bool:
    for node in parents:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                c = item.context_expr
                if isinstance(c, ast.Call) and _name(c.func) == "atomic_output":
                    return True
        if isinstance(node, ast.Call) and _name(node.func) == "write_output":
            return True
    return False


def _name(f: ast.AST) -> str:
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def unguarded_writers(root: Path) -> list[str]:
    """``module:call`` of every file-writing call under ``root`` outside descend/io that is
    neither inside the writer nor allowed with a reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("io/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
        while stack:
            node, parents = stack.pop()
            if isinstance(node, ast.Call) and _is_writer_call(node) and not _guarded(parents):
                key = f"{rel}:{ast.unparse(node)}"
                if key not in ALLOWED:
                    found.append(f"{key} (line {node.lineno})")
            for child in ast.iter_child_nodes(node):
                stack.append((child, [*parents, node]))
    return found


def test_every_writer_in_the_source_goes_through_the_one_writer() -> None:
    assert unguarded_writers(SRC) == []


def test_the_allow_list_is_not_stale() -> None:
    """Each allowed call still exists (a stale entry could hide a new writer of that name)."""
    sources = {p.relative_to(SRC).as_posix(): p.read_text() for p in SRC.rglob("*.py")}
    for key in ALLOWED:
        rel, _, call = key.partition(":")
        tree = ast.parse(sources[rel])
        calls = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert call in calls, key


@pytest.mark.parametrize(
    "planted",
    [
        "def leak(p):\n    open(p, 'w').write('x')\n",
        "def leak(p, fig):\n    fig.savefig(p)\n",
        "def leak(p):\n    p.write_text('x')\n",
        "import json\ndef leak(obj, fh):\n    json.dump(obj, fh)\n",
        "import os\ndef leak(a, b):\n    os.replace(a, b)\n",
    ],
)
def test_a_planted_writer_that_bypasses_the_writer_is_found(tmp_path: Path, planted: str) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "leak.py").write_text(planted)
    (tmp_path / "models" / "fine.py").write_text(
        "from descend.io import atomic_output\n"
        "def ok(p):\n    with atomic_output(p) as tmp:\n        tmp.write_text('x')\n"
    )
    found = unguarded_writers(tmp_path)
    assert len(found) == 1 and found[0].startswith("models/leak.py:"), found


# --- the command line ------------------------------------------------------------------

#: command -> the arguments that make it run, with {out} for the file it writes.
#: Every writing option of every command must be here (the test below enumerates them).
CASES = {
    ("fit", "--save"): ["fit", "{data}", "--save", "{out}.json"],
    ("fit", "--plot"): ["fit", "{data}", "--plot", "{out}.png"],
    ("fit", "--html"): ["fit", "{data}", "--html", "{out}.html"],
    ("fit", "--checkpoint"): ["fit", "{data}", "--checkpoint", "{out}.json"],
    ("sweep", "--plot"): ["sweep", "{data}", "--plot", "{out}.png"],
    ("sweep", "--html"): ["sweep", "{data}", "--html", "{out}.html"],
    ("minimize", "--plot"): ["minimize", "x**2 + y**2", "--start", "1,1", "--plot", "{out}.png"],
    ("minimize", "--animate"): ["minimize", "x**2 + y**2", "--start", "1,1", "--animate",
                                "{out}.gif"],
    ("minimize", "--html"): ["minimize", "x**2 + y**2", "--start", "1,1", "--html", "{out}.html"],
    ("plot", "--out"): ["plot", "x**2 + y**2", "--out", "{out}.png"],
    ("explore", "--html"): ["explore", "{data}", "--html", "{out}.html"],
}

WRITE_WORDS = ("write", "save", "the page", "the file to")


def _writing_options() -> set[tuple[str, str]]:
    """(command, option) of every option whose help or name says it writes a file."""
    from typer.main import get_command

    from descend.cli.app import app
    from descend.cli.commands import register

    register(None)
    group = get_command(app)
    found = set()
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        for param in cmd.params:
            opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
            if not opts or getattr(param, "is_flag", False):
                continue
            text = (getattr(param, "help", "") or "").lower()
            if opts[0] in ("--save", "--plot", "--html", "--animate", "--out", "--checkpoint") or (
                any(w in text for w in WRITE_WORDS) and "resume" not in opts[0]
                and param.type.name in ("text", "path")
            ):
                found.add((name, opts[0]))
    return found


def test_every_writing_option_has_a_hostile_case() -> None:
    missing = _writing_options() - set(CASES)
    assert not missing, f"writing options without a case in CASES: {sorted(missing)}"


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]}{c[1]}")
@pytest.mark.parametrize("link", ["symlink", "hardlink", "file-url", "existing"])
def test_no_writing_option_overwrites_the_data_or_an_existing_file(
    tmp_path: Path, case: tuple[str, str], link: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from descend.cli.app import main

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "d.csv"
    data.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(20)))
    before = data.read_bytes()
    args = CASES[case]
    ext = next(a for a in args if "{out}" in a).split("{out}")[1]
    out = tmp_path / f"o{ext}"
    if link == "symlink":
        out.symlink_to(data)
    elif link == "hardlink":
        os.link(data, out)
    elif link == "file-url":
        out.symlink_to(data)
    else:
        out.write_bytes(b"mine")
    data_arg = data.as_uri() if link == "file-url" else str(data)
    argv = [a.replace("{data}", data_arg).replace("{out}" + ext, str(out)) for a in args]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("descend: error: " + case[1]), err
    assert data.read_bytes() == before
    if link == "existing":
        assert out.read_bytes() == b"mine" and "--force" in err
    assert [n for n in os.listdir(tmp_path) if ".tmp" in n] == []
