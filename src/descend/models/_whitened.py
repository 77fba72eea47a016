"""Preconditioned gradient descent for the squared loss: steps in whitened coordinates.

Plain gradient descent on least squares needs about ``kappa ln(1/accuracy)`` steps, ``kappa``
the condition number of the Hessian (after standardising: of the features' correlation
matrix, the square of the design's condition number), and a loss that is flat long before the
coefficients are right. Whitening removes ``kappa``. Write the centred, standardised design
(``z_ij = (x_ij - mean_j) / scale_j``, with ``sqrt(n alpha) / scale_j`` rows appended for the
ridge penalty) through a square-root factor of ``Z^T Z = V S^2 V^T`` and step in

    u = S V^T v / sqrt(n),     c = b + mean . w,       v_j = w_j scale_j.

The loss ``f(c, u) = mean((y - c - Z v)^2) + sum(alpha w^2)`` then has the Hessian ``2 I``
exactly: ``L = mu = 2``, the condition number is 1, and one gradient step of ``1/L = 1/2``
lands on the least-squares answer. The gradient

    df/du = -(2 / sqrt(n)) S^-1 V^T Z^T r,     df/dc = -2 mean(r),     r = y - c - Z v

is computed from residuals recomputed from the rows, so every step after the first is a step
of iterative refinement (Golub & Wilkinson 1966; Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., sec. 20.5): its zero is the least-squares answer of the rows themselves,
and the factor only sets how fast the steps get there -- a factor with relative error ``delta``
in the weakest direction contracts the error by about ``delta`` a step. The descent stops when
the gradient, in these coordinates, stops halving (its rounding floor).

The factor:

- from the moments' Gram matrix (:class:`~descend.data.stats.MomentStats`), its
  eigen-decomposition; exact to ``kappa^2 eps`` in the weakest direction, so it is used while
  ``kappa <= QR_ABOVE`` (the steps then contract by ``<= 1e-6``). A step whose gradient comes
  from the moments alone solves the normal equations and loses about ``2 log10(kappa)`` digits;
  from a pass over the rows it is the corrected semi-normal equations (Bjorck 1987, *BIT* 27).
- above ``QR_ABOVE``, the triangular factor ``R`` of a Householder QR of the rows
  (LAPACK by blocks of rows in memory, :class:`~descend.models._memory.MemoryRows`; a
  sequential TSQR over a stream's chunks; ``dask.array.linalg.tsqr``), exact to ``kappa
  eps``: ``R = U S V^T``.

Each refinement round is measured from the answer so far (the anchor), with the residual there
computed to twice the working precision (:func:`~descend.data.stats.residual_compensated`), so
corrections carry rounding of their own size only.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats, residual_compensated
from descend.loop.result import evolve

Array = NDArray[np.float64]

__all__ = [
    "QR_ABOVE",
    "RANK_RTOL",
    "ResidualPasses",
    "Whitening",
    "WhitenedObjective",
    "whiten_moments",
    "residual_compensated",
]

#: Above this condition number of the standardised design, an in-memory fit factors the rows
#: (QR) instead of the moments: the semi-normal refinement contracts by ~kappa^2 eps a step.
QR_ABOVE = 1e5
#: Singular values below ``RANK_RTOL x`` the largest are treated as zero (collinear columns).
RANK_RTOL = 1e-13
EPS = float(np.finfo(np.float64).eps)


class ResidualPasses(Protocol):
    """One pass over the rows, wherever they live, for the refinement steps.

    ``residuals(mean, scale, y0, v, c)`` returns ``(sum_i z_i r_i, sum_i r_i, sum_i r_i^2, n)``
    with ``z_i = (x_i - mean) / scale`` and ``r_i = y_i - y0 - c - z_i . v``: the centred
    residuals, so a large offset in ``x`` or ``y`` costs no digits. An engine may also offer
    ``anchored(mean, scale, b, w, dv, c)`` (the same sums for ``r_i = (y_i - b - x_i . w) - c -
    z_i . dv``, the bracket to twice the working precision: refinement rounds around ``(b, w)``
    then reach the in-memory fit's digits) and ``r_factor(mean, scale)`` (the QR factor ``R`` of
    ``Z``, for hard problems).
    """

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]: ...


@dataclass(frozen=True)
class Whitening:
    """The map between the user's ``(b, w)`` and the whitened ``theta = (c, u)``.

    ``Z = (X - mean) / scale`` (``mean = 0`` without an intercept) has the singular values
    ``sv`` (all of them, descending) and right singular vectors ``V``; ``keep`` marks those
    above ``RANK_RTOL x sv[0]``. ``theta`` is measured from the anchor ``(b_a, w_a)`` (the
    start, then each refinement round's answer): ``w = w_a + dv / scale`` with
    ``dv = sqrt(n) V_k S_k^-1 u`` and ``b = b_a + c - (mean / scale) . dv``. The descent never
    moves the anchor's part in the null space (collinear columns): the answer nearest the
    start.
    """

    mean: Array
    scale: Array
    y0: float
    n: int
    intercept: bool
    sv: Array
    V: Array
    keep: Array
    kind: str  # "tsqr" (R from a pass over the rows: a QR) or "moments"
    b_a: float = 0.0
    w_a: Array | None = None
    active: bool = True  # read by the estimator's messages, like Standardizer.active

    @property
    def condition_number(self) -> float:
        """``sv_max / sv_min`` of the standardised design (``inf`` when columns are collinear)."""
        if self.sv.size == 0:
            return 1.0
        return float(self.sv[0] / self.sv[-1]) if self.sv[-1] > 0 else float("inf")

    @property
    def anchor_w(self) -> Array:
        return np.zeros(self.scale.shape[0]) if self.w_a is None else self.w_a

    def anchored(self, b: float, w: Array) -> Whitening:
        # evolve: the same fields but the anchor's (its cached T, sqrt(n) and mean / scale too:
        # V, sv, keep, n, mean and scale are the same); not the last point's user units, which
        # are measured from the old anchor
        new = evolve(self, b_a=float(b), w_a=np.asarray(w, dtype=np.float64).copy())
        new.__dict__.pop("_user", None)
        return new

    def _T(self) -> Array:
        return self._t

    @functools.cached_property
    def _t(self) -> Array:
        # dv = sqrt(n) T u, T = V_k diag(1 / s_k): once per whitening (a small fit asks ~30x)
        k = self.keep
        return self.V[:, k] / self.sv[k]

    @functools.cached_property
    def root_n(self) -> float:
        """``sqrt(n)`` (``math.sqrt``: the same bits as NumPy's, a few times a step)."""
        return math.sqrt(self.n)

    @functools.cached_property
    def _mean_over_scale(self) -> Array:
        return self.mean / self.scale

    def dv_of(self, theta: Array) -> Array:
        return self.root_n * (self._t @ theta[1:])

    def full(self, theta: Array) -> tuple[Array, float]:
        """``(v, c)`` of the whole model: ``y ~ c + (x - mean) / scale . v``."""
        w_a = self.anchor_w
        v = w_a * self.scale + self.dv_of(theta)
        c_a = self.b_a + float(self.mean @ w_a) if self.intercept else 0.0
        return v, c_a + (float(theta[0]) if self.intercept else 0.0)

    def to_user(self, theta: Array) -> tuple[float, Array]:
        """``(b, w)`` of ``theta``. The last point's are kept: a small fit asks for the same
        point up to four times (its path's end, the next round's anchor, the coefficients)."""
        key = theta.tobytes() if type(theta) is np.ndarray and theta.dtype == np.float64 \
            else None
        last = self.__dict__.get("_user")
        if key is not None and last is not None and last[0] == key:
            return last[1], last[2].copy()
        dv = self.dv_of(theta)
        w = self.anchor_w + dv / self.scale
        b = float(self.b_a + theta[0] - self._mean_over_scale @ dv) if self.intercept else 0.0
        if key is not None:
            self.__dict__["_user"] = (key, b, w.copy())
        return b, w

    def path_to_user(self, thetas: Array, first: int = 0) -> Array:
        """The rows ``first:`` of ``thetas`` in the user's ``[b, w]``."""
        out = np.empty((thetas.shape[0] - first, self.scale.shape[0] + 1))
        for i in range(out.shape[0]):
            b, w = self.to_user(thetas[first + i])
            out[i, 0], out[i, 1:] = b, w
        return out

    def to_internal(self, b: float, w: Array) -> Array:
        dw = np.asarray(w, dtype=np.float64) - self.anchor_w
        dv = dw * self.scale
        k = self.keep
        u = self.sv[k] * (self.V[:, k].T @ dv) / np.sqrt(self.n)
        c = float(b) - self.b_a + float(self.mean @ dw) if self.intercept else 0.0
        return np.concatenate([[c], u])

    def collinear(
        self, names: tuple[str, ...] | list[str], skip: Any = (), top: int = 4
    ) -> list[str]:
        """The columns that carry the weakest direction (the smallest singular value's).

        Columns in ``skip`` (constant ones, reported on their own) are passed over: the weakest
        direction that lives mostly on the other columns is named.
        """
        if self.sv.size == 0:
            return []
        others = np.ones(self.V.shape[0], bool)
        others[list(skip)] = False
        for k in range(self.V.shape[1] - 1, -1, -1):
            weight = np.abs(self.V[:, k]) * others
            if float(weight @ weight) >= 0.5:
                order = np.argsort(-weight)
                return [names[int(j)] for j in order[:top] if weight[j] >= 0.1]
        return []


def _rms_scale(values: Array) -> Array:
    return np.where(values > 0, values, 1.0)


def _factor(R_or_C: Array, *, from_gram: bool, n: int) -> tuple[Array, Array, Array, Array]:
    """``(U, sv, V, keep)`` from the triangular factor or from ``Z^T Z / n``."""
    if from_gram:
        lam, V = np.linalg.eigh(R_or_C)
        sv, V, keep = _descending(lam, V, n)
        return np.eye(R_or_C.shape[0]), sv, V, keep
    U, sv, Vt = np.linalg.svd(R_or_C)
    V = Vt.T
    if sv.size < V.shape[1]:  # fewer rows than columns: the rest are zero singular values
        sv = np.r_[sv, np.zeros(V.shape[1] - sv.size)]
    keep = sv > RANK_RTOL * sv[0] if sv.size and sv[0] > 0 else np.zeros(sv.shape, bool)
    return U, sv, V, keep


def _descending(lam: Array, Q: Array, n: int) -> tuple[Array, Array, Array]:
    """``(sv, V, keep)`` of ``Z`` from ``eigh(Z^T Z / n) = (lam, Q)`` (ascending): the singular
    values ``sqrt(n lam)`` and their vectors, largest first."""
    lam, V = lam[::-1], Q[:, ::-1]
    sv = np.sqrt(np.maximum(lam, 0.0) * n)
    keep = sv > RANK_RTOL * sv[0] if sv.size and sv[0] > 0 else np.zeros(sv.shape, bool)
    return sv, V, keep


def whiten_moments(
    stats: MomentStats,
    *,
    intercept: bool,
    alpha: float,
    rows: ResidualPasses | None = None,
) -> tuple[Whitening, WhitenedObjective]:
    """Whitening from the moments; ``rows`` (a pass over the data) makes the refinement steps."""
    n, d = int(stats.n), stats.d
    if intercept:
        mean, y0 = stats.mean_x.copy(), float(stats.mean_y)
        M, my, yy = stats.cxx, stats.cxy, float(stats.cyy)
    else:
        mean, y0 = np.zeros(d), 0.0
        M = stats.cxx + n * np.outer(stats.mean_x, stats.mean_x)
        my = stats.cxy + n * stats.mean_x * stats.mean_y
        yy = float(stats.cyy + n * stats.mean_y**2)
    scale = _rms_scale(np.sqrt(np.maximum(np.diag(M), 0.0) / n))
    penalty = float(alpha) / scale**2
    Czz = M / np.outer(scale, scale)
    lam, Q = np.linalg.eigh(Czz / n + np.diag(penalty))
    sv, V, keep = _descending(lam, Q, n)
    kind = "moments"
    start_gu = None
    if rows is not None and hasattr(rows, "r_factor") and sv[0] > 0 and sv[-1] * QR_ABOVE < sv[0]:
        # hard: the refinement contracts by ~kappa eps a pass with a QR factor, by ~kappa^2 eps
        # with the Gram's (Bjorck 1987); the engine computes R in one more pass
        R = rows.r_factor(mean, scale)
        q = getattr(rows, "qr_rhs", None)
        if alpha:
            Ra = _ridge_r(R, np.sqrt(n * penalty), q)
            R, q = Ra[:d, :d], (Ra[:d, d] if q is not None else None)
        U, sv, V, keep = _factor(R, from_gram=False, n=n)
        kind = "tsqr"
        if q is not None:
            # the first step's gradient as the QR's own: -(2 / sqrt(n)) U_k^T q
            start_gu = -(2.0 / np.sqrt(n)) * (U[:, keep].T @ q)
    white = Whitening(mean, scale, y0, n, intercept, sv, V, keep, kind)
    moments = (Czz, my / scale, yy)
    objective = WhitenedObjective(white, penalty, rows=rows, moments=moments)
    objective.start_gu = start_gu
    #: ``eigh`` of ``Z^T Z / n + diag(penalty)``: with an intercept the very matrix whose
    #: pseudo-inverse gives the optimal loss (:func:`~descend.models._solvers.loss_from_eigh`)
    objective.gram_eigh = (lam, Q)
    return white, objective


def _ridge_r(R: Array, root: Array, q: Array | None) -> Array:
    """``R`` (and ``q`` as a last column) of the ridge rows: the QR of ``[[R, q], [diag(root),
    0]]`` (``Z`` with ``sqrt(n alpha) / scale_j`` rows appended, ``y`` with zeros)."""
    d = R.shape[0]
    top = R if q is None else np.column_stack([R, q])
    bottom = np.zeros((d, top.shape[1]))
    bottom[:, :d] = np.diag(root)
    return np.asarray(np.linalg.qr(np.vstack([top, bottom]), mode="r"), dtype=np.float64)


class WhitenedObjective:
    """The squared loss (+ L2) as a function of the whitened ``theta = (c, u)``.

    Its Hessian is ``2 I`` (``curvature_bound`` 2): gradient descent with ``learning_rate
    = 1/2`` is Newton's method. The gradient comes from ``Z^T r``, ``r`` from the rows (in
    memory; streamed or on Dask ``rows`` is a :class:`ResidualPasses`); with only ``moments``
    it is computed from the moments (no refinement possible).
    """

    def __init__(
        self,
        white: Whitening,
        penalty: Array,
        *,
        rows: Any = None,
        moments: tuple[Array, Array, float] | None = None,
    ):
        self.white, self.penalty = white, penalty
        self.rows, self.moments = rows, moments
        self.passes = 0  # passes over the rows made so far
        #: at the rows' start (``w = 0``, a QR factor ``R = U S V^T`` and ``q = Q^T y``): the
        #: gradient in ``u`` as ``-(2 / sqrt(n)) U_k^T q``, so the first Newton step is the
        #: QR's least-squares answer (error ~kappa eps); formed as ``S^-1 V^T (R^T q)`` it
        #: would carry ~kappa^2 eps (the normal equations' error)
        self.start_gu: Array | None = None
        self.gram_eigh: tuple[Array, Array] | None = None

    @property
    def anchored_rows(self) -> bool:
        """Passes over the rows that measure residuals from the anchor exactly (``anchored``)."""
        return hasattr(self.rows, "anchored")

    def reanchor(self, b: float, w: Array) -> WhitenedObjective:
        """The same problem measured from ``(b, w)`` (the rows' next pass measures from there)."""
        new = WhitenedObjective(
            self.white.anchored(b, w), self.penalty, rows=self.rows, moments=self.moments
        )
        new.passes = self.passes
        new.gram_eigh = self.gram_eigh
        if not (w.any() if isinstance(w, np.ndarray) else np.any(w)):  # the QR's gradient
            # is the one at w = 0 (any b: Z^T 1 = 0)
            new.start_gu = self.start_gu
        return new

    @property
    def n(self) -> int:
        return int(self.white.keep.sum()) + 1

    def curvature_bound(self) -> float:
        return 2.0

    def value_and_grad(self, theta: Array) -> tuple[float, Array]:
        wh = self.white
        n = wh.n
        Tk = wh._t
        if self.anchored_rows:
            dv = wh.dv_of(theta)
            c = float(theta[0]) if wh.intercept else 0.0
            zr, sr, rr, _ = self.rows.anchored(wh.mean, wh.scale, wh.b_a, wh.anchor_w, dv, c)
            self.passes += 1
            v = wh.anchor_w * wh.scale + dv
            pv = self.penalty * v
            gv = -(2.0 / n) * zr + 2.0 * pv
            if self.start_gu is not None and not theta[1:].any():
                gu = self.start_gu.copy()  # v = 0 here: the QR's own gradient
            else:
                gu = wh.root_n * (Tk.T @ gv)
            f = rr / n + float(pv @ v)
        elif self.rows is not None:
            v, c_full = wh.full(theta)
            pv = self.penalty * v
            zr, sr, rr, _ = self.rows.residuals(wh.mean, wh.scale, wh.y0, v, c_full - wh.y0)
            self.passes += 1
            gv = -(2.0 / n) * zr + 2.0 * pv
            gu = np.sqrt(n) * (Tk.T @ gv)
            f = rr / n + float(pv @ v)
        else:
            assert self.moments is not None
            v, c_full = wh.full(theta)
            pv = self.penalty * v
            Czz, czy, yy = self.moments
            # centred moments: r = (y - y0) - (c - y0) - z.v, sum(z) = 0 with an intercept
            c = c_full - wh.y0
            quad = float(v @ Czz @ v) - 2.0 * float(v @ czy) + yy
            sr = -c * n if wh.intercept else 0.0
            f = max(quad, 0.0) / n + (c * c if wh.intercept else 0.0) + float(pv @ v)
            gv = (2.0 / n) * (Czz @ v - czy) + 2.0 * pv
            gu = np.sqrt(n) * (Tk.T @ gv)
        gc = -2.0 * sr / n if wh.intercept else 0.0
        grad = np.empty(gu.shape[0] + 1)  # [gc, gu] (np.concatenate: ~2 us more)
        grad[0] = gc
        grad[1:] = gu
        return f, grad
