"""The analyst's table at size: a formula with a 100-level text column, cluster-robust errors
over 1,000 groups and 1 % missing cells, against the numeric-only fit of the same file and
against statsmodels, from one run.

    python -m benchmarks --only analyst            # n = 1e7 (issue 21's size)
    python -m benchmarks --only analyst --quick    # n = 2e5

Each fit runs in a fresh process (``/usr/bin/time``-style peak RSS from ``resource``), so the
memory column is the whole process's high-water mark. statsmodels reads the same Parquet file
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


_JOBS = {
    "numeric": ("import descend.models as m\n"
                "from descend.scale.stream import open_source, stats_from_file\n"
                "src = open_source(PATH, target='y', features={features!r})\n"
                "st, names, _ = stats_from_file(src)\n"
                "m.LinearModel().fit_moments(st, names)\n"),
    "formula": ("from descend.models.analysis import fit_formula_file, summary_of\n"
                "summary_of(fit_formula_file(PATH, {formula!r}, cov_type='cluster', "
                "cov_kwds={{'groups': 'g'}}))\n"),
    "statsmodels": ("import pandas as pd, statsmodels.formula.api as smf\n"
                    "d = pd.read_parquet(PATH).dropna()\n"
                    "smf.ols({formula!r}, d).fit(cov_type='cluster', "
                    "cov_kwds={{'groups': d['g'].to_numpy()}})\n"),
}


def _timed(job: str, path: Path) -> dict[str, Any]:
    code = (f"import resource, time, json\nPATH = {str(path)!r}\nt = time.perf_counter()\n"
            + _JOBS[job].format(features=FEATURES, formula=FORMULA)
            + "print(json.dumps({'s': time.perf_counter() - t, 'rss_mb': "
              "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(json_path: str | None = None, quick: bool = False, n: int | None = None) -> dict:
    n = n or (200_000 if quick or os.environ.get("DESCEND_BENCH_QUICK") else 10_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path, full = Path(tmp) / "analyst.parquet", Path(tmp) / "numeric.parquet"
        t = time.perf_counter()
        make_file(path, n)
        make_file(full, n, holes=False)
        made = time.perf_counter() - t
        rows = {"numeric": _timed("numeric", full),
                **{job: _timed(job, path) for job in ("formula", "statsmodels")}}
    base = rows["numeric"].get("s")
    print(f"\nanalyst's table: n = {n:,}, 10 numeric + 100-level text + cluster column of "
          f"1,000 groups, 1 % rows with an empty cell (file made in {made:.1f} s)")
    print(f"{'fit':<44}{'time s':>10}{'x numeric':>11}{'peak MB':>10}")
    labels = {"numeric": "descend, numeric only, no holes (stream)",
              "formula": "descend --formula ... --cov cluster:g (stream)",
              "statsmodels": "statsmodels ols(formula).fit(cluster)"}
    for job, r in rows.items():
        if "error" in r:
            print(f"{labels[job]:<44}{'failed: ' + r['error']}")
            continue
        ratio = f"{r['s'] / base:.2f}" if base else "-"
        print(f"{labels[job]:<44}{r['s']:>10.2f}{ratio:>11}{r['rss_mb']:>10.0f}")
    out = {"n": n, **rows}
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
