"""What every kernel family shares and none needs numba for: the loss codes, block sizes,
input checks, and the key naming one compiled signature (the stamps of :mod:`._stamps`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import InputError

Array = NDArray[np.float64]

#: The losses the kernels know, by their code: ``Loss.code`` in the registry
#: (``descend.losses.LOSS_REGISTRY``, which sits above this layer; a test keeps the two
#: equal). A new loss needs its branch in ``_jit.psi`` and ``_numpy.psi_numpy``.
LOSSES = ("squared_error", "huber", "absolute_error")
LOSS_CODES = {name: i for i, name in enumerate(LOSSES)}

# Rows per block of the statistics pass: the float64 tile of a block (features + target,
# padded to a multiple of 3) fills about two thirds of a 48 KB L1 data cache, and has at least
# _TILE_MIN_ROWS rows: with many features a 64-row tile spent a quarter of its time outside
# the products' loops (CPU ms for 3e5 x 100 rows, Zen 1, tile rows 64 / 88 / 136 / 200 / 232:
# 346 / 310 / 272 / 261 / 255; 256 rows, a power-of-two stride, 442).
_TILE_BYTES = 32 * 1024
_TILE_MIN_ROWS = 200
# Where even _TILE_MIN_ROWS rows overflow _TILE_BYTES (d >= 18), the tile lives in L2 anyway:
# 400 rows (326 KB at d = 100, inside Zen 1's 512 KB L2) halve the per-block shift, centring
# and merge per row. CPU ms for 3e5 x 100 rows, tile rows 200 / 400, interleaved best of 8,
# 2026-12-07 22:47 UTC, load 3.5: C order 271 / 249 and 302 / 255, F order 266 / 239; 5e5 x 100:
# 418 / 377 (800 rows: 374). At most _WIDE_BYTES (in L2), at least _TILE_MIN_ROWS.
_WIDE_ROWS = 400
_WIDE_BYTES = 384 * 1024
# Rows per block for streaming passes (gradient, prediction): ~2 MB, so the hardware
# prefetchers see long runs; measured 2x faster than 256 KB blocks for d = 10.
PASS_BYTES = 2 * 1024 * 1024
# Rows per block of the column kernels (F-ordered X): long enough that each column segment
# is a long run for the prefetchers, short enough that the block is read a second time from
# L2 for the gradient. Measured (fraction of the read bandwidth, huber gradient, float64 /
# float32): d = 10 -- 1024 rows 0.65 / 0.54, 4096 0.72 / 0.60, 16384 0.67 / 0.61;
# d = 100 -- 1024 0.65 / 0.69, 4096 0.74 / 0.75, 16384 0.56 / 0.56.
COL_ROWS = 4096


def tile_rows(d: int) -> int:
    """Rows of the statistics pass's column-major tile: the ``d + 1`` columns of ``[X, y]``
    padded to the 3 x 3 register blocks."""
    return (d + 1 + 2) // 3 * 3


def block_rows(d: int, itemsize: int = 8) -> int:
    """Rows per block of the statistics pass (see ``_TILE_BYTES`` and ``_WIDE_ROWS``)."""
    ep = tile_rows(d)
    rows = _TILE_BYTES // (8 * ep)
    if rows < _TILE_MIN_ROWS:
        return int(max(_TILE_MIN_ROWS, min(_WIDE_ROWS, _WIDE_BYTES // (8 * ep))) // 8 * 8)
    return int(min(1024, rows) // 8 * 8)


def pass_rows(d: int, itemsize: int) -> int:
    """Rows per block of the row kernels (see ``PASS_BYTES``)."""
    return int(max(1024, PASS_BYTES // max(1, d * itemsize)))


def batch_rows(d: int, runs: int) -> int:
    """Rows per block of the batched pass: its float64 tiles (d + runs values a row) in
    ~12 KB of L1 -- 80 rows at d = 10 and 8 runs. Measured for 8 huber runs at d = 10:
    64 rows 97 ms, 128 rows 108 ms, 256 rows 122 ms (8 separate passes: 210 ms)."""
    return int(max(16, min(256, 12288 // (8 * (d + runs)))) // 8 * 8)


def unroll(kind: str, d: int, itemsize: int) -> bool:
    """Four rows at a time, or one? Chosen from interleaved A/B runs on 2 cores of Zen 4
    (fractions of the read bandwidth, one row -> four). Few features: the row loop is bound
    by arithmetic and four independent rows win -- d = 10 float64 gradient 0.88 -> 0.90,
    float32 0.52 -> 0.62; d = 25 float32 huber gradient 0.79 -> 0.94, prediction 0.91 -> 0.95
    (float64 at d = 25: 0.93 -> 0.91, 0.98 -> 0.91). Many features: the feature loop
    vectorises on its own and four rows lose -- d = 100 gradient float64 0.91 -> 0.30,
    float32 0.90 -> 0.77, prediction 1.11 -> 0.41."""
    return d <= 16 or (itemsize == 4 and d <= 32)


def column_major(A: NDArray[Any]) -> bool:
    """True where ``A`` (2-D) is F-ordered and has several columns: the column kernels."""
    return bool(A.shape[1] > 1 and A.flags.f_contiguous and not A.flags.c_contiguous)


def as_float_2d(X: Any, name: str = "X") -> NDArray[Any]:
    """``X`` as a 2-D float64 or float32 array (a 1-D one as one column)."""
    A = np.asarray(X)
    if A.dtype not in (np.float64, np.float32):
        A = A.astype(np.float64)
    if A.ndim == 1:
        A = A.reshape(-1, 1)
    if A.ndim != 2:
        raise InputError(f"{name} must be 2-D (rows x features); got shape {A.shape}")
    return A


def as_float_1d(y: Any, n: int, name: str = "y") -> NDArray[Any]:
    """``y`` as ``n`` float64 or float32 values."""
    v = np.asarray(y)
    if v.dtype not in (np.float64, np.float32):
        v = v.astype(np.float64)
    v = v.reshape(-1)
    if v.shape[0] != n:
        raise InputError(f"{name} has {v.shape[0]} values but X has {n} rows; pass one per row")
    return v


def loss_code(loss: str) -> int:
    """The kernels' code of the loss called ``loss``."""
    try:
        return LOSS_CODES[loss]
    except KeyError:
        raise InputError(
            f"loss={loss!r} is not known; use one of {', '.join(LOSSES)}"
        ) from None


def _layout(a: NDArray[Any]) -> str:
    # numba compiles one version per dtype, layout (C, F or A: strided) and writeability
    lay = "C" if a.flags.c_contiguous else "F" if a.flags.f_contiguous else "A"
    return f"{a.dtype.name}{lay}{'' if a.flags.writeable else 'r'}"


def signature_key(kernel: str, A: NDArray[Any], v: NDArray[Any] | None = None,
                  loss: int = 0, unrolled: bool = False) -> str:
    """A file name for one compiled signature of ``kernel``: what numba keys its machine code
    by (the arrays' dtypes, layouts and writeability) plus the constants baked into it (the
    loss code, the row unrolling), e.g. ``grad_cols-1-float64C-float64C``."""
    parts = [kernel, str(loss) + ("u" if unrolled else ""), _layout(A)]
    if v is not None:
        parts.append(_layout(v))
    return "-".join(parts)


def grad_key(A: NDArray[Any], v: NDArray[Any], loss: int) -> str:
    """The compiled signature the full pass needs for ``A``, ``v`` and the loss code."""
    if column_major(A):
        return signature_key("grad_cols", A.T, v, loss)
    return signature_key("grad", A, v, loss, unroll("grad", A.shape[1], A.itemsize))


def stats_key(A: NDArray[Any], v: NDArray[Any]) -> str:
    """The compiled signature the moments need for ``A`` and ``v``."""
    return signature_key("stats", A, v)


def predict_key(A: NDArray[Any]) -> str:
    """The compiled signature the prediction needs for ``A``."""
    if column_major(A):
        return signature_key("predict_cols", A.T)
    return signature_key("predict", A, None, 0, unroll("predict", A.shape[1], A.itemsize))


def specimen(key: str) -> tuple[str, int, bool, NDArray[Any], NDArray[Any] | None]:
    """Small arrays with the dtypes and layouts of ``key`` (its inverse, for compiling ahead):
    ``(kernel, loss, unrolled, X, y)``; ``X`` is ``n x d`` (``d x n`` for a column kernel,
    which takes ``X.T``) with ``d`` on the same side of the unrolling threshold, ``n = 64``."""
    kernel, code, *arrays = key.split("-")
    unrolled = code.endswith("u")
    d = 4 if unrolled else 40
    made: list[NDArray[Any]] = []
    for spec, shape in zip(arrays, ((64, d), (64,)), strict=False):
        if kernel.endswith("_cols") and len(shape) == 2:
            shape = (d, 64)
        readonly = spec.endswith("r")
        spec = spec.rstrip("r")
        dtype, lay = np.dtype(spec[:-1]), spec[-1]
        a = np.zeros(shape, dtype=dtype, order="F" if lay == "F" else "C")
        if lay == "A":  # every other element of an array twice as long: strided
            a = np.zeros((shape[0] * 2, *shape[1:]), dtype=dtype)[::2]
        if readonly:
            a.setflags(write=False)
        made.append(a)
    return kernel, int(code.rstrip("u")), unrolled, made[0], made[1] if len(made) > 1 else None


def checked_pass(X: Any, y: Any, w: Any, loss: str) -> tuple[NDArray[Any], NDArray[Any], Array, int]:
    """``(X, y, w, loss code)`` for a full pass, checked: 2-D float ``X`` with rows, one ``y``
    per row, one ``w`` per column, a known loss."""
    A = as_float_2d(X)
    n, d = A.shape
    v = as_float_1d(y, n)
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if wv.shape[0] != d:
        raise InputError(f"w has {wv.shape[0]} coefficients but X has {d} columns")
    if n == 0:
        raise InputError("X has no rows; a loss needs at least one")
    return A, v, wv, loss_code(loss)


def checked_out(out: Any, n: int) -> Array:
    """A new float64 array of ``n`` values, or ``out`` if it is a writeable, contiguous one."""
    if out is None:
        return np.empty(n)
    if not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (n,)
            and out.flags.c_contiguous and out.flags.writeable):
        raise InputError(
            f"out must be a writeable, contiguous float64 array of shape ({n},); "
            f"got {getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}"
        )
    return out
