"""``descend sweep``: the tutorial's learning-rate experiment, all rates as one batch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table as RichTable

from descend._lazy import lazy_module
from descend.cli import options as o
from descend.cli.app import Diverged, app, err, fail, out, parse_floats, printable

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # descend --help must not load NumPy


@app.command("sweep")
def sweep_command(
    data: str = o.data("CSV or Parquet file or URL (s3://...); the target is the last column."),
    storage_option: list[str] = o.storage_option(),  # noqa: B008
    lr: str = o.lr("0.001,0.01,0.1,1.0", "Learning rates to try, comma-separated."),
    target: str = o.target(),
    features: str = o.features(),
    max_iter: int = o.max_iter(1000, "Most steps per run."),
    tol: float = o.tol(
        1e-12, "Stop a run when its loss changes by <= tol (relative) over n_iter_no_change steps."
    ),
    n_iter_no_change: int = o.n_iter_no_change(5, "The window of steps the --tol rule looks at."),
    scale: bool = o.option(
        True, "--scale/--no-scale", "Standardise features (the rates apply to them)."
    ),
    init: str = o.init("Start: intercept then coefficients."),
    as_json: bool = o.as_json(),
    plot: str = o.plot("Write the loss curves of every rate (.png/.svg/.pdf)."),
    html: str = o.html(),
    quiet: bool = o.quiet(),
    force: bool = o.force("--plot/--html"),
) -> None:
    """Try several learning rates at once (one vectorised batch) and compare them to 2/L.

    Example: descend sweep houses.csv --lr 0.001,0.01,0.1,1.0 --no-scale
    """
    rates = _check_settings(lr, max_iter, tol, n_iter_no_change)
    table, start = _table(data, storage_option, target, features, init, plot, html, force)
    from descend.models import sweep_learning_rates

    res = sweep_learning_rates(
        table.X, table.y, rates, max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
        scale=scale, init=start, feature_names=table.feature_names,
    )
    if plot is not None or html is not None:
        from descend.cli.pictures import sweep_pictures

        sweep_pictures(res, table, plot=plot, html=html, quiet=True)
    if as_json:
        from descend.cli.render import print_json, sweep_json

        print_json(sweep_json(res, table.target_name))
    else:
        _print_sweep(res, table, scale=scale)
        if not quiet:
            for path, kind in ((plot, "plot"), (html, "report")):
                if path is not None:
                    out.print(f"wrote {kind}: {path}", markup=False)
    _every_run_failed(res.verdicts)


def _check_settings(lr: str, max_iter: int, tol: float, n_iter_no_change: int) -> list[float]:
    """The rates of ``--lr`` (positive, finite) once the stopping options are valid."""
    rates = parse_floats(lr, "--lr")
    if any(not (r > 0 and np.isfinite(r)) for r in rates):
        fail(f"--lr {lr}: every learning rate must be a positive finite number")
    if max_iter < 1:
        fail(f"--max-iter {max_iter}: give a positive number of steps")
    if not (np.isfinite(tol) and tol >= 0):
        fail(f"--tol {tol}: give a finite number >= 0, e.g. --tol 1e-12")
    if n_iter_no_change < 1:
        fail(f"--n-iter-no-change {n_iter_no_change}: give a positive number of steps")
    return rates


def _table(data: str, storage_option: list[str] | None, target: str | None,
           features: str | None, init: str | None, plot: str | None, html: str | None,
           force: bool) -> tuple[Any, Any]:
    """The one data file as a table (outputs planned first) and the ``--init`` start."""
    from descend.cli._files import guard_data
    from descend.cli.pictures import check_outputs
    from descend.data import load_table
    from descend.data.urls import parse_storage_options
    from descend.io import OutputPlan

    so = parse_storage_options(storage_option) or None
    plan = OutputPlan(force=force)
    files = guard_data(data, plan, so)
    if len(files) != 1 or files[0] not in (Path(data), data):
        fail(f"{data}: sweep reads one CSV or Parquet file, not a folder or glob")
    check_outputs(plot=plot, html=html, plan=plan)
    table = load_table(data, target=target, features=features, storage_options=so)
    start = parse_floats(init, "--init") if init is not None else None
    if start is not None and len(start) != table.d + 1:
        fail(f"--init {init}: expected {table.d + 1} values, got {len(start)}")
    return table, start


def _print_sweep(res: Any, table: Any, *, scale: bool) -> None:
    """The sweep as text: the data and 2/L, then one row per rate with its verdict."""
    out.print(
        f"{printable(table.source)}: {table.n} rows; {printable(table.target_name)} ~ "
        f"{printable(' + '.join(table.feature_names))}"
        f"; plain gradient descent, features {'standardised' if scale else 'in raw units'}; "
        f"stability limit 2/L = {res.stability_limit:.6g}",
        markup=False,
    )
    t = RichTable(show_header=True, header_style="bold")
    for col in ("learning rate", "final loss", "steps", "rate / (2/L)", "stopped", "verdict"):
        t.add_column(col, justify="right", no_wrap=col == "verdict")  # one word, unbroken
    for k, rate in enumerate(res.learning_rates):
        t.add_row(
            f"{rate:g}",
            f"{float(res.final_loss[k]):.6g}",
            str(int(res.n_iter[k])),
            f"{rate / res.stability_limit:.3g}",
            res.status[k],
            res.verdicts[k],  # the verdict's own word, as in the JSON (docs/verdicts.md)
        )
    out.print(t)
    if "oscillating" in res.verdicts:
        out.print(
            "oscillating: a step of 2/L or more cannot converge (the error along the steepest "
            "direction never shrinks); use a rate below 2/L",
            markup=False,
        )


def _every_run_failed(verdicts: Sequence[str]) -> None:
    """A sweep whose every run failed (diverged, oscillating, unbounded below) exits 3, as a
    failed fit does; one line on stderr says so."""
    from descend.loop.verdict import FAILED

    if verdicts and all(v in FAILED for v in verdicts):
        err.print(
            f"descend: every run of the sweep failed ({', '.join(verdicts)}); use rates below "
            "the stability limit 2/L",
            markup=False,
        )
        raise Diverged()
