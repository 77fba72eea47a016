"""A design kept in its structure: numeric columns, and categories as codes.

A formula such as ``y ~ x1 + ... + x10 + city`` with a 100-level text column has a design of
110 columns, 99 of them treatment-coded indicators that are 0 on every row but one. Built dense,
its moments cost ``O(n d^2)`` with ``d = 110`` and the design itself ``8 n d`` bytes; kept as
the numeric block ``N`` (``n x k``) and one integer code per row and category, every quantity
the fit and its standard errors need is a few ``O(n k)`` sums.

With ``D`` the indicator block of one category (``D[i, j] = 1`` when row ``i`` has level ``j``;
the reference level has no column), ``A = N - c`` the centred numeric block, ``mu`` the centre
of ``D`` and row weights ``w`` (``W = diag(w)``, ``sw = sum w``), the weighted Gram matrix of
``Z = [A, D - mu]`` has the blocks

    A^T W A                                         (a dense product, n x k by k)
    (D - mu)^T W A   = T_A - mu (w^T A)             T_A[j] = sum over rows of level j of w_i a_i
    (D - mu)^T W (D - mu) = diag(t) - mu t^T - t mu^T + sw mu mu^T,   t[j] = sum of w over level j
    (D1 - mu1)^T W (D2 - mu2) = X12 - t1 mu2^T - mu1 t2^T + sw mu1 mu2^T   (X12: the weighted
                                                    cross-tabulation of two categories)

which is :func:`centred_gram`. The moments of a chunk (:func:`block_moments`) are this Gram
matrix at ``w = 1`` with the chunk's means as the centre and ``y`` as one more numeric column;
the heteroskedasticity-robust meat is it at ``w = e^2`` with the leading column of ones. The
sums are those of the dense design to rounding: the tests compare both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats

Array = NDArray[np.float64]
Codes = NDArray[np.int64]

__all__ = ["Blocks", "Category", "block_moments", "blocks_from_arrow", "centred_gram",
           "group_score_sums"]


@dataclass(frozen=True)
class Category:
    """One treatment-coded category: per row the index of its indicator column among the
    category's ``width`` columns, or ``-1`` for the reference level; ``pos`` is the design
    column of its first indicator."""

    codes: Codes
    width: int
    pos: int

    def counts(self, weights: Array | None = None) -> Array:
        """``t[j]``: the rows (or their weights) of level ``j``."""
        on = self.codes >= 0
        w = None if weights is None else weights[on]
        return np.bincount(self.codes[on], weights=w, minlength=self.width).astype(np.float64)

    def sums(self, values: Array) -> Array:
        """``sum over rows of level j of values[i]``, one row per level: ``(width, k)``
        (or ``(width,)`` for one column): the indicator block's transpose times ``values``,
        as a sparse product (one pass over the rows, in C)."""
        from scipy import sparse

        on = np.flatnonzero(self.codes >= 0)
        member = sparse.csr_matrix((np.ones(on.size), (self.codes[on], on)),
                                   shape=(self.width, self.codes.shape[0]))
        return np.asarray(member @ values, dtype=np.float64)


@dataclass(frozen=True)
class Blocks:
    """A design of ``width`` columns: numeric columns at ``num_pos`` and categories."""

    num: Array  # (m, k)
    num_pos: NDArray[np.int64]  # (k,) design column of each numeric column
    cats: tuple[Category, ...]
    width: int

    @property
    def n(self) -> int:
        return int(self.num.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return self.n, self.width

    def dense(self) -> Array:
        """The design as one ``(m, width)`` array (what the formula library would build)."""
        X = np.zeros((self.n, self.width))
        X[:, self.num_pos] = self.num
        rows = np.arange(self.n)
        for cat in self.cats:
            on = cat.codes >= 0
            X[rows[on], cat.pos + cat.codes[on]] = 1.0
        return X

    def dot(self, w: Array) -> Array:
        """``X @ w`` without building ``X``."""
        out = self.num @ w[self.num_pos]
        for cat in self.cats:
            coef = np.concatenate([w[cat.pos:cat.pos + cat.width], [0.0]])
            out = out + coef[cat.codes]  # code -1 (the reference) picks the appended 0
        return np.asarray(out, dtype=np.float64)

    def means(self) -> Array:
        """The mean of every design column."""
        mean = np.zeros(self.width)
        mean[self.num_pos] = self.num.mean(axis=0)
        for cat in self.cats:
            mean[cat.pos:cat.pos + cat.width] = cat.counts() / self.n
        return mean


def centred_gram(blocks: Blocks, centre: Array, weights: Array | None = None,
                 extra: Array | None = None) -> Array:
    """``Z^T W Z`` for ``Z = X - centre`` (design order), without building ``X``.

    ``extra`` (``(m, e)``, already centred) adds columns after the design's (e.g. the centred
    target for the moments). See the module's docstring for the blocks' formulas.
    """
    A = blocks.num - centre[blocks.num_pos]
    if extra is not None:
        A = np.column_stack([A, extra])
    k = A.shape[1]
    wA = A if weights is None else A * weights[:, None]
    sw = float(blocks.n if weights is None else weights.sum())
    colsum = wA.sum(axis=0)  # w^T A
    sizes = [k] + [c.width for c in blocks.cats]
    edges = np.concatenate([[0], np.cumsum(sizes)])
    G = np.zeros((edges[-1], edges[-1]))
    G[:k, :k] = A.T @ wA
    mus = [centre[c.pos:c.pos + c.width] for c in blocks.cats]
    ts = [c.counts(weights) for c in blocks.cats]
    for a, (cat, mu, t) in enumerate(zip(blocks.cats, mus, ts, strict=True)):
        lo, hi = edges[a + 1], edges[a + 2]
        cross = cat.sums(wA) - np.outer(mu, colsum)
        G[lo:hi, :k], G[:k, lo:hi] = cross, cross.T
        G[lo:hi, lo:hi] = np.diag(t) - np.outer(mu, t) - np.outer(t, mu) + sw * np.outer(mu, mu)
        for b in range(a):
            other, lo2, hi2 = blocks.cats[b], edges[b + 1], edges[b + 2]
            both = (cat.codes >= 0) & (other.codes >= 0)
            flat = cat.codes[both] * other.width + other.codes[both]
            wb = None if weights is None else weights[both]
            tab = np.bincount(flat, weights=wb, minlength=cat.width * other.width).reshape(
                cat.width, other.width).astype(np.float64)
            block = (tab - np.outer(t, mus[b]) - np.outer(mu, ts[b])
                     + sw * np.outer(mu, mus[b]))
            G[lo:hi, lo2:hi2], G[lo2:hi2, lo:hi] = block, block.T
    extra_pos = np.arange(blocks.width, blocks.width + k - blocks.num.shape[1])
    order = np.concatenate([blocks.num_pos, extra_pos,
                            *(np.arange(c.pos, c.pos + c.width) for c in blocks.cats)])
    out = np.zeros_like(G)
    out[np.ix_(order, order)] = G
    return out


def block_moments(blocks: Blocks, y: Array) -> MomentStats:
    """The :class:`~descend.data.stats.MomentStats` of ``(X, y)``, as
    :func:`~descend.data.stats.moment_stats` of the dense design gives them (to rounding)."""
    n = blocks.n
    if n == 0:
        d = blocks.width
        return MomentStats(0, np.zeros(d), 0.0, np.zeros((d, d)), np.zeros(d), 0.0)
    mean_x = blocks.means()
    mean_y = float(y.mean())
    G = centred_gram(blocks, mean_x, extra=(y - mean_y)[:, None])
    d = blocks.width
    return MomentStats(n=n, mean_x=mean_x, mean_y=mean_y, cxx=G[:d, :d], cxy=G[:d, d],
                       cyy=float(G[d, d]))


def group_score_sums(blocks: Blocks, mean_x: Array, e: Array, inverse: Codes,
                     n_groups: int) -> Array:
    """``s_g = sum over rows of group g of e_i (1, x_i - mean_x)``, one row per group:
    the cluster-robust meat's scores, ``(n_groups, 1 + width)``."""
    S = np.zeros((n_groups, 1 + blocks.width))
    E = np.bincount(inverse, weights=e, minlength=n_groups)
    S[:, 0] = E
    from scipy import sparse

    member = sparse.csr_matrix((np.ones(inverse.size), (inverse, np.arange(inverse.size))),
                               shape=(n_groups, inverse.size))
    S[:, 1 + blocks.num_pos] = member @ ((blocks.num - mean_x[blocks.num_pos]) * e[:, None])
    for cat in blocks.cats:
        on = cat.codes >= 0
        flat = inverse[on] * cat.width + cat.codes[on]
        tab = np.bincount(flat, weights=e[on], minlength=n_groups * cat.width)
        mu = mean_x[cat.pos:cat.pos + cat.width]
        S[:, 1 + cat.pos:1 + cat.pos + cat.width] = (tab.reshape(n_groups, cat.width)
                                                     - np.outer(E, mu))
    return S


def _numbers(column: Any) -> Array | None:
    """A numeric Arrow column as float64 (empty cells NaN), or ``None`` when it is not numbers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        return None
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False),
                      dtype=np.float64)


def _level_index(column: Any, levels: tuple[Any, ...]) -> tuple[Codes, NDArray[np.bool_]] | None:
    """Per row the index of its text in ``levels`` (``-1``: not a level) and whether the cell
    is empty (null or ``""``); ``None`` when the column or the levels are not text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not all(isinstance(v, str) for v in levels):
        return None
    if pa.types.is_dictionary(column.type):  # map the few distinct texts, then the codes
        words = column.dictionary
        if not (pa.types.is_string(words.type) or pa.types.is_large_string(words.type)):
            return None
        known = _level_index(words, levels)
        if known is None:
            return None
        where, blank = known
        codes = column.indices.to_numpy(zero_copy_only=False)
        null = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        codes = np.where(null, 0, np.nan_to_num(codes)).astype(np.int64)
        return (np.where(null, -1, where[codes]) if where.size else np.full(codes.size, -1),
                null | (blank[codes] if blank.size else False))
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    empty = pc.fill_null(pc.or_kleene(pc.is_null(column), pc.equal(column, "")), True)
    index = pc.fill_null(pc.index_in(column, value_set=pa.array(levels, pa.string())), -1)
    return (np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int64),
            np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool))


def blocks_from_arrow(design: Any, batch: Any, *, missing: str = "drop", row_offset: int = 0,
                      source: str = "the data") -> tuple[Blocks, Array, Any, Any] | None:
    """``design.rows(batch)`` as :class:`Blocks`, read from an Arrow record batch without pandas.

    Returns ``(blocks, y, report, keep)`` as :meth:`~descend.data.formula.Design.rows` returns
    ``(X, y, report, keep)``, with the same checks and messages, or ``None`` when this batch
    needs the general path (a term that is not one column, a category that is not text, a
    column of another type); the general path then builds it, or refuses it, as before.
    """
    from descend.data.formula import (
        MissingReport,
        empty_cell_message,
        not_finite_message,
        unseen_level_message,
    )
    from descend.errors import DataError

    layout = design.layout()
    if layout is None:
        return None
    names = set(batch.schema.names)
    if any(c not in names for c in design._used()):
        return None
    values: dict[str, Array] = {}
    index: dict[str, Codes] = {}
    empty: dict[str, NDArray[np.bool_]] = {}
    cat_levels = dict(design.levels)
    for col in design._used():
        if col in cat_levels:
            got = _level_index(batch.column(col), cat_levels[col])
            if got is None:
                return None
            index[col], empty[col] = got
        else:
            num = _numbers(batch.column(col))
            if num is None:
                return None
            values[col], empty[col] = num, np.isnan(num)
    if missing == "raise":
        for col in design._used():
            if empty[col].any():
                raise DataError(empty_cell_message(source, row_offset + int(np.argmax(empty[col]))
                                                   + 1, col))
    keep = ~np.logical_or.reduce([empty[c] for c in design._used()])
    rows: Any = slice(None) if keep.all() else np.flatnonzero(keep)  # no copy when all kept
    for col, idx in index.items():
        unseen = (idx < 0) & keep
        if unseen.any():
            pos = int(np.argmax(unseen))
            raise DataError(unseen_level_message(source, row_offset + pos + 1, col,
                                                 batch.column(col)[pos].as_py(),
                                                 cat_levels[col]))
    n_num = sum(1 for term in layout if term[0] == "num")
    m = int(keep.sum())
    num = np.empty((m, n_num))
    num_pos: list[int] = []
    cats: list[Category] = []
    j = 0
    for kind, col, lv, ref in layout:
        if kind == "num":
            num[:, len(num_pos)] = values[col][rows]
            num_pos.append(j)
            j += 1
            continue
        li = index[col][rows]
        cats.append(Category(np.where(li == ref, -1, li - (li > ref)).astype(np.int64),
                             len(lv) - 1, j))
        j += len(lv) - 1
    bad = ~np.isfinite(num).all(axis=1)
    if bad.any():
        raise DataError(not_finite_message(source, row_offset + int(np.flatnonzero(keep)[
            np.argmax(bad)]) + 1))
    y = values[design.target][rows]
    counts = tuple((c, int(empty[c].sum())) for c in design._used())
    report = MissingReport(batch.num_rows, m, tuple((c, k) for c, k in counts if k))
    blocks = Blocks(num, np.asarray(num_pos, dtype=np.int64), tuple(cats), j)
    return blocks, y, report, keep
