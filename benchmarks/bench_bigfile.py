"""Big files: the default ``descend fit`` of a Parquet and a CSV file against DuckDB.

The issue's rows: a 3e7 x 10 float64 Parquet file (2.6 GB) and a 1e7 x 10 CSV (2.1 GB), the
target ``y`` the last column. Each contender runs in a fresh process, as a user would run it:

- ``descend fit FILE --target y --json`` (the CLI, default engine choice: both files stream);
- DuckDB (benchmark-only peer, default threads): the normal equations' sums in one aggregate
  query, ``count(*)``, ``sum(x_j)``, ``sum(x_j * x_k)``, ``sum(x_j * y)``, solved in NumPy
  (``numpy.linalg.solve`` of the ``(d + 1) x (d + 1)`` system ``[1 X]^T [1 X] beta = [1 X]^T y``).

Timed: wall (the whole process: start-up, imports, read, solve), CPU (user + system of the
child, from ``os.wait4``) and peak RSS (the child's ``VmHWM``, read by the child itself at
exit: Linux carries ``ru_maxrss`` over from the parent across fork + exec). Best of
``repeat``, interleaved (each contender meets the same load), warm page cache (one untimed
read of each file first).

**Correct digits against the exact answer.** Every value in the files is an integer times
2^-20 (``x = (N(0, 1) + 5)`` and ``y = 2 + x . linspace(-1, 1, d) + N(0, 1)``, rounded to
multiples of 2^-20): exact in float64 and written exactly by the CSV's shortest round-trip
decimals. The normal equations of the integers are summed exactly while the file is written
(:func:`benchmarks._grid_data.exact_gram` per chunk, Python integers across chunks) and
solved in rational arithmetic; digits = the fewest correct significant digits over intercept
and coefficients (:func:`benchmarks._grid_data.digits`, 17 = exact to the last bit).

The files are written once under ``--dir`` (default ``/tmp/descend-bigfile``) and kept for the
next run (a ``.json`` beside each holds the exact answer); ``--clean`` deletes them afterwards.

    python -m benchmarks.bench_bigfile [--quick] [--rows-parquet N] [--rows-csv N]
        [--repeat 3] [--dir DIR] [--clean] [--baseline OTHER/src] [--json out.json]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks._cli import parser, write_json

D = 10
FRAC = 20  # every value is an integer times 2^-FRAC
GROUP = 1 << 20  # rows a write chunk (and a Parquet row group)
ROWS = {"parquet": 3 * 10**7, "csv": 10**7}
QUICK_ROWS = {"parquet": 10**6, "csv": 10**6}
NAMES = tuple(f"x{j}" for j in range(1, D + 1)) + ("y",)


def _int_chunks(rows: int, seed: int = 0) -> Iterator[np.ndarray]:
    """``[X y]`` as int64 multiples of 2^-FRAC, ``GROUP`` rows at a time (deterministic)."""
    rng = np.random.default_rng(seed)
    coef = np.linspace(-1, 1, D)
    for lo in range(0, rows, GROUP):
        m = min(GROUP, rows - lo)
        X = rng.standard_normal((m, D)) + 5.0
        y = 2.0 + X @ coef + rng.standard_normal(m)
        yield np.round(np.column_stack([X, y]) * 2.0**FRAC).astype(np.int64)


def _exact_from_gram(G: list[list[int]]) -> list[float]:
    """``[b, w...]`` from the exact ``[1 X y]^T [1 X y]`` of the integers (rounded once)."""
    from benchmarks._grid_data import _bareiss

    p = D + 1
    x = _bareiss([row[:p] + [row[p]] for row in G[:p]])
    # y = 2^-F yi, X = 2^-F Xi: b = 2^-F b_i, w = w_i
    scale = [Fraction(1, 2**FRAC)] + [Fraction(1)] * D
    return [float(v * s) for v, s in zip(x, scale, strict=True)]


def write_files(folder: Path, rows: dict[str, int]) -> dict[str, Path]:
    """The Parquet and CSV files of ``rows`` rows under ``folder``, written once (cached) with
    the exact answer beside each (``.json``, float hex)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from benchmarks._grid_data import exact_gram as _exact_gram
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        from contextlib import nullcontext as threadpool_limits  # type: ignore[assignment]

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    schema = pa.schema([(nm, pa.float64()) for nm in NAMES])
    for kind, n in rows.items():
        path = folder / f"big_{n}x{D}.{kind}"
        meta = path.with_suffix(path.suffix + ".json")
        out[kind] = path
        if path.exists() and meta.exists():
            continue
        t0 = time.perf_counter()
        G = [[0] * (D + 2) for _ in range(D + 2)]
        tmp = path.with_suffix(path.suffix + ".part")
        wr = pq.ParquetWriter(tmp, schema, compression="none") if kind == "parquet" else None
        with open(tmp, "ab" if wr else "wb") as fh:
            if wr is None:
                fh.write((",".join(NAMES) + "\n").encode())
            for A in _int_chunks(n):
                with threadpool_limits(1):  # a threaded BLAS on a loaded machine: 40x slower
                    part = _exact_gram(np.column_stack([np.ones(len(A), dtype=np.int64), A]))
                G = [[a + b for a, b in zip(r, q, strict=True)] for r, q in zip(G, part, strict=True)]
                F = A.astype(np.float64) * 2.0**-FRAC
                table = pa.Table.from_arrays([pa.array(F[:, j]) for j in range(D + 1)],
                                             schema=schema)
                if wr is not None:
                    wr.write_table(table, row_group_size=GROUP)
                else:
                    pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False))
        if wr is not None:
            wr.close()
        tmp.rename(path)
        ref = _exact_from_gram(G)
        meta.write_text(json.dumps({"rows": n, "exact": [v.hex() for v in ref]}))
        print(f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB, "
              f"{time.perf_counter() - t0:.0f} s)", flush=True)
    return out


def exact(path: Path) -> np.ndarray:
    meta = json.loads(path.with_suffix(path.suffix + ".json").read_text())
    return np.array([float.fromhex(v) for v in meta["exact"]])


# ------------------------------------------------------------------------------ the children

# Runs the descend CLI exactly as the console script does, and reports its own peak RSS.
_DESCEND = r"""
import atexit, os, sys
def _hwm():
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
    os.write(2, ("\nVmHWM_kB=" + hwm + "\n").encode())
atexit.register(_hwm)
sys.argv = ["descend", *sys.argv[1:]]
from descend.cli import main
sys.exit(main())
"""

_DUCKDB = r"""
import json, os, sys, time
import duckdb
import numpy as np

from benchmarks._cli import parser, write_json
path, kind = sys.argv[1], sys.argv[2]
names = sys.argv[3].split(",")
xs, t = names[:-1], names[-1]
terms = ["count(*)"] + [f"sum({a})" for a in xs] + [f"sum({t})"]
terms += [f"sum({a} * {b})" for i, a in enumerate(xs) for b in xs[i:]]
terms += [f"sum({a} * {t})" for a in xs]
src = f"read_parquet('{path}')" if kind == "parquet" else f"read_csv('{path}', header=true)"
t0 = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it draws on stdout past 2 s
v = con.execute(f"SELECT {', '.join(terms)} FROM {src}").fetchone()
d = len(xs)
n, sx, sy = v[0], np.array(v[1 : d + 1], dtype=float), v[d + 1]
k = d + 2
S = np.zeros((d, d))
for i in range(d):
    for j in range(i, d):
        S[i, j] = S[j, i] = v[k]
        k += 1
sxy = np.array(v[k : k + d], dtype=float)
A = np.block([[np.array([[n]], dtype=float), sx[None, :]], [sx[:, None], S]])
beta = np.linalg.solve(A, np.r_[sy, sxy])
dt = time.perf_counter() - t0
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
print(json.dumps({"beta": beta.tolist(), "seconds": dt, "rows": int(n)}))
os.write(2, ("\nVmHWM_kB=" + hwm + "\n").encode())
"""


def _run(cmd: list[str], src: str | None = None) -> dict[str, Any]:
    """One child: wall, CPU (its rusage), peak RSS (its VmHWM), stdout; ``src``: the descend
    source tree it imports (``PYTHONPATH``), else the environment's."""
    env = dict(os.environ, PYTHONPATH=src) if src else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    hwm = [ln for ln in err.splitlines() if ln.startswith("VmHWM_kB=")]
    if proc.returncode != 0 or not hwm:
        tail = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("VmHWM")]
        return {"error": (tail or [f"exit {proc.returncode}"])[-1]}
    return {"wall": wall, "rss_MB": int(hwm[-1].split("=")[1]) / 1024, "stdout": out}


def _timed(cmd: list[str], src: str | None = None) -> dict[str, Any]:
    """:func:`_run` with the child's CPU time from the children's rusage delta (one child
    at a time, so the delta is that child's)."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = _run(cmd, src)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["cpu"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return res


def _last_json(out: str) -> dict[str, Any]:
    """The last line of ``out`` that holds a JSON object (a progress bar may precede it)."""
    line = [ln for ln in out.splitlines() if "{" in ln][-1]
    return dict(json.loads(line[line.index("{"):]))


def _descend(path: Path, src: str | None = None) -> dict[str, Any]:
    res = _timed([sys.executable, "-c", _DESCEND, "fit", str(path), "--target", "y", "--json"],
                 src)
    if "stdout" in res:
        js = _last_json(res.pop("stdout"))
        res["beta"] = [js["intercept"], *js["coef"]]
        res["engine"] = js.get("engine")
    return res


def _duckdb(path: Path, kind: str) -> dict[str, Any]:
    res = _timed([sys.executable, "-c", _DUCKDB, str(path), kind, ",".join(NAMES)])
    if "stdout" in res:
        js = _last_json(res.pop("stdout"))
        res["beta"] = js["beta"]
        res["query_s"] = js["seconds"]
    return res


def _warm(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def bench_file(kind: str, path: Path, repeat: int, baseline: str | None = None
               ) -> dict[str, Any]:
    """Both contenders on one file, ``repeat`` times interleaved; best wall, best CPU.
    ``baseline``: another descend source tree (``src`` folder), timed beside as ``before``."""
    from benchmarks._grid_data import digits

    ref = exact(path)
    _warm(path)
    peers: dict[str, Any] = {"descend": lambda: _descend(path)}
    if baseline:
        peers["before"] = lambda: _descend(path, baseline)
    peers["duckdb"] = lambda: _duckdb(path, kind)
    best: dict[str, dict[str, Any]] = {k: {} for k in peers}
    for _ in range(repeat):
        for name, fn in peers.items():
            r = fn()
            b = best[name]
            if "error" in r:
                b.setdefault("error", r["error"])
                continue
            for key, agg in (("wall", min), ("cpu", min), ("rss_MB", max)):
                b[key] = agg(b.get(key, r[key]), r[key])
            b["digits"] = digits(np.asarray(r["beta"]), ref)
            b.update({k: v for k, v in r.items() if k in ("engine",)})
    size = path.stat().st_size
    print(f"\n{kind}: {path} ({size / 1e9:.2f} GB), best of {repeat}, load "
          f"{os.getloadavg()[0]:.2f}")
    print(f"  {'':8} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12} {'digits':>7}  notes")
    for name, b in best.items():
        if "error" in b and "wall" not in b:
            print(f"  {name:8} failed: {b['error']}")
            continue
        note = f"engine {b['engine']}" if b.get("engine") else ""
        print(f"  {name:8} {b['wall']:7.2f} {b['cpu']:7.2f} {b['rss_MB']:12.0f} "
              f"{b['digits']:7.1f}  {note}")
    d, q = best["descend"], best["duckdb"]
    if "wall" in d and "wall" in q:
        ratio = q["wall"] / d["wall"]
        print(f"  descend's speed vs DuckDB: {ratio:.2f}x (>= 1: as fast or faster); "
              f"peak RSS {'under' if d['rss_MB'] < 1024 else 'OVER'} 1 GB")
        best["speed_vs_duckdb"] = ratio  # type: ignore[assignment]
    return {"file": str(path), "bytes": size, **best}


def run(json_path: str | None = None, *, quick: bool = False, rows_parquet: int | None = None,
        rows_csv: int | None = None, repeat: int = 3, folder: str | None = None,
        clean: bool = False, baseline: str | None = None) -> dict[str, Any]:
    quick = quick or bool(os.environ.get("DESCEND_BENCH_QUICK"))
    try:
        import duckdb  # noqa: F401
    except ImportError:
        print("duckdb is not installed (pip install duckdb): the big-file rows are skipped")
        return {"skipped": "duckdb not installed"}
    sizes = dict(QUICK_ROWS if quick else ROWS)
    if rows_parquet:
        sizes["parquet"] = rows_parquet
    if rows_csv:
        sizes["csv"] = rows_csv
    where = Path(folder or "/tmp/descend-bigfile")
    files = write_files(where, sizes)
    out: dict[str, Any] = {"repeat": repeat, "load_before": os.getloadavg()[0]}
    try:
        for kind, path in files.items():
            out[kind] = bench_file(kind, path, 1 if quick and repeat == 3 else repeat, baseline)
            out[kind]["rows"] = sizes[kind]
    finally:
        if clean:
            for path in files.values():
                for f in (path, path.with_suffix(path.suffix + ".json")):
                    f.unlink(missing_ok=True)
    out["load_after"] = os.getloadavg()[0]
    write_json(json_path, out)
    return out


if __name__ == "__main__":
    ap = parser(__doc__, quick="1e6 rows each (seconds, not minutes)")
    ap.add_argument("--rows-parquet", type=int, default=None, help="rows of the Parquet file")
    ap.add_argument("--rows-csv", type=int, default=None, help="rows of the CSV file")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each contender (best of)")
    ap.add_argument("--dir", default=None, help="folder of the files [/tmp/descend-bigfile]")
    ap.add_argument("--clean", action="store_true", help="delete the files afterwards")
    ap.add_argument("--baseline", default=None,
                    help="another descend src folder, timed beside as 'before'")
    a = ap.parse_args()
    run(a.json, quick=a.quick, rows_parquet=a.rows_parquet, rows_csv=a.rows_csv,
        repeat=a.repeat, folder=a.dir, clean=a.clean, baseline=a.baseline)
