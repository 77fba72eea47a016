"""The function as a 3-D surface with the descent path lifted onto it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from descend.plot._data import as_field, as_paths, choose_window, find_minimum
from descend.plot._style import SURFACE_CMAP, color, new_figure

__all__ = ["surface_3d"]


def surface_3d(
    fun: Any,
    paths: Any = None,
    *,
    labels: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    elev: float = 32.0,
    azim: float = -58.0,
) -> Figure:
    """``f(x, y)`` as a shaded surface; each path drawn at height ``f`` with a marker per step.

    ``fun`` and ``paths`` are as for :func:`gradient_field`; the window is chosen the same way.
    """
    field = as_field(fun)
    path_list, path_labels = as_paths(paths, labels)
    xl, yl = choose_window(path_list, xlim=xlim, ylim=ylim)
    if not path_list and xlim is None and ylim is None:
        mpt = find_minimum(field, xl, yl)
        xl, yl = choose_window([], center=mpt)
    fig = new_figure((7.2, 5.8))
    ax: Any = fig.add_subplot(projection="3d")
    X, Y = np.meshgrid(np.linspace(*xl, 90), np.linspace(*yl, 90))
    Z = field.values(X, Y)
    surf = ax.plot_surface(X, Y, Z, cmap=SURFACE_CMAP, alpha=0.72, linewidth=0,
                           antialiased=True, rcount=90, ccount=90)
    surf.set_gid("surface")
    zmin = float(np.nanmin(Z))
    ax.contour(X, Y, Z, levels=12, zdir="z", offset=zmin, cmap=SURFACE_CMAP, linewidths=0.8,
               alpha=0.8)
    span = float(np.nanmax(Z) - zmin) or 1.0
    for i, (p, lab) in enumerate(zip(path_list, path_labels, strict=True)):
        inside = ((p[:, 0] >= xl[0]) & (p[:, 0] <= xl[1]) & (p[:, 1] >= yl[0])
                  & (p[:, 1] <= yl[1]))
        q = p[inside]
        z = field.values(q[:, :1], q[:, 1:2])[:, 0] + 0.01 * span  # just above the skin
        (line,) = ax.plot(q[:, 0], q[:, 1], z, "-o", color=color(i), lw=2.2, ms=3.5,
                          mec="white", mew=0.4, zorder=10, label=f"{lab} ({len(p) - 1} steps)")
        line.set_gid(f"path-{i}")
        ax.plot(q[:, 0], q[:, 1], np.full(len(q), zmin), "--", color=color(i), lw=1,
                alpha=0.7)  # its shadow on the floor
    ax.set_xlim(*xl)
    ax.set_ylim(*yl)
    ax.set_zlim(zmin, zmin + span)
    ax.view_init(elev=elev, azim=azim)
    ax.set_xlabel(field.names[0])
    ax.set_ylabel(field.names[1])
    ax.set_zlabel(f"f({field.names[0]}, {field.names[1]})")
    fig.colorbar(surf, ax=ax, shrink=0.6, pad=0.08, label="f")
    ax.set_title(title or (f"Surface of f = {field.formula}" if field.formula else "Surface of f"),
                 fontweight="bold")
    if path_list:
        ax.legend(loc="upper left", fontsize=8.5)
    return fig
