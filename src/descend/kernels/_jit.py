"""numba, loaded on first use, and the small inlined helpers every kernel family shares.

Importing this module imports numba (about 1 s); :mod:`descend.kernels` imports it only when
a compiled kernel is about to run. Nothing here writes an environment variable: the disk
cache folder is given to numba through ``numba.config.CACHE_DIR`` (:func:`cache_dir`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from descend.kernels._stamps import cache_dir

__all__ = ["FASTMATH", "HAVE_NUMBA", "add_columns", "add_dots", "columns_into", "inline", "jit",
           "numba", "prange", "psi"]

try:  # numba is a dependency, but keep working (slower) where it cannot be imported.
    if os.environ.get("DESCEND_NO_NUMBA"):
        raise ImportError("disabled by DESCEND_NO_NUMBA")
    import numba
    from numba import prange

    # numba reads NUMBA_CACHE_DIR once, when first imported, and its compiler re-reads the
    # environment only when a NUMBA_* variable changes; so the folder is set in its config
    # (cache_dir() is $NUMBA_CACHE_DIR itself when that is set).
    setattr(numba.config, "CACHE_DIR", cache_dir())  # noqa: B010 - untyped module
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised through DESCEND_NO_NUMBA in the tests
    numba = None  # type: ignore[assignment]
    prange = range  # type: ignore[misc,assignment]
    HAVE_NUMBA = False

FASTMATH = {"reassoc", "contract"}


def jit(fn: Any) -> Any:
    """``fn`` compiled on first call per signature (parallel, cached on disk); ``fn`` itself
    without numba."""
    if not HAVE_NUMBA:
        return fn
    # Reassociation lets LLVM vectorise the reductions (dot products, sums) with several
    # accumulators; without it a d-term dot product is one serial chain of FMAs, latency-bound.
    # Results stay deterministic: blocks are fixed by n and d, not by the thread count, and
    # their partials are added in block order.
    return numba.njit(parallel=True, fastmath=FASTMATH, cache=True, nogil=True)(fn)


def inline(fn: Any, fastmath: bool = True) -> Any:
    """``fn`` compiled to be inlined into the kernel that calls it (numba ``inline="always"``:
    its IR is copied into the caller before typing, so the caller compiles the same loops as
    if written in place); ``fn`` itself without numba. The kernels are split into such
    helpers to stay readable; define them in the kernel's own module: numba's disk cache
    checks only the source file of the function it caches."""
    if not HAVE_NUMBA:
        return fn
    if fastmath:
        return numba.njit(inline="always", fastmath=FASTMATH)(fn)
    return numba.njit(inline="always")(fn)


#: The name this helper had before it became public (kernel files may still import it).
_inline = inline


def _psi_impl(r, eps, loss):  # pragma: no cover - compiled, inlined
    """``(loss value, psi)`` of one residual. The kernels pass ``loss`` as a compile-time
    constant, so after inlining only its branch is left in the inner loop. The codes are
    :data:`descend.kernels.LOSS_CODES` (``Loss.code`` in the models' registry)."""
    if loss == 0:  # squared_error
        return r * r, 2.0 * r
    if loss == 1:  # huber, branch-free: m = min(|r|, eps), m (2|r| - m)
        a = abs(r)
        m = min(a, eps)
        return m * (2.0 * a - m), 2.0 * max(-eps, min(r, eps))
    return abs(r), np.sign(r)  # absolute_error


# A module-level function, not one made per loss: numba's disk cache keys a closure by its
# pickled cells, and a cell holding a compiled function pickles differently in every process
# -- the kernels were recompiled (seconds) by every `descend` command, and the cache grew.
# The kernels' closures hold only ints and bools.
psi = inline(_psi_impl)


def _columns_into_impl(tile, X, lo, hi, col_major):  # pragma: no cover - compiled, inlined
    """Copy rows ``lo:hi`` of ``X`` (n x d) into ``tile[:d, :hi - lo]`` column by column, in
    float64: the one strided step of the passes that work on columns. Column-major input is
    read through ``X.T`` -- C-contiguous for an F-ordered ``X``, so each column segment is
    a contiguous, vectorised copy (a slice ``X[lo:hi]`` of an F-ordered array has numba's
    layout "A", and its loops stayed scalar: 79 ms for the float64 statistics of 10^7 x 10,
    as slow as the transposing copy). Row-major input is read along rows."""
    m = hi - lo
    d = X.shape[1]
    if col_major:
        XT = X.T
        for j in range(d):
            c = XT[j, lo:hi]  # slices indexed from 0: see predict._read_kernel
            tj = tile[j]
            for i in range(m):
                tj[i] = c[i]
    else:
        Xb = X[lo:hi]
        for i in range(m):
            for j in range(d):
                tile[j, i] = Xb[i, j]


columns_into = inline(_columns_into_impl, fastmath=False)


def _add_columns_impl(acc, XT, w, lo, hi):  # pragma: no cover - compiled, inlined
    """``acc[:hi - lo] += XT[:, lo:hi]^T w``: four columns at a time, each a contiguous
    segment, so the loop over rows vectorises (the residuals and predictions of the column
    kernels; the batched pass keeps its own copy of these loops -- through these helpers,
    with a view of W and g per run and 16-row blocks at d = 100, it ran 5-15% slower)."""
    d = XT.shape[0]
    m = hi - lo
    j = 0
    while j + 4 <= d:
        c0 = XT[j, lo:hi]  # slices indexed from 0: see predict._read_kernel
        c1 = XT[j + 1, lo:hi]
        c2 = XT[j + 2, lo:hi]
        c3 = XT[j + 3, lo:hi]
        w0 = w[j]
        w1 = w[j + 1]
        w2 = w[j + 2]
        w3 = w[j + 3]
        for i in range(m):
            acc[i] += (c0[i] * w0 + c1[i] * w1) + (c2[i] * w2 + c3[i] * w3)
        j += 4
    while j < d:
        c0 = XT[j, lo:hi]
        w0 = w[j]
        for i in range(m):
            acc[i] += c0[i] * w0
        j += 1


def _add_dots_impl(g, XT, p, lo, hi):  # pragma: no cover - compiled, inlined
    """``g += XT[:, lo:hi] p``: four dot products at a time over contiguous column segments,
    sharing each load of ``p`` (the gradients of the column kernels)."""
    d = XT.shape[0]
    m = hi - lo
    j = 0
    while j + 4 <= d:
        c0 = XT[j, lo:hi]
        c1 = XT[j + 1, lo:hi]
        c2 = XT[j + 2, lo:hi]
        c3 = XT[j + 3, lo:hi]
        s0 = s1 = s2 = s3 = 0.0
        for i in range(m):
            pi = p[i]
            s0 += c0[i] * pi
            s1 += c1[i] * pi
            s2 += c2[i] * pi
            s3 += c3[i] * pi
        g[j] += s0
        g[j + 1] += s1
        g[j + 2] += s2
        g[j + 3] += s3
        j += 4
    while j < d:
        c0 = XT[j, lo:hi]
        s0 = 0.0
        for i in range(m):
            s0 += c0[i] * p[i]
        g[j] += s0
        j += 1


add_columns = inline(_add_columns_impl)
add_dots = inline(_add_dots_impl)
