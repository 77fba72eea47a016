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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.stats import MomentStats
from descend.models.losses import get_loss

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
    cov_type: str = "nonrobust"
    use_t: bool = True
    cov: Array | None = None
    diagnostics: Any = None
    missing: Any = None
    fit_intercept: bool = True

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
            "cov_type": self.cov_type,
            "distribution": "t" if self.use_t else "normal",
            "diagnostics": None if self.diagnostics is None else self.diagnostics.to_dict(),
            "missing": None if self.missing is None else self.missing.to_dict(),
        }

    def __str__(self) -> str:
        from descend.models._summary_text import render

        return render(self)

    def __repr__(self) -> str:
        """The statistics table (what ``print`` shows), not the dataclass's fields."""
        from descend.models._summary_text import render

        return render(self)

    def _repr_html_(self) -> str:
        """Jupyter: the same table as HTML (``<pre>``: its columns line up as in a terminal)."""
        import html

        return ('<pre class="descend-summary" style="font-size:12px;line-height:1.25">'
                f"{html.escape(str(self))}</pre>")


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
        inv = (Linv.T @ Linv) / np.outer(sd, sd)
    if not bool(np.all(np.isfinite(inv))):
        raise _OutOfRange
    return inv  # type: ignore[no-any-return]


class _OutOfRange(ArithmeticError):
    """``X^T X`` or its inverse under- or overflows float64 (features ~ 1e-160 or 1e160)."""


def _condition_number(stats: MomentStats, fit_intercept: bool = True) -> float | None:
    """statsmodels' ``condition_number``: ``sqrt(max/min eigenvalue)`` of ``X^T X``, intercept in.

    ``X^T X = A^T A`` with ``A = [[sqrt(n), sqrt(n) mean^T], [0, R]]`` and ``R^T R = Cxx``, so
    the singular values of the small ``A`` give it without squaring the condition (an
    eigensolver on ``X^T X`` loses ``eps * cond^2`` of the smallest eigenvalue).
    """
    n, d = int(stats.n), stats.d
    if n == 0:
        return None
    if not fit_intercept:  # X^T X = Cxx + n mx mx^T = A^T A with A = [R; sqrt(n) mx^T]
        try:
            R = np.linalg.cholesky(stats.cxx).T
        except np.linalg.LinAlgError:
            return None
        sv0 = np.linalg.svd(np.vstack([R, math.sqrt(n) * stats.mean_x]), compute_uv=False)
        return float(sv0[0] / sv0[-1]) if sv0[-1] > 0 else None
    A = np.zeros((d + 1, d + 1))
    A[0, 0] = math.sqrt(n)
    A[0, 1:] = math.sqrt(n) * stats.mean_x
    try:
        A[1:, 1:] = np.linalg.cholesky(stats.cxx).T
    except np.linalg.LinAlgError:
        return None
    sv = np.linalg.svd(A, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else None


@dataclass(frozen=True)
class _Gram:
    """The least-squares pieces of ``y ~ [1] + X w``: the inverse Gram matrix of the
    parameters, the optimum, RSS and TSS (centred with an intercept, uncentred without);
    ``out_of_range`` when that inverse under- or overflows float64."""

    inv: Array | None  # (p, p) inverse of X^T X in parameter order, or None if singular
    theta_opt: Array | None
    rss: float
    tss: float
    p: int
    out_of_range: bool = False


def _gram(stats: MomentStats, theta: Array, fit_intercept: bool) -> _Gram:
    try:
        return _gram_of(stats, theta, fit_intercept)
    except _OutOfRange:
        w = theta[1:] if fit_intercept else theta
        r = (float(theta[0]) + float(stats.mean_x @ w) - stats.mean_y) if fit_intercept else 0.0
        tss = float(stats.cyy) if fit_intercept else float(stats.cyy + stats.n * stats.mean_y**2)
        with np.errstate(all="ignore"):
            rss = max(tss - 2.0 * float(w @ stats.cxy) + float(w @ stats.cxx @ w), 0.0)
        return _Gram(None, None, rss + stats.n * r * r, tss, theta.size, out_of_range=True)


def _gram_of(stats: MomentStats, theta: Array, fit_intercept: bool) -> _Gram:
    """RSS as its minimum plus a non-negative quadratic (no cancellation near R^2 = 1)."""
    n, d = int(stats.n), stats.d
    if fit_intercept:
        inv_c = _inverse(stats.cxx)
        b, w = float(theta[0]), theta[1:]
        r = b + float(stats.mean_x @ w) - stats.mean_y
        tss = float(stats.cyy)
        if inv_c is None:
            rss = max(tss - 2.0 * float(w @ stats.cxy) + float(w @ stats.cxx @ w), 0.0)
            return _Gram(None, None, rss + n * r * r, tss, d + 1)
        w_opt = inv_c @ stats.cxy
        dw = w - w_opt
        rss = max(tss - float(stats.cxy @ w_opt), 0.0) + max(float(dw @ stats.cxx @ dw), 0.0)
        inv = np.empty((d + 1, d + 1))
        inv[1:, 1:] = inv_c
        inv[0, 1:] = inv[1:, 0] = -(inv_c @ stats.mean_x)
        inv[0, 0] = 1.0 / n + float(stats.mean_x @ inv_c @ stats.mean_x)
        theta_opt = np.concatenate([[stats.mean_y - float(stats.mean_x @ w_opt)], w_opt])
        return _Gram(inv, theta_opt, rss + n * r * r, tss, d + 1)
    # Through the origin: X^T X = Cxx + n mx mx^T, X^T y = cxy + n mx my, y^T y = cyy + n my^2.
    G = stats.cxx + n * np.outer(stats.mean_x, stats.mean_x)
    Xy = stats.cxy + n * stats.mean_x * stats.mean_y
    tss = float(stats.cyy + n * stats.mean_y**2)  # uncentred, as statsmodels without a constant
    inv_o = _inverse(G)
    if inv_o is None:
        return _Gram(None, None, max(tss - 2.0 * float(theta @ Xy) + float(theta @ G @ theta),
                                     0.0), tss, d)
    w_opt = inv_o @ Xy
    dw = theta - w_opt
    rss = max(tss - float(Xy @ w_opt), 0.0) + max(float(dw @ G @ dw), 0.0)
    return _Gram(inv_o, w_opt, rss, tss, d)


def _refusal(loss: str, penalty: float, n: int, p: int, singular: bool,
             out_of_range: bool = False) -> str | None:
    """Why the least-squares inference is not available, or ``None`` when it is."""
    squared = get_loss(loss).moments_exact  # the loss the OLS formulas are for
    if not (squared and float(penalty) == 0.0):
        what = _LOSS_NAMES.get(loss, "a penalised fit (alpha > 0)" if squared
                               else f"a {loss} fit")
        return (f"standard errors, t, p-values, intervals, F and the likelihood: {what} is not "
                "least squares, and the OLS formulas would give wrong numbers for it; R^2 and "
                "the residual spread are descriptions at the fitted coefficients")
    if n - p <= 0:
        return (f"standard errors, t, p-values, intervals and F: {n} rows leave no residual "
                f"degrees of freedom for {p} parameters (need n > {p})")
    if out_of_range:
        return ("standard errors, t, p-values, intervals and F: the features are too small or "
                "too large for float64 statistics (X^T X or its inverse under- or overflows); "
                "rescale the features (multiply or divide them by a power of ten) and fit again")
    if singular:
        return ("standard errors, t, p-values, intervals and F: the features are collinear or "
                "one is constant (X^T X is singular), so the coefficients are not identified")
    return None


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
    cov: Array | None = None,
    cov_type: str = "nonrobust",
    diagnostics: Any = None,
    missing: Any = None,
    n_groups: int | None = None,
) -> FitSummary:
    """Statistics of the fit ``y ~ intercept + X coef`` from the moments of ``(X, y)``.

    Args:
        stats: the moments of the data the model was fit to (user units).
        intercept: the fitted intercept ``b`` (ignored when ``fit_intercept`` is false).
        coef: the fitted slopes ``w``, one per feature.
        names: the feature names (default ``x1..xd``); the intercept is ``"intercept"``.
        target: the target's name, for the header.
        alpha: ``1 - alpha`` is the confidence level of the intervals (default 0.05: 95%).
        loss: the fit's loss; only ``"squared_error"`` gets inference.
        penalty: the fit's L2 penalty ``alpha``; inference only when it is 0.
        status: why the fit stopped (``stop_reason_``), shown in the summary.
        converged: whether a convergence rule stopped the fit; when false, a note says so.
        fit_intercept: ``False`` for a fit through the origin: then, as statsmodels' ``OLS``
            without a constant, ``p = d``, R^2 is uncentred (``1 - RSS / sum y^2``) and F tests
            all ``d`` slopes.
        cov: a covariance of the parameters to use instead of ``s^2 (X^T X)^-1`` (a robust
            one, :mod:`descend.models.sandwich`); its t become z: normal p-values and
            intervals, statsmodels' default for robust covariances (``use_t=False``).
        cov_type: the name of that covariance, for the table (``HC1``, ``cluster (firm)``).
        diagnostics: the residual diagnostics (:class:`~descend.models.sandwich.Diagnostics`).
        missing: the rows dropped for missing cells (:class:`~descend.data.formula.MissingReport`).
        n_groups: the number of clusters of a cluster-robust ``cov`` (the robust F test's
            denominator degrees of freedom are ``n_groups - 1``, as statsmodels').

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
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha={alpha!r}: the intervals' level 1 - alpha needs 0 < alpha < 1")
    all_names, theta, n = _parameters(stats, intercept, coef, names, fit_intercept)
    gram = _gram(stats, theta, fit_intercept)
    fit = _goodness(gram, n, fit_intercept)
    refusal = _refusal(loss, penalty, n, gram.p, gram.inv is None, gram.out_of_range)
    inf = _Inference()
    if refusal is None:
        assert gram.inv is not None and fit.sigma2 is not None and gram.theta_opt is not None
        inf = _infer(theta, gram, fit.sigma2, n, fit.df_model, fit.df_resid, alpha, status,
                     cov=cov, robust=cov_type != "nonrobust", n_groups=n_groups)
    cond = _condition_number(stats, fit_intercept)
    return FitSummary(
        names=all_names, coef=theta, std_err=inf.std_err, t=inf.t, p_value=inf.p_value,
        conf_int=inf.conf_int, alpha=float(alpha), n=n, **fit.fields(), rss=gram.rss,
        tss=gram.tss, f_statistic=inf.f_stat, f_p_value=inf.f_p, log_likelihood=inf.llf,
        aic=inf.aic, bic=inf.bic, condition_number=cond, gap_se=inf.gap_se, target=target,
        status=status, unavailable=(refusal,) if refusal else inf.unavailable,
        notes=_notes(inf.notes, refused=refusal is not None, converged=converged,
                     status=status, cond=cond),
        cov_type=cov_type, use_t=cov_type == "nonrobust", cov=inf.cov,
        diagnostics=diagnostics, missing=missing, fit_intercept=fit_intercept,
    )


def _parameters(stats: MomentStats, intercept: float, coef: Sequence[float] | Array,
                names: Sequence[str] | None, fit_intercept: bool,
                ) -> tuple[tuple[str, ...], Array, int]:
    """The parameters' names and values (``intercept`` first unless the fit has none) and the
    number of rows."""
    w = np.asarray(coef, dtype=np.float64).ravel()
    d = stats.d
    if w.shape != (d,):
        raise ValueError(f"coef has {w.size} values; the moments are of {d} features")
    feature_names = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(d))
    all_names = ("intercept", *feature_names) if fit_intercept else feature_names
    theta = np.concatenate([[float(intercept)], w]) if fit_intercept else w
    return all_names, theta, int(stats.n)


@dataclass(frozen=True)
class _Goodness:
    df_model: int
    df_resid: int
    r2: float | None
    adj_r2: float | None
    sigma2: float | None

    def fields(self) -> dict[str, Any]:
        """The :class:`FitSummary` fields these give."""
        return {"df_model": self.df_model, "df_resid": self.df_resid, "r2": self.r2,
                "adj_r2": self.adj_r2, "residual_std_error": (
                    math.sqrt(self.sigma2) if self.sigma2 is not None else None)}


def _goodness(gram: _Gram, n: int, fit_intercept: bool) -> _Goodness:
    """Degrees of freedom, R^2 (uncentred through the origin), adjusted R^2 and
    ``s^2 = RSS / (n - p)``."""
    p, rss, tss = gram.p, gram.rss, gram.tss
    df_resid, df_model = n - p, p - 1 if fit_intercept else p
    r2 = 1.0 - rss / tss if tss > 0 else None
    adj_r2 = (1.0 - (1.0 - r2) * (n - (1 if fit_intercept else 0)) / df_resid
              if r2 is not None and df_resid > 0 else None)
    sigma2 = rss / df_resid if df_resid > 0 else None
    return _Goodness(df_model, df_resid, r2, adj_r2, sigma2)


def _notes(notes: Sequence[str], *, refused: bool, converged: bool, status: str | None,
           cond: float | None) -> tuple[str, ...]:
    """The inference's notes, plus a fit that did not converge and a large condition number."""
    out = list(notes)
    if not refused and not converged:
        out.append(f"the fit did not converge (stopped: {status}); the statistics are of the "
                   "coefficients it reached")
    if cond is not None and cond > 1e8:
        out.append(
            f"the condition number is large ({cond:.3g}): the features may be nearly collinear "
            "or on very different scales"
        )
    return tuple(out)


@dataclass(frozen=True)
class _Inference:
    std_err: Array | None = None
    t: Array | None = None
    p_value: Array | None = None
    conf_int: Array | None = None
    cov: Array | None = None
    f_stat: float | None = None
    f_p: float | None = None
    llf: float | None = None
    aic: float | None = None
    bic: float | None = None
    gap_se: float | None = None
    unavailable: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _wald(ws: Array, V: Array, d: int, df_denom: int) -> tuple[float | None, float | None,
                                                              tuple[str, ...]]:
    """statsmodels' robust F: the Wald statistic of all slopes with the robust covariance,
    divided by its rank ``J``, on ``F(J, df_denom)`` (pseudo-inverse when ``J < d``)."""
    from descend.models._tails import f_sf

    rank = int(np.linalg.matrix_rank(V))
    if rank == 0 or df_denom <= 0:
        return None, None, ()
    F = float(ws @ np.linalg.pinv(V) @ ws) / rank
    note = () if rank == d else (
        f"the robust covariance of the slopes has rank {rank} < {d} (too few clusters): the "
        f"F test uses its pseudo-inverse on {rank} degrees of freedom",)
    return F, f_sf(F, rank, df_denom), note


def _infer(theta: Array, gram: _Gram, sigma2: float, n: int, df_model: int, df_resid: int,
           alpha: float, status: str | None, *, cov: Array | None, robust: bool,
           n_groups: int | None = None) -> _Inference:
    """Standard errors, t (or z), p, intervals, the F (or Wald) test and the likelihood."""
    # the tails in the standard library (models/_tails.py): importing scipy.special costs
    # more than a small fit (issue 24: --summary's start-up)
    from descend.models._tails import f_sf, normal_ppf, normal_sf, t_ppf, t_sf2

    assert gram.inv is not None and gram.theta_opt is not None
    p, rss, tss = gram.p, gram.rss, gram.tss
    V = np.asarray(cov, dtype=np.float64) if cov is not None else sigma2 * gram.inv
    std_err = np.sqrt(np.maximum(np.diag(V), 0.0))
    if rss <= 64 * np.finfo(float).eps * max(tss, np.finfo(float).tiny) * p:
        return _Inference(std_err=np.zeros(p), cov=V, notes=(
            "the fit is exact (the residuals are zero to rounding): the standard errors are "
            "0 and t, p-values and F are undefined",))
    gap_se = float(np.max(np.abs(theta - gram.theta_opt) / np.sqrt(sigma2 * np.diag(gram.inv))))
    llf = -0.5 * n * (math.log(2.0 * math.pi * rss / n) + 1.0)
    f_stat = f_p = None
    notes: tuple[str, ...] = ()
    slopes = slice(p - df_model, p)
    withheld: tuple[str, ...] = ()
    if df_model > 0 and not robust and rss > tss:  # F would be negative (a fit cut short)
        withheld = (f"F: the fit's residuals exceed the target's own spread (RSS > TSS; "
                    f"stopped: {status or 'unknown'}), so F would be negative; raise max_iter",)
    elif df_model > 0 and not robust:
        f_stat = ((tss - rss) / df_model) / sigma2
        f_p = f_sf(f_stat, df_model, df_resid)
    elif df_model > 0:
        f_stat, f_p, note = _wald(theta[slopes], V[slopes, slopes], df_model,
                                  df_resid if n_groups is None else n_groups - 1)
        notes += note
    base = _Inference(cov=V, std_err=std_err, f_stat=f_stat, f_p=f_p, llf=llf,
                      aic=2.0 * p - 2.0 * llf, bic=p * math.log(n) - 2.0 * llf, gap_se=gap_se,
                      notes=notes, unavailable=withheld)
    if gap_se > GAP_LIMIT:
        return _Inference(**{**base.__dict__, "unavailable": withheld + (
            f"t, p-values and intervals: the coefficients are {gap_se:.3g} standard errors "
            f"from the least-squares optimum (the fit stopped: {status or 'unknown'}), so the "
            "least-squares t and p would describe numbers the fit did not reach; raise "
            "max_iter or lower tol",)})
    t = theta / std_err
    if robust:  # z tests, as statsmodels' robust covariances (use_t=False)
        p_value = np.array([2.0 * normal_sf(abs(float(v))) for v in t])
        q = normal_ppf(1.0 - float(alpha) / 2.0)
    else:
        p_value = np.array([t_sf2(float(v), df_resid) for v in t])
        q = t_ppf(1.0 - float(alpha) / 2.0, df_resid)
    conf_int = np.column_stack([theta - q * std_err, theta + q * std_err])
    return _Inference(**{**base.__dict__, "t": t, "p_value": p_value, "conf_int": conf_int})
