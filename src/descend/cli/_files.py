"""The CLI side of the file rules: which inputs a command reads, and where it may write.

Every output goes through :func:`descend.io.plan_output` (before the work) and
:func:`descend.io.atomic_output` (when written); see docs/input-and-output.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from descend.errors import InputError
from descend.io import STDIN, OutputPlan, data_files, plan_output, stdin_copy
from descend.io._stdin import is_stdin
from descend.io._stdin import protect as protect_stdin

FIGURE_FORMATS = (".png", ".svg", ".pdf")
ANIMATION_FORMATS = (".gif", ".mp4")
REPORT_FORMATS = (".html", ".htm")
MODEL_FORMATS = (".json",)
CHECKPOINT_FORMATS = (".json", ".npz")

_KINDS = {
    "--plot": (FIGURE_FORMATS, "figure"),
    "--residual-plot": (FIGURE_FORMATS, "figure"),
    "--animate": (ANIMATION_FORMATS, "animation"),
    "--html": (REPORT_FORMATS, "report"),
    "--save": (MODEL_FORMATS, "model"),
    "--checkpoint": (CHECKPOINT_FORMATS, "checkpoint"),
}


def guard_data(
    data: str, plan: OutputPlan, storage_options: dict[str, Any] | None = None
) -> list[Any]:
    """The files behind DATA (a literal path, a folder, or a glob), each protected as an input;
    a URL's objects (strings) are listed through fsspec, and no output can overwrite them."""
    files, _how = data_files(data, storage_options)
    plan.add_inputs(files, "the data file")  # file:// URLs too; remote objects are skipped
    if any(is_stdin(f) for f in files):
        protect_stdin(plan)  # `descend fit - --save d.csv < d.csv` must not replace d.csv
    return files


def stdin_data(data: str) -> str:
    """DATA as the readers take it: ``-`` (standard input) becomes a private local copy of it
    (:mod:`descend.io._stdin`); any other DATA is returned as it is. A URL's slow download
    shows progress lines on stderr."""
    if "://" in str(data):
        from descend.io._rate import set_progress

        set_progress(_progress_line)
    if data != STDIN:
        return data
    return str(stdin_copy())


def _progress_line(text: str) -> None:
    import sys

    from descend.cli.app import printable

    print(f"descend: {printable(text)}", file=sys.stderr, flush=True)


def plan_outputs(plan: OutputPlan, **outputs: str | None) -> dict[str, Path | None]:
    """Plan each named output (``plot=``, ``html=``, ``animate=``, ``save=``), in order."""
    planned: dict[str, Path | None] = {}
    for name, path in outputs.items():
        option = f"--{name.replace('_', '-')}"
        if path is None:
            planned[name] = None
            continue
        formats, what = _KINDS[option]
        planned[name] = plan_output(path, option, plan, formats=formats, what=what)
        if name in ("plot", "animate") and not _installed("matplotlib"):
            # refused before the run, not after it (--html needs no plotting library)
            raise InputError(
                f"{option} needs matplotlib, which is not installed; install it with: pip "
                "install 'descend[plot]' (or 'descend[all]' for everything)")
    return planned


def _installed(module: str) -> bool:
    import importlib.util
    import sys

    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def same_run(meta: dict[str, Any]) -> Any:
    """``may_replace`` for ``--checkpoint``: an existing file may be replaced without
    ``--force`` only when it is a descend checkpoint of the same run (same data, same
    settings), as when a resumed run keeps saving to the file it resumed from."""

    def check(target: Path) -> bool:
        try:
            if target.stat().st_size > 64 << 20:
                return False
            if target.suffix.lower() == ".npz":
                import numpy as np

                with np.load(target, allow_pickle=False) as z:
                    head = json.loads(str(z["header"]))
            else:
                head = json.loads(target.read_text(encoding="utf-8"))
        except Exception:  # not readable as a checkpoint: not one to replace silently
            return False
        if not isinstance(head, dict) or head.get("kind") != "descend.checkpoint":
            return False
        saved = head.get("meta")
        if not isinstance(saved, dict):
            return False
        s_data, n_data = saved.get("data"), meta.get("data") or {}
        if not isinstance(s_data, dict) or s_data.get("path") != n_data.get("path"):
            return False
        return bool(saved.get("model") == meta.get("model"))

    return check


def plan_checkpoint(
    path: str, plan: OutputPlan, meta: dict[str, Any], resume: str | None = None
) -> Path:
    """Plan ``--checkpoint``: replaceable only when it holds a checkpoint of the same run
    (it may be the checkpoint being resumed: a resumed run keeps saving where it was)."""
    formats, what = _KINDS["--checkpoint"]
    return plan_output(
        path,
        "--checkpoint",
        plan,
        formats=formats,
        what=what,
        may_replace=same_run(meta),
        may_be=resume,
    )
