"""Helpers and data shared by the hostile-input tests (imported by name, like
tests/integration/integration_data.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ENGINES = ("numpy", "stream", "dask")


def engine_args(engine: str, scheduler: str | None) -> list[str]:
    if engine == "numpy":
        return []
    if engine == "stream":
        return ["--engine", "stream"]
    return ["--engine", "dask", "--scheduler", str(scheduler)]


def run_subprocess(args: list[str], cwd: Path, **kw) -> subprocess.Popen:
    """``descend ARGS`` as a real process (for signals), with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = "import sys; from descend.cli import main; sys.argv[0] = 'descend'; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


HOUSES = "size,price\n1200,200000\n1500,250000\n1800,300000\n2100,350000\n2400,400000\n"
