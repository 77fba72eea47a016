"""Regression losses and their full-batch gradients, in the user's units: the loss registry.

The registry sits below every layer that names a loss (``data``, ``models``, ``plot``,
``report``; docs/CONTRACTS.md); :mod:`descend.models.losses` re-exports it for users.

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
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from descend import kernels
from descend.errors import InputError
from descend.kernels import FAST_MIN_ELEMENTS

Array = NDArray[np.float64]
LossAndGrad = Callable[[Array, Array, Array, float], tuple[float, Array, float]]

__all__ = [
    "FAST_MIN_ELEMENTS",
    "LOSSES",
    "LOSS_REGISTRY",
    "Loss",
    "get_loss",
    "absolute_error_loss_and_grad",
    "huber_loss_and_grad",
    "loss_and_grad",
    "squared_error_loss_and_grad",
]

@dataclass(frozen=True)
class Loss:
    """One regression loss: everything the rest of descend asks of it, in one place.

    ``h(r, epsilon)`` is the loss of one residual ``r = x.w + b - y`` (the fit minimises its
    mean); ``psi(r, epsilon) = dh/dr``. ``curvature`` is ``sup h''`` -- the constant that makes
    ``L = curvature x lambda_max(X^T X / n)`` the stability bound of gradient descent -- or
    ``None`` for a loss that is not smooth (the absolute error has no ``L``: a subgradient
    method needs a decaying step, :attr:`default_rate` ``'inverse_sqrt'``). ``label`` and
    ``short`` name it on plots and in reports; ``code`` is its number in the fused kernels
    (:mod:`descend.scale.kernels`).

    What the fit asks of a loss, so that nothing else tests its name:

    - ``moments_exact``: the moments ``(mean, Cxx, cxy, cyy)`` give the loss and gradient
      exactly (the squared loss): full-batch fits run from them alone, the optimum's loss is
      known (``optimal_loss_``), the preconditioned solver applies.
    - ``scaled_threshold``: ``epsilon`` is relative to a residual scale (``huber_scale``) the
      fit resolves first; the loss carries ``epsilon x scale`` in the target's units.
    - ``reports_best``: a run reports its best iterate, not its last (a subgradient method does
      not descend monotonically).
    """

    name: str
    label: str
    short: str
    h: Callable[[Array, float], Array]
    psi: Callable[[Array, float], Array]
    curvature: float | None
    code: int
    moments_exact: bool = False
    scaled_threshold: bool = False
    reports_best: bool = False

    @property
    def default_rate(self) -> str:
        """The rate ``learning_rate='auto'`` gives a non-adaptive optimizer: ``'1/L'`` for a
        smooth loss, ``'inverse_sqrt'`` (``eta0 / sqrt(k + 1)``) for one without a bound."""
        return "1/L" if self.smooth else "inverse_sqrt"

    @property
    def smooth(self) -> bool:
        """True when the gradient is Lipschitz (a curvature bound exists)."""
        return self.curvature is not None

    def value(self, r: Array, epsilon: float = 1.35) -> float:
        """The mean loss of residuals ``r``."""
        return float(np.mean(self.h(np.asarray(r, dtype=np.float64), epsilon)))


def _squared(r: Array, epsilon: float) -> Array:
    return r * r


def _squared_psi(r: Array, epsilon: float) -> Array:
    return 2.0 * r


def _huber(r: Array, epsilon: float) -> Array:
    a = np.abs(r)
    return np.where(a <= epsilon, r * r, epsilon * (2.0 * a - epsilon))


def _huber_psi(r: Array, epsilon: float) -> Array:
    return 2.0 * np.clip(r, -epsilon, epsilon)


def _absolute(r: Array, epsilon: float) -> Array:
    return np.abs(r)


def _absolute_psi(r: Array, epsilon: float) -> Array:
    return np.sign(r)


#: The losses by name, in the kernels' order. Adding one: a ``Loss`` here (and its ``psi``
#: in the kernels if large arrays should use them); nothing else is keyed on loss names.
LOSS_REGISTRY: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("squared_error", "mean squared error", "MSE", _squared, _squared_psi, 2.0, 0,
             moments_exact=True),
        Loss("huber", "mean Huber loss", "Huber", _huber, _huber_psi, 2.0, 1,
             scaled_threshold=True),
        Loss("absolute_error", "mean absolute error", "MAE", _absolute, _absolute_psi, None, 2,
             reports_best=True),
    )
}
LOSSES = tuple(LOSS_REGISTRY)


def get_loss(name: str) -> Loss:
    """The :class:`Loss` called ``name``; an unknown name is an :class:`InputError`.

    >>> get_loss("huber").label, get_loss("absolute_error").smooth
    ('mean Huber loss', False)
    """
    loss = LOSS_REGISTRY.get(name)
    if loss is None:
        raise InputError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return loss

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
    h, psi = _huber(r, epsilon), _huber_psi(r, epsilon)
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
    """``(mean h(r), X^T psi(r) / n, mean psi(r))`` for the loss called ``loss``
    (:data:`LOSS_REGISTRY`); large arrays use the fused kernel (same numbers to rounding)."""
    spec = get_loss(loss)
    if kernels.use_fast("full_pass", X):
        f, gw, gb = kernels.full_pass(X, y, w, b, loss, epsilon)
        return float(f), gw, float(gb)
    n = X.shape[0]
    r = _residual(X, y, w, b)
    psi = spec.psi(r, epsilon)
    return float(spec.h(r, epsilon).sum()) / n, (X.T @ psi) / n, float(psi.sum()) / n


def loss_value(loss: str, r: Array, *, epsilon: float = 1.35) -> float:
    """The loss of residuals ``r`` (used for reporting; no gradient)."""
    return get_loss(loss).value(r, epsilon)
