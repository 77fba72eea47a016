"""The text table of a :class:`~descend.models.inference.FitSummary` (statsmodels' layout).

``str(summary)`` and its Jupyter ``<pre>`` are this rendering; the numbers come from
:func:`descend.models.inference.ols_summary`, which computes them from the moments.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

#: ``FitSummary`` below is :class:`descend.models.inference.FitSummary` (not imported: it
#: imports this module to render itself).
FitSummary = Any

__all__ = ["render"]


def _g(v: float | None, fmt: str = ".6g") -> str:
    return "n/a" if v is None or not math.isfinite(v) else format(v, fmt)


def render(s: FitSummary) -> str:
    """The summary as a text table, laid out like statsmodels' ``summary()``."""
    width = 78
    left = [
        ("Dep. variable:", s.target or "y"),
        ("Observations:", str(s.n)),
        ("Df residuals:", str(s.df_resid)),
        ("Df model:", str(s.df_model)),
        ("Residual std. error:", _g(s.residual_std_error)),
        ("Cond. no.:", _g(s.condition_number, ".3g")),
    ]
    r2_label = "R-squared:" if s.fit_intercept else "R-sq. (uncentred):"
    right = [
        (r2_label, _g(s.r2)),
        ("Adj. R-squared:", _g(s.adj_r2)),
        ("F-statistic:", _g(s.f_statistic)),
        ("Prob (F-statistic):", _g(s.f_p_value, ".4g")),
        ("Log-likelihood:", _g(s.log_likelihood, ".8g")),
        ("AIC / BIC:", f"{_g(s.aic, '.6g')} / {_g(s.bic, '.6g')}"),
    ]
    if s.cov_type != "nonrobust":
        left.append(("Covariance type:", s.cov_type))
        right.append(("Distribution:", "normal (z)"))
    lines = ["Least-squares statistics of the fit".center(width), "=" * width]
    for (a, av), (c, cv) in zip(left, right, strict=True):
        lines.append(f"{a:<21}{av:>17}  {c:<21}{cv:>17}")
    lines.append("=" * width)
    lines += _coefficient_rows(s, width)
    lines.append("=" * width)
    if s.diagnostics is not None:
        lines += _diagnostic_rows(s)
        lines.append("=" * width)
    footer = [f"Intervals at {1.0 - s.alpha:.0%}"
              + ("" if s.use_t else f" from the normal distribution ({s.cov_type} covariance)")
              + f". Assumes: {_assumptions(s)}."]
    if s.missing is not None:
        footer.append(s.missing.sentence() + ".")
    footer += [f"Not available: {u}." for u in s.unavailable]
    footer += [f"Note: {note}." for note in s.notes]
    for text in footer:
        lines.extend(textwrap.wrap(text, width, subsequent_indent="  "))
    return "\n".join(lines)


def _assumptions(s: FitSummary) -> str:
    if s.cov_type == "nonrobust":
        return s.assumptions
    if s.cov_type.startswith("cluster"):
        return ("independent clusters (rows within a cluster may be correlated, with any "
                "variances); many clusters for the normal approximation; the coefficients are "
                "the least-squares optimum only when the fit converged")
    return ("independent rows whose errors may have different variances (heteroskedasticity-"
            f"consistent, {s.cov_type}); large n for the normal approximation; the coefficients "
            "are the least-squares optimum only when the fit converged")


def _coefficient_rows(s: FitSummary, width: int) -> list[str]:
    lo, hi = f"[{s.alpha / 2:.3g}", f"{1 - s.alpha / 2:.3g}]"
    name_w = max(12, *(len(n) for n in s.names))
    stat, prob = ("t", "P>|t|") if s.use_t else ("z", "P>|z|")
    lines = [f"{'':<{name_w}}{'coef':>12}{'std err':>11}{stat:>9}{prob:>9}{lo:>12}{hi:>12}",
             "-" * max(width, name_w + 65)]
    for j, name in enumerate(s.names):
        se = _g(None if s.std_err is None else s.std_err[j], ".4g")
        tv = _g(None if s.t is None else s.t[j], ".3f")
        pv = _g(None if s.p_value is None else s.p_value[j], ".3f")
        ci = ("n/a", "n/a") if s.conf_int is None else (
            format(s.conf_int[j, 0], ".5g"), format(s.conf_int[j, 1], ".5g"))
        lines.append(
            f"{name:<{name_w}}{s.coef[j]:>12.6g}{se:>11}{tv:>9}{pv:>9}{ci[0]:>12}{ci[1]:>12}"
        )
    return lines


def _diagnostic_rows(s: FitSummary) -> list[str]:
    dg = s.diagnostics
    left = [("Omnibus:", _g(dg.omnibus, ".3f")), ("Prob(Omnibus):", _g(dg.omnibus_p, ".3f")),
            ("Skew:", _g(dg.skew, ".3f")), ("Kurtosis:", _g(dg.kurtosis, ".3f"))]
    right = [("Durbin-Watson:", _g(dg.durbin_watson, ".3f")),
             ("Jarque-Bera (JB):", _g(dg.jarque_bera, ".3f")),
             ("Prob(JB):", _g(dg.jarque_bera_p, ".3g")), ("", "")]
    return [f"{a:<21}{av:>17}  {c:<21}{cv:>17}".rstrip()
            for (a, av), (c, cv) in zip(left, right, strict=True)]
