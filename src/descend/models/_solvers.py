"""The solvers of a linear fit: each builds the step and the objective the one driver runs.

- :func:`solve_moments`: full-batch gradient descent (any optimizer) on the moments' exact
  quadratic (:class:`~descend.models._problem.StatsObjective`): O(d^2) a step.
- :func:`~descend.models._solve_rows.solve_whitened`: gradient descent in whitened coordinates (``L = mu = 2``, step
  ``1/L``) then iterative refinement on residuals recomputed from the rows.
- :func:`~descend.models._solve_rows.solve_passes`: any loss, full batch or mini-batch, over passes of the rows
  (:class:`~descend.models.linear.RowPasses`); a mini-batch step is one epoch built here.

Each returns a :class:`Solved`: the run's :class:`~descend.loop.result.OptimizeResult` in the
optimizer's coordinates and what the diagnosis needs to read it. The steps themselves run in
:func:`descend.models._descent.run_descent`, the estimator's adapter on
:func:`descend.loop.driver.drive`, under one set of stopping rules.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.errors import StabilityWarning
from descend.loop._curvature import auto_learning_rate
from descend.loop.result import OptimizeResult, Status, evolve
from descend.loop.stopping import Rules
from descend.models._descent import run_descent
from descend.models._diagnose import small_rate_message, stability_message
from descend.models._problem import Standardizer, StatsObjective
from descend.models.spec import FitSpec, solver_name
from descend.optim.base import Optimizer
from descend.optim.registry import get_optimizer
from descend.optim.schedules import InverseSqrt

Array = NDArray[np.float64]

__all__ = [
    "InverseSqrt",
    "Solved",
    "best_by_gradient",
    "best_by_loss",
    "choose_optimizer",
    "descend",
    "huber_scale",
    "least_squares_loss",
    "loss_from_eigh",
    "solve_moments",
    "verbose_callback",
]



@dataclasses.dataclass(frozen=True)
class Solved:
    """A solver's run and what reading it needs.

    ``std``: the map from the optimizer's coordinates to the user's (a
    :class:`~descend.models._problem.Standardizer` or a
    :class:`~descend.models._whitened.Whitening`); ``L``: the curvature the step was sized by
    (mini-batch: the expected smoothness), ``L_full`` the full loss's; ``lr``: the rate used;
    ``optimal_loss``: the exact minimum when the moments give it; ``user_path``: the history
    is already in the user's units; ``normal_equations``: the answer is the moments' alone.
    """

    result: OptimizeResult
    std: Any
    L: float | None
    lr: Any
    L_full: float | None = None
    normal_equations: bool = False
    user_path: bool = False
    optimizer: Optimizer | None = None
    optimal_loss: float | None = None
    huber_scale: float | None = None
    huber_threshold: float | None = None


def least_squares_loss(st: MomentStats, penalty: Array, intercept: bool = True) -> float:
    """The exact minimum of the (penalised) mean squared error, from the moments."""
    n = max(st.n, 1)
    if intercept:
        A = st.cxx / n + np.diag(penalty)
        c = st.cxy / n
        yy = st.cyy / n
    else:
        A = st.cxx / n + np.outer(st.mean_x, st.mean_x) + np.diag(penalty)
        c = st.cxy / n + st.mean_x * st.mean_y
        yy = st.cyy / n + st.mean_y**2
    lam, Q = np.linalg.eigh(A)
    return loss_from_eigh(lam, Q, c, yy)


def loss_from_eigh(lam: Array, Q: Array, c: Array, yy: float) -> float:
    """:func:`least_squares_loss` from the eigen-decomposition ``(lam, Q)`` (``numpy.linalg.eigh``'s,
    ascending) of its matrix ``A``, ``c`` and ``yy``: ``yy - c^T A^+ c``. The whitening of the
    moments decomposes the same ``A`` (:func:`~descend.models._whitened.whiten_moments`), so a
    preconditioned fit with an intercept reuses it: the same numbers, bit for bit."""
    keep = lam > lam[-1] * 1e-13 if lam.size and lam[-1] > 0 else np.zeros(lam.shape, bool)
    Qk = Q[:, keep]
    coef = Qk @ ((Qk.T @ c) / lam[keep])
    return max(yy - float(c @ coef), 0.0)


def huber_scale(stats: MomentStats, spec: FitSpec) -> float:
    """``huber_scale`` resolved: a number, or the least-squares RMS residual (``'auto'``)."""
    if not isinstance(spec.huber_scale, str):
        return float(spec.huber_scale)
    std = Standardizer.fit(stats, True, bool(spec.fit_intercept))
    mse = least_squares_loss(std.stats(stats), np.zeros(stats.d), bool(spec.fit_intercept))
    spread = float(np.sqrt(max(stats.cyy / max(stats.n, 1), 0.0)))
    rms = float(np.sqrt(mse))
    # An exact (or nearly exact) linear relation leaves no residual scale. A threshold
    # near 0 would make huber the absolute error (a tiny, capped gradient: the fit would
    # barely move from its start), while at the answer every residual is ~0 and any
    # threshold gives the same optimum: take the target's own spread.
    if rms <= 1e-6 * spread:
        return max(spread, 1e-300)
    return rms


def _spread(stats: MomentStats) -> float:
    """The target's spread (its RMS deviation, floored): the pace of a fit in standardised
    units, from which ``learning_rate='auto'`` sizes an adaptive or subgradient step."""
    size = float(np.sqrt(stats.cyy / max(stats.n, 1))) or 1.0
    return max(size, abs(stats.mean_y) * 1e-3, 1e-12)


def choose_optimizer(
    spec: FitSpec, L: float | None, stats: MomentStats, std: Standardizer, step_offset: int = 0
) -> tuple[Optimizer, Any]:
    """Resolve ``learning_rate`` (``'auto'`` -> a number from L) and build the optimizer."""
    opt = spec.optimizer
    name = solver_name(spec)
    lr: Any = spec.learning_rate
    if lr is None and isinstance(opt, Optimizer):
        lr = opt.learning_rate
    typed = not (lr == "auto" or lr is None)
    # what kind of optimizer this is comes from its own metadata, not from its name
    kind = opt if isinstance(opt, Optimizer) else get_optimizer(name)
    adaptive = kind.adaptive
    if not typed:
        lr = auto_learning_rate(L, adaptive=adaptive, spread=_spread(stats),
                                step_offset=step_offset)
    if isinstance(lr, numbers.Real):
        lr = float(lr)
        limit = kind.stability_limit(L) if L is not None else None
        if limit is not None and lr > limit[0]:
            warnings.warn(
                stability_message(lr, limit, scaled=std.active), StabilityWarning, stacklevel=5
            )
        elif L is not None and typed and not adaptive and lr * L < 1e-2:
            warnings.warn(
                small_rate_message(lr, L, scaled=std.active), StabilityWarning, stacklevel=5
            )
    if isinstance(opt, Optimizer):
        return opt.with_learning_rate(lr), lr
    return get_optimizer(name, learning_rate=lr), lr


def verbose_callback(
    spec: FitSpec, callback: Callable[[Any], Any] | None, offset: int = 0
) -> Callable[[Any], Any] | None:
    """``callback`` preceded by one printed line per step when ``verbose > 0``."""
    if not spec.verbose:
        return callback
    owner = spec.owner

    def report(res: Any) -> Any:
        # scikit-learn's convention: verbose output goes to stdout, the one place the
        # library prints
        print(
            f"{owner}: step {int(res.nit) + offset}  loss {float(res.fun):.10g}  "
            f"|grad| {float(res.grad_norm):.3e}",
            flush=True,
        )
        return callback(res) if callback is not None else None

    return report


def descend(
    spec: FitSpec,
    fun: Callable[[Array], tuple[float, Array]],
    theta0: Array,
    optimizer: Optimizer,
    callback: Callable[[Any], Any] | None,
    resume: Any,
    max_iter: int | None = None,
    gradient_floor: bool = False,
    **more: Any,
) -> OptimizeResult:
    """One run of the driver under ``spec``'s stopping rules (resumed from ``resume``)."""
    gtol = spec.gtol
    if gradient_floor and gtol is None:
        gtol = 0.0  # an exact fit: a zero gradient ends the refinement
    rules = Rules(
        max_iter=int(spec.max_iter) if max_iter is None else max_iter,
        tol=float(spec.tol),
        n_iter_no_change=int(spec.n_iter_no_change),
        gtol=gtol,
        target_loss=spec.target_loss,
        time_limit=spec.time_limit,
        gradient_floor=gradient_floor,
    )
    return run_descent(
        fun,
        theta0,
        optimizer,
        rules,
        state=None if resume is None else resume.state,
        start_iter=0 if resume is None else int(resume.nit),
        callback=verbose_callback(spec, callback),
        **more,
    )


def solve_moments(
    stats: MomentStats, spec: FitSpec, std: Standardizer, penalty: Array, theta0: Array,
    callback: Callable[[Any], Any] | None, resume: Any,
) -> Solved:
    """Squared loss, full batch, any optimizer: steps on the moments' exact quadratic."""
    objective = StatsObjective(std.stats(stats), penalty, bool(spec.fit_intercept))
    L = objective.curvature_bound()
    optimizer, lr = choose_optimizer(spec, L, stats, std)
    result = descend(spec, objective.value_and_grad, theta0, optimizer, callback, resume)
    optimal = least_squares_loss(std.stats(stats), penalty, bool(spec.fit_intercept))
    return Solved(result, std, L, lr, normal_equations=True, optimizer=optimizer,
                  optimal_loss=optimal)


def best_by_gradient(result: OptimizeResult) -> OptimizeResult:
    """The iterate with the smallest gradient (refinement that stopped helping is undone)."""
    h = result.history
    best = int(np.argmin(h.grad_norm))
    if result.status is Status.DIVERGED or best == len(h.grad_norm) - 1:
        return result
    info = {**result.info, "best_iteration": best, "grad_norm": float(h.grad_norm[best])}
    return evolve(result, x=h.x[best].copy(), fun=float(h.fun[best]), info=info)


def best_by_loss(result: OptimizeResult) -> OptimizeResult:
    """The iterate with the smallest loss (a subgradient method does not descend
    monotonically: its best iterate is reported)."""
    if result.status is Status.DIVERGED:
        return result
    h = result.history
    best = int(np.argmin(h.fun))
    return evolve(
        result, x=h.x[best].copy(), fun=float(h.fun[best]), message=result.message,
        info={**result.info, "best_iteration": best})

