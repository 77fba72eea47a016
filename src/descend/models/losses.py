"""The regression losses, as ``descend.models.losses`` has always offered them.

The registry itself lives in :mod:`descend.losses` (below ``data``, ``plot`` and ``report``,
which name losses too); this module re-exports it for users and adds
:func:`fast_moment_stats`, the moments a fit starts from.
"""

from __future__ import annotations

from typing import Any

from descend import kernels
from descend.losses import (
    FAST_MIN_ELEMENTS,
    LOSS_REGISTRY,
    LOSSES,
    Loss,
    LossAndGrad,
    absolute_error_loss_and_grad,
    get_loss,
    huber_loss_and_grad,
    loss_and_grad,
    loss_value,
    squared_error_loss_and_grad,
)

__all__ = [
    "FAST_MIN_ELEMENTS",
    "LOSSES",
    "LOSS_REGISTRY",
    "Loss",
    "LossAndGrad",
    "get_loss",
    "fast_moment_stats",
    "absolute_error_loss_and_grad",
    "huber_loss_and_grad",
    "loss_and_grad",
    "loss_value",
    "squared_error_loss_and_grad",
]


#: From this many elements a process that has loaded numba takes the compiled moments on one
#: thread (:func:`descend.kernels.small_moments`); below it, or without numba, NumPy's.
LOADED_MIN_ELEMENTS = 1 << 15


def fast_moment_stats(X: Any, y: Any) -> Any:
    """:func:`descend.data.stats.moment_stats`, through the fused kernel: on one thread from
    :data:`LOADED_MIN_ELEMENTS` where numba is loaded and up to
    :data:`descend.kernels.ONE_THREAD_STATS_ELEMENTS`, on its threads for larger arrays."""
    if getattr(X, "size", 0) >= LOADED_MIN_ELEMENTS:
        st = kernels.small_moments(X, y)
        if st is not None:
            return st
    if kernels.use_fast("moments", X):
        return kernels.moments(X, y)
    from descend.data.stats import moment_stats

    return moment_stats(X, y)
