"""How many digits of a fit to trust: the condition number and the error it amplifies.

For least squares with the standardised design ``Z`` (condition number ``kappa``), residual
``r`` and fitted values ``Z v``, a relative perturbation ``delta_X`` of the features and
``delta_y`` of the target move the coefficients by about (Wedin 1973; Higham, *Accuracy and
Stability of Numerical Algorithms*, 2nd ed., Thm 20.1)

    |dv| / |v|  <~  kappa delta_X (2 + kappa tan(theta)) + kappa delta_y / cos(theta),
    tan(theta) = |r| / |Z v|.

Storing the data as float64 is a perturbation ``delta ~ eps max|x_j| / scale_j``: a column
``1e6 + small`` loses six digits to its offset before any arithmetic. To that the fit adds the
distance still left to the optimum, ``|H^-1 grad|`` (from the final gradient, in the metric the
descent used), and -- for a fit from the moments alone, which solves the normal equations --
``kappa^2 eps``. That bounds the error of the standardised coefficients ``v`` as a whole; a
coefficient with a small ``|v_j|`` has the relative error ``total |v| / |v_j|``, so
``trusted_digits = floor(-log10(max_j total |v| / |v_j|))``, between 0 and 15: the digits of
every coefficient the arithmetic can vouch for. (The intercept's error is about
``total |v| |mean / scale|`` in the target's units.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats

Array = NDArray[np.float64]

__all__ = ["collinear_message", "data_rounding", "trusted_digits"]

EPS = float(np.finfo(np.float64).eps)


def data_rounding(stats: MomentStats, scale: Array, intercept: bool) -> tuple[float, float]:
    """``(delta_X, delta_y)``: float64's relative rounding of the data, against its spread.

    A value's rounding is ``eps |x|``; ``|x|`` is taken as ``4 x`` the root mean square
    ``sqrt(mean^2 + var)`` (a typical largest value), and compared with the column's scale.
    """
    n = max(stats.n, 1)
    var = np.maximum(np.diag(stats.cxx) / n, 0.0)
    size = np.sqrt(stats.mean_x**2 + var)
    dx = float(np.max(4.0 * EPS * size / scale)) if size.size else 0.0
    vy = max(stats.cyy / n, 0.0)
    spread = np.sqrt(vy) if intercept else np.sqrt(vy + stats.mean_y**2)
    ysize = np.sqrt(stats.mean_y**2 + vy)
    dy = float(4.0 * EPS * ysize / spread) if spread > 0 else 4.0 * EPS
    return dx, dy


def trusted_digits(
    *,
    kappa: float,
    delta_x: float,
    delta_y: float,
    residual_ratio: float,
    distance_left: float,
    normal_equations: bool = False,
    v: Array | None = None,
) -> tuple[int, float]:
    """``(digits, relative error bound)`` of the coefficients (see the module docstring).

    ``residual_ratio`` is ``tan(theta) = |r| / |Z v|``; ``distance_left`` the relative distance
    to the optimum still left by the descent; ``normal_equations`` adds ``kappa^2 eps`` (a fit
    from the moments that no pass over the rows refined); ``v`` (the standardised
    coefficients) turns the norm-wise bound into one for the smallest nonzero coefficient.
    """
    if not np.isfinite(kappa):
        return 0, float("inf")
    tan = residual_ratio if np.isfinite(residual_ratio) else 1e300
    err = kappa * delta_x * (2.0 + kappa * tan) + kappa * delta_y * np.sqrt(1.0 + tan * tan)
    err += max(distance_left, 0.0)
    if normal_equations:
        err += kappa * kappa * EPS
    err = max(err, EPS)
    if v is not None:
        mags = np.abs(np.asarray(v, dtype=np.float64))
        nonzero = mags[mags > 0]
        if nonzero.size:
            err *= float(np.linalg.norm(mags) / nonzero.min())
    digits = int(np.clip(np.floor(-np.log10(err)), 0, 15)) if np.isfinite(err) else 0
    return digits, float(err)


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
