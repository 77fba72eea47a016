"""The curvature L of a function, and what it says about a learning rate.

For gradient descent on a function whose Hessian eigenvalues lie in ``(0, L]``, the step
``1/L`` is the classic safe choice and any step above ``2/L`` makes the iteration grow along
the top eigenvector (Nesterov, *Introductory Lectures on Convex Optimization*, 2004, §1.2.3).
Heavy-ball momentum and Nesterov's method move that limit (Polyak 1964; Sutskever et al. 2013);
adaptive methods (Adam, RMSprop, AdaGrad) rescale each coordinate, so no such limit is
predictable for them and none is claimed.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from descend.expr.objective import Array, Objective
from descend.optim.schedules import InverseSqrt

__all__ = ["Curvature", "auto_learning_rate", "estimate_curvature", "stability_limit"]


class Curvature(NamedTuple):
    """``L`` (largest Hessian eigenvalue, or ``nan``), where it came from, and whether it is global."""

    L: float
    source: str
    is_global: bool


def _power_iteration(fun: Objective, x: Array, *, iters: int = 50, rtol: float = 1e-6) -> float:
    """Largest-magnitude Hessian eigenvalue from central finite-difference Hessian-vector products.

    ``H v ~ (grad(x + h v) - grad(x - h v)) / 2h`` with ``h ~ sqrt(eps) * max(1, |x|)`` (a
    standard choice balancing truncation and rounding error, Nocedal & Wright §8.1).
    """
    n = x.shape[0]
    v = np.ones(n) / math.sqrt(n)
    h = 1e-6 * max(1.0, math.sqrt(float(x @ x)))
    lam = math.nan
    for _ in range(iters):
        hv = (fun.grad(x + h * v) - fun.grad(x - h * v)) / (2.0 * h)
        new = float(v @ hv)  # Rayleigh quotient
        norm = math.sqrt(float(hv @ hv))
        if not math.isfinite(norm) or norm == 0.0:
            return new if math.isfinite(new) else math.nan
        v = hv / norm
        if math.isfinite(lam) and abs(new - lam) <= rtol * abs(new):
            return new
        lam = new
    return lam


def estimate_curvature(fun: Objective, x: Array) -> Curvature:
    """The curvature L used by ``learning_rate="auto"`` and by the divergence diagnosis.

    In order of preference: ``fun.curvature_bound()`` (global, a quadratic knows it), the largest
    eigenvalue of ``fun.hessian(x)``, a power iteration on finite-difference Hessian-vector
    products at ``x``.

    >>> class Valley:  # f = x^2 + xy + y^2, Hessian [[2, 1], [1, 2]]
    ...     n = 2
    ...     def grad(self, x): return np.array([2 * x[0] + x[1], x[0] + 2 * x[1]])
    ...     def hessian(self, x): return np.array([[2.0, 1.0], [1.0, 2.0]])
    ...     def curvature_bound(self): return None
    >>> estimate_curvature(Valley(), np.array([3.0, 1.0]))
    Curvature(L=3.0, source='largest eigenvalue of the Hessian at the point', is_global=False)
    """
    bound = fun.curvature_bound()
    if bound is not None:
        return Curvature(float(bound), "curvature bound (constant Hessian)", True)
    hess = fun.hessian(x)
    if hess is not None:
        h = np.asarray(hess, dtype=np.float64)
        if h.size and np.all(np.isfinite(h)):
            lam = float(np.linalg.eigvalsh((h + h.T) / 2.0)[-1])
            return Curvature(lam, "largest eigenvalue of the Hessian at the point", False)
        return Curvature(math.nan, "Hessian at the point is not finite", False)
    lam = _power_iteration(fun, x)
    return Curvature(lam, "power iteration on finite-difference Hessian-vector products", False)


def stability_limit(name: str, hyperparams: Any, L: float) -> tuple[float, str] | None:
    """The largest stable learning rate for optimizer ``name`` when the curvature is ``L``.

    Returns ``(limit, formula)`` or ``None`` when no limit is predictable (adaptive methods,
    unknown optimizers, ``L`` not positive). The limits live with the optimizers
    (:meth:`descend.optim.base.Optimizer.stability_limit`); this looks one up by name.

    >>> stability_limit("gd", {}, 3.0)
    (0.6666666666666666, '2/L')
    >>> stability_limit("adam", {}, 3.0) is None
    True
    """
    from descend.optim.registry import OPTIMIZERS, optimizer_parameters

    if name not in OPTIMIZERS:
        return None
    accepted = optimizer_parameters(name)
    given = {k: v for k, v in dict(hyperparams or {}).items() if k in accepted}
    return OPTIMIZERS[name](**given).stability_limit(L)


def auto_learning_rate(L: float | None, *, adaptive: bool = False, spread: float | None = None,
                       step_offset: int = 0) -> float | InverseSqrt | None:
    """``learning_rate='auto'`` resolved: the one place that turns "auto" into a rate.

    - ``1/L`` when the curvature ``L`` is known, finite and positive: gradient descent's
      classic safe step (module docstring). ``minimize`` takes ``L`` from
      :func:`estimate_curvature` at the start, a fit from its data's moments.
    - A fit (``spread`` given: the target's spread in the fit's units) of an adaptive optimizer
      takes ``0.01 * spread`` instead: Adam's step is about its rate in every coordinate,
      whatever ``L`` (the parameters live in standardised units, so the spread sets the pace).
    - Without ``L`` (a loss that is not smooth) a fit takes the subgradient method's decaying
      ``0.1 * spread / sqrt(k + 1)`` (:class:`~descend.optim.schedules.InverseSqrt`; Shor
      1985), counted from ``step_offset``.
    - ``None`` when no rate follows (``minimize`` at a point where the function is concave or
      flat): the caller searches the step instead (Armijo).

    >>> auto_learning_rate(4.0), auto_learning_rate(-1.0)
    (0.25, None)
    >>> auto_learning_rate(4.0, adaptive=True, spread=3.0), auto_learning_rate(None, spread=2.0)
    (0.03, 0.2/sqrt(k+1))
    """
    smooth = L is not None and math.isfinite(L) and L > 0.0
    if smooth and not (adaptive and spread is not None):
        return 1.0 / L  # type: ignore[operator]
    if spread is None:
        return None
    if adaptive:
        return 0.01 * spread
    return InverseSqrt(0.1 * spread, step_offset)
