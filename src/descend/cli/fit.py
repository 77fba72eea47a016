"""``descend fit``, ``descend predict`` and ``descend sweep``: regression on data files."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table as RichTable

from descend.cli.app import Diverged, app, err, fail, out, parse_floats, warnings_to_stderr


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.12g}"


def _learning_rate(text: str) -> Any:
    t = text.strip().lower()
    if t == "auto":
        return "auto"
    try:
        value = float(t)
    except ValueError:
        from descend.optim import parse_schedule

        try:
            return parse_schedule(text)
        except Exception:
            fail(f"--lr {text}: give a positive number, 'auto', or a schedule such as exp:0.1,0.99")
    if not (value > 0 and np.isfinite(value)):
        fail(f"--lr {text}: the learning rate must be a positive finite number or 'auto'")
    return value


def _r2(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    r = X @ model.coef_ + model.intercept_ - y
    yc = y - y.mean()
    return 1.0 - float(r @ r) / float(yc @ yc)


@app.command("fit")
def fit_command(
    data: str = typer.Argument(..., help="CSV or Parquet file; the target is the last column."),
    target: str = typer.Option(None, "--target", help="Target column [default: the last]."),
    features: str = typer.Option(
        None, "--features", help="Feature columns, e.g. size,rooms [default: all the others]."
    ),
    optimizer: str = typer.Option(
        "gd", "--optimizer", help="gd, momentum, nesterov, adagrad, rmsprop, adam or adamw."
    ),
    lr: str = typer.Option(
        "auto",
        "--lr",
        help="Learning rate: a number, 'auto' (1/L, L the exact curvature) or a schedule "
        "such as exp:0.1,0.99. With --scale it applies to the standardised features.",
    ),
    max_iter: int = typer.Option(1000, "--max-iter", help="Most steps (epochs for mini-batch)."),
    target_loss: float = typer.Option(None, "--target-loss", help="Stop once the loss <= this."),
    tol: float = typer.Option(
        1e-12, "--tol", help="Stop when the loss falls by <= tol (relative) 5 steps in a row."
    ),
    gtol: float = typer.Option(None, "--gtol", help="Stop once the gradient norm <= this."),
    batch_size: int = typer.Option(
        None, "--batch-size", help="Rows per mini-batch step [default: all rows]."
    ),
    random_state: int = typer.Option(None, "--random-state", help="Seed of mini-batch shuffles."),
    loss: str = typer.Option(
        "squared_error", "--loss", help="squared_error, huber or absolute_error."
    ),
    alpha: float = typer.Option(0.0, "--alpha", help="L2 penalty alpha * |w|^2."),
    epsilon: float = typer.Option(1.35, "--epsilon", help="Huber threshold (target's units)."),
    scale: bool = typer.Option(
        True,
        "--scale/--no-scale",
        help="Standardise features internally (coefficients stay in your units).",
    ),
    init: str = typer.Option(
        None, "--init", help="Start: intercept then coefficients, e.g. 0,0 [default: zeros]."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    save: str = typer.Option(None, "--save", help="Write the fitted model to this .json file."),
    force: bool = typer.Option(False, "--force", help="Let --save replace an existing file."),
    plot: str = typer.Option(
        None, "--plot", help="Write the fit, loss curve and loss surface (.png/.svg/.pdf)."
    ),
    html: str = typer.Option(None, "--html", help="Write a self-contained interactive report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the results."),
) -> None:
    """Fit a line (or plane) to DATA by gradient descent; print the coefficients and the loss.

    Example: descend fit data.csv --lr 0.0001 --max-iter 1000 --no-scale
    """
    from descend.data import load_table
    from descend.models import DivergenceWarning, LinearRegression, save_model

    save_path = Path(save) if save is not None else None
    if save_path is not None:
        if save_path.suffix.lower() != ".json":
            fail(f"--save {save}: model files are JSON; give a name ending in .json")
        if save_path.exists() and Path(data).exists() and save_path.samefile(data):
            fail(f"--save {save}: that is the data file; save the model to another file")
        if save_path.exists() and not force:
            fail(f"--save {save}: already exists; choose another name or add --force")
    from descend.cli.minimize import _check_output_path

    for path, option in ((plot, "--plot"), (html, "--html")):
        if path is not None:
            _check_output_path(path, option)
    table = load_table(data, target=target, features=features)
    start = parse_floats(init, "--init") if init is not None else None
    if start is not None and len(start) != table.d + 1:
        fail(
            f"--init {init}: expected {table.d + 1} values (the intercept, then "
            f"{', '.join(table.feature_names)}), got {len(start)}"
        )
    model = LinearRegression(
        loss=loss,
        alpha=alpha,
        epsilon=epsilon,
        optimizer=optimizer,
        learning_rate=_learning_rate(lr),
        max_iter=max_iter,
        tol=tol,
        gtol=gtol,
        target_loss=target_loss,
        batch_size=batch_size,
        random_state=random_state,
        scale=scale,
        init=start,
    )
    t0 = time.perf_counter()
    with warnings_to_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # printed below, as the diagnosis
        model.fit_table(table)
    elapsed = time.perf_counter() - t0
    diverged = model.stop_reason_ == "diverged"
    r2 = _r2(model, table.X, table.y) if not diverged else None
    if as_json:
        obj = {
            "intercept": model.intercept_,
            "coef": model.coef_.tolist(),
            "features": list(table.feature_names),
            "target": table.target_name,
            "initial_loss": model.initial_loss_,
            "loss": model.loss_,
            "n_iter": model.n_iter_,
            "status": model.stop_reason_,
            "message": model.message_,
            "r2": r2,
            "learning_rate": model.learning_rate_
            if isinstance(model.learning_rate_, (int, float, str))
            else repr(model.learning_rate_),
            "stability_limit": model.stability_limit_,
            "optimal_loss": model.optimal_loss_,
            "optimality_gap": model.optimality_gap_,
            "loss_name": model.loss,
            "optimizer": optimizer,
            "scale": scale,
            "rows": table.n,
            "elapsed": elapsed,
        }
        out.print(json.dumps(obj), markup=False)
    else:
        _print_fit(model, table, r2, elapsed, scale)
    if plot is not None or html is not None:
        from descend.cli.pictures import fit_pictures

        fit_pictures(model, table, plot=plot, html=html, quiet=quiet or as_json)
    if diverged:
        err.print(f"descend: {model.message_}", markup=False)
        raise Diverged(model.message_)
    if save_path is not None:
        save_model(model, save_path, target=table.target_name, source=str(data), force=force)
        if not as_json:
            out.print(f"saved the model to {save}", markup=False)


def _print_fit(model: Any, table: Any, r2: float | None, elapsed: float, scale: bool) -> None:
    lr = model.learning_rate_
    lr_text = f"{lr:.6g}" if isinstance(lr, float) else str(lr)
    limit = model.stability_limit_
    out.print(
        f"{table.source}: {table.n} rows; {table.target_name} ~ "
        f"{' + '.join(table.feature_names)}; loss {model.loss}; "
        f"learning rate {lr_text}"
        + (f" (stability limit 2/L = {limit:.6g})" if limit else "")
        + ("; features standardised" if scale else "; features in raw units"),
        markup=False,
    )
    t = RichTable(show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("starting loss", _fmt(model.initial_loss_))
    t.add_row("intercept", _fmt(model.intercept_))
    for name, c in zip(table.feature_names, model.coef_, strict=True):
        t.add_row(f"coef {name}", _fmt(float(c)))
    t.add_row("final loss", _fmt(model.loss_))
    if model.optimal_loss_ is not None:
        t.add_row("least-squares loss", _fmt(model.optimal_loss_))
    t.add_row("R^2", _fmt(r2))
    t.add_row("iterations", str(model.n_iter_))
    t.add_row("stop reason", model.stop_reason_)
    t.add_row("time", f"{elapsed:.3g} s")
    out.print(t)


@app.command("predict")
def predict_command(
    model_file: str = typer.Argument(..., help="A model file written by descend fit --save."),
    data: str = typer.Argument(None, help="CSV or Parquet file with the feature columns."),
    x: list[str] = typer.Option(  # noqa: B008
        None, "--x", help="One row of feature values, e.g. --x 2000 (repeat for more rows)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Predict with a saved model, for the rows of DATA or for --x values.

    Example: descend predict model.json --x 2000
    """
    from descend.data import read_frame
    from descend.data.load import check_finite
    from descend.models import load_model

    model = load_model(model_file)
    names = list(model.feature_names_)
    d = len(names)
    if (data is None) == (not x):
        fail("give either a DATA file or --x values (e.g. --x 2000), not both or neither")
    if x:
        rows = [parse_floats(item, "--x") for item in x]
        for item, row in zip(x, rows, strict=True):
            if len(row) != d:
                fail(f"--x {item}: the model needs {d} values ({', '.join(names)}), got {len(row)}")
        X = np.asarray(rows, dtype=np.float64)
    else:
        frame = read_frame(data)
        if all(n in frame.columns for n in names) and frame.header:
            cols = [frame.columns.index(n) for n in names]
        elif frame.data.shape[1] in (d, d + 1) and not frame.header:
            cols = list(range(d))  # headerless: the features come first, a target may follow
        else:
            fail(
                f"{data}: needs the columns {', '.join(names)} (it has {', '.join(frame.columns)})"
            )
        check_finite(frame, cols)
        X = frame.data[:, cols]
    pred = X @ model.coef_ + model.intercept_
    if as_json:
        out.print(
            json.dumps(
                {"features": names, "target": model.target_name_, "predictions": pred.tolist()}
            ),
            markup=False,
        )
        return
    if x:
        t = RichTable(show_header=True, header_style="bold")
        for n in names:
            t.add_column(n, justify="right")
        t.add_column(f"predicted {model.target_name_}", justify="right")
        for row, p in zip(X, pred, strict=True):
            t.add_row(*(_fmt(float(v)) for v in row), _fmt(float(p)))
        out.print(t)
    else:
        out.print(model.target_name_, markup=False)
        out.print("\n".join(f"{p:.12g}" for p in pred), markup=False)


@app.command("sweep")
def sweep_command(
    data: str = typer.Argument(..., help="CSV or Parquet file; the target is the last column."),
    lr: str = typer.Option(
        "0.001,0.01,0.1,1.0", "--lr", help="Learning rates to try, comma-separated."
    ),
    target: str = typer.Option(None, "--target", help="Target column [default: the last]."),
    features: str = typer.Option(
        None, "--features", help="Feature columns [default: all the others]."
    ),
    max_iter: int = typer.Option(1000, "--max-iter", help="Most steps per run."),
    tol: float = typer.Option(
        1e-12, "--tol", help="A run stops when its loss falls by <= tol (relative) 5 times."
    ),
    scale: bool = typer.Option(
        True, "--scale/--no-scale", help="Standardise features (the rates apply to them)."
    ),
    init: str = typer.Option(None, "--init", help="Start: intercept then coefficients."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    plot: str = typer.Option(
        None, "--plot", help="Write the loss curves of every rate (.png/.svg/.pdf)."
    ),
    html: str = typer.Option(None, "--html", help="Write a self-contained interactive report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the results."),
) -> None:
    """Try several learning rates at once (one vectorised batch) and compare them to 2/L.

    Example: descend sweep houses.csv --lr 0.001,0.01,0.1,1.0 --no-scale
    """
    from descend.data import load_table
    from descend.models import sweep_learning_rates

    rates = parse_floats(lr, "--lr")
    if any(not (r > 0 and np.isfinite(r)) for r in rates):
        fail(f"--lr {lr}: every learning rate must be a positive finite number")
    if max_iter < 1:
        fail(f"--max-iter {max_iter}: give a positive number of steps")
    from descend.cli.minimize import _check_output_path

    for path, option in ((plot, "--plot"), (html, "--html")):
        if path is not None:
            _check_output_path(path, option)
    table = load_table(data, target=target, features=features)
    start = parse_floats(init, "--init") if init is not None else None
    if start is not None and len(start) != table.d + 1:
        fail(f"--init {init}: expected {table.d + 1} values, got {len(start)}")
    res = sweep_learning_rates(
        table.X,
        table.y,
        rates,
        max_iter=max_iter,
        tol=tol,
        scale=scale,
        init=start,
        feature_names=table.feature_names,
    )
    if plot is not None or html is not None:
        from descend.cli.pictures import sweep_pictures

        sweep_pictures(res, table, plot=plot, html=html, quiet=True)
    if as_json:
        obj = res.to_dict()
        obj["target"] = table.target_name
        out.print(json.dumps(obj), markup=False)
        return
    out.print(
        f"{table.source}: {table.n} rows; {table.target_name} ~ {' + '.join(table.feature_names)}"
        f"; plain gradient descent, features {'standardised' if scale else 'in raw units'}; "
        f"stability limit 2/L = {res.stability_limit:.6g}",
        markup=False,
    )
    t = RichTable(show_header=True, header_style="bold")
    for col in ("learning rate", "final loss", "steps", "diverged", "rate / (2/L)", "stopped"):
        t.add_column(col, justify="right")
    for k, rate in enumerate(res.learning_rates):
        t.add_row(
            f"{rate:g}",
            f"{float(res.final_loss[k]):.6g}",
            str(int(res.n_iter[k])),
            "yes"
            if res.diverged[k]
            else "no (oscillates)"
            if res.status[k] == "oscillating"
            else "no",
            f"{rate / res.stability_limit:.3g}",
            res.status[k],
        )
    out.print(t)
    if "oscillating" in res.status:
        out.print(
            "oscillating: a step of 2/L or more cannot converge (the error along the steepest "
            "direction never shrinks); use a rate below 2/L",
            markup=False,
        )
    if not quiet:
        for path, kind in ((plot, "plot"), (html, "report")):
            if path is not None:
                out.print(f"wrote {kind}: {path}", markup=False)
