"""The streamed formula fit's two passes through the block kernels.

:func:`descend.models.analysis.fit_formula_file` reads a file twice after its levels: the
moments of the design (the fit needs nothing else), then the row pass at the fitted
coefficients (the sandwich's meat and the residual diagnostics). Where the formula is numbers
plus at most one text category (:func:`~descend.data.block_columns.kernel_layout`) and the
block kernels are compiled (:func:`descend.kernels.block_kernels`), each pass is one sweep of
a compiled kernel over each chunk's columns (:mod:`descend.kernels._blocks`), while a reader
thread decodes the next chunk: no design, no per-chunk copies of the kept rows, no sort of the
cluster labels. The numbers are those of the NumPy path (:mod:`descend.data.blocks`) to
rounding, and a chunk that holds an error goes through that path, which words it.

The row pass's sums (``E``, ``SX``, ``tab`` per cluster; ``Pw``, ``Tw``, ``tw`` for HC0/HC1;
:mod:`descend.kernels._blocks`) become the :class:`~descend.models.sandwich.RowPass`'s
cluster scores and meat in design order, with ``mu`` the indicators' means:

    s_g = (E_g, SX_g at the numbers, tab_g - E_g mu at the indicators)
    meat = [[Pw, (Tw - mu Pw[0])^T], [Tw - mu Pw[0], diag(tw) - mu tw^T - tw mu^T + Pw[0,0] mu mu^T]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.block_columns import (
    ClusterIds,
    KernelLayout,
    chunk_columns,
    chunk_moments,
    design_order,
    missing_counts,
)
from descend.data.formula import Design, MissingReport
from descend.models.sandwich import CovSpec, RowPass

Array = NDArray[np.float64]

__all__ = ["kernel_moments", "kernel_row_pass"]


def _chunks(path: str, cols: tuple[str, ...], design: Design, lay: KernelLayout,
            chunk_rows: int) -> Iterator[tuple[Any, Any, int]]:
    """``(batch, (V, C) or None, row offset)`` per chunk, decoded a chunk ahead on a thread."""
    from descend.data.chunks import _prefetched
    from descend.data.tables import iter_batches
    from descend.models._formula_rows import text_levels

    def read() -> Iterator[tuple[Any, Any, int]]:
        offset = 0
        for batch in iter_batches(path, cols, chunk_rows=chunk_rows,
                                  dictionary=text_levels(design)):
            yield batch, chunk_columns(lay, batch), offset
            offset += batch.num_rows

    return _prefetched(read(), 2)


def _check_groups(batch: Any, spec: CovSpec, V: Array, C: Any) -> None:
    """The cluster column's empty cells in kept rows are refused (as the general path does)."""
    if spec.kind != "cluster" or not batch.column(str(spec.groups)).null_count:
        return
    from descend.models._formula_rows import _arrow_groups

    keep = ~(np.isnan(V).any(axis=0) | (C == -2).any(axis=0))
    _arrow_groups(batch, spec, keep)


def kernel_moments(kern: Any, path: str, cols: tuple[str, ...], design: Design,
                   lay: KernelLayout, spec: CovSpec, missing: str,
                   chunk_rows: int) -> Iterator[tuple[Any, MissingReport]]:
    """``(moments or None, missing report)`` per chunk (``None``: no row kept)."""
    from descend.models._formula_rows import _moments, batch_rows

    for batch, got, offset in _chunks(path, cols, design, lay, chunk_rows):
        if got is not None:
            V, C = got
            sums = kern.chunk_sums(V, C, lay.offsets)
            refuse = missing == "raise" and bool(sums[6].any())
            if sums[7] < 0 and not refuse:
                _check_groups(batch, spec, V, C)
                counts = missing_counts(lay, sums[6])
                yield chunk_moments(lay, sums), MissingReport(batch.num_rows, int(sums[0]),
                                                              counts)
                continue
        X, y, report, _ = batch_rows(design, spec, batch, missing, offset, path)
        yield (_moments(X, y) if X.shape[0] else None), report


class _Sums:
    """The row pass's accumulators (:mod:`descend.kernels._blocks`), grown as clusters come."""

    def __init__(self, lay: KernelLayout, spec: CovSpec) -> None:
        k, width = len(lay.num), int(lay.offsets[-1])
        self.clustered = spec.kind == "cluster"
        self.hc = spec.kind in ("HC0", "HC1")
        self.ids = ClusterIds()
        g = 64 if self.clustered else 0
        self.E, self.SX, self.tab, self.cnt = (np.zeros(g), np.zeros((g, k)),
                                               np.zeros((g, width)), np.zeros(g))
        h = k + 1 if self.hc else 0
        self.Pw, self.Tw, self.tw = (np.zeros((h, h)), np.zeros((width if h else 0, h)),
                                     np.zeros(width if h else 0))

    def grow(self, size: int) -> None:
        if size <= self.E.shape[0]:
            return
        new = max(size, 2 * self.E.shape[0])

        def more(a: Array) -> Array:
            out = np.zeros((new, *a.shape[1:]))
            out[:a.shape[0]] = a
            return out

        self.E, self.SX, self.tab, self.cnt = (more(self.E), more(self.SX), more(self.tab),
                                               more(self.cnt))

    def acc(self) -> tuple[Array, ...]:
        return self.E, self.SX, self.tab, self.cnt, self.Pw, self.Tw, self.tw


def kernel_row_pass(kern: Any, path: str, cols: tuple[str, ...], design: Design,
                    lay: KernelLayout, rp: RowPass, missing: str, chunk_rows: int) -> RowPass:
    """:func:`~descend.models.analysis.row_pass` of the file's chunks, through the kernels
    (HC2/HC3, whose leverages need the dense rows, take the general path per chunk)."""
    from descend.models._formula_rows import batch_rows

    order = design_order(lay)
    k = len(lay.num)
    w, centre = rp.w[order[:k]].copy(), rp.mean_x[order[:k]].copy()
    coef = rp.w[order[k:]].copy()
    sums = _Sums(lay, rp.spec)
    no_groups = np.zeros(0, dtype=np.int64)
    for batch, got, offset in _chunks(path, cols, design, lay, chunk_rows):
        if got is None or rp.spec.needs_leverage:
            X, y, _, g = batch_rows(design, rp.spec, batch, missing, offset, path)
            rp.add(X, y, g)
            continue
        V, C = got
        gid = no_groups
        if sums.clustered:
            gid = sums.ids.of(batch.column(str(rp.spec.groups)))
            sums.grow(len(sums.ids))
        state = np.array([*rp.sums, rp.dsum, np.nan if rp.first is None else rp.first,
                          np.nan if rp.last is None else rp.last,
                          0.0 if rp.last is None else 1.0, 0.0])
        kern.chunk_scores(V, C, lay.offsets, w, coef, rp.b, centre, gid, sums.acc(), state)
        if state[8]:
            rp.sums, rp.dsum = state[:4].copy(), float(state[4])
            rp.first, rp.last, rp.n = float(state[5]), float(state[6]), rp.n + int(state[8])
    _finish(lay, rp, sums)
    return rp


def _finish(lay: KernelLayout, rp: RowPass, sums: _Sums) -> None:
    """The kernels' sums as the pass's cluster scores or meat (the module's docstring)."""
    order = design_order(lay)
    k = len(lay.num)
    mu = rp.mean_x[order[k:]]
    if sums.clustered:
        used = np.flatnonzero(sums.cnt[:len(sums.ids)] > 0)
        S = np.zeros((used.size, 1 + lay.width))
        S[:, 0] = sums.E[used]
        S[:, 1 + order[:k]] = sums.SX[used]
        S[:, 1 + order[k:]] = sums.tab[used] - np.outer(sums.E[used], mu)
        labels = sums.ids.labels()
        rp._merge_groups(np.array([labels[i] for i in used], dtype=object), S)
    elif sums.hc:
        Pw = np.triu(sums.Pw) + np.triu(sums.Pw, 1).T
        cross = sums.Tw - np.outer(mu, Pw[0])
        sw = Pw[0, 0]
        zpos = np.concatenate([[0], 1 + order[:k]])
        cpos = 1 + order[k:]
        meat = np.zeros_like(rp.meat)
        meat[np.ix_(zpos, zpos)] = Pw
        meat[np.ix_(cpos, zpos)] = cross
        meat[np.ix_(zpos, cpos)] = cross.T
        meat[np.ix_(cpos, cpos)] = (np.diag(sums.tw) - np.outer(mu, sums.tw)
                                    - np.outer(sums.tw, mu) + sw * np.outer(mu, mu))
        rp.meat += meat
