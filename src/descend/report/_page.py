"""One self-contained HTML page: plotly.js inline, the run data as JSON, a little script.

The page shows a contour (or loss) surface with each run's path, a slider over the
iterations that moves the current point (and the fitted line, and the marker on the loss
curve), a menu to choose the run (learning rate or optimizer), the loss curve, the fit, and
tables of facts. Nothing is fetched: it works offline and can be mailed as one file.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from descend.plot._io import check_output_path

__all__ = ["write_html", "MAX_FRAMES"]

MAX_FRAMES = 400  # slider positions per run; longer runs are sampled evenly (ends kept)


def _clean(obj: Any) -> Any:
    """JSON-ready: arrays to lists, nan/inf to null (JSON has no such numbers)."""
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def frame_indices(n_points: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Iterations the slider stops at: all of them, or an even sample keeping both ends."""
    if n_points <= max_frames:
        return list(range(n_points))
    return sorted({int(round(v)) for v in np.linspace(0, n_points - 1, max_frames)})


def write_html(
    path: str | os.PathLike[str],
    *,
    title: str,
    runs: list[dict[str, Any]],
    surface: dict[str, Any] | None = None,
    fit: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    loss_label: str = "loss",
) -> Path:
    """Write the interactive report to ``path`` (``.html``) and return it.

    ``runs``: one dict per run with ``label``, ``loss`` (per iteration), optionally ``path``
    (``(k, 2)`` points on the surface), ``params`` (``(k, 2)`` intercept and slope, to move
    the fitted line) and ``facts`` (a dict shown when the run is chosen).
    ``surface``: ``x``, ``y`` (grid axes), ``z`` (``len(y) x len(x)``), ``xlabel``,
    ``ylabel``, optional ``minimum``, ``zlabel``, ``log`` (colour by log10(z - min z)).
    ``fit``: ``x``, ``y`` data and ``xlabel``/``ylabel`` (one feature: the line moves with the
    slider), or ``actual``/``predicted`` (several features: predicted against actual).
    ``facts``: settings and results shown for every run (e.g. the gradient formula).
    """
    p = check_output_path(path, (".html", ".htm"), what="report")
    data_runs = []
    for r in runs:
        loss = np.asarray(r["loss"], dtype=float)
        n = len(loss)
        for key in ("path", "params"):
            if r.get(key) is not None:
                n = max(n, len(r[key]))
        idx = frame_indices(n)
        run = {
            "label": str(r["label"]),
            "loss": loss,
            "frames": idx,
            "facts": {str(k): str(v) for k, v in (r.get("facts") or {}).items()},
        }
        for key in ("path", "params"):
            if r.get(key) is not None:
                arr = np.asarray(r[key], dtype=float)
                run[key] = arr[[min(i, len(arr) - 1) for i in idx]]
        data_runs.append(run)
    payload = {
        "title": title,
        "runs": data_runs,
        "surface": surface,
        "fit": fit,
        "facts": {str(k): str(v) for k, v in (facts or {}).items()},
        "lossLabel": loss_label,
    }
    from plotly.offline import get_plotlyjs

    text = (
        _TEMPLATE.replace("%%TITLE%%", html.escape(title))
        .replace("%%PLOTLYJS%%", get_plotlyjs())
        .replace("%%DATA%%", _script_json(payload))
        .replace("%%SCRIPT%%", _SCRIPT)
    )
    p.write_text(text, encoding="utf-8")
    return p


def _script_json(payload: dict[str, Any]) -> str:
    """The data as JSON safe inside ``<script>``: every ``<``, ``>`` and ``&`` escaped, so a
    column named ``<!--<script>`` or ``</script>`` cannot end or stall the script element."""
    text = json.dumps(_clean(payload), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>%%TITLE%%</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
         background: #f5f7fa; color: #1f2a36; }
  header { padding: 14px 24px 6px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .sub { color: #5a6b7d; font-size: 13px; }
  .controls { display: flex; gap: 18px; align-items: center; flex-wrap: wrap;
              padding: 8px 24px; background: #fff; border-top: 1px solid #e1e6ec;
              border-bottom: 1px solid #e1e6ec; position: sticky; top: 0; z-index: 5; }
  .controls label { font-size: 13px; color: #5a6b7d; }
  #iter { width: min(520px, 50vw); }
  #iterText { font-variant-numeric: tabular-nums; font-size: 13px; min-width: 260px; }
  .grid { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 14px;
          padding: 14px 24px; }
  .card { background: #fff; border: 1px solid #e1e6ec; border-radius: 8px; padding: 6px; }
  .plot { width: 100%; height: 430px; }
  .half { height: 330px; }
  table { border-collapse: collapse; font-size: 13px; width: 100%; }
  td { padding: 4px 8px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
  td:first-child { color: #5a6b7d; white-space: nowrap; width: 1%; }
  td code { font-size: 12px; }
  h2 { font-size: 14px; margin: 6px 8px; color: #34495e; }
  @media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
</style>
<script>%%PLOTLYJS%%</script>
</head>
<body>
<header><h1>%%TITLE%%</h1><div class="sub" id="subtitle"></div></header>
<div class="controls">
  <label>run <select id="run"></select></label>
  <label>iteration <input type="range" id="iter" min="0" max="0" value="0" step="1"></label>
  <span id="iterText"></span>
</div>
<div class="grid">
  <div class="card" id="surfaceCard"><div id="surface" class="plot"></div></div>
  <div>
    <div class="card"><div id="loss" class="plot half"></div></div>
    <div class="card" id="fitCard" style="margin-top:14px"><div id="fit" class="plot half"></div></div>
  </div>
  <div class="card"><h2>This run</h2><table id="runFacts"></table></div>
  <div class="card"><h2>Settings and facts</h2><table id="facts"></table></div>
</div>
<script id="descend-data" type="application/json">%%DATA%%</script>
<script>%%SCRIPT%%</script>
</body>
</html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("descend-data").textContent);
  const COLORS = ["#D55E00", "#0072B2", "#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#000000"];
  const cfg = {responsive: true, displaylogo: false};
  const font = {family: "system-ui, sans-serif", size: 12, color: "#1f2a36"};
  const runSel = document.getElementById("run");
  const slider = document.getElementById("iter");
  const iterText = document.getElementById("iterText");
  let cur = 0;

  function fmt(v) {
    if (v === null || v === undefined) return "—";
    const a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(3) : (+v.toPrecision(5)).toString();
  }
  function fillTable(id, facts) {
    const t = document.getElementById(id);
    t.innerHTML = "";
    for (const [k, v] of Object.entries(facts)) {
      const tr = t.insertRow();
      tr.insertCell().textContent = k;
      const td = tr.insertCell();
      const c = document.createElement("code");
      c.textContent = v;
      td.appendChild(c);
    }
  }
  function positive(arr) {
    const f = arr.filter(v => v !== null);
    return f.length > 1 && f.every(v => v > 0) && Math.max(...f) / Math.min(...f) >= 20;
  }

  D.runs.forEach((r, i) => {
    const o = document.createElement("option");
    o.value = String(i); o.textContent = r.label; runSel.appendChild(o);
  });
  if (D.runs.length < 2) runSel.disabled = true;
  document.getElementById("subtitle").textContent =
    D.runs.length + (D.runs.length === 1 ? " run" : " runs") +
    " · drag the slider to step through the iterations";
  fillTable("facts", D.facts);

  // ---- surface with paths
  const S = D.surface;
  let nSurfaceBase = 0;
  if (S) {
    const traces = [{
      type: "contour", x: S.x, y: S.y, z: S.z, colorscale: "YlGnBu", reversescale: false,
      contours: {coloring: "heatmap", showlines: true}, line: {width: 0.6, color: "rgba(43,58,74,0.5)"},
      ncontours: 22, opacity: 0.9, name: S.zlabel || "f",
      colorbar: {title: {text: S.log ? "log10(" + (S.zlabel || "f") + " − min)" : (S.zlabel || "f"), side: "right"}, thickness: 14},
      hovertemplate: S.xlabel + "=%{x:.4g}<br>" + S.ylabel + "=%{y:.4g}<extra></extra>"
    }];
    if (S.minimum) traces.push({type: "scatter", mode: "markers", x: [S.minimum[0]], y: [S.minimum[1]],
      name: "minimum", marker: {symbol: "star", size: 18, color: "#ffd23f", line: {color: "black", width: 1}}});
    D.runs.forEach((r, i) => {
      if (!r.path) return;
      traces.push({type: "scatter", mode: "lines", x: r.path.map(p => p[0]), y: r.path.map(p => p[1]),
        name: r.label, line: {color: COLORS[i % COLORS.length], width: 1.2}, opacity: 0.35,
        hoverinfo: "skip", showlegend: D.runs.length > 1});
    });
    nSurfaceBase = traces.length;
    traces.push({type: "scatter", mode: "lines+markers", x: [], y: [], name: "path so far",
      line: {color: "#D55E00", width: 2.5}, marker: {size: 5, color: "#D55E00", line: {color: "white", width: 0.5}}});
    traces.push({type: "scatter", mode: "markers", x: [], y: [], name: "current point",
      marker: {size: 15, color: "white", line: {color: "#D55E00", width: 3}}});
    const layout = {
      title: {text: S.title || "Contours and descent path", font: {size: 15}}, font: font,
      xaxis: {title: {text: S.xlabel}, range: S.xrange, showgrid: false, zeroline: false},
      yaxis: {title: {text: S.ylabel}, range: S.yrange, showgrid: false, zeroline: false},
      margin: {l: 60, r: 20, t: 46, b: 50}, legend: {orientation: "h", y: -0.16},
      paper_bgcolor: "white"
    };
    if (S.equal) { layout.yaxis.scaleanchor = "x"; layout.yaxis.scaleratio = 1; }
    Plotly.newPlot("surface", traces, layout, cfg);
  } else {
    document.getElementById("surfaceCard").style.display = "none";
  }

  // ---- fit
  const F = D.fit;
  if (F) {
    let traces, layout;
    if (F.x) {
      const lo = Math.min(...F.x), hi = Math.max(...F.x);
      traces = [
        {type: "scatter", mode: "markers", x: F.x, y: F.y, name: "data",
         marker: {color: "#0072B2", size: 7, opacity: 0.75, line: {color: "white", width: 0.5}}},
        {type: "scatter", mode: "lines", x: [lo, hi], y: [null, null], name: "model at this iteration",
         line: {color: "#D55E00", width: 3}}
      ];
      layout = {title: {text: "The fit", font: {size: 15}}, xaxis: {title: {text: F.xlabel}},
                yaxis: {title: {text: F.ylabel}}};
    } else {
      const lo = Math.min(...F.actual, ...F.predicted), hi = Math.max(...F.actual, ...F.predicted);
      traces = [
        {type: "scatter", mode: "markers", x: F.actual, y: F.predicted, name: "observations",
         marker: {color: "#0072B2", size: 6, opacity: 0.7}},
        {type: "scatter", mode: "lines", x: [lo, hi], y: [lo, hi], name: "identity",
         line: {color: "#444", dash: "dash"}}
      ];
      layout = {title: {text: "Predicted against actual", font: {size: 15}},
                xaxis: {title: {text: "actual " + F.ylabel}}, yaxis: {title: {text: "predicted " + F.ylabel}}};
    }
    Object.assign(layout, {font: font, margin: {l: 60, r: 20, t: 46, b: 50},
      legend: {orientation: "h", y: -0.25}});
    Plotly.newPlot("fit", traces, layout, cfg);
  } else {
    document.getElementById("fitCard").style.display = "none";
  }

  // ---- loss
  function drawLoss() {
    const traces = D.runs.map((r, i) => ({
      type: "scatter", mode: "lines", x: r.loss.map((_, k) => k), y: r.loss, name: r.label,
      line: {color: COLORS[i % COLORS.length], width: i === cur ? 2.6 : 1.2},
      opacity: i === cur ? 1 : 0.35, showlegend: D.runs.length > 1
    }));
    traces.push({type: "scatter", mode: "markers", x: [], y: [], name: "current",
      marker: {size: 12, color: "white", line: {color: "#D55E00", width: 3}}, showlegend: false});
    const all = [].concat(...D.runs.map(r => r.loss));
    const layout = {
      title: {text: "Loss during descent", font: {size: 15}}, font: font,
      xaxis: {title: {text: "iteration"}},
      yaxis: {title: {text: D.lossLabel}, type: positive(all) ? "log" : "linear", exponentformat: "power"},
      margin: {l: 70, r: 20, t: 46, b: 50}, legend: {orientation: "h", y: -0.25}
    };
    Plotly.newPlot("loss", traces, layout, cfg);
  }

  function chooseRun(i) {
    cur = i;
    const r = D.runs[i];
    slider.max = String(r.frames.length - 1);
    slider.value = String(r.frames.length - 1);
    fillTable("runFacts", r.facts);
    drawLoss();
    if (S && r.path) {
      Plotly.restyle("surface", {"line.color": COLORS[i % COLORS.length],
        "marker.color": COLORS[i % COLORS.length]}, [nSurfaceBase]);
      Plotly.restyle("surface", {"marker.line.color": COLORS[i % COLORS.length]}, [nSurfaceBase + 1]);
    }
    show(r.frames.length - 1);
  }

  function show(j) {
    const r = D.runs[cur];
    const k = r.frames[j];
    const lossK = k < r.loss.length ? r.loss[k] : null;
    iterText.textContent = "iteration " + k + " of " + (r.loss.length - 1) + " · " +
      D.lossLabel + " = " + fmt(lossK);
    if (S && r.path) {
      const p = r.path[j];
      Plotly.restyle("surface", {x: [r.path.slice(0, j + 1).map(q => q[0])],
                                 y: [r.path.slice(0, j + 1).map(q => q[1])]}, [nSurfaceBase]);
      Plotly.restyle("surface", {x: [[p[0]]], y: [[p[1]]]}, [nSurfaceBase + 1]);
      iterText.textContent += " · (" + fmt(p[0]) + ", " + fmt(p[1]) + ")";
    }
    Plotly.restyle("loss", {x: [[k]], y: [[lossK]]}, [D.runs.length]);
    if (F && F.x && r.params) {
      const b = r.params[j][0], m = r.params[j][1];
      const lo = Math.min(...F.x), hi = Math.max(...F.x);
      Plotly.restyle("fit", {x: [[lo, hi]], y: [[b + m * lo, b + m * hi]]}, [1]);
    }
    document.body.dataset.iteration = String(k);
  }

  runSel.addEventListener("change", () => chooseRun(parseInt(runSel.value, 10)));
  slider.addEventListener("input", () => show(parseInt(slider.value, 10)));
  chooseRun(0);
  document.body.dataset.ready = "1";
})();
"""
