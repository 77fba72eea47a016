"""The grid's contenders, and one contender's timed fits in a process of its own.

Each contender fits ``y ~ 1 + X`` and returns ``[b, w...]``. At n = 1e7 the design is a file
(``X`` 8 GB at d = 100) and each contender runs in its own process that maps it from the page
cache copy-on-write (``np.load(mmap_mode="c")``: a writeable array, as the in-process cells'
are, whose pages stay the file's shared pages unless written), so only the copies a contender
makes itself are its own memory: :data:`COPIES` is how many design-sized copies each makes (measured from its
peak RSS at n = 1e6, d = 100; rounded up), and :func:`plan` skips a contender whose copies do
not fit the memory budget, with the reason printed — never silently.

    python -m benchmarks._grid_peer NAME X.npy y.npy [--repeat 1]   (prints one JSON line)
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable

import numpy as np

PEERS = ("descend", "lstsq", "sklearn", "statsmodels")

#: design-sized copies each contender makes beyond the mapped design, from its peak RSS at
#: n = 1e6, d = 100 (correlated) less the mapped design (measured: descend 0.5, lstsq 1.95,
#: scikit-learn 2.15, statsmodels 4.4), rounded up: lstsq's ``[1 X]`` and LAPACK's own copy;
#: scikit-learn's centred copy and SciPy's copy for gelsd; statsmodels' ``add_constant`` and
#: its pinv's SVD (U, V^T U^T, ...).
COPIES = {"descend": 1.0, "lstsq": 2.0, "sklearn": 2.2, "statsmodels": 4.5}
BASE_GB = 0.3  # a contender's process before its data: Python, NumPy, SciPy, its own imports
#: descend's own account of its last fit: condition number and trusted digits
DIAGNOSIS: dict[str, float] = {}
BUDGET_GB = 16.5  # a contender's process at most: the job may hold 17 GB, its parent ~0.5


def needs_gb(peer: str, n: int, d: int) -> float:
    """The memory a contender's process needs for an n x d float64 design, in GB."""
    return BASE_GB + COPIES[peer] * n * d * 8 / 1e9


def plan(peers: tuple[str, ...], n: int, d: int, budget_gb: float,
         max_n: dict[str, int] | None = None) -> dict[str, str | None]:
    """For each contender: ``None`` (run it) or why it is skipped: ``"skipped: needs N GB"``,
    or ``"skipped: n > M"`` where ``max_n`` limits it (make bench's time)."""
    out: dict[str, str | None] = {}
    for p in peers:
        need = needs_gb(p, n, d)
        limit = (max_n or {}).get(p)
        out[p] = (f"skipped: n > {limit:.0e} (time)" if limit is not None and n > limit else
                  None if need <= budget_gb else
                  f"skipped: needs {need:.0f} GB > {budget_gb:g} GB")
    return out


def available() -> tuple[str, ...]:
    """The contenders whose libraries are installed (descend and lstsq always)."""
    names = ["descend", "lstsq"]
    for p, mod in (("sklearn", "sklearn"), ("statsmodels", "statsmodels")):
        try:
            __import__(mod)
            names.append(p)
        except ImportError:  # pragma: no cover - the benchmark extra
            pass
    return tuple(names)


def fitter(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The contender ``name`` as ``fit(X, y) -> [b, w...]``."""
    if name == "descend":
        from descend.models import LinearRegression

        def fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
            m = LinearRegression().fit(X, y)
            DIAGNOSIS.update(kappa=float(m.condition_number_), trusted=int(m.trusted_digits_))
            return np.r_[m.intercept_, m.coef_]
    elif name == "lstsq":
        def fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
            A = np.hstack([np.ones((X.shape[0], 1)), X])
            return np.linalg.lstsq(A, y, rcond=None)[0]
    elif name == "sklearn":
        from sklearn.linear_model import LinearRegression as SkLR

        def fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
            m = SkLR().fit(X, y)
            return np.r_[m.intercept_, m.coef_]
    elif name == "statsmodels":
        import statsmodels.api as sm

        def fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:  # OLS's default: pinv
            return np.asarray(sm.OLS(y, sm.add_constant(X, has_constant="add")).fit().params)
    else:
        raise ValueError(f"contender {name!r}: choose one of {', '.join(PEERS)}")
    return fit


def warm_up(name: str, fit: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """One small fit outside the timing (imports, numba's kernels loaded from its cache)."""
    from benchmarks._grid_data import design

    if name == "descend":
        from descend import kernels

        if kernels.have_numba():
            kernels.warm_up(["dot2-0-float64C-float64C"])
            fit(*design(1 << 16, 5, "well")[:2])
    fit(*design(2000, 5, "well")[:2])


def timed(fit: Callable[[np.ndarray, np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray
          ) -> tuple[np.ndarray, float, float]:
    """``(estimate, wall s, process CPU s)`` of one fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c0, t0 = time.process_time(), time.perf_counter()
        est = fit(X, y)
        return est, time.perf_counter() - t0, time.process_time() - c0


def _peak_rss_gb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
    with open("/proc/self/status") as fh:
        hwm = next(ln for ln in fh if ln.startswith("VmHWM"))
    return int(hwm.split()[1]) / 1024**2


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=PEERS)
    ap.add_argument("x")
    ap.add_argument("y")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    fit = fitter(a.name)
    warm_up(a.name, fit)
    # copy-on-write, not "r": a read-only X is another numba signature ("...Cr") than the
    # in-process cells' writeable one, not compiled by `descend doctor`; descend then took its
    # NumPy path and started a background compiler during the timing (2026-12-07's 1e7 x 100
    # cells: 35-44 s). Nobody writes X, so no page is copied.
    X = np.load(a.x, mmap_mode="c")
    y = np.load(a.y)
    for s in range(0, X.shape[0], 1 << 20):  # map the pages in, outside the timing
        float(X[s : s + (1 << 20)].sum())
    best = (np.empty(0), np.inf, np.inf)
    for _ in range(a.repeat):
        est, wall, cpu = timed(fit, X, y)
        best = (est, min(best[1], wall), min(best[2], cpu))
    print(json.dumps({"peer": a.name, "wall": best[1], "cpu": best[2],
                      "est": [float(v).hex() for v in best[0]], "peak_rss_GB": _peak_rss_gb(),
                      **DIAGNOSIS}))


if __name__ == "__main__":
    main()
