"""Power-of-two column scaling for the engines that fit from moments (stream, Dask).

The moments ``Cxx = sum (x - mx)(x - mx)^T`` of a feature around ``1e-160`` are around
``1e-318``: subnormal floats, which keep ``log10(|c| / 5e-324)`` significant digits (about 5
here), so a fit from them keeps about as many (``1.0000001806e160`` for ``y = 1e160 x``,
where the in-memory engine, which standardises its rows before squaring them, finds ``1e160``).

Multiplying a column by ``s = 2^k`` is exact in binary floating point (the exponent moves, the
significand does not) as long as nothing under- or overflows. So such a column is read as
``x' = s x`` (every pass: the moments, the residual passes, the rows), the fit is made on
``x'``, and its answer is mapped back: ``w_j = s_j w'_j`` (``x' w' = x w``), the intercept,
the loss and every standardised quantity unchanged. The scales come from the file's first
moments (one more pass, only for such a file); every other column keeps ``s = 1`` and an
ordinary file is read exactly as before -- nothing is multiplied at all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats

Array = NDArray[np.float64]

__all__ = ["small_feature_scales", "unscale_model", "unscale_stats"]

#: below it a square is subnormal or zero (sqrt of the smallest normal float64, 1.5e-154)
_SMALL = float(np.sqrt(np.finfo(np.float64).tiny))


def small_feature_scales(stats: MomentStats) -> Array | None:
    """Powers of two that bring each feature whose squares are subnormal (its size
    ``max(|mean|, std)`` below 1.5e-154) to a size in ``[1, 2)``; ``None`` when no feature
    needs it (every scale would be 1) or the moments are not finite.

    >>> import numpy as np
    >>> from descend.data.stats import moment_stats
    >>> X = np.array([[1e-160, 3.0], [2e-160, 4.0], [4e-160, 6.0]])
    >>> s = small_feature_scales(moment_stats(X, X[:, 1]))
    >>> [float(np.log2(v)) for v in s]
    [531.0, 0.0]
    >>> small_feature_scales(moment_stats(X[:, 1:], X[:, 1])) is None
    True
    """
    n = max(int(stats.n), 1)
    with np.errstate(all="ignore"):
        mean = np.abs(np.asarray(stats.mean_x, dtype=np.float64))
        std = np.sqrt(np.maximum(np.diag(np.asarray(stats.cxx, dtype=np.float64)) / n, 0.0))
        size = np.maximum(mean, std)
    if not np.isfinite(size).all():
        return None
    small = (size > 0.0) & (size < _SMALL)
    if not small.any():
        return None
    k = np.where(small, -np.floor(np.log2(np.where(small, size, 1.0))), 0.0)
    return np.ldexp(1.0, k.astype(int))


def unscale_stats(stats: MomentStats, scale: Array) -> MomentStats:
    """The moments of ``x = x' / s`` from those of ``x'`` (exact but for subnormal results)."""
    s = np.asarray(scale, dtype=np.float64)
    return replace(
        stats, mean_x=stats.mean_x / s, cxx=stats.cxx / s[:, None] / s[None, :], cxy=stats.cxy / s
    )


def unscale_model(model: Any, scale: Array, stats: MomentStats) -> Any:
    """Map a linear model fitted on ``x' = s x`` back to ``x``: ``coef_ = s coef'``, the
    coefficient path and the result's ``x`` likewise, the gradient ``dL/dw = dL/dw' / s``;
    ``moments_`` become ``stats`` (the moments of the unscaled rows). The intercept, the loss
    and the verdict are the same for both. Returns ``model``."""
    s = np.asarray(scale, dtype=np.float64)
    model.coef_ = np.asarray(model.coef_, dtype=np.float64) * s
    model.moments_ = stats
    history = getattr(model, "history_", None)
    if history is not None and np.ndim(history) == 2 and np.shape(history)[1] == s.size + 1:
        model.history_ = np.asarray(history, dtype=np.float64) * np.r_[1.0, s]
    result = getattr(model, "result_", None)
    if result is not None and np.size(result.x) == s.size + 1:
        both = np.r_[1.0, s]
        jac = result.jac
        if jac is not None and np.size(jac) == s.size + 1:
            jac = np.asarray(jac, dtype=np.float64) / both
        model.result_ = replace(result, x=np.asarray(result.x, dtype=np.float64) * both, jac=jac)
    return model
