"""Loss against iterations: one run with its stop reason, or a learning-rate sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from descend.plot._style import axes_or_new, color, style_axes

__all__ = ["loss_curve", "sweep_plot", "STOP_REASONS", "wants_log_scale"]

# What each stop rule means, for the annotation (names are descend.loop.Status values).
STOP_REASONS = {
    "gtol": "gradient small enough (|∇f| ≤ gtol)",
    "target_loss": "loss reached target_loss",
    "no_progress": "loss stopped improving (tol)",
    "max_iter": "iteration budget spent (max_iter)",
    "time_limit": "time limit reached",
    "callback": "stopped by the callback",
    "interrupted": "interrupted",
    "diverged": "diverged: the step is too large",
}


def wants_log_scale(values: Any) -> bool:
    """Log scale when every finite loss is positive and the largest is 20x the smallest or more."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(len(v) > 1 and np.all(v > 0) and v.max() / v.min() >= 20.0)


def loss_curve(
    losses: Any,
    *,
    stop_reason: str | None = None,
    log: bool | None = None,
    label: str | None = None,
    ylabel: str = "loss",
    title: str | None = "Loss during descent",
    ax: Axes | None = None,
) -> Figure:
    """The loss at each iteration (iteration 0 is the start), with why the run stopped.

    ``log``: None chooses a log scale when the positive losses span a factor of 20 or more.
    ``stop_reason``: a :class:`~descend.loop.Status` or its name; annotated at the last point.
    Non-finite losses (a diverged run) end the line with a red cross at the last finite value.
    """
    y = np.asarray(losses, dtype=float).ravel()
    k = np.arange(len(y))
    ax = axes_or_new(ax, (6.4, 4.2))
    fig = ax.figure
    finite = np.isfinite(y)
    use_log = wants_log_scale(y) if log is None else bool(log)
    if use_log and np.any(y[finite] <= 0):
        use_log = False
    (line,) = ax.plot(k[finite], y[finite], "-", color=color(1), lw=2, label=label)
    line.set_gid("loss")
    if len(y) <= 60:
        line.set_marker("o")
        line.set_markersize(3)
    if use_log:
        ax.set_yscale("log")
    reason = str(stop_reason) if stop_reason is not None else None
    last = int(np.flatnonzero(finite)[-1]) if np.any(finite) else None
    if last is not None:
        diverged = reason == "diverged" or not finite.all()
        mk = "X" if diverged else "o"
        ax.plot(last, y[last], mk, ms=9, color="#c0392b" if diverged else color(1),
                mec="black", mew=0.8, zorder=5)[0].set_gid("stop-marker")
        if reason is not None:
            text = f"stopped after {len(y) - 1} iterations:\n{STOP_REASONS.get(reason, reason)}"
            text += f"\nfinal loss {y[last]:.4g}"
            ax.annotate(
                text, xy=(last, y[last]), xytext=(0.97, 0.93), textcoords="axes fraction",
                ha="right", va="top", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#999", "alpha": 0.95},
                arrowprops={"arrowstyle": "->", "color": "#555", "lw": 1},
            ).set_gid("stop-reason")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel + (" (log scale)" if use_log else ""))
    if title:
        ax.set_title(title)
    style_axes(ax)
    if label:
        ax.legend(loc="lower left")
    return fig  # type: ignore[return-value]


def sweep_plot(
    learning_rates: Sequence[float],
    loss_curves: Sequence[Any],
    diverged: Sequence[bool] | None = None,
    *,
    stability_limit: float | None = None,
    ylabel: str = "loss",
    title: str | None = "Learning-rate sweep",
    ax: Axes | None = None,
    status: Sequence[str] | None = None,
) -> Figure:
    """The loss curve of each learning rate on one log-scaled plot.

    ``status`` (one per run, as :class:`~descend.models.SweepResult` reports it) labels runs
    that neither converged nor diverged: ``"oscillating"`` (a rate of 2/L or more) is drawn
    dotted and named in the legend.

    A diverged run is drawn only while its loss stays within 10x the largest starting loss,
    then ended with a red cross and "diverged" in the legend, so it cannot squash the others
    or be drawn off to infinity. ``stability_limit`` (2/L) is stated in the title box.
    """
    rates = [float(r) for r in learning_rates]
    curves = [np.asarray(c, dtype=float).ravel() for c in loss_curves]
    div = [bool(d) for d in diverged] if diverged is not None else [
        (not np.all(np.isfinite(c))) or (len(c) > 1 and c[-1] > 10 * c[0]) for c in curves
    ]
    ax = axes_or_new(ax, (7.2, 4.8))
    fig = ax.figure
    starts = [c[0] for c in curves if len(c) and np.isfinite(c[0])]
    cap = 10.0 * max(starts) if starts else np.inf
    positive = all(np.all(c[np.isfinite(c)] > 0) for c in curves)
    order = np.argsort(rates)
    lo, hi = min(rates), max(rates)
    norm = LogNorm(lo, hi if hi > lo else lo * 10) if lo > 0 else None
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    floor = np.inf
    for rank, i in enumerate(order):
        c, r = curves[i], rates[i]
        col = cmap(0.85 * float(norm(r))) if norm is not None else color(rank)
        ok = np.isfinite(c) & (np.abs(c) <= cap)
        cut = int(np.argmin(ok)) if not ok.all() else len(c)  # first point off the chart
        shown = c[:cut]
        lab = f"lr = {r:g}"
        oscillating = status is not None and status[i] == "oscillating" and not div[i]
        if div[i]:
            lab += f" — diverged (step {max(cut, 1)})"
        elif oscillating:
            lab += " — oscillates (at 2/L)"
        (line,) = ax.plot(np.arange(len(shown)), shown, color=col, lw=2,
                          ls="--" if div[i] else ":" if oscillating else "-", label=lab)
        line.set_gid(f"sweep-{i}")
        if len(shown):
            floor = min(floor, float(np.min(shown[shown > 0])) if np.any(shown > 0) else floor)
        if div[i]:
            x_end = len(shown) - 1 if len(shown) else 0
            y_end = shown[-1] if len(shown) else cap
            ax.plot(x_end, y_end, "X", ms=11, color="#c0392b", mec="black", mew=0.8,
                    zorder=6)[0].set_gid(f"diverged-{i}")
    if positive:
        ax.set_yscale("log")
        if np.isfinite(cap) and np.isfinite(floor):
            ax.set_ylim(floor / 2, cap * 2)
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel + (" (log scale)" if positive else ""))
    if title:
        if stability_limit is not None and np.isfinite(stability_limit):
            title += f"\nstability limit 2/L = {stability_limit:.3g}: rates at or above it fail"
        ax.set_title(title)
    style_axes(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    return fig  # type: ignore[return-value]
