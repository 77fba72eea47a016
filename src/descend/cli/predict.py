"""``descend predict``: predictions of a saved model (JSON, validated, never pickle)."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    as_json: bool = o.as_json(),
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
        from descend.io._remote import parse_storage_options

        frame = read_frame(data, parse_storage_options(storage_option) or None)
        if all(n in frame.columns for n in names) and frame.header:
            cols = [frame.columns.index(n) for n in names]
        elif frame.data.shape[1] in (d, d + 1) and not frame.header:
            cols = list(range(d))  # headerless: the features come first, a target may follow
        else:
            missing = [n for n in names if n not in frame.columns] if frame.header else []
            lacking = f"; missing: {', '.join(missing)}" if missing else ""
            fail(
                f"{data}: needs the columns {', '.join(names)}{lacking} (it has "
                f"{', '.join(frame.columns)}); the model was fit on those columns"
            )
        frame.check_numeric(cols)
        check_finite(frame, cols)
        X = frame.data[:, cols]
    with np.errstate(all="ignore"):
        pred = X @ model.coef_ + model.intercept_
    if not np.isfinite(pred).all():
        k = int(np.flatnonzero(~np.isfinite(pred))[0])
        where = f"--x {x[k]}" if x else f"{data}: row {k + 1}"
        fail(
            f"{where}: the prediction overflows float64 ({float(pred[k]):g}); the values are "
            "too large for this model's coefficients; rescale them"
        )
    if as_json:
        out.print(
            dumps(
                {"features": names, "target": model.target_name_, "predictions": pred.tolist()}
            ),
            markup=False,
        )
        return
    if x:
        t = RichTable(show_header=True, header_style="bold")
        for n in names:
            t.add_column(Text(printable(n)), justify="right")  # Text: no markup, no escapes
        t.add_column(Text(f"predicted {printable(model.target_name_)}"), justify="right")
        for row, p in zip(X, pred, strict=True):
            t.add_row(*(_fmt(float(v)) for v in row), _fmt(float(p)))
        out.print(t)
    else:
        out.print(printable(model.target_name_), markup=False)
        out.print("\n".join(f"{p:.12g}" for p in pred), markup=False)
