"""A fit's verdict (:class:`~descend.loop.verdict.Verdict`) from the facts descend holds.

For the squared loss descend knows the exact curvature ``L`` and the optimum's loss, so a fit
is *converged* only when both

- the gradient is small against the problem's scale: ``|g| / sqrt(2 L var(y)) <= GRAD_RTOL``
  (for a quadratic ``|g|^2 / (2 L) <= f - f*``, so this is a relative distance that any
  coordinates agree on), and
- the optimality gap is small: ``(f - f*) / var(y) <= max(GAP_RTOL, 100 eps kappa_H)`` (the
  second term is the rounding floor of ``f*`` computed from the moments).

Other losses are judged on the gradient alone; a subgradient method (absolute error) cannot
show convergence that way and ends *stalled* or *budget_spent*. A plain-step optimizer whose
rate is at or above ``2/L`` and that did not converge is *oscillating* (a rate of exactly
``2/L`` makes gradient descent bounce between two points forever).
"""

from __future__ import annotations

from descend.loop.result import Status
from descend.loop.verdict import Verdict

__all__ = ["GAP_RTOL", "GRAD_RTOL", "fit_verdict"]

GRAD_RTOL = 1e-8
GAP_RTOL = 1e-10
EPS = 2.220446049250313e-16

#: Optimizers whose step is ``-learning_rate x gradient`` (the ones 2/L governs).
PLAIN_STEP = ("gd",)


def fit_verdict(
    *,
    status: Status,
    rel_grad: float | None,
    rel_gap: float | None,
    kappa_h: float,
    optimizer: str,
    learning_rate: object,
    limit: float | None,
    smooth: bool,
    gtol_met: bool,
) -> Verdict:
    """The verdict of a finished fit (see the module docstring)."""
    if status is Status.DIVERGED:
        return Verdict.DIVERGED
    if status in (Status.CALLBACK, Status.INTERRUPTED):
        return Verdict.STOPPED
    gap_ok = rel_gap is None or rel_gap <= max(GAP_RTOL, 100.0 * EPS * kappa_h)
    grad_ok = smooth and rel_grad is not None and rel_grad <= GRAD_RTOL
    if (grad_ok or (gtol_met and smooth)) and gap_ok:
        return Verdict.CONVERGED
    if (
        optimizer in PLAIN_STEP
        and isinstance(learning_rate, float)
        and limit is not None
        and learning_rate >= limit * (1.0 - 1e-9)
    ):
        return Verdict.OSCILLATING
    if status in (Status.MAX_ITER, Status.TIME_LIMIT):
        return Verdict.BUDGET_SPENT
    if status is Status.TARGET_LOSS:
        return Verdict.STOPPED
    return Verdict.STALLED
