// descend.loop.verdict.judge_point, rule for rule, for the page's runs.
// Every word the page says about a run (converged, saddle, oscillating, diverged, settles,
// advice) comes from the verdict this returns, as descend minimize's words come from its own.
window.DESCEND_VERDICT = (function () {
  "use strict";
  var EPS = 2.220446049250313e-16, TINY = 2.2250738585072014e-308;
  var EIG_RTOL = 1e-8, STILL_FALLING = 1e6, RECENT = 40;

  // verdict.precision_gradient: the smallest |g| a descent can resolve at loss f, curvature L
  function precisionGradient(f, L) {
    if (!(isFinite(L) && L > 0 && isFinite(f))) return 0;
    return Math.sqrt(200 * EPS * Math.max(Math.abs(f), TINY) * L);
  }
  // verdict.oscillation: mean cosine between consecutive steps of the last `window` steps,
  // or null when the history is short or the steps shrink (a converging zig-zag)
  function oscillation(xs, window) {
    var X = xs.slice(-(window + 1));
    if (xs.length < 8) return null;
    var steps = [], norms = [], i, k;
    for (k = 1; k < X.length; k++) {
      var s = X[k].map(function (v, j) { return v - X[k - 1][j]; });
      steps.push(s); norms.push(Math.hypot.apply(null, s));
    }
    for (k = 0; k < norms.length; k++) if (!(norms[k] > 0)) return null;
    if (norms[norms.length - 1] < 0.5 * norms[0]) return null;
    var sum = 0;
    for (k = 1; k < steps.length; k++) {
      var d = 0;
      for (i = 0; i < steps[k].length; i++) d += steps[k][i] * steps[k - 1][i];
      sum += d / (norms[k] * norms[k - 1]);
    }
    return sum / (steps.length - 1);
  }
  // verdict._lower_along: a zero-curvature direction along which f drops within a small step
  function lowerAlong(value, x, f, dirs) {
    var h = 1e-3 * Math.max(1, Math.hypot.apply(null, x)), noise = 100 * EPS * Math.max(Math.abs(f), TINY);
    for (var j = 0; j < dirs.length; j++) {
      for (var s = 1; s >= -1; s -= 2) {
        var fv = value(x.map(function (v, i) { return v + s * h * dirs[j][i]; }));
        if (isFinite(fv) && fv < f - noise) return dirs[j].map(function (v) { return s * v; });
      }
    }
    return null;
  }

  // verdict._flat_to_precision: f, its gradient and its Hessian flat below the precision of f
  // around x (they underflowed, as -exp(-x**2) at x = 40): a plateau, never a minimum
  function flatToPrecision(value, x, f, gn, e) {
    var h = 1e-3 * Math.max(1, Math.hypot.apply(null, x)), noise = 100 * EPS * Math.max(Math.abs(f), TINY);
    var curv = Math.max.apply(null, e.map(function (v) { return Math.abs(v.value); }));
    if (e[e.length - 1].value > EIG_RTOL * curv) return false; // positive definite: a minimum
    if (gn * h + 0.5 * curv * h * h > noise) return false;
    for (var i = 0; i < x.length; i++) {
      for (var s = 1; s >= -1; s -= 2) {
        var y = x.slice(); y[i] += s * h;
        var fv = value(y);
        if (!(isFinite(fv) && Math.abs(fv - f) <= noise)) return false;
      }
    }
    return true;
  }

  // env: {hessian(x) -> rows or null, eig(H) -> [{value, vector}] largest first, value(x),
  //       limit(name, L, hp) -> {value, formula} or null, L: global curvature bound or null,
  //       gtol}
  function judge(run, env) {
    var n = run.xs.length - 1, x = run.xs[n], f = run.fs[n], gn = run.gns[n], f0 = run.fs[0];
    var facts = { grad_norm: gn };
    if (run.status === "undefined_start") return { verdict: "undefined_start", facts: facts };
    if (run.status === "unbounded") return { verdict: "unbounded_below", facts: facts };
    if (run.status === "diverged") {
      if (run.blowup) { // a step that was not finite: _minimize._diagnose's rule
        var best = Math.min.apply(null, run.fs);
        var falling = best === f && f < f0 - STILL_FALLING * Math.max(Math.abs(f0), 1);
        if (run.blowup.f === -Infinity || falling) return { verdict: "unbounded_below", facts: facts };
      }
      return { verdict: "diverged", facts: facts };
    }
    var H = env.hessian(x), ok = H && H.every(function (r) { return r.every(isFinite); });
    var e = ok ? env.eig(H) : null; // largest first
    var lamMax = e ? e[0].value : NaN, lamMin = e ? e[e.length - 1].value : NaN;
    var L = e ? Math.max(lamMax, 0) : NaN;
    var small = gn <= env.gtol;
    if (!small && run.status === "no_progress" && e) {
      facts.precision_limit = precisionGradient(f, L);
      small = gn <= facts.precision_limit;
    }
    if (small && e && flatToPrecision(env.value, x, f, gn, e)) {
      facts.plateau = true;
      return { verdict: "stalled", kind: "plateau", facts: facts };
    }
    if (small) {
      if (e) {
        facts.hessian_eigenvalues = e.map(function (v) { return v.value; }).reverse();
        var scale = Math.max(Math.max.apply(null, e.map(function (v) { return Math.abs(v.value); })), TINY);
        if (lamMin < -EIG_RTOL * scale) {
          facts.min_eigenvalue = lamMin; facts.descent_direction = e[e.length - 1].vector;
          return { verdict: "not_a_minimum", kind: lamMax < -EIG_RTOL * scale ? "maximum" : "saddle", facts: facts };
        }
        var flat = e.filter(function (v) { return Math.abs(v.value) <= EIG_RTOL * scale; }).reverse()
          .map(function (v) { return v.vector; });
        var lower = lowerAlong(env.value, x, f, flat);
        if (lower) { facts.descent_direction = lower; return { verdict: "not_a_minimum", kind: "inflection", facts: facts }; }
        facts.definite = lamMin > EIG_RTOL * scale;
      }
      return { verdict: "converged", facts: facts };
    }
    var bounce = oscillation(run.xs, RECENT);
    var Llimit = env.L !== null ? env.L : L;
    var limit = isFinite(Llimit) ? env.limit(run.name, Llimit, run.hp) : null;
    var above = !!limit && isFinite(run.lr) && run.lr >= limit.value * (1 - 1e-12);
    var bouncing = bounce !== null && bounce < -0.5 && (above || limit === null);
    facts.limit = limit;
    if (bouncing || (above && run.status === "no_progress")) {
      if (bounce !== null) facts.step_cosine = bounce;
      facts.above = above;
      return { verdict: "oscillating", facts: facts };
    }
    if (run.status === "max_iter") return { verdict: "budget_spent", facts: facts };
    return { verdict: "stalled", facts: facts };
  }
  return { judge: judge, oscillation: oscillation, precisionGradient: precisionGradient };
})();
