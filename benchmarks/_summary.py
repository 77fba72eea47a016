"""Issue 22's "Done when", item by item, from the figures of one ``python -m benchmarks`` run.

Every verdict is computed here from the run's own figures (``met`` is True or False), or is
``None`` ("not measured") when the run lacks the figures it needs: a part skipped, failed, or
run at other sizes. Nothing is typed in.
"""

from __future__ import annotations

import math
from typing import Any

GRID_N = (10_000, 1_000_000, 10_000_000)
GRID_D = (5, 20, 100)
GRID_DESIGNS = ("well", "badly", "correlated")  # the issue's; "mixed" is judged when run too
DIGITS_TOLERANCE = 0.3
TIME_GOAL = 1.0  # descend's wall time / lstsq's
DUCKDB_GOAL = 1.0  # DuckDB's wall / descend's
MEMORY_GOAL_MB = 1024.0
DASK_GOAL = 1.5  # --engine dask (own local cluster) / stream
ROOFLINE_GOAL = 0.7
STARTUP_GOAL = 6.0
KERNEL_PASSES = {"gradient": "fused grad squared_error", "statistics": "fused moment stats (1 pass)"}


def _item(item: str, figures: str, goal: str, met: bool | None) -> dict[str, Any]:
    return {"item": item, "figures": figures, "goal": goal, "met": met}


def _grid_cells(grid: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The measured cells (descend and lstsq both timed) and the issue's cells missing."""
    rows = [r for r in grid.get("rows", []) if "time_ratio_lstsq" in r]
    have = {(r["n"], r["d"], r["design"]) for r in rows}
    missing = [f"{n:.0e} x {d} {k}" for n in GRID_N for d in GRID_D for k in GRID_DESIGNS
               if (n, d, k) not in have]
    return rows, missing


def _cell(r: dict[str, Any]) -> str:
    return f"{r['n']:.0e} x {r['d']} {r['design']}"


def grid_items(grid: dict[str, Any]) -> list[dict[str, Any]]:
    rows, missing = _grid_cells(grid)
    gone = f"; not measured: {len(missing)} cells ({', '.join(missing[:3])}...)" if missing else ""
    names = ("grid: descend's correct digits vs lstsq, every cell",
             "grid: descend's wall time vs lstsq, every cell")
    goals = (f"never fewer (tolerance {DIGITS_TOLERANCE})", f"<= {TIME_GOAL:.1f}x lstsq")
    if not rows:
        return [_item(names[0], "no cells", goals[0], None),
                _item(names[1], "no cells", goals[1], None)]
    short = [r for r in rows if r["digits_minus_lstsq"] < -DIGITS_TOLERANCE]
    worst = min(rows, key=lambda r: r["digits_minus_lstsq"])
    digits = _item(
        names[0],
        f"{len(short)} of {len(rows)} cells short; least margin "
        f"{worst['digits_minus_lstsq']:+.2f} ({_cell(worst)}){gone}",
        goals[0],
        None if missing else not short)
    slow = [r for r in rows if r["time_ratio_lstsq"] > TIME_GOAL]
    tmax = max(rows, key=lambda r: r["time_ratio_lstsq"])
    tmin = min(r["time_ratio_lstsq"] for r in rows)
    by_n = "; ".join(
        f"n = {n:.0e}: {sum(r['time_ratio_lstsq'] > TIME_GOAL for r in rows if r['n'] == n)}"
        f" of {sum(r['n'] == n for r in rows)} slower"
        for n in sorted({r["n"] for r in rows}))
    time = _item(
        names[1],
        f"{len(slow)} of {len(rows)} cells slower ({by_n}); x{tmin:.2f} to x{tmax['time_ratio_lstsq']:.2f}"
        f" ({_cell(tmax)}){gone}",
        goals[1],
        None if missing else not slow)
    return [digits, time]


def bigfile_items(big: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    goal = f">= {DUCKDB_GOAL:.1f}x, < {MEMORY_GOAL_MB:.0f} MB"
    for kind, label, rows in (("parquet", "Parquet", 3e7), ("csv", "CSV", 1e7)):
        r = big.get(kind, {})
        d, q = r.get("descend", {}), r.get("duckdb", {})
        name = f"big file: {label} {r.get('rows', rows):.0e} x 10, default fit vs DuckDB, < 1 GB"
        if "speed_vs_duckdb" not in r or "rss_MB" not in d:
            out.append(_item(name, big.get("skipped", "not measured"), goal, None))
            continue
        speed, mb = r["speed_vs_duckdb"], d["rss_MB"]
        out.append(_item(
            name,
            f"x{speed:.2f} DuckDB's speed ({d['wall']:.2f} s vs {q['wall']:.2f} s), peak "
            f"{mb:.0f} MB, {d.get('digits', float('nan')):.1f} vs {q.get('digits', float('nan')):.1f}"
            " digits",
            goal,
            speed >= DUCKDB_GOAL and mb < MEMORY_GOAL_MB))
    return out


def dask_item(scale: dict[str, Any]) -> dict[str, Any]:
    fit = scale.get("dask", {}).get("fit_file", {})
    runs = fit.get("runs", {})
    own = runs.get("descend dask (own local cluster)", {})
    stream = runs.get("descend stream", {})
    name = "Dask: `--engine dask` vs the stream, same file"
    if not all(math.isfinite(r.get(k, math.nan)) for r, k in ((own, "vs_stream"),
                                                             (stream, "wall"))):
        # a run failed (its error), or the stream's time is missing: nothing to compare
        why = own.get("error") or stream.get("error") or "not measured"
        return _item(name, str(why), f"<= {DASK_GOAL:g}x", None)
    ml = runs.get("dask-ml LinearRegression (2 processes)", {})
    ml_txt = (f"dask-ml {ml['wall']:.1f} s, {ml.get('digits', float('nan')):.1f} digits"
              if "wall" in ml else f"dask-ml: {ml.get('error', 'not run')}")
    return _item(name, f"x{own['vs_stream']:.2f} ({own['wall']:.2f} s vs "
                 f"{runs['descend stream']['wall']:.2f} s, {fit['rows']:.0e} x {fit['d']}); "
                 f"{ml_txt}", f"<= {DASK_GOAL:g}x", own["vs_stream"] <= DASK_GOAL)


def kernel_item(scale: dict[str, Any]) -> dict[str, Any]:
    figs, vals = [], []
    entries = {(k["n"], k["d"]): k for k in scale.get("kernels", []) if k.get("dtype") == "float64"}
    missing = []
    for d in (10, 100):
        k = entries.get((10_000_000, d))
        for label, key in KERNEL_PASSES.items():
            if k is None or key not in k.get("fraction_of_roofline", {}):
                missing.append(f"{label} d = {d}")
                continue
            v = k["fraction_of_roofline"][key]
            vals.append(v)
            figs.append(f"{label} d = {d}: {v:.2f}")
    if missing:
        figs.append(f"not measured at n = 1e7: {', '.join(missing)}")
    return _item("kernels: fraction of the roofline, n = 1e7", "; ".join(figs),
                 f">= {ROOFLINE_GOAL:g}", None if missing else min(vals) >= ROOFLINE_GOAL)


def startup_item(startup: dict[str, Any]) -> dict[str, Any]:
    row = next((r for r in startup.get("rows", []) if r["command"].startswith("descend plot")), None)
    name = "`descend plot` start-up vs `python -c 'import numpy'`"
    if row is None:
        return _item(name, "not measured", f"<= {STARTUP_GOAL:g}x", None)
    return _item(name, f"x{row['ratio']:.1f} wall ({row['seconds']:.2f} s), x{row['cpu_ratio']:.1f}"
                 " CPU", f"<= {STARTUP_GOAL:g}x", row["ratio"] <= STARTUP_GOAL)


def summarise(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of issue 22's "Done when" from the modules' results (``{name: result}``)."""
    return [*grid_items(results.get("bench_grid", {})),
            *bigfile_items(results.get("bench_bigfile", {})),
            dask_item(results.get("bench_scale", {})),
            kernel_item(results.get("bench_scale", {})),
            startup_item(results.get("bench_startup", {}))]


def verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def as_text(items: list[dict[str, Any]]) -> str:
    lines = []
    for it in items:
        lines.append(f"- [{verdict(it['met'])}] {it['item']} (goal {it['goal']}): {it['figures']}")
    return "\n".join(lines)


def as_markdown(items: list[dict[str, Any]], header: str = "") -> str:
    out = [header, ""] if header else []
    out += ["| item | figures (this run) | goal | met? |", "|---|---|---|---|"]
    for it in items:
        cells = [it["item"], it["figures"], it["goal"], verdict(it["met"])]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"
