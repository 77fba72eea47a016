"""Run every ``benchmarks/bench_*.py`` module's ``run(json_path=None)``; write one JSON.

    python -m benchmarks [--json PATH] [--quick] [--only NAME[,NAME]]

Each module prints its own table; the combined JSON holds each module's returned dict under
its name, plus the machine it ran on. ``--quick`` passes ``quick=True`` to modules that accept
it (and sets ``DESCEND_BENCH_QUICK=1``), and shrinks the known size arguments of the others.
A module that fails is reported and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

# Size arguments of the other modules, shrunk by --quick when their run() accepts them.
QUICK_SIZES = {"n": 100_000, "rows": 100_000, "steps": 20_000}


def _modules(only: list[str] | None) -> list[str]:
    here = Path(__file__).resolve().parent
    names = sorted(p.stem for p in here.glob("bench_*.py"))
    if only:
        names = [n for n in names if n in only or n.removeprefix("bench_") in only]
    return names


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as fh:
            info["mem_GB"] = round(int(fh.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the combined figures here")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run in seconds")
    ap.add_argument("--only", default=None, help="comma-separated module names (e.g. scale,fit)")
    a = ap.parse_args(argv)
    if a.quick:
        os.environ["DESCEND_BENCH_QUICK"] = "1"
    here = str(Path(__file__).resolve().parent.parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    combined: dict[str, Any] = {"machine": _machine(), "quick": a.quick, "results": {}}
    failed = []
    for name in _modules(a.only.split(",") if a.only else None):
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"benchmarks.{name}")
            params = inspect.signature(mod.run).parameters
            kwargs: dict[str, Any] = {}
            if a.quick:
                if "quick" in params:
                    kwargs["quick"] = True
                kwargs.update({k: v for k, v in QUICK_SIZES.items() if k in params})
            combined["results"][name] = mod.run(None, **kwargs)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            combined["results"][name] = {"error": traceback.format_exc().splitlines()[-1]}
        combined["results"].setdefault(name, {})
        print(f"({name}: {time.perf_counter() - t0:.1f} s)", flush=True)
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(combined, indent=1, default=str))
        print(f"\nwrote {a.json}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
