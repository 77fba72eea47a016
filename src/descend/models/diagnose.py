"""What a finished fit's facts show: :func:`diagnose` reads a fit and says how far it is from
the answer, how many digits to trust, its verdict, its sentence and the warnings it calls for.

It is a pure function of the fit (:class:`~descend.models.fit.LinearFit`), the solver's run
(:class:`~descend.models._solvers.Solved`) and the settings: it computes and returns, it does
not warn -- :func:`descend.models.fit.fit_linear` raises the warnings it lists, in order.

- the condition number of the standardised design (``inf`` for collinear columns) and the
  columns of its weakest direction (:meth:`~descend.models._whitened.Whitening.collinear`);
- the Newton step ``H^-1 g`` still left, as a distance relative to the coefficients;
- the significant digits the arithmetic can vouch for (:mod:`descend.models._accuracy`);
- the verdict (:func:`~descend.models._verdict.fit_verdict`: *converged* only when the gradient
  is small against the problem's scale ``sqrt(2 L var(y))`` and, for a loss the moments solve
  exactly, the optimality gap is small) and the message (:func:`~descend.models._verdict.fit_message`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.loop.result import Status, evolve
from descend.loop.stopping import norm2
from descend.loop.verdict import Verdict
from descend.models._accuracy import collinear_message, trusted_digits
from descend.models._problem import Standardizer, hessian
from descend.models._solvers import InverseSqrt, Solved
from descend.models._verdict import fit_message, fit_verdict
from descend.models._whitened import Whitening, whiten_moments
from descend.models.losses import get_loss
from descend.models.spec import FitSpec

Array = NDArray[np.float64]

__all__ = ["Diagnosis", "diagnose"]


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` finds; ``warnings`` are ``(message, category)`` pairs."""

    condition_number: float
    relative_gradient: float | None
    trusted_digits: int
    error_bound: float
    collinear: list[str]
    verdict: Verdict
    message: str
    warnings: tuple[tuple[str, type[Warning]], ...]


def conditioning(stats: MomentStats, std: Any, spec: FitSpec) -> tuple[float, Whitening, Any]:
    """Condition number of the standardised design, the whitening it comes from, and the
    constant columns (passed over when :meth:`~descend.models._whitened.Whitening.collinear`
    names the weakest direction's columns, which only a weak design needs)."""
    intercept = bool(spec.fit_intercept)
    white = std if isinstance(std, Whitening) else whiten_moments(
        stats, intercept=intercept, alpha=float(spec.alpha)
    )[0]
    sv = white.sv[white.sv > 0]
    # a constant column is not part of the design's conditioning (it is the intercept)
    constant: Any = ()
    d_live = stats.d
    if intercept:
        sx = stats.std_x()
        d_live = int(np.count_nonzero(sx > 0))
        constant = np.flatnonzero(sx == 0)
    if sv.size < d_live:
        kappa = float("inf")
    else:
        kappa = float(sv[0] / sv[-1]) if sv.size else 1.0
        if not white.keep[: sv.size].all():
            kappa = float("inf")
    return kappa, white, constant


def _newton_step(fit: Any, solved: Solved, stats: MomentStats, spec: FitSpec, gnorm: float,
                 white: Whitening) -> tuple[Array, float]:
    """The Newton step ``H^-1 g`` still left, in the design's standardised coefficients, and
    its size relative to the coefficients it leads to."""
    std, jac = solved.std, np.asarray(solved.result.jac, dtype=np.float64)
    if isinstance(std, Whitening):
        jn = norm2(jac)
        du = jac[1:] / 2.0 * (gnorm / jn if jn > 0 else 0.0)
        step_v = math.sqrt(std.n) * (std._T() @ du) if du.size else np.zeros(stats.d)
    else:
        H = hessian(std.stats(stats), float(spec.alpha) / std.scale**2, bool(spec.fit_intercept))
        if not spec.fit_intercept:
            H = np.pad(H, ((1, 0), (1, 0)))
            H[0, 0] = 1.0
        step = np.linalg.lstsq(H, jac, rcond=None)[0]
        step_v = step[1:] / std.scale * white.scale
    v_now = fit.coef * white.scale
    moved = norm2(step_v)
    target = norm2(v_now - step_v)
    dist = moved / target if target > 0 else (0.0 if moved == 0 else float("inf"))
    return step_v, dist


def steps_needed(stats: MomentStats, std: Any, spec: FitSpec) -> float:
    """About ``kappa_H ln(1/accuracy)`` steps: plain GD at 1/L to 1e-6 relative."""
    intercept = bool(spec.fit_intercept)
    st = Standardizer.fit(stats, bool(spec.scale), intercept) if isinstance(std, Whitening) \
        else std
    H = hessian(st.stats(stats), np.zeros(stats.d), intercept)
    lam = np.linalg.eigvalsh(H)
    kappa_h = float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf
    return kappa_h * np.log(1e6)


def _collinear_warning(collinear: list[str], kappa: float, digits: int, spec: FitSpec,
                       normal_equations: bool) -> str:
    text = collinear_message(collinear, kappa, digits, penalised=spec.alpha > 0)
    if normal_equations and digits < 6:
        text += (
            "; this fit solved the normal equations from the moments alone (they lose "
            "2 log10(condition number) digits): a fit that can re-read the rows (in "
            "memory, --engine stream or dask) refines it"
        )
    return text


def diagnose(fit: Any, solved: Solved, spec: FitSpec) -> Diagnosis:
    """The facts, verdict, message and warnings of ``fit`` (see the module docstring)."""
    stats, result = fit.moments, solved.result
    n = max(stats.n, 1)
    var_y = stats.cyy / n if spec.fit_intercept else stats.cyy / n + stats.mean_y**2
    var_y = max(var_y, 1e-300)
    kappa, white, constant = conditioning(stats, solved.std, spec)
    gnorm = result.info.get("grad_norm")
    gnorm = float(np.linalg.norm(result.jac)) if gnorm is None else float(gnorm)
    L_judge = solved.L_full if solved.L_full is not None else solved.L
    rel_grad = gnorm / np.sqrt(2.0 * L_judge * var_y) if L_judge else None
    step_v, dist = _newton_step(fit, solved, stats, spec, gnorm, white)
    digits, bound = trusted_digits(
        stats=stats, intercept=bool(spec.fit_intercept), scale=white.scale,
        # on the subspace the data determine (a constant or duplicated column's share is
        # fixed at the start's: the minimum-norm answer, whose digits these are)
        sv=white.sv[white.keep], V=white.V[:, white.keep], w=fit.coef, mse=fit.loss,
        newton_step=step_v, normal_equations=solved.normal_equations,
    )
    if result.status is Status.DIVERGED:
        digits = 0
    weak = kappa > 1e6 or (kappa > 1e3 and digits < 6)
    collinear = white.collinear(tuple(fit.feature_names), skip=constant) if weak else []
    found: list[tuple[str, type[Warning]]] = []
    if weak and result.status is not Status.DIVERGED:
        text = _collinear_warning(collinear, kappa, digits, spec, solved.normal_equations)
        found.append((text, UserWarning))
    loss = get_loss(spec.loss)
    exact = loss.moments_exact
    gap = fit.optimality_gap
    verdict = fit_verdict(
        status=result.status, rel_grad=rel_grad,
        rel_gap=gap / var_y if gap is not None and exact else None,
        kappa_h=min(kappa * kappa, 1e300) if math.isfinite(kappa) else 1e300,
        learning_rate=solved.lr,
        # the optimizer's own limit (2/L, 2(1 + momentum)/L, ...); none for the adaptive
        # methods and the preconditioned solver
        limit=None if fit.optimizer_limit is None else fit.optimizer_limit[0],
        smooth=loss.smooth,
        gtol_met=spec.gtol is not None and gnorm <= float(spec.gtol),
    )
    facts = evolve(
        fit, condition_number=kappa, relative_gradient=rel_grad, trusted_digits=digits,
        error_bound=bound, collinear=collinear, verdict=verdict,
    )
    lr = solved.lr
    message, category = fit_message(
        facts, spec, result, scaled=bool(solved.std.active), stats=stats, dist=dist,
        steps=lambda: steps_needed(stats, solved.std, spec),
        decayed_schedule=callable(lr) and not isinstance(lr, InverseSqrt),
    )
    if category is not None:
        found.append((message, category))
    return Diagnosis(kappa, rel_grad, digits, bound, facts.collinear, verdict, message,
                     tuple(found))
