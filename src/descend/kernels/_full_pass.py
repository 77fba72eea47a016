"""The full pass at ``w``: mean loss and gradient in one read of ``X`` (:func:`loss_and_grad_fast`),
and for ``R`` parameter sets at once (:func:`loss_and_grad_batched_fast`).

A naive NumPy gradient ``(2/n) X^T (X w + b - y)`` reads ``X`` twice and writes two n-sized
temporaries; on a 2-core machine that is 0.1-0.3 of what the memory can deliver. Here each
pass is one loop over rows compiled by numba, parallel over blocks of rows: a row is loaded
once, its residual ``r_i = x_i.w + b - y_i`` formed in registers, and ``x_i * psi(r_i)``
accumulated into a per-block partial sum; the partials are added at the end.

Losses (``r = x.w + b - y``; the objective is the mean over rows):

- ``squared_error``: ``r^2``, ``psi(r) = 2 r``
- ``huber``: ``r^2`` if ``|r| <= epsilon`` else ``epsilon (2 |r| - epsilon)``,
  ``psi(r) = 2 clip(r, -epsilon, epsilon)`` (Huber's loss times two, so a large epsilon is the
  squared error -- the convention of :mod:`descend.models.losses`)
- ``absolute_error``: ``|r|``, ``psi(r) = sign(r)`` (a subgradient; 0 at 0)

Inputs may be float64 or float32; accumulation is always in float64. Importing this module
imports numba (:mod:`descend.kernels._jit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.errors import InputError
from descend.kernels._common import (
    COL_ROWS,
    Array,
    as_float_1d,
    as_float_2d,
    batch_rows,
    checked_pass,
    column_major,
    grad_key,
    loss_code,
    pass_rows,
    signature_key,
    unroll,
)
from descend.kernels._jit import (
    HAVE_NUMBA,
    add_columns,
    add_dots,
    columns_into,
    inline,
    jit,
    prange,
    psi,
)
from descend.kernels._numpy import grad_batched_numpy, grad_numpy
from descend.kernels._stamps import run_compiled

__all__ = ["loss_and_grad_batched_fast", "loss_and_grad_fast"]

#: Rows per step of the row kernel without unrolling (a global: numba compiles it in as a
#: constant, and the kernels' closures hold only their loss code and unrolling).
ROWS = 8


def _make_grad(LOSS: int, UNROLL: bool) -> Any:
    """The row kernel for loss code ``LOSS`` and row unrolling ``UNROLL``, both constants.

    numba treats closure variables as compile-time constants, so the loss branch disappears
    from the inner loop, and the four-row loop is compiled only where it is used (see
    :func:`descend.kernels._common.unroll`). The number of features is *not* a constant:
    fully unrolled feature loops stayed scalar (LLVM cannot prove the gradient's stores miss
    ``X``), while a loop over ``d`` is vectorised behind a runtime alias check -- as fast or
    faster for every d measured (float32, d = 10: 0.44 -> 0.62 of the read bandwidth; d = 25:
    0.18-0.84 -> 0.79-0.94).

    Without the unrolling (many features), rows go ``ROWS`` at a time: the residual of each is
    a dot product vectorised over features, and their gradient terms are added in one loop.
    """

    def _grad_kernel(X, y, w, b, loss, eps, block):  # pragma: no cover - compiled
        # Four rows at a time: their residuals are four independent FMA chains (one chain
        # per row would wait on FMA latency), and each x_ij feeds the gradient once.
        n = X.shape[0]
        d = X.shape[1]
        nb = (n + block - 1) // block
        gpart = np.zeros((nb, d))
        bpart = np.zeros(nb)
        lpart = np.zeros(nb)
        for k in prange(nb):
            # blocks are slices indexed from 0 (see _read_kernel)
            Xb = X[k * block : min(n, (k + 1) * block)]
            yb = y[k * block : min(n, (k + 1) * block)]
            m = Xb.shape[0]
            g = np.zeros(d)
            p = np.empty(ROWS)
            gb = 0.0
            ls = 0.0
            i = 0
            while UNROLL and i + 4 <= m:
                r0 = b - yb[i]
                r1 = b - yb[i + 1]
                r2 = b - yb[i + 2]
                r3 = b - yb[i + 3]
                for j in range(d):
                    wj = w[j]
                    r0 += Xb[i, j] * wj
                    r1 += Xb[i + 1, j] * wj
                    r2 += Xb[i + 2, j] * wj
                    r3 += Xb[i + 3, j] * wj
                l0, p0 = psi(r0, eps, LOSS)
                l1, p1 = psi(r1, eps, LOSS)
                l2, p2 = psi(r2, eps, LOSS)
                l3, p3 = psi(r3, eps, LOSS)
                ls += (l0 + l1) + (l2 + l3)
                gb += (p0 + p1) + (p2 + p3)
                for j in range(d):
                    g[j] += (Xb[i, j] * p0 + Xb[i + 1, j] * p1) + (Xb[i + 2, j] * p2 + Xb[i + 3, j] * p3)
                i += 4
            while not UNROLL and i + ROWS <= m:
                # Many features: each residual its own vectorised dot product, then the gradient
                # of ROWS rows in one loop over features (Xb indexed in place: one array for
                # LLVM's alias check, where ROWS row views were ROWS checks and stayed scalar),
                # so g is loaded and stored once per ROWS rows, not per row. Paired against one
                # row at a time, 2 threads, 2e6 x 100: 88.1 -> 80.8 ms (the read of X + y: 59),
                # CPU x 0.92; 1 thread, float32 2e6 x 40: x 0.73. Two dots per loop, or 8 or 4
                # rows' residuals in one loop over features, were slower; 16 rows too.
                for q in range(ROWS):
                    r0 = b - yb[i + q]
                    for j in range(d):
                        r0 += Xb[i + q, j] * w[j]
                    l0, p0 = psi(r0, eps, LOSS)
                    ls += l0
                    gb += p0
                    p[q] = p0
                for j in range(d):
                    s = 0.0
                    for q in range(ROWS):  # a constant: unrolled
                        s += Xb[i + q, j] * p[q]
                    g[j] += s
                i += ROWS
            while i < m:
                r0 = b - yb[i]
                for j in range(d):
                    r0 += Xb[i, j] * w[j]
                l0, p0 = psi(r0, eps, LOSS)
                ls += l0
                gb += p0
                for j in range(d):
                    g[j] += Xb[i, j] * p0
                i += 1
            gpart[k] = g  # not gpart[k, :]: numba then keeps g out of registers (2.4x slower)
            bpart[k] = gb
            lpart[k] = ls
        return lpart.sum(), gpart.sum(axis=0), bpart.sum()

    return jit(_grad_kernel)


def _make_grad_cols(LOSS: int) -> Any:
    """The column kernel (F-ordered ``X``, taken as ``XT = X.T``) for loss code ``LOSS``.

    Column kernels serve column-major X (a pandas DataFrame's ``to_numpy()``, the chunks the
    streaming reader builds from Arrow columns). ``XT`` is C-contiguous (d x n), so each
    column of a block is a contiguous slice and every loop runs over rows, vectorised. Per
    block of rows (in L2): the residuals four columns at a time, psi in place, then the
    gradient as four dot products at a time -- the second read of the block comes from cache.
    Through the row kernels (strided, numba layout "A") F-ordered X ran at 0.2-0.35 of the
    read bandwidth for d = 100 and float32 d = 10.
    """

    def _grad_cols_kernel(XT, y, w, b, loss, eps, block):  # pragma: no cover - compiled
        d = XT.shape[0]
        n = XT.shape[1]
        nb = (n + block - 1) // block
        ngroups = min(nb, 64)  # fixed by n: the sum does not depend on the thread count
        per = (nb + ngroups - 1) // ngroups
        gpart = np.zeros((ngroups, d))
        bpart = np.zeros(ngroups)
        lpart = np.zeros(ngroups)
        for grp in prange(ngroups):
            r = np.empty(block)
            g = np.zeros(d)
            gb = 0.0
            ls = 0.0
            for k in range(grp * per, min(nb, (grp + 1) * per)):
                lo = k * block
                hi = min(n, lo + block)
                m = hi - lo
                yb = y[lo:hi]
                rb = r[:m]
                for i in range(m):
                    rb[i] = b - yb[i]
                add_columns(rb, XT, w, lo, hi)
                for i in range(m):
                    l0, p0 = psi(rb[i], eps, LOSS)
                    ls += l0
                    gb += p0
                    rb[i] = p0
                add_dots(g, XT, rb, lo, hi)
            gpart[grp] = g
            bpart[grp] = gb
            lpart[grp] = ls
        return lpart.sum(), gpart.sum(axis=0), bpart.sum()

    return jit(_grad_cols_kernel)


def _run_residuals(rq, XT, W, q, bq, yb, m):  # pragma: no cover - compiled, inlined
    """``rq[:m] = XT[:, :m]^T W[q] + bq - yb``: the residuals of run ``q`` on the block,
    four features at a time over contiguous rows (``W`` indexed in place: through a view
    ``W[q]`` and :func:`~descend.kernels._jit.add_columns` this pass ran 5-15% slower)."""
    d = XT.shape[0]
    for i in range(m):
        rq[i] = bq - yb[i]
    j = 0
    while j + 4 <= d:
        w0 = W[q, j]
        w1 = W[q, j + 1]
        w2 = W[q, j + 2]
        w3 = W[q, j + 3]
        x0 = XT[j]
        x1 = XT[j + 1]
        x2 = XT[j + 2]
        x3 = XT[j + 3]
        for i in range(m):
            rq[i] += (w0 * x0[i] + w1 * x1[i]) + (w2 * x2[i] + w3 * x3[i])
        j += 4
    while j < d:
        wj = W[q, j]
        xj = XT[j]
        for i in range(m):
            rq[i] += wj * xj[i]
        j += 1


def _run_gradient(g, q, XT, rq, m):  # pragma: no cover - compiled, inlined
    """``g[q] += XT[:, :m] rq[:m]``: run ``q``'s gradient on the block, four dot products at
    a time sharing each load of ``rq``."""
    d = XT.shape[0]
    j = 0
    while j + 4 <= d:
        x0 = XT[j]
        x1 = XT[j + 1]
        x2 = XT[j + 2]
        x3 = XT[j + 3]
        s0 = s1 = s2 = s3 = 0.0
        for i in range(m):
            p = rq[i]
            s0 += x0[i] * p
            s1 += x1[i] * p
            s2 += x2[i] * p
            s3 += x3[i] * p
        g[q, j] += s0
        g[q, j + 1] += s1
        g[q, j + 2] += s2
        g[q, j + 3] += s3
        j += 4
    while j < d:
        xj = XT[j]
        s0 = 0.0
        for i in range(m):
            s0 += xj[i] * rq[i]
        g[q, j] += s0
        j += 1


run_residuals = inline(_run_residuals)
run_gradient = inline(_run_gradient)


def _make_batched(LOSS: int) -> Any:
    """The batched gradient for loss code ``LOSS`` (a constant)."""

    def _grad_batched_kernel(X, y, W, B, eps, block):  # pragma: no cover - compiled
        # W: (R, d). Per block of rows small enough for L1: the block transposed once into
        # XT (d, m) -- shared by all R runs, so its cost is paid once per row, not per run;
        # then per run, loops over contiguous rows that vectorise: the residuals
        # r = XT^T w + (b - y) four features at a time, psi in place, and the gradient
        # XT psi as four dot products at a time. One read of X feeds all runs.
        n = X.shape[0]
        d = X.shape[1]
        R = W.shape[0]
        col_major = d == 1 or X.strides[0] == X.itemsize
        nb = (n + block - 1) // block
        # fixed groups of blocks (not one partial per block: R x d each would add up)
        ngroups = min(nb, 64)
        per = (nb + ngroups - 1) // ngroups
        gpart = np.zeros((ngroups, R, d))
        bpart = np.zeros((ngroups, R))
        lpart = np.zeros((ngroups, R))
        for grp in prange(ngroups):
            XT = np.empty((d, block))
            RT = np.empty((R, block))
            g = np.zeros((R, d))
            gb = np.zeros(R)
            ls = np.zeros(R)
            for k in range(grp * per, min(nb, (grp + 1) * per)):
                yb = y[k * block : min(n, (k + 1) * block)]  # slices from 0: see _read_kernel
                m = yb.shape[0]
                columns_into(XT, X, k * block, k * block + m, col_major)
                for q in range(R):
                    rq = RT[q]
                    run_residuals(rq, XT, W, q, B[q], yb, m)
                    lsum = 0.0
                    psum = 0.0
                    for i in range(m):
                        lv, pv = psi(rq[i], eps, LOSS)
                        lsum += lv
                        psum += pv
                        rq[i] = pv
                    ls[q] += lsum
                    gb[q] += psum
                    run_gradient(g, q, XT, rq, m)
            gpart[grp] = g
            bpart[grp] = gb
            lpart[grp] = ls
        return lpart.sum(axis=0), gpart.sum(axis=0), bpart.sum(axis=0)

    return jit(_grad_batched_kernel)


_GRAD: dict[tuple[str, int, bool], Any] = {}


def _kernel(kind: str, loss: int, unrolled: bool = False) -> Any:
    """The compiled kernel ``kind`` (grad, grad_cols, batched) for a loss code, made once."""
    key = (kind, loss, unrolled)
    if key not in _GRAD:
        if kind == "grad":
            _GRAD[key] = _make_grad(loss, unrolled)
        elif kind == "grad_cols":
            _GRAD[key] = _make_grad_cols(loss)
        else:
            _GRAD[key] = _make_batched(loss)
    return _GRAD[key]


def loss_and_grad_fast(
    X: Any,
    y: Any,
    w: Any,
    b: float,
    loss: str = "squared_error",
    epsilon: float = 1.35,
) -> tuple[float, Array, float]:
    """Mean loss and its gradient ``(L, dL/dw, dL/db)`` at ``(w, b)`` in one read of ``X``.

    ``dL/dw = (1/n) X^T psi(X w + b - y)``, ``dL/db = mean(psi(X w + b - y))``; see the
    module docstring for each loss and ``psi``. Compiles on first use (once per loss, dtype
    and layout, cached on disk), saying so on stderr.

    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0]]); y = np.array([1.0, 3.0])
    >>> L, gw, gb = loss_and_grad_fast(X, y, np.array([1.0]), 0.0)
    >>> L, gw.tolist(), gb
    (0.5, [-2.0], -1.0)
    """
    A, v, wv, code = checked_pass(X, y, w, loss)
    n, d = A.shape
    if not HAVE_NUMBA:
        ls, g, gb = grad_numpy(A, v, wv, float(b), code, float(epsilon), pass_rows(d, A.itemsize))
    elif column_major(A):
        fn = _kernel("grad_cols", code)
        ls, g, gb = run_compiled(grad_key(A, v, code), fn, A.T, v, wv, float(b), code,
                                 float(epsilon), COL_ROWS)
    else:
        fn = _kernel("grad", code, unroll("grad", d, A.itemsize))
        ls, g, gb = run_compiled(grad_key(A, v, code), fn, A, v, wv, float(b), code,
                                 float(epsilon), pass_rows(d, A.itemsize))
    return float(ls) / n, np.asarray(g, dtype=np.float64) / n, float(gb) / n


def loss_and_grad_batched_fast(
    X: Any,
    y: Any,
    W: Any,
    B: Any,
    loss: str = "squared_error",
    epsilon: float = 1.35,
) -> tuple[Array, Array, Array]:
    """:func:`loss_and_grad_fast` for ``R`` parameter sets at once, in one read of ``X``.

    ``W`` is ``(R, d)``, ``B`` is ``(R,)``; returns losses ``(R,)``, gradients ``(R, d)`` and
    intercept gradients ``(R,)``. This is what makes a learning-rate sweep or a multi-start
    one pass over the data per step instead of ``R``.
    """
    A = as_float_2d(X)
    n, d = A.shape
    v = as_float_1d(y, n)
    Wm = np.ascontiguousarray(W, dtype=np.float64)
    if Wm.ndim != 2 or Wm.shape[1] != d:
        raise InputError(f"W must have shape (runs, {d}); got {Wm.shape}")
    Bv = np.ascontiguousarray(B, dtype=np.float64).reshape(-1)
    if Bv.shape[0] != Wm.shape[0]:
        raise InputError(f"B has {Bv.shape[0]} intercepts for {Wm.shape[0]} runs")
    if n == 0:
        raise InputError("X has no rows; a loss needs at least one")
    code = loss_code(loss)
    if not HAVE_NUMBA:
        ls, g, gb = grad_batched_numpy(A, v, Wm, Bv, code, float(epsilon), pass_rows(d, A.itemsize))
    elif Wm.shape[0] == 1:  # one run: the fused pass is faster (27 vs 41 ms)
        one = loss_and_grad_fast(A, v, Wm[0], float(Bv[0]), loss, epsilon)
        return np.array([one[0]]), one[1][None, :], np.array([one[2]])
    else:
        ls, g, gb = run_compiled(signature_key("batched", A, v, code), _kernel("batched", code),
                                 A, v, Wm, Bv, float(epsilon), batch_rows(d, Wm.shape[0]))
    return np.asarray(ls) / n, np.asarray(g) / n, np.asarray(gb) / n
