"""Start-up of the ``descend`` command, as a multiple of ``python -c 'import numpy'``.

Each command is run as a whole process (median of ``repeat`` runs, after one warm-up run that
fills the OS file cache and numba's kernel cache); the ratio to the NumPy import, measured in
the same run, is what the engine issue's targets are written in:
``descend --help`` <= 2x, ``descend fit examples/houses.csv --json`` <= 3.5x,
``descend gradient 'x**2 + y**2' --at 3,1`` <= 6x, and issue 22's ``descend plot`` (the
tutorial's picture, written to a temporary folder) <= 6x, read beside matplotlib's own floor
(a Figure on the Agg canvas with one line, saved as descend saves). Each row also shows the processes'
CPU time (user + system, median), which a busy machine inflates less than the wall time.

descend's own modules are byte-compiled first, as ``pip install`` does: an editable install
run with ``PYTHONDONTWRITEBYTECODE=1`` (this project's development machine sets it) would
otherwise compile every module from source on every start (~25 ms of ``--help``, ~50 ms of a
fit), which no installed copy does, while NumPy is measured from its compiled files.

    python -m benchmarks.bench_startup [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The console script users run (beside this Python), else the module.
_SCRIPT = Path(sys.executable).parent / "descend"
DESCEND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "descend"]

#: (name, argv, target ratio to the NumPy import)
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("python -c 'import numpy'", [sys.executable, "-c", "import numpy"], None),
    ("descend --help", [*DESCEND, "--help"], 2.0),
    ("descend gradient 'x**2 + y**2' --at 3,1", [*DESCEND, "gradient", "x**2 + y**2", "--at", "3,1"], 6.0),
    ("descend minimize 'x**2 + x*y + y**2' --start 3,1",
     [*DESCEND, "minimize", "x**2 + x*y + y**2", "--start", "3,1"], None),
    ("descend fit examples/houses.csv --json", [*DESCEND, "fit", "examples/houses.csv", "--json"], 3.5),
    # The floor under any picture: matplotlib's Figure on the Agg canvas, one line, saved as
    # descend saves (no descend, no SymPy); no target, the plot row reads against it.
    ("matplotlib alone: Figure + Agg, one line, savefig",
     [sys.executable, "-c", "from matplotlib.figure import Figure\n"
      "from matplotlib.backends.backend_agg import FigureCanvasAgg\n"
      "fig = Figure(layout='constrained'); FigureCanvasAgg(fig); fig.add_subplot().plot([0, 1])\n"
      "fig.savefig('{tmp}/floor.png', dpi=150, bbox_inches='tight')"], None),
    ("descend plot 'x**2 + y**2' --start 3,1 --optimizer gd ... --out field.png",
     [*DESCEND, "plot", "x**2 + y**2", "--start", "3,1", "--optimizer", "gd", "--lr", "0.1",
      "--max-iter", "40", "--out", "{tmp}/field.png", "--force"], 6.0),
]


def _cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _time(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` runs of ``argv``, after one warm-up run."""
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)  # warm-up
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-300:]}")
    times, cpus = [], []
    for _ in range(repeat):
        c0, t0 = _cpu(), time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return statistics.median(times), statistics.median(cpus)


def _byte_compile() -> None:
    """Write descend's ``.pyc`` files, as ``pip install`` does for an installed package."""
    import compileall

    import descend

    compileall.compile_dir(Path(descend.__file__).parent, quiet=1)


def run(json_path: str | None = None, *, repeat: int = 5) -> dict[str, Any]:
    _byte_compile()
    rows: list[dict[str, Any]] = []
    base = base_cpu = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv, target in COMMANDS:
            t, cpu = _time([a.replace("{tmp}", tmp) for a in argv], repeat)
            base = t if base is None else base
            base_cpu = cpu if base_cpu is None else base_cpu
            rows.append({"command": name, "seconds": t, "ratio": t / base, "target": target,
                         "cpu_seconds": cpu, "cpu_ratio": cpu / base_cpu})
    print(f"{'command':58s} {'median s':>9s} {'x numpy':>8s} {'target':>7s}  "
          f"{'cpu s':>6s} {'x numpy':>8s}")
    for r in rows:
        goal = "" if r["target"] is None else f"<= {r['target']:g}"
        mark = "" if r["target"] is None else ("  ok" if r["ratio"] <= r["target"] else "  MISSED")
        print(f"{r['command'][:58]:58s} {r['seconds']:9.3f} {r['ratio']:8.2f} {goal:>7s}  "
              f"{r['cpu_seconds']:6.3f} {r['cpu_ratio']:8.2f}{mark}")
    out = {"repeat": repeat, "rows": rows}
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    run(a.json, repeat=a.repeat)


if __name__ == "__main__":
    main()
