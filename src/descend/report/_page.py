"""One self-contained HTML page: the run data as JSON and a small canvas script (no library).

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
import re
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
    if surface is not None and surface.get("z") is not None:
        # colours and contour lines need 4 significant digits, not 17: a third of the size
        z = np.asarray(surface["z"], dtype=float)
        surface = {**surface, "z": [[float(f"{v:.4g}") if np.isfinite(v) else None for v in row]
                                    for row in z]}
    payload = {
        "title": title,
        "runs": data_runs,
        "surface": surface,
        "fit": fit,
        "facts": {str(k): str(v) for k, v in (facts or {}).items()},
        "lossLabel": loss_label,
    }
    # one pass over the template: a column named %%SCRIPT%% inside the data is not a slot
    slots = {"TITLE": html.escape(title), "DATA": _script_json(payload), "SCRIPT": _SCRIPT}
    text = re.sub(r"%%(TITLE|DATA|SCRIPT)%%", lambda m: slots[m.group(1)], _TEMPLATE)
    from descend.io import atomic_output

    with atomic_output(p) as tmp:
        tmp.write_text(text, encoding="utf-8")
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
  .plot { width: 100%; }
  table { border-collapse: collapse; font-size: 13px; width: 100%; }
  td { padding: 4px 8px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
  td:first-child { color: #5a6b7d; white-space: nowrap; width: 1%; }
  td code { font-size: 12px; }
  h2 { font-size: 14px; margin: 6px 8px; color: #34495e; }
  @media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
</style>
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
  // Plain canvas drawing (no plotting library): the page stays ~100 KB instead of 5 MB.
  var D = JSON.parse(document.getElementById("descend-data").textContent);
  var COLORS = ["#D55E00", "#0072B2", "#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#000000"];
  // descend's pictures' colour map, YlGnBu_r (plot._style.FIELD_CMAP; the explorer's too): one colour map in every output
  var FIELD = [[8, 29, 88], [37, 52, 148], [34, 94, 168], [29, 145, 192], [65, 182, 196], [127, 205, 187], [199, 233, 180], [237, 248, 177], [255, 255, 217]];
  var runSel = document.getElementById("run"), slider = document.getElementById("iter");
  var iterText = document.getElementById("iterText");
  var cur = 0, curJ = 0;

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    var a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(3) : String(+v.toPrecision(5));
  }
  function tickFmt(v) {
    var a = Math.abs(v);
    if (a >= 1e4 && a < 1e6) return +(v / 1e3).toPrecision(3) + "k";
    if (a >= 1e6 && a < 1e9) return +(v / 1e6).toPrecision(3) + "M";
    if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(1);
    return String(+v.toPrecision(4));
  }
  function ticks(lo, hi, n) {
    var span = hi - lo; if (!(span > 0)) return [lo];
    var step = Math.pow(10, Math.floor(Math.log10(span / n))), e = span / n / step;
    if (e >= 7.5) step *= 10; else if (e >= 3.5) step *= 5; else if (e >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function fillTable(id, facts) {
    var t = document.getElementById(id);
    while (t.rows.length) t.deleteRow(0);
    Object.keys(facts).forEach(function (k) {
      var tr = t.insertRow(); tr.insertCell().textContent = k;
      var c = document.createElement("code"); c.textContent = facts[k]; tr.insertCell().appendChild(c);
    });
  }
  function cmap(t) {
    t = Math.max(0, Math.min(1, t)) * (FIELD.length - 1);
    var i = Math.min(Math.floor(t), FIELD.length - 2), u = t - i, a = FIELD[i], b = FIELD[i + 1];
    return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
  }

  // A chart: a canvas with margins, a data window and the two transforms.
  function Chart(holder, aspect, label) {
    var c = document.createElement("canvas");
    c.setAttribute("role", "img"); c.setAttribute("aria-label", label);
    c.style.width = "100%"; c.style.display = "block";
    holder.appendChild(c);
    this.canvas = c; this.aspect = aspect; this.m = {l: 62, r: 14, t: 30, b: 42};
  }
  Chart.prototype.begin = function (x0, x1, y0, y1, title) {
    var w = Math.max(260, this.canvas.parentNode.clientWidth || 400), h = Math.round(w * this.aspect);
    var dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr); this.canvas.height = Math.round(h * dpr);
    this.canvas.style.height = h + "px";
    var ctx = this.canvas.getContext("2d"); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    this.ctx = ctx; this.W = w; this.H = h;
    this.x0 = x0; this.x1 = x1; this.y0 = y0; this.y1 = y1;
    ctx.fillStyle = "#1f2a36"; ctx.font = "bold " + (w < 500 ? 11 : 14) + "px system-ui, sans-serif"; ctx.textAlign = "left";
    ctx.fillText(title, this.m.l, 19);
    return ctx;
  };
  Chart.prototype.px = function (x, y) {
    var m = this.m, pw = this.W - m.l - m.r, ph = this.H - m.t - m.b;
    return [m.l + (x - this.x0) / (this.x1 - this.x0) * pw, m.t + (1 - (y - this.y0) / (this.y1 - this.y0)) * ph];
  };
  Chart.prototype.clip = function () {
    var m = this.m; this.ctx.save(); this.ctx.beginPath();
    this.ctx.rect(m.l, m.t, this.W - m.l - m.r, this.H - m.t - m.b); this.ctx.clip();
  };
  Chart.prototype.axes = function (xlabel, ylabel, yfmt) {
    var ctx = this.ctx, m = this.m, self = this;
    ctx.restore();
    ctx.strokeStyle = "#8795a3"; ctx.lineWidth = 1; ctx.strokeRect(m.l, m.t, this.W - m.l - m.r, this.H - m.t - m.b);
    ctx.fillStyle = "#1f2a36"; ctx.font = "11px system-ui, sans-serif";
    ticks(this.x0, this.x1, 6).forEach(function (v) {
      var p = self.px(v, self.y0); ctx.textAlign = "center"; ctx.fillText(tickFmt(v), p[0], p[1] + 14);
    });
    ticks(this.y0, this.y1, 5).forEach(function (v) {
      var p = self.px(self.x0, v); ctx.textAlign = "right"; ctx.fillText((yfmt || tickFmt)(v), p[0] - 5, p[1] + 4);
    });
    ctx.font = "12px system-ui, sans-serif"; ctx.textAlign = "center";
    ctx.fillText(xlabel, m.l + (this.W - m.l - m.r) / 2, this.H - 8);
    ctx.save(); ctx.translate(13, m.t + (this.H - m.t - m.b) / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(ylabel, 0, 0); ctx.restore();
  };
  Chart.prototype.polyline = function (pts, color, width, alpha) {
    var ctx = this.ctx, self = this, pen = false;
    ctx.save(); ctx.globalAlpha = alpha || 1; ctx.strokeStyle = color; ctx.lineWidth = width; ctx.lineJoin = "round";
    ctx.beginPath();
    pts.forEach(function (p) {
      if (p === null || !isFinite(p[0]) || !isFinite(p[1])) { pen = false; return; }
      var q = self.px(p[0], p[1]);
      q = [Math.max(-1e4, Math.min(1e4, q[0])), Math.max(-1e4, Math.min(1e4, q[1]))];
      if (pen) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]); pen = true;
    });
    ctx.stroke(); ctx.restore();
  };
  Chart.prototype.dot = function (p, r, fill, stroke, lw) {
    if (!p || !isFinite(p[0]) || !isFinite(p[1])) return;
    var q = this.px(p[0], p[1]), ctx = this.ctx;
    ctx.beginPath(); ctx.arc(q[0], q[1], r, 0, 7); ctx.fillStyle = fill; ctx.fill();
    if (stroke) { ctx.lineWidth = lw || 2; ctx.strokeStyle = stroke; ctx.stroke(); }
  };

  D.runs.forEach(function (r, i) {
    var o = document.createElement("option"); o.value = String(i); o.textContent = r.label; runSel.appendChild(o);
  });
  if (D.runs.length < 2) runSel.disabled = true;
  document.getElementById("subtitle").textContent = D.runs.length + (D.runs.length === 1 ? " run" : " runs") +
    " · drag the slider (or use the arrow keys on it) to step through the iterations";
  fillTable("facts", D.facts);

  // ---- the surface: colours and contour lines of the grid, every path, the current one
  var S = D.surface, surfaceChart = null, surfaceImg = null, contours = [];
  if (S) {
    var ny = S.y.length, nx = S.x.length, zs = [];
    S.z.forEach(function (row) { row.forEach(function (v) { if (v !== null) zs.push(v); }); });
    // colour by rank (the fraction of the grid below a value): every range reads well
    zs.sort(function (a, b) { return a - b; });
    var rank = function (v) {
      var lo = 0, hi = zs.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (zs[mid] < v) lo = mid + 1; else hi = mid; }
      return lo / zs.length;
    };
    surfaceImg = document.createElement("canvas"); surfaceImg.width = nx; surfaceImg.height = ny;
    var ictx = surfaceImg.getContext("2d"), img = ictx.createImageData(nx, ny);
    for (var j = 0; j < ny; j++) for (var i = 0; i < nx; i++) {
      var v = S.z[j][i], p = ((ny - 1 - j) * nx + i) * 4, c = v === null ? [220, 220, 220] : cmap(Math.sqrt(rank(v)));
      img.data[p] = c[0]; img.data[p + 1] = c[1]; img.data[p + 2] = c[2]; img.data[p + 3] = 255;
    }
    ictx.putImageData(img, 0, 0);
    [0.005, 0.02, 0.05, 0.1, 0.17, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.93].forEach(function (q) {
      // marching squares at quantiles of the grid's values
      var level = zs[Math.floor(q * (zs.length - 1))], segs = [];
      for (j = 0; j < ny - 1; j++) for (i = 0; i < nx - 1; i++) {
        var a = S.z[j][i], b = S.z[j][i + 1], cc = S.z[j + 1][i + 1], d = S.z[j + 1][i];
        if (a === null || b === null || cc === null || d === null) continue;
        var pts = [], cross = function (v0, v1, x0, y0, x1, y1) {
          var t = (level - v0) / (v1 - v0); pts.push([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t]);
        };
        if ((a < level) !== (b < level)) cross(a, b, S.x[i], S.y[j], S.x[i + 1], S.y[j]);
        if ((b < level) !== (cc < level)) cross(b, cc, S.x[i + 1], S.y[j], S.x[i + 1], S.y[j + 1]);
        if ((cc < level) !== (d < level)) cross(cc, d, S.x[i + 1], S.y[j + 1], S.x[i], S.y[j + 1]);
        if ((d < level) !== (a < level)) cross(d, a, S.x[i], S.y[j + 1], S.x[i], S.y[j]);
        if (pts.length >= 2) segs.push([pts[0], pts[1]]);
        if (pts.length === 4) segs.push([pts[2], pts[3]]);
      }
      contours.push(segs);
    });
    var sx = S.xrange || [S.x[0], S.x[nx - 1]], sy = S.yrange || [S.y[0], S.y[ny - 1]];
    var aspect = S.equal ? Math.max(0.55, Math.min(1.1, (sy[1] - sy[0]) / (sx[1] - sx[0]))) : 0.8;
    surfaceChart = new Chart(document.getElementById("surface"), aspect, "contour map of the function with the descent path");
    surfaceChart.range = [sx, sy];
    surfaceChart.zlabel = "dark = low " + (S.zlabel || "f");
  } else {
    document.getElementById("surfaceCard").style.display = "none";
  }
  function drawSurface() {
    if (!S) return;
    var ch = surfaceChart, r = D.runs[cur], ctx = ch.begin(ch.range[0][0], ch.range[0][1], ch.range[1][0], ch.range[1][1], S.title || "Contours and descent path");
    ch.clip();
    var p0 = ch.px(S.x[0], S.y[S.y.length - 1]), p1 = ch.px(S.x[S.x.length - 1], S.y[0]);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(surfaceImg, p0[0], p0[1], p1[0] - p0[0], p1[1] - p0[1]);
    ctx.strokeStyle = "rgba(255,255,255,0.4)"; ctx.lineWidth = 0.8; ctx.beginPath();
    contours.forEach(function (segs) {
      segs.forEach(function (s) { var a = ch.px(s[0][0], s[0][1]), b = ch.px(s[1][0], s[1][1]); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); });
    });
    ctx.stroke();
    D.runs.forEach(function (q, i) { if (q.path && i !== cur) ch.polyline(q.path, COLORS[i % COLORS.length], 1.4, 0.45); });
    if (S.minimum) ch.dot(S.minimum, 7, "#ffd23f", "#000", 1.5);
    if (r.path) {
      var col = COLORS[cur % COLORS.length], sofar = r.path.slice(0, curJ + 1);
      ch.polyline(sofar, "rgba(255,255,255,0.9)", 5);
      ch.polyline(sofar, col, 2.5);
      sofar.forEach(function (p) { ch.dot(p, 2.5, col); });
      ch.dot(r.path[0], 5, "#fff", col, 2);
      ch.dot(r.path[curJ], 8, "#fff", col, 3);
      document.getElementById("surface").dataset.current = JSON.stringify(r.path[curJ]);
    }
    ch.axes(S.xlabel, S.ylabel);
    ctx.fillStyle = "#5a6b7d"; ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "right";
    ctx.fillText(ch.zlabel, ch.W - ch.m.r, ch.H - 8);
  }

  // ---- the loss of every run, the chosen one in front, a marker at the current iteration
  var lossChart = new Chart(document.getElementById("loss"), 0.62, "loss at each iteration");
  var lossAll = [].concat.apply([], D.runs.map(function (r) { return r.loss.filter(function (v) { return v !== null; }); }));
  var lossLog = lossAll.length > 1 && lossAll.every(function (v) { return v > 0; }) &&
    Math.max.apply(null, lossAll) / Math.min.apply(null, lossAll) >= 20;
  // descend.geometry.noise_floor: 1e-15 of the largest *starting* loss (a blow-up is not noise)
  var lossStart = Math.max.apply(null, D.runs.map(function (r) { return r.loss[0] === null ? 0 : Math.abs(r.loss[0]); }));
  var lossFloor = lossStart * 1e-15;
  function ly(v) { return v === null ? NaN : lossLog ? Math.log10(Math.max(v, lossFloor)) : v; }
  function drawLoss() {
    var ch = lossChart, K = Math.max.apply(null, D.runs.map(function (r) { return r.loss.length - 1; })) || 1;
    var ys = lossAll.map(ly), lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys), pad = (hi - lo) * 0.06 || 1;
    ch.begin(0, K, lo - pad, hi + pad, "Loss during descent" + (lossLog ? " (log scale)" : ""));
    ch.clip();
    D.runs.forEach(function (r, i) {
      if (i === cur) return;
      ch.polyline(r.loss.map(function (v, k) { return [k, ly(v)]; }), COLORS[i % COLORS.length], 1.2, 0.35);
    });
    var r = D.runs[cur], k = r.frames[curJ];
    ch.polyline(r.loss.map(function (v, kk) { return [kk, ly(v)]; }), COLORS[cur % COLORS.length], 2.4);
    if (k < r.loss.length) ch.dot([k, ly(r.loss[k])], 6, "#fff", COLORS[cur % COLORS.length], 3);
    ch.axes("iteration", D.lossLabel, lossLog ? function (v) { return "1e" + (+v.toFixed(1)); } : null);
  }
  lossChart.canvas.addEventListener("mousemove", function (ev) {
    var rect = lossChart.canvas.getBoundingClientRect(), x = (ev.clientX - rect.left) * lossChart.W / rect.width;
    var m = lossChart.m, K = lossChart.x1, k = (x - m.l) / (lossChart.W - m.l - m.r) * K, fr = D.runs[cur].frames;
    var best = 0; fr.forEach(function (f, j) { if (Math.abs(f - k) < Math.abs(fr[best] - k)) best = j; });
    slider.value = String(best); show(best);
  });

  // ---- the fit: data with the line at the current iteration, or predicted against actual
  var F = D.fit, fitChart = F ? new Chart(document.getElementById("fit"), 0.62, "the data and the fitted model") : null;
  if (!F) document.getElementById("fitCard").style.display = "none";
  function drawFit() {
    if (!F) return;
    var ch = fitChart, r = D.runs[cur];
    var xs = F.x || F.actual, ys = F.y || F.predicted;
    var xlo = Math.min.apply(null, xs), xhi = Math.max.apply(null, xs), ylo = Math.min.apply(null, ys), yhi = Math.max.apply(null, ys);
    var px = (xhi - xlo) * 0.06 || 1, py = (yhi - ylo) * 0.1 || 1;
    if (!F.x) { xlo = ylo = Math.min(xlo, ylo); xhi = yhi = Math.max(xhi, yhi); }
    ch.begin(xlo - px, xhi + px, ylo - py, yhi + py, F.x ? "The fit" : "Predicted against actual");
    ch.clip();
    xs.forEach(function (x, i) { ch.dot([x, ys[i]], 3.5, "rgba(0,114,178,0.75)"); });
    if (F.x && r.params) {
      var b = r.params[curJ][0], m = r.params[curJ][1];
      ch.polyline([[ch.x0, b + m * ch.x0], [ch.x1, b + m * ch.x1]], "#D55E00", 3);
    } else if (!F.x) {
      ch.polyline([[ch.x0, ch.x0], [ch.x1, ch.x1]], "#444", 1.2);
    }
    ch.axes(F.x ? F.xlabel : "actual " + F.ylabel, F.x ? F.ylabel : "predicted " + F.ylabel);
  }

  function chooseRun(i) {
    cur = i;
    var r = D.runs[i];
    slider.max = String(r.frames.length - 1);
    slider.value = String(r.frames.length - 1);
    fillTable("runFacts", r.facts);
    show(r.frames.length - 1);
  }
  function show(j) {
    curJ = j;
    var r = D.runs[cur], k = r.frames[j], lossK = k < r.loss.length ? r.loss[k] : null;
    var text = "iteration " + k + " of " + (r.loss.length - 1) + " · " + D.lossLabel + " = " + fmt(lossK);
    if (S && r.path) text += " · (" + fmt(r.path[j][0]) + ", " + fmt(r.path[j][1]) + ")";
    iterText.textContent = text;
    slider.setAttribute("aria-valuetext", text);
    drawSurface(); drawLoss(); drawFit();
    document.body.dataset.iteration = String(k);
  }
  runSel.addEventListener("change", function () { chooseRun(parseInt(runSel.value, 10)); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  var lastW = 0;
  window.addEventListener("resize", function () {
    var w = document.body.clientWidth; if (w !== lastW) { lastW = w; show(curJ); }
  });
  chooseRun(0);
  document.body.dataset.ready = "1";
})();
"""
