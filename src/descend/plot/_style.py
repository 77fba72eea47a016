"""One look for every figure: sizes, colours and the small helpers all panels share."""

from __future__ import annotations

import io
from functools import partial
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Colour-blind-safe qualitative palette (Okabe & Ito 2008) for paths and runs.
PALETTE = ("#D55E00", "#0072B2", "#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#000000")
FIELD_CMAP = "YlGnBu_r"  # dark valleys, light peaks: the path colours stand out on it
SURFACE_CMAP = "viridis"
ARROW_COLOR = "#1f2a36"
MIN_COLOR = "#ffd23f"

def new_figure(figsize: tuple[float, float] = (6.4, 5.2), ncols: int = 1, **kw: Any) -> Figure:
    """A Figure not registered with pyplot (nothing leaks, no screen needed)."""
    fig = Figure(figsize=figsize, layout="constrained", **kw)
    FigureCanvasAgg(fig)
    # Jupyter shows objects with _repr_png_ inline: no %matplotlib inline, no pyplot needed.
    fig._repr_png_ = partial(_figure_png, fig)  # type: ignore[attr-defined]
    return fig


def _figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (6.4, 5.2)) -> Axes:
    if ax is not None:
        return ax
    fig = new_figure(figsize)
    return fig.add_subplot()


def style_axes(ax: Axes, *, grid: bool = True) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(True, alpha=0.25, linewidth=0.6)
    ax.title.set_fontweight("bold")


def fmt_num(v: float, scale: float = 1.0) -> str:
    """Short number for labels; values far below ``scale`` print as 0 (no ``-3e-17``)."""
    if not np.isfinite(v):
        return str(v)
    if abs(v) < 1e-9 * max(scale, 1e-300):
        return "0"
    return f"{v:.4g}"


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def distinct_labels(values: Any) -> list[str]:
    """Tick labels with just enough significant digits to tell neighbours apart."""
    vals = [float(v) for v in values]
    for digits in range(2, 8):
        labels = [f"{v:.{digits}g}" for v in vals]
        if len(set(labels)) == len(labels):
            return labels
    return [f"{v:.8g}" for v in vals]
