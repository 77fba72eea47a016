"""Run every ``benchmarks/bench_*.py`` module's ``run(json_path=None, ...)``; one JSON, one summary.

    python -m benchmarks [--json PATH] [--md PATH] [--quick] [--only NAME[,NAME]] [--merge]
        [--module-defaults] [--cache DIR]

This is what ``make bench`` runs. Each module prints its own table, at the sizes of
:data:`SIZES` (chosen so that the whole job takes <= 35 minutes on a quiet 2-core machine; see
benchmarks/README.md) or, with ``--module-defaults``, at each module's own defaults (hours).
At the end it prints issue 22's "Done when" item by item (``benchmarks/_summary.py``), each
with this run's figures, the goal and met / not met computed from them, the job's time and its
peak memory (the whole process tree, ``benchmarks/_memory.py``). The JSON holds each module's
result under its name, its time, the summary and the machine; ``--md`` writes the summary as
a markdown table.

``--quick`` passes ``quick=True`` to modules that accept it (and sets ``DESCEND_BENCH_QUICK=1``)
and shrinks the known size arguments of the others: a smoke run. ``--only`` reruns some
modules (``grid``, ``scale``, ...); with ``--merge`` their results replace those in the
existing ``--json`` file and the summary is computed again from the merged figures (each
module keeps the UTC time it ran). A module that fails is reported and the others still run;
the exit status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks._memory import PeakMemory
from benchmarks._summary import as_markdown, as_text, summarise

ROOT = Path(__file__).resolve().parent.parent
#: the grid's exact answers (minutes each at n = 1e7), shared by every checkout of the machine
CACHE = os.environ.get("DESCEND_BENCH_CACHE", str(Path.home() / ".cache" / "descend-bench"))

# Size arguments of the other modules, shrunk by --quick when their run() accepts them.
QUICK_SIZES = {"n": 100_000, "rows": 100_000, "steps": 20_000}

#: ``make bench``'s sizes: issue 22's cells at full size; the other modules shrunk to what
#: their tables need (benchmarks/README.md says why each).
SIZES: dict[str, dict[str, Any]] = {  # in the order they run: the grid, the longest, last
    "bench_startup": {"repeat": 5},
    "bench_loop": {"steps": 50_000, "repeat": 3},
    "bench_second_order": {},
    "bench_load": {"rows": 1_000_000},
    "bench_fit": {"n": 1_000_000, "d": 20},
    "bench_accuracy": {"n": 200_000},
    "bench_analyst": {"repeat": 2},
    # one cold and one warm run per loss (was best of 2): each costs a ~25-30 s compile
    "bench_cold_start": {"rows": 1_000_000, "repeat": 1},
    "bench_bigfile": {"repeat": 3},
    # dask-ml one fit (~25 s each; its row is context, not a goal), not 3
    "bench_scale": {"shapes": [(10**7, 10), (10**7, 100)], "repeat": 3, "float32": False,
                    "stream_rows": 10**7, "ml_repeat": 1},
    # from n d >= 2e7 (one lstsq or scikit-learn fit >= 0.7 s): descend and lstsq best of 2,
    # scikit-learn and statsmodels one fit (their digits do not depend on it; the Done-when
    # compares descend with lstsq): 6-7 of the grid's 31 minutes on 2026-12-07
    "bench_grid": {"big": True, "repeat": 3, "repeat_big": 1, "large": 2e7,
                   "repeat_large": {"descend": 2, "lstsq": 2, "sklearn": 1, "statsmodels": 1},
                   "max_n": {"statsmodels": 1_000_000}},
}


def _modules(only: list[str] | None) -> list[str]:
    here = Path(__file__).resolve().parent
    found = {p.stem for p in here.glob("bench_*.py")}
    names = [n for n in SIZES if n in found] + sorted(found - set(SIZES))
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
            fields = dict(line.split(":", 1) for line in fh.read().split("\n\n")[0].splitlines()
                          if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["cpu"] = fields.get("model name", "")
        # the family and model name the microarchitecture where the brand string does not
        # ("AMD EPYC": family 23 is Zen 1/2, 25 Zen 3/4); the vector units set the FMA peak
        info["cpu_family_model"] = f"{fields.get('cpu family', '?')}/{fields.get('model', '?')}"
        flags = set(fields.get("flags", "").split())
        info["vector"] = [f for f in ("avx512f", "avx2", "fma") if f in flags]
        with open("/proc/meminfo") as fh:
            info["mem_GB"] = round(int(fh.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return info


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, check=True).stdout
        return out + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _utc() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


def module_kwargs(mod: Any, name: str, quick: bool, defaults: bool, cache: str) -> dict[str, Any]:
    """The keyword arguments ``name``'s ``run()`` gets: its size in :data:`SIZES` (none with
    ``defaults``), or the quick sizes; the grid's cache folder."""
    params = inspect.signature(mod.run).parameters
    kwargs: dict[str, Any] = {}
    if quick:
        if "quick" in params:
            kwargs["quick"] = True
        kwargs.update({k: v for k, v in QUICK_SIZES.items() if k in params})
    elif not defaults:
        kwargs.update(SIZES.get(name, {}))
    if "cache" in params:
        kwargs["cache"] = cache
    return {k: v for k, v in kwargs.items() if k in params}


def overrides(sets: list[str]) -> dict[str, dict[str, Any]]:
    """``["grid.ns=[10000000]"]`` -> ``{"bench_grid": {"ns": [10000000]}}`` (values in JSON)."""
    out: dict[str, dict[str, Any]] = {}
    for item in sets:
        key, sep, value = item.partition("=")
        module, dot, arg = key.partition(".")
        if not (sep and dot and arg):
            raise SystemExit(f"--set {item!r}: write MODULE.ARG=JSON, e.g. grid.ns=[10000000]")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise SystemExit(f"--set {item!r}: {value!r} is not JSON (e.g. 3, [5, 20], \"x\")") from None
        out.setdefault("bench_" + module.removeprefix("bench_"), {})[arg] = parsed
    return out


def _run_one(name: str, a: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    print(f"\n=== {name} ({_utc()}) ===", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    started = _utc()
    ok = True
    try:
        mod = importlib.import_module(f"benchmarks.{name}")
        kwargs = module_kwargs(mod, name, a.quick, a.module_defaults, a.cache)
        kwargs.update(overrides(a.set).get(name, {}))
        res = mod.run(None, **kwargs) or {}
    except Exception:
        traceback.print_exc()
        ok = False
        res = {"error": traceback.format_exc().splitlines()[-1]}
    wall = time.perf_counter() - t0
    res["_run"] = {"started": started, "wall_s": round(wall, 1),
                   "cpu_s_main": round(time.process_time() - c0, 1),
                   "load_after": os.getloadavg()[0]}
    print(f"({name}: {wall:.1f} s)", flush=True)
    return res, ok


def _merge_into(path: str | None, combined: dict[str, Any]) -> dict[str, Any]:
    """The earlier JSON's results with this run's on top (``--merge``)."""
    if not path or not Path(path).exists():
        return combined
    old = json.loads(Path(path).read_text())
    old.setdefault("results", {}).update(combined["results"])
    old["merged"] = old.get("merged", []) + [{"modules": list(combined["results"]),
                                              "finished": combined["finished"]}]
    return dict(old)


def _report(combined: dict[str, Any], md_path: str | None) -> None:
    items = summarise(combined["results"])
    combined["summary"] = items
    what = ("`python -m benchmarks " + " ".join(combined.get("argv", [])) + "`"
            if combined.get("argv") else "`make bench`")
    head = (f"{what} on {combined['commit']}, {combined['started']} to "
            f"{combined['finished']} ({combined['minutes']:.1f} min), load average "
            f"{combined['load'][0]:.1f} before / {combined['load'][1]:.1f} after, peak memory of "
            f"the job {combined['peak_rss_GB']:.1f} GB resident "
            f"({combined['peak_anon_GB']:.1f} GB anonymous), {combined['machine'].get('cpus')}"
            " CPUs")
    times = ", ".join(f"{k.removeprefix('bench_')} {v.get('_run', {}).get('wall_s', 0) / 60:.1f}"
                      for k, v in combined["results"].items())
    print(f"\n=== issue 22: Done when ===\n{head}\nminutes per module: {times}\n{as_text(items)}")
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(as_markdown(items, head + f".\n\nMinutes per module: {times}."))
        print(f"wrote {md_path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the combined figures here")
    ap.add_argument("--md", default=None, help="write the summary as a markdown table here")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run in minutes")
    ap.add_argument("--only", default=None, help="comma-separated module names (e.g. scale,fit)")
    ap.add_argument("--merge", action="store_true",
                    help="with --only: merge into the existing --json and summarise again")
    ap.add_argument("--module-defaults", action="store_true",
                    help="each module at its own default sizes (hours), not make bench's")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.ARG=JSON",
                    help="override one size, e.g. --set grid.ns=[10000000] (repeatable)")
    ap.add_argument("--cache", default=CACHE, help=f"the grid's exact answers [{CACHE}]")
    a = ap.parse_args(argv)
    if a.quick:
        os.environ["DESCEND_BENCH_QUICK"] = "1"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    combined: dict[str, Any] = {"machine": _machine(), "quick": a.quick, "commit": _commit(),
                                "started": _utc(), "results": {},
                                "argv": [v for v in (argv if argv is not None else sys.argv[1:])
                                         if v not in ("--json", "--md", a.json, a.md)]}
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    failed = []
    with PeakMemory() as mem:
        for name in _modules(a.only.split(",") if a.only else None):
            combined["results"][name], ok = _run_one(name, a)
            if not ok:
                failed.append(name)
    combined.update(finished=_utc(), minutes=(time.perf_counter() - t0) / 60,
                    load=[load0, os.getloadavg()[0]], peak_rss_GB=mem.rss_GB,
                    peak_anon_GB=mem.anon_GB)
    if a.merge:
        combined = _merge_into(a.json, combined)
    _report(combined, a.md)
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(combined, indent=1, default=str))
        print(f"wrote {a.json}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
