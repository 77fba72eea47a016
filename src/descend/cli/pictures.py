"""Writes the pictures a command was asked for (--plot, --animate, --html).

Only files the user named are written. :func:`check_outputs` runs before the descent, so a bad
extension or a missing folder (never created silently) is reported without wasting the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from descend.cli.app import out
from descend.io import OutputPlan, atomic_output


def check_outputs(
    *,
    plot: str | None = None,
    animate: str | None = None,
    html: str | None = None,
    plan: OutputPlan | None = None,
) -> None:
    """Each named output checked as :func:`descend.io.plan_output` checks it, before the work:
    the extension, the folder, never an input of the run, never replaced without --force."""
    from descend.cli._files import plan_outputs

    plan_outputs(plan if plan is not None else OutputPlan(), plot=plot, animate=animate, html=html)


def _write(kind: str, path: str | None, writer: Callable[[str], Any], quiet: bool) -> None:
    """Write through a temporary file renamed over the (resolved) target: atomic, and a
    symlink stays a link to the file it names."""
    if path is None:
        return
    with atomic_output(os.path.realpath(path)) as tmp:
        writer(str(tmp))
    if not quiet:
        out.print(f"wrote {kind}: {Path(path)}", markup=False)


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
    if plot is None and animate is None and html is None:
        return
    from descend.plot import minimize_animation, minimize_figures
    from descend.report import minimize_report

    _write("plot", plot, lambda p: minimize_figures(fun, results, p), quiet)
    _write("animation", animate, lambda p: minimize_animation(fun, results, p), quiet)
    _write(
        "report",
        html,
        lambda p: minimize_report(p, fun, results, {"expression": expression}),
        quiet,
    )


def fit_pictures(
    model: Any, table: Any, *, plot: str | None, html: str | None, quiet: bool = False
) -> None:
    """The fit (line or predicted-vs-actual), loss curve and loss surface; the report."""
    if plot is None and html is None:
        return
    from descend.plot import fit_figures
    from descend.report import fit_report

    _write("plot", plot, lambda p: fit_figures(model, table, p), quiet)
    _write("report", html, lambda p: fit_report(p, model, table), quiet)


def sweep_pictures(
    sweep: Any, table: Any, *, plot: str | None, html: str | None, quiet: bool = False
) -> None:
    """The learning-rate comparison (curves, diverged runs marked, 2/L) and its report."""
    if plot is None and html is None:
        return
    from descend.plot import sweep_figures
    from descend.report import sweep_report

    _write("plot", plot, lambda p: sweep_figures(sweep, table, p), quiet)
    _write("report", html, lambda p: sweep_report(p, sweep, table), quiet)
