"""What a finished run may claim: one vocabulary of verdicts for every path.

``status`` (:class:`~descend.loop.result.Status`) says which stopping rule fired -- the
mechanics, as in scipy. The *verdict* says what the facts descend holds show about where the
run ended, and it is the only thing that may say "converged":

- ``converged``: shown -- the gradient is small relative to the problem's scale and, where
  descend knows more, the more holds too (an expression's exact Hessian at the end is positive
  semidefinite; a squared loss's optimality gap is small).
- ``not_a_minimum``: a stationary point whose Hessian has a negative eigenvalue (a saddle or a
  maximum); the result carries a direction of descent out of it.
- ``oscillating``: the step is at or above the stability limit ``2/L`` and the iterates bounce
  without settling.
- ``diverged``: the loss grew without bound or became non-finite.
- ``unbounded_below``: the loss fell without bound: there is no minimum to find.
- ``stalled``: the loss stopped moving but the gradient is not small (a schedule decayed to
  nothing, the line search found no lower point, a plateau).
- ``budget_spent``: ``max_iter`` or ``time_limit`` ran out before convergence was shown.
- ``stopped``: the caller stopped the run (a callback's ``StopIteration``, an interrupt); no
  claim is made.

``success`` is true for ``converged`` only.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FAILED", "Verdict"]


class Verdict(StrEnum):
    """The claim a run makes about where it ended (see the module docstring)."""

    CONVERGED = "converged"
    NOT_A_MINIMUM = "not_a_minimum"
    OSCILLATING = "oscillating"
    DIVERGED = "diverged"
    UNBOUNDED_BELOW = "unbounded_below"
    STALLED = "stalled"
    BUDGET_SPENT = "budget_spent"
    STOPPED = "stopped"

    @property
    def success(self) -> bool:
        return self is Verdict.CONVERGED


#: Verdicts that make the CLI exit with status 3 (the run failed, not merely unfinished).
FAILED = frozenset({Verdict.DIVERGED, Verdict.OSCILLATING, Verdict.UNBOUNDED_BELOW})
