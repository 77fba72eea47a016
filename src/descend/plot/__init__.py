"""Figures of a descent, as matplotlib Figures (Agg; nothing is shown, nothing leaks).

Every figure function takes plain data where it can (a callable ``f(X, Y)``, ``(k, 2)``
path arrays, loss arrays) and also the library's objects (an Objective, OptimizeResults).
It returns the Figure so it can be restyled or shown inline in Jupyter; :func:`save_figure`
writes PNG, SVG or PDF by the extension. ``*_figures`` write the CLI's composite pictures.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from descend.plot._animate import ANIMATION_FORMATS, animate
    from descend.plot._data import Field, as_field, choose_window, find_minimum
    from descend.plot._io import FIGURE_FORMATS, save_figure
    from descend.plot.curve import curve_plot, tangent_line
    from descend.plot.field import contour_levels, gradient_field, optimizer_race
    from descend.plot.figures import (
        fit_figure,
        fit_figures,
        minimize_animation,
        minimize_figure,
        minimize_figures,
        sweep_figure,
        sweep_figures,
    )
    from descend.plot.loss import loss_curve, sweep_plot, wants_log_scale
    from descend.plot.regression import fit_plot, least_squares, mse_grid, regression_loss_surface
    from descend.plot.surface import surface_3d

#: Where each name lives. Names load on first use (PEP 562), so a module that needs only the
#: matplotlib-free parts (``descend.plot._data``, ``descend.plot._io``: the HTML report) does
#: not import matplotlib by importing this package.
_WHERE = {
    **dict.fromkeys(("Field", "as_field", "choose_window", "find_minimum"), "_data"),
    **dict.fromkeys(("FIGURE_FORMATS", "save_figure"), "_io"),
    **dict.fromkeys(("ANIMATION_FORMATS", "animate"), "_animate"),
    **dict.fromkeys(("curve_plot", "tangent_line"), "curve"),
    **dict.fromkeys(("contour_levels", "gradient_field", "optimizer_race"), "field"),
    **dict.fromkeys(("fit_figure", "fit_figures", "minimize_animation", "minimize_figure",
                     "minimize_figures", "sweep_figure", "sweep_figures"), "figures"),
    **dict.fromkeys(("loss_curve", "sweep_plot", "wants_log_scale"), "loss"),
    **dict.fromkeys(("fit_plot", "least_squares", "mse_grid", "regression_loss_surface"),
                    "regression"),
    "surface_3d": "surface",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'descend.plot' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"descend.plot.{where}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "ANIMATION_FORMATS",
    "FIGURE_FORMATS",
    "Field",
    "animate",
    "as_field",
    "choose_window",
    "contour_levels",
    "curve_plot",
    "find_minimum",
    "fit_figure",
    "fit_figures",
    "fit_plot",
    "gradient_field",
    "least_squares",
    "loss_curve",
    "minimize_animation",
    "minimize_figure",
    "minimize_figures",
    "mse_grid",
    "optimizer_race",
    "regression_loss_surface",
    "save_figure",
    "surface_3d",
    "sweep_figure",
    "sweep_figures",
    "sweep_plot",
    "tangent_line",
    "wants_log_scale",
]
