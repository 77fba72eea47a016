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

Both halves run 4 lanes to a 256-bit vector without changing any order of additions: the
residuals of 4 rows side by side (each lane one row's chain over the columns in order:
:func:`_residuals4`, LLVM IR, row-major ``X`` transposed 4 x 4 in registers), and the terms
of one row into the columns' pairs, 4 columns at a time (independent lanes, which LLVM
vectorises without fastmath). Each lane does the scalar loop's operations, so the bits are
the row-at-a-time loop's and the NumPy twin's (:func:`~descend.data.stats.residual_sums_dd`).
One pass, one thread, on the 2-core Zen 1 development machine (thread time): 1e4 x 5 / 20 /
100 took 0.34 / 0.94 / 4.3 ms with scalar residuals, 0.25 / 0.67 / 3.8 ms with these (issue
22). The column sums, already vectorised before, are now the larger part; tried and slower
or no faster there: 4 rows' terms per column in one iteration, ``x - m``'s TwoSum in a loop
of its own, adds moved onto the FMA ports as ``fma(a, 1, b)`` (the same rounding).

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


def _vector_ops(builder: Any) -> Any:
    """The LLVM IR helpers of :func:`_residuals4_intrinsic` on ``builder``: 4 float64 lanes."""
    from types import SimpleNamespace

    from llvmlite import ir
    from numba.core import cgutils

    v4, i32 = ir.VectorType(ir.DoubleType(), 4), ir.IntType(32)
    fma4 = cgutils.get_or_insert_function(builder.module, ir.FunctionType(v4, [v4, v4, v4]),
                                          "llvm.fma.v4f64")

    def shuffle(a: Any, c: Any, idx: list[int]) -> Any:
        return builder.shuffle_vector(a, c, ir.Constant(ir.VectorType(i32, len(idx)), idx))

    def lanes(values: list[Any]) -> Any:
        v = ir.Constant(v4, ir.Undefined)
        for k, x in enumerate(values):
            v = builder.insert_element(v, x, ir.Constant(i32, k))
        return v

    def two_sum(a: Any, c: Any) -> tuple[Any, Any]:  # Knuth's, lane by lane
        s = builder.fadd(a, c)
        z = builder.fsub(s, a)
        return s, builder.fadd(builder.fsub(a, builder.fsub(s, z)), builder.fsub(c, z))

    def transposed(lo: list[Any], hi: list[Any]) -> list[Any]:
        """Columns j..j+3 of 4 rows from each row's two halves ``[x_j, x_j+1]``, ``[x_j+2,
        x_j+3]``: two 128-bit halves per 256-bit register, then one unpack per column."""
        r0, r1 = shuffle(lo[0], lo[2], [0, 1, 2, 3]), shuffle(lo[1], lo[3], [0, 1, 2, 3])
        r2, r3 = shuffle(hi[0], hi[2], [0, 1, 2, 3]), shuffle(hi[1], hi[3], [0, 1, 2, 3])
        return [shuffle(r0, r1, [0, 4, 2, 6]), shuffle(r0, r1, [1, 5, 3, 7]),
                shuffle(r2, r3, [0, 4, 2, 6]), shuffle(r2, r3, [1, 5, 3, 7])]

    return SimpleNamespace(v4=v4, v2=ir.VectorType(ir.DoubleType(), 2), i32=i32, fma4=fma4,
                           shuffle=shuffle, lanes=lanes, two_sum=two_sum, transposed=transposed)


def _residuals4_codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
    """:func:`_residual` of rows ``i..i+3`` in the 4 lanes of a vector: per column ``j`` (in
    order) ``p = x_j nw_j``, ``(s, t) = TwoSum(s, p)``, ``e += t + fma(x_j, nw_j, -p)``; each
    lane the scalar chain's operations, so its bits. Row-major ``X`` is read 4 columns at a
    time and transposed in registers; column-major ``X`` a column of 4 rows at a time."""
    from llvmlite import ir
    from numba.core import cgutils

    v = _vector_ops(builder)
    i64 = ir.IntType(64)
    Xa = context.make_array(sig.args[0])(context, builder, args[0])
    i, b = args[2], args[3]
    d = builder.extract_value(Xa.shape, 1)
    st0, st1 = (builder.extract_value(Xa.strides, a) for a in (0, 1))
    rows = [builder.add(builder.ptrtoint(Xa.data, i64),
                        builder.mul(builder.add(i, ir.Constant(i64, k)), st0)) for k in range(4)]

    def at(row: Any, j: Any, ty: Any) -> Any:  # the element X[row, j] as a pointer to ty
        return builder.inttoptr(builder.add(row, builder.mul(j, st1)), ty.as_pointer())

    def item(k: int, a: Any, index: Any) -> Any:  # args[k][index], a 1-d array
        arr = context.make_array(sig.args[k])(context, builder, a)
        return builder.load(cgutils.get_item_pointer(context, builder, sig.args[k], arr, [index]))

    yv = v.lanes([item(1, args[1], builder.add(i, ir.Constant(i64, k))) for k in range(4)])
    s0, e0 = v.two_sum(yv, v.lanes([builder.fneg(b)] * 4))
    S, E = cgutils.alloca_once_value(builder, s0), cgutils.alloca_once_value(builder, e0)

    def step(x: Any, j: Any) -> None:
        wv = v.lanes([item(4, args[4], j)] * 4)
        p = builder.fmul(x, wv)
        s, t = v.two_sum(builder.load(S), p)
        builder.store(s, S)
        pe = builder.call(v.fma4, [x, wv, builder.fneg(p)])
        builder.store(builder.fadd(builder.load(E), builder.fadd(t, pe)), E)

    four, one = ir.Constant(i64, 4), ir.Constant(i64, 1)
    start = ir.Constant(i64, 0)
    if sig.args[0].layout == "C":  # 4 columns at a time, transposed in registers
        start = builder.mul(builder.udiv(d, four), four)
        with cgutils.for_range_slice(builder, ir.Constant(i64, 0), start, four) as (j0, _):
            j2 = builder.add(j0, ir.Constant(i64, 2))
            cols = v.transposed([builder.load(at(r, j0, v.v2), align=8) for r in rows],
                                [builder.load(at(r, j2, v.v2), align=8) for r in rows])
            for c, x in enumerate(cols):
                step(x, builder.add(j0, ir.Constant(i64, c)))
    with cgutils.for_range_slice(builder, start, d, one) as (j, _):
        if sig.args[0].layout == "F":
            x = builder.load(at(rows[0], j, v.v4), align=8)
        else:
            x = v.lanes([builder.load(at(r, j, ir.DoubleType()), align=8) for r in rows])
        step(x, j)
    s, e = builder.load(S), builder.load(E)
    h = builder.fadd(s, e)
    lo = builder.fsub(e, builder.fsub(h, s))
    out = [builder.extract_element(a, ir.Constant(v.i32, k)) for a in (h, lo) for k in range(4)]
    return context.make_tuple(builder, sig.return_type, out)


def _residuals4_intrinsic() -> Any:
    """``_residuals4(X, y, i, b, nw)``: rows ``i..i+3``'s ``(h_0..h_3, l_0..l_3)``, the bits of
    :func:`_residual` on each row, computed 4 rows side by side (:func:`_residuals4_codegen`).
    Written in LLVM IR because numba vectorises only innermost loops: the 4 rows' chains over
    the columns, kept in registers, with the transposition of row-major ``X`` done by
    shuffles, are not a loop LLVM finds by itself (a transposed copy of a tile, then a
    vectorised loop, cost what it saved)."""
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic  # type: ignore[misc]
    def residuals4(typingctx: Any, X: Any, y: Any, i: Any, b: Any, nw: Any) -> Any:
        if not all(a.dtype == types.float64 for a in (X, y, nw)) or X.ndim != 2:
            return None  # float64 arrays only (the caller converts)
        return types.UniTuple(types.float64, 8)(X, y, i, b, nw), _residuals4_codegen

    return residuals4


_two_sum = _njit(_two_sum_impl, inline="always")
_prod_error = _fma_intrinsic() if HAVE_NUMBA else _prod_error_py


def _residual_impl(X, y, i, b, nw):  # pragma: no cover - compiled, inlined
    """Row ``i``'s ``r = y_i - b - x_i . w`` (``nw = -w``) as ``h + l``: ``s + e`` by TwoSums
    and FMAs over the columns in order, then renormalised (``h + l == s + e`` to eps^2)."""
    s, e = _two_sum(y[i], -b)
    for j in range(X.shape[1]):
        x = X[i, j]
        p = x * nw[j]
        s, t = _two_sum(s, p)
        e += t + _prod_error(x, nw[j], p)
    h = s + e
    return h, e - (h - s)


_residual = _njit(_residual_impl, inline="always")


def _residuals4_py(X, y, i, b, nw):  # type: ignore[no-untyped-def]
    """Rows ``i .. i + 3``'s ``(h_0..h_3, l_0..l_3)``, one row after the other (no numba)."""
    pairs = [_residual_impl(X, y, i + k, b, nw) for k in range(4)]
    return tuple(h for h, _ in pairs) + tuple(lo for _, lo in pairs)


_residuals4 = _residuals4_intrinsic() if HAVE_NUMBA else _residuals4_py


def _add_row_impl(x, nm, h, l_, sa, ea):  # pragma: no cover - compiled, inlined
    """Row ``x``'s terms ``z r`` added to the columns' pairs ``(sa, ea)``: ``z = x - m`` exactly as
    ``zh + zl`` (``nm = -m``), ``z r = zh h + err(zh h) + zh l + zl h``. The columns are
    independent: LLVM adds 4 of them in one vector instruction, each in the same order."""
    for j in range(x.shape[0]):
        zh, zl = _two_sum(x[j], nm[j])
        p = zh * h
        sa[j], t = _two_sum(sa[j], p)
        ea[j] += t + (_prod_error(zh, h, p) + zh * l_ + zl * h)


_add_row = _njit(_add_row_impl, inline="always")


def _kernel_impl(X, y, b, w, m, parts, rows):  # pragma: no cover - compiled
    """Each block of ``rows`` rows into its own row of ``parts``.

    Per row: ``r = y - b - x . w`` as ``s + e`` (each product's error from an FMA, each sum's
    from a TwoSum, the errors summed in ``e``), renormalised to ``h + l``; then per column
    ``z = x - m`` exactly as ``zh + zl`` and ``z r = zh h + (zh h)'s error + zh l + zl h``
    added to the column's pair ``(sa, ea)``. ``parts[k]`` is ``(s_1..s_d, s_r, s_rr, e_1..e_d,
    e_r, e_rr)``: the block's pairs, merged in block order by :func:`_merge_impl`.

    The residuals of 4 rows at a time come from :func:`_residuals4` (4 rows side by side in
    one vector, each row's chain over the columns in order: the scalar chain's bits); a
    block's last 1-3 rows from :func:`_residual`. Every sum keeps its order, so the bits are
    those of the row-at-a-time loop (and of its NumPy twin, ``residual_sums_dd``).
    """
    n = X.shape[0]
    d = X.shape[1]
    nb = parts.shape[0]
    nw = -w
    nm = -m
    sa = np.empty(d)
    ea = np.empty(d)
    hl = np.empty(8)  # (h_0..h_3, l_0..l_3) of the rows at hand
    for k in range(nb):
        lo = k * rows
        hi = min(n, lo + rows)
        sa[:] = 0.0
        ea[:] = 0.0
        s_r = e_r = s_q = e_q = 0.0
        for i in range(lo, hi, 4):
            g = min(4, hi - i)
            if g == 4:
                hl[0], hl[1], hl[2], hl[3], hl[4], hl[5], hl[6], hl[7] = _residuals4(X, y, i, b, nw)
            else:
                for t in range(g):
                    hl[t], hl[4 + t] = _residual(X, y, i + t, b, nw)
            for t in range(g):
                h = hl[t]
                l_ = hl[4 + t]
                s_r, u = _two_sum(s_r, h)
                e_r += u + l_
                q = h * h  # r^2 = h^2 + 2 h l to eps^2
                s_q, u = _two_sum(s_q, q)
                e_q += u + (_prod_error(h, h, q) + 2.0 * h * l_)
                _add_row(X[i + t], nm, h, l_, sa, ea)
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
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    wv = np.ascontiguousarray(w, dtype=np.float64)
    mv = np.ascontiguousarray(m, dtype=np.float64)
    out = run_compiled(key or dot2_key(X, y), _run, X, y, float(b), wv, mv)
    d = X.shape[1]
    return out[:d], float(out[d]), float(out[d + 1])
