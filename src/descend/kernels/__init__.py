"""The fused kernels behind one lazy facade: a full pass at ``w``, the moments, a prediction.

``descend.models`` (and the stream and Dask engines) call three entry points; each gives the
NumPy reference's numbers to rounding, through a compiled numba kernel once that kernel is on
disk and through blocked NumPy until then:

- :func:`full_pass` -- ``(mean h(r), X^T psi(r) / n, mean psi(r))`` at ``(w, b)``,
  ``r = X w + b - y`` (:mod:`descend.kernels._full_pass`);
- :func:`moments` -- :class:`~descend.data.stats.MomentStats` of ``(X, y)``
  (:mod:`descend.kernels._moments`);
- :func:`predict` -- ``X w + b`` (:mod:`descend.kernels._predict`);
- :func:`residual_sums` -- the refinement's ``((X - m)^T r, sum r, r . r)`` at ``r = y - b -
  X w`` in double-double (:mod:`descend.kernels._dot2`); ``None`` until compiled (its NumPy
  reference is :class:`~descend.models._memory.MemoryRows`'s pass).

:func:`use_fast` says whether an array is large enough to gain from them (:data:`FAST_MIN_ELEMENTS`).
Importing this package loads neither numba nor a kernel; nothing here writes an environment
variable.

**Why a first run does not compile (issue 27).** Compiling the parallel kernels costs seconds
each (measured on the 2-core development machine, unloaded: ~16 s for the statistics kernel
and numba's import, ~6 s more for a gradient kernel; 80-240 s under load), while a first fit
of 4e6 x 10 rows takes ~2.6 s with them and little more with NumPy, whose passes are bound by
reading the file. Compiling only the one signature the job needs still cost ~16 s; smaller
kernels would give up the speed they exist for. So an entry point uses a compiled kernel only
once its signature is stamped as compiled (:mod:`descend.kernels._stamps`); until then it runs
the NumPy path and starts one detached, low-priority process that compiles that signature for
the next run. ``descend doctor`` (:func:`warm_up`) compiles all of them ahead of time, in the
foreground, announcing it on stderr ("compiling fast kernels, once: ~N s"), as does the first
direct call of a kernel function (``descend.scale.loss_and_grad_fast`` and friends).
"""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from typing import Any

import numpy as np

from descend.kernels._common import (
    LOSS_CODES,
    LOSSES,
    Array,
    as_float_1d,
    as_float_2d,
    block_rows,
    checked_out,
    checked_pass,
    grad_key,
    predict_key,
    stats_key,
)
from descend.kernels._stamps import (
    cache_dir,
    is_ready,
    kernel_threads,
    notice,
    start_background,
)

__all__ = [
    "BLOCK_KEYS",
    "FAST_MIN_ELEMENTS",
    "LOSSES",
    "LOSS_CODES",
    "ONE_THREAD_STATS_ELEMENTS",
    "all_keys",
    "block_kernels",
    "cache_dir",
    "full_pass",
    "have_numba",
    "is_ready",
    "kernel_threads",
    "moments",
    "predict",
    "residual_sums",
    "small_moments",
    "use_fast",
    "warm_up",
]

#: Arrays with at least this many elements go to the fused passes; below it NumPy is as fast
#: and a kernel's first call (loading it, starting threads) would cost more than it saves.
FAST_MIN_ELEMENTS = 1 << 18
#: The in-memory moments take the fused kernel from this size on (below it NumPy's two passes,
#: ``moment_stats``). Measured warm on 2 shared cores (load ~10), process CPU time of the kernel
#: over NumPy's two passes: 1e4 x 5 0.60, 1e5 x 5 0.16, 1e6 x 5 0.81; 1e4 x 20 0.65, 1e5 x 20
#: 0.52, 1e6 x 20 0.11; 1e3 x 100 1.17, 1e4 x 100 0.95, 1e5 x 100 0.20. It was 2^25 while the
#: kernel's means were 1e-12 off (a fit's intercept lost 2 digits); they are exact to an ulp now.
_MIN_BY_KIND = {"moments": FAST_MIN_ELEMENTS}


def use_fast(kind: str, X: Any) -> bool:
    """True where ``X`` is an ndarray large enough for the fused pass ``kind`` (``full_pass``,
    ``moments`` or ``predict``) to beat NumPy."""
    least = _MIN_BY_KIND.get(kind, FAST_MIN_ELEMENTS)
    return isinstance(X, np.ndarray) and X.size >= least


def have_numba() -> bool:
    """True where numba can be imported (and ``DESCEND_NO_NUMBA`` is not set); imports nothing."""
    return not os.environ.get("DESCEND_NO_NUMBA") and find_spec("numba") is not None


def _numba_not_worth_loading(size: int) -> bool:
    """True for an array under :data:`FAST_MIN_ELEMENTS` in a process that has not imported
    numba: importing it (about 1 s) costs more than the kernel saves on such an array."""
    return size < FAST_MIN_ELEMENTS and "numba" not in sys.modules


def _compiled(key: str) -> bool:
    """Use the compiled kernel ``key``? Yes once it is on disk; else start compiling it in the
    background (for the next run) and say no: this run takes the NumPy path."""
    if not have_numba():
        return False
    if is_ready(key):
        return True
    start_background(key)
    return False


def full_pass(X: Any, y: Any, w: Any, b: float, loss: str = "squared_error",
              epsilon: float = 1.35) -> tuple[float, Array, float]:
    """Mean loss and gradient ``(L, dL/dw, dL/db)`` at ``(w, b)``: ``L = mean h(r)``,
    ``dL/dw = X^T psi(r) / n``, ``dL/db = mean psi(r)``, ``r = X w + b - y`` (the losses of
    :mod:`descend.kernels._full_pass`).

    >>> X = np.array([[1.0], [2.0]]); y = np.array([1.0, 3.0])
    >>> L, gw, gb = full_pass(X, y, np.array([1.0]), 0.0)
    >>> L, gw.tolist(), gb
    (0.5, [-2.0], -1.0)
    """
    A, v, wv, code = checked_pass(X, y, w, loss)
    if _compiled(grad_key(A, v, code)):
        from descend.kernels._full_pass import loss_and_grad_fast

        return loss_and_grad_fast(A, v, wv, b, loss, epsilon)
    from descend.kernels._numpy import grad_numpy, numpy_rows

    n, d = A.shape
    ls, g, gb = grad_numpy(A, v, wv, float(b), code, float(epsilon), numpy_rows(d))
    return float(ls) / n, g / n, float(gb) / n


def moments(X: Any, y: Any) -> Any:
    """:class:`~descend.data.stats.MomentStats` of ``(X, y)``: ``n``, the means, ``Cxx =
    sum (x - mean_x)(x - mean_x)^T``, ``cxy``, ``cyy``.

    >>> X = np.arange(12.0).reshape(6, 2); y = X @ [1.0, 2.0] + 3.0
    >>> s = moments(X, y)
    >>> s.n, s.mean_x.tolist(), float(s.cxx[0, 0])
    (6, [5.0, 6.0], 70.0)
    """
    A = as_float_2d(X)
    v = as_float_1d(y, A.shape[0])
    if A.shape[0] and _compiled(stats_key(A, v)):
        from descend.kernels._moments import moment_stats_fast

        return moment_stats_fast(A, v)
    from descend.data.stats import MomentStats
    from descend.kernels._numpy import stats_numpy

    n, d = A.shape
    if n == 0:
        return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)
    # NumPy's products run at memory speed on blocks of ~4096 rows (32 x the kernel's tile)
    return stats_numpy(A, v, 16 * block_rows(d))


#: Below this many elements a fit's moments run the statistics kernel on one thread
#: (:func:`small_moments`). Measured paired on the 2-core machine at load 3.3 (22:47 UTC, best
#: of 15, wall ms, two threads against one): 1e5 x 20 1008 against 10.9, 3e4 x 50 1006 against
#: 12.6, 1e4 x 100 10.5 against 11.3 -- the second OpenMP thread waits for a core the load has
#: taken, and the first waits for it at the region's end.
ONE_THREAD_STATS_ELEMENTS = 1 << 21


def small_moments(X: Any, y: Any) -> Any:
    """:func:`moments` of a float64 ``X`` under :data:`ONE_THREAD_STATS_ELEMENTS` from the
    compiled statistics kernel on the calling thread alone, or ``None`` (the caller's moments
    run instead): ``None`` where the kernel is not on disk yet (it then starts compiling in
    the background, for the next run) and, under :data:`FAST_MIN_ELEMENTS`, where this process
    has not loaded numba (importing it costs more than a small fit's moments).

    One thread, asked of numba itself (``numba.set_num_threads``, a few microseconds; not
    :func:`kernel_threads`, whose BLAS limits cost ~1.2 ms a call): on such arrays the
    kernel's second OpenMP thread shares little work, then spin-waits and takes the fit's core
    on a loaded machine (a 1e4 x 5 fit took 0.6 s instead of 8 ms at load 6, notes/small3.md).
    The same machine code as on two threads (its groups of blocks are fixed by ``n`` and
    ``d``), so the same numbers. From ``2^15`` elements (:mod:`descend.models.losses`) it
    beats NumPy's two passes: 1e4 x 5 ~0.22 ms against ~0.38, 1e4 x 20 ~0.9 against
    ~0.9-1.5 ms, with each mean to an ulp (notes/small4.md)."""
    if not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray) and X.ndim == 2
            and 0 < X.size < ONE_THREAD_STATS_ELEMENTS and X.dtype == np.float64
            and y.dtype == np.float64 and have_numba()):
        return None
    if _numba_not_worth_loading(X.size):
        return None
    v = as_float_1d(y, X.shape[0])
    if not _compiled(stats_key(X, v)):
        return None
    import numba

    from descend.kernels._moments import moment_stats_fast

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return moment_stats_fast(X, v)
    finally:
        numba.set_num_threads(old)


def predict(X: Any, w: Any, b: float = 0.0, *, out: Array | None = None) -> Array:
    """``X w + b`` (float64), into ``out`` if given.

    >>> predict(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0]), 0.5).tolist()
    [-0.5, -0.5]
    """
    A = as_float_2d(X)
    if _compiled(predict_key(A)):
        from descend.kernels._predict import predict_fast

        return predict_fast(A, w, b, out=out)
    from descend.kernels._numpy import predict_numpy

    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != A.shape[1]:
        from descend.errors import InputError

        raise InputError(f"w has {wv.shape[0]} coefficients but X has {A.shape[1]} columns")
    return predict_numpy(A, wv, float(b), checked_out(out, A.shape[0]))


#: The signatures of the block kernels (:mod:`descend.kernels._blocks`: a formula's design
#: kept as numbers and category codes), one each.
BLOCK_KEYS = ("blocksums-0-float64C-int64C", "blockscores-0-float64C-int64C")


def block_kernels() -> Any:
    """The module of compiled block kernels (:mod:`descend.kernels._blocks`) once both are on
    disk; until then ``None`` (the caller takes its NumPy path) and they compile in the
    background, as every kernel here."""
    if not all([_compiled(key) for key in BLOCK_KEYS]):  # a list: ask for both
        return None
    from descend.kernels import _blocks

    return _blocks


def residual_sums(X: Array, y: Array, b: float, w: Array, m: Array) -> tuple[Array, float, float] | None:
    """``((X - m)^T r, sum r, r . r)`` at ``r = y - b - X w`` to twice float64's precision, from
    the compiled Dot2 pass (:mod:`descend.kernels._dot2`); ``None`` where the caller's NumPy
    path runs instead: the kernel not on disk yet (from ``FAST_MIN_ELEMENTS`` it then compiles
    in the background), or a small ``X`` in a process that has not loaded numba (importing it
    costs more than a small fit). ``X``, ``y`` float64 ndarrays."""
    from descend.kernels._common import signature_key

    large = X.size >= FAST_MIN_ELEMENTS
    if _numba_not_worth_loading(X.size) or not have_numba():
        return None  # the cheap tests first: a small fit in a fresh process reads no file
    plain = (X.flags.c_contiguous and X.flags.writeable and y.flags.c_contiguous
             and y.flags.writeable and X.dtype == np.float64 and y.dtype == np.float64)
    key = _DOT2_PLAIN if plain else signature_key("dot2", X, y)
    if not is_ready(key):
        if large:
            start_background(key)
        return None
    from descend.kernels._dot2 import residual_sums_fast

    return residual_sums_fast(X, y, b, w, m, key)


#: the Dot2 pass's signature for writeable, C-ordered float64 ``X`` and ``y`` (the usual one)
_DOT2_PLAIN = "dot2-0-float64C-float64C"


def all_keys() -> list[str]:
    """Every signature :func:`warm_up` compiles: float64 and float32, row-major (few and many
    features) and column-major ``X``, each loss; the statistics also for strided ``X``."""
    keys = []
    for dt in ("float64", "float32"):
        keys += [f"stats-0-{dt}C-{dt}C", f"stats-0-{dt}F-{dt}C"]
        for loss in LOSS_CODES.values():
            keys += [f"grad-{loss}u-{dt}C-{dt}C", f"grad-{loss}-{dt}C-{dt}C",
                     f"grad_cols-{loss}-{dt}C-{dt}C", f"batched-{loss}-{dt}C-{dt}C"]
        keys += [f"predict-0u-{dt}C", f"predict-0-{dt}C", f"predict_cols-0-{dt}C"]
    return keys + ["read-0-uint64C", *BLOCK_KEYS, _DOT2_PLAIN]


def warm_up(keys: list[str] | None = None, *, quiet: bool = False) -> list[tuple[str, float]]:
    """Compile ``keys`` (default :func:`all_keys`) now, in this process, announcing it on
    stderr unless ``quiet``; returns ``(key, seconds)`` for those that were not compiled yet."""
    import time

    from descend.kernels._compile import compile_key

    todo = [k for k in (all_keys() if keys is None else keys) if not is_ready(k)]
    if not quiet:
        notice(todo)
    done = []
    for key in todo:
        t0 = time.perf_counter()
        compile_key(key)
        done.append((key, time.perf_counter() - t0))
    return done
