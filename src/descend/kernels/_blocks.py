"""The sums of a design kept as blocks, one sweep over a chunk's columns: the formula fit's
moments (:func:`chunk_sums`) and its row pass (:func:`chunk_scores`).

A chunk arrives as the columns the formula reads, never as a design: ``V`` (``e x m``) holds
the numeric terms' columns and, last, the target; ``C`` (``q x m``) one code per row and
category term (``0 .. width-1`` the row's indicator column, ``-1`` the reference level,
:data:`MISSING` an empty cell, :data:`UNSEEN` a level the design does not know). A row with an
empty cell (NaN, or :data:`MISSING`) is dropped, as ``missing="drop"`` says.

:func:`chunk_sums` gives, over the kept rows and with ``a_i = v_i - s`` (``s``: the chunk's
first kept row, a shift that keeps the sums free of the cancellation large means cause), the
count ``n``, ``S = sum a_i``, ``P = sum a_i a_i^T``, the per-level sums ``T[l] = sum over
rows of level l of a_i`` and the level counts ``t[l]`` -- everything the centred Gram matrix
of the design needs (:mod:`descend.data.block_columns` assembles it). The product ``P`` is
formed on tiles of rows copied column-major, so its inner loops run over contiguous rows.

:func:`chunk_scores` gives, at the fitted ``(b, w)`` and residuals ``r_i = y_i - b - x_i w``,
the residuals' power sums and successive differences (the diagnostics), and, for clusters,
``E[g] = sum_{i in g} r_i``, ``SX[g] = sum_{i in g} r_i (x_i - centre)`` and the per-level
``tab[g, l] = sum r_i``, or, for HC0/HC1, ``Pw = sum r_i^2 z_i z_i^T`` with ``z_i = (1, x_i -
centre)``, ``Tw[l] = sum r_i^2 z_i`` and ``tw[l] = sum r_i^2``; all accumulate across chunks
into the arrays given.

Both are one thread (the reader decodes the next chunk on the other core meanwhile) and hold
no Python object; importing this module imports numba (:mod:`descend.kernels._jit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.kernels._jit import FASTMATH, HAVE_NUMBA, numba
from descend.kernels._stamps import run_compiled

__all__ = ["MISSING", "SCORES_KEY", "SUMS_KEY", "UNSEEN", "chunk_scores", "chunk_sums",
           "compile_specimen"]

#: The code of an empty text cell, and of a level the design does not know.
MISSING = -2
UNSEEN = -3
#: The kernels' one signature each (their stamps, :mod:`descend.kernels._stamps`).
SUMS_KEY = "blocksums-0-float64C-int64C"
SCORES_KEY = "blockscores-0-float64C-int64C"

#: Rows per tile of :func:`chunk_sums`: 11 float64 columns of 512 rows are 45 KB.
_TILE = 512


def _one_thread(fn: Any) -> Any:
    if not HAVE_NUMBA:
        return fn
    return numba.njit(fastmath=FASTMATH, cache=True, nogil=True)(fn)


def _flush(tile, codes, r, offsets, S, P, T, t):  # pragma: no cover - compiled
    """Add the ``r`` rows of a tile: column sums, the upper triangle of ``P``, the levels."""
    e = tile.shape[0]
    for j in range(e):
        s = 0.0
        tj = tile[j]
        for i in range(r):
            s += tj[i]
        S[j] += s
    for j in range(e):
        tj = tile[j]
        for k in range(j, e):
            tk = tile[k]
            s = 0.0
            for i in range(r):
                s += tj[i] * tk[i]
            P[j, k] += s
    for c in range(codes.shape[0]):
        for i in range(r):
            code = codes[c, i]
            if code >= 0:
                col = offsets[c] + code
                t[col] += 1.0
                for j in range(e):
                    T[col, j] += tile[j, i]


def _sums_kernel(V, C, offsets, tile_rows):  # pragma: no cover - compiled
    """One sweep of a chunk: see :func:`chunk_sums`."""
    e = V.shape[0]
    m = V.shape[1]
    q = C.shape[0]
    width = offsets[q]
    S = np.zeros(e)
    P = np.zeros((e, e))
    T = np.zeros((width, e))
    t = np.zeros(width)
    empty = np.zeros(e + q, dtype=np.int64)
    shift = np.zeros(e)
    tile = np.empty((e, tile_rows))
    codes = np.empty((q, tile_rows), dtype=np.int64)
    n = 0
    r = 0
    trouble = -1
    for i in range(m):
        ok = True
        for j in range(e):
            if np.isnan(V[j, i]):
                empty[j] += 1
                ok = False
        for c in range(q):
            if C[c, i] == MISSING:
                empty[e + c] += 1
                ok = False
        if not ok:
            continue
        for j in range(e):
            if not np.isfinite(V[j, i]):
                ok = False
        for c in range(q):
            if C[c, i] < -1:
                ok = False
        if not ok:  # a kept row that the checked path must refuse, by name
            if trouble < 0:
                trouble = i
            continue
        if n == 0:
            for j in range(e):
                shift[j] = V[j, i]
        for j in range(e):
            tile[j, r] = V[j, i] - shift[j]
        for c in range(q):
            codes[c, r] = C[c, i]
        r += 1
        n += 1
        if r == tile_rows:
            _flush_c(tile, codes, r, offsets, S, P, T, t)
            r = 0
    if r:
        _flush_c(tile, codes, r, offsets, S, P, T, t)
    for j in range(e):
        for k in range(j):
            P[j, k] = P[k, j]
    return n, shift, S, P, T, t, empty, trouble


def _scores_kernel(V, C, offsets, w, coef, b, centre, gid, E, SX, tab, cnt,
                   Pw, Tw, tw, state):  # pragma: no cover - compiled
    """One sweep of a chunk at ``(b, w, coef)``: see :func:`chunk_scores`."""
    e = V.shape[0]
    k = e - 1
    m = V.shape[1]
    q = C.shape[0]
    clustered = gid.shape[0] > 0
    hc = Pw.shape[0] > 0
    z = np.empty(k + 1)
    s1 = s2 = s3 = s4 = dsum = 0.0
    n = 0
    started = state[7] > 0.0
    prev = state[6]
    first = state[5]
    for i in range(m):
        ok = True
        for j in range(e):
            if np.isnan(V[j, i]):
                ok = False
        for c in range(q):
            if C[c, i] == MISSING:
                ok = False
        if not ok:
            continue
        fit = b
        for j in range(k):
            fit += w[j] * V[j, i]
        for c in range(q):
            code = C[c, i]
            if code >= 0:
                fit += coef[offsets[c] + code]
        ri = V[k, i] - fit
        r2 = ri * ri
        s1 += ri
        s2 += r2
        s3 += r2 * ri
        s4 += r2 * r2
        if started:
            dsum += (ri - prev) * (ri - prev)
        else:
            first = ri
            started = True
        prev = ri
        n += 1
        if clustered:
            g = gid[i]
            E[g] += ri
            cnt[g] += 1.0
            for j in range(k):
                SX[g, j] += ri * (V[j, i] - centre[j])
            for c in range(q):
                code = C[c, i]
                if code >= 0:
                    tab[g, offsets[c] + code] += ri
        if hc:
            z[0] = 1.0
            for j in range(k):
                z[j + 1] = V[j, i] - centre[j]
            for j in range(k + 1):
                wz = r2 * z[j]
                for h in range(j, k + 1):
                    Pw[j, h] += wz * z[h]
            for c in range(q):
                code = C[c, i]
                if code >= 0:
                    col = offsets[c] + code
                    tw[col] += r2
                    for j in range(k + 1):
                        Tw[col, j] += r2 * z[j]
    state[0] += s1
    state[1] += s2
    state[2] += s3
    state[3] += s4
    state[4] += dsum
    state[5] = first
    state[6] = prev
    state[7] = 1.0 if started else 0.0
    state[8] += n


_flush_c: Any
if HAVE_NUMBA:
    _flush_c = numba.njit(fastmath=FASTMATH, inline="always")(_flush)
else:  # pragma: no cover - the facade takes the NumPy path without numba
    _flush_c = _flush
_sums = _one_thread(_sums_kernel)
_scores = _one_thread(_scores_kernel)


def chunk_sums(V: Any, C: Any, offsets: Any) -> tuple[Any, ...]:
    """``(n, shift, S, P, T, t, empty, trouble)`` of a chunk (the module's docstring).

    ``empty`` counts the empty cells of each row of ``V`` then ``C`` over all rows; ``trouble``
    is the first kept row with a value that is not finite or an unseen level (``-1``: none),
    whose refusal the caller words.
    """
    return run_compiled(SUMS_KEY, _sums, V, C, offsets, _TILE)  # type: ignore[no-any-return]


def chunk_scores(V: Any, C: Any, offsets: Any, w: Any, coef: Any, b: float, centre: Any,
                 gid: Any, acc: tuple[Any, ...], state: Any) -> None:
    """Add a chunk's row-pass sums into ``acc = (E, SX, tab, cnt, Pw, Tw, tw)`` (zero-size
    arrays for what is not asked) and ``state`` (``sum r, r^2, r^3, r^4``, ``sum (r_i -
    r_{i-1})^2``, the first and the last residual, whether one was seen, the count)."""
    run_compiled(SCORES_KEY, _scores, V, C, offsets, w, coef, float(b), centre, gid, *acc,
                 state)


def compile_specimen(key: str) -> tuple[Any, tuple[Any, ...]]:
    """``(kernel, arguments)`` that compile the signature ``key`` on a few rows."""
    V = np.zeros((3, 8))
    C = np.zeros((1, 8), dtype=np.int64)
    offsets = np.array([0, 2], dtype=np.int64)
    if key == SUMS_KEY:
        return _sums, (V, C, offsets, _TILE)
    z1, z2 = np.zeros(1), np.zeros((1, 1))
    return _scores, (V, C, offsets, np.zeros(2), np.zeros(2), 0.0, np.zeros(2),
                     np.zeros(8, dtype=np.int64), z1, z2, z2, z1, z2, z2, z1, np.zeros(9))
