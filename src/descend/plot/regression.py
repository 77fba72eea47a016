"""Pictures of a fitted linear model: the fit itself and the loss surface GD walked through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from descend.errors import InputError
from descend.geometry import (  # noqa: F401 - least_squares, mse_grid re-exported
    contour_levels,
    least_squares,
    loss_grid,
    mse_grid,
    regression_window,
)
from descend.plot._data import Array
from descend.plot._style import (
    FIELD_CMAP,
    MIN_COLOR,
    axes_or_new,
    color,
    distinct_labels,
    fmt_num,
    style_axes,
)

__all__ = [
    "fit_plot",
    "least_squares",
    "mse_grid",
    "regression_loss_surface",
    "regression_window",
]


def _as_2d(X: Any) -> Array:
    A = np.asarray(X, dtype=float)
    return A.reshape(-1, 1) if A.ndim == 1 else A


def fit_plot(
    X: Any,
    y: Any,
    *,
    coef: Any,
    intercept: float,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
    title: str | None = None,
    ax: Axes | None = None,
    verdict: str | None = None,
) -> Figure:
    """The data and the fitted model, in the data's own units and column names.

    One feature: the points and the line ``target = intercept + coef * feature``.
    Several: predicted against actual with the identity line (points on it are perfect).
    ``verdict`` (the fit's, :mod:`descend.loop.verdict`): a diverged, unbounded or oscillating
    fit is named as such and no R² is printed for it (its line is not a fit).
    """
    A = _as_2d(X)
    yv = np.asarray(y, dtype=float).ravel()
    w = np.asarray(coef, dtype=float).ravel()
    if A.shape[1] != len(w):
        raise InputError(f"coef has {len(w)} values but X has {A.shape[1]} columns")
    names = list(feature_names) if feature_names else [f"x{i + 1}" for i in range(A.shape[1])]
    ax = axes_or_new(ax, (6.4, 4.6))
    fig = ax.figure
    pred = intercept + A @ w
    ss_res = float(np.sum((yv - pred) ** 2))
    ss_tot = float(np.sum((yv - yv.mean()) ** 2))
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    failed = verdict in ("diverged", "unbounded_below", "oscillating")
    r2_text = (f"{str(verdict).replace('_', ' ')}: no R², not a fit" if failed
               else f"R² = {r2:.3f}" if np.isfinite(r2) else "R² undefined")
    if A.shape[1] == 1:
        ax.scatter(A[:, 0], yv, s=26, color=color(1), alpha=0.75, edgecolor="white", lw=0.5,
                   label="data", zorder=3).set_gid("data")
        lo, hi = float(A[:, 0].min()), float(A[:, 0].max())
        pad = 0.04 * (hi - lo or 1.0)
        xs = np.linspace(lo - pad, hi + pad, 200)
        sign = "+" if w[0] >= 0 else "−"
        eq = f"{target_name} = {intercept:.4g} {sign} {abs(w[0]):.4g}·{names[0]}"
        (line,) = ax.plot(xs, intercept + w[0] * xs, color=color(0), lw=2.5,
                          label=f"fit: {eq}  ({r2_text})", zorder=4)
        line.set_gid("fit-line")
        ax.set_xlabel(names[0])
        ax.set_ylabel(target_name)
        ax.set_title(title or f"{target_name} against {names[0]}")
    else:
        ax.scatter(yv, pred, s=24, color=color(1), alpha=0.75, edgecolor="white", lw=0.5,
                   label=f"observations ({r2_text})", zorder=3).set_gid("data")
        lo = float(min(yv.min(), pred.min()))
        hi = float(max(yv.max(), pred.max()))
        (line,) = ax.plot([lo, hi], [lo, hi], "--", color="#444", lw=1.4,
                          label="perfect prediction (identity)")
        line.set_gid("identity")
        ax.set_xlabel(f"actual {target_name}")
        ax.set_ylabel(f"predicted {target_name}")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(title or f"Predicted against actual {target_name} ({len(w)} features)")
    style_axes(ax)
    ax.legend(loc="upper left", fontsize=8.5)
    return fig  # type: ignore[return-value]


def _exit_fraction(a: Array, b: Array, xl: tuple[float, float], yl: tuple[float, float]) -> float:
    """The fraction t in [0, 1] where segment a -> b leaves the box xl x yl (a is inside)."""
    t = 1.0
    for lo, hi, k in ((xl[0], xl[1], 0), (yl[0], yl[1], 1)):
        d = b[k] - a[k]
        if d > 0 and b[k] > hi:
            t = min(t, (hi - a[k]) / d)
        elif d < 0 and b[k] < lo:
            t = min(t, (lo - a[k]) / d)
    return float(max(0.0, t))


def regression_loss_surface(
    X: Any,
    y: Any,
    history: Any = None,
    *,
    feature_name: str = "x",
    target_name: str = "y",
    label: str | None = None,
    paths: Sequence[Any] | None = None,
    labels: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    colors: Sequence[str] | None = None,
    loss: str = "squared_error",
    epsilon: float = 1.35,
) -> Figure:
    """The mean loss over (intercept, slope) as contours, with the descent path on it.

    ``loss``/``epsilon``: the fit's loss (default the squared error) and its huber threshold
    in the target's units; the surface, its colour bar and title name that loss.

    ``history``: the parameters at each iteration, ``(k, 2)`` as (intercept, slope) in the
    data's units (``LinearRegression.history_``); ``paths``/``labels`` draw several (a sweep).
    In raw units this valley is extremely elongated (curvature ~ mean(x²) across it, ~1 along
    it), so the window is fitted to the path and the exact minimum, axes are *not* equally
    scaled, and levels are geometric above the minimum so the valley floor shows.
    """
    xv = np.asarray(X, dtype=float)
    if xv.ndim == 2 and xv.shape[1] != 1:
        raise InputError(f"the loss surface needs one feature; X has {xv.shape[1]} columns")
    xv = xv.ravel()
    yv = np.asarray(y, dtype=float).ravel()
    b0, w = least_squares(xv, yv)
    m0 = float(w[0])
    all_paths, all_labels = _surface_paths(history, label, paths, labels)
    wx, wy = regression_window(xv, yv, all_paths)
    xl = xlim or wx
    yl = ylim or wy

    ax = axes_or_new(ax, (7.0, 5.2))
    B, M = np.meshgrid(np.linspace(*xl, 220), np.linspace(*yl, 220))
    from descend.losses import get_loss

    loss_label = get_loss(loss).label
    _draw_surface(ax, B, M, loss_grid(xv, yv, B, M, loss=loss, epsilon=epsilon), loss_label)
    scale = float(max(abs(xl[0]), abs(xl[1]), abs(yl[0]), abs(yl[1])))
    ax.plot(b0, m0, "X", ms=13, color=MIN_COLOR, mec="black", mew=1, zorder=7,
            label=f"least squares ({fmt_num(b0, scale)}, {fmt_num(m0, scale)})")[0].set_gid(
        "minimum"
    )
    for i, (p, lab) in enumerate(zip(all_paths, all_labels, strict=True)):
        c = colors[i] if colors is not None and i < len(colors) else color(i)
        _draw_path(ax, i, p, lab, c, xl, yl)
    ax.set_xlim(*xl)
    ax.set_ylim(*yl)
    ax.set_xlabel(f"intercept ({target_name})")
    ax.set_ylabel(f"slope ({target_name} per {feature_name})")
    ax.set_title(title or f"Loss surface: {loss_label} over (intercept, slope)",
                 fontweight="bold")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2, fontsize=8.5,
              frameon=False)
    return ax.figure  # type: ignore[return-value]


def _surface_paths(history: Any, label: str | None, paths: Sequence[Any] | None,
                   labels: Sequence[str] | None) -> tuple[list[Array], list[str]]:
    """The paths to draw (``history`` first) and their legend labels."""
    all_paths = [np.asarray(history, dtype=float)] if history is not None else []
    all_labels = [label or "gradient descent"] if history is not None else []
    if paths is not None:
        all_paths += [np.asarray(p, dtype=float) for p in paths]
        all_labels += list(labels) if labels else [f"run {i + 1}" for i in range(len(paths))]
    return all_paths, all_labels


def _draw_surface(ax: Axes, B: Array, M: Array, Z: Array, loss_label: str) -> None:
    """Filled contours of the loss, geometric above the minimum, with their colour bar."""
    levels, _ = contour_levels(Z, n=16, geometric=True)
    norm = BoundaryNorm(levels, ncolors=256, extend="max")
    cf = ax.contourf(B, M, Z, levels=levels, cmap=FIELD_CMAP, norm=norm, alpha=0.92,
                     extend="max")
    ax.contour(B, M, Z, levels=levels, colors="#2b3a4a", linewidths=0.6, alpha=0.5)
    cb = ax.figure.colorbar(cf, ax=ax, shrink=0.95, pad=0.02)
    cb.set_label(loss_label)
    ticks = levels[:: max(1, len(levels) // 7)]
    cb.set_ticks(list(ticks), labels=distinct_labels(ticks))


def _draw_path(ax: Axes, i: int, p: Array, lab: str, c: str, xl: tuple[float, float],
               yl: tuple[float, float]) -> None:
    """Path ``i`` in colour ``c``: its walk inside the window, its start, and a step that
    jumps out of the window as a dashed arrow to the edge."""
    ms = 3 if len(p) <= 150 else 1.6
    inside = ((p[:, 0] >= xl[0]) & (p[:, 0] <= xl[1]) & (p[:, 1] >= yl[0]) & (p[:, 1] <= yl[1]))
    # A step that jumps out of the window is not drawn as a walk across it (its straight
    # segment would seem to pass the minimum): it becomes a dashed jump to the edge.
    ends_outside = len(p) > 1 and not inside[-1] and inside[0]
    run_in = p[: int(np.argmin(inside))] if ends_outside else p
    (line,) = ax.plot(run_in[:, 0], run_in[:, 1], "-o", color=c, lw=1.6, ms=ms, mec="white",
                      mew=0.3, label=f"{lab} ({len(p) - 1} steps)", zorder=5)
    line.set_gid(f"path-{i}")
    ax.plot(p[0, 0], p[0, 1], "o", ms=8, mfc="white", mec=c, mew=2, zorder=6)
    if not ends_outside:
        return
    k = len(run_in)
    a, b = p[k - 1], p[k]
    t = _exit_fraction(a, b, xl, yl)
    edge = a + t * (b - a)
    ax.annotate("", xy=(float(edge[0]), float(edge[1])), xytext=(float(a[0]), float(a[1])),
                arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1.6, "ls": "--"},
                zorder=6).set_gid(f"jump-{i}")
    ax.annotate(f"step {k}: jumps to ({b[0]:.3g}, {b[1]:.3g})",
                (float(edge[0]), float(edge[1])), xytext=(6, -12),
                textcoords="offset points", fontsize=8, color=c, zorder=7,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": c, "alpha": 0.9})
