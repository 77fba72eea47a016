"""Regression losses and their full-batch gradients, in the user's units.

Each ``*_loss_and_grad(X, y, w, b)`` returns ``(loss, grad_w, grad_b)`` for the prediction
``X w + b``, as one pass over the rows. They are the seam where fused kernels plug in
(``descend.scale``): same signature, same numbers.

With the residual ``r = X w + b - y``:

- ``squared_error``: ``mean(r**2)``; gradient ``(2/n) X^T r`` and ``2 mean(r)`` -- the
  tutorials' mean squared error and its partial derivatives.
- ``huber``: ``mean(h(r))`` with ``h(r) = r**2`` for ``|r| <= epsilon`` and
  ``epsilon (2|r| - epsilon)`` beyond: the squared error near zero, linear in the tails, with
  a continuous derivative ``2 clip(r, -epsilon, epsilon)``. (This is Huber (1964)'s loss times
  two, so that huber with a large ``epsilon`` *is* the squared error.) ``epsilon`` is in the
  target's units.
- ``absolute_error``: ``mean(|r|)``; the subgradient ``X^T sign(r) / n`` (0 at ``r = 0``).

>>> import numpy as np
>>> X = np.array([[1.0], [2.0]]); y = np.array([3.0, 5.0])
>>> squared_error_loss_and_grad(X, y, np.array([2.0]), 0.0)
(1.0, array([-3.]), -2.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend import _backends
from descend._backends import FAST_MIN_ELEMENTS, use_fast_kernels

Array = NDArray[np.float64]
LossAndGrad = Callable[[Array, Array, Array, float], tuple[float, Array, float]]

__all__ = [
    "FAST_MIN_ELEMENTS",
    "LOSSES",
    "fast_moment_stats",
    "absolute_error_loss_and_grad",
    "huber_loss_and_grad",
    "loss_and_grad",
    "squared_error_loss_and_grad",
    "use_fast_kernels",
]

LOSSES = ("squared_error", "huber", "absolute_error")

def fast_moment_stats(X: Array, y: Array) -> Any:
    """:func:`descend.data.stats.moment_stats`, through the fused kernel for large arrays."""
    fast = _backends.fast("moment_stats", X)
    if fast is not None:
        return fast(X, y)
    from descend.data.stats import moment_stats

    return moment_stats(X, y)


def _residual(X: Array, y: Array, w: Array, b: float) -> Array:
    return X @ w + (b - y)


def squared_error_loss_and_grad(
    X: Array, y: Array, w: Array, b: float
) -> tuple[float, Array, float]:
    """``mean(r**2)``, ``(2/n) X^T r``, ``2 mean(r)``."""
    n = X.shape[0]
    r = _residual(X, y, w, b)
    return float(r @ r) / n, (2.0 / n) * (X.T @ r), 2.0 * float(r.sum()) / n


def huber_loss_and_grad(
    X: Array, y: Array, w: Array, b: float, epsilon: float = 1.35
) -> tuple[float, Array, float]:
    """``mean(h(r))`` with ``h`` quadratic inside ``[-epsilon, epsilon]``, linear outside."""
    n = X.shape[0]
    r = _residual(X, y, w, b)
    a = np.abs(r)
    inside = a <= epsilon
    h = np.where(inside, r * r, epsilon * (2.0 * a - epsilon))
    psi = 2.0 * np.clip(r, -epsilon, epsilon)
    return float(h.sum()) / n, (X.T @ psi) / n, float(psi.sum()) / n


def absolute_error_loss_and_grad(
    X: Array, y: Array, w: Array, b: float
) -> tuple[float, Array, float]:
    """``mean(|r|)`` and its subgradient ``(X^T sign(r) / n, mean(sign(r)))``."""
    n = X.shape[0]
    r = _residual(X, y, w, b)
    s = np.sign(r)
    return float(np.abs(r).sum()) / n, (X.T @ s) / n, float(s.sum()) / n


def loss_and_grad(
    loss: str, X: Array, y: Array, w: Array, b: float, *, epsilon: float = 1.35
) -> tuple[float, Array, float]:
    """Dispatch on the loss name (one of :data:`LOSSES`); large arrays use the fused kernel."""
    if loss in LOSSES:
        fast = _backends.fast("loss_and_grad", X)
        if fast is not None:
            f, gw, gb = fast(X, y, w, b, loss, epsilon)
            return float(f), gw, float(gb)
    if loss == "squared_error":
        return squared_error_loss_and_grad(X, y, w, b)
    if loss == "huber":
        return huber_loss_and_grad(X, y, w, b, epsilon)
    if loss == "absolute_error":
        return absolute_error_loss_and_grad(X, y, w, b)
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def loss_value(loss: str, r: Array, *, epsilon: float = 1.35) -> float:
    """The loss of residuals ``r`` (used for reporting; no gradient)."""
    if loss == "squared_error":
        return float(r @ r) / r.shape[0]
    if loss == "huber":
        a = np.abs(r)
        return float(np.where(a <= epsilon, r * r, epsilon * (2.0 * a - epsilon)).mean())
    return float(np.abs(r).mean())
