"""descend's default ``minimize`` vs scipy's best quasi-Newton/Newton on MGH problems.

    python -m benchmarks --only second_order

For each problem (:mod:`benchmarks._mgh`, 16 Moré-Garbow-Hillstrom problems from their
standard starts, n up to 100, plus descend's 2-D test functions and the tutorial's line fit)
both libraries get the same exact ``f``, gradient and Hessian callables, counted. A run
*reaches* the optimum at the first iterate with ``|f - f*| <= 1e-8 max(1, |f*|)``; the table
shows the evaluations ``nfev + njev + nhev`` spent until then and the wall time, for descend's
default method and for the best of scipy's BFGS, L-BFGS-B, Newton-CG and trust-exact (fewest
evaluations). ``ratio`` = descend / scipy's best; the goal is <= 1 on 80 % of the problems and
never above 2. Times include each library's own overhead per step (descend's driver, history
and verdict); set ``OMP_NUM_THREADS=1`` on a shared machine, where threaded BLAS thrashes.
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

import numpy as np

TOL = 1e-8
SCIPY_METHODS = ("BFGS", "L-BFGS-B", "Newton-CG", "trust-exact")


class Counting:
    """An objective whose value, gradient and Hessian calls are counted."""

    def __init__(self, inner: Any):
        self.inner, self.n, self.variables = inner, inner.n, tuple(inner.variables)
        self.calls = 0

    def value(self, x: Any) -> float:
        self.calls += 1
        return float(self.inner.value(x))

    def grad(self, x: Any) -> Any:
        self.calls += 1
        return np.asarray(self.inner.grad(x), dtype=float)

    def value_and_grad(self, x: Any) -> tuple[float, Any]:
        return self.value(x), self.grad(x)

    def hessian(self, x: Any) -> Any:
        self.calls += 1
        return np.asarray(self.inner.hessian(x), dtype=float)

    def curvature_bound(self) -> None:
        return None


class Reached(Exception):
    pass


def _watch(fun: Counting, fstar: float, t0: float, seen: dict[str, Any]) -> Any:
    goal = TOL * max(1.0, abs(fstar))

    def check(f: float) -> None:
        if abs(f - fstar) <= goal and "evals" not in seen:
            seen.update(evals=fun.calls, seconds=time.perf_counter() - t0)
            raise StopIteration
    return check


def _descend(obj: Any, x0: Any, fstar: float) -> dict[str, Any]:
    import descend

    fun = Counting(obj)
    seen: dict[str, Any] = {}
    t0 = time.perf_counter()
    check = _watch(fun, fstar, t0, seen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = descend.minimize(fun, x0, gtol=1e-12, max_iter=5000,
                             callback=lambda ir: check(ir.fun))
    seen.setdefault("evals", None)
    seen["method"] = r.optimizer
    return seen


def _scipy(obj: Any, x0: Any, fstar: float, method: str) -> dict[str, Any]:
    from scipy.optimize import minimize as sp_minimize

    fun = Counting(obj)
    seen: dict[str, Any] = {}
    t0 = time.perf_counter()
    check = _watch(fun, fstar, t0, seen)
    kw: dict[str, Any] = {"jac": fun.grad}
    if method in ("Newton-CG", "trust-exact"):
        kw["hess"] = fun.hessian
    opts = {"maxiter": 5000, "gtol": 1e-12} if method != "Newton-CG" else {
        "maxiter": 5000, "xtol": 1e-14}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sp_minimize(fun.value, x0, method=method, options=opts,
                        callback=lambda intermediate_result: check(intermediate_result.fun), **kw)
        except (ValueError, np.linalg.LinAlgError):
            pass
    seen.setdefault("evals", None)
    seen["method"] = method
    return seen


def _problems(quick: bool) -> list[tuple[str, Any, Any, float]]:
    from benchmarks._mgh import problems

    from descend.expr.testfunctions import TEST_FUNCTIONS

    out = problems(20 if quick else 100)
    for name, b in TEST_FUNCTIONS.items():
        out.append((f"test function {name}", b.objective(), np.array(b.start, float), b.fmin))
    out.append(_line_fit())
    return out


def _line_fit() -> tuple[str, Any, Any, float]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "loop"))
    from loop_objectives import LineFit  # the tutorial's data (tests/loop/loop_objectives.py)

    fit = LineFit()
    A = np.column_stack([np.ones_like(fit.X), fit.X])
    coef = np.linalg.lstsq(A, fit.Y, rcond=None)[0]
    return "tutorial line fit (b, m)", fit, np.array([0.0, 0.0]), fit.value(coef)


def run(json_path: str | None = None, *, quick: bool = False) -> dict[str, Any]:
    rows = []
    _descend(*_problems(True)[0][1:])  # import descend's second-order modules before timing
    for name, obj, x0, fstar in _problems(quick):
        obj.value(x0), obj.grad(x0), obj.hessian(x0)  # build the symbolic code before timing
        ours = _descend(obj, x0, fstar)
        theirs = [_scipy(obj, x0, fstar, m) for m in SCIPY_METHODS]
        done = [t for t in theirs if t["evals"] is not None]
        best = min(done, key=lambda t: t["evals"]) if done else None
        ratio = (ours["evals"] / best["evals"] if best and ours["evals"] is not None
                 else None)
        rows.append({"problem": name, "n": len(x0), "descend": ours, "scipy_best": best,
                     "scipy_all": {t["method"]: t["evals"] for t in theirs}, "ratio": ratio})
    _print(rows)
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    summary = {"problems": len(rows),
               "at_most_scipy": sum(r <= 1.0 for r in ratios),
               "over_2x": sum(r > 2.0 for r in ratios),
               "descend_failed": sum(r["descend"]["evals"] is None for r in rows)}
    print(f"\ndescend <= scipy's best on {summary['at_most_scipy']} of {len(ratios)} compared "
          f"problems; above 2x on {summary['over_2x']}; descend did not reach f* on "
          f"{summary['descend_failed']}")
    out = {"rows": rows, "summary": summary}
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(out, fh, indent=1, default=str)
    return out


def _print(rows: list[dict[str, Any]]) -> None:
    print(f"{'problem':42s} {'n':>4s} {'descend':>16s} {'ms':>7s} {'scipy best':>22s} "
          f"{'ms':>7s} {'ratio':>6s}")
    for r in rows:
        d, b = r["descend"], r["scipy_best"]
        de = "-" if d["evals"] is None else f"{d['method']} {d['evals']}"
        be = "-" if b is None else f"{b['method']} {b['evals']}"
        dms = "-" if d["evals"] is None else f"{1e3 * d['seconds']:.1f}"
        bms = "-" if b is None else f"{1e3 * b['seconds']:.1f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['problem'][:42]:42s} {r['n']:4d} {de:>16s} {dms:>7s} {be:>22s} {bms:>7s} "
              f"{ratio:>6s}")


if __name__ == "__main__":
    run()
