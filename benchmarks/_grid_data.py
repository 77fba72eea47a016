"""The grid's designs and their exact least-squares answers (``bench_grid``), at any n.

Every number of a design is an integer times a power of two below 2^53, so the normal
equations' sums are integers: they are computed exactly from limbs with float64 BLAS products
(every partial sum an integer below 2^53), then solved in rational arithmetic (Bareiss
fraction-free elimination on Python integers).

Up to ``BLOCK`` rows a design is drawn in one go from ``default_rng(seed)`` (the values every
earlier run and ``tests/models`` used); above it, block ``b`` of ``BLOCK`` rows is drawn from
``default_rng([seed, b + 1])`` (beta and the ``mixed`` rotation from ``default_rng(seed)``), so
an n = 1e7 design is written to a ``.npy`` file block by block, and its exact sums are taken
from the same blocks, without ever holding more than one block of integers.

The exact answers are kept on disk keyed by (n, d, design, seed) and the generator's version:
:func:`cache_key`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import nullcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

DESIGNS = ("well", "badly", "correlated", "mixed")
LIMB = 24  # the widest limb of the one-shot exact sums (fewer bits where n is large)
BLOCK = 1 << 21  # rows drawn at once above which a design is drawn block by block
SUB = 1 << 18  # rows of one exact limb product in the blockwise sums: 17-bit limbs
GENERATOR = "v2"  # bump when the designs' values change: the cached answers are then stale


def column_exponents(d: int, kind: str) -> tuple[np.ndarray, int]:
    """``(e, ey)``: column j is an integer times ``2^e_j``, ``y`` an integer times ``2^ey``."""
    if kind == "mixed":
        return np.full(d, -28, dtype=np.int64), -28
    if kind == "badly":
        return np.round(np.linspace(-10, 10, d)).astype(np.int64), 0
    return np.zeros(d, dtype=np.int64), 0


def _ints(rng: np.random.Generator, m: int, d: int, kind: str,
          mix: tuple[np.ndarray, np.ndarray] | None = None,
          beta: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``m`` rows of integers ``(Xi, yi)``, drawn in the order the one-shot design draws them
    (``mix`` and ``beta`` drawn here when not given)."""
    e, _ = column_exponents(d, kind)
    if kind == "mixed":
        if mix is None:
            U, _, Vt = np.linalg.svd(rng.standard_normal((d, d)))
            mix = (U * np.logspace(0, -8, d), Vt)
        G = rng.standard_normal((m, d)) @ mix[0] @ mix[1] + 5.0
        Xi = np.round(G * 2**28).astype(np.int64)
        beta = rng.integers(-3, 4, d) if beta is None else beta
        return Xi, 3 * 2**28 + Xi @ beta + rng.integers(-(2**26), 2**26, m)
    if kind == "correlated":
        base = rng.integers(0, 2**10, m) * 2**20
        Xi = base[:, None] + rng.integers(-4, 5, (m, d))
    else:
        Xi = rng.integers(-(2**12), 2**12, (m, d))
    beta = rng.integers(-3, 4, d) if beta is None else beta
    noise = rng.integers(-(2**20), 2**20, m)
    # y in integers of the scaled columns: y = 3 + sum_j beta_j 2^e_j Xi_j + noise, kept integer
    # by writing beta_j 2^e_j with e_j < 0 as zero (beta's part on those columns is noise)
    return Xi, 3 + Xi @ np.where(e >= 0, beta * 2.0**e, 0).astype(np.int64) + noise


def int_blocks(n: int, d: int, kind: str, seed: int = 0
               ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The design's integer rows ``(Xi, yi)``, one block at a time (one block up to ``BLOCK``)."""
    if kind not in DESIGNS:
        raise ValueError(f"design {kind!r}: choose one of {', '.join(DESIGNS)}")
    if n <= BLOCK:
        yield _ints(np.random.default_rng(seed), n, d, kind)
        return
    rng0 = np.random.default_rng(seed)
    mix = None
    if kind == "mixed":
        U, _, Vt = np.linalg.svd(rng0.standard_normal((d, d)))
        mix = (U * np.logspace(0, -8, d), Vt)
    beta = rng0.integers(-3, 4, d)
    for b, start in enumerate(range(0, n, BLOCK)):
        m = min(BLOCK, n - start)
        yield _ints(np.random.default_rng([seed, b + 1]), m, d, kind, mix, beta)


def design(n: int, d: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, e)``: float64 data and the power-of-two exponent of each column's scale."""
    e, ey = column_exponents(d, kind)
    parts = list(int_blocks(n, d, kind, seed))
    Xi = parts[0][0] if len(parts) == 1 else np.vstack([p[0] for p in parts])
    yi = parts[0][1] if len(parts) == 1 else np.concatenate([p[1] for p in parts])
    return Xi.astype(np.float64) * 2.0**e, yi.astype(np.float64) * 2.0**ey, e


# --------------------------------------------------------------------------------------
# exact sums
# --------------------------------------------------------------------------------------


def _one_blas_thread() -> Any:
    """BLAS on one thread for the thin limb products: on a loaded 2-core machine OpenBLAS's
    second thread waits for a core and makes them 10-40x slower (0.05 s vs 0.5-2 s CPU for
    2^18 x 44, measured at load 9); quiet, one thread loses little on such small products."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return nullcontext()
    return threadpool_limits(1, user_api="blas")


def _limbs(a: np.ndarray, k: int, width: int) -> list[np.ndarray]:
    out, rest = [], a.astype(np.int64)
    for _ in range(k - 1):
        low = rest % (1 << width)
        out.append(low)
        rest = (rest - low) >> width
    out.append(rest)
    return out


def _recombine(Pi: np.ndarray, p: int, k: int, width: int) -> list[list[int]]:
    """``sum_{i,j} 2^(width (i + j)) P[i, j]`` of the ``k x k`` limb-pair blocks, in integers."""
    tot = [[0] * p for _ in range(p)]
    for i in range(k):
        for j in range(k):
            part = Pi[i * p : (i + 1) * p, j * p : (j + 1) * p].tolist()
            sh = width * (i + j)
            for r in range(p):
                row, prow = tot[r], part[r]
                for c in range(p):
                    row[c] += int(prow[c]) << sh
    return tot


def exact_gram(A: np.ndarray) -> list[list[int]]:
    """``A^T A`` exactly, for an integer array (int64) of n < 2^27 rows, in one product.

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
    with _one_blas_thread():
        P = L.T @ L
    assert float(np.abs(P).max(initial=0)) < 2.0**53
    return _recombine(P.astype(np.int64), p, k, width)


class GramSums:
    """``A^T A`` of integer row blocks added up exactly, for any number of rows below 2^29.

    Each column of a block is cut into as many limbs of ``W`` bits as its largest value needs
    (one for most columns: few limbs, few flops); each ``SUB`` rows' limb product sums ``SUB``
    values below ``2^(2W)``: exact in float64 (< 2^52), and the int64 total over one block
    (at most 2^11 such products) stays below 2^63. Each block's total is recombined into
    Python integers.
    """

    W = (53 - SUB.bit_length()) // 2  # 17

    def __init__(self) -> None:
        self.tot: list[list[int]] | None = None
        self.rows = 0

    def add(self, A: np.ndarray) -> None:
        m, p = A.shape
        assert m <= SUB << 11
        top = np.abs(A).max(axis=0, initial=0)
        ks = [max(1, -(-(int(t).bit_length() + 1) // self.W)) for t in top]
        owner = [(j, i * self.W) for j in range(p) for i in range(ks[j])]
        acc = np.zeros((len(owner), len(owner)), dtype=np.int64)
        for s in range(0, m, SUB):
            part = A[s : s + SUB]
            L = np.empty((part.shape[0], len(owner)), order="F")  # columns written one by one
            c = 0
            for j in range(p):
                for v in _limbs(part[:, j], ks[j], self.W):
                    L[:, c] = v
                    c += 1
            assert float(np.abs(L).max(initial=0)) < 2.0**self.W
            with _one_blas_thread():
                acc += (L.T @ L).astype(np.int64)
        self.rows += m
        assert self.rows < 1 << 29
        tot = self.tot or [[0] * p for _ in range(p)]
        rows = acc.tolist()
        for a, (ja, sa) in enumerate(owner):
            row, arow = tot[ja], rows[a]
            for b, (jb, sb) in enumerate(owner):
                row[jb] += arow[b] << (sa + sb)
        self.tot = tot

    def total(self) -> list[list[int]]:
        assert self.tot is not None
        return self.tot


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


def solve_gram(G: list[list[int]], e: np.ndarray, ey: int) -> np.ndarray:
    """``[b, w...]`` from the integer sums of ``[1 Xi yi]``, rounded once to float64."""
    p = len(G) - 1
    x = _bareiss([row[:p] + [row[p]] for row in G[:p]])
    # y = 2^ey yi: b = 2^ey b_i, w_j = 2^(ey - e_j) (coef on Xi_j)
    scale = [Fraction(2) ** ey] + [Fraction(2) ** int(ey - s) for s in e]
    return np.array([float(v * s) for v, s in zip(x, scale, strict=True)])


def kind_scaled_y(y: np.ndarray) -> bool:
    """``y`` holds fractions (the ``mixed`` design: multiples of 2^-28)."""
    return bool(np.any(y != np.round(y)))


def exact_answer(X: np.ndarray, y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``[b, w...]``, the exact least-squares answer of a design in memory."""
    n, _ = X.shape
    Xi = np.round(X * 2.0 ** (-e)).astype(np.int64)
    ey = int(e.min()) if kind_scaled_y(y) else 0
    yi = np.round(y * 2.0 ** (-ey)).astype(np.int64)
    A = np.hstack([np.ones((n, 1), dtype=np.int64), Xi, yi[:, None]])
    return solve_gram(exact_gram(A), e, ey)


def digits(est: np.ndarray, ref: np.ndarray) -> float:
    """The fewest correct significant digits over the entries (17: exact to the last bit)."""
    scale = np.where(ref != 0, np.abs(ref), np.max(np.abs(ref)))
    err = np.abs(np.asarray(est, dtype=np.float64) - ref) / scale
    return float(np.min(-np.log10(np.maximum(err, 1e-17))))


# --------------------------------------------------------------------------------------
# the design on disk and the cached answer
# --------------------------------------------------------------------------------------


def cache_key(n: int, d: int, kind: str, seed: int = 0) -> str:
    """The file name of a cached exact answer: every input that decides it, and the version."""
    return f"exact_{GENERATOR}_n{n}_d{d}_{kind}_seed{seed}.json"


def cached_answer(cache: str | Path | None, n: int, d: int, kind: str,
                  seed: int = 0) -> np.ndarray | None:
    if cache is None:
        return None
    path = Path(cache) / cache_key(n, d, kind, seed)
    if not path.exists():
        return None
    return np.array([float.fromhex(v) for v in json.loads(path.read_text())["answer"]])


def store_answer(cache: str | Path | None, n: int, d: int, kind: str, seed: int,
                 answer: np.ndarray, seconds: float) -> None:
    if cache is None:
        return
    path = Path(cache) / cache_key(n, d, kind, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"n": n, "d": d, "design": kind, "seed": seed,
                                "generator": GENERATOR, "seconds": round(seconds, 1),
                                "answer": [float(v).hex() for v in answer]}))


def blockwise_answer(n: int, d: int, kind: str, seed: int = 0) -> np.ndarray:
    """The exact answer from the design's integer blocks, without writing or holding it."""
    e, ey = column_exponents(d, kind)
    sums = GramSums()
    for Xi, yi in int_blocks(n, d, kind, seed):
        sums.add(np.hstack([np.ones((Xi.shape[0], 1), dtype=np.int64), Xi, yi[:, None]]))
    return solve_gram(sums.total(), e, ey)


def precompute(cache: str | Path, ns: tuple[int, ...], ds: tuple[int, ...],
               designs: tuple[str, ...], seed: int = 0) -> dict[str, float]:
    """Fill ``cache`` with the exact answers not yet in it; the seconds each took."""
    took: dict[str, float] = {}
    for n in ns:
        for d in ds:
            for kind in designs:
                if cached_answer(cache, n, d, kind, seed) is not None:
                    continue
                t0 = time.perf_counter()
                ref = blockwise_answer(n, d, kind, seed)
                took[cache_key(n, d, kind, seed)] = dt = time.perf_counter() - t0
                store_answer(cache, n, d, kind, seed, ref, dt)
                print(f"exact answer n = {n:.0e}, d = {d}, {kind}: {dt:.1f} s", flush=True)
    return took


def write_design(folder: Path, n: int, d: int, kind: str, seed: int = 0,
                 exact: bool = True) -> tuple[Path, Path, np.ndarray | None]:
    """Write ``X`` and ``y`` as ``.npy`` files block by block; with ``exact``, the exact answer
    from the same blocks. Returns the two paths and the answer (or None)."""
    folder.mkdir(parents=True, exist_ok=True)
    px, py = folder / f"X_{n}_{d}_{kind}_{seed}.npy", folder / f"y_{n}_{d}_{kind}_{seed}.npy"
    e, ey = column_exponents(d, kind)
    X = np.lib.format.open_memmap(px, mode="w+", dtype=np.float64, shape=(n, d))
    y = np.lib.format.open_memmap(py, mode="w+", dtype=np.float64, shape=(n,))
    sums = GramSums() if exact else None
    start = 0
    for Xi, yi in int_blocks(n, d, kind, seed):
        m = Xi.shape[0]
        X[start : start + m] = Xi * 2.0**e
        y[start : start + m] = yi * 2.0**ey
        if sums is not None:
            sums.add(np.hstack([np.ones((m, 1), dtype=np.int64), Xi, yi[:, None]]))
        start += m
    X.flush()
    y.flush()
    del X, y
    return px, py, (solve_gram(sums.total(), e, ey) if sums is not None else None)
