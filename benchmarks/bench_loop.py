"""Per-step overhead of ``descend.minimize`` against a hand-written NumPy loop.

Both run fixed-rate gradient descent on the tutorial's valley ``x**2 + x*y + y**2`` from
(3, 1) with every iterate and loss recorded; the NumPy loop hard-codes the gradient, so the
ratio is the price of the general loop (objective protocol, optimizer chain, stopping rules,
history). Target: at least 100,000 iterations per second for descend.

    python benchmarks/bench_loop.py [--json out.json] [--steps 200000]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from typing import Any

import numpy as np

LEARNING_RATE = 1e-3  # small enough that 200k steps stay away from underflow to exactly 0
START = (3.0, 1.0)


def _numpy_loop(steps: int) -> float:
    """The loop a user would write by hand; returns seconds."""
    t0 = time.perf_counter()
    x = np.array(START)
    xs = [x]
    fs = [float(x[0] ** 2 + x[0] * x[1] + x[1] ** 2)]
    for _ in range(steps):
        g = np.array([2.0 * x[0] + x[1], x[0] + 2.0 * x[1]])
        x = x - LEARNING_RATE * g
        xs.append(x)
        fs.append(float(x[0] ** 2 + x[0] * x[1] + x[1] ** 2))
    np.array(xs), np.array(fs)
    return time.perf_counter() - t0


def _descend_loop(steps: int) -> float:
    from descend.errors import ConvergenceWarning
    from descend.expr import function
    from descend.loop import minimize
    from descend.optim import gd

    fun = function("x**2 + x*y + y**2")
    opt = gd(LEARNING_RATE)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = minimize(fun, START, optimizer=opt, max_iter=steps, gtol=0.0, tol=0.0)
    elapsed = time.perf_counter() - t0
    assert r.nit == steps and r.history.x.shape == (steps + 1, 2), r.message
    return elapsed


def run(json_path: str | None = None, *, steps: int = 200_000, repeat: int = 3) -> dict[str, Any]:
    """Time both loops (best of ``repeat``), print a table, optionally write JSON."""
    numpy_s = min(_numpy_loop(steps) for _ in range(repeat))
    descend_s = min(_descend_loop(steps) for _ in range(repeat))
    rows = {
        "descend.minimize (gd, fixed rate, history)": steps / descend_s,
        "hand-written NumPy loop": steps / numpy_s,
    }
    ratio = numpy_s / descend_s
    width = max(len(k) for k in rows)
    print(f"{'loop on x**2 + x*y + y**2':<{width}}  {'it/s':>12}  {'us/step':>8}")
    for name, rate in rows.items():
        print(f"{name:<{width}}  {rate:>12,.0f}  {1e6 / rate:>8.2f}")
    print(f"{'ratio descend / NumPy':<{width}}  {ratio:>12.2f}")
    print(f"{'target: descend >= 100,000 it/s':<{width}}  {'met' if rows[next(iter(rows))] >= 1e5 else 'MISSED':>12}")
    out = {
        "benchmark": "loop",
        "steps": steps,
        "descend_it_per_s": steps / descend_s,
        "numpy_it_per_s": steps / numpy_s,
        "ratio": ratio if math.isfinite(ratio) else None,
    }
    if json_path is not None:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="write the figures to this JSON file")
    parser.add_argument("--steps", type=int, default=200_000, help="steps per run")
    args = parser.parse_args()
    run(args.json, steps=args.steps)
