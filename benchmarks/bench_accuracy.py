"""Correct digits and time of the default fit vs numpy.linalg.lstsq and scikit-learn.

Part 1, hard problems with exact answers (the normal equations solved in ``fractions.Fraction``
on data exactly representable in binary, so the decimal and the float64 data are the same):
polynomials up to degree 10, near-collinear columns, large offsets, fits through the origin,
scikit-learn's diabetes data. Digits = the fewest correct significant digits over intercept
and coefficients (17 = exact to the last bit).

Part 2, time at n = 10^6, d = 20 (well-scaled, badly scaled: scales 10^-3..10^3, correlated:
the singular values of the mixing spread over 3 decades), best of 5 interleaved, with ratios to
descend
and each peer's agreement with ``lstsq`` in digits.

    python -m benchmarks.bench_accuracy [--n 1000000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks._exact import exact_least_squares


def _exact(X: Any, y: Any, intercept: bool) -> np.ndarray:
    """Exact least squares, rounded once to float64 (:mod:`benchmarks._exact`)."""
    return np.array([float(c) for c in exact_least_squares(X, y, intercept)])


def _digits(est: np.ndarray, ref: np.ndarray) -> float:
    scale = np.where(ref != 0, np.abs(ref), np.max(np.abs(ref)))
    err = np.abs(np.asarray(est, dtype=np.float64) - ref) / scale
    return float(np.min(-np.log10(np.maximum(err, 1e-17))))


def _poly(deg: int, xs: Any, noise: float) -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[float(x) ** k for k in range(1, deg + 1)] for x in xs])
    y = 1.0 + X.sum(axis=1) + noise * (-1.0) ** np.arange(len(X))
    return X, y


def problems() -> list[tuple[str, np.ndarray, np.ndarray, bool]]:
    """``(name, X, y, fit_intercept)`` -- the same kinds as tests/models/test_accuracy.py."""
    from sklearn.datasets import load_diabetes

    out: list[tuple[str, np.ndarray, np.ndarray, bool]] = []
    for deg in (5, 8, 10):
        out.append((f"poly deg {deg}, x = 0..20, exact", *_poly(deg, range(21), 0.0), True))
        out.append((f"poly deg {deg}, x = 0..20, noise", *_poly(deg, range(21), 0.5), True))
    out.append(("poly deg 10, x = k/32", *_poly(10, [k / 32 for k in range(41)], 2**-10), True))
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4096, 60) / 64
    b = a + rng.integers(-8, 8, 60) / 2**20
    c = rng.integers(0, 512, 60) / 8
    y = 2 * a - 3 * b + c / 4 + rng.integers(-64, 64, 60) / 256
    out.append(("near-collinear (1e-6 apart)", np.column_stack([a, b, c]), y, True))
    rng = np.random.default_rng(1)
    x1 = 1e6 + rng.integers(0, 5000, 80) / 1024
    x2 = 1e6 + rng.integers(0, 5000, 80) / 256
    y = 5.0 + 3 * x1 - 2 * x2 + rng.integers(-100, 100, 80) / 1024
    out.append(("large offsets (1e6 + small)", np.column_stack([x1, x2]), y, True))
    x = np.arange(60.0, 71.0)
    y = np.arange(130.0, 141.0) + np.array([0.5, -0.25, 0, 0.25, -0.5, 0, 0.5, 0, -0.25, 0, 0.25])
    out.append(("through the origin, y = b x", x[:, None], y, False))
    out.append(("through the origin, cubic", *_poly(3, [k / 8 for k in range(1, 30)], 2**-6), False))
    Xd, yd = load_diabetes(return_X_y=True)
    out.append(("diabetes (442 x 10)", Xd, yd, True))
    out.append(("Longley (NIST StRD; decimal data)", *_longley(), True))
    return out


# Longley (1967), the NIST StRD data: TOTEMP, then GNPDEFL, GNP, UNEMP, ARMED, POP, YEAR
LONGLEY = """\
60323,83,234289,2356,1590,107608,1947 61122,88.5,259426,2325,1456,108632,1948
60171,88.2,258054,3682,1616,109773,1949 61187,89.5,284599,3351,1650,110929,1950
63221,96.2,328975,2099,3099,112075,1951 63639,98.1,346999,1932,3594,113270,1952
64989,99,365385,1870,3547,115094,1953 63761,100,363112,3578,3350,116219,1954
66019,101.2,397469,2904,3048,117388,1955 67857,104.6,419180,2822,2857,118734,1956
68169,108.4,442769,2936,2798,120445,1957 66513,110.8,444546,4681,2637,121950,1958
68655,112.6,482704,3813,2552,123366,1959 69564,114.2,502601,3931,2514,125368,1960
69331,115.7,518173,4806,2572,127852,1961 70551,116.9,554894,4007,2827,130081,1962
"""


def _longley() -> tuple[np.ndarray, np.ndarray]:
    rows = [r.split(",") for r in LONGLEY.split()]
    return np.array([r[1:] for r in rows]), np.array([r[0] for r in rows])  # decimal strings


def _fits(intercept: bool) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    from sklearn.linear_model import LinearRegression as SkLR

    from descend.models import LinearRegression

    def descend(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        m = LinearRegression(fit_intercept=intercept).fit(X, y)
        return np.r_[m.intercept_, m.coef_] if intercept else m.coef_

    def lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        A = np.hstack([np.ones((X.shape[0], 1)), X]) if intercept else X
        return np.linalg.lstsq(A, y, rcond=None)[0]

    def sklearn(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        m = SkLR(fit_intercept=intercept).fit(X, y)
        return np.r_[m.intercept_, m.coef_] if intercept else m.coef_

    return {"descend": descend, "lstsq": lstsq, "sklearn": sklearn}


def _best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def part1() -> list[dict[str, Any]]:
    from descend.models import LinearRegression

    rows = []
    print(f"{'problem':34s} {'kappa':>9s} {'trusted':>7s} | digits: descend  lstsq  sklearn")
    for name, Xs, ys, intercept in problems():
        ref = _exact(Xs.tolist(), ys.tolist(), intercept)  # decimal strings stay decimal
        X, y = Xs.astype(np.float64), ys.astype(np.float64)
        row: dict[str, Any] = {"problem": name}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LinearRegression(fit_intercept=intercept).fit(X, y)
            for peer, fit in _fits(intercept).items():
                t, est = _best(lambda fit=fit, X=X, y=y: fit(X, y))
                row[peer] = {"digits": round(_digits(est, ref), 2), "time": t}
        row["condition_number"] = m.condition_number_
        row["trusted_digits"] = m.trusted_digits_
        row["verdict"] = str(m.verdict_)
        rows.append(row)
        print(
            f"{name:34s} {m.condition_number_:9.3g} {m.trusted_digits_:7d} | "
            f"{row['descend']['digits']:15.1f} {row['lstsq']['digits']:6.1f} "
            f"{row['sklearn']['digits']:8.1f}",
            flush=True,
        )
    for peer in ("descend", "lstsq", "sklearn"):
        ok = sum(r[peer]["digits"] >= 6 for r in rows)
        worst = min(r[peer]["digits"] for r in rows)
        print(f"  {peer}: {ok} of {len(rows)} to >= 6 digits, worst {worst:.1f}")
    return rows


def _large(n: int, d: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kind == "badly scaled":
        X *= np.logspace(-3, 3, d)
    elif kind == "correlated":
        U, _, Vt = np.linalg.svd(rng.standard_normal((d, d)))
        X = X @ (U * np.logspace(0, -3, d)) @ Vt + 5.0
    y = X @ rng.standard_normal(d) + 3.0 + rng.standard_normal(n)
    return X, y


REPEAT = 5


def part2(n: int, d: int = 20) -> list[dict[str, Any]]:
    from descend.models import LinearRegression

    rows = []
    print(
        f"\nn = {n}, d = {d}: best of {REPEAT} interleaved (s); ratio = peer time / descend "
        "time; digits vs lstsq"
    )
    X, y = _large(min(n, 20_000), d, "well-scaled")
    LinearRegression().fit(X, y)  # compile the kernels outside the timings
    for kind in ("well-scaled", "badly scaled", "correlated"):
        X, y = _large(n, d, kind)
        fits = _fits(True)
        times = dict.fromkeys(fits, np.inf)
        ests: dict[str, Any] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # interleaved, best of REPEAT: on a shared machine each peer meets the same load
            for _ in range(REPEAT):
                for peer, fit in fits.items():
                    t, ests[peer] = _best(lambda fit=fit, X=X, y=y: fit(X, y), repeat=1)
                    times[peer] = min(times[peer], t)
            m = LinearRegression().fit(X, y)
        ref = ests["lstsq"]
        row = {
            "data": kind,
            "condition_number": m.condition_number_,
            "trusted_digits": m.trusted_digits_,
            **{f"{p}_s": times[p] for p in fits},
            **{f"{p}_ratio": times[p] / times["descend"] for p in fits},
            "descend_digits_vs_lstsq": round(_digits(ests["descend"], ref), 1),
            "sklearn_digits_vs_lstsq": round(_digits(ests["sklearn"], ref), 1),
        }
        rows.append(row)
        print(
            f"  {kind:13s} kappa {m.condition_number_:8.3g}: descend {times['descend']:.3f}, "
            f"lstsq {times['lstsq']:.3f} (x{row['lstsq_ratio']:.2f}), sklearn "
            f"{times['sklearn']:.3f} (x{row['sklearn_ratio']:.2f}); agreement with lstsq: "
            f"descend {row['descend_digits_vs_lstsq']}, sklearn {row['sklearn_digits_vs_lstsq']}"
            f" digits; descend trusts {m.trusted_digits_}",
            flush=True,
        )
        del X, y
    return rows


def run(json_path: str | None = None, *, n: int = 1_000_000) -> dict[str, Any]:
    out = {"problems": part1(), "large": part2(n)}
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=1, default=float))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    sys.exit(0 if run(a.json, n=a.n) else 1)
