"""Writes the pictures a command was asked for (--plot, --animate, --html).

Only files the user named are written; a missing folder is an error before the run starts
(checked by the commands), never created silently.
"""

from __future__ import annotations

from typing import Any

from descend.cli.app import out


def _said(kind: str, path: Any) -> None:
    out.print(f"wrote {kind}: {path}", markup=False)


def minimize_pictures(
    fun: Any,
    results: list[Any],
    *,
    plot: str | None,
    animate: str | None,
    html: str | None,
    expression: str,
    quiet: bool = False,
) -> None:
    """Contour plot with the path(s) and loss curve, animation, and the HTML report."""
    if plot is not None:
        from descend.plot import minimize_figures

        for p in minimize_figures(fun, results, plot):
            if not quiet:
                _said("plot", p)
    if animate is not None:
        from descend.plot import minimize_animation

        p = minimize_animation(fun, results, animate)
        if not quiet:
            _said("animation", p)
    if html is not None:
        from descend.report import minimize_report

        p = minimize_report(html, fun, results, {"expression": expression})
        if not quiet:
            _said("report", p)


def fit_pictures(
    model: Any, table: Any, *, plot: str | None, html: str | None, quiet: bool = False
) -> None:
    """The fit (line or predicted-vs-actual), loss curve and loss surface; the report."""
    if plot is not None:
        from descend.plot import fit_figures

        for p in fit_figures(model, table, plot):
            if not quiet:
                _said("plot", p)
    if html is not None:
        from descend.report import fit_report

        p = fit_report(html, model, table)
        if not quiet:
            _said("report", p)


def sweep_pictures(
    sweep: Any, table: Any, *, plot: str | None, html: str | None, quiet: bool = False
) -> None:
    """The learning-rate comparison (curves, diverged runs marked, 2/L) and its report."""
    if plot is not None:
        from descend.plot import sweep_figures

        for p in sweep_figures(sweep, table, plot):
            if not quiet:
                _said("plot", p)
    if html is not None:
        from descend.report import sweep_report

        p = sweep_report(html, sweep, table)
        if not quiet:
            _said("report", p)
