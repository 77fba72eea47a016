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
- ``target_reached``: the loss fell to the ``target_loss`` the caller asked for; no claim
  about a minimum.
- ``stopped``: the caller stopped the run (a callback's ``StopIteration``, an interrupt); no
  claim is made.

``success`` is true for ``converged`` only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FAILED",
    "GROWTH",
    "Judgement",
    "Verdict",
    "ceiling",
    "floor",
    "judge_point",
    "oscillation",
    "precision_gradient",
]

Array = NDArray[np.float64]

EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)


class Verdict(StrEnum):
    """The claim a run makes about where it ended (see the module docstring)."""

    CONVERGED = "converged"
    NOT_A_MINIMUM = "not_a_minimum"
    OSCILLATING = "oscillating"
    DIVERGED = "diverged"
    UNBOUNDED_BELOW = "unbounded_below"
    STALLED = "stalled"
    BUDGET_SPENT = "budget_spent"
    TARGET_REACHED = "target_reached"
    STOPPED = "stopped"

    @property
    def success(self) -> bool:
        return self is Verdict.CONVERGED


#: Verdicts that make the CLI exit with status 3 (the run failed, not merely unfinished).
FAILED = frozenset({Verdict.DIVERGED, Verdict.OSCILLATING, Verdict.UNBOUNDED_BELOW})


# ---- the blow-up rules, one for every descent ------------------------------------------------

#: A loss this many times ``max(|f0|, 1)`` above the start is a divergence, not a transient:
#: momentum and Adam overshoot ``f0`` by small factors, a step above ``2/L`` multiplies the
#: error by ``|1 - lr L|`` every step (the tutorial's raw-units fit, ``lr L = 680``, crosses it
#: at its third step). ``minimize``, the fits, the sweeps and the batched runs all use it.
GROWTH = 1e12
#: A loss this many times ``max(|f0|, 1)`` *below* the start: the function is unbounded below.
FALL = 1e12


def ceiling(f0: float) -> float:
    """The loss above which a run started at loss ``f0`` has diverged.

    >>> ceiling(2.0)
    2000000000002.0
    """
    return f0 + GROWTH * max(abs(f0), 1.0)


def floor(f0: float) -> float:
    """The loss below which a run started at loss ``f0`` is falling without bound."""
    return f0 - FALL * max(abs(f0), 1.0)


# ---- judging a run on an objective (an expression or a callable) -----------------------------

#: Relative size, against the Hessian's largest |eigenvalue|, below which an eigenvalue counts
#: as zero (rounding of a computed Hessian), not as negative curvature.
EIG_RTOL = 1e-8


@dataclass(frozen=True)
class Judgement:
    """A verdict and the facts behind it.

    ``sentence`` says it in words (with what to change when the run did not converge);
    ``facts`` holds the numbers (``min_eigenvalue``, ``descent_direction``, ``precision_limit``
    ...), JSON-ready.
    """

    verdict: Verdict
    sentence: str
    facts: dict[str, Any] = field(default_factory=dict)


def _fmt_point(x: Any) -> str:
    values = [f"{float(v):.6g}" for v in np.asarray(x).ravel()]
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


def precision_gradient(f: float, L: float) -> float:
    r"""The smallest gradient norm a descent can resolve at loss ``f`` with curvature ``L``.

    A step ``1/L`` along ``-g`` lowers ``f`` by ``|g|^2 / (2L)``; below about ``100 eps |f|``
    that decrease is lost in the rounding of ``f`` itself, so no method that watches ``f`` can
    make progress once ``|g| <= sqrt(200 eps |f| L)``.
    """
    if not (math.isfinite(L) and L > 0.0 and math.isfinite(f)):
        return 0.0
    return math.sqrt(200.0 * EPS * max(abs(f), _TINY) * L)


def oscillation(xs: Any, window: int = 40) -> float | None:
    """How strongly the last ``window`` steps bounce back and forth, or ``None``.

    Returns the mean cosine between consecutive steps ``x_{k+1} - x_k`` (near ``-1`` for a run
    that jumps across a valley and back) when the steps are not shrinking (the last one at
    least half the first of the window); ``None`` when the history is too short or the steps
    shrink (a converging zig-zag is not an oscillation).
    """
    X = np.asarray(xs, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 8:
        return None
    X = X[-(window + 1) :]
    steps = np.diff(X, axis=0)
    norms = np.linalg.norm(steps, axis=1)
    if not np.all(norms > 0.0) or norms[-1] < 0.5 * norms[0]:
        return None
    cos = np.einsum("ij,ij->i", steps[1:], steps[:-1]) / (norms[1:] * norms[:-1])
    return float(cos.mean())


def judge_point(
    fun: Any,
    x: Any,
    f: float,
    g: Any,
    *,
    gtol: float,
    stopped_by: str,
    history_x: Any = None,
    learning_rate: float = math.nan,
    stability: Callable[[float], tuple[float, str] | None] | None = None,
    diverged: str | None = None,
    line_search: bool = False,
) -> Judgement:
    """The verdict on a run of ``fun`` that ended at ``x`` (value ``f``, gradient ``g``).

    Args:
        fun: the :class:`~descend.expr.Objective` (its ``hessian`` and ``value`` are used).
        x, f, g: where the run ended.
        gtol: the gradient tolerance: ``|g| <= gtol`` is "small".
        stopped_by: the stopping rule that fired (a ``Status`` value).
        history_x: the iterates, for the oscillation test.
        learning_rate: the constant step used, or ``nan`` (schedules, line search).
        stability: maps a curvature ``L`` to the optimizer's stability limit
            ``(bound, formula)``, or ``None`` when the optimizer has none.
        diverged: ``None``, ``"diverged"`` or ``"unbounded_below"`` when the loop saw it.
        line_search: the steps came from a line search (a stall then says why it found no
            lower point, instead of advising one).

    Returns:
        A :class:`Judgement`. The rules, in order: a divergence the loop saw; the caller
        stopped the run; a small gradient (``|g| <= gtol``, or at the precision limit of ``f``
        after a flat loss) is *converged* when the Hessian at ``x`` is positive semidefinite
        and no step along a zero-curvature direction lowers ``f``, else *not a minimum*; a
        bouncing run with the step at or above its stability limit is *oscillating*; what is
        left is *stalled* (the loss stopped moving) or *budget spent*.
    """
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    gn = float(np.linalg.norm(g))
    facts: dict[str, Any] = {"grad_norm": gn}
    if diverged == Verdict.UNBOUNDED_BELOW:
        return Judgement(Verdict.UNBOUNDED_BELOW, "the loss fell without bound: no minimum", facts)
    if diverged is not None:
        return Judgement(Verdict.DIVERGED, "the loss grew without bound", facts)
    if stopped_by in ("callback", "interrupted"):
        return Judgement(
            Verdict.STOPPED, f"stopped by the {'callback' if stopped_by == 'callback' else 'user'}"
            f" at x = {_fmt_point(x)} with |grad f| = {gn:.3g}; no claim about a minimum", facts)

    H = _hessian(fun, x)
    lam, vecs = (None, None) if H is None else np.linalg.eigh(H)
    L = math.nan if lam is None else float(max(lam[-1], 0.0))
    small = gn <= gtol
    if not small and stopped_by == "no_progress" and lam is not None:
        at_limit = precision_gradient(f, L)
        facts["precision_limit"] = at_limit
        small = gn <= at_limit
    if not small and stopped_by == "target_loss":
        return Judgement(
            Verdict.TARGET_REACHED,
            f"reached the target loss at x = {_fmt_point(x)}; |grad f| = {gn:.3g}, so this is "
            "not shown to be a minimum", facts)
    if small and lam is not None and _flat_to_precision(fun, x, f, gn, lam):
        return _plateau(fun, x, f, gn, facts)
    if small:
        if lam is not None and vecs is not None:
            return _second_order(fun, x, f, gn, lam, vecs, facts)
        return Judgement(
            Verdict.CONVERGED,
            f"converged: |grad f| = {gn:.3g} <= {max(gtol, facts.get('precision_limit', 0)):.3g}"
            " (no Hessian to check the second-order condition)",
            facts,
        )
    bouncing = _oscillating(fun, gn, stopped_by, history_x, learning_rate, stability, L, facts)
    if bouncing is not None:
        return bouncing
    return _unfinished(fun, x, f, g, gn, gtol=gtol, stopped_by=stopped_by, facts=facts,
                       line_search=line_search)


def _second_order(fun: Any, x: Array, f: float, gn: float, lam: Array, vecs: Array,
                  facts: dict[str, Any]) -> Judgement:
    """A small gradient, judged by the Hessian's eigenvalues ``lam`` (vectors ``vecs``):
    a maximum or saddle, an inflection (f falls along a weak or flat direction), or a
    minimum (*converged*)."""
    facts["hessian_eigenvalues"] = [float(v) for v in lam]
    scale = max(float(np.max(np.abs(lam))), _TINY)
    if lam[0] < -EIG_RTOL * scale:
        direction = vecs[:, 0]
        kind = "a maximum" if lam[-1] < -EIG_RTOL * scale else "a saddle point"
        facts.update(min_eigenvalue=float(lam[0]),
                     descent_direction=[float(v) for v in direction])
        step = 0.1 * max(1.0, float(np.linalg.norm(x)))
        return Judgement(
            Verdict.NOT_A_MINIMUM,
            f"x = {_fmt_point(x)} is {kind}, not a minimum: the gradient is zero "
            f"there but the Hessian has eigenvalue {lam[0]:.4g} along "
            f"{_fmt_point(direction)}, so f decreases both ways along that direction; "
            f"start elsewhere, e.g. x0 = {_fmt_point(x + step * direction)}",
            facts,
        )
    away = _falls_away_any(fun, x, f, lam, vecs)
    if away is not None:
        facts["descent_direction"] = [float(v) for v in away]
        return Judgement(
            Verdict.NOT_A_MINIMUM,
            f"x = {_fmt_point(x)} is not a minimum: the gradient is small and the "
            f"Hessian positive there, but its curvature is weak and f keeps falling "
            f"along {_fmt_point(away)} (an inflection; the function may be unbounded "
            "below that way); start elsewhere or add bounds",
            facts,
        )
    flat = vecs[:, np.abs(lam) <= EIG_RTOL * scale]
    lower = _lower_along(fun, x, f, flat)
    if lower is not None:
        facts["descent_direction"] = [float(v) for v in lower]
        return Judgement(
            Verdict.NOT_A_MINIMUM,
            f"x = {_fmt_point(x)} is a stationary point but not a minimum: the "
            f"Hessian is zero along {_fmt_point(lower)} and f is lower a small step "
            "that way (an inflection); start elsewhere",
            facts,
        )
    return Judgement(
        Verdict.CONVERGED,
        f"converged: |grad f| = {gn:.3g} and the Hessian is positive "
        f"{'definite' if lam[0] > EIG_RTOL * scale else 'semidefinite'} there "
        f"(smallest eigenvalue {lam[0]:.4g})",
        facts,
    )


def _oscillating(fun: Any, gn: float, stopped_by: str, history_x: Any, learning_rate: float,
                 stability: Callable[[float], tuple[float, str] | None] | None, L: float,
                 facts: dict[str, Any]) -> Judgement | None:
    """*Oscillating* when the iterates bounce (:func:`oscillation`) with the step at or above
    the optimizer's stability limit (or no limit known), or when a flat loss with a large
    gradient has its step at or above the limit; else ``None``."""
    bounce = oscillation(history_x) if history_x is not None else None
    bound = getattr(fun, "curvature_bound", lambda: None)()
    L_limit = float(bound) if bound is not None else L
    limit = stability(L_limit) if stability is not None and math.isfinite(L_limit) else None
    above = limit is not None and math.isfinite(learning_rate) and learning_rate >= limit[0] * (
        1.0 - 1e-12)
    bouncing = bounce is not None and bounce < -0.5 and (above or limit is None)
    # a flat loss with a large gradient and a step at or above the stability limit cannot be
    # settling, however few iterates there are to see the bounce in
    if not (bouncing or (above and stopped_by == "no_progress")):
        return None
    if bounce is not None:
        facts["step_cosine"] = bounce
    why = (f"the learning rate {learning_rate:g} is at or above {limit[1]} = {limit[0]:.4g}"
           if above and limit is not None else "the step is too large for the curvature")
    return Judgement(
        Verdict.OSCILLATING,
        f"oscillating: the iterates jump back and forth across the valley without settling "
        f"(|grad f| = {gn:.3g}) because {why}; use a smaller learning rate"
        + (f" (below {limit[0]:.4g}, e.g. {limit[0] / 2:.4g})" if limit is not None else "")
        + " or learning_rate='auto'",
        facts,
    )


def _unfinished(fun: Any, x: Array, f: float, g: Array, gn: float, *, gtol: float,
                stopped_by: str, facts: dict[str, Any], line_search: bool = False) -> Judgement:
    """A run that ended with a gradient that is not small, not bouncing: its budget ran out,
    it ran into the edge of the domain (*unbounded below*), or it *stalled*."""
    if stopped_by in ("max_iter", "time_limit"):
        budget = "max_iter" if stopped_by == "max_iter" else "time_limit"
        return Judgement(
            Verdict.BUDGET_SPENT,
            f"not converged: {budget} ran out at x = {_fmt_point(x)} with |grad f| = {gn:.3g}",
            facts,
        )
    edge = _domain_edge(fun, x, f, g) if stopped_by == "no_progress" else None
    if edge is not None:
        facts["domain_edge_distance"] = edge
        return Judgement(
            Verdict.UNBOUNDED_BELOW,
            f"unbounded below: f falls without bound towards the edge of its domain "
            f"{edge:.3g} from x = {_fmt_point(x)} (f = {f:.6g}, |grad f| = {gn:.3g}): there is "
            "no minimum there; bound the variables or change the formula",
            facts,
        )
    why = ("the line search found no step that lowers the loss, so f is not smooth there (a "
           "kink, or the edge of its domain) or |grad f| is at the precision limit of f: check "
           "the expression, or bound the variables" if line_search else
           "the step may have decayed to nothing (a schedule): use a constant learning rate, "
           "'auto' or 'armijo', or a slower schedule")
    return Judgement(
        Verdict.STALLED,
        f"stalled, not converged: the loss stopped moving at x = {_fmt_point(x)} but "
        f"|grad f| = {gn:.3g} is not small (gtol = {gtol:g}); {why}",
        facts,
    )


def _domain_edge(fun: Any, x: Any, f: float, g: Any) -> float | None:
    """The distance along ``-g`` to where ``fun`` stops being finite, when ``f`` still falls on
    the way there (``log(x)`` descended towards 0): a descent stopped by the domain's edge, not
    by a flat loss. ``None`` when no such edge is within ``1e-3 max(|x|, 1)``."""
    gn = float(np.linalg.norm(g))
    if not (math.isfinite(f) and math.isfinite(gn)) or gn <= 0.0:
        return None
    d = -np.asarray(g, dtype=np.float64) / gn
    reach = 1e-3 * max(float(np.max(np.abs(x))), 1.0)
    with np.errstate(all="ignore"):
        try:
            values = [float(fun.value(x + s * d)) for s in reach * 0.5 ** np.arange(60)]
        except (ArithmeticError, ValueError):
            return None
    edge = next((k for k in range(len(values) - 1, -1, -1) if not math.isfinite(values[k])),
                None)
    if edge is None or edge + 1 >= len(values) or not values[edge + 1] < f:
        return None
    return float(reach * 0.5**edge)


def _flat_to_precision(fun: Any, x: Any, f: float, gn: float, lam: Any) -> bool:
    """Whether ``f`` is flat below its precision around ``x``: a step ``h`` changes ``f`` by
    about ``|g| h + max|lambda| h^2 / 2``, and that is under the rounding of ``f``
    (``100 eps |f|``), and so are the values ``f(x +- h e_i)`` themselves (``x**4`` at 0 has
    g = H = 0 but rises around it). Then f, g and H underflowed to 0, as ``-exp(-x**2)`` at
    ``x = 40``: nothing at ``x`` tells a minimum from a plateau."""
    h = 1e-3 * max(1.0, float(np.linalg.norm(x)))
    noise = 100.0 * EPS * max(abs(f), _TINY)
    curv = float(np.max(np.abs(lam))) if np.size(lam) else 0.0
    if np.size(lam) and lam[0] > EIG_RTOL * curv:
        return False  # an exact positive definite Hessian shows a minimum (1e300 + x**2 at 0)
    if gn * h + 0.5 * curv * h * h > noise:
        return False
    for v in np.eye(x.size):
        for s in (1.0, -1.0):
            try:
                with np.errstate(all="ignore"):
                    fv = float(fun.value(x + s * h * v))
            except (ArithmeticError, ValueError):
                return False
            if not (math.isfinite(fv) and abs(fv - f) <= noise):
                return False
    return True


def _plateau(fun: Any, x: Any, f: float, gn: float, facts: dict[str, Any]) -> Judgement:
    """The verdict at a point where f is flat to its precision: never *converged*. The probe
    (:func:`_lower_along`) looks for a lower value at growing distances, along each axis and
    towards the origin, and names it when it finds one."""
    n = x.size
    directions = np.eye(n)
    norm = float(np.linalg.norm(x))
    if norm > 0:
        directions = np.column_stack([directions, -x / norm])
    facts["plateau"] = True
    for scale in (1e-2, 1e-1, 1.0):
        lower = _lower_along(fun, x, f, directions, h=scale * max(1.0, norm))
        if lower is not None:
            facts["descent_direction"] = [float(v) for v in lower]
            at = x + scale * max(1.0, norm) * lower
            return Judgement(
                Verdict.STALLED,
                f"a plateau, not a minimum: at x = {_fmt_point(x)} f = {f:.4g}, its gradient "
                f"({gn:.3g}) and its Hessian are zero to the precision of f (they underflowed), "
                f"but f is lower at x = {_fmt_point(at)}; start nearer to it",
                facts,
            )
    return Judgement(
        Verdict.STALLED,
        f"a plateau, not shown to be a minimum: at x = {_fmt_point(x)} f = {f:.4g}, its "
        f"gradient ({gn:.3g}) and its Hessian are zero to the precision of f all around; "
        "start elsewhere",
        facts,
    )


def _hessian(fun: Any, x: Any) -> Any:
    hess = getattr(fun, "hessian", None)
    if hess is None:
        return None
    try:
        with np.errstate(all="ignore"):
            H = hess(x)
    except (ArithmeticError, ValueError):
        return None
    if H is None:
        return None
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or not np.all(np.isfinite(H)):
        return None
    return (H + H.T) / 2.0


#: An eigenvalue at most this times max(1, largest |eigenvalue|) is *weak* curvature: too small
#: to rule out a third-order term taking over within a short step (x**3 near 0: the Hessian
#: 6x is positive for x > 0, the gradient 3x**2 tiny, yet f falls for x < 0).
WEAK_CURVATURE = 1e-2


def _falls_away_any(fun: Any, x: Any, f: float, lam: Any, vecs: Any) -> Any:
    """A weak-curvature eigen-direction (of the three lowest) along which ``f`` keeps falling
    at every doubling of the step from ``1e-3 max(1, |x|)`` to ``1e3 max(1, |x|)``, else
    ``None``. A nearby minimum stops the fall within a few doublings; a local minimum with
    ordinary curvature is never probed."""
    limit = WEAK_CURVATURE * max(1.0, float(np.max(np.abs(lam))))
    for j in range(min(3, lam.shape[0])):
        if lam[j] > limit:
            break
        for sign in (1.0, -1.0):
            if _falls_away(fun, x, f, sign * vecs[:, j]):
                return sign * vecs[:, j]
    return None


def _falls_away(fun: Any, x: Any, f: float, v: Any) -> bool:
    reach = max(1.0, float(np.linalg.norm(x)))
    s = 1e-3 * reach
    prev = f - 100.0 * EPS * max(abs(f), _TINY)
    while s <= 1e3 * reach:
        try:
            with np.errstate(all="ignore"):
                fv = float(fun.value(x + s * v))
        except (ArithmeticError, ValueError):
            return False
        if not (math.isfinite(fv) and fv < prev):
            return False
        prev = fv
        s *= 2.0
    return True


def _lower_along(fun: Any, x: Any, f: float, directions: Any, h: float | None = None) -> Any:
    """A zero-curvature direction along which ``f`` drops within a small step, else ``None``.

    The second-order test says nothing along such a direction (``x**3`` at 0); a step of
    ``1e-3 max(1, |x|)`` either way settles it when the drop exceeds the rounding of ``f``.
    """
    if directions is None or directions.shape[1] == 0:
        return None
    if h is None:
        h = 1e-3 * max(1.0, float(np.linalg.norm(x)))
    noise = 100.0 * EPS * max(abs(f), _TINY)
    for j in range(directions.shape[1]):
        v = directions[:, j]
        for s in (1.0, -1.0):
            try:
                with np.errstate(all="ignore"):
                    fv = float(fun.value(x + s * h * v))
            except (ArithmeticError, ValueError):
                continue
            if math.isfinite(fv) and fv < f - noise:
                return s * v
    return None
