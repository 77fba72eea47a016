"""Least-squares statistics of a linear fit, from the moments alone.

Everything statsmodels' ``OLS(y, add_constant(X)).fit()`` reports that depends on the data only
through ``X^T X``, ``X^T y`` and ``y^T y`` -- standard errors, t, p-values, confidence intervals,
R^2, adjusted R^2, the residual standard error, the F test, the log-likelihood, AIC, BIC and the
condition number -- computed from :class:`~descend.data.stats.MomentStats` (``n``, the means and
the centred cross-products ``Cxx``, ``cxy``, ``cyy``). The moments are what one pass of the
stream or Dask engines already computes, so a fit of a file larger than memory gets the same
table as one in memory, without reading the rows again.

With ``p = d + 1`` parameters (the intercept and ``d`` slopes), ``w*`` the least-squares slopes
(``Cxx w* = cxy``) and ``(b, w)`` the fitted ones, ``r = b + mean_x . w - mean_y``:

    RSS   = (cyy - cxy . w*) + (w - w*)^T Cxx (w - w*) + n r^2     (residual sum of squares)
    s^2   = RSS / (n - p)                                            (residual variance)
    Var(w)    = s^2 Cxx^-1
    Cov(b, w) = -s^2 Cxx^-1 mean_x
    Var(b)    = s^2 (1/n + mean_x^T Cxx^-1 mean_x)
    R^2   = 1 - RSS / cyy,    adj R^2 = 1 - (1 - R^2) (n - 1) / (n - p)
    F     = ((cyy - RSS) / d) / s^2  on (d, n - p) degrees of freedom
    log L = -n/2 (log(2 pi RSS / n) + 1),   AIC = 2p - 2 log L,   BIC = p log n - 2 log L

The first line writes RSS as its minimum plus a non-negative quadratic, which stays accurate
when R^2 is close to 1 (expanding ``cyy - 2 w.cxy + w^T Cxx w`` would cancel). The inverse is
taken on the correlation scale (``Cxx`` divided by its diagonal: diagonal scaling, Golub &
Van Loan 2013, sec. 3.5), so the units of the features do not enter its conditioning.

Assumptions (those of the classical linear model, e.g. Greene, *Econometric Analysis*, ch. 4-5):
the rows are independent, the errors have mean zero and one common variance (homoscedastic),
and -- for the t and F distributions -- are normal. The t, p and intervals are those of the
least-squares estimator, so they describe the fitted coefficients only when the descent
reached the least-squares optimum: the summary measures how far the coefficients are from it
(in standard errors) and withholds t, p and intervals when the gap is material. A penalised
(``alpha > 0``), huber or absolute-error fit is not least squares: its standard errors, t, p,
intervals, F and likelihood are not available here (R^2 and the residual spread, computed at the
fitted coefficients, are still reported as descriptions).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats

Array = NDArray[np.float64]

__all__ = ["ASSUMPTIONS", "FitSummary", "GAP_LIMIT", "ols_summary"]

ASSUMPTIONS = (
    "independent rows; errors with mean 0 and one common variance (homoscedastic); normal "
    "errors for t, p, intervals and F; the coefficients are the least-squares optimum only "
    "when the fit converged"
)

#: Largest distance (in standard errors) from the least-squares optimum at which t, p and the
#: intervals are still reported: beyond it they would describe coefficients the fit did not reach.
GAP_LIMIT = 1e-3

_LOSS_NAMES = {"huber": "a huber fit", "absolute_error": "an absolute-error fit"}


@dataclass(frozen=True)
class FitSummary:
    """The statistics of a fit; ``None`` marks what is not available (``unavailable`` says why).

    statsmodels' names in brackets: ``coef`` (``params``), ``std_err`` (``bse``), ``t``
    (``tvalues``), ``p_value`` (``pvalues``), ``conf_int`` (``conf_int(alpha)``, rows of
    ``[low, high]``), ``r2`` (``rsquared``), ``adj_r2`` (``rsquared_adj``),
    ``residual_std_error`` (``sqrt(scale)``), ``rss`` (``ssr``), ``tss`` (``centered_tss``),
    ``f_statistic`` (``fvalue``), ``f_p_value`` (``f_pvalue``), ``df_model``, ``df_resid``,
    ``log_likelihood`` (``llf``), ``aic``, ``bic``, ``condition_number``. ``gap_se`` is the
    largest distance of a coefficient from the least-squares optimum in its standard errors.
    """

    names: tuple[str, ...]
    coef: Array
    std_err: Array | None
    t: Array | None
    p_value: Array | None
    conf_int: Array | None
    alpha: float
    n: int
    df_model: int
    df_resid: int
    rss: float
    tss: float
    r2: float | None
    adj_r2: float | None
    residual_std_error: float | None
    f_statistic: float | None
    f_p_value: float | None
    log_likelihood: float | None
    aic: float | None
    bic: float | None
    condition_number: float | None
    gap_se: float | None
    target: str | None = None
    status: str | None = None
    unavailable: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    assumptions: str = ASSUMPTIONS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: arrays as lists, one entry per coefficient under ``coefficients``."""

        def col(a: Array | None, j: int) -> float | None:
            return None if a is None else _num(a[j])

        rows = [
            {
                "name": name,
                "coef": _num(self.coef[j]),
                "std_err": col(self.std_err, j),
                "t": col(self.t, j),
                "p_value": col(self.p_value, j),
                "ci_low": None if self.conf_int is None else _num(self.conf_int[j, 0]),
                "ci_high": None if self.conf_int is None else _num(self.conf_int[j, 1]),
            }
            for j, name in enumerate(self.names)
        ]
        return {
            "coefficients": rows,
            "alpha": self.alpha,
            "n": self.n,
            "df_model": self.df_model,
            "df_resid": self.df_resid,
            "rss": _num(self.rss),
            "tss": _num(self.tss),
            "r2": _num(self.r2),
            "adj_r2": _num(self.adj_r2),
            "residual_std_error": _num(self.residual_std_error),
            "f_statistic": _num(self.f_statistic),
            "f_p_value": _num(self.f_p_value),
            "log_likelihood": _num(self.log_likelihood),
            "aic": _num(self.aic),
            "bic": _num(self.bic),
            "condition_number": _num(self.condition_number),
            "gap_se": _num(self.gap_se),
            "target": self.target,
            "status": self.status,
            "unavailable": list(self.unavailable),
            "notes": list(self.notes),
            "assumptions": self.assumptions,
        }

    def __str__(self) -> str:
        return _render(self)


def _num(v: Any) -> float | None:
    """A finite float, or ``None`` (JSON has no nan or inf)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _inverse(cxx: Array) -> Array | None:
    """``Cxx^-1`` through the correlation matrix, or ``None`` when it is singular."""
    d = cxx.shape[0]
    if d == 0:
        return np.zeros((0, 0))
    sd = np.sqrt(np.diag(cxx))
    if not np.all(sd > 0):
        return None
    R = cxx / np.outer(sd, sd)
    lam = np.linalg.eigvalsh(R)
    if lam[0] <= 1e-12 * lam[-1]:
        return None
    try:
        chol = np.linalg.cholesky(R)
    except np.linalg.LinAlgError:
        return None
    Linv = np.linalg.solve(chol, np.eye(d))
    with np.errstate(all="ignore"):  # sd ~ 1e-159: inf, refused by the caller by name
        return (Linv.T @ Linv) / np.outer(sd, sd)  # type: ignore[no-any-return]


def _condition_number(stats: MomentStats) -> float | None:
    """statsmodels' ``condition_number``: ``sqrt(max/min eigenvalue)`` of ``X^T X``, intercept in.

    ``X^T X = A^T A`` with ``A = [[sqrt(n), sqrt(n) mean^T], [0, R]]`` and ``R^T R = Cxx``, so
    the singular values of the small ``A`` give it without squaring the condition (an
    eigensolver on ``X^T X`` loses ``eps * cond^2`` of the smallest eigenvalue).
    """
    n, d = int(stats.n), stats.d
    if n == 0:
        return None
    A = np.zeros((d + 1, d + 1))
    A[0, 0] = math.sqrt(n)
    A[0, 1:] = math.sqrt(n) * stats.mean_x
    try:
        A[1:, 1:] = np.linalg.cholesky(stats.cxx).T
    except np.linalg.LinAlgError:
        return None
    sv = np.linalg.svd(A, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else None


def ols_summary(
    stats: MomentStats,
    intercept: float,
    coef: Sequence[float] | Array,
    *,
    names: Sequence[str] | None = None,
    target: str | None = None,
    alpha: float = 0.05,
    loss: str = "squared_error",
    penalty: float = 0.0,
    status: str | None = None,
    converged: bool = True,
    fit_intercept: bool = True,
) -> FitSummary:
    """Statistics of the fit ``y ~ intercept + X coef`` from the moments of ``(X, y)``.

    Args:
        stats: the moments of the data the model was fit to (user units).
        intercept: the fitted intercept ``b``.
        coef: the fitted slopes ``w``, one per feature.
        names: the feature names (default ``x1..xd``); the intercept is ``"intercept"``.
        target: the target's name, for the header.
        alpha: ``1 - alpha`` is the confidence level of the intervals (default 0.05: 95%).
        loss: the fit's loss; only ``"squared_error"`` gets inference.
        penalty: the fit's L2 penalty ``alpha``; inference only when it is 0.
        status: why the fit stopped (``stop_reason_``), shown in the summary.
        converged: whether a convergence rule stopped the fit; when false, a note says so.
        fit_intercept: ``False`` for a fit through the origin, whose standard errors, t and F
            need the uncentred moments; they are then said to be not available.

    Returns:
        A :class:`FitSummary` (``str()`` of it is the text table, ``to_dict()`` its JSON).

    Raises:
        ValueError: ``alpha`` not in (0, 1), or ``coef`` not of length ``stats.d``.

    >>> import numpy as np
    >>> from descend.data.stats import moment_stats
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([1.0, 3.0, 4.0, 8.0])
    >>> s = ols_summary(moment_stats(X, y), 0.7, [2.2])
    >>> round(s.r2, 6), [round(float(v), 6) for v in s.std_err]
    (0.930769, [0.793725, 0.424264])
    """
    from scipy import stats as sps

    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha={alpha!r}: the intervals' level 1 - alpha needs 0 < alpha < 1")
    w = np.asarray(coef, dtype=np.float64).ravel()
    d = stats.d
    if w.shape != (d,):
        raise ValueError(f"coef has {w.size} values; the moments are of {d} features")
    n = int(stats.n)
    b = float(intercept)
    feature_names = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(d))
    all_names = ("intercept", *feature_names)
    theta = np.concatenate([[b], w])
    p = d + 1
    df_resid = n - p
    tss = float(stats.cyy)
    unavailable: list[str] = []
    notes: list[str] = []

    inv = _inverse(stats.cxx)
    out_of_range = inv is not None and not bool(np.all(np.isfinite(inv)))
    if out_of_range:  # X^T X ~ 1e-317 (features ~ 1e-160): its inverse overflows float64
        inv = None
    r = b + float(stats.mean_x @ w) - stats.mean_y
    if inv is not None:
        w_opt = inv @ stats.cxy
        dw = w - w_opt
        rss_opt = max(tss - float(stats.cxy @ w_opt), 0.0)
        rss = rss_opt + max(float(dw @ stats.cxx @ dw), 0.0) + n * r * r
    else:
        w_opt = None
        rss = max(tss - 2.0 * float(w @ stats.cxy) + float(w @ stats.cxx @ w), 0.0) + n * r * r

    r2 = 1.0 - rss / tss if tss > 0 else None
    adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / df_resid if r2 is not None and df_resid > 0 else None
    sigma2 = rss / df_resid if df_resid > 0 else None
    rse = math.sqrt(sigma2) if sigma2 is not None else None

    cond = _condition_number(stats)

    least_squares = loss == "squared_error" and float(penalty) == 0.0
    if not least_squares:
        what = _LOSS_NAMES.get(loss, "a penalised fit (alpha > 0)" if loss == "squared_error"
                               else f"a {loss} fit")
        unavailable.append(
            f"standard errors, t, p-values, intervals, F and the likelihood: {what} is not least "
            "squares, and the OLS formulas would give wrong numbers for it; R^2 and the "
            "residual spread are descriptions at the fitted coefficients"
        )
    elif not fit_intercept:
        unavailable.append(
            "standard errors, t, p-values, intervals and F: this fit is through the origin "
            "(--no-intercept), and the formulas here are for a model with an intercept"
        )
    elif df_resid <= 0:
        unavailable.append(
            f"standard errors, t, p-values, intervals and F: {n} rows leave no residual degrees "
            f"of freedom for {p} parameters (need n > {p})"
        )
    elif out_of_range:
        unavailable.append(
            "standard errors, t, p-values, intervals and F: the features are too small or too "
            "large for float64 statistics (X^T X or its inverse under- or overflows); rescale "
            "the features (multiply or divide them by a power of ten) and fit again"
        )
    elif inv is None:
        unavailable.append(
            "standard errors, t, p-values, intervals and F: the features are collinear or one "
            "is constant (X^T X is singular), so the coefficients are not identified"
        )

    std_err = t = p_value = conf_int = None
    f_stat = f_p = llf = aic = bic = gap_se = None
    if not unavailable:
        assert inv is not None and sigma2 is not None and w_opt is not None
        cov = np.empty((p, p))
        cov[1:, 1:] = inv
        cov[0, 1:] = cov[1:, 0] = -(inv @ stats.mean_x)
        cov[0, 0] = 1.0 / n + float(stats.mean_x @ inv @ stats.mean_x)
        std_err = np.sqrt(np.maximum(np.diag(cov), 0.0) * sigma2)
        b_opt = stats.mean_y - float(stats.mean_x @ w_opt)
        exact = rss <= 64 * np.finfo(float).eps * max(tss, np.finfo(float).tiny) * p
        if exact:
            notes.append(
                "the fit is exact (the residuals are zero to rounding): the standard errors are "
                "0 and t, p-values and F are undefined"
            )
            std_err = np.zeros(p)
        else:
            gap_se = float(np.max(np.abs(theta - np.concatenate([[b_opt], w_opt])) / std_err))
            llf = -0.5 * n * (math.log(2.0 * math.pi * rss / n) + 1.0)
            aic = 2.0 * p - 2.0 * llf
            bic = p * math.log(n) - 2.0 * llf
            if d > 0 and rss <= tss:
                f_stat = ((tss - rss) / d) / sigma2
                f_p = float(sps.f.sf(f_stat, d, df_resid))
            elif d > 0:  # F would be negative: worse than the mean alone (a fit cut short)
                unavailable.append(
                    f"F: the fit's residuals exceed the target's own spread (RSS > TSS; "
                    f"stopped: {status or 'unknown'}), so F would be negative; raise max_iter"
                )
            if gap_se > GAP_LIMIT:
                unavailable.append(
                    f"t, p-values and intervals: the coefficients are {gap_se:.3g} standard "
                    "errors from the least-squares optimum (the fit stopped: "
                    f"{status or 'unknown'}), so the least-squares t and p would describe "
                    "numbers the fit did not reach; raise max_iter or lower tol"
                )
            else:
                t = theta / std_err
                p_value = 2.0 * sps.t.sf(np.abs(t), df_resid)
                q = float(sps.t.ppf(1.0 - float(alpha) / 2.0, df_resid))
                conf_int = np.column_stack([theta - q * std_err, theta + q * std_err])
        if not converged:
            notes.append(
                f"the fit did not converge (stopped: {status}); the statistics are of the "
                "coefficients it reached"
            )
    if cond is not None and cond > 1e8:
        notes.append(
            f"the condition number is large ({cond:.3g}): the features may be nearly collinear "
            "or on very different scales"
        )
    return FitSummary(
        names=all_names,
        coef=theta,
        std_err=std_err,
        t=t,
        p_value=p_value,
        conf_int=conf_int,
        alpha=float(alpha),
        n=n,
        df_model=d,
        df_resid=df_resid,
        rss=rss,
        tss=tss,
        r2=r2,
        adj_r2=adj_r2,
        residual_std_error=rse,
        f_statistic=f_stat,
        f_p_value=f_p,
        log_likelihood=llf,
        aic=aic,
        bic=bic,
        condition_number=cond,
        gap_se=gap_se,
        target=target,
        status=status,
        unavailable=tuple(unavailable),
        notes=tuple(notes),
    )


def _g(v: float | None, fmt: str = ".6g") -> str:
    return "n/a" if v is None or not math.isfinite(v) else format(v, fmt)


def _render(s: FitSummary) -> str:
    """The summary as a text table, laid out like statsmodels' ``summary()``."""
    width = 78
    level = 1.0 - s.alpha
    left = [
        ("Dep. variable:", s.target or "y"),
        ("Observations:", str(s.n)),
        ("Df residuals:", str(s.df_resid)),
        ("Df model:", str(s.df_model)),
        ("Residual std. error:", _g(s.residual_std_error)),
        ("Cond. no.:", _g(s.condition_number, ".3g")),
    ]
    right = [
        ("R-squared:", _g(s.r2)),
        ("Adj. R-squared:", _g(s.adj_r2)),
        ("F-statistic:", _g(s.f_statistic)),
        ("Prob (F-statistic):", _g(s.f_p_value, ".4g")),
        ("Log-likelihood:", _g(s.log_likelihood, ".8g")),
        ("AIC / BIC:", f"{_g(s.aic, '.6g')} / {_g(s.bic, '.6g')}"),
    ]
    lines = ["Least-squares statistics of the fit".center(width), "=" * width]
    for (a, av), (c, cv) in zip(left, right, strict=True):
        lines.append(f"{a:<21}{av:>17}  {c:<21}{cv:>17}")
    lines.append("=" * width)
    lo, hi = f"[{s.alpha / 2:.3g}", f"{1 - s.alpha / 2:.3g}]"
    name_w = max(12, *(len(n) for n in s.names))
    lines.append(
        f"{'':<{name_w}}{'coef':>12}{'std err':>11}{'t':>9}{'P>|t|':>9}{lo:>12}{hi:>12}"
    )
    lines.append("-" * max(width, name_w + 65))
    for j, name in enumerate(s.names):
        se = _g(None if s.std_err is None else s.std_err[j], ".4g")
        tv = _g(None if s.t is None else s.t[j], ".3f")
        pv = _g(None if s.p_value is None else s.p_value[j], ".3f")
        ci = ("n/a", "n/a") if s.conf_int is None else (
            format(s.conf_int[j, 0], ".5g"), format(s.conf_int[j, 1], ".5g"))
        lines.append(
            f"{name:<{name_w}}{s.coef[j]:>12.6g}{se:>11}{tv:>9}{pv:>9}{ci[0]:>12}{ci[1]:>12}"
        )
    lines.append("=" * width)
    footer = [f"Intervals at {level:.0%}. Assumes: {s.assumptions}."]
    footer += [f"Not available: {u}." for u in s.unavailable]
    footer += [f"Note: {note}." for note in s.notes]
    for text in footer:
        lines.extend(textwrap.wrap(text, width, subsequent_indent="  "))
    return "\n".join(lines)
