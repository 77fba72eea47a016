"""CSV load time: descend.data.load_table against polars and PyArrow reading the same file.

Default 10^6 x 11 (about 0.2 GB); ``--big`` for the issue's 10^7 x 11 (about 2 GB of text).

    python -m benchmarks.bench_load [--rows 1000000] [--big] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _write(path: Path, rows: int, cols: int = 11) -> None:
    import polars as pl

    rng = np.random.default_rng(0)
    df = pl.DataFrame({f"c{j}": rng.standard_normal(rows) for j in range(cols)})
    df.write_csv(path)


def _time(fn: Any, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(json_path: str | None = None, *, rows: int = 1_000_000) -> dict[str, Any]:
    import polars as pl
    import pyarrow.csv as pacsv

    from descend.data import load_table

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        _write(path, rows)
        size = path.stat().st_size
        times = {
            "descend load_table (to float64 X, y)": _time(lambda: load_table(path)),
            "polars read_csv": _time(lambda: pl.read_csv(path)),
            "polars read_csv + to_numpy": _time(lambda: pl.read_csv(path).to_numpy()),
            "pyarrow read_csv": _time(lambda: pacsv.read_csv(path)),
        }
    fastest = min(v for k, v in times.items() if not k.startswith("descend"))
    out = [
        {"reader": k, "seconds": v, "vs_fastest_peer": v / fastest, "GB_per_s": size / v / 1e9}
        for k, v in times.items()
    ]
    print(f"CSV {rows} x 11, {size / 1e6:.0f} MB")
    print(f"{'reader':40} {'seconds':>8} {'GB/s':>6} {'x fastest':>10}")
    for r in out:
        print(
            f"{r['reader']:40} {r['seconds']:8.3f} {r['GB_per_s']:6.2f} {r['vs_fastest_peer']:10.2f}"
        )
    result = {"benchmark": "load", "rows": rows, "bytes": size, "rows_table": out}
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big", action="store_true", help="10^7 rows (about 2 GB)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    run(a.json, rows=10_000_000 if a.big else a.rows)
