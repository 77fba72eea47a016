"""Time for the default fit to reach 1e-6 relative of the least-squares optimum, vs scikit-learn.

n = 10^6 rows, d = 20 features, in memory; once with features of unit scale, once with scales
from 1 to 10^4 (condition number of X^T X ~ 1e8). Peers: scikit-learn ``LinearRegression``
(closed form, the optimum itself) and ``SGDRegressor`` (defaults, then a tuned run).

    python -m benchmarks.bench_fit [--n 1000000] [--d 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from typing import Any

import numpy as np

ACCURACY = 1e-6


def _data(n: int, d: int, scaled: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if scaled:
        X *= np.logspace(0, 4, d)
    w = rng.standard_normal(d) / (np.logspace(0, 4, d) if scaled else 1.0)
    y = X @ w + 3.0 + rng.standard_normal(n)
    return X, y


def _optimum(X: np.ndarray, y: np.ndarray) -> float:
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    r = A @ coef - y
    return float(r @ r) / X.shape[0]


def _mse(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    r = X @ np.ravel(model.coef_) + float(np.ravel([model.intercept_])[0]) - y
    return float(r @ r) / X.shape[0]


def _time(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(json_path: str | None = None, *, n: int = 1_000_000, d: int = 20) -> dict[str, Any]:
    from sklearn.linear_model import LinearRegression as SkLR
    from sklearn.linear_model import SGDRegressor

    from descend.models import LinearRegression

    rows: list[dict[str, Any]] = []
    for scaled in (False, True):
        X, y = _data(n, d, scaled)
        best = _optimum(X, y)
        entries: dict[str, tuple[float, float]] = {}
        t, m = _time(lambda X=X, y=y: LinearRegression().fit(X, y))
        entries["descend LinearRegression (default)"] = (t, _mse(m, X, y))
        t, m = _time(lambda X=X, y=y: SkLR().fit(X, y))
        entries["sklearn LinearRegression"] = (t, _mse(m, X, y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, m = _time(lambda X=X, y=y: SGDRegressor(random_state=0).fit(X, y), repeat=1)
            entries["sklearn SGDRegressor (default)"] = (t, _mse(m, X, y))
            t, m = _time(
                lambda X=X, y=y: SGDRegressor(
                    random_state=0, tol=1e-9, max_iter=50, eta0=1e-3, alpha=0.0
                ).fit(X, y),
                repeat=1,
            )
            entries["sklearn SGDRegressor (tol=1e-9, 50 epochs)"] = (t, _mse(m, X, y))
        ours = entries["descend LinearRegression (default)"][0]
        for name, (t, loss) in entries.items():
            gap = (loss - best) / best
            rows.append(
                {
                    "data": f"n={n}, d={d}, scales " + ("1..1e4" if scaled else "1"),
                    "method": name,
                    "seconds": t,
                    "relative_gap": gap,
                    "reached_1e-6": bool(gap <= ACCURACY),
                    "time_vs_descend": t / ours,
                }
            )
    _print(rows)
    result = {"benchmark": "fit", "n": n, "d": d, "rows": rows}
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


def _print(rows: list[dict[str, Any]]) -> None:
    head = f"{'data':30} {'method':44} {'seconds':>9} {'rel. gap':>10} {'1e-6?':>6} {'x ours':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['data']:30} {r['method']:44} {r['seconds']:9.3f} {r['relative_gap']:10.2e} "
            f"{'yes' if r['reached_1e-6'] else 'no':>6} {r['time_vs_descend']:8.2f}"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    run(a.json, n=a.n, d=a.d)
