"""Scale: fused passes against the read bandwidth, streaming, Dask, batched sweeps.

1. Kernels -- every figure is a fraction of the *limit*: the time of the cheapest pass that
   reads all of ``X`` (a parallel sum of its 64-bit words), measured on the same array just
   before and after each pass (the machine is shared; the load drifts), and a fraction of the
   *roofline* (issue 22): ``max(read time, flops / peak)``, the read time being the bytes the
   pass must read at the bandwidth of the limit (``X`` and ``y`` for a gradient or the
   moments, ``X`` for a prediction: the limit itself reads ``X`` only), the peak the FMA rate
   of a float64 matrix product (``A @ B``, 2048 x 2048, all cores) measured in the same run,
   and the flops those the pass needs -- ``4 d`` a row for a gradient (``x.w`` and
   ``x psi``), ``2 d`` for a prediction, ``(d + 1)(d + 2)`` for the moments (the upper
   triangle of ``[x, y]^T [x, y]``). Peers:
   naive NumPy ``(2/n) X^T (X w + b - y)`` (two passes, n-sized temporaries), the same in
   PyTorch CPU, and NumPy's two-pass moments. n = 10^7, d = 10 and n = 10^6, d = 100; our
   passes also on column-major (F-ordered) X, which goes to the column kernels.
2. Streaming -- a Parquet file of ``rows x 10`` float64 features and a target under /tmp:
   read alone vs the one-pass statistics (``stats_from_file``), each in a fresh process with
   its peak RSS. ``--rows 100000000`` for the issue's 10^8 rows (8.8 GB on disk).
3. Dask -- a ``LocalCluster`` of 2 worker processes: statistics and one huber gradient step
   (persisted partitions) against the same in memory; then ``descend fit FILE`` of one Parquet
   file (10^7 x 10; ``--quick`` 10^6) on the stream, on ``--engine dask`` (its own local
   cluster) and on that cluster (``--scheduler``), beside dask-ml's ``LinearRegression``.
4. Batched -- 8 learning rates of the huber loss: one batched step against 8 single steps.

    python -m benchmarks.bench_scale [--quick] [--rows N] [--only PART ...] [--json out.json]
        [--shapes 10000000x10,10000000x100] [--repeat 7] [--no-float32]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks._cli import parser, write_json


def _best(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Best wall time of each function over ``repeat`` consecutive calls after a warm-up.

    Functions are timed one after the other, with a pause between them: NumPy's BLAS, numba
    and PyTorch each keep their own spinning thread pools, and interleaving them on a 2-core
    machine measures the contention, not the code.
    """
    best: dict[str, float] = {}
    for k, f in fns.items():
        time.sleep(0.3)
        f()  # compile / warm up
        for _ in range(repeat):
            t0 = time.perf_counter()
            f()
            best[k] = min(best.get(k, np.inf), time.perf_counter() - t0)
    return best


def _fractions(fns: dict[str, Callable[[], Any]], repeat: int
               ) -> tuple[dict[str, float], dict[str, float]]:
    """Times, and each as a fraction of the limit (the first function) timed just before and
    after it: on a shared machine the load drifts, and a limit measured minutes apart would
    make the ratios wrong by the drift."""
    items = list(fns.items())
    name0, lim = items[0]
    times: dict[str, float] = {}
    frac: dict[str, float] = {}
    for k, f in items[1:]:
        t = _best({"before": lim, k: f, "after": lim}, repeat)
        local = min(t["before"], t["after"])
        times[name0] = min(times.get(name0, np.inf), local)
        times[k] = t[k]
        frac[k] = local / t[k]
    frac[name0] = 1.0
    return times, frac


def _table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n{title}")
    cells = [header] + [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, r in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


# --------------------------------------------------------------------------------------
# 1. kernels
# --------------------------------------------------------------------------------------


#: above this size the column-major copy of X is not made (n = 1e7, d = 100: it would be a
#: second 8 GB beside X); the F-order rows are then absent from that table
F_ORDER_MAX_BYTES = 4 * 10**9


def _kernel_fns(X: Any, y: Any, w: Any, torch: Any) -> dict[str, Callable[[], Any]]:
    from descend.data.stats import moment_stats
    from descend.scale import kernels as K

    n = X.shape[0]
    fns: dict[str, Callable[[], Any]] = {
        "limit: read X once (parallel sum)": lambda: K.read_pass(X),
        "numpy grad (2/n) X^T (Xw+b-y)": lambda: (2.0 / n) * (X.T @ (X @ w + (0.1 - y))),
    }
    for loss in K.LOSSES:
        fns[f"fused grad {loss}"] = lambda loss=loss: K.loss_and_grad_fast(X, y, w, 0.1, loss)
    out = np.empty(n)
    fns["fused predict Xw+b"] = lambda: K.predict_fast(X, w, 0.1)
    fns["fused predict into out="] = lambda: K.predict_fast(X, w, 0.1, out=out)
    fns["numpy predict Xw+b"] = lambda: X @ w + 0.1
    fns["fused moment stats (1 pass)"] = lambda: K.moment_stats_fast(X, y)
    fns["numpy moment stats (2 pass)"] = lambda: moment_stats(X, y)
    # the same passes on column-major X (a DataFrame's to_numpy(), the stream's chunks),
    # which go to the column kernels; the limit reads the same bytes
    if X.nbytes <= F_ORDER_MAX_BYTES:
        XF = np.asfortranarray(X)
        for loss in K.LOSSES:
            fns[f"fused grad {loss} [F order]"] = lambda loss=loss: K.loss_and_grad_fast(
                XF, y, w, 0.1, loss)
        fns["fused predict into out= [F order]"] = lambda: K.predict_fast(XF, w, 0.1, out=out)
        fns["fused moment stats [F order]"] = lambda: K.moment_stats_fast(XF, y)
    else:
        print(f"(X is {X.nbytes / 1e9:.0f} GB: no column-major copy, the F-order rows are left out)")
    if torch is not None:  # last: its OpenMP pool keeps spinning after each call
        Xt, yt, wt = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(w)
        fns["torch cpu grad"] = lambda: (2.0 / n) * (Xt.T @ (Xt @ wt + (0.1 - yt)))
    return fns


def fma_peak(repeat: int = 3, size: int = 2048) -> float:
    """The machine's float64 FMA peak in flop/s, as a BLAS matrix product reaches it (all
    cores, best of ``repeat``): ``2 size^3`` flops."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((size, size))
    B = rng.standard_normal((size, size))
    C = np.empty((size, size))
    np.matmul(A, B, out=C)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * size**3 / best


def pass_flops(name: str, n: int, d: int) -> float:
    """The flops the pass ``name`` needs at least (see the module docstring); 0: reading only."""
    if "moment" in name:
        return float(n) * (d + 1) * (d + 2)
    if "grad" in name and "torch" not in name:
        return 4.0 * n * d
    if "predict" in name:
        return 2.0 * n * d
    return 0.0


def pass_bytes(name: str, X: Any, y: Any) -> int:
    """The bytes the pass ``name`` must read at least: ``X``, and ``y`` where the pass uses
    it (a gradient, the moments); writes (a prediction's ``out``) are not counted."""
    if "moment" in name or "grad" in name:
        return int(X.nbytes + y.nbytes)
    return int(X.nbytes)


def bench_kernels(shapes: list[tuple[int, int]], repeat: int,
                  dtypes: tuple[Any, ...] = (np.float64, np.float32)) -> list[dict[str, Any]]:
    try:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    except ImportError:  # pragma: no cover
        torch = None
    out = []
    for n, d in shapes:
        rng = np.random.default_rng(0)
        X64 = rng.standard_normal((n, d))
        y64 = rng.standard_normal(n)
        w = rng.standard_normal(d) * 0.1
        for dtype in dtypes:
            X = X64 if dtype == np.float64 else X64.astype(np.float32)
            y = y64 if dtype == np.float64 else y64.astype(np.float32)
            fns = _kernel_fns(X, y, w.astype(dtype), torch)
            peak = fma_peak()
            t, frac = _fractions(fns, repeat)
            peak = max(peak, fma_peak())  # before and after: the best the load allowed
            lim = t["limit: read X once (parallel sum)"]
            gbs = X.nbytes / lim / 1e9
            # the roofline of each pass: max(its bytes at the read limit's bandwidth, its
            # flops at the peak); the limit (reading X) measured around that pass is
            # t[k] * frac[k]
            roof = {k: max(t[k] * frac[k] * pass_bytes(k, X, y) / X.nbytes,
                           pass_flops(k, n, d) / peak) / t[k] for k in t}
            rows = [[k, v * 1e3, frac[k], roof[k]] for k, v in t.items()]
            _table(
                f"Kernels n={n:.0e} d={d} {np.dtype(dtype).name}: X = {X.nbytes / 1e9:.2f} GB, "
                f"read limit {gbs:.1f} GB/s, FMA peak {peak / 1e9:.1f} GFLOP/s (dgemm)",
                ["pass", "ms", "fraction of limit", "fraction of roofline"],
                rows,
            )
            out.append(
                {
                    "n": n, "d": d, "dtype": np.dtype(dtype).name, "bytes": int(X.nbytes),
                    "read_GBps": gbs, "peak_GFLOPs": peak / 1e9,
                    "ms": {k: v * 1e3 for k, v in t.items()},
                    "fraction_of_limit": frac,
                    "fraction_of_roofline": roof,
                }
            )
            del fns
    return out


# --------------------------------------------------------------------------------------
# 2. streaming
# --------------------------------------------------------------------------------------

_CHILD = r"""
import json, sys, time
import numpy as np

from benchmarks._cli import parser, write_json
import pyarrow.parquet as pq
from descend.scale.stream import open_source, stats_from_file
mode, path = sys.argv[1], sys.argv[2]
if mode in ("stats", "fit"):  # load the compiled kernel and the model outside the timing
    from descend.scale.kernels import moment_stats_fast
    moment_stats_fast(np.ones((3, 10), order="F"), np.ones(3))
    from descend.models import LinearRegression
t0 = time.perf_counter()
if mode == "read":  # the file alone: Arrow batches, no conversion (same buffered reader)
    rows = 0
    for b in pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False).iter_batches(
            batch_size=1 << 17):
        rows += b.num_rows
elif mode == "read_numpy":
    rows = sum(X.shape[0] for X, _ in open_source(path).chunks())
else:
    st, names, target = stats_from_file(path)
    rows = st.n
    if mode == "fit":
        m = LinearRegression().fit_moments(st, names)
dt = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
print(json.dumps({"mode": mode, "rows": rows, "seconds": dt, "peak_rss_MB": int(hwm) / 1024}))
"""


def _write_parquet(path: Path, rows: int, d: int = 10, group: int = 1 << 20) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    names = [f"x{j}" for j in range(1, d + 1)] + ["y"]
    schema = pa.schema([(nm, pa.float64()) for nm in names])
    coef = np.linspace(-1, 1, d)
    with pq.ParquetWriter(path, schema, compression="none") as wr:
        for lo in range(0, rows, group):
            m = min(group, rows - lo)
            X = rng.standard_normal((m, d)) + 5.0
            y = X @ coef + 2.0 + rng.standard_normal(m)
            cols = [pa.array(X[:, j]) for j in range(d)] + [pa.array(y)]
            wr.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=group)
    return path.stat().st_size


def _group(rows: int) -> int:
    """Rows per row group of the Dask fit's file: 8 groups at least (the stream's: 2^20)."""
    return min(1 << 20, max(1, rows // 8))


def bench_stream(rows: int, modes: tuple[str, ...] = ("read", "read_numpy", "stats", "fit"),
                 made: Path | None = None) -> dict[str, Any]:
    """``made``: the same file written already (``_write_parquet(made, rows)``): not again."""
    tmp = Path(tempfile.mkdtemp(prefix="descend-bench-", dir="/tmp"))
    path = made or tmp / "big.parquet"
    try:
        t0 = time.perf_counter()
        size = path.stat().st_size if made else _write_parquet(path, rows)
        write_s = time.perf_counter() - t0
        res: dict[str, Any] = {"rows": rows, "file_GB": size / 1e9,
                               "write_s": None if made else write_s, "shared_file": bool(made)}
        for mode in modes:
            proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                res[mode] = {"error": proc.stderr.strip().splitlines()[-1:]}
                continue
            res[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    read_s = res.get("read", {}).get("seconds", float("nan"))
    rows_out = []
    for mode in modes:
        r = res.get(mode, {})
        if "seconds" in r:
            rows_out.append([mode, r["seconds"], size / r["seconds"] / 1e9, read_s / r["seconds"],
                             r["peak_rss_MB"]])
    _table(
        f"Streaming {rows:.0e} x 10 Parquet ({size / 1e9:.2f} GB, warm page cache)",
        ["pass", "s", "GB/s", "speed vs read alone", "peak RSS MB"],
        rows_out,
    )
    return res


# --------------------------------------------------------------------------------------
# 3. Dask
# --------------------------------------------------------------------------------------


def bench_dask(n: int, d: int = 10, repeat: int = 3, file_rows: int | None = None,
               ml_repeat: int | None = None, made: Path | None = None) -> dict[str, Any]:
    import dask.array as da
    import distributed

    from descend.scale import dask_engine
    from descend.scale.kernels import loss_and_grad_fast, moment_stats_fast

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = X @ np.linspace(-1, 1, d) + rng.standard_normal(n)
    w = np.zeros(d)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        chunk = max(1, n // 16)
        Xd = da.from_array(X, chunks=(chunk, d))
        yd = da.from_array(y, chunks=chunk)
        with warnings.catch_warnings():  # the arrays are sent once, on purpose: persisted here
            warnings.filterwarnings("ignore", message="Sending large graph")
            Xd, yd = client.persist([Xd, yd])
        distributed.wait([Xd, yd])
        t = _best({
            "in-memory stats (fused)": lambda: moment_stats_fast(X, y),
            "dask stats (1 map-reduce)": lambda: dask_engine.moment_stats_dask(Xd, yd),
            "in-memory huber step": lambda: loss_and_grad_fast(X, y, w, 0.0, "huber"),
            "dask huber step (1 map-reduce)": lambda: dask_engine.loss_and_grad_dask(
                Xd, yd, w, 0.0, "huber"),
        }, repeat)
    rows = [[k, v * 1e3] for k, v in t.items()]
    _table(f"Dask LocalCluster (2 processes x 1 thread), n={n:.0e} d={d}, 16 partitions",
           ["pass", "ms"], rows)
    out: dict[str, Any] = {"n": n, "d": d, "ms": {k: v * 1e3 for k, v in t.items()}}
    if file_rows:
        out["fit_file"] = bench_dask_fit(file_rows, d, repeat, ml_repeat, made)
    return out


# `descend fit FILE --engine ...` in a fresh process: wall, CPU (user + sys, this process and
# its children) and peak RSS (VmHWM) written to a JSON file at exit.
_CLI_CHILD = r"""
import atexit, json, os, resource, runpy, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
def report():
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
    json.dump({"wall": time.perf_counter() - t0, "peak_rss_MB": int(hwm) / 1024,
               "cpu": r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime}, open(out, "w"))
atexit.register(report)
sys.argv = ["descend", *argv]
runpy.run_module("descend", run_name="__main__")
"""

# dask-ml's LinearRegression (its defaults) on the same file, on a running cluster
_DASK_ML_CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import dask.dataframe as dd, distributed
from dask_ml.linear_model import LinearRegression
address, path = sys.argv[1], sys.argv[2]
with distributed.Client(address) as client:
    # one array split afterwards: arrays of selected columns may get partition lengths that
    # do not match (dask-expr fuses the selection's partitions)
    both = dd.read_parquet(path).astype("float64").to_dask_array(lengths=True)
    X, y = both[:, :-1], both[:, -1]  # the target is the last column
    m = LinearRegression().fit(X, y)
    x = [float(m.intercept_), *map(float, m.coef_)]
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
print(json.dumps({"x": x, "wall": time.perf_counter() - t0, "peak_rss_MB": int(hwm) / 1024}))
"""


def _workers_usage(client: Any) -> tuple[float, float]:
    """CPU seconds so far, summed over the cluster's worker processes, and their peak RSS (MB)."""
    def usage() -> tuple[float, float]:
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF)
        hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
        return r.ru_utime + r.ru_stime, int(hwm) / 1024

    got = client.run(usage).values()
    return sum(c for c, _ in got), sum(m for _, m in got)


def _fit_cli(path: Path, engine: list[str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", dir="/tmp") as rep:
        proc = subprocess.run(
            [sys.executable, "-c", _CLI_CHILD, rep.name, "fit", str(path), "--target", "y",
             *engine, "--json"], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
        res = json.loads(Path(rep.name).read_text())
    res["x"] = json.loads(proc.stdout)["x"]
    return res


def _fit_dask_ml(path: Path, address: str) -> dict[str, Any]:
    import resource

    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", _DASK_ML_CHILD, address, str(path)],
                          capture_output=True, text=True, check=False)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    res["cpu"] = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    return res


def _digits(est: Any, ref: np.ndarray) -> float:
    err = np.abs(np.asarray(est, dtype=np.float64) - ref) / np.abs(ref)
    return float(np.min(-np.log10(np.maximum(err, 1e-17))))


def _lstsq_reference(path: Path) -> np.ndarray:
    """``[b, w...]`` by ``numpy.linalg.lstsq`` on the file's rows in memory (Householder QR)."""
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    A = np.empty((t.num_rows, t.num_columns), order="F")
    A[:, 0] = 1.0
    names = [c for c in t.column_names if c != "y"]
    for j, c in enumerate(names):
        A[:, j + 1] = t.column(c).to_numpy()
    y = t.column("y").to_numpy()
    del t
    return np.linalg.lstsq(A, y, rcond=None)[0]


def bench_dask_fit(rows: int, d: int = 10, repeat: int = 3, ml_repeat: int | None = None,
                   made: Path | None = None) -> dict[str, Any]:
    """``descend fit FILE --target y`` on one Parquet file (row groups of 2^20 rows): the
    stream engine, ``--engine dask`` on its own local cluster (start-up counted), ``--engine
    dask --scheduler`` on a running cluster of 2 worker processes, and dask-ml's
    ``LinearRegression`` (its defaults: L2-penalised ADMM) on that cluster; interleaved, best
    wall of ``repeat`` (with that run's CPU, children and workers included, and peak RSS);
    dask-ml in the first ``ml_repeat`` rounds only (make bench: 1; one fit takes ~25 s, 12x
    the stream's, and its row is context, not a goal). ``made``: the file written already.
    Digits: against ``numpy.linalg.lstsq`` of the same rows in memory."""
    import logging

    import distributed

    tmp = Path(tempfile.mkdtemp(prefix="descend-bench-", dir="/tmp"))
    path = made or tmp / "dask.parquet"
    ml_repeat = repeat if ml_repeat is None else max(1, min(ml_repeat, repeat))
    try:
        if made is None:
            _write_parquet(path, rows, d, group=_group(rows))
        ref = _lstsq_reference(path)
        best: dict[str, dict[str, Any]] = {}
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      host="127.0.0.1", dashboard_address=None,
                                      silence_logs=logging.CRITICAL) as cluster, \
                distributed.Client(cluster) as client:
            addr = cluster.scheduler_address
            runs: dict[str, Callable[[], dict[str, Any]]] = {
                "descend stream": lambda: _fit_cli(path, ["--engine", "stream"]),
                "descend dask (own local cluster)": lambda: _fit_cli(path, ["--engine", "dask"]),
                "descend dask --scheduler (2 processes)": lambda: _fit_cli(
                    path, ["--engine", "dask", "--scheduler", addr]),
                "dask-ml LinearRegression (2 processes)": lambda: _fit_dask_ml(path, addr),
            }
            for k in range(repeat):
                for name, fn in runs.items():
                    if name.startswith("dask-ml") and k >= ml_repeat:
                        continue
                    w0 = _workers_usage(client)[0] if "processes" in name else 0.0
                    r = fn()
                    if "processes" in name and "error" not in r:
                        cpu_w, rss_w = _workers_usage(client)
                        r["cpu"] += cpu_w - w0
                        r["workers_peak_rss_MB"] = rss_w
                    if "error" in r or r["wall"] < best.get(name, {}).get("wall", np.inf):
                        best[name] = r
    finally:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    stream = best["descend stream"].get("wall", np.nan)
    table = []
    for name, r in best.items():
        if "error" in r:
            table.append([name, r["error"][:60], "", "", "", ""])
            continue
        r["digits"] = _digits(r["x"], ref)
        r["vs_stream"] = r["wall"] / stream
        table.append([name, r["wall"], r["cpu"], r["peak_rss_MB"], r["vs_stream"], r["digits"]])
    ml_note = f", dask-ml {ml_repeat}" if ml_repeat < repeat else ""
    _table(f"descend fit FILE --target y, {rows:.0e} x {d} Parquet, 2-core machine: best wall of "
           f"{repeat}{ml_note} interleaved (digits vs lstsq in memory)",
           ["engine", "wall s", "CPU s", "peak RSS MB (client)", "x stream", "digits"], table)
    return {"rows": rows, "d": d, "runs": best, "repeat": repeat, "ml_repeat": ml_repeat}


# --------------------------------------------------------------------------------------
# 4. batched
# --------------------------------------------------------------------------------------


def bench_batched(n: int, d: int = 10, runs: int = 8, repeat: int = 3) -> dict[str, Any]:
    """In memory, where a single pass is already at memory speed, the batched pass trades
    R reads for R times the arithmetic; streamed, where a pass is the file's decoding, one
    pass for all runs is R times less work."""
    from descend.scale.batched import batched_loss_and_grad
    from descend.scale.kernels import loss_and_grad_batched_fast, loss_and_grad_fast
    from descend.scale.stream import loss_and_grad_stream, open_source

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    W = rng.standard_normal((runs, d))
    B = np.zeros(runs)
    t = _best({
        f"in memory: {runs} separate fused steps": lambda: [
            loss_and_grad_fast(X, y, W[q], 0.0, "huber") for q in range(runs)],
        f"in memory: 1 batched step of {runs} runs": lambda: loss_and_grad_batched_fast(
            X, y, W, B, "huber"),
    }, repeat)
    tmp = Path(tempfile.mkdtemp(prefix="descend-bench-", dir="/tmp"))
    path = tmp / "batched.parquet"
    try:
        _write_parquet(path, n, d)
        src = open_source(str(path))
        t.update(_best({
            f"streamed: {runs} separate passes": lambda: [
                loss_and_grad_stream(src, W[q], 0.0, "huber") for q in range(runs)],
            f"streamed: 1 batched pass of {runs} runs": lambda: batched_loss_and_grad(
                src, W, B, "huber"),
        }, repeat))
    finally:
        path.unlink(missing_ok=True)
        tmp.rmdir()
    keys = list(t)
    rows = [[k, v * 1e3, t[keys[2 * (i // 2)]] / v] for i, (k, v) in enumerate(t.items())]
    _table(f"Batched huber sweep, n={n:.0e} d={d}", ["pass", "ms", "speed-up"], rows)
    return {"n": n, "d": d, "runs": runs, "ms": {k: v * 1e3 for k, v in t.items()}}


PARTS = ("kernels", "batched", "dask", "stream")


def run(json_path: str | None = None, *, quick: bool = False, stream_rows: int | None = None,
        only: tuple[str, ...] = PARTS, shapes: list[tuple[int, int]] | None = None,
        repeat: int | None = None, float32: bool = True, ml_repeat: int | None = None
        ) -> dict[str, Any]:
    """The parts in ``only``. Where the Dask fit and the stream read the same file (same rows,
    row groups of 2^20, seed 0: both ``_write_parquet``'s) it is written once for both.
    ``ml_repeat``: dask-ml's rounds in the Dask fit (default: as many as the others')."""
    quick = quick or bool(os.environ.get("DESCEND_BENCH_QUICK"))
    if shapes is None:
        shapes = [(10**6, 10), (10**5, 100)] if quick else [(10**7, 10), (10**6, 100)]
    repeat = repeat or (3 if quick else 7)
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}
    if "kernels" in only:
        dtypes = (np.float64, np.float32) if float32 else (np.float64,)
        out["kernels"] = bench_kernels(shapes, repeat, dtypes)
    if "batched" in only:
        out["batched"] = bench_batched(10**5 if quick else 10**6)
    file_rows = 10**6 if quick else 10**7
    stream_rows = stream_rows or (10**6 if quick else 10**7)
    tmp = Path(tempfile.mkdtemp(prefix="descend-bench-", dir="/tmp"))
    shared = None
    try:
        if {"dask", "stream"} <= set(only) and stream_rows == file_rows \
                and _group(file_rows) == 1 << 20:
            shared = tmp / "big.parquet"
            _write_parquet(shared, file_rows)
        if "dask" in only:
            out["dask"] = bench_dask(2 * 10**5 if quick else 2 * 10**6, file_rows=file_rows,
                                     ml_repeat=ml_repeat, made=shared)
        if "stream" in only:
            out["stream"] = bench_stream(stream_rows, made=shared)
    finally:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    write_json(json_path, out)
    return out


if __name__ == "__main__":
    ap = parser(__doc__, quick="small sizes (seconds, not minutes)")
    ap.add_argument("--rows", type=int, default=None, help="rows of the streamed Parquet file")
    ap.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS),
                    help="run only these parts")
    ap.add_argument("--shapes", default=None,
                    help="kernel shapes n x d, e.g. 10000000x10,10000000x100 (the issue's)")
    ap.add_argument("--repeat", type=int, default=None, help="best of N (default 7; 3 --quick)")
    ap.add_argument("--no-float32", action="store_true", help="kernels in float64 only")
    a = ap.parse_args()
    shp = None
    if a.shapes:
        shp = [(int(float(n)), int(d)) for n, d in (s.split("x") for s in a.shapes.split(","))]
    run(a.json, quick=a.quick, stream_rows=a.rows, only=tuple(a.only), shapes=shp,
        repeat=a.repeat, float32=not a.no_float32)
