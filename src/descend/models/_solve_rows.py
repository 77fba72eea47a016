"""The solvers that read the rows: the preconditioned descent with its refinement rounds, and
the passes of any loss (full batch or mini-batch epochs) -- see :mod:`descend.models._solvers`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.loop.result import History, OptimizeResult, Status, evolve
from descend.loop.stopping import Rules
from descend.models._descent import Epoch, run_descent
from descend.models._memory import EXACT_ELEMENTS, MemoryRows
from descend.models._problem import Standardizer, StatsObjective, curvature
from descend.models._solvers import (
    Solved,
    best_by_gradient,
    best_by_loss,
    choose_optimizer,
    descend,
    huber_scale,
    least_squares_loss,
    loss_from_eigh,
    verbose_callback,
)
from descend.models._whitened import WhitenedObjective
from descend.models.losses import get_loss, loss_and_grad
from descend.models.spec import FitSpec
from descend.optim.base import Optimizer
from descend.optim.registry import get_optimizer

Array = NDArray[np.float64]

__all__ = ["solve_passes", "solve_whitened"]

#: Refinement rounds after the preconditioned descent on a QR factor, rows in memory and small
#: (``n d <= EXACT_ELEMENTS``: see ``_refine``).
_ROUNDS = 3
EPS = float(np.finfo(np.float64).eps)
_SETTLED = 4 * EPS
_LR = 0.5  # 1/L: the Hessian in whitened coordinates is 2 I


@functools.lru_cache(maxsize=1)
def _gd() -> Optimizer:
    """Plain gradient descent at ``1/L``: built once (an optimizer is a pair of pure functions;
    ``get_optimizer`` reads its factory's signature, ~40 us, twice a fit)."""
    return get_optimizer("gd", learning_rate=_LR)


@dataclasses.dataclass
class _Path:
    """The refined run's pieces, one per round: user-unit iterates, losses, gradient norms."""

    user: list[Array]
    curve: list[Array]
    gnorms: list[Array]
    nit: int
    nfev: int


def solve_whitened(
    objective: WhitenedObjective, stats: MomentStats, spec: FitSpec, theta0: Array,
    callback: Callable[[Any], Any] | None, resume: Any,
) -> Solved:
    """Gradient descent in whitened coordinates (``L = mu = 2``, step ``1/L``) + refinement.

    The descent starts at the objective's anchor (``init``); where the rows can be read again
    (``anchored`` passes: in memory, a stream, Dask), refinement rounds follow, each
    re-anchored at the answer so far with the residual recomputed from the rows (compensated,
    to about twice the working precision): corrections then carry rounding of their own size
    only.
    """
    gd = _gd()
    # Refinement rounds follow: the first descent needs only its Newton step (a second would
    # refine on residuals measured from the start, which the rounds recompute from the
    # answer, better).
    start = 0 if resume is None else int(resume.nit)
    refinable = objective.anchored_rows
    capped = refinable and int(spec.max_iter) > start + 1
    result = descend(
        spec, objective.value_and_grad, theta0, gd, callback, resume,
        max_iter=start + 1 if capped else None, gradient_floor=True,
    )
    if capped and result.status is Status.MAX_ITER:
        result = evolve(result, status=Status.NO_PROGRESS)
    result = best_by_gradient(result)
    path = _Path([objective.white.path_to_user(result.history.x)], [result.history.fun],
                 [result.history.grad_norm], result.nit, result.nfev)
    objective, result, rounds = _refine(objective, result, path, spec, start, refinable, stats)
    history = History(
        x=np.vstack(path.user), fun=np.concatenate(path.curve),
        grad_norm=np.concatenate(path.gnorms), learning_rate=np.full(path.nit, _LR),
    )
    info = {
        **result.info,
        "passes": getattr(objective.rows, "passes", objective.passes),
        "factor": objective.white.kind,
        "refinement_rounds": rounds,
        "compensated": refinable,  # the anchored passes' residuals are compensated
    }
    result = evolve(
        result, optimizer="preconditioned", info=info, history=history, nit=path.nit,
        nfev=path.nfev, njev=path.nfev,
    )
    optimal = _optimal_loss(objective, stats, spec)
    normal = objective.white.kind == "moments" and objective.rows is None
    return Solved(result, objective.white, 2.0, _LR, normal_equations=normal, user_path=True,
                  optimal_loss=optimal)


def _optimal_loss(objective: WhitenedObjective, stats: MomentStats, spec: FitSpec) -> float:
    """The exact minimum of the loss from the moments (:func:`least_squares_loss`). With an
    intercept its matrix ``Cxx / (n s s^T) + diag(alpha / s^2)`` is the one the whitening
    decomposed, entry for entry (the same scale ``s``, the same operations): its ``eigh`` is
    reused, the same numbers without a second decomposition."""
    intercept = bool(spec.fit_intercept)
    if intercept and objective.gram_eigh is not None:
        lam, Q = objective.gram_eigh
        n = max(stats.n, 1)
        return loss_from_eigh(lam, Q, stats.cxy / objective.white.scale / n, stats.cyy / n)
    std = Standardizer.fit(stats, True, intercept)
    return least_squares_loss(std.stats(stats), float(spec.alpha) / std.scale**2, intercept)


def _refine(
    objective: WhitenedObjective, result: OptimizeResult, path: _Path, spec: FitSpec,
    start: int, refinable: bool, stats: MomentStats,
) -> tuple[WhitenedObjective, OptimizeResult, int]:
    """The refinement rounds: each re-anchors at the answer so far and descends again on the
    residuals recomputed from the rows, until the coefficients settle in their last bits."""
    gd = _gd()
    rounds = 0
    # a round over rows not in memory costs two passes: two rounds
    most = 2
    if isinstance(objective.rows, MemoryRows):
        # rows in memory (descend.models._memory): a step on double-double sums with the
        # moments' factor (kappa <= 1e5) contracts by ~kappa^2 eps: one round reaches the
        # floor (bench_grid: 14.9-17 digits); a QR factor's rounds contract by ~kappa eps
        # (~1e-7 at kappa 1e9): two (d = 100, correlated: 6.1 digits after one, 8.3 after
        # two), three where the residual is compensated (an exact degree-10 polynomial fit
        # reaches its last bits on the third)
        small = stats.n * max(stats.d, 1) <= EXACT_ELEMENTS
        most = 1 if objective.white.kind == "moments" else (_ROUNDS if small else 2)
    max_iter = int(spec.max_iter)
    while (
        refinable
        and result.status in (Status.NO_PROGRESS, Status.GTOL)
        and rounds < most
        and start + path.nit < max_iter  # the rounds' steps count in max_iter too
    ):
        rounds += 1
        b, w = objective.white.to_user(result.x)
        objective = objective.reanchor(b, w)
        again = run_descent(
            objective.value_and_grad,
            np.zeros_like(result.x),
            gd,
            # one classic refinement step, never past max_iter
            Rules(max_iter=min(1, max_iter - start - path.nit), tol=0.0,
                  n_iter_no_change=1, gtol=0.0, gradient_floor=True),
            callback=verbose_callback(spec, None, offset=start + path.nit),
        )
        if not _trust_step(objective):
            again = best_by_gradient(again)
        path.user.append(objective.white.path_to_user(again.history.x, first=1))
        path.curve.append(again.history.fun[1:])
        path.gnorms.append(again.history.grad_norm[1:])
        path.nit, path.nfev = path.nit + again.nit, path.nfev + again.nfev
        b_new, w_new = objective.white.to_user(again.x)
        # (b, w) stacked (np.concatenate: np.r_'s values at a tenth of its cost)
        change = np.abs(np.concatenate(([b_new - b], w_new - w)))
        size = np.abs(np.concatenate(([b], w)))
        gn_final = float(again.info.get("grad_norm", again.history.grad_norm[-1]))
        stopped = again.status in (Status.INTERRUPTED, Status.DIVERGED)
        result = evolve(
            again,
            status=again.status if stopped else result.status,
            elapsed=result.elapsed + again.elapsed,
            info={**result.info, "grad_norm": gn_final},
        )
        if stopped:
            break
        # every coefficient changed in its last bits only: the next round cannot help
        if (change <= _SETTLED * size).all() or again.nit == 0:
            break
        # the step measured the error it corrected; on sums to twice float64's precision (the
        # Dot2 pass) the next round's is about that times the factor's contraction: in the
        # last bits already, it would be a pass for nothing. Not for an exact fit (a loss at
        # eps of the start's): with r = 0 every round recovers bits that rounding the
        # coefficients lost (a degree-10 polynomial: 14.2 digits after two rounds, exact
        # after three)
        exact = float(again.fun) <= EPS * float(path.curve[0][0])
        if (getattr(objective.rows, "dot2", False) and not exact
                and (change * _contraction(objective) <= _SETTLED * size).all()):
            break
    return objective, result, rounds


def _contraction(objective: WhitenedObjective) -> float:
    """How much a refinement round shrinks the error: ``kappa eps`` with a QR factor (its
    relative error in the weakest direction), ``kappa^2 eps`` with the moments' (Bjorck 1987).
    Measured on bench_grid's hard cells (kappa 3e7-1.3e9): successive rounds' steps shrink by
    0.6-0.9 x ``kappa eps``."""
    kappa = objective.white.condition_number
    return float(kappa * EPS if objective.white.kind != "moments" else kappa**2 * EPS)


def _trust_step(objective: WhitenedObjective) -> bool:
    """Keep a refinement round's step even where its gradient is not the round's smallest: the
    rows' sums came from the Dot2 pass (twice float64's precision, :mod:`descend.kernels._dot2`)
    and the factor contracts the error (``kappa^2 eps`` for the moments', ``kappa eps`` for a
    QR's) by 1e-3 or better, so the step is iterative refinement's correction. At the rounding
    floor the whitened gradient measures the error in the strong directions only (``S V^T dv``),
    where rounding ``(b, w)`` to float64 sets it: the smallest one picked a point 6 digits short
    in the weak direction (bench_grid 1e4 x 20 correlated: 8.2 digits kept, 14.6 refined)."""
    if not getattr(objective.rows, "dot2", False):
        return False
    kappa = objective.white.condition_number
    power = 2.0 if objective.white.kind == "moments" else 1.0
    return bool(kappa**power * EPS <= 1e-3)


class _PassObjective:
    """Value and gradient in the optimizer's ``theta`` from passes over the rows (+ L2)."""

    def __init__(self, passes: Any, std: Standardizer, alpha: float, intercept: bool = True):
        self.passes, self.std, self.alpha, self.intercept = passes, std, alpha, intercept

    def _internal(self, f: float, gw: Array, gb: float, w: Array) -> tuple[float, Array]:
        if self.alpha:
            f += self.alpha * float(w @ w)
            gw = gw + 2.0 * self.alpha * w
        if not self.intercept:  # through the origin: b stays 0
            gb = 0.0
        return f, self.std.grad_to_internal(gb, gw)

    def value_and_grad(self, theta: Array) -> tuple[float, Array]:
        b, w = self.std.to_user(theta)
        f, gw, gb = self.passes.full(w, b)
        return self._internal(f, gw, gb, w)

    def grad_on(
        self, theta: Array, X: Array, y: Array, loss: str, epsilon: float,
        weights: Array | None = None,
    ) -> tuple[float, Array]:
        b, w = self.std.to_user(theta)
        if weights is None:
            f, gw, gb = loss_and_grad(loss, X, y, w, b, epsilon=epsilon)
        else:
            from descend.data.source import weighted_loss_and_grad

            f, gw, gb = weighted_loss_and_grad(loss, X, y, w, b, weights, epsilon=epsilon)
        return self._internal(f, gw, gb, w)


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    return np.random.default_rng(random_state)


def _epoch(
    passes: Any, data: Any, spec: FitSpec, bs: int, rng: np.random.Generator, eps: float
) -> Epoch:
    """One epoch of mini-batch steps: the step the driver runs for a mini-batch fit."""
    shuffle = bool(spec.shuffle)
    loss = str(spec.loss)

    def epoch(theta: Array, opt: Optimizer, state: object, k: int) -> tuple[Array, object]:
        for Xb, yb, *wb in passes.batches(rng, bs, shuffle):
            _, g = data.grad_on(theta, Xb, yb, loss, eps, *wb)
            updates, state = opt.update(g, state, theta)
            theta = theta + updates
        return theta, state

    return epoch


def _threshold(passes: Any, stats: MomentStats, spec: FitSpec) -> tuple[float, float | None]:
    """The loss's ``epsilon`` in the target's units, and the resolved residual scale."""
    if not get_loss(spec.loss).scaled_threshold:
        return float(spec.epsilon), None
    scale = huber_scale(stats, spec)
    eps = float(spec.epsilon) * scale
    if hasattr(passes, "epsilon"):
        passes.epsilon = eps  # the rows' passes apply the threshold in target units
    return eps, scale


def solve_passes(
    stats: MomentStats, passes: Any, spec: FitSpec, std: Standardizer, penalty: Array,
    theta0: Array, callback: Callable[[Any], Any] | None, resume: Any, *,
    one_epoch: bool = False, step_offset: int = 0,
) -> Solved:
    """Any loss, full batch or mini-batch, over rows that ``passes`` reads.

    ``stats`` (one pass) fixes the scaling and the curvature; every step (epoch) is then one
    full pass (mini-batch: one epoch of batches) through ``passes``, wherever the rows live.
    ``one_epoch`` (``partial_fit``): keep the epoch's end, not the best iterate;
    ``step_offset``: the steps taken before (a decaying schedule goes on counting).
    """
    loss = get_loss(spec.loss)
    intercept = bool(spec.fit_intercept)
    L = curvature(std.stats(stats), penalty, intercept) if loss.smooth else None
    eps, scale = _threshold(passes, stats, spec)
    data = _PassObjective(passes, std, float(spec.alpha), intercept)
    fun: Callable[[Array], tuple[float, Array]] = data.value_and_grad
    if loss.moments_exact:  # mini-batch squared loss: the curve costs O(d^2)
        fun = StatsObjective(std.stats(stats), penalty, intercept).value_and_grad
    epoch, rng, L_step = None, None, L
    n = int(stats.n)
    if spec.batch_size is not None and spec.batch_size < n:
        bs = int(spec.batch_size)
        if L is not None:
            # Expected smoothness of b-nice sampling (Gower et al. 2019, Prop. 3.8):
            # L(b) = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max, L_max the largest per-row L.
            L_max = 2.0 * float(
                1.0 + passes.max_row_norm2(std.mean, std.scale) + penalty.max(initial=0)
            )
            L_step = (n * (bs - 1) * L + (n - bs) * L_max) / (bs * (n - 1))
        rng = _rng(spec.random_state)
        epoch = _epoch(passes, data, spec, bs, rng, eps)
    optimizer, lr = choose_optimizer(spec, L_step, stats, std, step_offset)
    result = descend(spec, fun, theta0, optimizer, callback, resume, epoch=epoch, rng=rng)
    optimal = least_squares_loss(std.stats(stats), penalty, intercept) if loss.moments_exact \
        else None
    if loss.reports_best and not one_epoch:
        result = best_by_loss(result)
    return Solved(result, std, L_step, lr, L_full=L, optimizer=optimizer, optimal_loss=optimal,
                  huber_scale=scale, huber_threshold=eps if loss.scaled_threshold else None)
