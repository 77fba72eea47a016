"""Reports for the CLI's ``--html``: a minimize run (or a race), a fit, a learning-rate sweep."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descend.geometry import (
    choose_window,
    contour_levels,
    find_minimum,
    least_squares,
    loss_grid,
    marked_minima,
    regression_window,
)
from descend.plot._data import STOP_REASONS, as_field, run_label
from descend.report._page import write_html

__all__ = ["fit_report", "minimize_report", "sweep_report"]


def _num(v: Any) -> str:
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return str(v)


def _surface(x: np.ndarray, y: np.ndarray, Z: np.ndarray, **kw: Any) -> dict[str, Any]:
    """Grid for the page; coloured by log10(Z - min) when the values span decades."""
    _, geometric = contour_levels(Z)
    if kw.pop("force_log", False):
        geometric = True
    zmin = float(np.nanmin(Z))
    if geometric:
        floor = max((float(np.nanmax(Z)) - zmin) * 1e-7, 1e-300)
        Z = np.log10(Z - zmin + floor)
    return {"x": x, "y": y, "z": Z, "log": bool(geometric), **kw}


def minimize_report(
    path: str | os.PathLike[str],
    fun: Any,
    results: Sequence[Any],
    facts: dict[str, Any] | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Write the interactive report of one or more ``minimize`` runs of ``fun``.

    Two variables: the contour map with each run's path and a slider moving the current point;
    any number: the loss curves. ``facts`` (settings such as the expression or max_iter) are
    shown with the gradient formula when ``fun`` has one.
    """
    results = list(results)
    runs = []
    for i, r in enumerate(results):
        status = str(r.status)
        runs.append({
            "label": run_label(r, i),
            "loss": r.history.fun,
            "path": r.history.x if r.history.x.shape[1] == 2 else None,
            "facts": {
                "optimizer": r.optimizer or "(default)",
                "learning rate": _num(r.learning_rate) if r.learning_rate is not None else "—",
                "stopped": f"{status}: {STOP_REASONS.get(status, status)}",
                "message": r.message,
                "iterations": r.nit,
                "function / gradient evaluations": f"{r.nfev} / {r.njev}",
                "time": f"{r.elapsed * 1000:.3g} ms",
                "final f": _num(r.fun),
                "final point": ", ".join(
                    f"{v} = {_num(x)}"
                    for v, x in zip(r.variables or fun.variables, r.x, strict=False)
                ),
            },
        })
    all_facts: dict[str, Any] = {}
    formula = getattr(fun, "formula", "")
    if formula:
        all_facts["f"] = formula
    grad = getattr(fun, "gradient_formula", None)
    if grad:
        names = getattr(fun, "variables", ())
        all_facts["gradient ∇f"] = "(" + ", ".join(str(g) for g in grad) + ")"
        if names:
            all_facts["gradient ∇f"] = " , ".join(
                f"∂f/∂{v} = {g}" for v, g in zip(names, grad, strict=False)
            )
    all_facts.update(facts or {})
    surface = None
    if getattr(fun, "n", 2) == 2:
        field = as_field(fun)
        paths = [r.history.x for r in results]
        xl, yl = choose_window(paths)
        mpt = find_minimum(field, xl, yl)
        converged = marked_minima(results)
        if converged:  # the runs were judged: mark where one converged, as the figures do
            mpt = converged[0]
        if mpt is not None:
            xl, yl = choose_window(paths, center=mpt)
        xs, ys = np.linspace(*xl, 120), np.linspace(*yl, 120)
        X, Y = np.meshgrid(xs, ys)
        surface = _surface(
            xs, ys, field.values(X, Y), xlabel=field.names[0], ylabel=field.names[1],
            xrange=xl, yrange=yl, minimum=mpt, zlabel="f", equal=True,
            title=f"f = {formula}" if formula else "Contours of f",
        )
    return write_html(
        path, title=title or (f"descend minimize: {formula}" if formula else "descend minimize"),
        runs=runs, surface=surface, facts=all_facts, loss_label="f",
    )


def _regression_surface(
    table: Any, paths: list[np.ndarray], loss: str = "squared_error", epsilon: float = 1.35
) -> dict[str, Any]:
    x = np.asarray(table.X, dtype=float).ravel()
    y = np.asarray(table.y, dtype=float)
    xl, yl = regression_window(x, y, paths)
    bs, ms = np.linspace(*xl, 140), np.linspace(*yl, 140)
    B, M = np.meshgrid(bs, ms)
    b0, w = least_squares(x, y)
    return _surface(
        bs, ms, loss_grid(x, y, B, M, loss=loss, epsilon=epsilon), force_log=True,
        xlabel=f"intercept ({table.target_name})",
        ylabel=f"slope ({table.target_name} per {table.feature_names[0]})",
        xrange=xl, yrange=yl, minimum=[b0, float(w[0])], zlabel=_loss_short(loss),
        equal=False, title=f"Loss surface: {_loss_label(loss)} over (intercept, slope)",
    )


def _sample(X: np.ndarray, y: np.ndarray, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """At most ``n`` points for the page (evenly strided, deterministic)."""
    if len(y) <= n:
        return X, y
    idx = np.linspace(0, len(y) - 1, n).astype(int)
    return X[idx], y[idx]


def fit_report(
    path: str | os.PathLike[str], model: Any, table: Any, facts: dict[str, Any] | None = None
) -> Path:
    """Write the interactive report of a fitted ``LinearRegression`` on ``table``.

    One feature: the data with the line moving with the slider, and the loss surface over
    (intercept, slope) with the descent path. Several: predicted against actual.
    """
    X = np.asarray(table.X, dtype=float)
    X2 = X.reshape(-1, 1) if X.ndim == 1 else X
    y = np.asarray(table.y, dtype=float)
    coef = np.atleast_1d(np.asarray(model.coef_, dtype=float))
    intercept = float(np.asarray(model.intercept_, dtype=float))
    hist = getattr(model, "history_", None)
    hist = None if hist is None else np.asarray(hist, dtype=float)
    one = X2.shape[1] == 1
    stop = str(getattr(model, "stop_reason_", "") or "")
    run_facts = {
        "model": f"{table.target_name} = {intercept:.6g} "
        + " ".join(f"{'+' if c >= 0 else '−'} {abs(c):.6g}·{n}"
                   for c, n in zip(coef, table.feature_names, strict=False)),
        "stopped": f"{stop}: {STOP_REASONS.get(stop, stop)}" if stop else "—",
        "iterations": getattr(model, "n_iter_", len(getattr(model, "loss_curve_", [])) - 1),
        "final loss": _num(model.loss_curve_[-1]) if len(model.loss_curve_) else "—",
    }
    for attr, name in (("learning_rate_", "learning rate"), ("stability_limit_", "2/L limit")):
        v = getattr(model, attr, None)
        if v is not None:
            run_facts[name] = _num(v)
    run: dict[str, Any] = {"label": "fit", "loss": model.loss_curve_, "facts": run_facts}
    Xs, ys = _sample(X2, y)
    surface = None
    if one:
        fit = {"x": Xs[:, 0], "y": ys, "xlabel": table.feature_names[0],
               "ylabel": table.target_name}
        if hist is not None and hist.ndim == 2 and hist.shape[1] == 2:
            run["params"] = hist
            run["path"] = hist
            threshold = getattr(model, "huber_threshold_", None)
            surface = _regression_surface(
                table, [hist], str(getattr(model, "loss", "squared_error") or "squared_error"),
                float(threshold) if threshold is not None else float(getattr(model, "epsilon",
                                                                             1.35)))
    else:
        fit = {"actual": ys, "predicted": intercept + Xs @ coef, "ylabel": table.target_name}
    all_facts = {"data": f"{table.source} ({len(y)} rows)",
                 "features": ", ".join(table.feature_names), "target": table.target_name}
    all_facts.update(facts or {})
    return write_html(path, title=f"descend fit: {table.target_name} from "
                      f"{', '.join(table.feature_names)}", runs=[run], surface=surface, fit=fit,
                      facts=all_facts,
                      loss_label=_loss_label(getattr(model, "loss", "squared_error")))


def _loss_label(name: Any) -> str:
    from descend.losses import get_loss

    return get_loss(str(name or "squared_error")).label


def _loss_short(name: Any) -> str:
    from descend.losses import get_loss

    return get_loss(str(name or "squared_error")).short


def _sweep_outcome(verdict: str, lr: float, limit: float | None) -> str:
    """One run's outcome in words, from its verdict (:mod:`descend.loop.verdict`): what the
    run shows, not only the rule that stopped it."""
    above = limit is not None and np.isfinite(limit) and lr >= limit * (1 - 1e-12)
    words = {
        "diverged": "diverged: the step is above the stability limit 2/L",
        "oscillating": ("oscillating: a rate of 2/L or more never converges (the error along "
                        "the steepest direction flips sign without shrinking)"),
        "converged": "converged (a small gradient and optimality gap)",
        "stalled": "stalled: the loss stopped moving before the answer was reached",
        "budget_spent": "not converged within max_iter",
    }
    if verdict in words:
        return words[verdict]
    return "at or above the stability limit 2/L: not stable" if above else verdict or "unknown"


def sweep_report(
    path: str | os.PathLike[str], sweep: Any, table: Any, facts: dict[str, Any] | None = None
) -> Path:
    """Write the interactive report of a learning-rate sweep: one run per rate to choose from,
    diverged ones labelled; the 2/L stability limit among the facts."""
    hists = getattr(sweep, "histories", None) or [None] * len(sweep.learning_rates)
    X = np.asarray(table.X, dtype=float)
    one = X.ndim == 1 or X.shape[1] == 1
    runs = []
    for i, lr in enumerate(sweep.learning_rates):
        h = None if hists[i] is None else np.asarray(hists[i], dtype=float)
        div = bool(sweep.diverged[i])
        verdict = str(sweep.verdicts[i]) if getattr(sweep, "verdicts", None) else ""
        r: dict[str, Any] = {
            "label": f"lr = {lr:g}" + (" (diverged)" if div else " (oscillating)"
                                       if verdict == "oscillating" else ""),
            "loss": sweep.loss_curves[i],
            "facts": {
                "learning rate": _num(lr),
                "outcome": _sweep_outcome("diverged" if div else verdict, float(lr),
                                          getattr(sweep, "stability_limit", None)),
                "iterations": int(sweep.n_iter[i]),
                "final loss": _num(sweep.final_loss[i]),
            },
        }
        if one and h is not None and h.ndim == 2 and h.shape[1] == 2:
            r["path"] = h
            r["params"] = h
        runs.append(r)
    surface = fit = None
    if one:
        ok = [np.asarray(r["path"]) for r, d in zip(runs, sweep.diverged, strict=True)
              if "path" in r and not d]
        surface = _regression_surface(table, ok)
        Xs, ys = _sample(X.reshape(-1, 1), np.asarray(table.y, dtype=float))
        fit = {"x": Xs[:, 0], "y": ys, "xlabel": table.feature_names[0],
               "ylabel": table.target_name}
    all_facts = {"data": f"{table.source} ({table.n} rows)",
                 "learning rates": ", ".join(f"{lr:g}" for lr in sweep.learning_rates)}
    lim = getattr(sweep, "stability_limit", None)
    if lim is not None:
        all_facts["stability limit 2/L"] = f"{lim:.6g} (rates above it diverge)"
    all_facts.update(facts or {})
    return write_html(path, title="descend sweep: learning rates compared", runs=runs,
                      surface=surface, fit=fit, facts=all_facts,
                      loss_label="mean squared error")
