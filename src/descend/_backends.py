"""The seam between the models' full passes and fused kernels (the lowest layer; NumPy only).

``descend.models`` asks :func:`fast` for a kernel before each full pass over an array; the
package root registers ``descend.scale``'s fused numba kernels here (:func:`use_fast_kernels`)
without importing them, so neither numba nor the kernels load until an array large enough to
gain from them arrives. Registered kernels must give the NumPy functions' numbers to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["FAST_MIN_ELEMENTS", "fast", "use_fast_kernels"]

#: Arrays with at least this many elements go to the registered kernels; below it NumPy is as
#: fast and a kernel's first call (compilation, thread start-up) would cost more than it saves.
FAST_MIN_ELEMENTS = 1 << 18
#: The statistics kernel takes longer to compile (~7 s on 2 cores, once per machine: numba's
#: disk cache keeps it) than NumPy's blocked BLAS products take below this size, so smaller
#: arrays go to NumPy; the first large huber fit then compiles only its gradient kernel.
FAST_MIN_ELEMENTS_BY_KERNEL = {"moment_stats": 1 << 25}

_FAST: dict[str, Callable[..., Any] | None] = {
    "loss_and_grad": None,
    "moment_stats": None,
    "predict": None,
}


def use_fast_kernels(
    *,
    loss_and_grad: Callable[..., Any] | None = None,
    moment_stats: Callable[..., Any] | None = None,
    predict: Callable[..., Any] | None = None,
) -> None:
    """Register ``loss_and_grad(X, y, w, b, loss, epsilon) -> (L, dL/dw, dL/db)``,
    ``moment_stats(X, y) -> MomentStats`` and ``predict(X, w, b) -> X w + b`` for large
    arrays; ``None`` keeps a slot as it is."""
    if loss_and_grad is not None:
        _FAST["loss_and_grad"] = loss_and_grad
    if moment_stats is not None:
        _FAST["moment_stats"] = moment_stats
    if predict is not None:
        _FAST["predict"] = predict


def fast(name: str, X: Any) -> Callable[..., Any] | None:
    """The registered kernel ``name`` if ``X`` is an ndarray large enough for it, else None."""
    import numpy as np  # here, not at the top: `import descend` (the root wires this seam)
    # must not load NumPy for `descend --help`

    fn = _FAST[name]
    least = FAST_MIN_ELEMENTS_BY_KERNEL.get(name, FAST_MIN_ELEMENTS)
    if fn is None or not isinstance(X, np.ndarray) or X.size < least:
        return None
    return fn
