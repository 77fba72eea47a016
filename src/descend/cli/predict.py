"""``descend predict``: predictions of a saved model (JSON, validated, never pickle).

For a file that also holds the model's target, the report adds how well the model predicts it
(RMSE, MAE and R^2 = 1 - SSE / SST, SST about the file's own mean); ``--id`` carries a column
(a name, an ID) through beside the predictions; ``--interval`` adds confidence or prediction
intervals (:func:`descend.models.analysis.prediction_table`). The prediction column is named
``predicted_<target>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table as RichTable
from rich.text import Text

from descend._lazy import lazy_module
from descend.cli import options as o
from descend.cli.app import app, dumps, fail, out, parse_floats, printable
from descend.cli.render import fmt as _fmt

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # descend --help must not load NumPy


@app.command("predict")
def predict_command(
    model_file: str = typer.Argument(..., help="A model file written by descend fit --save."),
    data: str = typer.Argument(
        None, help="CSV or Parquet file or URL (s3://...) with the feature columns."
    ),
    storage_option: list[str] = o.storage_option(),  # noqa: B008
    x: list[str] = typer.Option(  # noqa: B008
        None, "--x", help="One row of feature values, e.g. --x 2000 (repeat for more rows)."
    ),
    interval: str = typer.Option(
        None, "--interval", metavar="confidence|prediction",
        help="Add intervals: of the mean (confidence) or of a new observation (prediction)."),
    level: float = typer.Option(0.95, "--level", help="The intervals' confidence level."),
    id_column: str = typer.Option(
        None, "--id", help="A column of DATA to print beside each prediction (a name, an ID)."),
    missing: str = typer.Option(
        "raise", "--missing", metavar="raise|drop",
        help="Rows of a formula model's DATA with an empty cell: raise, or drop (and say how "
             "many)."),
    as_json: bool = o.as_json(),
) -> None:
    """Predict with a saved model, for the rows of DATA or for --x values.

    Example: descend predict model.json test.csv --interval prediction --id name
    """
    from descend.models import load_model

    model = load_model(model_file)
    if (data is None) == (not x):
        fail("give either a DATA file or --x values (e.g. --x 2000), not both or neither")
    if not 0.0 < level < 1.0:
        fail(f"--level {level}: give a confidence level between 0 and 1, e.g. 0.95")
    if interval is not None and interval not in ("confidence", "prediction"):
        fail(f"--interval {interval}: choose confidence or prediction")
    if x:
        if id_column is not None:
            fail("--id: names a column of DATA; --x rows have none")
        X, y, ids = _rows_of_x(model, x), None, None
    else:
        if missing not in ("raise", "drop"):
            fail(f"--missing {missing}: choose raise or drop")
        from descend.cli._files import stdin_data

        X, y, ids = _rows_of_file(model, stdin_data(data), storage_option, id_column, missing)
    cols = _predict(model, X, interval, 1.0 - level, f"--x {x[0]}" if x else str(data))
    _print(model, X, cols, y, ids, id_column, bool(x), as_json)


def _rows_of_x(model: Any, x: list[str]) -> Any:
    names = list(model.feature_names_)
    if getattr(model, "design_", None) is not None:
        fail("--x: this model's features come from a formula; give a DATA file with the "
             f"columns {', '.join(model.design_.plan.columns)}")
    rows = [parse_floats(item, "--x") for item in x]
    for item, row in zip(x, rows, strict=True):
        if len(row) != len(names):
            fail(f"--x {item}: the model needs {len(names)} values ({', '.join(names)}), "
                 f"got {len(row)}")
    return np.asarray(rows, dtype=np.float64)


def _rows_of_file(model: Any, data: str, storage_option: list[str] | None,
                  id_column: str | None, missing: str = "raise") -> tuple[Any, Any, Any]:
    """``(X, y or None, ids or None)``: the features, the target when the file has it."""
    if getattr(model, "design_", None) is not None:
        return _formula_rows(model, data, id_column, missing)
    from descend.data import read_frame
    from descend.data.load import check_finite
    from descend.data.urls import parse_storage_options

    names = list(model.feature_names_)
    d = len(names)
    frame = read_frame(data, parse_storage_options(storage_option) or None)
    if all(n in frame.columns for n in names) and frame.header:
        cols = [frame.columns.index(n) for n in names]
    elif frame.data.shape[1] in (d, d + 1) and not frame.header:
        cols = list(range(d))  # headerless: the features come first, a target may follow
    else:
        absent = [n for n in names if n not in frame.columns] if frame.header else []
        lacking = f"; missing: {', '.join(absent)}" if absent else ""
        fail(f"{data}: needs the columns {', '.join(names)}{lacking} (it has "
             f"{', '.join(frame.columns)}); the model was fit on those columns")
    frame.check_numeric(cols)
    check_finite(frame, cols)
    y = None
    target = model.target_name_
    if frame.header and target in frame.columns and target not in names:
        j = frame.columns.index(target)
        frame.check_numeric([j])
        y = frame.data[:, j]
    ids = None
    if id_column is not None:
        if not frame.header or id_column not in frame.columns:
            fail(f"--id {id_column}: {data} has no such column (it has "
                 f"{', '.join(frame.columns)})")
        if id_column in frame.non_numeric:
            fail(f"--id {id_column}: a text ID column needs a model fit with --formula (its "
                 "reader keeps text)")
        ids = frame.data[:, frame.columns.index(id_column)]
    return frame.data[:, cols], y, ids


def _formula_rows(model: Any, data: str, id_column: str | None,
                  missing: str) -> tuple[Any, Any, Any]:
    """A formula model's design of DATA's rows (levels as in training), the target if there."""
    import pandas as pd

    from descend.data.tables import iter_frames
    from descend.errors import DataError

    design = model.design_
    want = [*design.plan.columns, *([id_column] if id_column else [])]
    try:
        frames, has_target = list(iter_frames(data, [design.target, *want])), True
    except DataError:  # no target column in DATA (or a feature missing: said below)
        frames, has_target = list(iter_frames(data, want)), False
    frame = pd.concat(frames, ignore_index=True)
    X, y, report, keep = design.rows(frame, missing=missing, source=data, target=has_target)
    if report.dropped:
        from descend.cli.app import err

        err.print(f"descend: {data}: {report.sentence()}; no prediction for those rows",
                  markup=False)
    ids = frame[id_column].to_numpy()[keep] if id_column else None
    return X, (y if has_target else None), ids


def _predict(model: Any, X: Any, interval: str | None, alpha: float, where: str) -> dict:
    from descend.models.analysis import prediction_table

    with np.errstate(all="ignore"):
        cols = prediction_table(model, X, interval=interval, alpha=alpha)
    pred = cols["mean"]
    if not np.isfinite(pred).all():
        k = int(np.flatnonzero(~np.isfinite(pred))[0])
        fail(f"{where}: row {k + 1}: the prediction overflows float64 ({float(pred[k]):g}); "
             "the values are too large for this model's coefficients; rescale them")
    return cols


def _metrics(y: Any, pred: Any) -> dict[str, float | None]:
    """RMSE, MAE and R^2 (1 - SSE / SST, SST about the mean of these y)."""
    e = y - pred
    sst = float(np.sum((y - y.mean()) ** 2))
    return {"rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e))),
            "r2": 1.0 - float(e @ e) / sst if sst > 0 else None, "n": int(y.size)}


def _print(model: Any, X: Any, cols: dict, y: Any, ids: Any, id_column: str | None,
           from_x: bool, as_json: bool) -> None:
    target = model.target_name_
    name = f"predicted_{target}"
    metrics = _metrics(y, cols["mean"]) if y is not None else None
    if as_json:
        obj: dict[str, Any] = {"features": list(model.feature_names_), "target": target,
                               "column": name, "predictions": cols["mean"].tolist()}
        if "lower" in cols:
            obj["intervals"] = {"lower": cols["lower"].tolist(), "upper": cols["upper"].tolist(),
                                "se": cols["se"].tolist()}
        if ids is not None:
            obj["id"] = {"column": id_column, "values": [_plain(v) for v in ids]}
        if metrics is not None:
            obj["metrics"] = metrics
        out.print(dumps(obj), markup=False)
        return
    if from_x:
        t = RichTable(show_header=True, header_style="bold")
        for n in model.feature_names_:
            t.add_column(Text(printable(n)), justify="right")  # Text: no markup, no escapes
        t.add_column(Text(printable(name)), justify="right")
        for extra in ("lower", "upper"):
            if extra in cols:
                t.add_column(Text(extra), justify="right")
        for i, row in enumerate(X):
            extra_vals = [_fmt(float(cols[k][i])) for k in ("lower", "upper") if k in cols]
            t.add_row(*(_fmt(float(v)) for v in row), _fmt(float(cols["mean"][i])), *extra_vals)
        out.print(t)
        return
    head = [*([printable(str(id_column))] if ids is not None else []), printable(name),
            *(["lower", "upper"] if "lower" in cols else [])]
    lines = [",".join(head)]
    for i, p in enumerate(cols["mean"]):
        row = [*([printable(str(_plain(ids[i])))] if ids is not None else []), f"{p:.12g}"]
        if "lower" in cols:
            row += [f"{cols['lower'][i]:.12g}", f"{cols['upper'][i]:.12g}"]
        lines.append(",".join(row))
    out.print("\n".join(lines), markup=False)
    if metrics is not None:
        r2 = "n/a" if metrics["r2"] is None else f"{metrics['r2']:.6g}"
        out.print(f"# against {printable(target)} in the file ({metrics['n']} rows): "
                  f"RMSE {metrics['rmse']:.6g}, MAE {metrics['mae']:.6g}, R^2 {r2}",
                  markup=False)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
