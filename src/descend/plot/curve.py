"""Functions of one variable: the curve, tangent lines with their slopes, descent along it.

Tutorial 002 starts here: the slope of x² is 6 at x = 3 and 8 at x = 4 -- two tangent lines,
``y = f(a) + f'(a)(x - a)``, each labelled with its slope. A descent path is drawn on the
curve, ``(x_k, f(x_k))``, its steps numbered, so a step that overshoots the bottom is seen
jumping to the other side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from descend.errors import InputError
from descend.plot._data import VERDICT_WORDS
from descend.plot._style import axes_or_new, color, fmt_num, style_axes

__all__ = ["curve_plot", "tangent_line"]

Array = np.ndarray

# Okabe-Ito colours for tangents (paths use PALETTE from the start, so pick distinct ones).
_TANGENT_COLORS = ("#CC79A7", "#009E73", "#E69F00", "#56B4E9")


def _value(fun: Any, x: float) -> float:
    try:
        with np.errstate(all="ignore"):
            return float(fun.value(np.array([x], dtype=np.float64)))
    except (ArithmeticError, ValueError):
        return math.nan


def _slope(fun: Any, x: float) -> float:
    try:
        with np.errstate(all="ignore"):
            return float(fun.grad(np.array([x], dtype=np.float64))[0])
    except (ArithmeticError, ValueError):
        return math.nan


def tangent_line(fun: Any, a: float) -> tuple[float, float]:
    """``(f(a), f'(a))``: the tangent at ``a`` is ``y = f(a) + f'(a)·(x - a)``.

    >>> from descend.expr import function
    >>> tangent_line(function("x**2"), 3.0)
    (9.0, 6.0)
    """
    return _value(fun, a), _slope(fun, a)


def _paths(results: Any) -> list[tuple[Array, str, str]]:
    out = []
    for i, r in enumerate(results or []):
        hist = getattr(r, "history", None)
        xs = np.asarray(hist.x if hist is not None else r, dtype=np.float64).reshape(-1)
        verdict = getattr(r, "verdict", None)  # the run's claim, not only its stopping rule
        status = (VERDICT_WORDS.get(str(verdict), str(verdict)) if verdict is not None
                  else str(getattr(r, "status", "")))
        name = str(getattr(r, "optimizer", "") or f"run {i + 1}")
        out.append((xs, name, status))
    return out


def curve_plot(
    fun: Any,
    results: Any = None,
    *,
    tangents: Sequence[float] = (),
    xlim: tuple[float, float] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The curve ``y = f(x)`` of a one-variable Objective, tangents and descent paths on it.

    Args:
        fun: an Objective with ``n == 1`` (``descend.function("x**2")``).
        results: OptimizeResults (or arrays of iterates) to draw along the curve.
        tangents: points ``a``; each gets its tangent ``y = f(a) + f'(a)(x - a)`` labelled
            ``slope f'(a) at x = a``.
        xlim: the x window (default: holds the tangent points and the paths' finite iterates).
        title: the panel title (default: ``f(x) = <formula>``).
        ax: draw into these axes instead of a new figure.

    Returns:
        The Figure.
    """
    if isinstance(fun, str):  # an expression's text, as every other entry point takes it
        from descend.expr import function

        fun = function(fun)
    if getattr(fun, "n", None) != 1:
        raise InputError(
            f"curve_plot draws functions of one variable; this one has {getattr(fun, 'n', '?')}"
        )
    name = tuple(getattr(fun, "variables", ("x",)))[0]
    paths = _paths(results)
    if xlim is None:
        xlim = _curve_window(tangents, paths)
    X = np.linspace(xlim[0], xlim[1], 600)
    Y = np.array([_value(fun, v) for v in X])
    ax = axes_or_new(ax, (7.0, 5.0))
    ax.plot(X, Y, color="#1b2430", lw=2.2, label=f"f({name})", zorder=3)
    fin = Y[np.isfinite(Y)]
    if len(fin):
        ylo, yhi = float(fin.min()), float(fin.max())
        pad = (yhi - ylo) * 0.08 or 1.0
        ax.set_ylim(ylo - pad, yhi + pad)
    ax.set_xlim(*xlim)
    for i, a in enumerate(tangents):
        _draw_tangent(ax, fun, name, i, a, xlim[1] - xlim[0])
    for j, (xs, label, status) in enumerate(paths):
        _draw_descent(ax, fun, name, j, xs, f"{label}: {len(xs) - 1} steps, {status}", xlim)
    ax.axhline(0, color="#9aa5b1", lw=0.8, zorder=1)
    ax.set_xlabel(name)
    ax.set_ylabel(f"f({name})")
    formula = getattr(fun, "formula", "")
    ax.set_title(title if title is not None else (f"f({name}) = {formula}" if formula else ""))
    ax.legend(loc="upper center", fontsize=9, framealpha=0.9)
    style_axes(ax)
    return ax.figure  # type: ignore[return-value]


def _curve_window(tangents: Sequence[float], paths: list[Any]) -> tuple[float, float]:
    """An x window holding 0, the tangent points and the paths' finite iterates."""
    pts = [float(a) for a in tangents]
    for xs, _, status in paths:
        fin = xs[np.isfinite(xs)]
        if len(fin):
            # a diverged run's last iterates are astronomically far: keep the window on its
            # first few, and say in the legend where the run went.
            keep = fin[:12] if status == "diverged" else fin
            pts += [float(keep.min()), float(keep.max())]
    if not pts:
        return (-3.0, 3.0)
    lo, hi = min(pts + [0.0]), max(pts + [0.0])
    pad = max((hi - lo) * 0.15, 1.0)
    return (lo - pad, hi + pad)


def _draw_tangent(ax: Axes, fun: Any, name: str, i: int, a: Any, span: float) -> None:
    """Tangent ``i`` at ``a``: ``y = f(a) + f'(a)(x - a)``, its point and its slope's label."""
    fa, s = tangent_line(fun, float(a))
    if not (math.isfinite(fa) and math.isfinite(s)):
        raise InputError(f"f or its slope is not finite at {name} = {a:g}; choose another point")
    c = _TANGENT_COLORS[i % len(_TANGENT_COLORS)]
    h = span * 0.22
    tx = np.array([a - h, a + h])
    ax.plot(tx, fa + s * (tx - a), color=c, lw=2, ls="--", zorder=4,
            label=f"tangent at {name} = {fmt_num(a)}: slope {fmt_num(s)}")[0].set_gid(f"tangent-{i}")
    ax.plot([a], [fa], "o", color=c, ms=7, mec="white", zorder=6)
    ax.annotate(f"slope {fmt_num(s)}\nat {name} = {fmt_num(a)}", (a, fa), xytext=(-14, 12),
                textcoords="offset points", ha="right", va="bottom", color=c,
                fontsize=10, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": c, "alpha": 0.9})


def _draw_descent(ax: Axes, fun: Any, name: str, j: int, xs: Array, label: str,
                  xlim: tuple[float, float]) -> None:
    """Path ``j`` along the curve, its start circled and its first steps numbered."""
    c = color(j)
    ys = np.array([_value(fun, v) for v in xs])
    ok = np.isfinite(xs) & np.isfinite(ys)
    inside = ok & (xs >= xlim[0]) & (xs <= xlim[1])
    k = len(xs) - 1
    far = "" if inside.all() else f"; leaves the window, last {name} = {fmt_num(xs[ok][-1])}"
    ax.plot(xs[ok], ys[ok], "-o", color=c, lw=1.6, ms=5, mec="white", zorder=5,
            clip_on=True, label=f"{label}{far}")[0].set_gid(f"path-{j}")
    ax.plot(xs[:1], ys[:1], "o", ms=10, mfc="white", mec=c, mew=2.2, zorder=6)
    for step in range(min(k, 6)):  # number the first steps: overshoots become visible
        if inside[step]:
            ax.annotate(str(step), (xs[step], ys[step]), xytext=(4, -13),
                        textcoords="offset points", fontsize=8, color=c)
