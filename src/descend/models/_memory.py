"""The rows in memory for the preconditioned squared-loss fit: one fused pass in double-double.

:func:`~descend.models._whitened.whiten_moments` builds the whitened problem from the moments;
:class:`MemoryRows` is the pass over the rows its refinement steps need
(:class:`~descend.models._whitened.ResidualPasses`), as a streamed or Dask fit's passes are:

- ``anchored(mean, scale, b_a, w_a, dv, c)``: at the point ``(b, w)`` those arguments name,
  ``(sum_i z_i r_i, sum_i r_i, sum_i r_i^2, n)`` with ``r_i = y_i - b - x_i . w`` and
  ``z_i = (x_i - mean) / scale``, all of it in **one pass** over ``X``, in double-double
  (Dot2: error-free TwoSum and TwoProduct, the errors summed apart): the residual, where
  ``X w`` cancels against ``y``, and ``Z^T r``, a sum of ``n`` terms that cancel to 0 at the
  answer, each as accurate as twice float64's precision rounded once. That is what the
  refinement's fixed point is off by (the error of ``Z^T r`` is amplified by up to ``kappa^2``
  in the weakest direction), so a refinement step on them lands past
  ``numpy.linalg.lstsq``'s digits. No centred copy of ``X`` is kept.
- ``r_factor(mean, scale)``: the triangular factor ``R`` of a Householder QR of the
  standardised rows (LAPACK ``dgeqrf`` and ``dtpqrt``, one cache-sized block of rows at a
  time: :func:`_blocked_r`), for designs too ill-conditioned for the moments' factor
  (``kappa > QR_ABOVE``). The QR is of ``[Z | y - y_c]``: the last column of the factor is
  ``q = Q^T (y - y_c)`` (:attr:`MemoryRows.qr_rhs`), so the first step from the usual start
  (``w = 0``) solves ``R v = q``, Householder QR's least-squares answer (backward stable,
  Golub 1965), instead of the semi-normal equations' (which lose ``~kappa^2 eps``): the
  whitened objective takes its first gradient as ``U^T q`` (``_whitened.whiten_moments``).
- :func:`one_blas_thread`: the fit's BLAS on one thread (its products are thin).
- at the usual start ``w = 0`` the sums come from the moments (no pass at all).

**Why not** ``numpy.linalg.lstsq`` (LAPACK ``gelsd``, an SVD) or refinement through ``Q``:
measured against the exact answer (``benchmarks/bench_grid.py``), the QR solve alone already
has more digits than ``lstsq`` on every hard cell (n = 1e4, d = 20, correlated: 6.8 vs 5.7;
d = 100: 5.7 vs 3.8), at about the cost of ``gelsd``'s own first step (its QR); refinement
through an explicit ``Q`` (``Q^T r``) stops at the rounding of the standardised copy that ``Q``
is of (6.3 digits), while steps on ``Z^T r`` formed from ``X`` beyond float64's precision go on to
7.2-7.4 (correlated) and 10-11 (mixed) digits. On the well-conditioned grid, one such step after
the moments' answer gives 14.9-17 digits where ``lstsq`` has 12.5-14.7.
The pass is the compiled kernel (:func:`descend.kernels.residual_sums`,
:mod:`descend.kernels._dot2`, ~5 ns an element) once it is on disk and, for a small ``X``,
once numba is loaded in the process; otherwise the same arithmetic in NumPy
(:func:`~descend.data.stats.residual_sums_dd`, ~8-13x the kernel's time). Both add the same
double-double terms in the same blocks and order and round once, so a fit gives the same
numbers whichever ran:
with or without numba, on the first run or a later one, on platforms without an extended
``longdouble``. (Before, the NumPy path kept the residual in float64 and summed ``Z^T r`` in
x87 ``longdouble``: the 4000 x 3 "mixed" grid design got 10.6 correct digits in a process
without numba and 14.9 in one with it.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend import kernels
from descend.data.stats import MomentStats, residual_sums_dd

Array = NDArray[np.float64]

__all__ = ["MemoryRows", "one_blas_thread"]

#: up to this many elements (n x d) a fit takes a refinement pass even on a well-conditioned
#: design (an exact fit then refines to its last bit); above it a pass costs more than the
#: moments and ``kappa <= 3`` designs take none (:mod:`descend.models.fit`)
EXACT_ELEMENTS = 2_000_000
#: elements per block of the NumPy double-double pass; ``None``: the compiled kernel's blocks
#: (:func:`~descend.data.stats.dd_block_rows`), whose sums it then gives to the bit
_DD_BLOCK_ELEMENTS: int | None = None


def _dd_rows(d: int) -> int | None:
    """Rows per block of :func:`~descend.data.stats.residual_sums_dd` (``None``: the kernel's)."""
    return None if _DD_BLOCK_ELEMENTS is None else max(1, _DD_BLOCK_ELEMENTS // max(d, 1))


#: elements of a block of the row-blocked QR (:func:`_blocked_r`): the block stays in cache
_QR_BLOCK_ELEMENTS = 1 << 16
#: from this many elements (n x d) a fit asks for the BLAS libraries' thread controls (once a
#: process: ~10 ms); a smaller fit uses them once they are there (:func:`one_blas_thread`)
_ONE_THREAD_ELEMENTS = 1 << 16
#: products of at least this many flops (n d^2) may keep BLAS's threads on an idle machine
_THREADED_WORK = 1 << 33
_BLAS: list[Any] = []  # the BLAS libraries' thread controls (threadpoolctl), once found


def _blas_libs(create: bool) -> list[Any]:
    if not _BLAS and create:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - scikit-learn brings it
            _BLAS.append(None)
        else:
            libs = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
            _BLAS.extend(libs or [None])
    return [lib for lib in _BLAS if lib is not None]


@contextmanager
def one_blas_thread(X: Any) -> Iterator[None]:
    """NumPy's and SciPy's BLAS (OpenBLAS, MKL) on one thread while an in-memory fit of ``X``
    runs, restored after.

    The fit's products are thin (``X^T X`` and the QR of ``n x (d + 1)`` rows, ``d`` small):
    BLAS splits them into jobs too small to pay for waking threads, which then spin-wait for
    the next one; on a machine whose cores are busy they wait for a core as well. Measured on
    a 2-core machine at load 7-11, CPU time with the default 2 threads against one: the
    moments of 1e6 x 100 rows 14.2 s against 1.25 s (wall 55 s against 7 s), of 1e6 x 20 2.2 s
    against 0.15 s; a whole correlated 1e4 x 100 fit 0.55 s against 0.08 s. Threads are left
    alone where the products are large (``n d^2 >= 2^33`` flops). The rule reads only the
    shape (never the machine's load), so a fit's arithmetic does not change with the load.
    Only from the main thread: the count is one setting for the whole process, which fits
    running in several threads would set and put back in any order (and OpenBLAS ignores a
    raise asked from another thread), leaving BLAS on one thread after them.
    """
    n, d = X.shape if getattr(X, "ndim", 0) == 2 else (0, 0)
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    libs = _blas_libs(create=n * d >= _ONE_THREAD_ELEMENTS)
    if not libs or n * d * d >= _THREADED_WORK:
        yield
        return
    old = [lib.get_num_threads() for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, k in zip(libs, old, strict=True):
            lib.set_num_threads(k)


def _blocked_r(X: Array, y: Array, mean: Array, scale: Array, y_c: float) -> Array:
    """``R`` (``(d + 1) x (d + 1)``) of the Householder QR of ``[(X - mean) / scale | y - y_c]``,
    one block of rows at a time (a sequential TSQR, as a stream's): the first block by LAPACK
    ``dgeqrf``, each next one stacked under ``R`` by ``dtpqrt`` (the QR of a triangle over a
    rectangle, Householder's blocked form). Each block is formed in a column-major buffer that
    stays in cache, so ``X`` is read once and never copied whole; the factorisation of the
    whole ``n x (d + 1)`` copy reads the tall panel once per column instead. The columns are
    divided by ``scale`` in ``R`` (``QR(A D) = Q (R D)``), not in every row. 1e6 x 21, one
    thread: 0.19 s of CPU time against 0.47 s for ``dgeqrf`` of the whole copy; 1e6 x 6: 0.03
    against 0.08 s. Backward stable as Householder QR is: ``R^T R`` equals the Gram matrix to
    ``~eps |A|^2``."""
    from scipy.linalg import lapack

    n, d = X.shape
    p = d + 1
    rows = max(2 * p, _QR_BLOCK_ELEMENTS // p)
    buf = np.empty((min(rows, n), p), order="F")

    def block(lo: int) -> Array:
        hi = min(n, lo + rows)
        B = buf if hi - lo == buf.shape[0] else np.empty((hi - lo, p), order="F")
        # written through the transposes: numpy then walks the column-major block in order
        np.subtract(X[lo:hi].T, mean[:, None], out=B[:, :d].T)
        np.subtract(y[lo:hi], y_c, out=B[:, d])
        return B

    R = _householder_r(block(0))
    if n > rows:
        R = np.asfortranarray(R)
        nb = min(p, 32)
        for lo in range(rows, n, rows):
            R, _, _, info = lapack.dtpqrt(0, nb, R, block(lo), overwrite_a=1, overwrite_b=1)
            if info != 0:  # pragma: no cover - LAPACK's argument checks
                raise RuntimeError(f"LAPACK dtpqrt: argument {-info} is invalid")
        R = np.triu(R)
    R[:, :d] /= scale
    return R


def _householder_r(A: Array) -> Array:
    """``R`` (``min(n, p) x p``) of the Householder QR of a column-major ``A``, factored in
    place by LAPACK ``dgeqrf`` (``A`` is overwritten). ``numpy.linalg.qr`` copies its argument
    twice first (1e6 x 21: 1.1-1.4 s of CPU time against 0.7-0.8 s here, the same ``R``)."""
    from scipy.linalg import lapack

    n, p = A.shape
    geqrf, geqrf_lwork = lapack.get_lapack_funcs(("geqrf", "geqrf_lwork"), (A,))
    work, info = geqrf_lwork(n, p)
    lwork = max(int(np.real(work)), 1) if info == 0 else max(p, 1)
    qr, _, _, info = geqrf(A, lwork=lwork, overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK's argument checks
        return np.asarray(np.linalg.qr(A, mode="r"), dtype=np.float64)
    return np.triu(qr[: min(n, p)])


def _plain(X: Any, y: Any) -> bool:
    """float64 ndarrays (the compiled pass's signature)."""
    return (isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
            and X.dtype == np.float64 and y.dtype == np.float64)


class MemoryRows:
    """``X``, ``y`` in memory as :class:`~descend.models._whitened.ResidualPasses`.

    ``stats`` (the moments of ``X``, ``y``) give the sums at ``w = 0``; the last pass is kept,
    so a refinement round that starts where the previous step ended reads nothing again.
    ``passes`` counts the passes made over ``X``.
    """

    def __init__(self, X: Array, y: Array, stats: MomentStats):
        self.X, self.y, self.stats = X, y, stats
        self.passes = 0
        #: every pass's sums are to twice float64's precision (the compiled Dot2 kernel or its
        #: NumPy twin), which lets the refinement trust its steps (``_solve_rows``)
        self.dot2 = True
        self._last: tuple[bytes, tuple[Array, float, float, int]] | None = None
        self._start: tuple[Array, Array] | None = None  # (R, q) of the QR of [Z | y - y_c]

    # ------------------------------------------------------------------ ResidualPasses
    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        """The sums at ``y ~ y0 + c + (x - mean) / scale . v`` (the protocol's plain pass)."""
        w = v / scale
        return self.sums(mean, scale, y0 + c - float(mean @ w), w)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        """The sums at ``w + dv / scale`` and ``b + c - (mean / scale) . dv`` (the point the
        whitened ``theta`` names about its anchor ``(b, w)``)."""
        if not dv.any():
            return self.sums(mean, scale, float(b) + c, w)
        return self.sums(mean, scale, float(b) + c - float((mean / scale) @ dv), w + dv / scale)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        """``R`` of the Householder QR of ``Z = (X - mean) / scale``; keeps ``q = Q^T (y -
        y_c)`` (``y_c`` the mean of ``y`` when ``Z`` is centred, else 0) for the first step."""
        n, d = self.X.shape
        y_c = float(self.stats.mean_y) if np.any(mean) else 0.0
        Ra = _blocked_r(self.X, self.y, mean, scale, y_c)
        self.passes += 1
        R = Ra[:d, :d].copy()
        if Ra.shape[0] > d:  # n > d: the QR's solution R v = q
            self._start = (R, Ra[:d, d].copy())
        return R

    @property
    def qr_rhs(self) -> Array | None:
        """``q = Q^T (y - y_c)`` of the last :meth:`r_factor` (``None`` before, or ``n <= d``):
        the whitened first step then solves ``R v = q`` as the QR does."""
        return None if self._start is None else self._start[1]

    # ------------------------------------------------------------------ the sums
    def sums(self, mean: Array, scale: Array, b: float, w: Array) -> tuple[Array, float, float, int]:
        """``(Z^T r, sum r, r . r, n)`` at ``(b, w)``, ``r = y - b - X w``, ``Z = (X - mean) /
        scale``: from the moments (and the QR) at ``w = 0``, else one double-double pass."""
        w = np.asarray(w, dtype=np.float64)
        key = b"".join((mean.tobytes(), scale.tobytes(), np.float64(b).tobytes(), w.tobytes()))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        out = self._at_start(mean, scale, b) if not w.any() else self._pass(mean, scale, b, w)
        self._last = (key, out)
        return out

    def _at_start(self, mean: Array, scale: Array, b: float) -> tuple[Array, float, float, int]:
        """``w = 0``: ``r = y - b``, so ``sum (x - m) r = Cxy + n (mx - m)(my - b)`` and the rest
        from the moments; with a QR, ``Z^T (y - y_c) = R^T q`` (the QR's, not the moments')."""
        st = self.stats
        n = int(st.n)
        off = float(st.mean_y) - float(b)
        zr = st.cxy + n * (st.mean_x - mean) * off
        if self._start is not None:
            R, q = self._start
            y_c = float(st.mean_y) if np.any(mean) else 0.0
            # Z^T (y - b) = Z^T (y - y_c) + (y_c - b) Z^T 1, Z^T 1 = n (mx - m) / scale
            zr = R.T @ q + (y_c - float(b)) * n * (st.mean_x - mean) / scale
            return zr, n * off, float(st.cyy) + n * off * off, n
        return zr / scale, n * off, float(st.cyy) + n * off * off, n

    def _pass(self, mean: Array, scale: Array, b: float, w: Array) -> tuple[Array, float, float, int]:
        self.passes += 1
        X, y = self.X, self.y
        n, d = X.shape
        fast = kernels.residual_sums(X, y, b, w, mean) if _plain(X, y) else None
        # the compiled Dot2 pass, or the same arithmetic in NumPy (the same numbers, slower):
        # the residual and every sum to twice float64's precision, rounded once
        zr, sr, rr = fast if fast is not None else residual_sums_dd(
            np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64), b, w, mean,
            rows=_dd_rows(d))
        return zr / scale, float(sr), float(rr), n
