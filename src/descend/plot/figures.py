"""Composite figures for the CLI's ``--plot``/``--animate``: one named file per option.

Each ``*_figures`` function writes exactly the file it is given (several panels in one
figure), so a command never writes, let alone overwrites, a file the user did not name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from descend.plot._data import VERDICT_WORDS, as_field, paths_title, run_label
from descend.plot._io import FIGURE_FORMATS, check_output_path, save_figure
from descend.plot._style import new_figure
from descend.plot.field import gradient_field
from descend.plot.loss import loss_curve, rate_colors, sweep_plot
from descend.plot.regression import fit_plot, regression_loss_surface

__all__ = [
    "fit_figure",
    "fit_figures",
    "minimize_animation",
    "minimize_figure",
    "minimize_figures",
    "sweep_figure",
    "sweep_figures",
]


def minimize_figure(
    fun: Any,
    results: Sequence[Any],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """Contour map with every run's path (two variables) beside the loss curves."""
    results = list(results)
    two_d = getattr(fun, "n", 2) == 2
    fig = new_figure((13.0, 5.6) if two_d else (7.0, 4.6))
    if two_d:
        ax_f, ax_l = fig.subplots(1, 2, width_ratios=[1.25, 1])
        labels = [run_label(r, i) for i, r in enumerate(results)]
        field = as_field(fun)
        title = paths_title(field.formula or "f", results)
        gradient_field(field, results, labels=labels, xlim=xlim, ylim=ylim, ax=ax_f,
                       title=title, arrows=len(results) == 1)
    elif getattr(fun, "n", None) == 1 and hasattr(fun, "value"):
        from descend.plot.curve import curve_plot

        fig = new_figure((12.0, 4.8))
        ax_f, ax_l = fig.subplots(1, 2, width_ratios=[1.2, 1])
        curve_plot(fun, results, xlim=xlim, ax=ax_f)
    else:
        ax_l = fig.add_subplot()
    if len(results) == 1:
        r = results[0]
        loss_curve(r.history.fun, stop_reason=r.status, ax=ax_l, ylabel="f",
                   verdict=None if r.verdict is None else str(r.verdict))
    else:
        _loss_curves(ax_l, results)
    return fig


def _loss_curves(ax: Any, results: Sequence[Any]) -> None:
    from descend.plot._style import color, style_axes
    from descend.plot.loss import wants_log_scale

    allv = np.concatenate([np.asarray(r.history.fun, dtype=float) for r in results])
    for i, r in enumerate(results):
        y = np.asarray(r.history.fun, dtype=float)
        ax.plot(np.arange(len(y)), y, color=color(i), lw=2,
                label=f"{run_label(r, i)}: {VERDICT_WORDS.get(str(r.verdict), r.status)}"
                )[0].set_gid(f"loss-{i}")
    if wants_log_scale(allv):
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("f" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.set_title("Loss during descent", fontweight="bold")
    style_axes(ax)
    ax.legend(fontsize=8.5)


def minimize_figures(
    fun: Any,
    results: Sequence[Any],
    out: str | os.PathLike[str],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> list[Path]:
    """Write :func:`minimize_figure` to ``out`` (.png/.svg/.pdf); return ``[out]``."""
    check_output_path(out, FIGURE_FORMATS)
    fig = minimize_figure(fun, results, xlim=xlim, ylim=ylim)
    return [save_figure(fig, out)]


def minimize_animation(
    fun: Any, results: Sequence[Any], out: str | os.PathLike[str], **kw: Any
) -> Path:
    """Write the descent of every run as an animation (.gif, or .mp4 with ffmpeg)."""
    results = list(results)
    labels = [run_label(r, i) for i, r in enumerate(results)]
    kw.setdefault("title", paths_title(str(getattr(fun, "formula", "") or "f"), results))
    from descend.plot._animate import animate  # matplotlib.animation only for --animate

    return animate(fun, results, out, labels=labels, **kw)


def _model_view(model: Any) -> dict[str, Any]:
    hist = getattr(model, "history_", None)
    return {
        "coef": np.atleast_1d(np.asarray(model.coef_, dtype=float)),
        "intercept": float(np.asarray(model.intercept_, dtype=float)),
        "loss": np.asarray(getattr(model, "loss_curve_", []), dtype=float),
        "history": None if hist is None else np.asarray(hist, dtype=float),
        "stop": getattr(model, "stop_reason_", None),
        "verdict": None if getattr(model, "verdict_", None) is None else str(model.verdict_),
        **_loss_view(model),
    }


def _loss_view(model: Any) -> dict[str, Any]:
    """The fit's loss: its name, its label for axes, and the huber threshold in target units."""
    from descend.losses import get_loss

    name = str(getattr(model, "loss", "squared_error") or "squared_error")
    threshold = getattr(model, "huber_threshold_", None)
    epsilon = float(threshold) if threshold is not None else float(getattr(model, "epsilon", 1.35))
    return {"loss_name": name, "loss_label": get_loss(name).label, "epsilon": epsilon}


def fit_figure(model: Any, table: Any) -> Figure:
    """The fit (data and line, or predicted against actual), the loss curve and, for one
    feature, the loss surface over (intercept, slope) with the descent path."""
    v = _model_view(model)
    X = np.asarray(table.X, dtype=float)
    one = X.ndim == 1 or X.shape[1] == 1
    has_surface = one and v["history"] is not None and v["history"].shape[1] == 2
    ncols = 3 if has_surface else 2
    fig = new_figure((6.0 * ncols, 5.2))
    axes = fig.subplots(1, ncols, width_ratios=[1, 1, 1.2][:ncols])
    names = list(table.feature_names)
    fit_plot(X, table.y, coef=v["coef"], intercept=v["intercept"], feature_names=names,
             target_name=table.target_name, ax=axes[0], verdict=v["verdict"])
    if len(v["loss"]):
        loss_curve(v["loss"], stop_reason=v["stop"], ax=axes[1], ylabel=v["loss_label"],
                   verdict=v["verdict"])
    if has_surface:
        regression_loss_surface(X, table.y, v["history"], feature_name=names[0],
                                target_name=table.target_name, ax=axes[2], loss=v["loss_name"],
                                epsilon=v["epsilon"])
    return fig


def fit_figures(model: Any, table: Any, out: str | os.PathLike[str]) -> list[Path]:
    """Write :func:`fit_figure` to ``out`` (.png/.svg/.pdf); return ``[out]``."""
    check_output_path(out, FIGURE_FORMATS)
    return [save_figure(fit_figure(model, table), out)]


def sweep_figure(sweep: Any, table: Any = None) -> Figure:
    """The loss curves of every rate (diverged ones marked) and, for one feature with a
    table, every rate's path on the loss surface."""
    hists = getattr(sweep, "histories", None)
    X = None if table is None else np.asarray(table.X, dtype=float)
    surface = (
        X is not None and (X.ndim == 1 or X.shape[1] == 1) and hists is not None
        and all(np.asarray(h).ndim == 2 and np.asarray(h).shape[1] == 2 for h in hists)
    )
    fig = new_figure((13.5, 5.4) if surface else (8.0, 5.0))
    axes = fig.subplots(1, 2) if surface else [fig.add_subplot()]
    sweep_plot(sweep.learning_rates, sweep.loss_curves, sweep.diverged,
               stability_limit=getattr(sweep, "stability_limit", None), ax=axes[0],
               ylabel="mean squared error", verdicts=getattr(sweep, "verdicts", None) or None)
    if surface and table is not None and hists is not None:
        verdicts = list(getattr(sweep, "verdicts", None) or [""] * len(sweep.diverged))
        ok = [i for i, d in enumerate(sweep.diverged) if not d and verdicts[i] != "oscillating"]
        regression_loss_surface(
            X, table.y, None, paths=[hists[i] for i in ok],
            labels=[f"lr = {sweep.learning_rates[i]:g}" for i in ok],
            feature_name=table.feature_names[0], target_name=table.target_name, ax=axes[1],
            title="Paths of the stable rates on the loss surface",
            colors=[rate_colors(sweep.learning_rates)[i] for i in ok],
        )
    return fig


def sweep_figures(sweep: Any, table: Any, out: str | os.PathLike[str]) -> list[Path]:
    """Write :func:`sweep_figure` to ``out`` (.png/.svg/.pdf); return ``[out]``."""
    check_output_path(out, FIGURE_FORMATS)
    return [save_figure(sweep_figure(sweep, table), out)]
