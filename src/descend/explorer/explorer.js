// descend explorer: draws the function, runs descents live, explains each step.
// Every text the page shows is set with textContent (never innerHTML): the data block may
// hold any characters the learner typed, and none of it is ever read as markup or code.
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("descend-data").textContent);
  var FN = window.DESCEND_FUNCS;
  var N = D.n;
  var REG = D.kind === "regression";
  // Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
  var PAL = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  var LABEL = {
    gd: "gradient descent", momentum: "momentum (heavy ball)", nesterov: "Nesterov momentum",
    adagrad: "AdaGrad", rmsprop: "RMSProp", adam: "Adam", adamw: "AdamW"
  };
  var VARS = D.variables;
  // Newton and BFGS: descend's own runs (descend.minimize(..., method=)), computed in Python
  // when the page was built, from the page's start; they join the menu and the race.
  var SECOND = D.second || {};
  D.optimizers = D.optimizers.concat(Object.keys(SECOND).filter(function (m) { return D.optimizers.indexOf(m) < 0; }));
  LABEL.newton = "Newton (trust region)"; LABEL.bfgs = "BFGS (quasi-Newton)";
  // The regression page's standardised view: D and FN swap to the loss on z = (x − mean)/std
  // (descend fit's coordinates; D.standardised holds its window, L, start, rates, runs).
  var D0 = D, FN0 = FN, ZD = D.standardised ? Object.assign({}, D, D.standardised) : null;

  // ------------------------------------------------------------------ numbers and text
  function fmt(v, d) {
    d = d || 4;
    if (typeof v !== "number") return String(v);
    if (!isFinite(v)) return isNaN(v) ? "undefined" : (v > 0 ? "∞" : "−∞");
    if (v === 0) return "0";
    var a = Math.abs(v), s;
    if (a >= 1e-4 && a < 1e6) s = String(+v.toPrecision(d));
    else s = v.toExponential(d - 1).replace(/\.?0+e/, "e").replace("e+", "e");
    return s.replace(/^-/, "−");
  }
  function vec(x, d) {
    return N === 1 ? fmt(x[0], d) : "(" + x.map(function (v) { return fmt(v, d); }).join(", ") + ")";
  }
  function pretty(formula) {
    return formula.replace(/\*\*2(?![0-9.])/g, "²").replace(/\*\*3(?![0-9.])/g, "³")
      .replace(/\*\*/g, "^").replace(/\*/g, "·");
  }
  var SUB = ["₀", "₁", "₂"];
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  // ------------------------------------------------------------------ the function
  function valueGrad(x) { var r = FN.vg.apply(null, x); return [r[0], r[1]]; }
  function value(x) { return FN.f.apply(null, x); }
  function hessian(x) {
    if (FN.h) return FN.h.apply(null, x);
    // central differences of the exact gradient, symmetrised (SymbolicFunction._fd_hessian)
    var H = [], i, j, eps = Math.cbrt(2.220446049250313e-16);
    for (i = 0; i < N; i++) H.push(new Array(N).fill(0));
    for (i = 0; i < N; i++) {
      var h = eps * Math.max(1, Math.abs(x[i])), xp = x.slice(), xm = x.slice();
      xp[i] += h; xm[i] -= h;
      var gp = valueGrad(xp)[1], gm = valueGrad(xm)[1];
      for (j = 0; j < N; j++) H[j][i] = (gp[j] - gm[j]) / (xp[i] - xm[i]);
    }
    if (N === 2) { var s = (H[0][1] + H[1][0]) / 2; H[0][1] = s; H[1][0] = s; }
    return H;
  }
  // Eigen-decomposition of the symmetric 1x1 or 2x2 Hessian, largest eigenvalue first.
  function eig(H) {
    if (N === 1) return [{ value: H[0][0], vector: [1] }];
    var a = H[0][0], b = H[0][1], d = H[1][1];
    var m = (a + d) / 2, r = Math.hypot((a - d) / 2, b);
    var l1 = m + r, l2 = m - r, v;
    if (b !== 0) v = (a >= d) ? [l1 - d, b] : [b, l1 - a];
    else v = a >= d ? [1, 0] : [0, 1];
    var nv = Math.hypot(v[0], v[1]);
    v = [v[0] / nv, v[1] / nv];
    if (v[0] < 0 || (v[0] === 0 && v[1] < 0)) v = [-v[0], -v[1]];
    return [{ value: l1, vector: v }, { value: l2, vector: [-v[1], v[0]] }];
  }

  // ------------------------------------------------------------------ the optimizers
  // Each mirrors descend.optim (torch.optim's single-tensor code): same operations, same
  // order, so the page's iterates equal descend.minimize's.  update(g, state, x) returns
  // the update u (x_new = x + u), the new state and the parts the step cartoon prints.
  function lerp(start, end, w) { // torch's lerp_ rounding (ATen Lerp.h), as transforms._lerp
    return Math.abs(w) < 0.5 ? start + w * (end - start) : end - (end - start) * (1.0 - w);
  }
  function makeOptimizer(name, lr, hp) {
    var zeros = function () { return new Array(N).fill(0); };
    var neg = -lr;
    if (name === "gd") {
      return {
        init: function () { return { count: 0 }; },
        update: function (g, s) {
          return { u: g.map(function (v) { return neg * v; }), s: { count: s.count + 1 }, parts: { dir: g.slice() } };
        }
      };
    }
    if (name === "momentum" || name === "nesterov") {
      var mu = hp.momentum, nest = name === "nesterov";
      return {
        init: function () { return { count: 0, buf: zeros() }; },
        update: function (g, s) {
          var prev = s.buf, buf;
          if (s.count === 0) buf = g.slice(); // torch: the first buffer is the gradient itself
          else buf = prev.map(function (b, i) { return b * mu + (1.0 - 0.0) * g[i]; });
          var dir = nest ? g.map(function (gi, i) { return gi + mu * buf[i]; }) : buf.slice();
          return { u: dir.map(function (v) { return neg * v; }), s: { count: s.count + 1, buf: buf },
            parts: { prev: prev, first: s.count === 0, buf: buf, dir: dir } };
        }
      };
    }
    if (name === "adagrad") {
      var epsA = hp.eps_adagrad;
      return {
        init: function () { return { count: 0, sum: zeros() }; },
        update: function (g, s) {
          var step = s.count + 1, decay = 1.0 + (step - 1) * 0.0;
          var sum = s.sum.map(function (a, i) { return a + g[i] * g[i]; });
          var std = sum.map(function (v) { return Math.sqrt(v) + epsA; });
          var dir = g.map(function (gi, i) { return (gi / std[i]) / decay; });
          return { u: dir.map(function (v) { return neg * v; }), s: { count: step, sum: sum },
            parts: { sum: sum, dir: dir } };
        }
      };
    }
    if (name === "rmsprop") {
      var alpha = hp.alpha, epsR = hp.eps_rmsprop;
      return {
        init: function () { return { count: 0, nu: zeros() }; },
        update: function (g, s) {
          var nu = s.nu.map(function (v, i) { return v * alpha + (1.0 - alpha) * (g[i] * g[i]); });
          var dir = g.map(function (gi, i) { return gi / (Math.sqrt(nu[i]) + epsR); });
          return { u: dir.map(function (v) { return neg * v; }), s: { count: s.count + 1, nu: nu },
            parts: { nu: nu, dir: dir } };
        }
      };
    }
    if (name === "adam" || name === "adamw") {
      var b1 = hp.b1, b2 = hp.b2, eps = hp.eps_adam, wd = name === "adamw" ? hp.weight_decay : 0;
      return {
        init: function () { return { count: 0, mu: zeros(), nu: zeros() }; },
        update: function (g, s, x) {
          var step = s.count + 1, w = 1.0 - b1;
          var m = s.mu.map(function (v, i) { return lerp(v, g[i], w); });
          var nu = s.nu.map(function (v, i) { return v * b2 + (1.0 - b2) * (g[i] * g[i]); });
          var bc1 = 1.0 - Math.pow(b1, step);
          var bc2s = Math.sqrt(1.0 - Math.pow(b2, step));
          var adamDir = m.map(function (v, i) { return (v / (Math.sqrt(nu[i]) / bc2s + eps)) / bc1; });
          var dir = wd ? adamDir.map(function (v, i) { return v + wd * x[i]; }) : adamDir;
          return { u: dir.map(function (v) { return neg * v; }), s: { count: step, mu: m, nu: nu },
            parts: { m: m, nu: nu, bc1: bc1, bc2s: bc2s, adamDir: adamDir, dir: dir, t: step } };
        }
      };
    }
    throw new Error("unknown optimizer " + name);
  }

  // descend.loop._linesearch.armijo_step: from the trial step t (gd: the Barzilai-Borwein step
  // s·s/s·y when s·y > 0, else twice the last accepted step; clamped to [1e-12, 1e12]) accept
  // the first of t, t/2, t/4, ... (at most 60) with f(x + t d) <= f(x) + 1e-4 t ∇f·d; null when
  // none lowers f. d is the optimizer's update at rate 1, or −∇f when that is not downhill.
  function dot(a, b) { var s = 0; for (var i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
  function armijoStep(opt, x, f, g, st, bb) {
    var r = opt.update(g, st.inner, x), d = r.u, slope = dot(g, d);
    if (!(slope < 0)) { d = g.map(function (v) { return -v; }); slope = -dot(g, g); }
    var t = 2 * st.t, fromBB = false;
    if (bb && st.px) {
      var s = x.map(function (v, i) { return v - st.px[i]; }), y = g.map(function (v, i) { return v - st.pg[i]; }), sy = dot(s, y);
      if (sy > 0) { t = dot(s, s) / sy; fromBB = true; }
    }
    t = isFinite(t) ? Math.min(Math.max(t, 1e-12), 1e12) : 1;
    var trial = t;
    for (var m = 0; m < 60; m++) {
      var xn = x.map(function (v, i) { return v + t * d[i]; }), fn = value(xn);
      if (isFinite(fn) && fn <= f + 1e-4 * t * slope) {
        return { x: xn, f: fn, g: valueGrad(xn)[1], st: { inner: r.s, t: t, px: x, pg: g },
          parts: { dir: d.map(function (v) { return -v; }), t: t, trial: trial, halvings: m, bb: fromBB } };
      }
      t *= 0.5;
    }
    return null;
  }
  // The descent loop with descend.minimize's stopping rules (a fixed learning rate, or
  // lr = "armijo": descend's backtracking line search, the step chosen anew each step).
  function descend(start, name, lr, hp, maxIter) {
    if (SECOND[name]) return secondRun(name, start, hp);
    var ls = lr === "armijo", opt = makeOptimizer(name, ls ? 1.0 : lr, hp), lsState = null;
    var x = start.slice(), vg = valueGrad(x), f = vg[0], g = vg[1];
    var gn = Math.hypot.apply(null, g);
    var run = { name: name, lr: ls ? NaN : lr, hp: hp, xs: [x], fs: [f], gs: [g], gns: [gn], steps: [],
      status: null, blowup: null, armijo: ls, rates: [] };
    if (!(isFinite(f) && isFinite(gn))) { run.status = "undefined_start"; return run; }
    // descend.loop.verdict.ceiling / floor: the one blow-up rule of every descent (GROWTH, FALL)
    var f0 = f, ceiling = f0 + 1e12 * Math.max(Math.abs(f0), 1.0);
    var floor = f0 - 1e12 * Math.max(Math.abs(f0), 1.0);
    // descend.loop.stopping.Watch: the rules of every descent, in its order
    var win = D.n_iter_no_change, state = opt.init(x), nit = 0;
    if (ls) lsState = { inner: state, t: 0.5, px: null, pg: null }; // the first trial step is 1
    if (gn <= D.gtol) run.status = "gtol";
    while (run.status === null) {
      if (nit >= maxIter) { run.status = "max_iter"; break; }
      var r, xn, fn, gnew;
      if (ls) {
        var a = armijoStep(opt, x, f, g, lsState, name === "gd");
        if (!a) { run.status = "no_progress"; run.noStep = true; break; }
        lsState = a.st; r = { s: a.st.inner, parts: a.parts }; xn = a.x; fn = a.f; gnew = a.g; run.rates.push(a.st.t);
      } else {
        r = opt.update(g, state, x);
        xn = x.map(function (v, i) { return v + r.u[i]; });
        var vgn = valueGrad(xn); fn = vgn[0]; gnew = vgn[1];
      }
      var gnn = Math.hypot.apply(null, gnew);
      if (!(isFinite(fn) && isFinite(gnn))) { run.status = "diverged"; run.blowup = { x: xn, f: fn }; run.steps.push(r.parts); break; }
      nit += 1; x = xn; f = fn; g = gnew; gn = gnn; state = r.s;
      run.xs.push(x); run.fs.push(f); run.gs.push(g); run.gns.push(gn); run.steps.push(r.parts);
      if (f > ceiling) run.status = "diverged";
      else if (f < floor) run.status = "unbounded";
      else if (gn <= D.gtol) run.status = "gtol";
      else if (nit >= win) {  // the tol rule: the loss's range over the last win steps
        var w = run.fs.slice(-win - 1), hi = Math.max.apply(null, w), lo = Math.min.apply(null, w);
        if (hi - lo <= D.tol * Math.max(Math.abs(hi), Math.abs(lo))) run.status = "no_progress";
      }
    }
    run.judged = judge(run);
    run.verdict = run.judged.verdict;
    return run;
  }
  // descend.loop.verdict.judge_point, the engine's rules (verdict.js), on the page's run
  function judge(run) {
    return window.DESCEND_VERDICT.judge(run, { hessian: curvatureAtRaw, eig: eig, value: value,
      limit: limitFor, L: D.L, gtol: D.gtol });
  }
  function curvatureAtRaw(x) { try { return hessian(x); } catch (e) { return null; } }
  // A second-order run as the page draws it: descend's iterates, exactly as minimize returned
  // them (JSON keeps every float64), and descend's verdict; the page adds f and ∇f at each.
  function secondRun(name, start, hp) {
    var E = SECOND[name], here = start.length === D.start.length && start.every(function (v, i) { return v === D.start[i]; });
    var xs = here ? E.x : [start.slice()];
    var run = { name: name, lr: NaN, hp: hp, xs: xs, fs: [], gs: [], gns: [], steps: [], status: E.status, blowup: null, second: E };
    xs.forEach(function (x) { var vg = valueGrad(x); run.fs.push(vg[0]); run.gs.push(vg[1]); run.gns.push(Math.hypot.apply(null, vg[1])); });
    for (var k = 0; k + 1 < xs.length; k++) run.steps.push({ dir: xs[k + 1].map(function (v, i) { return v - xs[k][i]; }) });
    if (!here) { run.status = run.verdict = "elsewhere"; run.judged = { verdict: "elsewhere", facts: {} }; return run; }
    run.judged = judge(run); run.judged.verdict = run.verdict = E.verdict; // descend's word for its run
    return run;
  }

  // ------------------------------------------------------------------ page state
  function raceSetOf(names) { var o = {}; names.forEach(function (n) { o[n] = true; }); return o; }
  var S = {
    start: D.start.slice(), cursor: D.start.slice(), optimizer: D.optimizer,
    lr: D.learning_rate, hp: Object.assign({}, D.hyper), maxIter: D.max_iter,
    race: !!(D.race && D.race.length), raceSet: raceSetOf(D.race || ["gd", "momentum", "adam"]), runs: [], sel: 0,
    reveal: Infinity, hover: -1, focus: false, armijo: !!D.line_search, std: false, lrOf: [D.learning_rate, ZD && ZD.learning_rate]
  };
  // the rate a run of `name` uses: gradient descent takes descend's line search when it is on
  function rateFor(name) { return S.armijo && name === "gd" ? "armijo" : S.lr; }
  var lrLo = D.lr_range[0], lrHi = D.lr_range[1];

  // The stability limit of the chosen optimizer (descend.loop._curvature.stability_limit).
  function limitFor(name, lam, hp) {
    if (!(isFinite(lam) && lam > 0)) return null;
    var b = hp.momentum;
    if (name === "gd") return { value: 2 / lam, formula: "2/L" };
    if (name === "momentum") return { value: 2 * (1 + b) / lam, formula: "2(1+μ)/L" };
    if (name === "nesterov") return { value: 2 * (1 + b) / ((1 + 2 * b) * lam), formula: "2(1+μ)/((1+2μ)L)" };
    return null;
  }
  function curvatureAt(x) {
    var H = hessian(x), ok = H.every(function (r) { return r.every(isFinite); });
    return ok ? { H: H, eig: eig(H) } : null;
  }
  function lamMax() {
    if (D.L !== null) return { value: D.L, global: true };
    var c = curvatureAt(S.start);
    return { value: c ? c.eig[0].value : NaN, global: false };
  }

  // ------------------------------------------------------------------ layout
  var app = document.getElementById("app");
  document.title = D.title;
  var fx = N === 2 ? "f(" + VARS.join(", ") + ")" : "f(" + VARS[0] + ")";
  app.appendChild(el("h1", { text: D.title }));
  if (D.note) app.appendChild(el("p", { cls: "note", id: "note", text: D.note }));
  var gradText = D.gradient_formula.map(function (g, i) {
    return "∂f/∂" + VARS[i] + " = " + pretty(g);
  }).join(",   ");
  var formulaP = el("p", { cls: "sub", id: "formula" });
  function formulaText() { formulaP.textContent = (REG ? "loss " : "") + fx + " = " + (D.display_formula || pretty(D.formula)); }
  formulaText(); app.appendChild(formulaP);
  if (!REG) app.appendChild(el("p", { cls: "sub", text: "gradient: " + gradText }));
  app.appendChild(el("p", { cls: "sub", text: (N === 2 ? "Click the map (or focus it and use the arrow keys, then Enter) to start a descent there. " :
    "Click the curve (or focus it and use ← →, then Enter) to start a descent there. ") +
    "Hover the path or the loss curve to see one step written out. Everything runs in this page, offline." }));

  var layout = el("div", { cls: "layout" });
  var left = el("div", { cls: "col" }), right = el("div", { cls: "col" });
  layout.appendChild(left); layout.appendChild(right);
  app.appendChild(layout);

  var mapCanvas = el("canvas", { cls: "map", tabindex: "0", role: "img", id: "map",
    "aria-label": (N === 2 ? "Contour map of f. Arrow keys move the cursor, Enter starts a descent, [ and ] step through the iterates." :
      "Graph of f. Left and right arrow keys move the cursor, Enter starts a descent, [ and ] step through the iterates.") +
      " Plus and minus zoom, 0 resets the view, Alt with the arrows pans, P plays or pauses." });
  var mapWrap = el("div", { cls: "mapwrap" }, [mapCanvas]);
  var legend = el("div", { cls: "legend", id: "legend" });
  var readout = el("p", { cls: "hint", id: "readout", "aria-live": "off", text: "Point at the map: f there is shown here." });
  // the map's toolbar: zoom, pan, play, export, projector
  function tool(id, text, label) { return el("button", { type: "button", id: id, text: text, "aria-label": label, title: label }); }
  var btnZoomIn = tool("zoom-in", "+", "zoom in (key +)"), btnZoomOut = tool("zoom-out", "−", "zoom out (key −)");
  var btnZoomReset = tool("zoom-reset", "reset view", "back to the first window (key 0)");
  var btnPan = tool("pan-mode", "✥ pan", "pan mode: drag the map to move it (or hold Shift while dragging)");
  btnPan.setAttribute("aria-pressed", "false");
  var btnPlay = tool("play", "▶ play", "play the run step by step (key p)");
  var speedSelect = el("select", { id: "speed", "aria-label": "animation speed" });
  [["0.25", "¼×"], ["0.5", "½×"], ["1", "1×"], ["2", "2×"], ["4", "4×"]].forEach(function (o) { speedSelect.appendChild(el("option", { value: o[0], text: o[1] })); });
  speedSelect.value = "1";
  var btnPng = tool("export-png", "PNG", "download the map as it is shown, as a PNG picture");
  var btnSvg = tool("export-svg", "SVG", "download the map as it is shown, as an SVG drawing");
  var btnProjector = tool("projector", "projector", "projector layout: the map and the loss curve on one screen, large text (Esc leaves)");
  btnProjector.setAttribute("aria-pressed", "false");
  var exportLink = el("a", { id: "export-link", cls: "sr", text: "download" });
  // in the projector layout the settings are hidden: γ halves or doubles from the toolbar
  var btnLrHalf = tool("lr-half", "γ ÷ 2", "halve the learning rate"), btnLrDouble = tool("lr-double", "γ × 2", "double the learning rate");
  var toolbar = el("div", { cls: "row maptools", id: "maptools", role: "toolbar", "aria-label": "map tools" },
    [btnZoomIn, btnZoomOut, btnZoomReset, btnPan, btnPlay, speedSelect, btnLrHalf, btnLrDouble, btnPng, btnSvg, btnProjector, exportLink]);
  var mapTitle = el("h2", { text: REG ? "The loss over (intercept b, slope m)" : (N === 2 ? "Contour map" : "The curve") });
  left.appendChild(el("div", { cls: "card o1" }, [
    mapTitle,
    toolbar, mapWrap, readout, legend,
    el("p", { cls: "hint", text: "Keys on the map: arrows move the cursor (Shift: faster), Enter or Space starts, [ ] previous/next step, Home/End first/last." }),
    el("p", { cls: "hint", id: "viewhint", text: "Zoom: wheel, pinch, + − or the keys + − 0; pan: drag with Shift (or in pan mode), Alt + arrows. Drag the white start dot to move the start: the runs follow live." })
  ]));
  var dataCanvas = null, dataCaption = null;
  if (REG) {
    dataCanvas = el("canvas", { cls: "map", id: "datamap", role: "img", "aria-label": "The data and the fitted line at the selected step" });
    dataCaption = el("p", { cls: "hint", id: "datacaption" });
    left.appendChild(el("div", { cls: "card o3" }, [el("h2", { text: "The data and the line at the selected step" }), dataCanvas, dataCaption]));
  }
  var lossSvg = svgEl("svg", { "class": "loss", id: "loss", role: "img", "aria-label": "Loss at each step" });
  var lossNote = el("p", { cls: "hint", id: "lossnote" });
  left.appendChild(el("div", { cls: "card o4" }, [el("h2", { text: "Loss at each step (hover to link with the path)" }), lossSvg, lossNote]));

  // controls
  var optSelect = el("select", { id: "optimizer", "aria-label": "optimizer" });
  D.optimizers.forEach(function (o) { optSelect.appendChild(el("option", { value: o, text: LABEL[o] })); });
  optSelect.value = S.optimizer;
  var controls = el("div", { cls: "controls" });
  function sliderRow(id, label, min, max, step, val, title) {
    var input = el("input", { type: "range", id: id, min: String(min), max: String(max), step: String(step), value: String(val), "aria-label": title || label });
    var out = el("output", { "for": id, id: id + "-out" });
    var wrap = el("div", { cls: "slider" }, [input]);
    var lab = el("label", { "for": id, text: label });
    controls.appendChild(lab); controls.appendChild(wrap); controls.appendChild(out);
    return { input: input, out: out, wrap: wrap, label: lab };
  }
  controls.appendChild(el("label", { "for": "optimizer", text: "optimizer" }));
  controls.appendChild(optSelect);
  controls.appendChild(el("span"));
  var lrRow = sliderRow("lr", "learning rate γ", 0, 1000, 1, 0, "learning rate, log scale");
  var lrMark = el("div", { cls: "mark", "aria-hidden": "true" }), lrMarkLabel = el("div", { cls: "marklabel", "aria-hidden": "true" });
  lrRow.wrap.appendChild(lrMark); lrRow.wrap.appendChild(lrMarkLabel); lrRow.wrap.className = "slider marked";
  var muRow = sliderRow("momentum", "momentum μ", 0, 0.99, 0.01, S.hp.momentum);
  var b1Row = sliderRow("b1", "Adam β₁", 0, 0.99, 0.01, S.hp.b1);
  var b2Row = sliderRow("b2", "Adam β₂", 0.5, 0.9999, 0.0001, S.hp.b2);
  var alphaRow = sliderRow("alpha", "RMSProp α", 0.5, 0.999, 0.001, S.hp.alpha);
  var wdRow = sliderRow("wd", "weight decay λ", 0, 0.5, 0.01, S.hp.weight_decay);
  var lrNumber = el("input", { type: "number", id: "lr-number", step: "any", min: "0", "aria-label": "learning rate, exact value" });
  var lsBox = el("input", { type: "checkbox", id: "lr-armijo" });
  var lsNote = el("p", { cls: "hint", id: "lr-armijo-note", text: "Line search (descend's learning_rate=\"armijo\", gradient descent only): each step tries " +
    "t = s·s/s·y (Barzilai–Borwein; 1 at the first step) and halves it until f(a − t∇f) ≤ f(a) − 10⁻⁴·t·|∇f|², so every step lowers f. The slider's γ is then not used by gd." });
  var maxNumber = el("input", { type: "number", id: "max-iter", min: "1", max: "100000", step: "1", value: String(S.maxIter), "aria-label": "most steps" });
  var raceBox = el("input", { type: "checkbox", id: "race" });
  var raceRow = el("div", { cls: "row race", id: "race-set" });
  D.optimizers.forEach(function (o, i) {
    var cb = el("input", { type: "checkbox", id: "race-" + o, value: o });
    cb.checked = !!S.raceSet[o];
    cb.addEventListener("change", function () { S.raceSet[o] = cb.checked; if (S.race) rerun(); });
    raceRow.appendChild(el("label", { "for": "race-" + o }, [cb, document.createTextNode(" " + o)]));
    void i;
  });
  var fairBox = el("input", { type: "checkbox", id: "race-fair" });
  var fairRule, fairShort;
  function fairTexts() { // the grid of rates follows the slider's range (it changes when standardising)
    var g = "{1, 2, 5}×10ᵏ from " + fmt(D.lr_range[0], 3) + " to " + fmt(D.lr_range[1], 3);
    fairRule = "each optimizer runs at its own γ: of the grid " + g +
      ", the γ whose run converges in the fewest steps (the smaller γ on a tie); if none converges, the one with the lowest final loss among the runs that neither diverge nor oscillate. " +
      "Each run is the page's descent, which equals descend.minimize's. Newton and BFGS need no γ.";
    fairShort = "of " + g + ", the γ that converges in the fewest steps, else the lowest final loss without diverging or oscillating";
  }
  fairTexts();
  var fairRow = el("div", { cls: "row" }, [el("label", { "for": "race-fair" }, [fairBox, document.createTextNode(" fair race: each at its own tuned γ")])]);
  var fairNote = el("p", { cls: "hint", id: "fair-rule", text: "Fair race: " + fairRule });
  S.fair = !!D.fair; fairBox.checked = S.fair; fairNote.hidden = !S.fair;
  fairBox.addEventListener("change", function () { S.fair = fairBox.checked; fairNote.hidden = !S.fair; if (S.fair && !S.race) { S.race = raceBox.checked = true; updateControls(); } rerun(); });
  var raceText = document.createTextNode(" race several optimizers from the same start (same γ):");
  var statusBox = el("div", { cls: "status", id: "status", role: "status", "aria-live": "polite" });
  var stdBox = el("input", { type: "checkbox", id: "standardise" }), stdNote = ZD ? el("p", { cls: "hint", id: "standardise-note", "aria-live": "polite" }) : null;
  var stdRow = ZD ? el("div", { cls: "row" }, [el("label", { "for": "standardise" }, [stdBox, document.createTextNode(" standardise " + D.regression.x_name +
    ": z = (" + D.regression.x_name + " − mean)/std, as descend fit does")])]) : null;
  var btnBack = el("button", { type: "button", id: "prev", text: "◀ step" });
  var btnNext = el("button", { type: "button", id: "next", text: "step ▶" });
  var btnReset = el("button", { type: "button", id: "reset", text: "reset" });
  right.appendChild(el("div", { cls: "card o2" }, [
    el("h2", { text: "Settings" }), stdRow, stdNote, controls,
    el("div", { cls: "row" }, [el("label", { "for": "lr-number", text: "γ exactly" }), lrNumber,
      el("label", { "for": "max-iter", text: "max steps" }), maxNumber]),
    el("div", { cls: "row" }, [el("label", { "for": "lr-armijo" }, [lsBox, document.createTextNode(" γ by line search (armijo)")])]), lsNote,
    el("div", { cls: "row" }, [el("label", { "for": "race" }, [raceBox, raceText])]),
    raceRow, fairRow, fairNote,
    el("div", { cls: "row" }, [btnBack, btnNext, btnReset])
  ]));
  app.insertBefore(statusBox, layout); // the verdict first, on a phone too
  var cartoon = el("pre", { cls: "cartoon", id: "cartoon" });
  right.appendChild(el("div", { cls: "card o5" }, [el("h2", { text: "One step, with your numbers", id: "cartoon-title" }), cartoon]));
  var hessBox = el("pre", { cls: "cartoon", id: "hessian" });
  right.appendChild(el("div", { cls: "card o6" }, [el("h2", { text: "Curvature at the start and where the run ended (exact Hessian)" }), hessBox]));
  var table = el("table", { id: "iterates" });
  var tableCap = el("caption", { cls: "sr" });
  table.appendChild(tableCap);
  right.appendChild(el("div", { cls: "card o7" }, [el("h2", { text: "The iterates (text table)" }),
    el("div", { cls: "tablewrap" }, [table])]));

  // ------------------------------------------------------------------ the map geometry
  var M = { l: 46, r: 10, t: 10, b: 34 };
  var view = { x0: D.window[0][0], x1: D.window[0][1], y0: 0, y1: 1 };
  if (N === 2) { view.y0 = D.window[1][0]; view.y1 = D.window[1][1]; }
  var geom = { W: 300, H: 300 };
  function pw() { return geom.W - M.l - M.r; }
  function ph() { return geom.H - M.t - M.b; }
  function toPx(x, y) {
    return [M.l + (x - view.x0) / (view.x1 - view.x0) * pw(), M.t + (1 - (y - view.y0) / (view.y1 - view.y0)) * ph()];
  }
  function toData(px, py) {
    return [view.x0 + (px - M.l) / pw() * (view.x1 - view.x0), view.y0 + (1 - (py - M.t) / ph()) * (view.y1 - view.y0)];
  }
  // the plotted point of an iterate: (x, y) in 2-D, (x, f(x)) on the curve in 1-D
  function pointOf(x, f) { return N === 2 ? x : [x[0], f]; }

  // Text sizes scale with UI.fs: 1 on a desk, larger in the projector layout (read at the back).
  var UI = { fs: 1, projector: false };
  function font(size) { return Math.round(size * UI.fs) + "px system-ui, sans-serif"; }
  function margins(bar) { M.l = 46 * UI.fs; M.b = 34 * UI.fs; M.t = 10; M.r = bar ? 16 + 64 * UI.fs : 10; }
  // Labels on the map are placed where they cover no other label and not the start: each
  // frame records the boxes drawn (LABELS) and a label tries a few places before giving up.
  var LABELS = [], MARKS = []; // label boxes drawn, and marker boxes (×, ◇, △) labels avoid
  function overlaps(a, b) { return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]; }
  function placeLabel(x, y, w, h, text) {
    var s = toPx(S.start[0], N === 2 ? S.start[1] : value(S.start)), keep = [s[0] - 7, s[1] - 7, 14, 14];
    var tries = [[0, 0], [0, h + 4], [0, -h - 4], [-w - 16, 0], [0, 2 * h + 8], [0, -2 * h - 8], [-w - 16, h + 4], [-w - 16, -h - 4]], best = null;
    for (var i = 0; i < tries.length; i++) {
      var bx = Math.max(M.l + 3, Math.min(M.l + pw() - 3 - w, x + tries[i][0]));
      var by = Math.max(M.t + h, Math.min(M.t + ph() - 4, y + tries[i][1]));
      var box = [bx, by - h + 2, w, h];
      if (!best) best = box;
      if (!overlaps(box, keep) && !LABELS.concat(MARKS).some(function (b) { return overlaps(box, b); })) { best = box; break; }
    }
    LABELS.push(best.concat([text]));
    return [best[0], best[1] + h - 2];
  }
  // The colour bar: the same colours as the map, labelled with the values of f they stand for
  // (colour = rank of f in this window, so the ticks are the window's quantiles of f).
  function drawColorbar(ctx) {
    if (!grid) return;
    var x = M.l + pw() + 12, w = 12 * UI.fs, top = M.t + 14 * UI.fs, h = ph() - 14 * UI.fs, K = 64;
    for (var k = 0; k < K; k++) {
      var c = cmap((k + 0.5) / K);
      ctx.fillStyle = "rgb(" + Math.round(c[0]) + "," + Math.round(c[1]) + "," + Math.round(c[2]) + ")";
      ctx.fillRect(x, top + h * (1 - (k + 1) / K), w, h / K + 0.5);
    }
    ctx.save(); ctx.strokeStyle = "#1b2430"; ctx.fillStyle = "#1b2430"; ctx.lineWidth = 1; ctx.strokeRect(x, top, w, h);
    ctx.font = font(11); ctx.textAlign = "left";
    [0, 0.25, 0.5, 0.75, 1].forEach(function (u) {
      var y = top + h * (1 - u);
      ctx.beginPath(); ctx.moveTo(x + w, y); ctx.lineTo(x + w + 3, y); ctx.stroke();
      ctx.fillText(tickFmt(grid.quant(u * u)), x + w + 5, y + 4);
    });
    ctx.font = "bold " + font(12); ctx.fillText("f", x, M.t + 10 * UI.fs); ctx.restore();
  }
  function colorbarTicks() { return grid ? [0, 0.25, 0.5, 0.75, 1].map(function (u) { return grid.quant(u * u); }) : []; }

  // 1-D: the y range of the curve over the window
  var curve = null;
  function computeCurve() {
    var K = 400, xs = [], ys = [], fin = [];
    for (var i = 0; i <= K; i++) {
      var x = view.x0 + (view.x1 - view.x0) * i / K, y = value([x]);
      xs.push(x); ys.push(y); if (isFinite(y)) fin.push(y);
    }
    fin.sort(function (a, b) { return a - b; });
    var lo = fin.length ? fin[0] : -1, hi = fin.length ? fin[fin.length - 1] : 1;
    var pad = (hi - lo) * 0.08 || 1;
    view.y0 = lo - pad; view.y1 = hi + pad;
    curve = { xs: xs, ys: ys };
  }

  // 2-D: values on a grid, colours by rank (robust to any range), contour lines at quantiles
  var grid = null;
  // descend's pictures' colour map, matplotlib's YlGnBu_r (plot._style.FIELD_CMAP): its nine
  // ColorBrewer stops, dark valleys to light peaks (a test compares it with matplotlib's)
  var FIELD = [[8, 29, 88], [37, 52, 148], [34, 94, 168], [29, 145, 192], [65, 182, 196], [127, 205, 187], [199, 233, 180], [237, 248, 177], [255, 255, 217]];
  function cmap(t) {
    t = Math.max(0, Math.min(1, t)) * (FIELD.length - 1);
    var i = Math.min(Math.floor(t), FIELD.length - 2), u = t - i, a = FIELD[i], b = FIELD[i + 1];
    return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
  }
  function computeGrid() {
    var G = 120, z = new Float64Array((G + 1) * (G + 1)), fin = [];
    for (var j = 0; j <= G; j++) for (var i = 0; i <= G; i++) {
      var v = value([view.x0 + (view.x1 - view.x0) * i / G, view.y0 + (view.y1 - view.y0) * j / G]);
      z[j * (G + 1) + i] = v; if (isFinite(v)) fin.push(v);
    }
    fin.sort(function (a, b) { return a - b; });
    function quant(q) { return fin.length ? fin[Math.min(fin.length - 1, Math.floor(q * (fin.length - 1)))] : 0; }
    function rank(v) { // fraction of grid values below v (binary search)
      var lo = 0, hi = fin.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (fin[mid] < v) lo = mid + 1; else hi = mid; }
      return fin.length ? lo / fin.length : 0;
    }
    var img = document.createElement("canvas");
    img.width = G + 1; img.height = G + 1;
    var ctx = img.getContext("2d"), data = ctx.createImageData(G + 1, G + 1);
    for (j = 0; j <= G; j++) for (i = 0; i <= G; i++) {
      var val = z[j * (G + 1) + i], p = ((G - j) * (G + 1) + i) * 4, c = isFinite(val) ? cmap(Math.sqrt(rank(val))) : [200, 200, 200];
      data.data[p] = c[0]; data.data[p + 1] = c[1]; data.data[p + 2] = c[2]; data.data[p + 3] = 255;
    }
    ctx.putImageData(data, 0, 0);
    var levels = [], seen = {};
    [0.005, 0.02, 0.05, 0.1, 0.17, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.93].forEach(function (q) {
      var lv = quant(q); if (!seen[lv]) { seen[lv] = 1; levels.push(lv); }
    });
    grid = { G: G, z: z, img: img, levels: levels, quant: quant };
  }
  function contourSegments(level) {
    var G = grid.G, z = grid.z, segs = [];
    function at(i, j) { return z[j * (G + 1) + i]; }
    function pt(i0, j0, i1, j1) {
      var a = at(i0, j0), b = at(i1, j1), t = (level - a) / (b - a);
      var gi = i0 + (i1 - i0) * t, gj = j0 + (j1 - j0) * t;
      return [view.x0 + (view.x1 - view.x0) * gi / G, view.y0 + (view.y1 - view.y0) * gj / G];
    }
    for (var j = 0; j < G; j++) for (var i = 0; i < G; i++) {
      var a = at(i, j), b = at(i + 1, j), c = at(i + 1, j + 1), d = at(i, j + 1);
      if (!(isFinite(a) && isFinite(b) && isFinite(c) && isFinite(d))) continue;
      var pts = [];
      if ((a < level) !== (b < level)) pts.push(pt(i, j, i + 1, j));
      if ((b < level) !== (c < level)) pts.push(pt(i + 1, j, i + 1, j + 1));
      if ((c < level) !== (d < level)) pts.push(pt(i + 1, j + 1, i, j + 1));
      if ((d < level) !== (a < level)) pts.push(pt(i, j + 1, i, j));
      if (pts.length === 2) segs.push(pts);
      else if (pts.length === 4) { segs.push([pts[0], pts[1]]); segs.push([pts[2], pts[3]]); }
    }
    return segs;
  }

  // Liang-Barsky: the part of segment p->q inside the view (data units), or null.
  function clip(p, q) {
    var t0 = 0, t1 = 1, dx = q[0] - p[0], dy = q[1] - p[1];
    var checks = [[-dx, p[0] - view.x0], [dx, view.x1 - p[0]], [-dy, p[1] - view.y0], [dy, view.y1 - p[1]]];
    for (var k = 0; k < 4; k++) {
      var pp = checks[k][0], qq = checks[k][1];
      if (pp === 0) { if (qq < 0) return null; continue; }
      var r = qq / pp;
      if (pp < 0) { if (r > t1) return null; if (r > t0) t0 = r; }
      else { if (r < t0) return null; if (r < t1) t1 = r; }
    }
    if (!isFinite(t0) || !isFinite(t1)) return null;
    return { a: [p[0] + t0 * dx, p[1] + t0 * dy], b: [p[0] + t1 * dx, p[1] + t1 * dy], cut: t1 < 1 };
  }
  function inView(p) { return p[0] >= view.x0 && p[0] <= view.x1 && p[1] >= view.y0 && p[1] <= view.y1; }
  function arrowHead(ctx, x0, y0, x1, y1, size) {
    var a = Math.atan2(y1 - y0, x1 - x0);
    ctx.beginPath(); ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - size * Math.cos(a - 0.45), y1 - size * Math.sin(a - 0.45));
    ctx.lineTo(x1 - size * Math.cos(a + 0.45), y1 - size * Math.sin(a + 0.45));
    ctx.closePath(); ctx.fill();
  }
  function arrow(ctx, p, q, color, dashed, label) { // data points p -> q, clipped
    var c = clip(p, q); if (!c) return;
    var A = toPx(c.a[0], c.a[1]), B = toPx(c.b[0], c.b[1]);
    if (Math.hypot(B[0] - A[0], B[1] - A[1]) < 2) return;
    ctx.save(); ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2.5;
    if (dashed) ctx.setLineDash([6, 4]);
    ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke();
    ctx.setLineDash([]); arrowHead(ctx, A[0], A[1], B[0], B[1], 10);
    if (label) { halo(ctx, label, B[0] + 6, B[1] - 6, color); }
    ctx.restore();
  }
  function halo(ctx, text, x, y, color) {
    ctx.save(); ctx.font = font(12); ctx.lineWidth = 3.5; ctx.strokeStyle = "rgba(255,255,255,0.92)";
    var w = ctx.measureText(text).width;
    if (w > pw() - 6) { ctx.font = font(12 * (pw() - 6) / w); w = ctx.measureText(text).width; } // a narrow map: smaller, never cut
    var p = placeLabel(x, y, w, 13 * UI.fs, text);
    ctx.strokeText(text, p[0], p[1]); ctx.fillStyle = color; ctx.fillText(text, p[0], p[1]); ctx.restore();
  }
  function tickFmt(v) {
    var a = Math.abs(v);
    if (a >= 1e4 && a < 1e6) return fmt(v / 1e3, 3) + "k";
    if (a >= 1e6 && a < 1e9) return fmt(v / 1e6, 3) + "M";
    return fmt(v, 3);
  }
  function ticks(lo, hi, n) {
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function setupCanvas(canvas, aspect) {
    var w = Math.max(240, canvas.parentNode.clientWidth || 300), h = Math.round(w * aspect);
    if (UI.projector && canvas === mapCanvas) { // the map and the loss curve on one screen
      h = Math.max(200, Math.min(h, Math.round(window.innerHeight - canvas.parentNode.getBoundingClientRect().top - 80 * UI.fs)));
    }
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    canvas.style.height = h + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx: ctx, W: w, H: h };
  }
  function drawAxes(ctx, names) {
    ctx.save(); ctx.fillStyle = "#1b2430"; ctx.strokeStyle = "#1b2430"; ctx.font = font(11);
    ctx.strokeRect(M.l, M.t, pw(), ph());
    ticks(view.x0, view.x1, Math.max(2, Math.min(6, Math.floor(pw() / (60 * UI.fs))))).forEach(function (v) { // no overlap on a phone
      var p = toPx(v, view.y0); ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(p[0], p[1] + 4); ctx.stroke();
      ctx.textAlign = "center"; ctx.fillText(tickFmt(v), p[0], p[1] + 4 + 11 * UI.fs);
    });
    ticks(view.y0, view.y1, 6).forEach(function (v) {
      var p = toPx(view.x0, v); ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(p[0] - 4, p[1]); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(tickFmt(v), p[0] - 6, p[1] + 4);
    });
    ctx.font = "bold " + font(12); ctx.textAlign = "center";
    ctx.fillText(names[0], M.l + pw() / 2, geom.H - 4);
    ctx.save(); ctx.translate(11 * UI.fs, M.t + ph() / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(names[1], 0, 0); ctx.restore();
    ctx.restore();
  }

  function visibleCount(run) { return Math.min(run.xs.length, Math.floor(S.reveal)); }

  function drawMap() {
    var aspect = REG ? 0.8 : (N === 2 ? 1 : 0.75);
    margins(N === 2);
    if (S.std) { // standardised: a square window drawn square, so the round bowl looks round
      var w = Math.max(240, mapCanvas.parentNode.clientWidth || 300); aspect = (w - M.l - M.r + M.t + M.b) / w;
    }
    var c = setupCanvas(mapCanvas, aspect);
    geom.W = c.W; geom.H = c.H;
    paintMap(c.ctx);
  }
  // The map on any 2-D context: the canvas, or the SVG recorder of the export (drawn alike).
  function paintMap(ctx) {
    LABELS.length = 0; MARKS.length = 0;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, geom.W, geom.H);
    ctx.save(); ctx.beginPath(); ctx.rect(M.l, M.t, pw(), ph()); ctx.clip();
    if (N === 2) {
      if (!grid) computeGrid();
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(grid.img, 0, 0, grid.G + 1, grid.G + 1, M.l, M.t, pw(), ph());
      ctx.strokeStyle = "rgba(27,36,48,0.4)"; ctx.lineWidth = 1;
      grid.levels.forEach(function (lv) {
        ctx.beginPath();
        contourSegments(lv).forEach(function (s) {
          var a = toPx(s[0][0], s[0][1]), b = toPx(s[1][0], s[1][1]); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]);
        });
        ctx.stroke();
      });
    } else {
      ctx.strokeStyle = "#33414f"; ctx.lineWidth = 2; ctx.beginPath();
      var pen = false;
      curve.xs.forEach(function (x, i) {
        var y = curve.ys[i]; if (!isFinite(y)) { pen = false; return; }
        var p = toPx(x, Math.max(view.y0 - 1e3 * (view.y1 - view.y0), Math.min(view.y1 + 1e3 * (view.y1 - view.y0), y)));
        if (pen) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]); pen = true;
      });
      ctx.stroke();
    }
    if (D.minimum) {
      var mp = toPx(D.minimum[0], N === 2 ? D.minimum[1] : value(D.minimum));
      ctx.save(); ctx.lineWidth = 3; ctx.strokeStyle = "#000"; ctx.beginPath();
      ctx.moveTo(mp[0] - 6, mp[1] - 6); ctx.lineTo(mp[0] + 6, mp[1] + 6); ctx.moveTo(mp[0] + 6, mp[1] - 6); ctx.lineTo(mp[0] - 6, mp[1] + 6); ctx.stroke();
      ctx.lineWidth = 1.5; ctx.strokeStyle = "#fff"; ctx.stroke(); ctx.restore();
    }
    drawStationary(ctx);
    drawEigen(ctx);
    for (var ri = S.runs.length - 1; ri >= 0; ri--) drawPath(ctx, S.runs[ri], PAL[ri % PAL.length], ri === 0); // the chosen run on top
    drawStepArrows(ctx);
    drawCursor(ctx);
    ctx.restore();
    drawAxes(ctx, N === 2 ? [VARS[0], VARS[1]] : [VARS[0], fx]);
    if (N === 2) drawColorbar(ctx);
  }
  // The stationary points found near the start (descend.geometry.stationary_points): minima
  // as ×, saddles as ◇, maxima as △, so the map shows what the function is known for.
  function drawStationary(ctx) {
    (D.stationary || []).forEach(function (s) {
      var p = pointOf(s.x, value(s.x)); if (!inView(p)) return;
      var P = toPx(p[0], p[1]);
      MARKS.push([P[0] - 7, P[1] - 7, 14, 14]);
      ctx.save(); ctx.lineWidth = 2.5; ctx.strokeStyle = "#000"; ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.beginPath();
      if (s.kind === "minimum") { ctx.moveTo(P[0] - 5, P[1] - 5); ctx.lineTo(P[0] + 5, P[1] + 5); ctx.moveTo(P[0] + 5, P[1] - 5); ctx.lineTo(P[0] - 5, P[1] + 5); ctx.stroke(); }
      else if (s.kind === "maximum") { ctx.moveTo(P[0], P[1] - 7); ctx.lineTo(P[0] + 6, P[1] + 5); ctx.lineTo(P[0] - 6, P[1] + 5); ctx.closePath(); ctx.fill(); ctx.stroke(); }
      else { ctx.moveTo(P[0], P[1] - 7); ctx.lineTo(P[0] + 7, P[1]); ctx.lineTo(P[0], P[1] + 7); ctx.lineTo(P[0] - 7, P[1]); ctx.closePath(); ctx.fill(); ctx.stroke(); }
      ctx.restore();
    });
  }
  function drawEigen(ctx) {
    var c = curvatureAt(S.start); if (!c) return;
    if (N === 1) { // the tangent line at the start, slope labelled
      var x0 = S.start[0], f0 = value(S.start), s = valueGrad(S.start)[1][0], h = (view.x1 - view.x0) * 0.18;
      var p = clip([x0 - h, f0 - s * h], [x0 + h, f0 + s * h]); if (!p) return;
      var A = toPx(p.a[0], p.a[1]), B = toPx(p.b[0], p.b[1]);
      ctx.save(); ctx.strokeStyle = "#CC79A7"; ctx.lineWidth = 2; ctx.setLineDash([5, 4]); ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke(); ctx.restore();
      halo(ctx, "slope " + fmt(s) + " at " + VARS[0] + " = " + fmt(x0), B[0] + 4, B[1] - 8, "#CC79A7");
      return;
    }
    var L = Math.min(view.x1 - view.x0, view.y1 - view.y0) * 0.16;
    [[c.eig[0], "#D55E00", "λ₁ = ", 1], [c.eig[1], "#009E73", "λ₂ = ", -1]].forEach(function (e) {
      var v = e[0].vector, sx = (view.x1 - view.x0), sy = (view.y1 - view.y0);
      // an equal length on screen whatever the axes' scales
      var dx = v[0] / sx, dy = v[1] / sy, nrm = Math.hypot(dx, dy) || 1;
      var a = [S.start[0] - v[0] / nrm * 0.13, S.start[1] - v[1] / nrm * 0.13], b = [S.start[0] + v[0] / nrm * 0.13, S.start[1] + v[1] / nrm * 0.13];
      void L;
      var q = clip(a, b); if (!q) return;
      var A = toPx(q.a[0], q.a[1]), B = toPx(q.b[0], q.b[1]);
      ctx.save(); ctx.strokeStyle = e[1]; ctx.lineWidth = 2; ctx.setLineDash([2, 3]);
      ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke(); ctx.restore();
      var T = e[3] > 0 ? B : A;
      halo(ctx, e[2] + fmt(e[0].value, 3), T[0] + (T[0] > M.l + pw() / 2 ? -52 : 6), T[1] + (T[1] > M.t + ph() / 2 ? -6 : 14), e[1]);
    });
  }
  function drawPath(ctx, run, color, main) {
    var n = visibleCount(run), pts = [];
    for (var k = 0; k < n; k++) pts.push(pointOf(run.xs[k], run.fs[k]));
    if (run.blowup && n === run.xs.length) pts.push(N === 2 ? run.blowup.x : [run.blowup.x[0], isFinite(run.blowup.f) ? run.blowup.f : view.y1 * 10]);
    ctx.save(); ctx.lineJoin = "round";
    var offMap = false;
    for (var pass = 0; pass < 2; pass++) {
      ctx.strokeStyle = pass === 0 ? "rgba(255,255,255,0.9)" : color; ctx.lineWidth = pass === 0 ? 5 : 2.4;
      ctx.beginPath();
      for (k = 1; k < pts.length; k++) {
        var c = clip(pts[k - 1], pts[k]);
        if (!c) { offMap = true; continue; }
        var A = toPx(c.a[0], c.a[1]), B = toPx(c.b[0], c.b[1]);
        ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]);
        if (c.cut && pass === 1) { offMap = true; ctx.stroke(); ctx.fillStyle = color; arrowHead(ctx, A[0], A[1], B[0], B[1], 12); ctx.beginPath(); }
      }
      ctx.stroke();
    }
    pts.forEach(function (p, i) {
      if (!inView(p) || i >= n) return;
      var P = toPx(p[0], p[1]);
      ctx.beginPath(); ctx.arc(P[0], P[1], i === 0 ? 5 : 3, 0, 7); ctx.fillStyle = i === 0 ? "#fff" : color; ctx.fill();
      ctx.lineWidth = 1.5; ctx.strokeStyle = color; ctx.stroke();
    });
    if (main) {
      var k2 = Math.min(S.sel, n - 1), sp = pts[k2];
      if (sp && inView(sp)) {
        var Q = toPx(sp[0], sp[1]);
        ctx.beginPath(); ctx.arc(Q[0], Q[1], 9, 0, 7); ctx.lineWidth = 3; ctx.strokeStyle = "#000"; ctx.stroke();
        ctx.beginPath(); ctx.arc(Q[0], Q[1], 9, 0, 7); ctx.lineWidth = 1.2; ctx.strokeStyle = "#fff"; ctx.stroke();
      }
    }
    if (offMap && n === run.xs.length) {
      var last = run.blowup ? run.blowup.x : run.xs[run.xs.length - 1], away = run.verdict === "diverged" || run.verdict === "unbounded_below";
      halo(ctx, run.name + (away ? " runs off the map, to " + vec(last, 3) : " leaves the map and comes back"),
        M.l + 6, M.t + 16 + 16 * S.runs.indexOf(run), color);
    }
    ctx.restore();
  }
  function drawStepArrows(ctx) {
    var run = S.runs[0]; if (!run) return;
    var k = S.sel; if (k >= run.steps.length || k + 1 > visibleCount(run)) return;
    var a = run.xs[k], g = run.gs[k], lr = run.armijo ? run.rates[k] : run.lr;
    var b = k + 1 < run.xs.length ? run.xs[k + 1] : (run.blowup ? run.blowup.x : null); if (!b) return;
    if (run.second) { // the Newton step −H⁻¹∇f, and descend's step where it differs
      var ns = newtonStep(a), pa2 = pointOf(a, run.fs[k]), tip = a.map(function (v, i) { return v + ns.p[i]; });
      var tipP = toPx(tip[0], N === 2 ? tip[1] : value(tip)), bP = toPx(b[0], N === 2 ? b[1] : value(b));
      var same2 = Math.hypot(tipP[0] - bP[0], tipP[1] - bP[1]) < 3;
      arrow(ctx, pa2, pointOf(tip, value(tip)), "#E69F00", !same2, same2 ? "−H⁻¹∇f (the step taken)" : "−H⁻¹∇f (Newton step)");
      if (!same2) arrow(ctx, pa2, pointOf(b, run.fs[k + 1]), "#56B4E9", false, "descend's step");
      return;
    }
    var gradStep = a.map(function (v, i) { return v - lr * g[i]; });
    var same = run.name === "gd";
    var pa = pointOf(a, run.fs[k]);
    if (N === 2) {
      // one arrow when the step is the gradient step (momentum's first: v = ∇f), not two labels on one line
      var gP = toPx(gradStep[0], gradStep[1]), sP = toPx(b[0], b[1]);
      if (!same && Math.hypot(gP[0] - sP[0], gP[1] - sP[1]) < 3) { same = true; var merged = true; }
      arrow(ctx, pa, gradStep, "#E69F00", !same, !same ? "−γ∇f (gradient alone)" : merged ? "−γ∇f = the step (v = ∇f)" : "−γ∇f");
      if (!same) arrow(ctx, pa, b, "#56B4E9", false, run.name === "momentum" || run.name === "nesterov" ? "step −γv (velocity)" : "the step taken");
    } else {
      arrow(ctx, pa, [gradStep[0], run.fs[k]], "#E69F00", !same, "−γ f′");
    }
  }
  function drawCursor(ctx) {
    if (!S.focus) return;
    var p = toPx(S.cursor[0], N === 2 ? S.cursor[1] : value(S.cursor));
    ctx.save(); ctx.strokeStyle = "#E69F00"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(p[0] - 12, p[1]); ctx.lineTo(p[0] + 12, p[1]); ctx.moveTo(p[0], p[1] - 12); ctx.lineTo(p[0], p[1] + 12); ctx.stroke();
    ctx.restore();
    halo(ctx, "Enter: start at " + vec(S.cursor, 3), p[0] + 10, p[1] - 10, "#000");
  }

  // ------------------------------------------------------------------ regression: data + line
  function drawData() {
    if (!REG) return;
    margins(false);
    var R = D.regression, c = setupCanvas(dataCanvas, 0.62), ctx = c.ctx;
    var xs = R.x, ys = R.y;
    var xlo = Math.min.apply(null, xs), xhi = Math.max.apply(null, xs), ylo = Math.min.apply(null, ys), yhi = Math.max.apply(null, ys);
    var px = (xhi - xlo) * 0.1 || 1, py = (yhi - ylo) * 0.15 || 1;
    var saved = { x0: view.x0, x1: view.x1, y0: view.y0, y1: view.y1 }, g = { W: geom.W, H: geom.H };
    view.x0 = Math.min(0, xlo - px); view.x1 = xhi + px; view.y0 = Math.min(0, ylo - py); view.y1 = yhi + py;
    geom.W = c.W; geom.H = c.H;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.W, c.H);
    ctx.save(); ctx.beginPath(); ctx.rect(M.l, M.t, pw(), ph()); ctx.clip();
    xs.forEach(function (x, i) {
      var p = toPx(x, ys[i]); ctx.beginPath(); ctx.arc(p[0], p[1], 4, 0, 7); ctx.fillStyle = "#0072B2"; ctx.fill();
    });
    var run = S.runs[0], text = "";
    if (run) {
      // while a run is being drawn the line follows it; afterwards it shows the selected step
      var k = isFinite(S.reveal) ? visibleCount(run) - 1 : Math.min(S.sel, run.xs.length - 1), bm = userLine(run.xs[k]);
      var q = clip([view.x0, bm[0] + bm[1] * view.x0], [view.x1, bm[0] + bm[1] * view.x1]);
      if (q) {
        var A = toPx(q.a[0], q.a[1]), B = toPx(q.b[0], q.b[1]);
        ctx.strokeStyle = "#D55E00"; ctx.lineWidth = 2.5; ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke();
      }
      text = "step " + k + ": " + lineText(run.xs[k]) +
        "   (mean squared error " + fmt(run.fs[k]) + ")" + (q ? "" : " — the line is off this chart");
    }
    ctx.restore();
    drawAxes(ctx, [R.x_name, R.y_name]);
    view.x0 = saved.x0; view.x1 = saved.x1; view.y0 = saved.y0; view.y1 = saved.y1; geom.W = g.W; geom.H = g.H;
    margins(N === 2);
    dataCaption.textContent = text + "  (" + R.rows + " rows from " + R.source + "; the least-squares line is " +
      R.y_name + " ≈ " + fmt(ZD ? ulps0(R.solution[0], R.solution[1] * ZD.mean) : R.solution[0]) + " + " + fmt(R.solution[1]) + "·" + R.x_name + ")";
  }

  // ------------------------------------------------------------------ loss curve (SVG)
  var lossGeom = null;
  function drawLoss() {
    while (lossSvg.firstChild) lossSvg.removeChild(lossSvg.firstChild);
    var W = Math.max(240, lossSvg.clientWidth || lossSvg.parentNode.clientWidth || 300), H = UI.projector ? Math.max(190, geom.H) : 190;
    lossSvg.style.height = H + "px";
    lossSvg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var m = { l: 58 * UI.fs, r: UI.projector ? 24 : 10, t: 8 * UI.fs, b: 30 * UI.fs }, fz = String(Math.round(10 * UI.fs)), fz1 = String(Math.round(11 * UI.fs));
    var runs = S.runs; if (!runs.length) return;
    var K = 1, all = [];
    runs.forEach(function (r) { K = Math.max(K, r.fs.length - 1); r.fs.forEach(function (v) { if (isFinite(v)) all.push(v); }); });
    var positive = all.every(function (v) { return v > 0; });
    var hi = Math.max.apply(null, all), lo = Math.min.apply(null, all), floorNote = "";
    var tr;
    if (positive) {
      // descend.geometry.noise_floor: below 1e-15 of the starting loss, f is float64 rounding
      // noise, not progress (the start, never the largest loss: a blow-up is not noise)
      var f0max = Math.max.apply(null, runs.map(function (r) { return Math.abs(r.fs[0]); }).filter(isFinite));
      var noise = 1e-15 * f0max, floorV = Math.max(lo, noise);
      if (lo < noise) floorNote = "Losses below " + fmt(noise, 2) + " (10⁻¹⁵ of the starting loss) are float64 rounding noise; the curve stops there.";
      var a = Math.log10(floorV), b = Math.log10(hi); if (b - a < 1) { a -= 0.5; b += 0.5; }
      tr = function (v) { return m.t + (1 - (Math.log10(Math.max(v, floorV)) - a) / (b - a)) * (H - m.t - m.b); };
      for (var e = Math.ceil(a); e <= Math.floor(b); e += Math.max(1, Math.ceil((b - a) / 5))) {
        var yy = tr(Math.pow(10, e));
        lossSvg.appendChild(svgEl("line", { x1: m.l, x2: W - m.r, y1: yy, y2: yy, stroke: "#eef0f2" }));
        var t = svgEl("text", { x: m.l - 4, y: yy + 4, "text-anchor": "end", "font-size": fz }); t.textContent = "1e" + e; lossSvg.appendChild(t);
      }
    } else {
      var pad = (hi - lo) * 0.05 || 1;
      tr = function (v) { return m.t + (1 - (v - lo + pad) / (hi - lo + 2 * pad)) * (H - m.t - m.b); };
      ticks(lo - pad, hi + pad, 4).forEach(function (v) {
        var yy = tr(v); lossSvg.appendChild(svgEl("line", { x1: m.l, x2: W - m.r, y1: yy, y2: yy, stroke: "#eef0f2" }));
        var t = svgEl("text", { x: m.l - 4, y: yy + 4, "text-anchor": "end", "font-size": fz }); t.textContent = fmt(v, 3); lossSvg.appendChild(t);
      });
    }
    var tx = function (k) { return m.l + k / K * (W - m.l - m.r); };
    ticks(0, K, 5).forEach(function (k) {
      if (k !== Math.round(k)) return;
      var t = svgEl("text", { x: tx(k), y: H - m.b + 14 * UI.fs, "text-anchor": "middle", "font-size": fz }); t.textContent = String(k); lossSvg.appendChild(t);
    });
    var xl = svgEl("text", { x: m.l + (W - m.l - m.r) / 2, y: H - 3, "text-anchor": "middle", "font-size": fz1 }); xl.textContent = "step k"; lossSvg.appendChild(xl);
    var yl = svgEl("text", { x: 10 * UI.fs, y: m.t + (H - m.t - m.b) / 2, "text-anchor": "middle", "font-size": fz1, transform: "rotate(-90 " + 10 * UI.fs + " " + (m.t + (H - m.t - m.b) / 2) + ")" });
    yl.textContent = positive ? "f (log scale)" : "f"; lossSvg.appendChild(yl);
    lossSvg.appendChild(svgEl("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: "none", stroke: "#9aa5b1" }));
    runs.forEach(function (r, ri) {
      var d = "";
      r.fs.forEach(function (v, k) { if (isFinite(v)) d += (d ? "L" : "M") + tx(k).toFixed(1) + " " + tr(v).toFixed(1); });
      lossSvg.appendChild(svgEl("path", { d: d, fill: "none", stroke: PAL[ri % PAL.length], "stroke-width": "2" }));
    });
    var r0 = runs[0], ks = Math.min(S.sel, r0.fs.length - 1);
    lossSvg.appendChild(svgEl("line", { x1: tx(ks), x2: tx(ks), y1: m.t, y2: H - m.b, stroke: "#1b2430", "stroke-dasharray": "3 3" }));
    lossSvg.appendChild(svgEl("circle", { cx: tx(ks), cy: tr(r0.fs[ks]), r: 5, fill: "#fff", stroke: "#000", "stroke-width": "2" }));
    lossGeom = { m: m, W: W, K: K };
    lossNote.textContent = floorNote;
  }
  lossSvg.addEventListener("mousemove", function (ev) {
    if (!lossGeom || !S.runs.length) return;
    var r = lossSvg.getBoundingClientRect(), x = (ev.clientX - r.left) / r.width * lossGeom.W;
    var k = Math.round((x - lossGeom.m.l) / (lossGeom.W - lossGeom.m.l - lossGeom.m.r) * lossGeom.K);
    select(Math.max(0, Math.min(S.runs[0].xs.length - 1, k)));
  });

  // ------------------------------------------------------------------ text panels
  function optName(r) { return LABEL[r.name]; }
  // ------------------------------------------------------------------ second-order steps
  function secondWords(run) {
    var E = run.second;
    if (run.verdict === "elsewhere") return "Its path on this page is descend's own run (descend.minimize(f, " + vec(D.start) + ", method=\"" + run.name +
      "\")), computed when the page was built: press reset (or rebuild with --start) to see it. The step card still solves the Newton step here.";
    var many = function (k, one) { return k + " " + one + (k === 1 ? "" : "s"); };
    return "These are descend's own iterates (descend.minimize(..., method=\"" + run.name + "\"), computed when the page was built), and its verdict: " +
      E.nfev + " values of f, " + many(E.njev, "gradient") + (E.nhev ? ", " + many(E.nhev, "Hessian") : "") + ".";
  }
  // The Newton step at a, written out: solve H p = −∇f (in 2-D by the 2×2 inverse).
  function newtonStep(a) {
    var g = valueGrad(a)[1], H = hessian(a);
    if (N === 1) return { g: g, H: H, det: H[0][0], p: [-g[0] / H[0][0]] };
    var det = H[0][0] * H[1][1] - H[0][1] * H[1][0];
    var inv = [[H[1][1] / det, -H[0][1] / det], [-H[1][0] / det, H[0][0] / det]];
    return { g: g, H: H, det: det, inv: inv, p: [-(inv[0][0] * g[0] + inv[0][1] * g[1]), -(inv[1][0] * g[0] + inv[1][1] * g[1])] };
  }
  function newtonCard(run, k) {
    var a = run.xs[k], ns = newtonStep(a), g = ns.g, H = ns.H, L = [], aa = vec(a), last = k >= run.steps.length, away = run.verdict === "elsewhere";
    L.push(away ? "The Newton step from here (descend's " + run.name + " run is on this page from " + vec(D.start) + " only)" :
      (last ? "The last iterate of " : "Step " + k + " → " + (k + 1) + " of ") + optName(run) + ", descend's own run");
    L.push("a = x" + (k < 3 ? SUB[k] : "") + " = " + aa + ",   f(a) = " + fmt(run.fs[k]));
    L.push("∇f(a) = " + vec(g));
    if (N === 1) {
      L.push("f″(a) = " + fmt(H[0][0]));
      L.push("Newton step: p = −f′(a)/f″(a) = −(" + fmt(g[0]) + ")/(" + fmt(H[0][0]) + ") = " + fmt(ns.p[0]));
    } else {
      L.push("H(a) = [[" + fmt(H[0][0]) + ", " + fmt(H[0][1]) + "], [" + fmt(H[1][0]) + ", " + fmt(H[1][1]) + "]]");
      L.push("Newton step: solve H·p = −∇f(a)");
      L.push("  det H = " + fmt(H[0][0]) + "·" + fmt(H[1][1]) + " − " + fmt(H[0][1]) + "·" + fmt(H[1][0]) + " = " + fmt(ns.det));
      L.push("  H⁻¹ = (1/det H)·[[" + fmt(H[1][1]) + ", " + fmt(-H[0][1]) + "], [" + fmt(-H[1][0]) + ", " + fmt(H[0][0]) + "]] = [[" +
        fmt(ns.inv[0][0]) + ", " + fmt(ns.inv[0][1]) + "], [" + fmt(ns.inv[1][0]) + ", " + fmt(ns.inv[1][1]) + "]]");
      L.push("  p = −H⁻¹∇f(a) = " + vec(ns.p));
    }
    L.push("a + p = " + vec(a.map(function (v, i) { return v + ns.p[i]; })) + "   (the lowest point of the quadratic model f(a) + ∇f·p + ½pᵀHp" +
      (N === 2 && !(ns.det > 0 && H[0][0] > 0) ? "; H is not positive definite here, so that point is not a minimum of the model" : "") + ")");
    if (away) return L.join("\n");
    if (last) { L.push(""); L.push("descend stopped here: " + statusWord(run) + "."); return L.join("\n"); }
    var b = run.xs[k + 1], st = run.steps[k].dir, sn = Math.hypot.apply(null, st), pn = Math.hypot.apply(null, ns.p);
    var full = Math.hypot.apply(null, st.map(function (v, i) { return v - ns.p[i]; })) <= 1e-9 * Math.max(pn, 1e-300);
    if (run.name === "newton") L.push(full ? "descend took the whole Newton step: b = a + p = " + vec(b) :
      "descend took a shorter step, s = " + vec(st) + " (|s| = " + fmt(sn) + ", |p| = " + fmt(pn) + "): its trust region allows only steps where the quadratic model has proved reliable, " +
      "so it took the model's lowest point within that radius. b = a + s = " + vec(b));
    else L.push("BFGS steps along −B∇f with B its running estimate of H⁻¹ (built from the gradients so far) and a line search: s = " + vec(st) +
      (full ? ", here exactly the Newton step" : ", not the Newton step p") + ". b = a + s = " + vec(b));
    var dfv = run.fs[k + 1] - run.fs[k];
    L.push("f(b) = " + fmt(run.fs[k + 1]) + (dfv <= 0 ? "   (down by " + fmt(-dfv) + ")" : "   (up by " + fmt(dfv) + ")"));
    if (D.L !== null && k === 0 && full) L.push("f is a quadratic, so its model is f itself: one Newton step lands on the minimum.");
    return L.join("\n");
  }

  function cartoonText() {
    var run = S.runs[0]; if (!run) return "";
    if (run.second) return newtonCard(run, Math.min(S.sel, run.xs.length - 1));
    var k = Math.min(S.sel, run.xs.length - 1), a = run.xs[k], g = run.gs[k], lr = run.armijo ? run.rates[k] : run.lr, L = [];
    var aa = vec(a), lines;
    L.push("Step " + k + " → " + (k + 1) + " of " + optName(run) + (run.armijo ? ", γ by line search" + (k < run.rates.length ? ": t = " + fmt(lr) : "") : ", γ = " + fmt(lr)));
    L.push("a = x" + (k < 3 ? SUB[k] || "" : "") + " = " + aa + ",   f(a) = " + fmt(run.fs[k]));
    D.gradient_formula.forEach(function (gf, i) {
      L.push("∂f/∂" + VARS[i] + " = " + pretty(gf) + " = " + fmt(g[i]) + " at " + aa);
    });
    if (k >= run.steps.length) {
      L.push("");
      L.push(run.verdict === "converged" ? "This is the last iterate: |∇f| = " + fmt(run.gns[k]) + ", small enough, and the Hessian shows a minimum: the descent stops here." :
        "This is the last iterate (" + statusWord(run) + ").");
      return L.join("\n");
    }
    var p = run.steps[k], b = k + 1 < run.xs.length ? run.xs[k + 1] : run.blowup.x, bb = vec(b), hp = run.hp;
    var gg = vec(g);
    if (run.armijo) {
      L.push("trial t = " + fmt(p.trial) + (p.bb ? " (s·s/s·y, s and y the last changes of x and ∇f)" : k === 0 ? " (the first trial)" : " (twice the last t)") +
        (p.halvings ? ", halved " + p.halvings + "× to t = " + fmt(p.t) : ", accepted") + ": f(b) ≤ f(a) − 10⁻⁴·t·" + (run.name === "gd" ? "|∇f|²" : "(−∇f·d)"));
      L.push("b = a − t·" + (run.name === "gd" ? "∇f(a)" : "d") + " = " + aa + " − " + fmt(lr) + "·" + vec(p.dir) + " = " + bb);
    } else if (run.name === "gd") {
      L.push("b = a − γ∇f(a) = " + aa + " − " + fmt(lr) + "·" + gg + " = " + bb);
    } else if (run.name === "momentum" || run.name === "nesterov") {
      if (p.first) L.push("v = ∇f(a) = " + vec(p.buf) + "   (the first velocity is the gradient itself)");
      else L.push("v = μ·v + ∇f(a) = " + fmt(hp.momentum) + "·" + vec(p.prev) + " + " + gg + " = " + vec(p.buf));
      if (run.name === "momentum") L.push("b = a − γ·v = " + aa + " − " + fmt(lr) + "·" + vec(p.buf) + " = " + bb);
      else L.push("b = a − γ·(∇f(a) + μ·v) = " + aa + " − " + fmt(lr) + "·" + vec(p.dir) + " = " + bb + "   (the look-ahead)");
    } else if (run.name === "adagrad") {
      L.push("G = G + ∇f(a)² = " + vec(p.sum));
      L.push("b = a − γ·∇f(a)/(√G + ε) = " + aa + " − " + fmt(lr) + "·" + vec(p.dir) + " = " + bb);
    } else if (run.name === "rmsprop") {
      L.push("s = α·s + (1 − α)·∇f(a)² = " + vec(p.nu) + "   (α = " + fmt(hp.alpha) + ")");
      L.push("b = a − γ·∇f(a)/(√s + ε) = " + aa + " − " + fmt(lr) + "·" + vec(p.dir) + " = " + bb);
    } else {
      L.push("m = β₁·m + (1 − β₁)·∇f(a) = " + vec(p.m) + "   (β₁ = " + fmt(hp.b1) + ")");
      L.push("v = β₂·v + (1 − β₂)·∇f(a)² = " + vec(p.nu) + "   (β₂ = " + fmt(hp.b2) + ")");
      L.push("m̂ = m/(1 − β₁^" + p.t + ") = " + vec(p.m.map(function (v) { return v / p.bc1; })) +
        ",  √v̂ = √v/√(1 − β₂^" + p.t + ") = " + vec(p.nu.map(function (v) { return Math.sqrt(v) / p.bc2s; })));
      if (run.name === "adam") L.push("b = a − γ·m̂/(√v̂ + ε) = " + aa + " − " + fmt(lr) + "·" + vec(p.dir) + " = " + bb);
      else L.push("b = a − γ·(m̂/(√v̂ + ε) + λ·a) = " + aa + " − " + fmt(lr) + "·" + vec(p.dir) + " = " + bb + "   (λ = " + fmt(hp.weight_decay) + ", decoupled)");
    }
    var fb = k + 1 < run.fs.length ? run.fs[k + 1] : run.blowup.f;
    var dfv = fb - run.fs[k];
    L.push("f(b) = " + fmt(fb) + (isFinite(dfv) ? (dfv <= 0 ? "   (down by " + fmt(-dfv) + ")" : "   (UP by " + fmt(dfv) + ": this step overshot)") : ""));
    return L.join("\n");
  }
  // What the Hessian says near one point, in words that claim nothing about where a run ends.
  function shapeWords(e) {
    var scale = Math.max(Math.abs(e[0].value), Math.abs(e[e.length - 1].value), 2.2250738585072014e-308), tol = 1e-8 * scale;
    var up = e.filter(function (v) { return v.value > tol; }).length, down = e.filter(function (v) { return v.value < -tol; }).length;
    if (N === 1) return up ? "f curves up here (f″ > 0)" : down ? "f curves down here (f″ < 0): descent slides away from this point" :
      "f″ = 0 here: f is straight (flat curvature) here, and the second derivative says nothing";
    if (up === 2) return "f curves up in every direction here, like the inside of a bowl";
    if (down === 2) return "f curves down in every direction here (a hilltop or a concave region): descent slides away";
    if (up === 1 && down === 1) return "f is saddle-shaped here: it curves up along " + vec(e[0].vector, 2) + " and down along " + vec(e[1].vector, 2) +
      "; that says nothing about where a descent from here ends";
    if (up === 1) return "f curves up along " + vec(e[0].vector, 2) + " and is flat (zero curvature) along " + vec(e[1].vector, 2);
    if (down === 1) return "f curves down along " + vec(e[1].vector, 2) + " and is flat (zero curvature) along " + vec(e[0].vector, 2);
    return "the curvature is zero in every direction here (f is flat or has a kink here; the Hessian says nothing)";
  }
  function endWords() {
    var run = S.runs[0]; if (!run) return [];
    var n = run.xs.length - 1, V = run.verdict, J = run.judged, ev = J.facts.hessian_eigenvalues;
    var where = "Where " + optName(run) + " ended, " + vec(run.xs[n]) + ": ";
    if (V === "converged") return [where + "a minimum — " + (ev ? "the Hessian there is positive " + (J.facts.definite ? "definite" : "semidefinite") +
      " (eigenvalues " + ev.map(function (v) { return fmt(v); }).join(", ") + ") and |∇f| is small." : "|∇f| is small.")];
    if (V === "not_a_minimum") return [where + (J.kind === "inflection" ? "a stationary point that is not a minimum (an inflection)." :
      (J.kind === "maximum" ? "a maximum" : "a saddle point") + ", not a minimum (Hessian eigenvalues " + ev.map(function (v) { return fmt(v); }).join(", ") + ").")];
    return [where + statusWord(run) + "."];
  }
  function hessText() {
    var c = curvatureAt(S.start), L = [];
    if (!c) return ["The Hessian is not finite at " + vec(S.start) + "."].concat(endWords()).join("\n");
    var H = c.H, e = c.eig;
    if (N === 1) {
      var h = H[0][0];
      L.push("f″(" + fmt(S.start[0]) + ") = " + fmt(h) + (D.L !== null ? "  (constant: f is a quadratic)" : ""));
      if (h > 0) {
        L.push("local limit 2/f″ = " + fmt(2 / h));
        L.push("Meaning: the slope changes by " + fmt(h) + " per unit of " + VARS[0] + ", so a step of γ·f′ overshoots the bottom once γ > 1/f″ = " +
          fmt(1 / h) + " and the error grows once γ > 2/f″ = " + fmt(2 / h) + ".");
      } else L.push("Meaning: " + shapeWords(e) + ".");
      return L.concat(endWords()).join("\n");
    }
    L.push("H = [[" + fmt(H[0][0]) + ", " + fmt(H[0][1]) + "], [" + fmt(H[1][0]) + ", " + fmt(H[1][1]) + "]] at " + vec(S.start) +
      (D.L !== null ? "   (constant: f is a quadratic)" : ""));
    L.push("λ₁ = " + fmt(e[0].value) + " along " + vec(e[0].vector, 3) + "   (steepest curvature, orange)");
    L.push("λ₂ = " + fmt(e[1].value) + " along " + vec(e[1].vector, 3) + "   (shallowest, green)");
    if (e[1].value > 0) {
      var kappa = e[0].value / e[1].value;
      L.push("condition number κ = λ₁/λ₂ = " + fmt(kappa));
      L.push("local limit 2/λ₁ = " + fmt(2 / e[0].value) + (D.L !== null ? " = 2/L, for the whole function" : " (only near this point)"));
      L.push("Meaning: the bowl is " + fmt(Math.sqrt(kappa), 3) + "× narrower across " + vec(e[0].vector, 2) + " than along " + vec(e[1].vector, 2) +
        "; γ must stay below 2/λ₁ or the steep direction blows up, and then the shallow direction shrinks only by |1 − γλ₂| per step, so gradient descent needs about κ = " +
        fmt(kappa, 3) + " times the steps a round bowl would.");
    } else L.push("Meaning, near the start: " + shapeWords(e) + ".");
    return L.concat(endWords()).join("\n");
  }
  // The words for a run, from its verdict (descend.loop.verdict), never from the stop rule alone.
  function statusWord(run) {
    var n = run.xs.length - 1, kind = run.judged && run.judged.kind;
    return {
      converged: "converged in " + n + (n === 1 ? " step" : " steps"),
      not_a_minimum: kind === "maximum" ? "stopped at a maximum, not a minimum (" + n + " steps)" :
        kind === "saddle" ? "stopped at a saddle point, not a minimum (" + n + " steps)" :
          "stopped at a stationary point that is not a minimum (" + n + " steps)",
      oscillating: "oscillating: not settling after " + n + " steps",
      diverged: "diverged at step " + (run.blowup ? n + 1 : n),
      unbounded_below: "fell without bound: no minimum",
      stalled: "stalled after " + n + " steps, not converged",
      budget_spent: "not converged: max steps (" + n + ") ran out",
      undefined_start: "f is undefined at the start",
      elsewhere: "descend's path is on this page from " + vec(D.start) + " only"
    }[run.verdict] || run.verdict;
  }
  function zigzag(run) {
    var flips = 0, pairs = 0;
    for (var k = 1; k < Math.min(run.xs.length - 1, 30); k++) {
      var d = 0;
      for (var i = 0; i < N; i++) d += (run.xs[k][i] - run.xs[k - 1][i]) * (run.xs[k + 1][i] - run.xs[k][i]);
      pairs++; if (d < 0) flips++;
    }
    return pairs >= 3 && flips / pairs >= 0.4;
  }
  function explainDiverged(run, lam, lim, where, adaptive, out) {
    var lr = run.lr, fl = run.blowup ? run.blowup.f : run.fs[run.fs.length - 1];
    out.push("The loss went from " + fmt(run.fs[0]) + " to " + fmt(fl) + (run.blowup ? " (no longer a finite number)" : " (10¹² times the start, where descend stops)") + ".");
    if (lim && lr > lim.value) {
      out.push("Why: γ = " + fmt(lr) + " is " + fmt(lr / lim.value, 3) + "× the stability limit " + lim.formula + " = " + fmt(lim.value) + where + ".");
      if (run.name === "gd") out.push("Along the steep direction each step multiplies the distance from the minimum by |1 − γλ| = " +
        fmt(Math.abs(1 - lr * lam.value), 3) + " > 1, so it grows exponentially. Use γ below " + fmt(lim.value) + ", e.g. 1/L = " + fmt(1 / lam.value) + ".");
      else out.push("Momentum allows more than 2/L, but not this much. Use γ below " + fmt(lim.value) + ".");
    } else if (lim) {
      out.push("γ = " + fmt(lr) + " is below " + lim.formula + " = " + fmt(lim.value) + where + ", but the path reached steeper places where it is too large; try a smaller γ.");
    } else if (adaptive) {
      out.push(optName(run) + " rescales each coordinate, so no 2/L limit predicts this; try a smaller γ.");
    }
  }
  function explainStationary(run, out) {
    var J = run.judged, x = run.xs[run.xs.length - 1], v = J.facts.descent_direction;
    if (J.kind === "inflection") {
      out.push(vec(x) + " is a stationary point but not a minimum: the Hessian is zero along " + vec(v, 3) +
        " and f is lower a small step that way (an inflection); start elsewhere.");
      return;
    }
    var step = 0.1 * Math.max(1, Math.hypot.apply(null, x));
    out.push(vec(x) + " is " + (J.kind === "maximum" ? "a maximum" : "a saddle point") + ", not a minimum: the gradient is zero there but the Hessian has eigenvalue " +
      fmt(J.facts.min_eigenvalue) + " along " + vec(v, 3) + ", so f decreases both ways along that direction; start elsewhere, e.g. at " +
      vec(x.map(function (c, i) { return c + step * v[i]; }), 3) + ".");
  }
  function explainBudget(run, lam, lim, adaptive, out) {
    var lr = run.lr, n = run.xs.length - 1;
    out.push("|∇f| = " + fmt(run.gns[n]) + " is not small yet (gtol = " + fmt(D.gtol) + ").");
    var ratio = lim ? lr / lim.value : NaN;
    if (lim && ratio >= 1) {
      out.push("γ is at or above the stability limit: lower it below " + fmt(lim.value) + ".");
    } else if (run.name === "gd" && D.L !== null && N === 2 && lam.value > 0) {
      var l2 = eig(hessian(S.start))[1].value, inv = 1 / lam.value;
      if (l2 > 0) out.push("The shallow direction (λ₂ = " + fmt(l2) + ") shrinks only by |1 − γλ₂| = " + fmt(Math.abs(1 - lr * l2), Math.max(4, Math.min(15, 2 + Math.ceil(-Math.log10(Math.abs(1 - Math.abs(1 - lr * l2))))))) + " per step. " +
        (Math.abs(lr - inv) > 0.1 * inv ? "Try γ near 1/L = " + fmt(inv) + ", or momentum." : "γ is already near 1/L; try momentum, or allow more steps."));
    } else if (run.name === "momentum" || run.name === "nesterov") {
      var rate = Math.sqrt(run.hp.momentum);
      out.push("With μ = " + fmt(run.hp.momentum) + " the swings die out by about √μ = " + fmt(rate, 3) + " per step at best (Polyak), so " + n +
        " steps shrink the error only by about " + fmt(Math.pow(rate, n), 2) + ". Lower μ, or allow more steps.");
    } else if (lim && ratio < 0.25) {
      out.push("Allow more steps, or raise γ (it is " + fmt(ratio, 3) + "× the stability limit).");
    } else out.push(adaptive ? "Allow more steps, or try another γ." : "Allow more steps.");
  }
  function explain(run) {
    var lam = lamMax(), lim = limitFor(run.name, lam.value, run.hp), lr = run.lr, out = [], cls = "";
    var where = lam.global ? " for this function (L = λmax of the constant Hessian = " + fmt(lam.value) + ")" :
      " at the start (local λmax = " + fmt(lam.value) + "; the curvature changes along the path)";
    var adaptive = ["adagrad", "rmsprop", "adam", "adamw"].indexOf(run.name) >= 0, V = run.verdict, J = run.judged;
    var n = run.xs.length - 1, xEnd = run.xs[n], fEnd = run.fs[n];
    out.push(optName(run) + ": " + statusWord(run) + ".");
    if (run.second) out.push(secondWords(run));
    if (V === "elsewhere") return { text: out.join(" "), cls: "" };
    if (V === "diverged") {
      cls = "bad"; explainDiverged(run, lam, lim, where, adaptive, out);
      if (ZD && !S.std && D0.L > 10 * ZD.L) out.push("L is large because " + D.regression.x_name + " is far from 1 (L ≈ 2·mean(" + D.regression.x_name + "²)): standardising it (the box in Settings) brings L to " +
        fmt(ZD.L) + ", so γ = 0.1 works — tutorial 001's lesson; descend fit standardises by default.");
    }
    else if (V === "unbounded_below") { cls = "bad"; out.push("f keeps falling along the path: it is unbounded below, so there is no minimum to find."); }
    else if (V === "undefined_start") { cls = "bad"; out.push("f or its gradient is not a finite number at " + vec(run.xs[0]) + "; start somewhere else."); }
    else if (V === "not_a_minimum") { cls = "bad"; explainStationary(run, out); }
    else if (V === "oscillating") {
      cls = "bad";
      var jl = J.facts.limit;
      out.push("The iterates jump back and forth across the valley without settling (|∇f| = " + fmt(run.gns[n], 3) + ") because " +
        (J.facts.above && jl ? "γ = " + fmt(lr) + " is at or above " + jl.formula + " = " + fmt(jl.value, 4) + "; use γ below " + fmt(jl.value, 4) + ", e.g. " + fmt(jl.value / 2, 4) + "." :
          "the step is too large for the curvature; use a smaller γ."));
    } else if (V === "converged") {
      cls = "good";
      var ev = J.facts.hessian_eigenvalues;
      out.push("|∇f| = " + fmt(run.gns[n]) + " at " + vec(xEnd) + ", f = " + fmt(fEnd) +
        (ev ? ", and the Hessian there is positive " + (J.facts.definite ? "definite" : "semidefinite") + " (smallest eigenvalue " + fmt(ev[0]) + ")." : "."));
      var fMin = D.minimum ? value(D.minimum) : NaN;
      if (fMin < fEnd - 1e-6 * Math.max(1, Math.abs(fEnd)))
        out.push("This is a local minimum: f is lower, " + fmt(fMin) + ", at " + vec(D.minimum) + " (×). Descent only ever goes downhill from where it starts.");
      if (zigzag(run)) out.push(run.name === "momentum" || run.name === "nesterov" ?
        "The path overshoots and swings back (the velocity carries it past the minimum), and the swings die out." :
        "The path zig-zags (each step overshoots the valley floor), but the zig-zag shrinks and the run settles.");
    } else if (V === "budget_spent") {
      if (run.armijo) out.push("|∇f| = " + fmt(run.gns[n]) + " is not small yet (gtol = " + fmt(D.gtol) + "): allow more steps.");
      else explainBudget(run, lam, lim, adaptive, out);
    }
    else if (V === "stalled") out.push("The loss stopped moving, but |∇f| = " + fmt(run.gns[n]) + " is not small (gtol = " + fmt(D.gtol) + "): a plateau, or steps too small to show progress.");
    if (REG && S.std && isFinite(fEnd)) out.push("In " + D.regression.x_name + "'s units the line it ended on is " + lineText(xEnd, true) + ".");
    if (run.armijo) out.push("The step t was chosen by the line search at every step (" + (run.rates.length ? "from " + fmt(Math.min.apply(null, run.rates), 3) + " to " + fmt(Math.max.apply(null, run.rates), 3) : "none taken") +
      "), so no fixed γ and no 2/L limit apply; each accepted step lowered f." + (run.noStep ? " The last search found no step that lowers f: the gradient is at the precision limit of f." : ""));
    else if (V !== "diverged" && V !== "unbounded_below" && V !== "undefined_start") {
      if (lim) out.push("γ = " + fmt(lr) + " is " + fmt(lr / lim.value, 3) + "× the stability limit " + lim.formula + " = " + fmt(lim.value) + where + ".");
      else if (adaptive) out.push(optName(run) + " rescales each coordinate by its own gradient history, so no 2/L limit applies: its first steps are about γ long in every coordinate.");
    }
    return { text: out.join(" "), cls: cls };
  }
  function drawTable() {
    while (table.rows.length) table.deleteRow(0);
    var run = S.runs[0]; if (!run) return;
    tableCap.textContent = "Iterates of " + optName(run) + " from " + vec(run.xs[0]) + " with learning rate " + (run.armijo ? "chosen by the line search (armijo)" : fmt(run.lr)) + (S.std ? "; b and m on z" : "");
    var head = table.createTHead().insertRow();
    ["k"].concat(VARS, ["f", "|∇f|"]).forEach(function (h) { var th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.appendChild(th); });
    var body = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
    var n = run.xs.length, HEAD = 400, TAIL = 100; // a long run: its start and its end
    run.xs.forEach(function (x, k) {
      if (n > HEAD + TAIL && k >= HEAD && k < n - TAIL) {
        if (k === HEAD) { var gap = body.insertRow(), td = gap.insertCell(); td.colSpan = N + 3; td.textContent = "… steps " + HEAD + " to " + (n - TAIL - 1) + " left out …"; }
        return;
      }
      var tr = body.insertRow();
      [String(k)].concat(x.map(function (v) { return fmt(v, 6); }), [fmt(run.fs[k], 6), fmt(run.gns[k], 3)]).forEach(function (t) { tr.insertCell().textContent = t; });
      if (k === S.sel) tr.className = "hl";
      tr.addEventListener("click", function () { select(k); });
    });
  }
  function highlightRow() {
    var body = table.tBodies[0]; if (!body) return;
    var row = null;
    Array.prototype.forEach.call(body.rows, function (tr) {
      var on = tr.cells[0].textContent === String(S.sel); tr.className = on ? "hl" : ""; if (on) row = tr;
    });
    if (row && row.scrollIntoView && row.parentNode) {
      var wrap = table.parentNode, top = row.offsetTop, h = wrap.clientHeight;
      if (top < wrap.scrollTop + 20 || top > wrap.scrollTop + h - 20) wrap.scrollTop = top - h / 2;
    }
  }
  function drawLegend() {
    while (legend.firstChild) legend.removeChild(legend.firstChild);
    S.runs.forEach(function (r, i) {
      legend.appendChild(el("span", {}, [el("span", { cls: "swatch", style: "background:" + PAL[i % PAL.length] }),
        document.createTextNode(r.name + (S.fair && S.race && !r.second ? " (γ = " + fmt(r.lr, 3) + ")" : "") + ": " + statusWord(r))]));
    });
    if (D.minimum) legend.appendChild(el("span", { text: "× minimum " + vec(D.minimum, 4) }));
    var kinds = {}; (D.stationary || []).forEach(function (s) { kinds[s.kind] = (kinds[s.kind] || 0) + 1; });
    var shown = [["minimum", "× minima"], ["saddle", "◇ saddle points"], ["maximum", "△ maxima"], ["flat", "◇ flat stationary points"]]
      .filter(function (k) { return kinds[k[0]] && !(k[0] === "minimum" && kinds[k[0]] === 1 && D.minimum); })
      .map(function (k) { return k[1] + " (" + kinds[k[0]] + ")"; });
    if (shown.length) legend.appendChild(el("span", { text: "stationary points near the start: " + shown.join(", ") }));
  }

  // ------------------------------------------------------------------ controls
  function lrToT(lr) { return Math.round(1000 * Math.log(lr / lrLo) / Math.log(lrHi / lrLo)); }
  function tToLr(t) { return +(lrLo * Math.pow(lrHi / lrLo, t / 1000)).toPrecision(3); }
  function updateControls() {
    var name = S.optimizer;
    muRow.input.disabled = !(name === "momentum" || name === "nesterov" || S.race);
    b1Row.input.disabled = b2Row.input.disabled = !(name === "adam" || name === "adamw" || S.race);
    alphaRow.input.disabled = !(name === "rmsprop" || S.race);
    wdRow.input.disabled = !(name === "adamw" || S.race);
    [[muRow, muRow.input.disabled], [b1Row, b1Row.input.disabled], [b2Row, b2Row.input.disabled], [alphaRow, alphaRow.input.disabled], [wdRow, wdRow.input.disabled]].forEach(function (p) {
      p[0].label.style.opacity = p[0].wrap.style.opacity = p[0].out.style.opacity = p[1] ? "0.45" : "1";
    });
    lsBox.checked = S.armijo; lsNote.hidden = !S.armijo;
    if (lrToT(S.lr) !== +lrRow.input.value) lrRow.input.value = String(Math.max(0, Math.min(1000, lrToT(S.lr))));
    lrRow.out.textContent = fmt(S.lr, 3);
    lrRow.input.setAttribute("aria-valuetext", "learning rate " + fmt(S.lr, 3));
    if (document.activeElement !== lrNumber) lrNumber.value = String(S.lr);
    muRow.out.textContent = fmt(S.hp.momentum, 3); b1Row.out.textContent = fmt(S.hp.b1, 3);
    b2Row.out.textContent = fmt(S.hp.b2, 5); alphaRow.out.textContent = fmt(S.hp.alpha, 4); wdRow.out.textContent = fmt(S.hp.weight_decay, 3);
    var lam = lamMax(), lim = limitFor(name, lam.value, S.hp);
    if (lim && lim.value > lrLo && lim.value < lrHi) {
      var pos = Math.log(lim.value / lrLo) / Math.log(lrHi / lrLo) * 100;
      lrMark.style.display = lrMarkLabel.style.display = "block";
      lrMark.style.left = "calc(" + pos + "% + " + (8 - pos * 0.16) + "px)";
      lrMarkLabel.style.left = lrMark.style.left;
      lrMarkLabel.textContent = (lam.global ? lim.formula : lim.formula.replace("L", "λ") + " here") + " = " + fmt(lim.value, 3);
    } else {
      lrMark.style.display = lrMarkLabel.style.display = "none";
    }
  }
  lsBox.addEventListener("change", function () { S.armijo = lsBox.checked; updateControls(); rerun(); });
  // ------------------------------------------------------------------ standardise (regression)
  // A line on z = (x − mean)/std is the line b − m·mean/std + (m/std)·x in the data's units
  // (descend.models._problem.Standardizer.to_user); a difference of a few ulps is shown as 0.
  function ulps0(b, t) { return Math.abs(b) <= 1e-14 * Math.abs(t) ? 0 : b; } // b = (a − t), 0 to rounding
  function userLine(x) {
    if (!S.std) return x;
    var t = x[1] * ZD.mean / ZD.std;
    return [ulps0(x[0] - t, Math.abs(x[0]) + Math.abs(t)), x[1] / ZD.std];
  }
  function lineText(x, units) { // "price ≈ b + m·z = B + M·size" on z; units: only the last
    var R = D.regression, u = userLine(x), raw = fmt(u[0]) + " + " + fmt(u[1]) + "·" + R.x_name;
    return R.y_name + " ≈ " + (S.std && !units ? fmt(x[0]) + " + " + fmt(x[1]) + "·z = " : "") + raw;
  }
  function stdWords() {
    var x = D0.regression.x_name, zx = "z = (" + x + " − " + fmt(ZD.mean) + ")/" + fmt(ZD.std);
    var raw = "L = " + fmt(D0.L) + " and 2/L = " + fmt(2 / D0.L), z = "L = " + fmt(ZD.L) + " and 2/L = " + fmt(2 / ZD.L);
    if (!S.std) return "In " + x + "'s own units " + raw + ". Standardising, " + zx + ", makes " + z + " whatever the units: tutorial 001's lesson.";
    return "Standardised: " + zx + " (the mean and population std, as descend fit does), so b and m are now the intercept and slope on z, and the map, " +
      "start, slider (" + fmt(lrLo, 3) + " to " + fmt(lrHi, 3) + ", its own γ) and formulas are on z: " + z + ", where in " + x + "'s units " + raw +
      ". The least-squares line is the same: " + lineText(ZD.minimum) + ".";
  }
  // on: the loss on z (descend fit's coordinates) or back in raw units; keep: the same line as
  // the current start (b + m·mean, m·std on z), else the view's own start (a link, reset)
  function setStd(on, keep) {
    on = !!(on && ZD);
    if (on !== S.std) {
      var s = S.start;
      S.lrOf[+S.std] = S.lr;
      S.std = on; D = on ? ZD : D0; FN = on ? window.DESCEND_ZFUNCS : FN0; SECOND = D.second || {};
      S.start = !keep ? D.start.slice() : on ? [s[0] + s[1] * ZD.mean, s[1] * ZD.std] : [s[0] - s[1] * ZD.mean / ZD.std, s[1] / ZD.std];
      S.cursor = S.start.slice(); S.sel = 0; S.lr = S.lrOf[+on];
      lrLo = Math.min(D.lr_range[0], S.lr / 10); lrHi = Math.max(D.lr_range[1], S.lr * 10);
      view.x0 = D.window[0][0]; view.x1 = D.window[0][1]; view.y0 = D.window[1][0]; view.y1 = D.window[1][1]; grid = null;
      formulaText(); fairTexts(); fairNote.textContent = "Fair race: " + fairRule;
      mapTitle.textContent = "The loss over (intercept b, slope m" + (on ? " on z)" : ")");
    }
    if (ZD) { stdBox.checked = on; stdNote.textContent = stdWords(); }
  }
  stdBox.addEventListener("change", function () { setStd(stdBox.checked, true); updateControls(); rerun(); });
  optSelect.addEventListener("change", function () { S.optimizer = optSelect.value; updateControls(); rerun(); });
  lrRow.input.addEventListener("input", function () { S.lr = tToLr(+lrRow.input.value); updateControls(); rerun(true); });
  lrNumber.addEventListener("change", function () {
    var v = +lrNumber.value; if (isFinite(v) && v > 0) { S.lr = v; if (v < lrLo) lrLo = v / 10; if (v > lrHi) lrHi = v * 10; updateControls(); rerun(); }
    else lrNumber.value = String(S.lr);
  });
  maxNumber.addEventListener("change", function () {
    var v = Math.round(+maxNumber.value); if (isFinite(v) && v >= 1 && v <= 100000) { S.maxIter = v; rerun(); } else maxNumber.value = String(S.maxIter);
  });
  [[muRow, "momentum"], [b1Row, "b1"], [b2Row, "b2"], [alphaRow, "alpha"], [wdRow, "weight_decay"]].forEach(function (p) {
    p[0].input.addEventListener("input", function () { S.hp[p[1]] = +p[0].input.value; updateControls(); rerun(true); });
  });
  raceBox.addEventListener("change", function () { S.race = raceBox.checked; updateControls(); rerun(); });
  btnBack.addEventListener("click", function () { select(S.sel - 1); });
  btnNext.addEventListener("click", function () { select(S.sel + 1); });
  btnReset.addEventListener("click", function () {
    setStd(!!D0.scaled, false); S.lrOf = [D0.learning_rate, ZD && ZD.learning_rate];
    S.lr = D.learning_rate; S.armijo = !!D.line_search; S.hp = Object.assign({}, D.hyper); S.optimizer = D.optimizer; optSelect.value = S.optimizer;
    muRow.input.value = String(S.hp.momentum); b1Row.input.value = String(S.hp.b1); b2Row.input.value = String(S.hp.b2);
    alphaRow.input.value = String(S.hp.alpha); wdRow.input.value = String(S.hp.weight_decay);
    S.race = false; raceBox.checked = false; startAt(D.start.slice());
  });

  // ------------------------------------------------------------------ running
  var anim = null;
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function rerun(instant) {
    var names = [S.optimizer];
    if (S.race) D.optimizers.forEach(function (o) { if (S.raceSet[o] && o !== S.optimizer) names.push(o); });
    fairNote.hidden = !S.fair;
    raceText.nodeValue = " race several optimizers from the same start (" + (S.fair ? "each at its own γ, below" : "same γ") + "):";
    S.runs = names.map(function (nm) { return descend(S.start, nm, S.fair && S.race ? tuned(nm) : rateFor(nm), Object.assign({}, S.hp), S.maxIter); });
    S.sel = Math.min(S.sel, S.runs[0].xs.length - 1);
    if (anim) { cancelAnimationFrame(anim); anim = null; }
    PLAY.playing = false; PLAY.follow = false; playButton();
    var longest = Math.max.apply(null, S.runs.map(function (r) { return r.xs.length; }));
    if (instant || reduceMotion || longest < 3) { S.reveal = Infinity; renderAll(); return; }
    S.reveal = 1;
    renderAll();
    play(false);
  }
  function renderAll() {
    writeHash();
    if (UI.dragging) { drawLegend(); drawTable(); drawLoss(); drawMap(); drawData(); updateControls(); cartoon.textContent = cartoonText(); hessBox.textContent = hessText(); return; }
    var ex = explain(S.runs[0]), extra = "";
    if (S.runs.length > 1) extra = "  Race: " + S.runs.slice(1).map(function (r) { return r.name + " " + statusWord(r); }).join("; ") + ".";
    if (S.fair && S.race) extra += "  Fair race, γ tuned per optimizer: " + S.runs.filter(function (r) { return !r.second; }).map(function (r) {
      return r.name + " " + fmt(r.lr, 3) + (FAIR[fairKey(r.name)].none ? " (no γ of the grid qualified: the slider's)" : ""); }).join(", ") + " (" + fairShort + ").";
    statusBox.textContent = ex.text + extra;
    statusBox.className = "status " + ex.cls;
    drawLegend(); drawTable(); drawLoss(); drawMap(); drawData(); updateControls();
    cartoon.textContent = cartoonText(); hessBox.textContent = hessText();
  }
  function select(k) {
    if (!S.runs.length) return;
    k = Math.max(0, Math.min(S.runs[0].xs.length - 1, k));
    if (k === S.sel) return;
    S.sel = k; drawMap(); drawData(); drawLoss(); highlightRow(); cartoon.textContent = cartoonText();
  }
  function startAt(x) {
    S.start = x.slice(); S.cursor = x.slice(); S.sel = 0;
    rerun();
  }

  // ------------------------------------------------------------------ the fair race
  // Each optimizer at its own rate, by the rule the page states (fairRule), from the page's own
  // runs (the same iterates and verdicts as descend.minimize; a test replays the rule there).
  function rateGrid() {
    var lo = D.lr_range[0], hi = D.lr_range[1], out = [];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) [1, 2, 5].forEach(function (m) {
      var r = +(m * Math.pow(10, e)).toPrecision(3); if (r >= lo * (1 - 1e-12) && r <= hi * (1 + 1e-12)) out.push(r);
    });
    return out;
  }
  var FAIR = {};
  function fairKey(name) { return [name, S.std, S.start.join(","), S.maxIter, JSON.stringify(S.hp)].join("|"); }
  function tuned(name) {
    if (SECOND[name]) return NaN;
    var key = fairKey(name); if (FAIR[key]) return FAIR[key].lr;
    var best = null, failing = ["diverged", "unbounded_below", "oscillating", "undefined_start"];
    rateGrid().forEach(function (lr) {
      var r = descend(S.start, name, lr, Object.assign({}, S.hp), S.maxIter), n = r.xs.length - 1;
      var c = { lr: lr, conv: r.verdict === "converged", n: n, f: r.fs[n] };
      if (failing.indexOf(r.verdict) >= 0 || !isFinite(c.f)) return;
      if (!best || (c.conv && (!best.conv || c.n < best.n)) || (!c.conv && !best.conv && c.f < best.f)) best = c;
    });
    FAIR[key] = best || { lr: S.lr, none: true };
    return FAIR[key].lr;
  }

  // ------------------------------------------------------------------ play, pause, speed
  // The runs are revealed step by step: at 1× the longest run takes 2 s (at least 20 steps a
  // second); the speed menu scales that. Pressed play also walks the step card along.
  var PLAY = { playing: false, follow: false, speed: 1, t0: 0, r0: 1 };
  function longestRun() { return Math.max.apply(null, S.runs.map(function (r) { return r.xs.length; })); }
  function playTick(ts) {
    var longest = longestRun();
    if (!PLAY.t0) PLAY.t0 = ts;
    S.reveal = PLAY.r0 + (ts - PLAY.t0) / 1000 * Math.max(20, longest / 2) * PLAY.speed;
    if (S.reveal >= longest) { S.reveal = Infinity; PLAY.playing = false; anim = null; }
    else anim = requestAnimationFrame(playTick);
    if (PLAY.follow && S.runs[0]) {
      var k = Math.min(S.runs[0].xs.length - 1, Math.floor(Math.min(S.reveal, 1e9)) - 1);
      if (k !== S.sel) { S.sel = Math.max(0, k); drawLoss(); highlightRow(); cartoon.textContent = cartoonText(); }
    }
    drawMap(); drawData(); playButton();
  }
  function play(follow) {
    if (!S.runs.length) return;
    if (anim) cancelAnimationFrame(anim);
    if (!(S.reveal < longestRun())) S.reveal = 1;
    PLAY.r0 = S.reveal; PLAY.t0 = 0; PLAY.playing = true; PLAY.follow = follow;
    anim = requestAnimationFrame(playTick); playButton();
  }
  function pause() {
    if (anim) cancelAnimationFrame(anim);
    anim = null; PLAY.playing = false;
    if (isFinite(S.reveal)) S.reveal = Math.max(1, Math.floor(S.reveal));
    playButton(); drawMap(); drawData();
  }
  function playButton() { btnPlay.textContent = PLAY.playing ? "❚❚ pause" : "▶ play"; btnPlay.setAttribute("aria-pressed", String(PLAY.playing)); }
  btnPlay.addEventListener("click", function () { if (PLAY.playing) pause(); else play(true); });
  speedSelect.addEventListener("change", function () {
    var v = +speedSelect.value; if (!(v > 0)) return;
    if (PLAY.playing) { PLAY.r0 = S.reveal; PLAY.t0 = 0; }
    PLAY.speed = v;
  });

  // ------------------------------------------------------------------ zoom and pan
  // The window changes; the grid (or the curve) is recomputed for it from the compiled
  // function, which descend printed from its own parsed expression (never from the text).
  function viewChanged() {
    grid = null; if (N === 1) computeCurve();
    drawMap(); writeHash();
  }
  function setView(x0, x1, y0, y1) {
    var okx = x1 > x0 && isFinite(x0) && isFinite(x1) && (x1 - x0) > 1e-9 * Math.max(1, Math.abs(x0), Math.abs(x1)) && x1 - x0 < 1e12;
    var oky = N === 1 || (y1 > y0 && isFinite(y0) && isFinite(y1) && (y1 - y0) > 1e-9 * Math.max(1, Math.abs(y0), Math.abs(y1)) && y1 - y0 < 1e12);
    if (!(okx && oky)) return false;
    view.x0 = x0; view.x1 = x1; if (N === 2) { view.y0 = y0; view.y1 = y1; }
    viewChanged(); return true;
  }
  function zoomAt(c, factor) { // factor < 1 zooms in, about the data point c
    return setView(c[0] + (view.x0 - c[0]) * factor, c[0] + (view.x1 - c[0]) * factor,
      c[1] + (view.y0 - c[1]) * factor, c[1] + (view.y1 - c[1]) * factor);
  }
  function centre() { return [(view.x0 + view.x1) / 2, (view.y0 + view.y1) / 2]; }
  function panBy(fx, fy) { // fractions of the window
    var dx = (view.x1 - view.x0) * fx, dy = (view.y1 - view.y0) * fy;
    return setView(view.x0 + dx, view.x1 + dx, view.y0 + dy, view.y1 + dy);
  }
  function resetView() { setView(D.window[0][0], D.window[0][1], N === 2 ? D.window[1][0] : 0, N === 2 ? D.window[1][1] : 1); }
  btnZoomIn.addEventListener("click", function () { zoomAt(centre(), 0.8); });
  [[btnLrHalf, 0.5], [btnLrDouble, 2]].forEach(function (b) {
    b[0].addEventListener("click", function () {
      var v = +(S.lr * b[1]).toPrecision(6); if (!(v > 0 && isFinite(v))) return;
      S.lr = v; if (v < lrLo) lrLo = v / 10; if (v > lrHi) lrHi = v * 10; updateControls(); rerun();
    });
  });
  btnZoomOut.addEventListener("click", function () { zoomAt(centre(), 1.25); });
  btnZoomReset.addEventListener("click", resetView);
  btnPan.addEventListener("click", function () {
    UI.pan = !UI.pan; btnPan.setAttribute("aria-pressed", String(UI.pan));
    mapCanvas.style.touchAction = UI.pan ? "none" : ""; mapCanvas.style.cursor = UI.pan ? "move" : "";
  });
  function pxOf(ev) {
    var r = mapCanvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * geom.W / r.width, (ev.clientY - r.top) * geom.H / r.height];
  }
  mapCanvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var P = pxOf(ev), d = Math.max(-200, Math.min(200, ev.deltaMode ? ev.deltaY * 30 : ev.deltaY));
    zoomAt(toData(P[0], P[1]), Math.exp(d * 0.002));
  }, { passive: false });
  // Pointer gestures: drag the start (live recompute), drag to pan (Shift or pan mode), pinch.
  var POINTERS = {}, GESTURE = null, dragged = false, pendingFrame = 0;
  function startPx() { var p = pointOf(S.start, value(S.start)); return toPx(p[0], p[1]); }
  var pendingFn = null; // the latest gesture's update, run once per frame
  function flush() { if (pendingFrame) cancelAnimationFrame(pendingFrame); pendingFrame = 0; var fn = pendingFn; pendingFn = null; if (fn) fn(); }
  function later(fn) { pendingFn = fn; if (!pendingFrame) pendingFrame = requestAnimationFrame(flush); }
  function nearStart(P) { var s = startPx(); return Math.hypot(P[0] - s[0], P[1] - s[1]) <= 14 * UI.fs; }
  mapCanvas.addEventListener("touchstart", function (ev) { // keep the page from scrolling under a gesture
    var t = ev.touches[0], r = mapCanvas.getBoundingClientRect();
    if (ev.touches.length > 1 || UI.pan || nearStart([(t.clientX - r.left) * geom.W / r.width, (t.clientY - r.top) * geom.H / r.height])) ev.preventDefault();
  }, { passive: false });
  mapCanvas.addEventListener("pointerdown", function (ev) {
    POINTERS[ev.pointerId] = pxOf(ev); dragged = false;
    var ids = Object.keys(POINTERS), P = POINTERS[ev.pointerId];
    if (ids.length === 2) {
      var a = POINTERS[ids[0]], b = POINTERS[ids[1]];
      GESTURE = { kind: "pinch", d: Math.hypot(a[0] - b[0], a[1] - b[1]) || 1, view: Object.assign({}, view), c: toData((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) };
    } else if (UI.pan || ev.shiftKey || ev.button === 1) GESTURE = { kind: "pan", P: P, view: Object.assign({}, view) };
    else if (nearStart(P)) { GESTURE = { kind: "start" }; UI.dragging = true; }
    else { GESTURE = null; return; }
    try { mapCanvas.setPointerCapture(ev.pointerId); } catch (e) { void e; }
    ev.preventDefault();
  });
  mapCanvas.addEventListener("pointermove", function (ev) {
    if (!GESTURE || !POINTERS[ev.pointerId]) return;
    var P = pxOf(ev), g = GESTURE; POINTERS[ev.pointerId] = P; dragged = true;
    if (g.kind === "pan") {
      var dx = (g.P[0] - P[0]) / pw() * (g.view.x1 - g.view.x0), dy = (P[1] - g.P[1]) / ph() * (g.view.y1 - g.view.y0);
      later(function () { setView(g.view.x0 + dx, g.view.x1 + dx, g.view.y0 + dy, g.view.y1 + dy); });
    } else if (g.kind === "pinch") {
      var ids = Object.keys(POINTERS), a = POINTERS[ids[0]], b = POINTERS[ids[1]], f = g.d / (Math.hypot(a[0] - b[0], a[1] - b[1]) || 1), v = g.view, c = g.c;
      later(function () { setView(c[0] + (v.x0 - c[0]) * f, c[0] + (v.x1 - c[0]) * f, c[1] + (v.y0 - c[1]) * f, c[1] + (v.y1 - c[1]) * f); });
    } else {
      var x = toData(Math.max(M.l, Math.min(M.l + pw(), P[0])), Math.max(M.t, Math.min(M.t + ph(), P[1])));
      later(function () { dragStart(N === 2 ? x : [x[0]]); });
    }
  });
  function endGesture(ev) {
    delete POINTERS[ev.pointerId];
    flush();
    // while the start moves, the status keeps still (it sits above the map on a phone and
    // would move the map under the finger); it is written once the finger is lifted
    if (GESTURE && GESTURE.kind === "start") { UI.dragging = false; if (dragged) renderAll(); }
    if (Object.keys(POINTERS).length === 0) GESTURE = null;
  }
  mapCanvas.addEventListener("pointerup", endGesture);
  mapCanvas.addEventListener("pointercancel", endGesture);
  function dragStart(x) { // the start follows the pointer; every run is recomputed at once
    S.start = x.map(function (v) { return +v.toPrecision(6); }); S.cursor = S.start.slice(); S.sel = 0;
    rerun(true);
  }
  function consumeDrag() { var d = dragged; dragged = false; return d; }
  mapCanvas.addEventListener("keydown", function (ev) { // zoom and pan keys (before the cursor's)
    var k = ev.key, done = true;
    if (k === "+" || k === "=") zoomAt(N === 2 ? S.cursor : [S.cursor[0], 0], 0.8);
    else if (k === "-" || k === "_" || k === "−") zoomAt(N === 2 ? S.cursor : [S.cursor[0], 0], 1.25);
    else if (k === "0") resetView();
    else if (k === "p" || k === "P") { if (PLAY.playing) pause(); else play(true); }
    else if ((ev.altKey || UI.pan) && k.indexOf("Arrow") === 0) {
      var step = ev.shiftKey ? 0.5 : 0.1;
      panBy(k === "ArrowLeft" ? -step : k === "ArrowRight" ? step : 0, k === "ArrowDown" ? -step : k === "ArrowUp" ? step : 0);
    } else done = false;
    if (done) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  });

  // ------------------------------------------------------------------ map interaction
  function eventData(ev) {
    var r = mapCanvas.getBoundingClientRect();
    return toData((ev.clientX - r.left) * geom.W / r.width, (ev.clientY - r.top) * geom.H / r.height);
  }
  mapCanvas.addEventListener("click", function (ev) {
    if (consumeDrag()) return; // the end of a drag, not a click
    var p = eventData(ev);
    if (!inView(N === 2 ? p : [p[0], view.y0])) return;
    startAt(N === 2 ? p : [p[0]]);
  });
  function showReadout(ev) { // f under the pointer
    var p = eventData(ev), x = N === 2 ? p : [p[0]];
    if (!inView(N === 2 ? p : [p[0], view.y0])) return;
    readout.textContent = "f(" + x.map(function (v) { return fmt(v, 4); }).join(", ") + ") = " + fmt(value(x), 5);
  }
  mapCanvas.addEventListener("mousemove", showReadout);
  mapCanvas.addEventListener("mousemove", function (ev) {
    var run = S.runs[0]; if (!run) return;
    var r = mapCanvas.getBoundingClientRect(), mx = (ev.clientX - r.left) * geom.W / r.width, my = (ev.clientY - r.top) * geom.H / r.height;
    var best = -1, bd = 12;
    run.xs.forEach(function (x, k) {
      var p = pointOf(x, run.fs[k]); if (!inView(p)) return;
      var P = toPx(p[0], p[1]), d = Math.hypot(P[0] - mx, P[1] - my);
      if (d < bd) { bd = d; best = k; }
    });
    if (best >= 0) select(best);
  });
  mapCanvas.addEventListener("focus", function () { S.focus = true; drawMap(); });
  mapCanvas.addEventListener("blur", function () { S.focus = false; drawMap(); });
  mapCanvas.addEventListener("keydown", function (ev) {
    var big = ev.shiftKey ? 8 : 40, dx = (view.x1 - view.x0) / big, dy = (view.y1 - view.y0) / big, used = true;
    var c = S.cursor.slice();
    if (ev.key === "ArrowLeft") c[0] -= dx;
    else if (ev.key === "ArrowRight") c[0] += dx;
    else if (ev.key === "ArrowUp" && N === 2) c[1] += dy;
    else if (ev.key === "ArrowDown" && N === 2) c[1] -= dy;
    else if (ev.key === "Enter" || ev.key === " ") { startAt(S.cursor); return ev.preventDefault(); }
    else if (ev.key === "]" || ev.key === ".") select(S.sel + 1);
    else if (ev.key === "[" || ev.key === ",") select(S.sel - 1);
    else if (ev.key === "Home") select(0);
    else if (ev.key === "End") select(S.runs[0] ? S.runs[0].xs.length - 1 : 0);
    else used = false;
    if (used) {
      ev.preventDefault();
      c[0] = Math.max(view.x0, Math.min(view.x1, c[0]));
      if (N === 2) c[1] = Math.max(view.y0, Math.min(view.y1, c[1]));
      S.cursor = c.map(function (v) { return +v.toPrecision(6); });
      drawMap();
    }
  });

  // ------------------------------------------------------------------ export: PNG and SVG
  // The map as shown, made in the page (no network): the canvas's pixels as a PNG, or the same
  // drawing calls recorded as SVG elements by a small 2-D context (paintMap draws on either).
  function svgContext(W, H) {
    var out = [], defs = [], st = { t: "", lw: 1, ss: "#000", fs: "#000", font: "10px sans-serif", dash: [], ta: "start", clip: "" };
    var stack = [], d = "", nclip = 0, meter = document.createElement("canvas").getContext("2d");
    function esc(v) { return String(v).replace(/&/g, "&amp;").replace(/[<]/g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
    function n(v) { return +(+v).toFixed(2); }
    function common() {
      return (st.t ? ' transform="' + st.t + '"' : "") + (st.clip ? ' clip-path="url(#' + st.clip + ')"' : "");
    }
    function paint(kind) {
      if (!d) return;
      out.push('<path d="' + d + '"' + (kind === "fill" ? ' fill="' + esc(st.fs) + '" stroke="none"' :
        ' fill="none" stroke="' + esc(st.ss) + '" stroke-width="' + n(st.lw) + '" stroke-linejoin="round"' +
        (st.dash.length ? ' stroke-dasharray="' + st.dash.join(" ") + '"' : "")) + common() + "/>");
    }
    function text(t, x, y, kind) {
      var anchor = { center: "middle", right: "end", end: "end" }[st.ta] || "start";
      out.push('<text x="' + n(x) + '" y="' + n(y) + '" text-anchor="' + anchor + '" style="font: ' + esc(st.font) + '"' +
        (kind === "fill" ? ' fill="' + esc(st.fs) + '"' : ' fill="none" stroke="' + esc(st.ss) + '" stroke-width="' + n(st.lw) + '" stroke-linejoin="round"') +
        common() + ">" + esc(t) + "<\/text>");
    }
    var ctx = {
      save: function () { stack.push(Object.assign({}, st, { dash: st.dash.slice() })); },
      restore: function () { if (stack.length) st = stack.pop(); },
      beginPath: function () { d = ""; },
      moveTo: function (x, y) { d += "M" + n(x) + " " + n(y); },
      lineTo: function (x, y) { d += "L" + n(x) + " " + n(y); },
      closePath: function () { d += "Z"; },
      arc: function (x, y, r) { d += "M" + n(x + r) + " " + n(y) + "A" + n(r) + " " + n(r) + " 0 1 0 " + n(x - r) + " " + n(y) + "A" + n(r) + " " + n(r) + " 0 1 0 " + n(x + r) + " " + n(y) + "Z"; },
      rect: function (x, y, w, h) { d += "M" + n(x) + " " + n(y) + "h" + n(w) + "v" + n(h) + "h" + n(-w) + "Z"; },
      clip: function () { nclip += 1; defs.push('<clipPath id="c' + nclip + '"><path d="' + d + '"/><\/clipPath>'); st.clip = "c" + nclip; },
      stroke: function () { paint("stroke"); }, fill: function () { paint("fill"); },
      fillRect: function (x, y, w, h) { var keep = d; d = ""; ctx.rect(x, y, w, h); paint("fill"); d = keep; },
      strokeRect: function (x, y, w, h) { var keep = d; d = ""; ctx.rect(x, y, w, h); paint("stroke"); d = keep; },
      fillText: function (t, x, y) { text(t, x, y, "fill"); },
      strokeText: function (t, x, y) { text(t, x, y, "stroke"); },
      measureText: function (t) { meter.font = st.font; return meter.measureText(t); },
      setLineDash: function (a) { st.dash = a.slice(); },
      translate: function (x, y) { st.t += " translate(" + n(x) + " " + n(y) + ")"; },
      rotate: function (a) { st.t += " rotate(" + n(a * 180 / Math.PI) + ")"; },
      setTransform: function () {},
      drawImage: function (img, sx, sy, sw, sh, x, y, w, h) {
        out.push('<image href="' + img.toDataURL("image/png") + '" x="' + n(x) + '" y="' + n(y) + '" width="' + n(w) + '" height="' + n(h) + '" preserveAspectRatio="none"' + common() + "/>");
      }
    };
    [["lineWidth", "lw"], ["strokeStyle", "ss"], ["fillStyle", "fs"], ["font", "font"], ["textAlign", "ta"]].forEach(function (p) {
      Object.defineProperty(ctx, p[0], { get: function () { return st[p[1]]; }, set: function (v) { st[p[1]] = v; } });
    });
    ctx.lineJoin = ctx.imageSmoothingEnabled = null;
    ctx.svg = function () {
      return '<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '">' +
        "<title>" + esc(D.title) + "<\/title><defs>" + defs.join("") + "<\/defs>" + out.join("") + "<\/svg>";
    };
    return ctx;
  }
  function mapSvg() { var ctx = svgContext(geom.W, geom.H); paintMap(ctx); return ctx.svg(); }
  function download(blob, name) {
    if (exportLink.href) URL.revokeObjectURL(exportLink.href);
    exportLink.href = URL.createObjectURL(blob); exportLink.download = name; exportLink.click();
  }
  btnPng.addEventListener("click", function () { drawMap(); mapCanvas.toBlob(function (b) { download(b, "descend-map.png"); }, "image/png"); });
  btnSvg.addEventListener("click", function () { download(new Blob([mapSvg()], { type: "image/svg+xml" }), "descend-map.svg"); });

  // ------------------------------------------------------------------ projector layout
  // The map and the loss curve side by side on one 1280×800 screen, every text at least 20 px.
  function setProjector(on) {
    UI.projector = on; UI.fs = on ? 2 : 1;
    document.body.classList.toggle("projector", on);
    btnProjector.setAttribute("aria-pressed", String(on));
    btnProjector.textContent = on ? "leave projector" : "projector";
    lastW = -1; drawMap(); drawData(); drawLoss(); writeHash();
  }
  btnProjector.addEventListener("click", function () {
    var on = !UI.projector;
    setProjector(on);
    try {
      if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) document.documentElement.requestFullscreen().catch(function () {});
      else if (!on && document.fullscreenElement) document.exitFullscreen();
    } catch (e) { void e; }
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && UI.projector) setProjector(false); });

  // ------------------------------------------------------------------ start
  if (N === 1) computeCurve();
  var lastW = 0;
  function onResize() {
    var w = mapWrap.clientWidth; if (w === lastW) return; lastW = w;
    drawMap(); drawData(); drawLoss();
  }
  if (window.ResizeObserver) new ResizeObserver(onResize).observe(mapWrap); else window.addEventListener("resize", onResize);

  // For tests and for curious learners in the console: pure runs and the page's state.
  function pureRun(opts) {
    var hp = Object.assign({}, D.hyper, opts.hyper || {});
    var r = descend(opts.start || D.start, opts.optimizer || "gd", opts.learning_rate, hp, opts.max_iter || D.max_iter);
    // descend names a fall without bound "diverged" too (its message says "unbounded below")
    return { x: r.xs, fun: r.fs, grad_norm: r.gns, status: r.status === "unbounded" ? "diverged" : r.status,
      unbounded: r.status === "unbounded", nit: r.xs.length - 1, verdict: r.verdict, kind: r.judged.kind || null,
      words: statusWord(r), explanation: explain(r).text };
  }
  window.descendExplorer = {
    run: function (opts) { // opts.standardised: on z (true) or raw (false) whatever the page shows
      var sw = ZD && opts.standardised !== undefined && !!opts.standardised !== S.std, keep = [D, FN, SECOND];
      if (sw) { S.std = !S.std; D = S.std ? ZD : D0; FN = S.std ? window.DESCEND_ZFUNCS : FN0; SECOND = D.second || {}; }
      try { return pureRun(opts); } finally { if (sw) { S.std = !S.std; D = keep[0]; FN = keep[1]; SECOND = keep[2]; } }
    },
    iterates: function () { var r = S.runs[0]; return r ? { x: r.xs, fun: r.fs, status: r.status === "unbounded" ? "diverged" : r.status, verdict: r.verdict, optimizer: r.name, learning_rate: r.armijo ? "armijo" : r.lr, rates: r.rates, races: S.runs.length, standardised: S.std } : null; },
    state: function () { return { start: S.start, cursor: S.cursor, optimizer: S.optimizer, learning_rate: S.lr, line_search: S.armijo, standardised: S.std, hyper: S.hp, selected: S.sel, race: S.race,
      fair: !!S.fair, view: [view.x0, view.x1, view.y0, view.y1], reveal: isFinite(S.reveal) ? S.reveal : null, playing: PLAY.playing, speed: PLAY.speed,
      projector: UI.projector, fontScale: UI.fs, labels: LABELS.map(function (b) { return b.slice(); }), marks: MARKS.map(function (b) { return b.slice(); }), colorbar: colorbarTicks(),
      runs: S.runs.map(function (r) { return { name: r.name, learning_rate: r.armijo ? "armijo" : r.lr, verdict: r.verdict, nit: r.xs.length - 1, x: r.xs }; }) }; },
    startPixel: function () { var p = startPx(), r = mapCanvas.getBoundingClientRect(); return [p[0] * r.width / geom.W, p[1] * r.height / geom.H]; },
    rateGrid: rateGrid, mapSvg: function () { return mapSvg(); }, newtonStep: function (x) { return newtonStep(x); },
    pixelOf: function (x) { var p = toPx(x[0], N === 2 ? x[1] : view.y0 + (view.y1 - view.y0) / 2); var r = mapCanvas.getBoundingClientRect(); return [p[0] * r.width / geom.W, p[1] * r.height / geom.H]; },
    hessian: function (x) { var c = curvatureAt(x); return c ? { H: c.H, eigenvalues: c.eig.map(function (e) { return e.value; }), vectors: c.eig.map(function (e) { return e.vector; }) } : null; },
    select: select
  };
  // ------------------------------------------------------------------ shareable state
  // The whole state in the URL hash (#s=3,1&o=momentum&lr=0.1&mu=0.9&r=gd,adam&n=200...), so a
  // teacher sends one link or file that opens exactly there. Values are checked like the
  // controls check them; anything else in the hash is ignored.
  var HP = { mu: "momentum", b1: "b1", b2: "b2", al: "alpha", wd: "weight_decay" };
  function writeHash() {
    var parts = ["s=" + S.start.map(function (v) { return +v.toPrecision(8); }).join(","), "o=" + S.optimizer, "lr=" + (S.armijo ? "armijo" : S.lr), "n=" + S.maxIter];
    Object.keys(HP).forEach(function (k) { parts.push(k + "=" + S.hp[HP[k]]); });
    if (S.race) parts.push("r=" + D.optimizers.filter(function (o) { return S.raceSet[o]; }).join(","));
    if (S.fair) parts.push("fair=1");
    if (S.std) parts.push("z=1");
    var w = D.window, v = [view.x0, view.x1].concat(N === 2 ? [view.y0, view.y1] : []);
    if (v[0] !== w[0][0] || v[1] !== w[0][1] || (N === 2 && (v[2] !== w[1][0] || v[3] !== w[1][1]))) parts.push("v=" + v.map(function (z) { return +z.toPrecision(8); }).join(","));
    if (UI.projector) parts.push("pj=1");
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { void e; }
  }
  function readHash() {
    var h = (location.hash || "").replace(/^#/, ""); if (!h) return;
    setStd(/(^|&)z=1(&|$)/.test(h), false); // first: s= and lr= are in that view's coordinates (no z: raw, as every older link)
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("="), k = kv.slice(0, i), v = decodeURIComponent(kv.slice(i + 1)), x = +v;
      if (k === "s") { var p = v.split(",").map(Number); if (p.length === N && p.every(isFinite)) { S.start = p; S.cursor = p.slice(); } }
      else if (k === "o" && D.optimizers.indexOf(v) >= 0) { S.optimizer = v; optSelect.value = v; }
      else if (k === "lr" && v === "armijo") S.armijo = true;
      else if (k === "lr" && isFinite(x) && x > 0) { S.armijo = false; S.lr = x; if (x < lrLo) lrLo = x / 10; if (x > lrHi) lrHi = x * 10; }
      else if (k === "n" && x >= 1 && x <= 100000) { S.maxIter = Math.round(x); maxNumber.value = String(S.maxIter); }
      else if (HP[k] && isFinite(x) && x >= 0 && x < 1) S.hp[HP[k]] = x;
      else if (k === "fair") { S.fair = v === "1"; fairBox.checked = S.fair; }
      else if (k === "pj" && v === "1" && !UI.projector) { UI.projector = true; UI.fs = 2; document.body.classList.add("projector"); btnProjector.setAttribute("aria-pressed", "true"); btnProjector.textContent = "leave projector"; }
      else if (k === "v") {
        var q = v.split(",").map(Number);
        if (q.length === 2 * N && q.every(isFinite) && q[1] > q[0] && (N === 1 || q[3] > q[2])) {
          view.x0 = q[0]; view.x1 = q[1]; if (N === 2) { view.y0 = q[2]; view.y1 = q[3]; }
          grid = null; if (N === 1) computeCurve();
        }
      }
      else if (k === "r") {
        var names = v.split(",").filter(function (o) { return D.optimizers.indexOf(o) >= 0; });
        S.race = names.length > 0; raceBox.checked = S.race; S.raceSet = raceSetOf(names);
        D.optimizers.forEach(function (o) { document.getElementById("race-" + o).checked = !!S.raceSet[o]; });
      }
    });
    [[muRow, "momentum"], [b1Row, "b1"], [b2Row, "b2"], [alphaRow, "alpha"], [wdRow, "weight_decay"]].forEach(function (p) { p[0].input.value = String(S.hp[p[1]]); });
  }
  window.addEventListener("hashchange", function () { readHash(); updateControls(); rerun(true); });
  raceBox.checked = S.race;
  setStd(!!D0.scaled, false);
  readHash();
  updateControls();
  startAt(S.start);
})();
