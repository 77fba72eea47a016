"""The fit engine as functions: ``fit_linear(X, y, spec) -> LinearFit``.

A linear fit is a pipeline of plain functions over a frozen :class:`~descend.models.spec.FitSpec`:

1. the moments of the rows (one pass; :class:`~descend.data.stats.MomentStats`) fix the
   scaling, the curvature ``L`` and, for the squared loss, the whole problem;
2. a solver builds the step the one driver runs (:mod:`descend.models._solvers`,
   :mod:`descend.models._solve_rows`): the preconditioned descent with refinement, gradient
   descent on the moments, or passes (mini-batch epochs) over the rows;
3. :func:`~descend.models.diagnose.diagnose` reads the finished run: digits, verdict, message.

:func:`fit_linear` takes arrays in memory; :func:`fit_moments` and :func:`fit_rows` are the
same engine for rows elsewhere (a stream of files, a Dask cluster): moments plus, where the
engine can re-read the rows, their passes. Each returns a :class:`LinearFit`;
:class:`~descend.models.linear.LinearModel` copies its fields to ``coef_``, ``intercept_``, ...

>>> import numpy as np
>>> from descend.models.spec import FitSpec
>>> X = np.array([[1.0], [2.0], [3.0]]); y = np.array([3.0, 5.0, 7.0])
>>> fit = fit_linear(X, y, FitSpec())
>>> round(float(fit.coef[0]), 12), round(fit.intercept, 12), str(fit.verdict)
(2.0, 1.0, 'converged')
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats, weighted_moment_stats
from descend.errors import DataError, InputError
from descend.loop.result import OptimizeResult, evolve
from descend.loop.verdict import Verdict
from descend.models._memory import EXACT_ELEMENTS, MemoryRows, one_blas_thread
from descend.models._problem import Standardizer
from descend.models._solve_rows import solve_passes, solve_whitened
from descend.models._solvers import Solved, least_squares_loss, solve_moments
from descend.models._whitened import ResidualPasses, WhitenedObjective, whiten_moments
from descend.models.diagnose import diagnose
from descend.models.losses import fast_moment_stats, get_loss
from descend.models.spec import FitSpec, check_spec, solver_name
from descend.optim.base import Optimizer

Array = NDArray[np.float64]

__all__ = ["FittedAttributes", "LinearFit", "default_feature_names", "fit_linear", "fit_moments", "fit_rows"]

#: Streamed/Dask fits skip the refinement passes when the standardised design's condition
#: number is at most this: the moments' answer then has >= 12 correct digits already.
_NO_REFINE_KAPPA = 100.0


@dataclasses.dataclass(frozen=True)
class LinearFit:
    """A finished linear fit: each field is the estimator's attribute of the same name plus
    ``_`` (``coef`` -> ``coef_``; see :class:`~descend.models.linear.LinearModel`)."""

    coef: Array
    intercept: float
    feature_names: tuple[str, ...]
    moments: MomentStats
    history: Array
    loss_curve: Array
    initial_loss: float
    loss: float
    start_iter: int
    n_iter: int
    stop_reason: str
    learning_rate: Any
    curvature: float | None
    stability_limit: float | None
    optimizer_limit: tuple[float, str] | None
    optimizer: str
    huber_scale: float | None
    huber_threshold: float | None
    learning_rate_coordinates: str
    optimal_loss: float | None
    optimality_gap: float | None
    condition_number: float = float("nan")
    relative_gradient: float | None = None
    trusted_digits: int = 0
    error_bound: float = float("inf")
    collinear: list[str] = dataclasses.field(default_factory=list)
    verdict: Verdict = Verdict.STALLED
    message: str = ""
    result: OptimizeResult | None = None


class FittedAttributes:
    """The attributes a fitted :class:`~descend.models.linear.LinearModel` carries: the fields
    of :class:`LinearFit` plus ``_``, and ``n_features_in_`` (declared here for type checkers;
    :meth:`~descend.models.linear.LinearModel._adopt` sets them)."""

    coef_: Array
    intercept_: float
    feature_names_: tuple[str, ...]
    moments_: MomentStats
    history_: Array
    loss_curve_: Array
    initial_loss_: float
    loss_: float
    start_iter_: int
    n_iter_: int
    stop_reason_: str
    learning_rate_: Any
    curvature_: float | None
    stability_limit_: float | None
    optimizer_limit_: tuple[float, str] | None
    optimizer_: str
    huber_scale_: float | None
    huber_threshold_: float | None
    learning_rate_coordinates_: str
    optimal_loss_: float | None
    optimality_gap_: float | None
    condition_number_: float
    relative_gradient_: float | None
    trusted_digits_: int
    error_bound_: float
    collinear_: list[str]
    # the analyst's path (descend.models.analysis): a formula fit's design and statistics
    design_: Any
    missing_: Any
    cov_spec_: Any
    row_pass_: Any
    cov_params_: Any
    cov_type_: str
    verdict_: Verdict
    message_: str
    result_: OptimizeResult
    n_features_in_: int
    t_: int


def default_feature_names(d: int) -> tuple[str, ...]:
    """``("x",)`` for one feature, else ``("x1", ..., "xd")``."""
    return ("x",) if d == 1 else tuple(f"x{j}" for j in range(1, d + 1))


def check_resume(spec: FitSpec, resume: Any, d: int) -> None:
    """A checkpoint resumes this fit only with ``d + 1`` parameters and the same settings."""
    x = np.asarray(resume.x, dtype=np.float64)
    if x.shape != (d + 1,):
        raise InputError(
            f"resume: the checkpoint holds {x.size} parameters; this fit has {d + 1} "
            "(the intercept and one coefficient per feature) -- it is of another data set"
        )
    saved = (getattr(resume, "meta", None) or {}).get("model")
    if isinstance(saved, dict):
        for key, value in spec.checkpoint_meta().items():
            if key in saved and saved[key] != value:
                raise InputError(
                    f"resume: the checkpoint is of a fit with {key}={saved[key]!r}, this fit "
                    f"has {key}={value!r}; use the same setting to resume it"
                )


def _warn_features(stats: MomentStats, spec: FitSpec, names: Sequence[str]) -> None:
    if stats.n < 2 or not spec.fit_intercept:
        return
    const = [names[int(j)] for j in np.flatnonzero(stats.std_x() == 0)]
    if const:
        warnings.warn(
            f"feature(s) {', '.join(map(repr, const))} are constant; their coefficients stay "
            "at their starting values (the data cannot say anything about them)",
            UserWarning,
            stacklevel=5,
        )


def _start(spec: FitSpec, d: int, start: Array | None) -> Array:
    """The first iterate ``[b, w_1..w_d]``: ``start`` (a warm start), else ``init``, else 0."""
    if start is not None:
        return np.asarray(start, dtype=np.float64)
    if spec.init is None:
        return np.zeros(d + 1)
    return np.asarray(spec.init, dtype=np.float64).ravel()


def _setup(
    stats: MomentStats, names: Sequence[str], spec: FitSpec, start: Array | None, resume: Any
) -> tuple[Standardizer, Array, Array]:
    """The scaling, the penalty in the optimizer's coordinates, and the first iterate
    (``spec`` already checked by the entry point)."""
    std = Standardizer.fit(stats, bool(spec.scale), bool(spec.fit_intercept))
    penalty = float(spec.alpha) / std.scale**2
    if resume is not None:
        check_resume(spec, resume, stats.d)
        # The optimizer's own coordinates, saved as they were: the only way to bit-for-bit.
        theta0 = np.array(resume.x, dtype=np.float64)
    else:
        init = _start(spec, stats.d, start)
        theta0 = std.to_internal(float(init[0]), init[1:])
    if not spec.fit_intercept:
        theta0[0] = 0.0  # through the origin: b = 0 (c = b there, nothing is centred)
    _warn_features(stats, spec, names)
    return std, penalty, theta0


def _whitened(
    objective: WhitenedObjective, stats: MomentStats, names: Sequence[str], spec: FitSpec,
    start: Array | None, callback: Callable[[Any], Any] | None, resume: Any,
) -> LinearFit:
    """The preconditioned solver from its whitened objective, anchored at the start."""
    init = _start(spec, stats.d, start)
    b0 = float(init[0]) if spec.fit_intercept else 0.0
    if b0 != 0.0 or init[1:].any() or np.signbit(init).any():
        objective = objective.reanchor(b0, init[1:])  # else: already anchored at (0, 0)
    live = int(objective.white.keep.sum())
    if resume is not None:
        check_resume(spec, resume, live)
        theta0 = np.array(resume.x, dtype=np.float64)
    else:
        theta0 = np.zeros(live + 1)
    _warn_features(stats, spec, names)
    solved = solve_whitened(objective, stats, spec, theta0, callback, resume)
    return finish(solved, stats, names, spec)


def _moments_suffice(stats: MomentStats, kappa: float, intercept: bool) -> bool:
    """Rows in memory, but the moments' answer is as good as a refined one: a large, very
    well-conditioned design whose fit explains little of ``y``.

    The normal equations' answer carries the moments' rounding, ``~eps |X w| |x|`` per sum, which
    a refinement step measures against the residual ``|r|``: it loses about ``log10(kappa^2 (1 +
    |X w| / |r|))`` digits to the refined answer. Where that is below 1 (``kappa^2 (1 + snr) <=
    10``) and a pass costs more than the moments (``n d > EXACT_ELEMENTS``), the fit takes no pass
    (bench_grid, n = 1e6, well-scaled: 14.1-14.6 digits from the moments alone, lstsq 13.7-14.2).
    """
    if stats.n * max(stats.d, 1) <= EXACT_ELEMENTS or not kappa <= 3.0:
        return False
    std = Standardizer.fit(stats, True, intercept)
    rss = least_squares_loss(std.stats(stats), np.zeros(stats.d), intercept)
    n = max(int(stats.n), 1)
    tss = float(stats.cyy) / n + (0.0 if intercept else float(stats.mean_y) ** 2)
    if not rss > 0:
        return False
    snr = float(np.sqrt(max(tss - rss, 0.0) / rss))
    return kappa**2 * (1.0 + snr) <= 10.0


def fit_moments(
    stats: MomentStats, names: Sequence[str], spec: FitSpec, *,
    start: Array | None = None, callback: Callable[[Any], Any] | None = None,
    resume: Any = None, rows: ResidualPasses | None = None,
) -> LinearFit:
    """Squared loss, full batch, from the moments (streamed files, Dask, ``partial_fit``).

    ``rows`` (a :class:`~descend.models._whitened.ResidualPasses`, where the engine can
    re-read the data) lets the preconditioned solver refine on residuals from the rows;
    without it the answer is the normal equations' (about ``2 log10(kappa)`` digits fewer,
    as ``trusted_digits`` says). ``start``: the first iterate ``[b, w]`` (a warm start).
    """
    check_spec(spec, stats.d)
    return _fit_moments(stats, names, spec, start, callback, resume, rows)


def _fit_moments(
    stats: MomentStats, names: Sequence[str], spec: FitSpec, start: Array | None,
    callback: Callable[[Any], Any] | None, resume: Any, rows: ResidualPasses | None,
) -> LinearFit:
    """:func:`fit_moments` for a ``spec`` already checked."""
    if solver_name(spec) == "preconditioned":
        intercept, alpha = bool(spec.fit_intercept), float(spec.alpha)
        white, whitened = whiten_moments(stats, intercept=intercept, alpha=alpha, rows=rows)
        if isinstance(rows, MemoryRows):
            if white.kind == "moments" and _moments_suffice(stats, white.condition_number,
                                                            intercept):
                white, whitened = whiten_moments(stats, intercept=intercept, alpha=alpha)
        elif rows is not None and white.kind == "moments" and (
            white.condition_number <= _NO_REFINE_KAPPA
        ):
            # Rows not in memory cost a read of the data per pass. On a well-conditioned
            # design the moments' answer already carries ~16 - 2 log10(kappa) >= 12
            # digits: descend from the moments alone (a streamed 7e6 x 10 fit: 4 passes
            # of 0.8-2.8 s each -> none after the statistics pass).
            white, whitened = whiten_moments(stats, intercept=intercept, alpha=alpha)
        return _whitened(whitened, stats, names, spec, start, callback, resume)
    std, penalty, theta0 = _setup(stats, names, spec, start, resume)
    solved = solve_moments(stats, spec, std, penalty, theta0, callback, resume)
    return finish(solved, stats, names, spec)


def fit_rows(
    stats: MomentStats, names: Sequence[str], passes: Any, spec: FitSpec, *,
    start: Array | None = None, callback: Callable[[Any], Any] | None = None,
    resume: Any = None, one_epoch: bool = False, step_offset: int = 0,
) -> LinearFit:
    """Any loss, full batch or mini-batch, over rows that ``passes`` reads
    (:class:`~descend.models.linear.RowPasses`): ``stats`` (one pass) fixes the scaling and the
    curvature; every step (epoch) is then one pass through ``passes``, wherever the rows live.

    ``one_epoch`` and ``step_offset`` serve ``partial_fit``: one epoch whose end is kept (not
    the best iterate), with a decaying schedule counting from the ``step_offset`` steps before.
    """
    check_spec(spec, stats.d)
    return _fit_rows(stats, names, passes, spec, start, callback, resume, one_epoch, step_offset)


def _fit_rows(
    stats: MomentStats, names: Sequence[str], passes: Any, spec: FitSpec, start: Array | None,
    callback: Callable[[Any], Any] | None, resume: Any, one_epoch: bool = False,
    step_offset: int = 0,
) -> LinearFit:
    """:func:`fit_rows` for a ``spec`` already checked."""
    std, penalty, theta0 = _setup(stats, names, spec, start, resume)
    solved = solve_passes(stats, passes, spec, std, penalty, theta0, callback, resume,
                          one_epoch=one_epoch, step_offset=step_offset)
    return finish(solved, stats, names, spec)


def fit_linear(
    X: Array, y: Array, spec: FitSpec, *, names: Sequence[str] | None = None,
    weights: Array | None = None, start: Array | None = None,
    callback: Callable[[Any], Any] | None = None, resume: Any = None,
) -> LinearFit:
    """Fit ``y ~ X w + b`` (finite float arrays ``(n, d)`` and ``(n,)``) under ``spec``.

    ``weights``: ``None`` or the rows' weights ``s_i >= 0`` (the weighted mean loss
    ``sum s_i h(r_i) / sum s_i`` is minimised); ``start``: the first iterate ``[b, w]``
    instead of ``spec.init`` (a warm start); ``callback`` and ``resume`` as
    :func:`descend.minimize`'s (``resume``: a checkpoint of this fit).
    """
    from descend.data.source import InMemoryRows as _InMemoryRows
    from descend.data.source import WeightedRows as _WeightedRows

    names = tuple(names) if names is not None else default_feature_names(X.shape[1])
    check_spec(spec, X.shape[1])
    full_exact = get_loss(spec.loss).moments_exact and spec.batch_size is None
    kw = (start, callback, resume)
    if weights is not None:
        # the weights normalised to the row count: sum_i s_i h(r_i) / n is the weighted mean
        sn = weights * (X.shape[0] / float(weights.sum()))
        stats = weighted_moment_stats(X, y, weights)
        check_overflow(stats, names)
        if full_exact:
            return _fit_moments(stats, names, spec, *kw, _WeightedRows(X, y, sn))
        passes = _InMemoryRows(X, y, str(spec.loss), float(spec.epsilon), sn)
        return _fit_rows(stats, names, passes, spec, *kw)
    with one_blas_thread(X):  # thin products: BLAS threads would spin (models._memory)
        stats = fast_moment_stats(X, y)
        check_overflow(stats, names)
        if solver_name(spec) == "preconditioned":
            # the rows in memory refine like a stream's, on one double-double pass a step
            # (descend.models._memory: no centred copy of X; QR of the rows when kappa > 1e5)
            return _fit_moments(stats, names, spec, *kw, MemoryRows(X, y, stats))
    if full_exact:
        return _fit_moments(stats, names, spec, *kw, None)
    passes = _InMemoryRows(X, y, str(spec.loss), float(spec.epsilon))
    return _fit_rows(stats, names, passes, spec, *kw)


def _own_limit(optimizer: Optimizer | None, L: float | None) -> tuple[float, str] | None:
    """``optimizer``'s largest stable learning rate at curvature ``L`` and its formula."""
    if optimizer is None or L is None:
        return None
    return optimizer.stability_limit(float(L))


def _record(solved: Solved, stats: MomentStats, names: Sequence[str], spec: FitSpec) -> LinearFit:
    """The run's facts in the user's units, before the diagnosis."""
    result, std, L = solved.result, solved.std, solved.L
    b, w = std.to_user(result.x)
    curve = np.asarray(result.history.fun, dtype=np.float64)
    loss = float(result.fun)
    start_iter = int(result.info.get("start_iter", 0))
    opt = solved.optimal_loss
    return LinearFit(
        coef=np.asarray(w, dtype=np.float64), intercept=float(b), feature_names=tuple(names),
        moments=stats,
        history=result.history.x if solved.user_path else std.path_to_user(result.history.x),
        loss_curve=curve, initial_loss=float(curve[0]), loss=loss, start_iter=start_iter,
        n_iter=start_iter + int(result.nit), stop_reason=str(result.status),
        learning_rate=solved.lr, curvature=L, stability_limit=2.0 / L if L else None,
        #: the optimizer's own limit and its formula at this curvature, (1.5, "2(1 + momentum)/L")
        optimizer_limit=_own_limit(
            solved.optimizer, solved.L_full if solved.L_full is not None else L),
        optimizer=result.optimizer if result.optimizer else solver_name(spec),
        huber_scale=solved.huber_scale, huber_threshold=solved.huber_threshold,
        learning_rate_coordinates="whitened" if solved.user_path
        else "standardised" if std.active else "raw",
        optimal_loss=opt,
        # Both losses come from the moments, whose rounding floor is ~eps sum((y - mean)^2)/n;
        # a "negative gap" is that noise (the descent reached the optimum), reported as 0.
        optimality_gap=max(loss - opt, 0.0) if opt is not None else None,
    )


def finish(solved: Solved, stats: MomentStats, names: Sequence[str], spec: FitSpec) -> LinearFit:
    """The :class:`LinearFit` of a solver's run: its facts, diagnosis and result; raises the
    warnings the diagnosis lists."""
    fit = _record(solved, stats, names, spec)
    found = diagnose(fit, solved, spec)
    for text, category in found.warnings:
        warnings.warn(text, category, stacklevel=4)
    r = solved.result
    result = OptimizeResult(
        x=np.concatenate([[fit.intercept], fit.coef]), fun=r.fun, jac=r.jac, nit=r.nit,
        nfev=r.nfev, njev=r.njev, status=r.status, message=found.message, history=r.history,
        variables=("intercept", *fit.feature_names), optimizer=r.optimizer,
        learning_rate=r.learning_rate, elapsed=r.elapsed,
        info={**r.info, "verdict": found.verdict},
        verdict=found.verdict,  # result.success is true only when the fit converged
    )
    return evolve(
        fit, condition_number=found.condition_number,
        relative_gradient=found.relative_gradient, trusted_digits=found.trusted_digits,
        error_bound=found.error_bound, collinear=found.collinear, verdict=found.verdict,
        message=found.message, result=result,
    )


def check_overflow(stats: MomentStats, names: Sequence[str]) -> None:
    """Refuse features whose centred squares overflow float64 (|X| ~ 1e200): every curvature
    and step would be inf or 0 (a ZeroDivisionError, a failed SVD), as the CLI refuses them."""
    diag = np.diagonal(np.asarray(stats.cxx, dtype=np.float64))
    if np.isfinite(diag).all():
        return
    for j, v in enumerate(diag):
        if not np.isfinite(v):
            raise DataError(
                f"X: column {j} ({names[j]!r}) holds values too large for float64 arithmetic "
                "(their squares overflow past 1.8e308); rescale it (divide it by a power of "
                "ten) and fit again"
            )
