"""The refinement's sums in one compiled pass, in double-double: :func:`residual_sums_fast`.

At a point ``(b, w)`` the preconditioned fit's refinement step needs

    r_i = y_i - b - x_i . w,     (sum_i (x_i - m) r_i,  sum_i r_i,  sum_i r_i^2),

where ``x_i . w`` cancels against ``y_i`` (the residual is small beside ``|X w|``) and the
``n`` terms of ``(X - m)^T r`` cancel to 0 at the answer. Both are computed here with
error-free transformations -- Knuth's TwoSum, Dekker's split and TwoProduct -- and their errors
summed apart (Ogita, Rump & Oishi 2005, *SIAM J. Sci. Comput.* 26, "Dot2"): each result is as
accurate as if computed in twice float64's precision and rounded once, about
``eps |s| + eps^2 sum |terms|``. Per row the residual is a double-double ``r_h + r_l``;
``z = x - m`` is exact as ``z_h + z_l`` (a TwoSum); ``z r`` is ``TwoProduct(z_h, r_h) + z_h
r_l + z_l r_h``, accumulated per column as a pair ``(s, e)``. A product's error is one fused
multiply-add, ``fma(a, b, -fl(a b))`` (1.9-2.3x faster than Dekker's splits in a prototype,
the same bits).

This replaces the NumPy reference in :class:`~descend.models._memory.MemoryRows` (the
compensated residual as ~25 array operations per column, then ``Z^T r`` in x87
``longdouble``, which BLAS does not do): one read of ``X``, no temporaries.

The kernel is compiled **without** ``fastmath``: reassociation or contraction into FMAs would
undo the error-free transformations (``(a - (s - z)) + (b - z)`` is not 0 by accident).
One thread, no ``parallel=True``: on the small fits this pass serves most (n d ~1e4-1e5, a
fraction of a millisecond) the thread pool's start and spin-wait cost more CPU time than the
pass (a whole correlated 1e4 x 5 fit: 48 ms of process time with a parallel kernel, 21 ms
serial, two runs at load 5-6); at 1e6 x 20 a pass takes ~0.1 s of CPU, beside the QR's ~0.7 s.

Importing this module imports numba (:mod:`descend.kernels._jit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.data.stats import dd_block_rows as block_rows  # the NumPy twin's blocks too
from descend.kernels._common import Array, signature_key
from descend.kernels._jit import HAVE_NUMBA, numba
from descend.kernels._stamps import run_compiled

__all__ = ["block_rows", "dot2_key", "residual_sums_fast"]

#: Dekker's splitter for float64, 2^27 + 1 (the Python path's TwoProduct).
_SPLITTER = 134217729.0


def _njit(fn: Any, **kw: Any) -> Any:
    """Compiled without fastmath (see the module docstring); ``fn`` itself without numba."""
    if not HAVE_NUMBA:
        return fn
    return numba.njit(**kw)(fn)


def _two_sum_impl(a, b):  # pragma: no cover - compiled, inlined
    """``s + e == a + b`` exactly, ``s = fl(a + b)`` (Knuth)."""
    s = a + b
    z = s - a
    return s, (a - (s - z)) + (b - z)


def _prod_error_py(a: float, b: float, p: float) -> float:
    """``a b - p`` exactly for ``p = fl(a b)``, by Dekker's splits (no FMA: the Python path)."""
    t = _SPLITTER * a
    ah = t - (t - a)
    t = _SPLITTER * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fma_intrinsic() -> Any:
    """``fma(a, b, c)``, one rounding (LLVM's ``llvm.fma.f64``: the FMA instruction, or libm's
    exact software fma where the CPU has none): ``fma(a, b, -fl(a b))`` is TwoProduct's error
    in one operation instead of Dekker's 17."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic  # type: ignore[misc]
    def fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            dbl = ir.DoubleType()
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(dbl, [dbl, dbl, dbl]), "llvm.fma.f64")
            return builder.call(fn, args)

        return sig, codegen

    @numba.njit(inline="always")  # type: ignore[misc]
    def prod_error(a: float, b: float, p: float) -> float:
        return fma(a, b, -p)  # type: ignore[call-arg]

    return prod_error


_two_sum = _njit(_two_sum_impl, inline="always")
_prod_error = _fma_intrinsic() if HAVE_NUMBA else _prod_error_py


def _kernel_impl(X, y, b, w, m, parts, rows):  # pragma: no cover - compiled
    """Each block of ``rows`` rows into its own row of ``parts``.

    Per row: ``r = y - b - x . w`` as ``s + e`` (each product's error from an FMA, each sum's
    from a TwoSum, the errors summed in ``e``), renormalised to ``h + l``; then per column
    ``z = x - m`` exactly as ``zh + zl`` and ``z r = zh h + (zh h)'s error + zh l + zl h``
    added to the column's pair ``(sa, ea)``. ``parts[k]`` is ``(s_1..s_d, s_r, s_rr, e_1..e_d,
    e_r, e_rr)``: the block's pairs, merged in block order by :func:`_merge_impl`.
    """
    n = X.shape[0]
    d = X.shape[1]
    nb = parts.shape[0]
    for k in range(nb):
        lo = k * rows
        hi = min(n, lo + rows)
        sa = np.zeros(d)
        ea = np.zeros(d)
        s_r = e_r = s_q = e_q = 0.0
        for i in range(lo, hi):
            s, e = _two_sum(y[i], -b)
            for j in range(d):
                x = X[i, j]
                p = x * -w[j]
                s, t = _two_sum(s, p)
                e += t + _prod_error(x, -w[j], p)
            h = s + e  # renormalised: h + l == s + e to eps^2
            l_ = e - (h - s)
            s_r, t = _two_sum(s_r, h)
            e_r += t + l_
            q = h * h  # r^2 = h^2 + 2 h l to eps^2
            s_q, t = _two_sum(s_q, q)
            e_q += t + (_prod_error(h, h, q) + 2.0 * h * l_)
            for j in range(d):
                zh, zl = _two_sum(X[i, j], -m[j])
                p = zh * h
                sa[j], t = _two_sum(sa[j], p)
                ea[j] += t + (_prod_error(zh, h, p) + zh * l_ + zl * h)
        for j in range(d):
            parts[k, j] = sa[j]
            parts[k, d + 2 + j] = ea[j]
        parts[k, d] = s_r
        parts[k, d + 1] = s_q
        parts[k, 2 * d + 2] = e_r
        parts[k, 2 * d + 3] = e_q


def _merge_impl(parts):  # pragma: no cover - compiled
    """The blocks' pairs ``(s, e)`` added in block order, in double-double; rounded once."""
    nb, k2 = parts.shape
    k = k2 // 2
    s = np.zeros(k)
    e = np.zeros(k)
    for blk in range(nb):
        for j in range(k):  # (s_0..s_{k-1}, e_0..e_{k-1}): see _kernel_impl
            s[j], t = _two_sum(s[j], parts[blk, j])
            e[j] += t + parts[blk, k + j]
    return s + e


_kernel: Any
_merge: Any
if HAVE_NUMBA:
    _kernel = numba.njit(cache=True, nogil=True)(_kernel_impl)
    _merge = numba.njit(cache=True, nogil=True)(_merge_impl)
else:  # pragma: no cover - exercised through DESCEND_NO_NUMBA
    _kernel, _merge = _kernel_impl, _merge_impl


def dot2_key(X: Array, y: Array) -> str:
    """The compiled signature the pass needs for ``X`` and ``y``."""
    return signature_key("dot2", X, y)


def _run(X: Array, y: Array, b: float, w: Array, m: Array) -> Array:
    n, d = X.shape
    rows = block_rows(d)
    parts = np.empty(((n + rows - 1) // rows, 2 * d + 4))
    _kernel(X, y, float(b), w, m, parts, rows)
    out: Array = _merge(parts)
    return out


def residual_sums_fast(X: Array, y: Array, b: float, w: Array, m: Array,
                       key: str | None = None) -> tuple[Array, float, float]:
    """``((X - m)^T r, sum r, r . r)`` at ``r = y - b - X w``, each as accurate as twice
    float64's precision rounded once (see the module docstring). ``X`` float64 ``(n, d)``,
    ``y`` ``(n,)``, ``w`` and ``m`` ``(d,)``; ``key``: their signature (:func:`dot2_key`),
    when the caller has it.

    >>> X = np.array([[1e16, 1.0], [1.0, 1.0]]); y = np.array([1e16 + 2.0, 3.0])
    >>> zr, sr, rr = residual_sums_fast(X, y, 0.0, np.array([1.0, 1.0]), np.zeros(2))
    >>> zr.tolist(), sr, rr
    ([1e+16, 2.0], 2.0, 2.0)
    """
    wv = np.ascontiguousarray(w, dtype=np.float64)
    mv = np.ascontiguousarray(m, dtype=np.float64)
    out = run_compiled(key or dot2_key(X, y), _run, X, y, float(b), wv, mv)
    d = X.shape[1]
    return out[:d], float(out[d]), float(out[d + 1])
