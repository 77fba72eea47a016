"""A fit's verdict (:class:`~descend.loop.verdict.Verdict`) from the facts descend holds.

For the squared loss descend knows the exact curvature ``L`` and the optimum's loss, so a fit
is *converged* only when both

- the gradient is small against the problem's scale: ``|g| / sqrt(2 L var(y)) <= GRAD_RTOL``
  (for a quadratic ``|g|^2 / (2 L) <= f - f*``, so this is a relative distance that any
  coordinates agree on), and
- the optimality gap is small: ``(f - f*) / var(y) <= max(GAP_RTOL, 100 eps kappa_H)`` (the
  second term is the rounding floor of ``f*`` computed from the moments).

Other losses are judged on the gradient alone; a subgradient method (absolute error) cannot
show convergence that way and ends *stalled* or *budget_spent*. An optimizer whose
rate is at or above its own stability limit (``2/L`` for gradient descent, ``2(1 + momentum)/L``
for the heavy ball) and that did not converge is *oscillating* (a rate of exactly ``2/L`` makes
gradient descent bounce between two points forever).

:func:`fit_message` turns the verdict into the sentence the estimator stores (``message_``) and
the warning the fit raises with it: what happened, how far the coefficients still are, and
what to change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.data.stats import MomentStats
from descend.errors import ConvergenceWarning
from descend.loop.result import OptimizeResult, Status
from descend.loop.verdict import Verdict
from descend.models._diagnose import DivergenceWarning, divergence_message
from descend.models.losses import get_loss

__all__ = ["GAP_RTOL", "GRAD_RTOL", "fit_message", "fit_verdict"]

GRAD_RTOL = 1e-8
GAP_RTOL = 1e-10
EPS = 2.220446049250313e-16

def fit_verdict(
    *,
    status: Status,
    rel_grad: float | None,
    rel_gap: float | None,
    kappa_h: float,
    learning_rate: object,
    limit: float | None,
    smooth: bool,
    gtol_met: bool,
) -> Verdict:
    """The verdict of a finished fit (see the module docstring).

    ``limit`` is the optimizer's own stability limit at the problem's curvature
    (:meth:`descend.optim.Optimizer.stability_limit`: ``2/L`` for gradient descent,
    ``2(1 + momentum)/L`` for the heavy ball), ``None`` where none is predictable.
    """
    if status is Status.DIVERGED:
        return Verdict.DIVERGED
    if status in (Status.CALLBACK, Status.INTERRUPTED):
        return Verdict.STOPPED
    gap_ok = rel_gap is None or rel_gap <= max(GAP_RTOL, 100.0 * EPS * kappa_h)
    grad_ok = smooth and rel_grad is not None and rel_grad <= GRAD_RTOL
    if (grad_ok or (gtol_met and smooth)) and gap_ok:
        return Verdict.CONVERGED
    if (
        isinstance(learning_rate, float)
        and limit is not None
        and learning_rate >= limit * (1.0 - 1e-9)
    ):
        return Verdict.OSCILLATING
    if status in (Status.MAX_ITER, Status.TIME_LIMIT):
        return Verdict.BUDGET_SPENT
    if status is Status.TARGET_LOSS:
        return Verdict.TARGET_REACHED
    return Verdict.STALLED


#: How a message names an optimizer (its registry name otherwise).
_NAMES = {"gd": "gradient descent", "momentum": "gradient descent with momentum"}


def _limit(fit: Any) -> tuple[float, str] | None:
    """The fitted run's stability limit and its formula: its optimizer's own
    (``fit.optimizer_limit``), else gradient descent's 2/L for reference."""
    own = fit.optimizer_limit
    if own is not None:
        return (float(own[0]), str(own[1]))
    L2 = fit.stability_limit
    return None if L2 is None else (float(L2), "2/L")


def fit_message(
    fit: Any,
    spec: Any,
    result: OptimizeResult,
    *,
    scaled: bool,
    stats: MomentStats,
    dist: float,
    steps: Callable[[], float],
    decayed_schedule: bool,
) -> tuple[str, type[Warning] | None]:
    """The sentence for humans about a finished fit: the verdict, why, and what to change,
    and the warning it calls for.

    The warning is ``ConvergenceWarning`` (``DivergenceWarning`` for a diverged or oscillating
    run), ``None`` when the fit converged or the caller stopped it. ``fit`` is the
    :class:`~descend.models.fit.LinearFit` so far (its verdict included), ``spec`` its
    :class:`~descend.models.spec.FitSpec`, ``dist`` the relative distance left, ``steps()``
    plain GD's step estimate.
    """
    v = fit.verdict
    lr = fit.learning_rate
    gap = (
        f", {fit.optimality_gap:.3g} above the least-squares optimum"
        if fit.optimality_gap is not None and get_loss(spec.loss).moments_exact
        else ""
    )
    left = (
        f"; the coefficients are about {dist:.2g} (relative) from the answer"
        if np.isfinite(dist) and dist > 0
        else ""
    )
    hint = _hint(fit, spec, steps)
    if result.status is Status.DIVERGED:
        return _diverged(fit, result, stats, scaled), DivergenceWarning
    if v is Verdict.CONVERGED:
        how = (
            f"in {fit.n_iter} preconditioned steps (whitened coordinates, condition "
            "number 1; the last on residuals recomputed from the rows)"
            if fit.optimizer == "preconditioned"
            else f"after {fit.n_iter} iterations"
        )
        rg = fit.relative_gradient
        return (
            f"converged {how}: gradient {rg:.2g} of the problem's scale{gap}; "
            f"about {fit.trusted_digits} significant digits to trust (condition number "
            f"{fit.condition_number:.3g})"
        ), None
    if v is Verdict.OSCILLATING:
        bound, formula = _limit(fit) or (math.nan, "2/L")
        message = (
            f"oscillating: learning_rate={lr:g} is at the stability limit {formula} = "
            f"{bound:.6g} of {_NAMES.get(fit.optimizer, fit.optimizer)} on the "
            f"{fit.learning_rate_coordinates} coordinates, so the iterates bounce "
            f"between two points and never settle (loss {fit.loss:.10g}{gap}). Use "
            f"learning_rate='auto' (--lr auto) or a rate below {formula}"
        )
        return message, DivergenceWarning
    if result.status is Status.MAX_ITER:
        message = (
            f"stopped at max_iter={spec.max_iter} before converging (loss {fit.loss:.10g}"
            f"{gap}){left}; raise max_iter, use learning_rate='auto'"
            + ("" if scaled else ", or standardise the features (scale=True)")
            + hint
        )
        return message, ConvergenceWarning
    if result.status is Status.TIME_LIMIT:
        message = (
            f"stopped at time_limit={spec.time_limit:g} s after {fit.n_iter} iterations "
            f"before converging (loss {fit.loss:.10g}){left}; raise time_limit or "
            "max_iter" + hint
        )
        return message, ConvergenceWarning
    if result.status is Status.INTERRUPTED:
        return f"interrupted after {fit.n_iter} iterations (loss {fit.loss:.10g})", None
    if result.status is Status.CALLBACK:
        return f"the callback stopped the run after {fit.n_iter} iterations", None
    if result.status is Status.TARGET_LOSS:
        return f"reached target_loss={spec.target_loss:g} (not shown converged){left}", None
    return _stalled(fit, spec, result, gap, left, hint, decayed_schedule), ConvergenceWarning


def _hint(fit: Any, spec: Any, steps: Callable[[], float]) -> str:
    """For plain gradient descent on the squared loss that did not converge: the steps it
    would need, and the solver that needs a few."""
    plain = fit.optimizer == "gd" and get_loss(spec.loss).moments_exact
    if not plain or fit.verdict is Verdict.CONVERGED:
        return ""
    n_steps = steps()
    if not (np.isfinite(n_steps) and n_steps >= 1e3):
        return ""
    return (
        f"; plain gradient descent at 1/L needs about {n_steps:.2g} steps here (condition "
        "number of the Hessian x ln(1/accuracy)): the default optimizer='auto' "
        "(preconditioned, --optimizer auto, no --lr) gets the least-squares answer "
        "in a few steps"
    )


def _diverged(fit: Any, result: OptimizeResult, stats: MomentStats, scaled: bool) -> str:
    """The sentence of a diverged run: where it blew up and the stable rates."""
    lr = fit.learning_rate
    rms = np.sqrt(np.diag(stats.cxx) / max(stats.n, 1) + stats.mean_x**2)
    # a step whose loss is not finite is not committed (descend.loop.driver): it is the
    # step after n_iter_; a finite one above the ceiling is, and n_iter_ counts it
    blown = result.info.get("diverged_loss")
    committed = blown is not None and bool(np.isfinite(blown))
    message = divergence_message(
        iteration=fit.n_iter + (not committed),
        learning_rate=lr if isinstance(lr, float) else repr(lr),
        limit=_limit(fit),
        optimizer=result.optimizer,
        names=fit.feature_names,
        rms=rms,
        scaled=scaled,
    )
    message += (
        f"; the coefficients are those of iteration {fit.n_iter}, where the loss "
        f"({blown:.3g}) passed the divergence ceiling" if committed
        else f"; the coefficients are the last finite ones (iteration {fit.n_iter})"
    )
    return message


def _stalled(fit: Any, spec: Any, result: OptimizeResult, gap: str, left: str, hint: str,
             decayed_schedule: bool) -> str:
    """The sentence of a run that stopped moving without a small gradient."""
    # stalled: the loss (or, preconditioned, the gradient) stopped moving, gradient not small
    rg = fit.relative_gradient
    why = (
        "the refinement stopped improving the gradient"
        if fit.optimizer == "preconditioned"
        else f"the loss stayed flat (its range over the last n_iter_no_change = "
        f"{spec.n_iter_no_change} steps <= tol = {spec.tol:g} relative)"
        if result.status is Status.NO_PROGRESS
        else f"stopped by {result.status}"
    )
    if decayed_schedule:
        fix = (
            "; the learning-rate schedule decayed before the optimum (its steps add up to "
            "too little): use learning_rate='auto' (1/L) or a slower decay"
        )
    else:
        fix = "; lower tol, raise n_iter_no_change or raise max_iter"
    message = (
        f"stalled (not converged): {why} but the gradient is "
        + (f"{rg:.2g} of the problem's scale" if rg is not None else "not shown small")
        + f"{gap}{left}{fix}"
        + hint
    )
    return message
