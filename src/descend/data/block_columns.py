"""A formula's chunk as the columns the block kernels read, and their sums as statistics.

The fast path of a streamed formula fit (:mod:`descend.kernels._blocks`): a record batch
becomes ``V`` (the numeric terms' columns, then the target, ``e x m`` float64, empty cells
NaN) and ``C`` (per category term the row's indicator column, ``-1`` the reference,
``MISSING``/``UNSEEN``), without building the design or dropping rows first; the kernels skip
the rows with an empty cell. :func:`chunk_moments` turns a chunk's sums into the
:class:`~descend.data.stats.MomentStats` of its design, as :func:`~descend.data.blocks.
block_moments` gives them (to rounding), with ``a = v - s`` the shifted numeric columns:

    mean = s + S / n,   Caa = P - n mu mu^T   (mu = S / n)
    cross[l] = T[l] - t[l] mu                  (the centred indicator times the centred a)
    dd = diag(t) - t t^T / n

A formula whose terms are not one column each, or with two category terms (their cross
tabulation is not summed here), or a column of another type, takes the general path
(:func:`~descend.data.blocks.blocks_from_arrow`); so do the chunks that hold an error, so
that its message is the general path's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats

Array = NDArray[np.float64]
Codes = NDArray[np.int64]

__all__ = ["ClusterIds", "KernelLayout", "chunk_columns", "chunk_moments", "kernel_layout",
           "missing_counts"]

#: Codes of an empty text cell and of an unknown level (as :mod:`descend.kernels._blocks`).
MISSING = -2
UNSEEN = -3


@dataclass(frozen=True)
class KernelLayout:
    """Where the kernels' columns sit in the design: ``num`` (column names of ``V``'s rows
    but the last, the target) at ``num_pos``; one category ``cat`` (column, levels,
    reference index) at ``cat_pos`` with ``width`` indicators; ``width`` design columns."""

    target: str
    num: tuple[str, ...]
    num_pos: Codes
    cats: tuple[tuple[str, tuple[Any, ...], int, int], ...]  # (column, levels, ref, pos)
    offsets: Codes  # start of each category's indicators among the W of the kernels
    width: int
    used: tuple[str, ...]

    @property
    def e(self) -> int:
        return len(self.num) + 1


def kernel_layout(design: Any) -> KernelLayout | None:
    """The :class:`KernelLayout` of ``design``, or ``None`` where the kernels do not apply
    (a term that is not one column, more than one category term, or non-text levels)."""
    layout = design.layout()
    if layout is None:
        return None
    num: list[str] = []
    pos: list[int] = []
    cats: list[tuple[str, tuple[Any, ...], int, int]] = []
    j = 0
    for kind, col, lv, ref in layout:
        if kind == "num":
            num.append(col)
            pos.append(j)
            j += 1
        else:
            if not all(isinstance(v, str) for v in lv):
                return None
            cats.append((col, lv, ref, j))
            j += len(lv) - 1
    if len(cats) > 1:
        return None
    widths = [len(lv) - 1 for _, lv, _, _ in cats]
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    return KernelLayout(design.target, tuple(num), np.asarray(pos, dtype=np.int64),
                        tuple(cats), offsets, j, tuple(design._used()))


def _float_column(column: Any) -> Array | None:
    import pyarrow as pa

    kind = column.type
    if pa.types.is_floating(kind) and kind.bit_width == 64 and column.null_count == 0:
        return np.asarray(column.to_numpy(zero_copy_only=False))
    if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        return None
    import pyarrow.compute as pc

    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False),
                      dtype=np.float64)


def _category_codes(column: Any, levels: tuple[Any, ...], ref: int) -> Codes | None:
    """Per row the indicator column of its level (``-1``: the reference), ``MISSING`` for an
    empty cell (null or ``""``), ``UNSEEN`` for a text the levels lack; the texts are mapped
    once per distinct value (Arrow's dictionary), never per row in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None
        column = pc.dictionary_encode(column)
    words = column.dictionary
    if not (pa.types.is_string(words.type) or pa.types.is_large_string(words.type)):
        return None
    index = {v: i for i, v in enumerate(levels)}
    lookup = np.full(len(words) + 1, MISSING, dtype=np.int64)
    for k, word in enumerate(words.to_pylist()):
        if word is None or word == "":
            continue
        at = index.get(word)
        lookup[k] = UNSEEN if at is None else (-1 if at == ref else at - (at > ref))
    indices = column.indices
    if indices.null_count:
        indices = pc.fill_null(indices, len(words))
    return np.asarray(lookup[np.asarray(indices.to_numpy(zero_copy_only=False))],
                      dtype=np.int64)


def chunk_columns(lay: KernelLayout, batch: Any) -> tuple[Array, Codes] | None:
    """``(V, C)`` of a record batch, or ``None`` where a column is not of a kind the kernels
    read (the general path then builds the chunk, or refuses it by name)."""
    m = batch.num_rows
    V = np.empty((lay.e, m))
    for j, col in enumerate((*lay.num, lay.target)):
        values = _float_column(batch.column(col))
        if values is None:
            return None
        V[j] = values
    C = np.empty((len(lay.cats), m), dtype=np.int64)
    for c, (col, lv, ref, _) in enumerate(lay.cats):
        codes = _category_codes(batch.column(col), lv, ref)
        if codes is None:
            return None
        C[c] = codes
    return V, C


def missing_counts(lay: KernelLayout, empty: Codes) -> tuple[tuple[str, int], ...]:
    """The empty cells per used column (the formula's order), from the kernel's counts per
    row of ``V`` then ``C``."""
    where = {col: int(empty[j]) for j, col in enumerate((*lay.num, lay.target))}
    where.update({col: int(empty[lay.e + c]) for c, (col, *_) in enumerate(lay.cats)})
    return tuple((c, where[c]) for c in lay.used if where.get(c))


def design_order(lay: KernelLayout) -> Codes:
    """The design column of each of the kernels' columns: the numbers, then the indicators."""
    cat = [np.arange(pos, pos + len(lv) - 1) for _, lv, _, pos in lay.cats]
    return np.concatenate([lay.num_pos, *cat]).astype(np.int64)


def chunk_moments(lay: KernelLayout, sums: tuple[Any, ...]) -> MomentStats | None:
    """The :class:`MomentStats` of a chunk's design from the kernel's sums (``None``: no row
    kept). See the module's docstring for the formulas."""
    n, shift, S, P, T, t = sums[:6]
    if n == 0:
        return None
    k = len(lay.num)
    mu = S / n
    caa = P - n * np.outer(mu, mu)
    cross = T - np.outer(t, mu)
    dd = np.diag(t) - np.outer(t, t) / n
    d = lay.width
    order = design_order(lay)
    num, cat = order[:k], order[k:]
    cxx = np.zeros((d, d))
    cxx[np.ix_(num, num)] = caa[:k, :k]
    cxx[np.ix_(cat, num)] = cross[:, :k]
    cxx[np.ix_(num, cat)] = cross[:, :k].T
    cxx[np.ix_(cat, cat)] = dd
    cxy = np.zeros(d)
    cxy[num] = caa[:k, k]
    cxy[cat] = cross[:, k]
    mean_x = np.zeros(d)
    mean_x[num] = shift[:k] + mu[:k]
    mean_x[cat] = t / n
    return MomentStats(n=int(n), mean_x=mean_x, mean_y=float(shift[k] + mu[k]), cxx=cxx,
                       cxy=cxy, cyy=float(caa[k, k]))


class ClusterIds:
    """Dense ids ``0 .. G-1`` for cluster labels, the same over a whole pass.

    Integer labels within a modest range are looked up in a table indexed by ``label - base``
    (a subtraction and a gather per row); other labels are encoded by Arrow (hashing, no
    sort), and only a chunk's distinct labels meet the dict.
    """

    #: The widest range of integer labels looked up by table (8 bytes a slot).
    TABLE_SPAN = 1 << 22

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}
        self.base = 0
        self.table: Codes | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def of(self, column: Any) -> Codes:
        """The ids of a chunk's labels (an empty cell gets 0: its row is dropped, or
        refused, before it counts)."""
        import pyarrow as pa

        if pa.types.is_integer(column.type) and not column.null_count and len(column):
            got = self._by_table(np.asarray(column.to_numpy(zero_copy_only=False)))
            if got is not None:
                return got
        return self._by_hash(column)

    def _by_table(self, labels: NDArray[Any]) -> Codes | None:
        lo, hi = int(labels.min()), int(labels.max())
        if self.table is None:
            if self.ids:  # labels met by hashing before: keep to that route
                return None
            self.base, self.table = lo, np.full(0, -1, dtype=np.int64)
        if lo < self.base or hi - self.base >= self.TABLE_SPAN:
            return None
        if hi - self.base >= self.table.size:
            grown = np.full(max(hi - self.base + 1, 2 * self.table.size), -1, dtype=np.int64)
            grown[:self.table.size] = self.table
            self.table = grown
        at = labels - self.base
        ids = self.table[at]
        if (ids < 0).any():
            for v in np.unique(at[ids < 0]).tolist():
                self.table[v] = self.ids.setdefault(v + self.base, len(self.ids))
            ids = self.table[at]
        return np.asarray(ids, dtype=np.int64)

    def _by_hash(self, column: Any) -> Codes:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.table is not None:  # from here on, every label by the dict
            self.table = None
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        words = column.dictionary.to_pylist()
        lookup = np.empty(len(words) + 1, dtype=np.int64)
        for k, label in enumerate(words):
            lookup[k] = self.ids.setdefault(label, len(self.ids))
        lookup[-1] = 0
        indices = column.indices
        if indices.null_count:
            indices = pc.fill_null(indices, len(words))
        return np.asarray(lookup[np.asarray(indices.to_numpy(zero_copy_only=False))],
                          dtype=np.int64)

    def labels(self) -> list[Any]:
        """The labels, by id."""
        return list(self.ids)
