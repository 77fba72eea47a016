"""The accuracy/speed grid: descend's default fit vs ``numpy.linalg.lstsq`` (and scikit-learn).

n in {1e4, 1e6} (``--big``: also 1e7), d in {5, 20, 100}, three designs:

- ``well``: integer columns uniform in [-2^12, 2^12) (condition ~1);
- ``badly``: the same, column j multiplied by 2^e_j, e_j from -10 to 10 (scales 1e-3..1e3);
- ``correlated``: ``x_j = base * 2^20 + e_j`` with ``base`` uniform in [0, 2^10) and ``e_j``
  in [-4, 4] (condition of the standardised design ~1e8);
- ``mixed``: Gaussian rows mixed through singular values 1..1e-8 plus 5 (the issue's correlated
  design), rounded to multiples of 2^-28 (condition ~1e8).

``y = 3 + X beta + noise`` with integer ``beta`` in [-3, 3] and integer noise in
[-2^20, 2^20): every number is an integer (times a power of two) below 2^53, exact in float64.

**Correct digits are measured against the exact least-squares answer at every n:** the
normal equations' sums are integers, computed exactly as one float64 BLAS product of their limbs
(every partial sum an integer below 2^53, n < 2^27), then solved in rational arithmetic (Bareiss
fraction-free elimination on Python integers). Digits = the fewest correct significant digits
over intercept and coefficients (17 = exact to the last bit), deterministic. Times: best of 5,
interleaved (each peer meets the same load), wall and process CPU time, with the load average
printed before and after: on a shared machine the wall times are noisy.

    python -m benchmarks.bench_grid [--big] [--n 10000,1000000] [--d 5,20,100]
        [--designs well,badly,correlated] [--repeat 5] [--cache DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

DESIGNS = ("well", "badly", "correlated", "mixed")
LIMB = 24  # the widest limb; fewer bits where n is large (see _exact_gram)


def design(n: int, d: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, e)``: float64 data and the power-of-two exponent of each column's scale."""
    rng = np.random.default_rng(seed)
    e = np.zeros(d, dtype=np.int64)
    if kind == "mixed":
        U, _, Vt = np.linalg.svd(rng.standard_normal((d, d)))
        G = rng.standard_normal((n, d)) @ (U * np.logspace(0, -8, d)) @ Vt + 5.0
        Xi = np.round(G * 2**28).astype(np.int64)
        e = np.full(d, -28, dtype=np.int64)
        beta = rng.integers(-3, 4, d)
        yi = 3 * 2**28 + Xi @ beta + rng.integers(-(2**26), 2**26, n)
        return Xi.astype(np.float64) * 2.0**-28, yi.astype(np.float64) * 2.0**-28, e
    if kind == "correlated":
        base = rng.integers(0, 2**10, n) * 2**20
        Xi = base[:, None] + rng.integers(-4, 5, (n, d))
    else:
        Xi = rng.integers(-(2**12), 2**12, (n, d))
        if kind == "badly":
            e = np.round(np.linspace(-10, 10, d)).astype(np.int64)
    beta = rng.integers(-3, 4, d)
    noise = rng.integers(-(2**20), 2**20, n)
    # y in integers of the scaled columns: y = 3 + sum_j beta_j 2^e_j Xi_j + noise, kept integer
    # by writing beta_j 2^e_j with e_j < 0 as zero (beta's part on those columns is noise)
    yi = 3 + Xi @ np.where(e >= 0, beta * 2.0**e, 0).astype(np.int64) + noise
    X = Xi.astype(np.float64) * 2.0**e
    return X, yi.astype(np.float64), e


def _limbs(a: np.ndarray, k: int, width: int) -> list[np.ndarray]:
    out, rest = [], a.astype(np.int64)
    for _ in range(k - 1):
        low = rest % (1 << width)
        out.append(low)
        rest = (rest - low) >> width
    out.append(rest)
    return out


def _exact_gram(A: np.ndarray) -> list[list[int]]:
    """``A^T A`` exactly, for an integer array (int64) of n < 2^27 rows.

    ``A`` is cut into limbs of ``w = (53 - bits(n)) // 2`` bits (the last one signed, also
    below ``2^w`` in size), so a limb product is below ``2^(2w)`` and a sum of ``n`` of them
    below ``2^53``: every partial sum is an integer that float64 holds exactly, in whatever
    order BLAS adds them. One float64 product ``L^T L`` of the limbs side by side (BLAS speed,
    exact) gives every limb pair; they are recombined in Python integers.
    """
    n, p = A.shape
    width = min(LIMB, (53 - n.bit_length()) // 2)
    assert width >= 8, "too many rows for exact float64 limb sums"
    top = max(int(np.abs(A).max(initial=0)), 1)
    k = max(1, -(-(top.bit_length() + 1) // width))
    L = np.hstack([v.astype(np.float64) for v in _limbs(A, k, width)])
    assert float(np.abs(L).max(initial=0)) < 2.0**width
    P = L.T @ L
    assert float(np.abs(P).max(initial=0)) < 2.0**53
    Pi = P.astype(np.int64)
    tot = [[0] * p for _ in range(p)]
    for i in range(k):
        for j in range(k):
            part = Pi[i * p : (i + 1) * p, j * p : (j + 1) * p].tolist()
            sh = width * (i + j)
            for r in range(p):
                row, prow = tot[r], part[r]
                for c in range(p):
                    row[c] += prow[c] << sh
    return tot


def exact_answer(X: np.ndarray, y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``[b, w...]``, the exact least-squares answer rounded once to float64."""
    n, d = X.shape
    Xi = np.round(X * 2.0 ** (-e)).astype(np.int64)
    ey = int(e.min()) if kind_scaled_y(y) else 0
    yi = np.round(y * 2.0 ** (-ey)).astype(np.int64)
    A = np.hstack([np.ones((n, 1), dtype=np.int64), Xi, yi[:, None]])
    G = _exact_gram(A)  # [1 X y]^T [1 X y], integers
    p = d + 1
    M = [row[:p] + [row[p]] for row in G[:p]]
    x = _bareiss(M)
    # y = 2^ey yi: b = 2^ey b_i, w_j = 2^(ey - e_j) (coef on Xi_j)
    scale = [Fraction(2) ** ey] + [Fraction(2) ** int(ey - s) for s in e]
    return np.array([float(v * s) for v, s in zip(x, scale, strict=True)])


def kind_scaled_y(y: np.ndarray) -> bool:
    """``y`` holds fractions (the ``mixed`` design: multiples of 2^-28)."""
    return bool(np.any(y != np.round(y)))


def _bareiss(M: list[list[int]]) -> list[Fraction]:
    """Solve ``M[:, :p] x = M[:, p]`` exactly (fraction-free Gaussian elimination)."""
    p = len(M)
    prev = 1
    for k in range(p):
        piv = next(r for r in range(k, p) if M[r][k] != 0)
        M[k], M[piv] = M[piv], M[k]
        for i in range(k + 1, p):
            for j in range(k + 1, p + 1):
                M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) // prev
            M[i][k] = 0
        prev = M[k][k]
    x = [Fraction(0)] * p
    for i in range(p - 1, -1, -1):
        s = Fraction(M[i][p]) - sum((M[i][j] * x[j] for j in range(i + 1, p)), Fraction(0))
        x[i] = s / M[i][i]
    return x


def digits(est: np.ndarray, ref: np.ndarray) -> float:
    scale = np.where(ref != 0, np.abs(ref), np.max(np.abs(ref)))
    err = np.abs(np.asarray(est, dtype=np.float64) - ref) / scale
    return float(np.min(-np.log10(np.maximum(err, 1e-17))))


def _peers() -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    from descend.models import LinearRegression

    def descend(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        m = LinearRegression().fit(X, y)
        return np.r_[m.intercept_, m.coef_]

    def lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        A = np.hstack([np.ones((X.shape[0], 1)), X])
        return np.linalg.lstsq(A, y, rcond=None)[0]

    peers = {"descend": descend, "lstsq": lstsq}
    try:
        from sklearn.linear_model import LinearRegression as SkLR

        def sklearn(X: np.ndarray, y: np.ndarray) -> np.ndarray:
            m = SkLR().fit(X, y)
            return np.r_[m.intercept_, m.coef_]

        peers["sklearn"] = sklearn
    except ImportError:  # pragma: no cover - the benchmark extra
        pass
    return peers


def _reference(n: int, d: int, kind: str, X: np.ndarray, y: np.ndarray, e: np.ndarray,
               cache: str | None) -> np.ndarray:
    """The exact answer, kept in ``cache`` (a folder, as float hex) when given: at d = 100 its
    rational elimination takes ~30 s."""
    path = Path(cache) / f"exact_{n}_{d}_{kind}.json" if cache else None
    if path is not None and path.exists():
        return np.array([float.fromhex(v) for v in json.loads(path.read_text())])
    ref = exact_answer(X, y, e)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([float(v).hex() for v in ref]))
    return ref


def cell(n: int, d: int, kind: str, repeat: int = 5, cache: str | None = None) -> dict[str, Any]:
    """One cell: each peer ``repeat`` times, interleaved; best wall and best CPU time."""
    from descend.models import LinearRegression

    X, y, e = design(n, d, kind)
    ref = _reference(n, d, kind, X, y, e, cache)
    peers = _peers()
    times = dict.fromkeys(peers, np.inf)
    cpus = dict.fromkeys(peers, np.inf)
    ests: dict[str, np.ndarray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat):  # interleaved: each peer meets the same load
            for name, fit in peers.items():
                c0, t0 = time.process_time(), time.perf_counter()
                ests[name] = fit(X, y)
                times[name] = min(times[name], time.perf_counter() - t0)
                cpus[name] = min(cpus[name], time.process_time() - c0)
        m = LinearRegression().fit(X, y)
    row: dict[str, Any] = {"n": n, "d": d, "design": kind, "kappa": m.condition_number_,
                           "trusted": m.trusted_digits_}
    for name in peers:
        row[f"{name}_s"] = times[name]
        row[f"{name}_cpu_s"] = cpus[name]
        row[f"{name}_digits"] = round(digits(ests[name], ref), 2)
    row["time_ratio_lstsq"] = times["descend"] / times["lstsq"]
    row["cpu_ratio_lstsq"] = cpus["descend"] / cpus["lstsq"]
    row["digits_minus_lstsq"] = round(row["descend_digits"] - row["lstsq_digits"], 2)
    row["trusted_honest"] = bool(m.trusted_digits_ <= row["descend_digits"] + 0.5)
    return row


def _load() -> str:
    try:
        return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "load average unknown"


def run(json_path: str | None = None, *, ns: tuple[int, ...] | None = None,
        ds: tuple[int, ...] = (5, 20, 100), big: bool = False, quick: bool = False,
        designs: tuple[str, ...] = DESIGNS, repeat: int = 5,
        cache: str | None = None) -> dict[str, Any]:
    if ns is None:
        ns = (10_000,) if quick or os.environ.get("DESCEND_BENCH_QUICK") else (10_000, 1_000_000)
        ns = ns + ((10_000_000,) if big else ())
    from descend import kernels
    from descend.models import LinearRegression

    # the compiled passes the default fit uses, compiled (once, cached) and loaded outside the
    # timing: the Dot2 refinement pass is used from the first fit of a process that has
    # loaded numba, or from FAST_MIN_ELEMENTS elements
    if kernels.have_numba():
        kernels.warm_up(["dot2-0-float64C-float64C"])
        LinearRegression().fit(*design(1 << 16, 5, "well")[:2])
    LinearRegression().fit(*design(2000, 5, "well")[:2])  # warm the kernels outside the timing
    rows = []
    start_load = _load()
    print(f"{os.cpu_count()} CPUs, {start_load}; best of {repeat}, interleaved; CPU s = process "
          "time (all threads)")
    print(f"{'n':>8s} {'d':>3s} {'design':10s} {'kappa':>8s} {'trust':>5s} | digits: descend lstsq"
          " sklearn | wall s: descend lstsq sklearn | CPU s: descend lstsq sklearn | "
          "descend/lstsq wall, CPU, digits")
    for n in ns:
        for d in ds:
            for kind in designs:
                r = cell(n, d, kind, repeat=repeat, cache=cache)
                rows.append(r)
                print(f"{n:8d} {d:3d} {kind:10s} {r['kappa']:8.2g} {r['trusted']:5d} | "
                      f"{r['descend_digits']:6.2f} {r['lstsq_digits']:6.2f} "
                      f"{r.get('sklearn_digits', float('nan')):6.2f} | {r['descend_s']:7.3f} "
                      f"{r['lstsq_s']:7.3f} {r.get('sklearn_s', float('nan')):7.3f} | "
                      f"{r['descend_cpu_s']:7.3f} {r['lstsq_cpu_s']:7.3f} "
                      f"{r.get('sklearn_cpu_s', float('nan')):7.3f} | "
                      f"x{r['time_ratio_lstsq']:.2f}, x{r['cpu_ratio_lstsq']:.2f}, "
                      f"{r['digits_minus_lstsq']:+.2f}", flush=True)
    short = [r for r in rows if r["digits_minus_lstsq"] < -0.3]
    dishonest = [r for r in rows if not r["trusted_honest"]]
    print(f"cells with descend > 0.3 digits short of lstsq: {len(short)} of {len(rows)}; "
          f"trusted_digits_ above the digits (+0.5): {len(dishonest)}; {_load()}")
    out = {"rows": rows, "timing": f"best of {repeat} interleaved; wall and process CPU time",
           "load": [start_load, _load()], "cpus": os.cpu_count(),
           "reference": "exact rational least squares (integer moments)"}
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=1, default=float))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also n = 1e7")
    ap.add_argument("--n", default=None, help="comma-separated n (default 10000,1000000)")
    ap.add_argument("--d", default="5,20,100")
    ap.add_argument("--designs", default=",".join(DESIGNS), help="comma-separated designs")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each peer (best kept)")
    ap.add_argument("--cache", default=None, help="folder keeping the exact answers")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    ns_arg = tuple(int(float(v)) for v in a.n.split(",")) if a.n else None
    run(a.json, ns=ns_arg, ds=tuple(int(v) for v in a.d.split(",")), big=a.big,
        designs=tuple(a.designs.split(",")), repeat=a.repeat, cache=a.cache)
    sys.exit(0)
