"""Contour maps of a 2-D function: gradient arrows, the minimum, descent paths, races."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from descend.geometry import contour_levels, marked_minima
from descend.plot._data import (
    VERDICT_WORDS,
    Array,
    Field,
    as_field,
    as_paths,
    choose_window,
    find_minimum,
    path_verdicts,
)
from descend.plot._style import (
    ARROW_COLOR,
    FIELD_CMAP,
    MIN_COLOR,
    axes_or_new,
    color,
    distinct_labels,
    fmt_num,
)

__all__ = ["gradient_field", "optimizer_race", "contour_levels"]


def _draw_contours(
    ax: Axes, field: Field, xlim: tuple[float, float], ylim: tuple[float, float], *,
    colorbar: bool, filled: bool = True, n: int = 160,
) -> Any:
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = field.values(X, Y)
    levels, geometric = contour_levels(Z)
    if filled:
        # One colour per band, whatever the spacing: geometric levels stay readable.
        norm = BoundaryNorm(levels, ncolors=256, extend="max")
        cf = ax.contourf(X, Y, Z, levels=levels, cmap=FIELD_CMAP, norm=norm, alpha=0.92,
                         extend="max")
    cs = ax.contour(X, Y, Z, levels=levels, colors="#2b3a4a", linewidths=0.7, alpha=0.55)
    cs.set_gid("contours")
    if colorbar and filled:
        label = f"f({field.names[0]}, {field.names[1]})"
        if field.formula and len(field.formula) <= 24:
            label += f" = {field.formula}"
        cb = ax.figure.colorbar(cf, ax=ax, shrink=0.95, pad=0.02)
        cb.set_label(label)
        if geometric:
            ticks = levels[:: max(1, len(levels) // 7)]
            cb.set_ticks(list(ticks), labels=distinct_labels(ticks))
    return cs


def _draw_arrows(
    ax: Axes, field: Field, xlim: tuple[float, float], ylim: tuple[float, float], n: int
) -> Any:
    """Gradient arrows on an ``n``-wide grid, in data units so they cross contours at 90 deg.

    Arrow length follows the gradient's size (the tutorial's "steepness") when sizes are
    comparable; when they span decades only the direction is drawn, at one length.
    """
    wx, wy = xlim[1] - xlim[0], ylim[1] - ylim[0]
    step = max(wx, wy) / n
    nx, ny = max(int(round(wx / step)), 2), max(int(round(wy / step)), 2)
    xs = xlim[0] + (np.arange(nx) + 0.5) * wx / nx
    ys = ylim[0] + (np.arange(ny) + 0.5) * wy / ny
    X, Y = np.meshgrid(xs, ys)
    U, V = field.gradient(X, Y)
    mag = np.hypot(U, V)
    ok = np.isfinite(mag) & (mag > 0)
    if not np.any(ok):
        return None
    m = mag[ok]
    longest = 0.85 * step
    if np.quantile(m, 0.9) / max(np.quantile(m, 0.1), 1e-300) < 12:
        scale = longest / np.quantile(m, 0.95)
        length = np.minimum(mag * scale, longest)
    else:
        length = np.full_like(mag, 0.7 * step)
    with np.errstate(all="ignore"):
        Ud = np.where(ok, U / mag * length, 0.0)
        Vd = np.where(ok, V / mag * length, 0.0)
    q = ax.quiver(
        X[ok], Y[ok], Ud[ok], Vd[ok],
        angles="xy", scale_units="xy", scale=1.0, color=ARROW_COLOR, alpha=0.8,
        width=0.0035, headwidth=3.5, headlength=4, headaxislength=3.6, zorder=3,
        label="gradient ∇f (steepest ascent)",
    )
    q.set_gid("gradient-arrows")
    return q


def _draw_paths(ax: Axes, paths: Sequence[Array], labels: Sequence[str], field: Field,
                verdicts: Sequence[str | None] = ()) -> None:
    """Each path with a marker per step; its legend entry carries the run's verdict.

    Paths are drawn widest first (the first under the others, each a little thinner), so a
    path that runs under a later one stays visible as a coloured rim.
    """
    many = len(paths) > 1
    for i, (p, label) in enumerate(zip(paths, labels, strict=True)):
        c = color(i)
        k = len(p) - 1
        ms = 3.2 if k <= 150 else 1.8
        verdict = verdicts[i] if i < len(verdicts) else None
        said = f": {VERDICT_WORDS.get(verdict, verdict)}" if verdict else ""
        full = f"{label}{said} ({k} steps)" if label else f"{k} steps{said}"
        if many:
            fin = p[np.all(np.isfinite(p), axis=1)]
            fv = field.values(fin[-1:, 0:1], fin[-1:, 1:2])[0, 0] if len(fin) else np.nan
            full = f"{label}{said or ':'}{',' if said else ''} {k} steps, f = {float(fv):.4g}"
        lw = 1.8 + 1.6 * (len(paths) - 1 - i) if many else 1.8
        (line,) = ax.plot(
            p[:, 0], p[:, 1], "-o", color=c, lw=lw, ms=ms + (lw - 1.8),
            mec="white" if k <= 150 else c, mew=0.4,
            label=full, zorder=5, clip_on=True,
        )
        line.set_gid(f"path-{i}")
        ax.plot(
            p[0, 0], p[0, 1], "o", ms=9, mfc="white", mec=c, mew=2.2, zorder=6,
            label="start" if i == 0 else None,
        )
        fin = p[np.all(np.isfinite(p), axis=1)]
        if len(fin):
            ax.plot(fin[-1, 0], fin[-1, 1], "s", ms=6, color=c, mec="black", mew=0.8, zorder=6,
                    label="end" if i == 0 else None)


def _draw_stars(ax: Axes, stars: Sequence[Array], scale: float) -> None:
    """A × at each minimum (the explorer page's mark); one legend entry (with the point when there is one star)."""
    for j, m in enumerate(stars):
        where = f"({fmt_num(m[0], scale)}, {fmt_num(m[1], scale)})"
        ax.plot(
            m[0], m[1], "X", ms=13, color=MIN_COLOR, mec="black", mew=1.0, zorder=7,
            label=(f"minimum {where}" if len(stars) == 1 else
                   "minima where runs converged" if j == 0 else None),
        )[0].set_gid("minimum" if j == 0 else f"minimum-{j}")


def _results(paths: Any) -> list[Any]:
    if hasattr(paths, "history"):
        return [paths]
    return [p for p in (paths or []) if hasattr(p, "history")]


def gradient_field(
    fun: Any,
    paths: Any = None,
    *,
    labels: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    arrows: bool | int = True,
    minimum: Array | None | Literal["auto"] = "auto",
    title: str | None = None,
    colorbar: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Contour map of a function of two variables with its gradient arrows and descent paths.

    ``fun``: an Objective of two variables, a :class:`~descend.plot.Field` or a callable
    ``f(X, Y)`` (broadcasting over grids, or scalar; its gradient is then taken by central
    differences). ``paths``: an OptimizeResult, a ``(k, 2)`` array, a list of these or a
    ``{label: path}`` mapping; each is drawn with a marker per step. The window holds the paths
    and the minimum unless ``xlim``/``ylim`` are given. Axes use equal scaling so the gradient
    arrows meet the contour lines at right angles as they do in the plane. ``arrows`` is True,
    False or the number of arrows across. ``minimum``: ``"auto"`` (searched in the window),
    None (not marked) or a point.
    """
    field = as_field(fun)
    path_list, path_labels = as_paths(paths, labels)
    xl, yl = choose_window(path_list, xlim=xlim, ylim=ylim)
    if isinstance(minimum, str):
        if minimum != "auto":
            raise ValueError(f"minimum={minimum!r}: give 'auto', None or a point")
        mpt = find_minimum(field, xl, yl)
        if xlim is None and ylim is None and mpt is not None and not path_list:
            xl, yl = choose_window([], center=mpt)
    else:
        mpt = None if minimum is None else np.asarray(minimum, dtype=float)
    if xlim is None and ylim is None and path_list and mpt is not None:
        xl, yl = choose_window(path_list, center=mpt)

    own = ax is None
    if ax is None:
        # Size the figure to the window so equal scaling leaves no empty bands.
        ratio = (yl[1] - yl[0]) / (xl[1] - xl[0])
        ax = axes_or_new(None, (7.0, float(np.clip(5.0 * ratio + 1.7, 3.6, 8.5))))
    fig = ax.figure
    _draw_contours(ax, field, xl, yl, colorbar=colorbar)
    if arrows:
        n = 15 if arrows is True else int(arrows)
        _draw_arrows(ax, field, xl, yl, n)
    verdicts = path_verdicts(paths)
    stars = [mpt] if mpt is not None else []
    if isinstance(minimum, str) and any(v == "converged" for v in verdicts):
        # the runs were judged: star where they converged, not one search's answer elsewhere
        stars = marked_minima(_results(paths))
    _draw_stars(ax, stars, max(xl[1] - xl[0], yl[1] - yl[0]))
    _draw_paths(ax, path_list, path_labels, field, verdicts)
    ax.set_xlim(*xl)
    ax.set_ylim(*yl)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(field.names[0])
    ax.set_ylabel(field.names[1])
    if title is None:
        f = f"f = {field.formula}" if field.formula else "f"
        title = f"Gradient field of {f}" if arrows else f"Contours of {f}"
    ax.set_title(title, fontweight="bold")
    handles, texts = ax.get_legend_handles_labels()
    if handles:
        # the runs first, then the start and end markers they share (drawn with the first run)
        order = sorted(range(len(texts)), key=lambda i: texts[i] in ("start", "end"))
        handles, texts = [handles[i] for i in order], [texts[i] for i in order]
        wide = max(len(t) for t in texts) > 30
        ncols = 1 if wide else 3
        ax.legend(handles, texts, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=ncols,
                  fontsize=8.5, frameon=False)
        if own and isinstance(fig, Figure):  # make room for the legend rows below the axes
            rows = -(-len(handles) // ncols)
            w, h = fig.get_size_inches()
            fig.set_size_inches(w, h + 0.2 * max(rows - 2, 0))
    return fig  # type: ignore[return-value]


def optimizer_race(
    fun: Any,
    paths: Any,
    *,
    labels: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Several optimizers' paths on one contour map, with a legend of steps and final value.

    ``paths``: a ``{label: path}`` mapping or a list of OptimizeResults (labelled by their
    optimizer and learning rate).
    """
    field = as_field(fun)
    if title is None:
        title = f"Optimizer race on {field.formula}" if field.formula else "Optimizer race"
    return gradient_field(
        field, paths, labels=labels, xlim=xlim, ylim=ylim, arrows=False, title=title, ax=ax
    )
