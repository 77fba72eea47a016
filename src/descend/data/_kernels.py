"""The one seam from the data layer's passes to the fused single-pass kernels.

The passes over chunks (:mod:`descend.data.stream`) and Dask partitions
(:mod:`descend.data.dask_rows`) reduce each block through the kernels' facade,
:mod:`descend.kernels`: NumPy until a fused kernel's signature is compiled (in the background,
for the next run; issue 27), the compiled kernel after. They reach it only through these three
names, imported when first called.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

__all__ = ["kernel_threads", "loss_and_grad_fast", "moment_stats_fast"]


def moment_stats_fast(X: Any, y: Any) -> Any:
    """:class:`~descend.data.stats.MomentStats` of ``(X, y)`` in one read of ``X``."""
    from descend.kernels import moments

    return moments(X, y)


def loss_and_grad_fast(
    X: Any, y: Any, w: Any, b: float, loss: str, epsilon: float
) -> tuple[float, Any, float]:
    """``(mean loss, dL/dw, dL/db)`` of ``(X, y)`` at ``(w, b)`` in one read of ``X``."""
    from descend.kernels import full_pass

    return full_pass(X, y, w, b, loss, epsilon)


def kernel_threads(n: int | None) -> AbstractContextManager[Any]:
    """A context in which the kernels use ``n`` threads (``None``: the default)."""
    from descend.kernels import kernel_threads as threads

    return threads(n)  # type: ignore[no-any-return]
