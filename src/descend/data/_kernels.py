"""The one seam from the data layer's passes to the fused single-pass kernels.

The passes over chunks (:mod:`descend.data.stream`) and Dask partitions
(:mod:`descend.data.dask_rows`) reduce each block with a fused kernel (numba, with a NumPy
fallback) that lives in :mod:`descend.scale.kernels`; they reach it only through these three
names, imported when first called (numba loads only when a pass runs). Redirect here if the
kernels move.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

__all__ = ["kernel_threads", "loss_and_grad_fast", "moment_stats_fast"]


def moment_stats_fast(X: Any, y: Any) -> Any:
    """:class:`~descend.data.stats.MomentStats` of ``(X, y)`` in one read of ``X``."""
    from descend.scale.kernels import moment_stats_fast as kernel

    return kernel(X, y)


def loss_and_grad_fast(
    X: Any, y: Any, w: Any, b: float, loss: str, epsilon: float
) -> tuple[float, Any, float]:
    """``(mean loss, dL/dw, dL/db)`` of ``(X, y)`` at ``(w, b)`` in one read of ``X``."""
    from descend.scale.kernels import loss_and_grad_fast as kernel

    return kernel(X, y, w, b, loss, epsilon)  # type: ignore[no-any-return]


def kernel_threads(n: int | None) -> AbstractContextManager[Any]:
    """A context in which the kernels use ``n`` threads (``None``: the default)."""
    from descend.scale.kernels import kernel_threads as threads

    return threads(n)
