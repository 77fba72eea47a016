"""How many digits of a fit to trust: the condition number and the error it amplifies.

A coefficient is wrong by the rounding of the data it was computed from, amplified by the
problem's conditioning, plus whatever distance the descent has not yet covered. With ``Z`` the
standardised design (columns ``(x_k - mean_k) / scale_k``), ``G = (Z^T Z)^-1`` (from the
whitening's singular values: ``V diag(1 / s^2) V^T``), ``v`` the standardised coefficients and
``r`` the residuals, first-order perturbation theory for least squares (Golub & Van Loan,
*Matrix Computations*, 4th ed., sec. 5.3.7) gives

    dv = G Z^T (dy - dZ v) + G dZ^T r.

Storing each value in float64 rounds it by a relative ``u = eps/2``, independently, with variance
``u^2/3``: ``x_ik`` by ``u |x_ik|`` -- a column ``1e6 + small`` loses six digits to its offset --
and ``y_i`` by ``u |y_i|``. Averaged over the rows that makes (per coefficient ``j``)

    var_1 = (u^2/3) (E[y^2] + sum_k E[x_k^2] w_k^2) G_jj,
    var_2 = (u^2/3) n mse sum_k G_jk^2 E[x_k^2] / scale_k^2     (the kappa^2 tan(theta) term),

from the moments alone. To three standard deviations of that the estimate adds the Newton step
``|(H^-1 g)_j|`` still left (from the final gradient, in the metric of the descent) and, for a fit
from the moments that no pass over the rows refined (the normal equations),
``eps |G_j| s_max^2 |v|``. ``trusted_digits = floor(-log10(max_j err_j / |v_j|))`` over the
nonzero coefficients, between 0 and 15: an estimate, not a bound (the worst-case bound,
``kappa delta (2 + kappa tan(theta))``, Wedin 1973, is usually orders of magnitude larger).
The intercept's error is about ``|mean / scale . dv|`` in the target's units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats

Array = NDArray[np.float64]

__all__ = ["collinear_message", "trusted_digits"]

EPS = float(np.finfo(np.float64).eps)
U = EPS / 2.0


def trusted_digits(
    *,
    stats: MomentStats,
    intercept: bool,
    scale: Array,
    sv: Array,
    V: Array,
    w: Array,
    mse: float,
    newton_step: Array,
    normal_equations: bool = False,
) -> tuple[int, float]:
    """``(digits, largest relative error)`` of the coefficients (see the module docstring).

    ``scale``, ``sv``, ``V``: the standardised design's column scales, singular values and
    right singular vectors; ``w`` the coefficients (user units); ``mse`` the mean squared
    residual; ``newton_step`` the step ``H^-1 g`` still left, in the standardised ``v``.
    """
    if sv.size == 0 or not (sv > 0).all() or not np.isfinite(w).all():
        return 0, float("inf")
    n = max(int(stats.n), 1)
    ex2 = np.maximum(stats.cxx.diagonal() / n, 0.0) + stats.mean_x**2
    ey2 = max(stats.cyy / n, 0.0) + stats.mean_y**2
    G = (V / sv**2) @ V.T
    g_diag = G.diagonal()
    v = w * scale
    s_e2 = (U * U / 3.0) * (ey2 + float(ex2 @ (w * w)))
    var1 = s_e2 * g_diag
    var2 = (U * U / 3.0) * n * max(mse, 0.0) * ((G * G) @ (ex2 / scale**2))
    # the solver's own rounding: a backward error of a few u in the centred, scaled design
    var3 = (U * U) * 4.0 * (float(v @ v) * sv[0] ** 2 / n + max(mse, 0.0)) * g_diag
    err = 3.0 * np.sqrt(var1 + var2 + var3) + np.abs(newton_step)
    if normal_equations:
        err += EPS * np.linalg.norm(G, axis=1) * sv[0] ** 2 * float(np.linalg.norm(v))
    mags = np.abs(v)
    live = mags > 0
    if not live.any():
        return 15, 0.0
    rel = float((err[live] / mags[live]).max())
    rel = max(rel, EPS)
    # floor(-log10 rel) clipped to 0..15 (plain Python on one number: np.clip costs ~5 us)
    digits = min(max(math.floor(-np.log10(rel)), 0), 15) if math.isfinite(rel) else 0
    return digits, rel


def collinear_message(
    names: Sequence[str], kappa: float, digits: int, *, penalised: bool
) -> str:
    """Which columns are (nearly) collinear, what that costs, and what to do about it."""
    cols = ", ".join(repr(c) for c in names) if names else "some columns"
    head = (
        f"columns {cols} are collinear (the standardised design is singular): the "
        "least-squares coefficients are not unique; the fit returns the answer nearest the start"
        if not np.isfinite(kappa)
        else f"columns {cols} are nearly collinear (condition number {kappa:.3g} of the "
        f"standardised design): about {digits} significant digits of the coefficients can be "
        "trusted"
    )
    fix = "; drop or combine one of them"
    fix += ", or raise the ridge penalty (alpha, --alpha)" if penalised else (
        ", or add a small ridge penalty (alpha, --alpha)"
    )
    return head + fix
