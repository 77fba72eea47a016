"""Residual plots of a least-squares fit: residuals against fitted values, a normal Q-Q plot,
and leverage against standardised residuals with contours of Cook's distance.

With ``e_i`` the residual, ``h_i = x_i^T (X^T X)^-1 x_i`` the leverage (computed by
:func:`descend.models.analysis.influence` from the bread, row by row), ``s^2 = RSS / (n - p)`` and ``p`` the number of
parameters:

    r_i = e_i / (s sqrt(1 - h_i))                 (internally studentised residual)
    D_i = r_i^2 h_i / (p (1 - h_i))               (Cook's distance, Cook 1977)

so the contour ``D = c`` is ``r = +-sqrt(c p (1 - h) / h)``. Large tables are drawn from an
even sample of at most ``max_points`` rows (the title says so); the sample is a view of the
fit, never refitted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

__all__ = ["residual_plots"]


def residual_plots(fitted: Array, resid: Array, leverage: Array, studentised: Array, p: int,
                   *, target: str | None = None, max_points: int = 20_000,
                   title: str | None = None) -> Any:
    """A matplotlib Figure with the three panels, from a fit's per-row quantities.

    ``fitted``, ``resid``, ``leverage`` and ``studentised`` are per row (as
    :func:`descend.models.analysis.influence` gives them); ``p`` is the number of parameters.
    """
    from scipy import stats as sps

    from descend.plot._style import new_figure

    n = fitted.shape[0]
    if n > max_points:
        idx = np.linspace(0, n - 1, max_points).astype(np.int64)
        fitted, resid, leverage, studentised = (a[idx] for a in (fitted, resid, leverage,
                                                                  studentised))
    h = np.clip(leverage, 0.0, 1.0 - 1e-12)
    fig = new_figure((15, 4.8))  # a Figure of its own: nothing registered with pyplot
    axes = fig.subplots(1, 3)
    _fitted_panel(axes[0], fitted, resid)
    _qq_panel(axes[1], studentised, sps)
    _leverage_panel(axes[2], h, studentised, p)
    head = title or f"Residuals of {target or 'y'}"
    sampled = f" (an even sample of {fitted.shape[0]:,} of {n:,} rows)" if n > max_points else ""
    fig.suptitle(f"{head}: n = {n:,}, p = {p}{sampled}")
    return fig


def _fitted_panel(ax: Any, fitted: Array, e: Array) -> None:
    ax.scatter(fitted, e, s=9, alpha=0.6, color="#1f77b4", edgecolors="none")
    ax.axhline(0.0, color="#444", lw=1)
    order = np.argsort(fitted)
    k = max(5, len(e) // 20)
    smooth = np.convolve(e[order], np.ones(k) / k, mode="valid")
    ax.plot(fitted[order][k // 2: k // 2 + smooth.size], smooth, color="#d62728", lw=1.6,
            label=f"running mean of {k} residuals")
    ax.set(xlabel="fitted value", ylabel="residual", title="Residuals vs fitted")
    ax.legend(loc="best", fontsize=8)


def _qq_panel(ax: Any, r: Array, sps: Any) -> None:
    n = r.size
    theory = sps.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))  # Blom's positions
    ax.scatter(theory, np.sort(r), s=9, alpha=0.6, color="#1f77b4", edgecolors="none")
    lim = float(max(np.abs(theory).max(), np.abs(r).max()))
    ax.plot([-lim, lim], [-lim, lim], color="#444", lw=1, label="normal errors")
    ax.set(xlabel="normal quantile", ylabel="studentised residual", title="Normal Q-Q")
    ax.legend(loc="upper left", fontsize=8)


def _leverage_panel(ax: Any, h: Array, r: Array, p: int) -> None:
    ax.scatter(h, r, s=9, alpha=0.6, color="#1f77b4", edgecolors="none")
    ax.axhline(0.0, color="#444", lw=1)
    hh = np.linspace(max(float(h.min()), 1e-6), max(float(h.max()) * 1.05, 2.0 * p / h.size),
                     200)
    for c, style in ((0.5, "--"), (1.0, "-")):
        bound = np.sqrt(c * p * (1.0 - hh) / hh)
        ax.plot(hh, bound, color="#d62728", ls=style, lw=1, label=f"Cook's distance {c:g}")
        ax.plot(hh, -bound, color="#d62728", ls=style, lw=1)
    top = float(max(np.abs(r).max() * 1.15, 3.0))
    ax.set_ylim(-top, top)
    ax.set(xlabel="leverage h", ylabel="studentised residual", title="Residuals vs leverage")
    worst = np.argsort(-(r**2 * h / (p * (1.0 - h))))[:3]
    for i in worst:
        ax.annotate(str(int(i) + 1), (h[i], r[i]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    ax.legend(loc="lower left", fontsize=8)
