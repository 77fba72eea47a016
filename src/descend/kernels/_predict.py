"""``X w + b`` in one read of ``X`` (:func:`predict_fast`), and the bandwidth limit every pass
is measured against (:func:`read_pass`).

Importing this module imports numba (:mod:`descend.kernels._jit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.errors import InputError
from descend.kernels._common import (
    COL_ROWS,
    PASS_BYTES,
    Array,
    as_float_2d,
    checked_out,
    column_major,
    pass_rows,
    predict_key,
    unroll,
)
from descend.kernels._jit import HAVE_NUMBA, add_columns, jit, prange
from descend.kernels._numpy import predict_numpy
from descend.kernels._stamps import run_compiled

__all__ = ["predict_fast", "read_pass"]


def _read_kernel(words, block):  # pragma: no cover - compiled
    # integer adds of 64-bit words: vectorised for any dtype, no float quirks (denormals)
    n = words.shape[0]
    nb = (n + block - 1) // block
    part = np.zeros(nb, dtype=np.uint64)
    for k in prange(nb):
        # a slice, indexed from 0: numba then knows the index is never negative, drops its
        # wraparound check and vectorises (range(lo, hi) ran 3-5x slower on Zen 4)
        wb = words[k * block : min(n, (k + 1) * block)]
        s = np.uint64(0)
        for i in range(wb.shape[0]):
            s += wb[i]
        part[k] = s
    tot = np.uint64(0)
    for k in range(nb):
        tot += part[k]
    return tot


def _make_predict(UNROLL: bool) -> Any:
    """The row kernel of the prediction, one row at a time or four (``UNROLL``, a constant)."""

    def _predict_kernel(X, w, b, out, block):  # pragma: no cover - compiled
        # Four rows at a time: four independent FMA chains instead of one per row, so the
        # dot products overlap instead of waiting on each other's latency.
        n = X.shape[0]
        d = X.shape[1]
        nb = (n + block - 1) // block
        for k in prange(nb):
            Xb = X[k * block : min(n, (k + 1) * block)]
            ob = out[k * block : min(n, (k + 1) * block)]
            m = Xb.shape[0]
            i = 0
            while UNROLL and i + 4 <= m:
                s0 = s1 = s2 = s3 = b
                for j in range(d):
                    wj = w[j]
                    s0 += Xb[i, j] * wj
                    s1 += Xb[i + 1, j] * wj
                    s2 += Xb[i + 2, j] * wj
                    s3 += Xb[i + 3, j] * wj
                ob[i] = s0
                ob[i + 1] = s1
                ob[i + 2] = s2
                ob[i + 3] = s3
                i += 4
            while i < m:
                s0 = b
                for j in range(d):
                    s0 += Xb[i, j] * w[j]
                ob[i] = s0
                i += 1
        return out

    return jit(_predict_kernel)


def _predict_cols_kernel(XT, w, b, out, block):  # pragma: no cover - compiled
    n = XT.shape[1]
    nb = (n + block - 1) // block
    for k in prange(nb):
        lo = k * block
        hi = min(n, lo + block)
        m = hi - lo
        ob = out[lo:hi]
        for i in range(m):
            ob[i] = b
        add_columns(ob, XT, w, lo, hi)
    return out


_read = jit(_read_kernel)
_predict_cols = jit(_predict_cols_kernel)
_PREDICT: dict[bool, Any] = {}


def _predict_rows(unrolled: bool) -> Any:
    if unrolled not in _PREDICT:
        _PREDICT[unrolled] = _make_predict(unrolled)
    return _PREDICT[unrolled]


def read_pass(X: Any) -> int:
    """Read every byte of ``X`` once, as fast as the machine allows: the bandwidth limit.

    Returns a checksum (the sum of ``X``'s 64-bit words modulo 2^64) so the read cannot be
    optimised away; its time is what any pass over ``X`` must pay at least. Benchmarks
    report every other pass as a fraction of it.
    """
    A = np.asarray(X)
    if A.ndim == 2 and A.flags.f_contiguous:
        A = A.T  # the same bytes, read in place (a C-order copy would be timed instead)
    A = np.ascontiguousarray(A)
    raw = A.reshape(-1).view(np.uint8)
    k = raw.shape[0] // 8
    tail = int(raw[8 * k :].sum())
    if k == 0:
        return tail
    words = raw[: 8 * k].view(np.uint64)
    if HAVE_NUMBA:
        return int(run_compiled("read-0-uint64C", _read, words, PASS_BYTES // 8)) + tail
    return int(words.sum(dtype=np.uint64)) + tail


def predict_fast(X: Any, w: Any, b: float = 0.0, *, out: Array | None = None) -> Array:
    """``X w + b`` in one read of ``X`` (float64 output, accumulated in float64).

    ``out``: a float64 array of ``n`` values to write into (and return), so a loop over chunks
    does not allocate -- and page in -- a new array per call.
    """
    A = as_float_2d(X)
    n, d = A.shape
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != d:
        raise InputError(f"w has {wv.shape[0]} coefficients but X has {d} columns")
    out = checked_out(out, n)
    if not HAVE_NUMBA:
        return predict_numpy(A, wv, float(b), out)
    if column_major(A):
        run_compiled(predict_key(A), _predict_cols, A.T, wv, float(b), out, COL_ROWS)
    else:
        fn = _predict_rows(unroll("predict", d, A.itemsize))
        run_compiled(predict_key(A), fn, A, wv, float(b), out, pass_rows(d, A.itemsize))
    return out
