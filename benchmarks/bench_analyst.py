"""The analyst's table at size: a formula with a 100-level text column, cluster-robust errors
over 1,000 groups and 1 % missing cells, against the numeric-only fit of the same file and
against statsmodels, from one run.

    python -m benchmarks --only analyst            # n = 1e7 (issue 21's size)
    python -m benchmarks --only analyst --quick    # n = 2e5

descend's numeric and formula fits run twice, interleaved, and the better of each is shown
(with the load average: the development machine is shared).

Each fit runs in a fresh process, and the memory column is that process's high-water mark of
resident memory (``VmHWM`` in ``/proc/self/status``). Not ``getrusage``'s ``ru_maxrss``: on Linux
it carries the parent's high-water mark across ``exec``, so every row showed at least the
benchmark's own peak (the ~500 MB it held making the file; both descend rows read 492 MB). statsmodels reads the same Parquet file
with pandas and fits ``smf.ols(formula).fit(cov_type="cluster")`` in memory; where it fails
(memory) the row says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FEATURES = [f"x{j}" for j in range(10)]
FORMULA = "y ~ " + " + ".join(FEATURES) + " + city"


def make_file(path: Path, n: int, seed: int = 0, holes: bool = True) -> None:
    """10 numeric columns, a 100-level text column, a 1,000-group cluster column, y; 1 % of
    the rows have an empty cell (0.1 % of each numeric column and of the text column).
    ``holes=False``: the same rows with no empty cell (the numeric-only baseline's file)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    levels = np.array([f"c{k:03d}" for k in range(100)], dtype=object)
    schema = pa.schema([*(pa.field(f, pa.float64()) for f in FEATURES),
                        pa.field("city", pa.string()), pa.field("g", pa.int64()),
                        pa.field("y", pa.float64())])
    with pq.ParquetWriter(path, schema) as w:
        for start in range(0, n, 1_000_000):
            m = min(1_000_000, n - start)
            X = rng.standard_normal((m, 10))
            c, g = rng.integers(0, 100, m), rng.integers(0, 1000, m)
            y = X @ np.arange(1, 11) + 0.1 * c + 0.05 * (g % 7) + rng.standard_normal(m)
            cols: dict[str, Any] = {}
            for j, f in enumerate(FEATURES):
                col = X[:, j].copy()
                col[(rng.random(m) < 0.001) & holes] = np.nan
                cols[f] = col
            city = levels[c].copy()
            city[(rng.random(m) < 0.001) & holes] = None
            w.write_table(pa.table({**cols, "city": pa.array(city, pa.string()), "g": g,
                                    "y": y}, schema=schema), row_group_size=131072)


_CLI = ("import contextlib, io\nfrom descend.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['fit', *{args!r}])\n"
        "assert code == 0, code\n")

#: Each job as a user runs it: descend's two by its command line, on its default engine.
_JOBS = {
    "numeric": _CLI.replace("{args!r}", "[PATH, '--target', 'y', '--features', {features!r}]"),
    "formula": _CLI.replace("{args!r}", "[PATH, '--formula', {formula!r}, '--cov', 'cluster:g', "
                                        "'--summary']"),
    "statsmodels": ("import pandas as pd, statsmodels.formula.api as smf\n"
                    "d = pd.read_parquet(PATH).dropna()\n"
                    "smf.ols({formula!r}, d).fit(cov_type='cluster', "
                    "cov_kwds={{'groups': d['g'].to_numpy()}})\n"),
    "pyfixest": ("import pandas as pd, pyfixest as pf\n"
                 "d = pd.read_parquet(PATH)\n"
                 "pf.feols({formula!r}, data=d, vcov={{'CRV1': 'g'}}).tidy()\n"),
}

#: Peers run under this address-space limit, so that one that needs more fails cleanly
#: (its row says so) instead of taking the machine's memory.
PEER_LIMIT_BYTES = 12 << 30


#: The child's own peak RSS in MB (``VmHWM``; ``ru_maxrss`` where /proc is absent).
_PEAK = ("peak = u.ru_maxrss / 1024\n"
         "try:\n"
         "    with open('/proc/self/status') as fh:\n"
         "        for line in fh:\n"
         "            if line.startswith('VmHWM:'):\n"
         "                peak = int(line.split()[1]) / 1024\n"
         "except OSError:\n"
         "    pass\n")


def _timed(job: str, path: Path) -> dict[str, Any]:
    code = (f"import resource, time, json\nPATH = {str(path)!r}\nt = time.perf_counter()\n"
            + _JOBS[job].format(features=",".join(FEATURES), formula=FORMULA)
            + "u = resource.getrusage(resource.RUSAGE_SELF)\n" + _PEAK
            + "print(json.dumps({'s': time.perf_counter() - t, 'cpu_s': u.ru_utime + u.ru_stime, "
              "'rss_mb': peak}))\n")
    limit = None if job in ("numeric", "formula") else _limit
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=3600, preexec_fn=limit)  # noqa: PLW1509 - a resource limit only
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (PEER_LIMIT_BYTES, PEER_LIMIT_BYTES))


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the least wall time, with every run's wall and CPU time beside it."""
    ok = [r for r in runs if "error" not in r] or runs
    best = dict(min(ok, key=lambda r: r.get("s", float("inf"))))
    best["all_s"] = [r.get("s") for r in runs]
    best["all_cpu_s"] = [r.get("cpu_s") for r in runs]
    return best


def run(json_path: str | None = None, quick: bool = False, n: int | None = None,
        repeat: int = 2) -> dict:
    """Time the four fits; descend's two ``repeat`` times, interleaved, best of them (the
    machine may be shared). The compiled kernels both use are compiled first, outside the
    timings (as ``descend doctor`` does): neither job meets its NumPy fallback or a background
    compiler."""
    from descend.kernels import warm_up

    n = n or (200_000 if quick or os.environ.get("DESCEND_BENCH_QUICK") else 10_000_000)
    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        path, full = Path(tmp) / "analyst.parquet", Path(tmp) / "numeric.parquet"
        t = time.perf_counter()
        make_file(path, n)
        make_file(full, n, holes=False)
        made = time.perf_counter() - t
        runs: dict[str, list[dict[str, Any]]] = {"numeric": [], "formula": []}
        for _ in range(max(1, repeat)):
            runs["numeric"].append(_timed("numeric", full))
            runs["formula"].append(_timed("formula", path))
        rows = {job: _best(r) for job, r in runs.items()}
        rows.update({job: _timed(job, path) for job in ("statsmodels", "pyfixest")})
    base, base_cpu = rows["numeric"].get("s"), rows["numeric"].get("cpu_s")
    print(f"\nanalyst's table: n = {n:,}, 10 numeric + 100-level text + cluster column of "
          f"1,000 groups, 1 % rows with an empty cell (file made in {made:.1f} s); descend's "
          f"rows: best of {max(1, repeat)}, interleaved; load average {os.getloadavg()[0]:.1f}")
    print(f"{'fit':<44}{'time s':>10}{'x numeric':>11}{'CPU s':>9}{'x numeric':>11}"
          f"{'peak MB':>10}")
    labels = {"numeric": "descend fit, numeric only, no holes",
              "formula": "descend fit --formula ... --cov cluster:g",
              "statsmodels": "statsmodels ols(formula).fit(cluster)",
              "pyfixest": "pyfixest feols(formula, vcov=CRV1)"}
    for job, r in rows.items():
        if "error" in r:
            print(f"{labels[job]:<44}{'failed: ' + r['error']}")
            continue
        ratio = f"{r['s'] / base:.2f}" if base else "-"
        cpu = f"{r['cpu_s'] / base_cpu:.2f}" if base_cpu else "-"
        print(f"{labels[job]:<44}{r['s']:>10.2f}{ratio:>11}{r['cpu_s']:>9.1f}{cpu:>11}"
              f"{r['rss_mb']:>10.0f}")
    out = {"n": n, "load_average": os.getloadavg(), **rows}
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
