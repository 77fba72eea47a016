"""The one renderer from results to text and JSON, with one JSON vocabulary.

Every command's ``--json`` speaks scipy's words for a run (``scipy.optimize.OptimizeResult``):

======== =====================================================================
``x``    the parameters reached (a fit: the intercept, then the coefficients: ``--init``'s order)
``fun``  the loss there
``nit``  steps taken (epochs for mini-batch)
``nfev`` passes over the data / evaluations of the function
``status`` the stopping rule that fired (``max_iter``, ``no_progress``, ``diverged``, ...)
``success`` true only for a converged run
``message`` the verdict and the stop, as a sentence
======== =====================================================================

plus, for a fit, ``coef``, ``intercept`` and ``verdict`` (see docs/verdicts.md); settings are
named as the library's parameters (``learning_rate``, ``optimizer``, ``fit_intercept``, ...).

:data:`DEPRECATED` lists the older keys still written for one release beside their new names
(``loss`` and ``final_loss`` for ``fun``, ``n_iter`` for ``nit``); they will be removed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from descend.cli.app import dumps, out, printable

__all__ = ["DEPRECATED", "FitReport", "fit_json", "print_fit", "print_json", "sweep_json"]

#: old key -> the key that replaces it; both are written until the release after next.
DEPRECATED = {"loss": "fun", "n_iter": "nit", "final_loss": "fun"}

_COORDINATES = {
    "whitened": "1/L in whitened coordinates, where the Hessian is 2I",
    "standardised": "on the standardised features (x - mean) / std",
    "raw": "on the features in their own units",
}


def print_json(obj: dict[str, Any]) -> None:
    """One JSON object on stdout (non-finite numbers as null)."""
    out.print(dumps(obj), markup=False)


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.12g}"


def _finite_or_none(v: float) -> float | None:
    """JSON has no infinity: an infinite condition number (collinear columns) is null."""
    return float(v) if math.isfinite(v) else None


@dataclass(frozen=True)
class FitReport:
    """What a fit's report says beyond the model: the data, where it ran, how long it took."""

    source: str
    n: int
    target_name: str
    feature_names: tuple[str, ...]
    engine: str
    engine_reason: str
    r2: float | None
    elapsed: float
    load_time: float
    summary: Any = None  # the least-squares statistics (``--summary``), when computed


def _run_fields(model: Any) -> dict[str, Any]:
    """scipy's words for the run a fitted model holds."""
    result = getattr(model, "result_", None)
    return {
        "x": [float(model.intercept_), *map(float, model.coef_)],
        "fun": model.loss_,
        "nit": model.n_iter_,
        "nfev": None if result is None else int(result.nfev),
        "status": model.stop_reason_,
        "success": model.verdict_.success,
        "message": model.message_,
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_,
        "verdict": str(model.verdict_),
    }


def fit_json(model: Any, report: FitReport, *, summary: bool) -> dict[str, Any]:
    """The JSON object of ``descend fit --json``."""
    lr = model.learning_rate_
    obj = _run_fields(model) | {
        "features": list(report.feature_names),
        "target": report.target_name,
        "initial_loss": model.initial_loss_,
        "condition_number": _finite_or_none(model.condition_number_),
        "trusted_digits": model.trusted_digits_,
        "collinear": list(model.collinear_),
        "relative_gradient": model.relative_gradient_,
        "r2": report.r2,
        "learning_rate": lr if isinstance(lr, (int, float, str)) else repr(lr),
        "stability_limit": model.stability_limit_,
        "optimal_loss": model.optimal_loss_,
        "optimality_gap": model.optimality_gap_,
        "loss_name": model.loss,
        "huber_threshold": getattr(model, "huber_threshold_", None),
        "optimizer": model.optimizer_,
        "learning_rate_coordinates": model.learning_rate_coordinates_,
        "fit_intercept": model.fit_intercept,
        "scale": model.scale,
        "rows": report.n,
        "engine": report.engine,
        "engine_reason": report.engine_reason or None,
        "start_iter": model.start_iter_,
        "elapsed": report.elapsed,
        "load_time": report.load_time,
    }
    missing = getattr(model, "missing_", None)  # the formula path: rows dropped per column
    if missing is not None:
        obj["formula"] = model.design_.plan.text
        obj["missing"] = missing.to_dict()
    obj["loss"], obj["n_iter"] = obj["fun"], obj["nit"]  # DEPRECATED, for one release
    if summary:  # null for a diverged fit: there are no statistics of it
        obj["summary"] = report.summary.to_dict() if report.summary is not None else None
    return obj


def print_fit(model: Any, report: FitReport) -> None:
    """The text report of ``descend fit``: one line on the data and the descent, a table."""
    lr = model.learning_rate_
    lr_text = f"{lr:.6g}" if isinstance(lr, float) else str(lr)
    limit = model.stability_limit_
    where = _COORDINATES.get(model.learning_rate_coordinates_, "")
    design = getattr(model, "design_", None)
    origin = "" if model.fit_intercept else "through the origin"
    if design is not None:  # the formula, not every indicator column it makes
        model_text = (f"{printable(design.plan.text)} ({len(report.feature_names)} design "
                      f"columns{', ' + origin if origin else ''})")
    else:
        model_text = (f"{printable(report.target_name)} ~ "
                      f"{printable(' + '.join(report.feature_names))}"
                      + (f" ({origin})" if origin else ""))
    out.print(
        f"{printable(report.source)}: {report.n} rows; {model_text}"
        + f"; loss {model.loss}; optimizer {model.optimizer_}; "
        f"learning rate {lr_text} ({where}"
        + (f"; stability limit 2/L = {limit:.6g})" if limit else ")"),
        markup=False,
    )
    t = RichTable(show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("starting loss", fmt(model.initial_loss_))
    t.add_row("intercept", fmt(model.intercept_))
    for name, c in zip(report.feature_names, model.coef_, strict=True):
        t.add_row(Text(f"coef {printable(name)}"), fmt(float(c)))  # Text: no markup
    t.add_row("final loss", fmt(model.loss_))
    if getattr(model, "huber_threshold_", None) is not None:
        t.add_row(
            "huber threshold",
            f"{model.epsilon:g} x {model.huber_scale_:.6g} = {model.huber_threshold_:.6g}",
        )
    if model.optimal_loss_ is not None:
        # from the moments: rounding ~eps x the starting loss
        same = abs(model.optimal_loss_ - model.loss_) <= 1e-12 * max(model.initial_loss_, 1e-300)
        t.add_row("least-squares loss",
                  "= final loss (to rounding)" if same else fmt(model.optimal_loss_))
    t.add_row("R^2", fmt(report.r2))
    t.add_row("iterations", str(model.n_iter_))
    t.add_row("stop reason", model.stop_reason_)
    t.add_row("verdict", str(model.verdict_))
    # of the standardised design (the summary's "Cond. no." is statsmodels': the raw design's)
    t.add_row("condition number (standardised)", f"{model.condition_number_:.4g}")
    t.add_row("trusted digits", f"~{model.trusted_digits_} (of the coefficients)")
    t.add_row("time", f"{report.elapsed:.3g} s")
    out.print(t)
    if report.summary is not None:
        out.print(str(report.summary), markup=False)


def sweep_json(res: Any, target: str) -> dict[str, Any]:
    """The JSON object of ``descend sweep --json``: each run in scipy's words too."""
    obj = res.to_dict()
    for run in obj["runs"]:
        run["x"] = [run["intercept"], *run["coef"]]
        run["fun"], run["nit"] = run["final_loss"], run["n_iter"]  # final_loss, n_iter: DEPRECATED
        run["success"] = run["verdict"] == "converged"
    obj["target"] = target
    return obj
