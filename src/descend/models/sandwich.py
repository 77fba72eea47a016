"""Standard errors that do not assume one error variance, and the residual diagnostics, from
one more pass over the rows after the fit.

The classical covariance ``s^2 (X^T X)^-1`` needs the moments only. The heteroskedasticity-
consistent (HC) and cluster-robust ones are *sandwiches*

    Cov(theta) = c * B M B,      B = (X^T X)^-1 (the bread),   M = sum_i w_i x_i x_i^T (the meat)

with ``x_i`` the row of the design (a leading 1 for the intercept), ``e_i`` its residual,
``h_i = x_i^T B x_i`` its leverage (the hat value, computed row by row from ``B``: never the
``n x n`` hat matrix) and, in statsmodels' names (White 1980; MacKinnon & White 1985):

    HC0:  w_i = e_i^2                          c = 1
    HC1:  w_i = e_i^2                          c = n / (n - p)
    HC2:  w_i = e_i^2 / (1 - h_i)              c = 1
    HC3:  w_i = e_i^2 / (1 - h_i)^2            c = 1
    cluster (CR1):  M = sum_g s_g s_g^T,  s_g = sum_{i in g} x_i e_i,
                    c = G / (G - 1) * (n - 1) / (n - p)      (Cameron & Miller 2015, sec. 2.3)

The bread is known from the moments before the pass, so every kind needs exactly one pass over
the rows, in memory, streamed or on Dask alike: :class:`RowPass` is a mergeable accumulator
(``add`` a chunk, ``merge`` two partial passes), so chunk order and partitioning change the
sums only by rounding.

With an intercept the rows are taken in centred coordinates ``z_i = (1, x_i - mean_x)``, where
the bread is block-diagonal, ``diag(1/n, Cxx^-1)``; the covariance of ``(b, w)`` is then
``T C T^T`` with ``T = [[1, -mean_x^T], [0, I]]`` (``b = b_c - mean_x . w``). This keeps the
leverages and the meat free of the cancellation that uncentred columns with large means cause.

The same pass collects the residuals' power sums and successive differences, which give the
diagnostics of statsmodels' summary: Durbin-Watson, skew, kurtosis, Jarque-Bera and the
omnibus test of D'Agostino & Pearson (D'Agostino, Belanger & D'Agostino 1990).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import InputError

Array = NDArray[np.float64]

__all__ = [
    "COV_TYPES",
    "CovSpec",
    "Diagnostics",
    "RowPass",
    "parse_cov",
    "residual_diagnostics",
]

#: The covariance kinds, in statsmodels' spelling (``fit(cov_type=...)``).
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")


@dataclass(frozen=True)
class CovSpec:
    """Which covariance of the coefficients to report.

    ``kind`` is one of :data:`COV_TYPES`; ``groups`` names the cluster column for ``cluster``.
    """

    kind: str = "nonrobust"
    groups: str | None = None

    @property
    def robust(self) -> bool:
        return self.kind != "nonrobust"

    @property
    def needs_leverage(self) -> bool:
        return self.kind in ("HC2", "HC3")

    def label(self) -> str:
        return f"cluster ({self.groups})" if self.kind == "cluster" else self.kind


def parse_cov(text: str | None, groups: str | None = None) -> CovSpec:
    """``"HC1"`` or ``"cluster:firm"`` (the CLI's ``--cov``) as a :class:`CovSpec`.

    >>> parse_cov("hc3").kind, parse_cov("cluster:firm").groups
    ('HC3', 'firm')
    """
    if text is None:
        return CovSpec()
    raw = str(text).strip()
    head, _, tail = raw.partition(":")
    kind = {k.lower(): k for k in COV_TYPES}.get(head.strip().lower())
    if kind is None:
        raise InputError(
            f"cov_type={raw!r} is not a covariance descend knows; use one of "
            "nonrobust, HC0, HC1, HC2, HC3 or cluster:COLUMN"
        )
    column = tail.strip() or groups
    if kind == "cluster" and not column:
        raise InputError(
            "cov_type='cluster' needs the column that names each row's cluster: "
            "write cluster:COLUMN (library: cov_kwds={'groups': 'COLUMN'})"
        )
    if kind != "cluster" and tail.strip():
        raise InputError(f"cov_type={raw!r}: only cluster takes a column (cluster:COLUMN)")
    return CovSpec(kind, column if kind == "cluster" else None)


@dataclass
class RowPass:
    """One pass over the rows at the fitted ``(b, w)``: the meat, and the residuals' sums.

    Build it with :meth:`start` (the bread comes from the moments), feed it chunks with
    :meth:`add`, combine partial passes with :meth:`merge`, then read :meth:`covariance` and
    :meth:`diagnostics`.
    """

    spec: CovSpec
    intercept: bool
    mean_x: Array
    bread: Array  # (p, p), in the pass's coordinates (centred when intercept)
    b: float
    w: Array
    n: int = 0
    meat: Array = field(default_factory=lambda: np.zeros((0, 0)))
    groups: dict[Any, Array] = field(default_factory=dict)
    sums: Array = field(default_factory=lambda: np.zeros(4))  # sum e, e^2, e^3, e^4
    dsum: float = 0.0  # sum of (e_i - e_{i-1})^2 within the pass
    first: float | None = None
    last: float | None = None
    max_leverage: float = 0.0

    @classmethod
    def start(
        cls, spec: CovSpec, gram_inverse: Array, mean_x: Array, b: float, w: Array,
        n: int, *, intercept: bool = True,
    ) -> RowPass:
        """A pass for ``y ~ b + X w`` (``b`` ignored without intercept).

        ``gram_inverse`` is ``Cxx^-1`` with an intercept (the centred bread's lower block; the
        upper one is ``1/n``), or ``(X^T X)^-1`` through the origin.
        """
        d = w.shape[0]
        if intercept:
            bread = np.zeros((d + 1, d + 1))
            bread[0, 0] = 1.0 / n
            bread[1:, 1:] = gram_inverse
        else:
            bread = np.array(gram_inverse, dtype=np.float64)
        p = bread.shape[0]
        return cls(spec, intercept, np.asarray(mean_x, float), bread, float(b),
                   np.asarray(w, float), meat=np.zeros((p, p)))

    def _rows(self, X: Array) -> Array:
        if not self.intercept:
            return X
        return np.column_stack([np.ones(X.shape[0]), X - self.mean_x])

    def add(self, X: Any, y: Array, groups: Any = None) -> RowPass:
        """Add one chunk of rows (in file order); returns ``self``.

        ``X`` is the design's rows, or a :class:`~descend.data.blocks.Blocks` (the meat then
        comes from the blocks' sums, except for HC2/HC3, whose leverages use the dense rows).
        """
        from descend.data.blocks import Blocks

        if X.shape[0] == 0:
            return self
        if isinstance(X, Blocks):
            if self.spec.needs_leverage:
                return self.add(X.dense(), y, groups)
            e = y - (X.dot(self.w) + (self.b if self.intercept else 0.0))
            self._add_block_meat(X, e, groups)
            return self._add_residuals(e)
        e = y - (X @ self.w + (self.b if self.intercept else 0.0))
        Z = self._rows(X)
        if self.spec.kind == "cluster":
            self._add_clusters(Z * e[:, None], groups)
        elif self.spec.robust:
            weight = e * e
            if self.spec.needs_leverage:
                h = np.einsum("ij,jk,ik->i", Z, self.bread, Z)
                self.max_leverage = max(self.max_leverage, float(h.max()))
                weight = weight / ((1.0 - h) if self.spec.kind == "HC2" else (1.0 - h) ** 2)
            self.meat += Z.T @ (Z * weight[:, None])
        return self._add_residuals(e)

    def _add_block_meat(self, X: Any, e: Array, groups: Any) -> None:
        """The meat's share of a chunk kept as blocks (clusters, HC0 and HC1)."""
        from descend.data.blocks import centred_gram, group_score_sums

        centre = self.mean_x if self.intercept else np.zeros(X.width)
        if self.spec.kind == "cluster":
            if groups is None:
                raise InputError("cov_type='cluster' needs a group label for every row")
            labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
            S = group_score_sums(X, centre, e, inverse.ravel(), labels.shape[0])
            self._merge_groups(labels, S if self.intercept else S[:, 1:])
        elif self.spec.robust:
            if not self.intercept:
                self.meat += centred_gram(X, centre, e * e)
                return
            G = centred_gram(X, centre, e * e, extra=np.ones((X.n, 1)))
            order = np.r_[X.width, np.arange(X.width)]  # the ones column first
            self.meat += G[np.ix_(order, order)]

    def _add_residuals(self, e: Array) -> RowPass:
        """The residuals' power sums and successive differences (the diagnostics)."""
        self.sums += np.array([e.sum(), (e**2).sum(), (e**3).sum(), (e**4).sum()])
        self.dsum += float(np.sum(np.diff(e) ** 2))
        if self.last is not None:
            self.dsum += (float(e[0]) - self.last) ** 2
        if self.first is None:
            self.first = float(e[0])
        self.last = float(e[-1])
        self.n += int(e.shape[0])
        return self

    def _add_clusters(self, scores: Array, groups: Any) -> None:
        if groups is None:
            raise InputError("cov_type='cluster' needs a group label for every row")
        from scipy import sparse

        labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
        rows = inverse.ravel()
        # the group sums as (indicator matrix) @ scores: O(n p), unlike np.add.at's slow loop
        member = sparse.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))),
                                   shape=(labels.shape[0], rows.size))
        self._merge_groups(labels, np.asarray(member @ scores))

    def _merge_groups(self, labels: Any, sums: Array) -> None:
        for label, s in zip(labels.tolist(), sums, strict=True):
            prev = self.groups.get(label)
            self.groups[label] = s if prev is None else prev + s

    def merge(self, later: RowPass) -> RowPass:
        """This pass followed by ``later`` (the rows that come after it in the file)."""
        out = RowPass(self.spec, self.intercept, self.mean_x, self.bread, self.b, self.w,
                      n=self.n + later.n, meat=self.meat + later.meat, groups=dict(self.groups),
                      sums=self.sums + later.sums, dsum=self.dsum + later.dsum,
                      first=self.first if self.first is not None else later.first,
                      last=later.last if later.last is not None else self.last,
                      max_leverage=max(self.max_leverage, later.max_leverage))
        for label, s in later.groups.items():
            prev = out.groups.get(label)
            out.groups[label] = s if prev is None else prev + s
        if self.last is not None and later.first is not None:
            out.dsum += (later.first - self.last) ** 2
        return out

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def covariance(self, scale: float) -> Array:
        """The covariance of ``(b, w)`` (or ``w`` through the origin).

        ``scale`` is ``s^2 = RSS / (n - p)``, used by ``nonrobust`` only.
        """
        p = self.bread.shape[0]
        n = self.n
        if not self.spec.robust:
            cov = scale * self.bread
        else:
            if self.spec.kind == "cluster":
                S = np.array(list(self.groups.values())).reshape(-1, p)
                meat = S.T @ S
                G = S.shape[0]
                if G < 2:
                    raise InputError(
                        f"cov_type='cluster': the column {self.spec.groups!r} has {G} "
                        "cluster; cluster-robust errors need at least 2")
                c = G / (G - 1.0) * (n - 1.0) / (n - p)
            else:
                if self.spec.needs_leverage and self.max_leverage >= 1.0 - 1e-12:
                    raise InputError(
                        f"cov_type={self.spec.kind!r}: a row has leverage 1 (it alone decides "
                        "a coefficient), where HC2/HC3 divide by 1 - h = 0; use HC0 or HC1")
                meat = self.meat
                c = n / (n - p) if self.spec.kind == "HC1" else 1.0
            cov = c * (self.bread @ meat @ self.bread)
        if self.intercept:
            T = np.eye(p)
            T[0, 1:] = -self.mean_x
            cov = T @ cov @ T.T
        return (cov + cov.T) / 2.0  # type: ignore[no-any-return]

    def diagnostics(self) -> Diagnostics:
        """The residual diagnostics of statsmodels' summary (its lower table)."""
        return residual_diagnostics(self.n, self.sums, self.dsum)


@dataclass(frozen=True)
class Diagnostics:
    """statsmodels' ``summary()`` lower table: ``omnibus`` (``omni_normtest`` statistic),
    ``omnibus_p``, ``durbin_watson``, ``jarque_bera``, ``jarque_bera_p``, ``skew``,
    ``kurtosis`` (Pearson's, 3 for a normal)."""

    omnibus: float | None
    omnibus_p: float | None
    durbin_watson: float | None
    jarque_bera: float
    jarque_bera_p: float
    skew: float
    kurtosis: float

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None or not math.isfinite(v) else float(v))
                for k, v in self.__dict__.items()}


def residual_diagnostics(n: int, sums: Array, dsum: float) -> Diagnostics:
    """The diagnostics from the residuals' power sums ``(sum e, e^2, e^3, e^4)`` and
    ``sum (e_i - e_{i-1})^2``.

    With the biased central moments ``m_k = mean((e - mean e)^k)``: skew ``m3 / m2^1.5``,
    kurtosis ``m4 / m2^2``, Jarque-Bera ``n/6 (S^2 + (K - 3)^2 / 4)`` on chi^2(2), Durbin-Watson
    ``sum (e_i - e_{i-1})^2 / sum e_i^2``, and the omnibus ``Z_s^2 + Z_k^2`` on chi^2(2) from
    D'Agostino's skewness test and Anscombe & Glynn's kurtosis test (as ``scipy.stats.normaltest``).
    """
    s1, s2, s3, s4 = (float(v) for v in sums)
    mu = s1 / n
    m2 = s2 / n - mu**2
    m3 = s3 / n - 3 * mu * s2 / n + 2 * mu**3
    m4 = s4 / n - 4 * mu * s3 / n + 6 * mu**2 * s2 / n - 3 * mu**4
    skew = m3 / m2**1.5 if m2 > 0 else float("nan")
    kurt = m4 / m2**2 if m2 > 0 else float("nan")
    jb = n / 6.0 * (skew**2 + (kurt - 3.0) ** 2 / 4.0)
    omnibus = omnibus_p = None
    if n >= 8 and m2 > 0:
        omnibus = _skew_z(skew, n) ** 2 + _kurtosis_z(kurt, n) ** 2
        omnibus_p = _chi2_2_sf(omnibus)
    dw = dsum / s2 if s2 > 0 else None
    return Diagnostics(omnibus, omnibus_p, dw, jb, _chi2_2_sf(jb), skew, kurt)


def _chi2_2_sf(x: float) -> float:
    """``P(chi^2(2) > x) = exp(-x/2)``: chi-squared on 2 degrees of freedom is exponential
    with mean 2, so its tail is closed-form (no SciPy needed)."""
    return math.exp(-x / 2.0) if x > 0 else 1.0


def _skew_z(b2: float, n: int) -> float:
    """D'Agostino's (1970) normal approximation to the sample skewness ``b2``."""
    y = b2 * math.sqrt((n + 1.0) * (n + 3) / (6.0 * (n - 2)))
    beta2 = (3.0 * (n * n + 27 * n - 70) * (n + 1) * (n + 3)
             / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9)))
    W2 = -1.0 + math.sqrt(2.0 * (beta2 - 1.0))
    delta = 1.0 / math.sqrt(0.5 * math.log(W2))
    alpha = math.sqrt(2.0 / (W2 - 1.0))
    y = y if y != 0 else 1.0
    return delta * math.log(y / alpha + math.sqrt((y / alpha) ** 2 + 1.0))


def _kurtosis_z(b2: float, n: int) -> float:
    """Anscombe & Glynn's (1983) normal approximation to the sample kurtosis ``b2``."""
    E = 3.0 * (n - 1) / (n + 1)
    varb2 = 24.0 * n * (n - 2) * (n - 3) / ((n + 1.0) ** 2 * (n + 3) * (n + 5))
    x = (b2 - E) / math.sqrt(varb2)
    sqrtbeta1 = (6.0 * (n * n - 5 * n + 2) / ((n + 7.0) * (n + 9))
                 * math.sqrt(6.0 * (n + 3) * (n + 5) / (n * (n - 2.0) * (n - 3))))
    A = 6.0 + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + math.sqrt(1.0 + 4.0 / sqrtbeta1**2))
    term1 = 1.0 - 2.0 / (9.0 * A)
    denom = 1.0 + x * math.sqrt(2.0 / (A - 4.0))
    if denom == 0:
        return float("inf")
    term2 = math.copysign(abs((1.0 - 2.0 / A) / denom) ** (1.0 / 3.0), denom)
    return (term1 - term2) / math.sqrt(2.0 / (9.0 * A))
