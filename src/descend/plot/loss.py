"""Loss against iterations: one run with its stop reason, or a learning-rate sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from descend.geometry import ROUNDING_FLOOR, noise_floor
from descend.loop.verdict import ceiling
from descend.plot._data import STOP_REASONS
from descend.plot._style import axes_or_new, color, style_axes

__all__ = ["ROUNDING_FLOOR", "loss_curve", "rate_colors", "sweep_plot", "STOP_REASONS",
           "wants_log_scale"]





def rate_colors(learning_rates: Sequence[float]) -> list[str]:
    """One colour per learning rate (viridis by log rate), shared by every panel of a sweep."""
    import matplotlib
    from matplotlib.colors import to_hex

    rates = [float(r) for r in learning_rates]
    pos = [r for r in rates if r > 0]
    if not pos:
        return [color(i) for i in range(len(rates))]
    lo, hi = min(pos), max(pos)
    norm = LogNorm(lo, hi if hi > lo else lo * 10)
    cmap = matplotlib.colormaps["viridis"]
    return [to_hex(cmap(0.85 * float(norm(r)))) if r > 0 else color(i)
            for i, r in enumerate(rates)]


def shade_rounding_floor(ax: Axes, floor: float) -> None:
    """Grey band below ``floor`` on a log axis: what lies there is rounding noise, not progress."""
    lo = floor / 30.0
    ax.axhspan(lo, floor, color="#d9dde2", alpha=0.6, zorder=0, lw=0)
    ax.text(0.99, floor, "float64 rounding noise below here ", transform=ax.get_yaxis_transform(),
            ha="right", va="top", fontsize=7.5, color="#5b6672", zorder=1)
    bottom, top = ax.get_ylim()
    ax.set_ylim(max(bottom, lo), top)


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
    verdict: str | None = None,
) -> Figure:
    """The loss at each iteration (iteration 0 is the start), with why the run stopped.

    ``verdict``: the run's verdict (:mod:`descend.loop.verdict`), written under the stop
    reason: the stopping rule says which rule fired, the verdict what the run may claim.

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
    # 1e-15 of the starting loss (descend.geometry.noise_floor): a blow-up is not noise
    noise = noise_floor(y[finite][:1])
    clipped = use_log and bool(np.any(y[finite] < noise))
    y_draw = np.maximum(y, noise) if clipped else y
    (line,) = ax.plot(k[finite], y_draw[finite], "-", color=color(1), lw=2, label=label)
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
        ax.plot(last, y_draw[last], mk, ms=9, color="#c0392b" if diverged else color(1),
                mec="black", mew=0.8, zorder=5)[0].set_gid("stop-marker")
        if reason is not None:
            text = f"stopped after {len(y) - 1} iterations:\n{STOP_REASONS.get(reason, reason)}"
            text += f"\nfinal loss {y[last]:.4g}"
            if verdict is not None:
                text += f"\nverdict: {str(verdict).replace('_', ' ')}"
            ax.annotate(
                text, xy=(last, y_draw[last]), xytext=(0.97, 0.93), textcoords="axes fraction",
                ha="right", va="top", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#999", "alpha": 0.95},
                arrowprops={"arrowstyle": "->", "color": "#555", "lw": 1},
            ).set_gid("stop-reason")
    if clipped:
        shade_rounding_floor(ax, noise)
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
    verdicts: Sequence[str] | None = None,
) -> Figure:
    """The loss curve of each learning rate on one log-scaled plot.

    ``verdicts`` (one per run, as :class:`~descend.models.SweepResult` reports them) label
    runs that neither converged nor diverged: an ``"oscillating"`` run (a rate of 2/L or more)
    is drawn dotted and named in the legend.

    A diverged run is drawn up to 10^12 times the largest starting loss (a log axis shows the
    explosion without squashing the other runs); beyond that an arrow points up, and a red
    cross marks where descend stopped it. The legend says how many steps each diverged run
    took. Losses below 1e-15 of the largest start are float64 rounding noise: the curves stop
    at that floor and the band below it is shaded. ``stability_limit`` (2/L) is in the title.
    Colours follow :func:`rate_colors`, the same in every panel of a sweep.
    """
    rates = [float(r) for r in learning_rates]
    curves = [np.asarray(c, dtype=float).ravel() for c in loss_curves]
    div = [bool(d) for d in diverged] if diverged is not None else [
        (not np.all(np.isfinite(c))) or (len(c) > 1 and c[-1] > 10 * c[0]) for c in curves
    ]
    ax = axes_or_new(ax, (7.2, 4.8))
    starts = [c[0] for c in curves if len(c) and np.isfinite(c[0])]
    f0 = max(starts) if starts else np.inf
    cap = 1e12 * f0 if starts else np.inf
    positive = all(np.all(c[np.isfinite(c)] > 0) for c in curves)
    noise = ROUNDING_FLOOR * f0 if positive and np.isfinite(f0) else 0.0
    order = np.argsort(rates)
    cols = rate_colors(rates)
    floor = np.inf
    top = 0.0
    for i in order:
        oscillating = verdicts is not None and verdicts[i] == "oscillating" and not div[i]
        run_top, run_floor = _draw_run(ax, i, curves[i], rates[i], cols[i], diverged=div[i],
                                       oscillating=oscillating, cap=cap, noise=noise, f0=f0)
        top, floor = max(top, run_top), min(floor, run_floor)
    if positive:
        ax.set_yscale("log")
        if np.isfinite(floor) and top > 0:
            ax.set_ylim(floor / 3, top * 3)
        if noise > 0 and floor <= noise * 1.0000001:
            shade_rounding_floor(ax, noise)
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel + (" (log scale)" if positive else ""))
    if title:
        if stability_limit is not None and np.isfinite(stability_limit):
            title += f"\nstability limit 2/L = {stability_limit:.3g}: rates at or above it fail"
        ax.set_title(title)
    style_axes(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    return ax.figure  # type: ignore[return-value]



def _draw_run(ax: Axes, i: int, c: Any, r: float, col: str, *, diverged: bool,
              oscillating: bool, cap: float, noise: float, f0: float) -> tuple[float, float]:
    """Run ``i``'s loss curve (dashed when it diverged, dotted when it oscillates), cut at
    ``cap`` with an arrow beyond and a red cross where a diverged run stopped. Returns the
    highest and the lowest positive loss drawn, for the axis limits."""
    top, floor = 0.0, np.inf
    ok = np.isfinite(c) & (np.abs(c) <= cap)
    cut = int(np.argmin(ok)) if not ok.all() else len(c)  # first point off the chart
    shown = np.maximum(c[:cut], noise) if noise > 0 else c[:cut]
    lab = f"lr = {r:g}"
    if diverged:
        # a step to a finite loss above the blow-up ceiling is committed (the curve's last
        # point); a non-finite one is not (the step after the last point)
        committed = len(c) > 1 and np.isfinite(c[-1]) and c[-1] > ceiling(float(c[0]))
        lab += f" — diverged at step {len(c) - 1 if committed else len(c)}"
    elif oscillating:
        lab += " — oscillates (at 2/L)"
    (line,) = ax.plot(np.arange(len(shown)), shown, color=col, lw=2,
                      ls="--" if diverged else ":" if oscillating else "-", label=lab,
                      marker="o" if diverged and len(shown) <= 30 else
                      "D" if oscillating and len(shown) <= 30 else None, ms=4,
                      zorder=4 if oscillating else None)  # a short flat run on top
    line.set_gid(f"sweep-{i}")
    if len(shown):
        top = float(np.max(shown))
        floor = float(np.min(shown[shown > 0])) if np.any(shown > 0) else floor
    if diverged:
        x_end = len(shown) - 1 if len(shown) else 0
        y_end = shown[-1] if len(shown) else f0
        if cut < len(c) and np.isfinite(c[cut]):  # beyond the chart: an arrow upwards
            ax.annotate("", xy=(x_end + 0.5, cap), xytext=(x_end, y_end),
                        arrowprops={"arrowstyle": "->", "color": col, "lw": 1.5,
                                    "ls": "--"}).set_gid(f"beyond-{i}")
            top = max(top, cap)
        ax.plot(x_end, y_end, "X", ms=11, color="#c0392b", mec="black", mew=0.8,
                zorder=6)[0].set_gid(f"diverged-{i}")
    return top, floor
