"""The accuracy/speed grid: descend's default fit vs ``numpy.linalg.lstsq``, scikit-learn and
statsmodels.

n in {1e4, 1e6} (``--big``: also 1e7), d in {5, 20, 100}, four designs:

- ``well``: integer columns uniform in [-2^12, 2^12) (condition ~1);
- ``badly``: the same, column j multiplied by 2^e_j, e_j from -10 to 10 (scales 1e-3..1e3);
- ``correlated``: ``x_j = base * 2^20 + e_j`` with ``base`` uniform in [0, 2^10) and ``e_j``
  in [-4, 4] (condition of the standardised design ~1e8);
- ``mixed``: Gaussian rows mixed through singular values 1..1e-8 plus 5 (the issue's correlated
  design), rounded to multiples of 2^-28 (condition ~1e8).

``y = 3 + X beta + noise`` with integer ``beta`` in [-3, 3] and integer noise in
[-2^20, 2^20): every number is an integer (times a power of two) below 2^53, exact in float64.

**Correct digits are measured against the exact least-squares answer at every n** (see
``benchmarks/_grid_data.py``), kept in ``--cache DIR`` keyed by (n, d, design, seed): at
n = 1e7, d = 100 it takes minutes. Digits = the fewest correct significant digits over
intercept and coefficients (17 = exact to the last bit), deterministic.

Times: wall and process CPU time, best of ``--repeat`` (5) interleaved in this process (each
contender meets the same load; from ``--large`` elements n d, the counts of ``--repeat-large``,
e.g. ``descend=2,lstsq=2,sklearn=1,statsmodels=1``, said in the row) where every contender's
copies fit ``--inproc-gb`` (6 GB);
otherwise (n = 1e7) the design is written to ``--dir`` as ``.npy`` and each contender runs in
its own process mapping it (``benchmarks/_grid_peer.py``), interleaved rounds, best of
``--repeat-big`` (2); a contender whose copies exceed ``--mem-gb`` (16.5 GB) is skipped and the
table says so (as is one above ``--max-n``). The load average is printed before and after: on a shared machine the wall
times are noisy.

    python -m benchmarks.bench_grid [--big] [--n 10000,1000000] [--d 5,20,100]
        [--designs well,badly,correlated,mixed] [--repeat 5] [--repeat-big 2] [--cache DIR]
        [--dir /tmp/bench/grid] [--mem-gb 16.5] [--max-n statsmodels=1000000]
        [--large 2e7 --repeat-large descend=2,lstsq=2,sklearn=1,statsmodels=1] [--json out.json]
    python -m benchmarks.bench_grid --precompute --big --cache ~/.cache/descend-bench
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks._cli import parser, write_json
from benchmarks._grid_data import (
    DESIGNS,
    cached_answer,
    design,
    digits,
    exact_answer,
    kind_scaled_y,
    precompute,
    store_answer,
    write_design,
)
from benchmarks._grid_peer import (
    BUDGET_GB,
    DIAGNOSIS,
    available,
    fitter,
    needs_gb,
    plan,
    timed,
    warm_up,
)

__all__ = ["DESIGNS", "cell", "design", "digits", "exact_answer", "kind_scaled_y", "run"]

ROOT = Path(__file__).resolve().parent.parent


def _reference(n: int, d: int, kind: str, seed: int, cache: str | None,
               X: np.ndarray, y: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, float]:
    """The exact answer (cached when ``cache`` is given) and the seconds it took (0: cached)."""
    ref = cached_answer(cache, n, d, kind, seed)
    if ref is not None:
        return ref, 0.0
    t0 = time.perf_counter()
    ref = exact_answer(X, y, e)
    took = time.perf_counter() - t0
    store_answer(cache, n, d, kind, seed, ref, took)
    return ref, took


def runs_of(peers: tuple[str, ...], n: int, d: int, repeat: int, large: float,
            repeat_large: dict[str, int] | None) -> dict[str, int]:
    """How many timed fits each contender gets in one cell (best of them is kept): ``repeat``,
    or where the design has ``n d >= large`` elements its count in ``repeat_large`` (make
    bench: descend and lstsq 2, scikit-learn and statsmodels 1; their digits do not depend on
    the count, and the Done-when compares descend with lstsq only)."""
    fewer = repeat_large if n * d >= large and repeat_large else {}
    return {p: max(1, min(repeat, fewer.get(p, repeat))) for p in peers}


def _in_process(n: int, d: int, kind: str, seed: int, runs: dict[str, int], cache: str | None,
                skip: dict[str, str | None]) -> tuple[dict[str, Any], np.ndarray, float, float]:
    t0 = time.perf_counter()
    X, y, e = design(n, d, kind, seed)
    made = time.perf_counter() - t0
    ref, took = _reference(n, d, kind, seed, cache, X, y, e)
    fits = {p: fitter(p) for p, why in skip.items() if why is None}
    res: dict[str, Any] = {p: {"wall": np.inf, "cpu": np.inf} for p in fits}
    res.update({p: {"skipped": why} for p, why in skip.items() if why is not None})
    for k in range(max(runs.values(), default=0)):  # interleaved: each meets the same load
        for p, fit in fits.items():
            if k >= runs[p]:
                continue
            est, wall, cpu = timed(fit, X, y)
            r = res[p]
            r["est"], r["wall"], r["cpu"] = est, min(r["wall"], wall), min(r["cpu"], cpu)
            if p == "descend":
                r.update(DIAGNOSIS)
    return res, ref, took, made


def _child(peer: str, px: Path, py: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, "-m", "benchmarks._grid_peer", peer, str(px),
                           str(py)], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    r["est"] = np.array([float.fromhex(v) for v in r["est"]])
    return dict(r)


def _own_processes(n: int, d: int, kind: str, seed: int, repeat: int, cache: str | None,
                   folder: Path, skip: dict[str, str | None]
                   ) -> tuple[dict[str, Any], np.ndarray, float, float]:
    ref = cached_answer(cache, n, d, kind, seed)
    t0 = time.perf_counter()
    # one file per design, written once and mapped by every contender in turn
    px, py, exact = write_design(folder, n, d, kind, seed, exact=ref is None)
    took, made = 0.0, time.perf_counter() - t0
    if ref is None:
        assert exact is not None
        ref, took = exact, made
        store_answer(cache, n, d, kind, seed, ref, took)
    res: dict[str, Any] = {}
    try:
        for p, why in skip.items():
            res[p] = {"skipped": why} if why else {"wall": np.inf, "cpu": np.inf}
        for _ in range(repeat):
            for p in (p for p, why in skip.items() if why is None):
                r = _child(p, px, py)
                if "error" in r or "error" in res[p]:
                    res[p] = {"error": r.get("error", res[p].get("error"))}
                    continue
                best = res[p]
                best["est"], best["peak_rss_GB"] = r["est"], r["peak_rss_GB"]
                best["wall"], best["cpu"] = min(best["wall"], r["wall"]), min(best["cpu"], r["cpu"])
                best.update({k: r[k] for k in ("kappa", "trusted") if k in r})
    finally:
        px.unlink(missing_ok=True)
        py.unlink(missing_ok=True)
    return res, ref, took, made


def cell(n: int, d: int, kind: str, repeat: int = 5, cache: str | None = None, *, seed: int = 0,
         repeat_big: int = 2, inproc_gb: float = 6.0, budget_gb: float = BUDGET_GB,
         folder: str | Path = "/tmp/bench/grid", max_n: dict[str, int] | None = None,
         large: float = float("inf"), repeat_large: dict[str, int] | None = None
         ) -> dict[str, Any]:
    """One cell: every contender's best wall and CPU time and its correct digits (``max_n``:
    the largest n a contender runs at; ``large``, ``repeat_large``: :func:`runs_of`)."""
    t0 = time.perf_counter()
    skip = plan(available(), n, d, budget_gb, max_n)
    inproc = max((needs_gb(p, n, d) for p, why in skip.items() if why is None),
                 default=0.0) <= inproc_gb
    if inproc:
        runs = runs_of(tuple(skip), n, d, repeat, large, repeat_large)
        res, ref, took, made = _in_process(n, d, kind, seed, runs, cache, skip)
    else:
        runs = dict.fromkeys(skip, repeat_big)
        res, ref, took, made = _own_processes(n, d, kind, seed, repeat_big, cache, Path(folder),
                                              skip)
    row: dict[str, Any] = {"n": n, "d": d, "design": kind, "seed": seed,
                           "mode": "interleaved in one process" if inproc else
                           "each contender in its own process",
                           "repeat": max(runs.values(), default=0),
                           "runs": {p: k for p, k in runs.items() if skip.get(p) is None},
                           "reference_s": round(took, 1), "design_s": round(made, 1)}
    for p, r in res.items():
        if "skipped" in r or "error" in r:
            row[f"{p}_skipped" if "skipped" in r else f"{p}_error"] = r.get("skipped", r.get("error"))
            continue
        row[f"{p}_s"], row[f"{p}_cpu_s"] = r["wall"], r["cpu"]
        row[f"{p}_digits"] = round(digits(r["est"], ref), 2)
        if "peak_rss_GB" in r:
            row[f"{p}_peak_rss_GB"] = round(r["peak_rss_GB"], 2)
        if "trusted" in r:
            row["kappa"], row["trusted"] = r["kappa"], r["trusted"]
            row["trusted_honest"] = bool(r["trusted"] <= row[f"{p}_digits"] + 0.5)
    if "descend_s" in row and "lstsq_s" in row:
        row["time_ratio_lstsq"] = row["descend_s"] / row["lstsq_s"]
        row["cpu_ratio_lstsq"] = row["descend_cpu_s"] / row["lstsq_cpu_s"]
        row["digits_minus_lstsq"] = round(row["descend_digits"] - row["lstsq_digits"], 2)
    row["cell_s"] = round(time.perf_counter() - t0, 1)
    return row


def _load() -> str:
    try:
        return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "load average unknown"


def _fmt(r: dict[str, Any], key: str, width: int, prec: int) -> str:
    v = r.get(key)
    return f"{v:{width}.{prec}f}" if isinstance(v, float) else "skip".rjust(width)


def _print_row(r: dict[str, Any], peers: tuple[str, ...]) -> None:
    dig = " ".join(_fmt(r, f"{p}_digits", 6, 2) for p in peers)
    wall = " ".join(_fmt(r, f"{p}_s", 7, 3) for p in peers)
    cpu = " ".join(_fmt(r, f"{p}_cpu_s", 7, 3) for p in peers)
    ratio = (f"x{r['time_ratio_lstsq']:.2f}, x{r['cpu_ratio_lstsq']:.2f}, "
             f"{r['digits_minus_lstsq']:+.2f}" if "time_ratio_lstsq" in r else "no lstsq")
    notes = [f"{k.split('_')[0]} {v}" for k, v in r.items() if k.endswith(("_skipped", "_error"))]
    counts = [str(r.get("runs", {}).get(p, "-")) for p in peers]
    if len(set(counts) - {"-"}) > 1:  # fewer fits for some contenders: said in the row
        notes.append("best of " + "/".join(counts))
    if "cell_s" in r:
        notes.append(f"cell {r['cell_s']:.0f} s, design {r.get('design_s', 0):.0f} s"
                     + (f", exact answer {r['reference_s']:.0f} s" if r.get("reference_s") else ""))
    kappa, trust = r.get("kappa", float("nan")), r.get("trusted", -1)
    print(f"{r['n']:8d} {r['d']:3d} {r['design']:10s} {kappa:8.2g} {trust:5d} | {dig} | {wall} | {cpu} | {ratio}"
          + (f"  [{'; '.join(notes)}]" if notes else ""), flush=True)


def run(json_path: str | None = None, *, ns: tuple[int, ...] | None = None,
        ds: tuple[int, ...] = (5, 20, 100), big: bool = False, quick: bool = False,
        designs: tuple[str, ...] = DESIGNS, repeat: int = 5, repeat_big: int = 2,
        cache: str | None = None, folder: str = "/tmp/bench/grid", budget_gb: float = BUDGET_GB,
        seed: int = 0, max_n: dict[str, int] | None = None, large: float = float("inf"),
        repeat_large: dict[str, int] | None = None) -> dict[str, Any]:
    if ns is None:
        ns = (10_000,) if quick or os.environ.get("DESCEND_BENCH_QUICK") else (10_000, 1_000_000)
        ns = ns + ((10_000_000,) if big else ())
    peers = available()
    for p in peers:  # imports and compiled kernels loaded outside the timing
        warm_up(p, fitter(p))
    rows = []
    start_load = _load()
    fewer = (f" (from n d >= {large:.0e} elements: best of "
             + ", ".join(f"{v} {p}" for p, v in repeat_large.items() if v < repeat) + ")"
             if repeat_large and large < float("inf") and
             any(v < repeat for v in repeat_large.values()) else "")
    timing = (f"in process: best of {repeat}{fewer}, interleaved; above it: each contender in "
              f"its own process, best of {repeat_big} interleaved rounds")
    print(f"{os.cpu_count()} CPUs, {start_load}; {timing}, memory budget {budget_gb:g} GB; "
          "CPU s = process time (all threads)")
    names = " ".join(p[:7] for p in peers)
    print(f"{'n':>8s} {'d':>3s} {'design':10s} {'kappa':>8s} {'trust':>5s} | digits: {names} | wall s: {names} | "
          f"CPU s: {names} | descend/lstsq wall, CPU, digits")
    for n in ns:
        for d in ds:
            for kind in designs:
                r = cell(n, d, kind, repeat, cache, seed=seed, repeat_big=repeat_big,
                         budget_gb=budget_gb, folder=folder, max_n=max_n, large=large,
                         repeat_large=repeat_large)
                rows.append(r)
                _print_row(r, peers)
    shutil.rmtree(folder, ignore_errors=True)
    both = [r for r in rows if "digits_minus_lstsq" in r]
    short = [r for r in both if r["digits_minus_lstsq"] < -0.3]
    dishonest = [r for r in rows if not r.get("trusted_honest", True)]
    unmeasured = (f" ({len(rows) - len(both)} cells without descend and lstsq both measured)"
                  if len(both) < len(rows) else "")
    print(f"cells with descend > 0.3 digits short of lstsq: {len(short)} of {len(both)}"
          f"{unmeasured}; trusted_digits_ above the digits (+0.5): {len(dishonest)}; {_load()}")
    out = {"rows": rows, "peers": list(peers), "load": [start_load, _load()],
           "cpus": os.cpu_count(), "timing": timing,
           "reference": "exact rational least squares (integer moments)"}
    write_json(json_path, out)
    return out


if __name__ == "__main__":
    ap = parser(__doc__)
    ap.add_argument("--big", action="store_true", help="also n = 1e7")
    ap.add_argument("--n", default=None, help="comma-separated n (default 10000,1000000)")
    ap.add_argument("--d", default="5,20,100")
    ap.add_argument("--designs", default=",".join(DESIGNS), help="comma-separated designs")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each contender (best kept)")
    ap.add_argument("--repeat-big", type=int, default=2,
                    help="rounds where each contender runs in its own process (n = 1e7)")
    ap.add_argument("--cache", default=None, help="folder keeping the exact answers")
    ap.add_argument("--dir", default="/tmp/bench/grid", help="folder of the n = 1e7 designs")
    ap.add_argument("--mem-gb", type=float, default=BUDGET_GB,
                    help="memory a contender's process may use; above it the contender is skipped")
    ap.add_argument("--max-n", default=None,
                    help="largest n per contender, e.g. statsmodels=1000000 (comma-separated)")
    ap.add_argument("--large", type=float, default=float("inf"),
                    help="from this many elements n d, the counts of --repeat-large apply")
    ap.add_argument("--repeat-large", default=None,
                    help="fits per contender on large cells, e.g. descend=2,lstsq=2,sklearn=1")
    ap.add_argument("--precompute", action="store_true",
                    help="only fill --cache with the exact answers of these cells (no timing)")
    a = ap.parse_args()
    ns_arg = tuple(int(float(v)) for v in a.n.split(",")) if a.n else None
    if a.precompute:
        if not a.cache:
            ap.error("--precompute needs --cache DIR")
        ns_pre = ns_arg or ((10_000, 1_000_000) + ((10_000_000,) if a.big else ()))
        precompute(a.cache, ns_pre, tuple(int(v) for v in a.d.split(",")),
                   tuple(a.designs.split(",")))
        sys.exit(0)
    run(a.json, ns=ns_arg, ds=tuple(int(v) for v in a.d.split(",")), big=a.big,
        designs=tuple(a.designs.split(",")), repeat=a.repeat, repeat_big=a.repeat_big,
        cache=a.cache, folder=a.dir, budget_gb=a.mem_gb,
        max_n={k: int(float(v)) for k, v in (s.split("=") for s in a.max_n.split(","))}
        if a.max_n else None, large=a.large,
        repeat_large={k: int(v) for k, v in (s.split("=") for s in a.repeat_large.split(","))}
        if a.repeat_large else None)
    sys.exit(0)
