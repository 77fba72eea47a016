"""Row sources: the passes over a data set's rows that a fit needs, wherever the rows live.

A fit touches its rows only through two small protocols, so the same solver runs on arrays in
memory, on files streamed in chunks (:mod:`descend.data.stream`) and on Dask partitions
(:mod:`descend.data.dask_rows`):

- :class:`RowPasses` -- a full pass at ``(w, b)`` (the mean loss and its gradient), one epoch
  of shuffled mini-batches, and the largest row norm (the mini-batch step size);
- :class:`ResidualPasses` -- the refinement passes of a squared-loss fit: centred residuals,
  residuals anchored at ``(b, w)`` and the QR factor ``R``.

:class:`Prepared` bundles what a fit needs from any source: the moments (:class:`MomentStats`,
one pass), the names, and the passes above when the loss or the solver needs the rows again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from descend.data.stats import MomentStats
    from descend.data.table import Table

Array = NDArray[np.float64]

__all__ = [
    "InMemoryRows",
    "Prepared",
    "ResidualPasses",
    "RowPasses",
    "WeightedRows",
    "weighted_loss_and_grad",
]


class RowPasses(Protocol):
    """Passes over the rows of a data set, wherever they live (memory, files, a cluster).

    ``full(w, b)``: ``(loss, dloss/dw, dloss/db)`` of the mean loss over every row, in the
    user's units, no penalty. ``batches(rng, batch_size, shuffle)``: one epoch of ``(X, y)``
    mini-batches (a third array, when given, holds the rows' weights). ``max_row_norm2(mean, scale)``: ``max_i ||(x_i - mean) / scale||^2`` (the
    largest per-row curvature, for the mini-batch step size).
    """

    def full(self, w: Array, b: float) -> tuple[float, Array, float]: ...

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, ...]]: ...

    def max_row_norm2(self, mean: Array, scale: Array) -> float: ...


class ResidualPasses(Protocol):
    """One pass over the rows, wherever they live, for the refinement steps of a squared-loss fit.

    ``residuals(mean, scale, y0, v, c)`` returns ``(sum_i z_i r_i, sum_i r_i, sum_i r_i^2, n)``
    with ``z_i = (x_i - mean) / scale`` and ``r_i = y_i - y0 - c - z_i . v``. A source may also
    offer ``anchored(mean, scale, b, w, dv, c)`` (the same sums for ``r_i = (y_i - b - x_i . w)
    - c - z_i . dv``, the bracket to twice the working precision) and ``r_factor(mean, scale)``
    (the QR factor ``R`` of ``Z``). The same protocol as :mod:`descend.models._whitened`'s.
    """

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]: ...


class InMemoryRows:
    """:class:`RowPasses` over arrays in memory."""

    def __init__(
        self, X: Array, y: Array, loss: str, epsilon: float, weights: Array | None = None
    ):
        self.X, self.y, self.loss, self.epsilon = X, y, loss, epsilon
        self.weights = weights  # normalised to mean 1, or None

    def full(self, w: Array, b: float) -> tuple[float, Array, float]:
        if self.weights is None:
            from descend.losses import loss_and_grad  # the loss registry

            return loss_and_grad(self.loss, self.X, self.y, w, b, epsilon=self.epsilon)
        return weighted_loss_and_grad(
            self.loss, self.X, self.y, w, b, self.weights, epsilon=self.epsilon)

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, ...]]:
        n = self.X.shape[0]
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            if self.weights is None:
                yield self.X[rows], self.y[rows]
            else:
                yield self.X[rows], self.y[rows], self.weights[rows]

    def max_row_norm2(self, mean: Array, scale: Array) -> float:
        Z = (self.X - mean) / scale
        z2 = np.einsum("ij,ij->i", Z, Z)
        if self.weights is None:
            return float(z2.max())
        # row i's curvature is 2 s_i (1 + |z_i|^2): reported as "1 + norm2" for the caller
        return float((self.weights * (1.0 + z2)).max()) - 1.0


def weighted_loss_and_grad(
    loss: str, X: Array, y: Array, w: Array, b: float, s: Array, *, epsilon: float = 1.35
) -> tuple[float, Array, float]:
    """``(sum s_i h(r_i) / n, X^T (s psi(r)) / n, sum s_i psi(r_i) / n)``, ``r = Xw + b - y``.

    With ``s`` normalised to mean 1 this is the weighted mean loss ``sum s h / sum s`` and its
    gradient (on a mini-batch: an unbiased estimate of the full one).
    """
    from descend.losses import get_loss  # the loss registry

    spec = get_loss(loss)
    n = X.shape[0]
    r = X @ w + (b - y)
    psi = s * spec.psi(r, epsilon)
    return float(s @ spec.h(r, epsilon)) / n, (X.T @ psi) / n, float(psi.sum()) / n


class WeightedRows:
    """Weighted rows in memory as :class:`ResidualPasses`: the
    refinement of a weighted squared-loss fit (``s`` the weights normalised to mean 1).

    ``residuals`` and ``anchored`` return ``(sum s z r, sum s r, sum s r^2, n)``: the weighted
    problem is the unweighted one of the rows ``sqrt(s_i) (x_i, y_i)`` about the weighted means.
    """

    def __init__(self, X: Array, y: Array, s: Array):
        self.X, self.y, self.s = X, y, s

    def _sums(self, Z: Array, r: Array) -> tuple[Array, float, float, int]:
        sr = self.s * r
        return Z.T @ sr, float(sr.sum()), float(r @ sr), int(self.X.shape[0])

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        Z = (self.X - mean) / scale
        return self._sums(Z, (self.y - y0) - c - Z @ v)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        from descend.data.stats import residual_compensated

        Z = (self.X - mean) / scale
        return self._sums(Z, residual_compensated(self.X, self.y, b, w) - c - Z @ dv)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        Z = (self.X - mean) / scale * np.sqrt(self.s)[:, None]
        return np.asarray(np.linalg.qr(Z, mode="r"), dtype=np.float64)


@dataclass(frozen=True)
class Prepared:
    """A data set reduced to what a fit needs, from any engine.

    ``stats``: the moments (one pass; ``None`` for a :attr:`table` in memory, whose estimator
    computes them itself); ``passes``: :class:`RowPasses` when the loss or mini-batches need
    the rows at every step, else ``None``; ``rows``: :class:`ResidualPasses` for the refinement
    of a squared-loss fit, else ``None``; ``table``: the rows themselves for the in-memory
    engine; ``feature_scale``: the powers of two the features were multiplied by before the
    moments (:mod:`descend.data.scaling`; ``None``: not scaled), which :meth:`adopt` undoes on
    a model fitted to these ``stats`` and passes.
    """

    stats: MomentStats | None
    feature_names: tuple[str, ...]
    target_name: str
    source: str
    passes: Any = None
    rows: Any = None
    table: Table | None = None
    feature_scale: Any = None

    def adopt(self, model: Any) -> Any:
        """``model``, fitted to this source, in the units of the data: a scaled fit's
        coefficients and moments mapped back (:func:`~descend.data.scaling.unscale_model`)."""
        if self.feature_scale is None or getattr(model, "coef_", None) is None:
            return model
        from descend.data.scaling import unscale_model, unscale_stats

        assert self.stats is not None
        return unscale_model(model, self.feature_scale,
                             unscale_stats(self.stats, self.feature_scale))

    def stats_coef(self, coef: Any) -> Any:
        """Coefficients in the units of :attr:`stats` (the scaled ones) from the data's."""
        return coef if self.feature_scale is None else np.asarray(coef) / self.feature_scale

    @property
    def n(self) -> int:
        if self.table is not None:
            return int(self.table.n)
        assert self.stats is not None
        return int(self.stats.n)

    @property
    def d(self) -> int:
        return len(self.feature_names)
