"""Rich display in Jupyter: an OptimizeResult as a small HTML card (verdict, numbers, loss).

Pure text and inline SVG -- no plotting library, no script -- so it renders in any notebook
front end (and in GitHub's notebook viewer) and costs nothing to import.

A leaf module (standard library and NumPy only), so the result (:mod:`descend.loop`) and the
estimators (:mod:`descend.models`) show themselves without importing the explorer or plots.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

__all__ = ["loss_svg", "model_html", "model_mimebundle", "result_html", "sweep_html"]

_GOOD, _BAD, _NEUTRAL = "#009E73", "#D55E00", "#0072B2"


def _f(v: Any, digits: int = 6) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return html.escape(str(v))
    return f"{x:.{digits}g}" if math.isfinite(x) else str(x)


def loss_svg(losses: Any, width: int = 260, height: int = 90, color: str = _NEUTRAL) -> str:
    """The loss curve as a tiny SVG polyline (log scale when positive and spanning 20x).

    Values below 1e-15 of the largest are float64 rounding noise: the curve stops there.

    >>> loss_svg([4.0, 1.0, 0.25]).startswith("<svg")
    True
    """
    y = np.asarray(losses, dtype=np.float64).ravel()
    k = np.arange(len(y))
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return ""
    y, k = y[ok], k[ok]
    floor = float(y.max()) * 1e-15
    log = bool(np.all(y >= 0) and y.max() > 0 and y.max() / max(float(y.min()), floor) >= 20)
    if log:
        y = np.log10(np.maximum(y, floor))
    lo, hi = float(y.min()), float(y.max())
    span = hi - lo or 1.0
    kmax = max(int(k.max()), 1)
    pts = " ".join(
        f"{2 + (width - 4) * ki / kmax:.1f},{2 + (height - 4) * (1 - (yi - lo) / span):.1f}"
        for ki, yi in zip(k, y, strict=True)
    )
    scale = "log scale" if log else "linear scale"
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="loss at each step, {scale}" style="background:#f7f9fb;border:1px solid #dde">'
        f'<polyline fill="none" stroke="{color}" stroke-width="1.8" points="{pts}"/></svg>'
    )


def _colour(verdict: str) -> str:
    """The verdict's colour: green only for ``converged``, red for a failed run."""
    from descend.loop.verdict import FAILED

    return _GOOD if verdict == "converged" else (_BAD if verdict in FAILED else _NEUTRAL)


def result_html(r: Any) -> str:
    """An :class:`~descend.loop.OptimizeResult` as an HTML card for Jupyter's rich display."""
    status = str(r.status)
    verdict = str(getattr(r, "verdict", None) or status)  # the headline is the verdict's word
    colour = _colour(verdict)
    names = list(getattr(r, "variables", ()) or [f"x{i}" for i in range(len(np.ravel(r.x)))])
    x = ", ".join(f"{html.escape(n)} = {_f(v)}" for n, v in zip(names, np.ravel(r.x), strict=False))
    gnorm = float(np.linalg.norm(np.ravel(r.jac))) if r.jac is not None else math.nan
    lr = r.learning_rate
    rows = [
        ("x", x),
        ("f(x)", _f(r.fun, 10)),
        ("|∇f(x)|", _f(gnorm, 3)),
        ("steps", f"{int(r.nit)} ({int(r.nfev)} function evaluations)"),
        ("optimizer", html.escape(f"{r.optimizer or 'default'}, learning rate "
                                  f"{_f(lr) if isinstance(lr, (int, float)) else lr}")),
        ("time", f"{float(r.elapsed) * 1e3:.3g} ms"),
    ]
    body = "".join(
        f'<tr><th style="text-align:left;padding:1px 10px 1px 0;color:#555">{k}</th>'
        f'<td style="text-align:left;font-family:monospace">{v}</td></tr>'
        for k, v in rows
    )
    return (
        '<div class="descend-result" style="font-family:system-ui,sans-serif;font-size:13px;'
        f'border-left:4px solid {colour};padding:6px 10px;max-width:760px">'
        f'<div style="font-weight:bold;color:{colour}">{html.escape(verdict)} '
        f'<span style="font-weight:normal;color:#555">({html.escape(status)})</span></div>'
        f'<div style="margin:2px 0 6px">{html.escape(str(r.message))}</div>'
        '<div style="display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start">'
        f'<table style="border-collapse:collapse">{body}</table>'
        f'<div>{loss_svg(r.history.fun, color=colour)}'
        '<div style="color:#555;font-size:11px">loss at each step</div></div></div></div>'
    )


def model_html(model: Any) -> str:
    """A fitted :class:`~descend.LinearRegression` as an HTML card: stop reason, the
    coefficients in the data's units, the loss against the least-squares optimum, the loss curve.
    """
    status = str(getattr(model, "stop_reason_", ""))
    verdict = str(getattr(model, "verdict_", None) or status)  # the headline is the verdict
    colour = _colour(verdict)
    names = list(getattr(model, "feature_names_", ()) or
                 [f"x{i}" for i in range(len(np.ravel(model.coef_)))])
    terms = " + ".join(f"{_f(c)}·{html.escape(str(n))}" for n, c in
                       zip(names, np.ravel(model.coef_), strict=False))
    rows = [("model", f"ŷ = {_f(model.intercept_)} + {terms}"),
            ("loss", f"{_f(getattr(model, 'loss_', math.nan))} "
                     f"(from {_f(getattr(model, 'initial_loss_', math.nan))})")]
    gap = getattr(model, "optimality_gap_", None)
    if gap is not None:
        rows.append(("above least squares", _f(gap, 3)))
    rows.append(("iterations", str(getattr(model, "n_iter_", "?"))))
    body = "".join(
        f'<tr><th style="text-align:left;padding:1px 10px 1px 0;color:#555">{k}</th>'
        f'<td style="text-align:left;font-family:monospace">{v}</td></tr>' for k, v in rows)
    return (
        '<div class="descend-model" style="font-family:system-ui,sans-serif;font-size:13px;'
        f'border-left:4px solid {colour};padding:6px 10px;max-width:760px">'
        f'<div style="font-weight:bold;color:{colour}">{html.escape(type(model).__name__)}: '
        f'{html.escape(verdict or "fitted")} '
        f'<span style="font-weight:normal;color:#555">(stopped by {html.escape(status)})'
        '</span></div>'
        f'<div style="margin:2px 0 6px">{html.escape(str(getattr(model, "message_", "")))}</div>'
        '<div style="display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start">'
        f'<table style="border-collapse:collapse">{body}</table>'
        f'<div>{loss_svg(getattr(model, "loss_curve_", []), color=colour)}'
        '<div style="color:#555;font-size:11px">loss at each step</div></div></div></div>'
    )


def model_mimebundle(model: Any, bundle: dict[str, Any]) -> dict[str, Any]:
    """scikit-learn's display bundle with the fit's card on top (once the model is fitted)."""
    if getattr(model, "coef_", None) is None:
        return bundle
    out = dict(bundle)
    out["text/html"] = model_html(model) + str(bundle.get("text/html", ""))
    return out


def sweep_html(res: Any) -> str:
    """A :class:`~descend.models.sweep.SweepResult` as a compact card: one row per rate with its
    verdict and loss curve, the stability limit ``2/L`` in the headline."""
    words = [str(v) for v in res.verdicts]
    counts = ", ".join(f"{words.count(w)} {w}" for w in dict.fromkeys(words))
    rows = "".join(
        f'<tr><td style="text-align:right;font-family:monospace;padding-right:10px">{_f(rate)}'
        f'</td><td style="color:{_colour(w)};font-weight:bold;padding-right:10px">{w}</td>'
        f'<td style="text-align:right;font-family:monospace;padding-right:10px">{int(n)}</td>'
        f'<td style="text-align:right;font-family:monospace;padding-right:10px">{_f(loss, 4)}</td>'
        f"<td>{loss_svg(curve, width=140, height=28, color=_colour(w))}</td></tr>"
        for rate, w, n, loss, curve in zip(res.learning_rates, words, res.n_iter, res.final_loss,
                                           res.loss_curves, strict=False)
    )
    head = "".join(f'<th style="text-align:left;color:#555;padding-right:10px">{h}</th>'
                   for h in ("learning rate", "verdict", "steps", "final loss", "loss"))
    return (
        '<div class="descend-sweep" style="font-family:system-ui,sans-serif;font-size:13px;'
        f'border-left:4px solid {_NEUTRAL};padding:6px 10px;max-width:760px">'
        f'<div style="font-weight:bold">learning-rate sweep: {html.escape(counts)} '
        f'<span style="font-weight:normal;color:#555">(stability limit 2/L = '
        f"{_f(res.stability_limit, 4)})</span></div>"
        f'<table style="border-collapse:collapse"><tr>{head}</tr>{rows}</table></div>'
    )
