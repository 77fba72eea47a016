"""What makes data unfit to fit, decided once from column moments -- for every engine.

The in-memory engine computes each column's mean and variance from the array; the stream and
Dask engines read them off their :class:`~descend.data.stats.MomentStats`. Either way
:func:`check_columns` gives the same verdict and the same sentence:

- a column whose squares overflow float64 (values near 1e308: the mean square is infinite)
  is a data problem, named as such -- not a learning rate that "diverged";
- a column whose squares underflow (subnormal values such as 1e-310) cannot be standardised;
- a constant target (its spread below float64's resolution of its mean) has nothing to fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import DataError

__all__ = ["check_columns", "check_stats", "checked_stats", "column_moments"]

_TINY = float(np.finfo(np.float64).tiny)  # 2.2e-308, the smallest normal float64
_EPS = float(np.finfo(np.float64).eps)
_SMALL = float(np.sqrt(_TINY))  # 1.5e-154: below it a square is subnormal or zero


def column_moments(A: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and population variance of each column (inf where they overflow)."""
    with np.errstate(all="ignore"):
        mean = A.mean(axis=0)
        var = A.var(axis=0)
    return np.atleast_1d(mean), np.atleast_1d(var)


def check_columns(
    source: str,
    names: Sequence[str],
    mean: Sequence[float] | NDArray[np.float64],
    var: Sequence[float] | NDArray[np.float64],
) -> None:
    """Refuse data whose columns ``names`` (features, then the target last) cannot be fitted.

    The values are finite (checked where they are read), so a mean square that is not finite
    -- inf, or nan from inf - inf -- can only be float64 overflowing.

    ``mean`` and ``var`` are each column's mean and population variance. Raises
    :class:`~descend.errors.DataError` naming the first bad column and the fix.
    """
    m = np.asarray(mean, dtype=np.float64)
    v = np.asarray(var, dtype=np.float64)
    with np.errstate(all="ignore"):
        ms = v + m * m  # the mean square: what every loss and curvature is built from
    for j, name in enumerate(names):
        if not np.isfinite(ms[j]):
            raise DataError(
                f"{source}: column {name!r} holds values too large for float64 arithmetic "
                "(their squares overflow past 1.8e308); this is a problem of the data, not of "
                "the learning rate: rescale the column (divide it by a power of ten) and fit again"
            )
    scale = np.maximum(np.abs(m), np.sqrt(np.maximum(v, 0.0)))
    # Only the target: a tiny feature is standardised away (the estimator warns of it as a
    # constant feature), but a tiny target leaves nothing to measure the loss with.
    for j, name in [(len(names) - 1, names[-1])]:
        if 0.0 < scale[j] < _SMALL:
            raise DataError(
                f"{source}: column {name!r} holds values too small for float64 arithmetic "
                f"(around {scale[j]:.3g}: their squares underflow below 2.2e-308); "
                "rescale the column (multiply it by a power of ten) and fit again"
            )
    t = len(names) - 1
    if v[t] <= (16 * _EPS * m[t]) ** 2:
        raise DataError(
            f"{source}: the target {names[t]!r} is constant (every value is {m[t]:.6g}); "
            "there is nothing to fit; choose another column with --target"
        )


def check_stats(stats: MomentStats, source: str, feature_names: Sequence[str], target: str) -> None:
    """:func:`check_columns` from a :class:`~descend.data.stats.MomentStats`."""
    n = max(int(stats.n), 1)
    with np.errstate(all="ignore"):
        mean = [*np.asarray(stats.mean_x, dtype=np.float64), float(stats.mean_y)]
        var = [
            *(np.diag(np.asarray(stats.cxx, dtype=np.float64)) / n),
            float(stats.cyy) / n,
        ]
    check_columns(source, [*feature_names, target], mean, var)
    _warn_subnormal_moments(source, feature_names, mean[:-1], var[:-1])


def _warn_subnormal_moments(
    source: str, names: Sequence[str], mean: Sequence[float], var: Sequence[float]
) -> None:
    """Warn of a feature so small that its squares are subnormal floats (|x| < 1.5e-154).

    The stream and Dask engines fit from the moments sum(x x^T); a subnormal square keeps
    fewer than 52 significant bits (1e-320 keeps about 10), so the coefficients lose digits
    (x ~ 1e-160, y = 1e160 x: 1.0000002e160, where the in-memory engine, which standardises
    the rows before squaring them, finds 1e160). The in-memory engine needs no warning.
    """
    import warnings

    for name, m, v in zip(names, mean, var, strict=True):
        scale = max(abs(float(m)), float(np.sqrt(max(float(v), 0.0))))
        if 0.0 < scale < _SMALL:
            digits = max(int(np.log10(max(scale * scale, 5e-324) / 5e-324)), 0)
            warnings.warn(
                f"{source}: feature {name!r} holds values so small (around {scale:.3g}) that "
                f"their squares are subnormal floats: the moments this engine fits from keep "
                f"about {digits} significant digits, and so may the coefficients; rescale the "
                "column (multiply it by a power of ten) or use engine='numpy'",
                RuntimeWarning, stacklevel=3,
            )


def checked_stats(
    stats: MomentStats,
    source: str,
    features: Sequence[str] = (),
    target: str = "y",
    *,
    explain: Callable[[], None] | None = None,
) -> MomentStats:
    """``stats`` if a fit can use them: the checks the in-memory loader makes, from the moments
    (same verdicts, same words), for the stream and Dask engines.

    Non-finite moments mean a NaN or inf among the rows, or cross-products overflowing
    float64: ``explain()`` names a file's first bad cell (and raises); without it the rows are
    refused as holding NaN or inf.
    """
    parts = (stats.mean_x, stats.mean_y, stats.cxx, stats.cxy, stats.cyy)
    finite = all(np.isfinite(p).all() for p in parts)
    if not finite and explain is not None:
        explain()
    if stats.n < 2:
        raise DataError(
            f"{source}: has only {stats.n} data row; fitting needs at least 2 "
            "(a line through one point is not determined)"
        )
    if not finite and explain is None:
        raise DataError(
            f"{source} holds NaN or infinite values (or its cross-products overflow "
            "float64); remove or replace them first"
        )
    check_stats(stats, source, list(features), target)
    if not finite:
        raise DataError(
            f"{source}: its cross-products overflow float64; rescale the columns (divide "
            "them by a power of ten) and fit again"
        )
    return stats
