// descend lessons: predict, then see. The panel above the explorer asks one prediction at a
// time; while it is open the map is hidden. The reveal says the learner's answer, the engine's
// (computed by descend in Python when the page was built) and why, then opens the map on that
// run through the explorer's URL hash (#s=..&o=..&lr=..&n=..&r=..) and writes the page's own
// live run of it beside the engine's numbers. Text is set with textContent only.
(function () {
  "use strict";

  var L = JSON.parse(document.getElementById("descend-lesson").textContent);
  var X = window.descendExplorer;
  var app = document.getElementById("app");
  var WORDS = { converged: "converged", not_a_minimum: "not a minimum", oscillating: "oscillating",
    diverged: "diverged", unbounded_below: "unbounded below", stalled: "stalled",
    budget_spent: "not converged (max_iter)" };

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  var SUP = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
  function num(v) {  // as the lesson's text writes numbers: 2·10⁻⁷, −4
    if (!isFinite(v)) return String(v);
    var s = String(+v.toPrecision(6)), e = s.indexOf("e");
    if (e >= 0) s = s.slice(0, e) + "·10" + s.slice(e + 1).replace("+", "").split("").map(function (c) { return SUP[c]; }).join("");
    return s.replace(/^-/, "−");
  }

  // ------------------------------------------------------------------ the panel
  var panel = el("section", { id: "lesson", "aria-labelledby": "lesson-title" });
  if (L.nav) {
    var nav = el("nav", { cls: "lesson-nav", "aria-label": "Lessons" });
    if (L.nav.prev) nav.appendChild(el("a", { href: L.nav.prev.href, rel: "prev", text: "← " + L.nav.prev.title }));
    nav.appendChild(el("a", { href: L.nav.index, text: "All lessons" }));
    if (L.nav.next) nav.appendChild(el("a", { href: L.nav.next.href, rel: "next", text: L.nav.next.title + " →" }));
    panel.appendChild(nav);
  }
  panel.appendChild(el("p", { cls: "lesson-kicker", text: "Lesson " + L.number + " of " + L.count + " · from " + L.tutorial }));
  panel.appendChild(el("h1", { id: "lesson-title", text: L.title }));
  L.intro.forEach(function (t) { panel.appendChild(el("p", { cls: "lesson-intro", text: t })); });
  var steps = el("div", { id: "lesson-steps" });
  panel.appendChild(steps);
  var mapNote = el("p", { id: "lesson-mapnote", cls: "lesson-mapnote",
    text: "The map is hidden while you predict. It opens on the run when you check your prediction." });
  document.body.insertBefore(panel, app);
  document.body.insertBefore(mapNote, app);

  function hideMap(hidden) { app.hidden = hidden; mapNote.hidden = !hidden; }

  // The explorer reads its whole state from the hash (and reruns on hashchange).
  function show(state) {
    var h = "s=" + state.start.join(",") + "&o=" + state.optimizer + "&lr=" + state.learning_rate +
      "&n=" + state.max_iter + "&r=" + state.race.join(",") + (state.scaled ? "&z=1" : "");
    if (location.hash.replace(/^#/, "") === h) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = h;
  }

  // ------------------------------------------------------------------ one prediction
  function ask(k) {
    var q = L.questions[k], id = "q" + k;
    var form = el("form", { cls: "lesson-q", id: "lesson-" + id, novalidate: "" });
    var fs = el("fieldset", {}, [el("legend", { text: "Prediction " + (k + 1) + " of " + L.questions.length + ": " + q.prompt })]);
    if (q.kind === "choice") {
      q.choices.forEach(function (c, i) {
        var input = el("input", { type: "radio", name: id, value: String(i), id: id + "-c" + i });
        fs.appendChild(el("label", { cls: "lesson-choice", "for": id + "-c" + i }, [input, el("span", { text: c })]));
      });
    } else {
      var inp = el("input", { type: "text", inputmode: "decimal", id: id + "-num", autocomplete: "off", "aria-describedby": id + "-err" });
      fs.appendChild(el("label", { cls: "lesson-number", "for": id + "-num" }, [el("span", { text: "Your prediction " }), inp]));
    }
    var err = el("p", { cls: "lesson-err", id: id + "-err", role: "alert" });
    var check = el("button", { type: "submit", cls: "lesson-check", id: id + "-check", text: "Check my prediction" });
    var out = el("div", { cls: "lesson-reveal", id: id + "-reveal", "aria-live": "polite", tabindex: "-1" });
    fs.appendChild(err);
    fs.appendChild(check);
    form.appendChild(fs);
    form.appendChild(out);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); reveal(k, form, err, out); });
    steps.appendChild(form);
    hideMap(true);
    return form;
  }

  function answerOf(q, form) {
    if (q.kind === "choice") {
      var c = form.querySelector("input[type=radio]:checked");
      return c ? { text: q.choices[+c.value], right: +c.value === q.answer } : null;
    }
    var raw = form.querySelector("input[type=text]").value.trim().replace("−", "-").replace(",", ".");
    var v = raw === "" ? NaN : Number(raw);
    return isFinite(v) ? { text: num(v), right: Math.abs(v - q.answer) <= q.tolerance } : null;
  }

  function reveal(k, form, err, out) {
    var q = L.questions[k], a = answerOf(q, form);
    if (!a) {
      err.textContent = q.kind === "choice" ? "Choose one answer first (the arrow keys move between the choices)." : "Type a number first, e.g. 2.5.";
      return;
    }
    err.textContent = "";
    form.querySelectorAll("input, button").forEach(function (e) { e.disabled = true; });
    form.classList.add(a.right ? "right" : "wrong");
    if (q.kind === "choice") form.querySelectorAll("label.lesson-choice").forEach(function (lab, i) {
      if (i === q.answer) { lab.classList.add("answer"); lab.appendChild(el("strong", { cls: "lesson-tag", text: " ← the engine's answer" })); }
      else if (lab.querySelector("input").checked) { lab.classList.add("picked"); lab.appendChild(el("strong", { cls: "lesson-tag mine", text: " ← your prediction" })); }
    });
    var said = q.kind === "choice" ? q.choices[q.answer] : num(q.answer);
    out.appendChild(el("p", { cls: "lesson-verdict", text: (a.right ? "Right. " : "Not quite. ") + "You predicted “" + a.text + "”; descend says “" + said + "”." }));
    out.appendChild(el("p", { text: q.reveal }));
    var s = q.state, run = X.run({ start: s.start, optimizer: s.optimizer, learning_rate: s.learning_rate, max_iter: s.max_iter, standardised: !!s.scaled });
    var agree = q.engine && run.verdict === q.engine.verdict && run.nit === q.engine.nit;
    var from = s.start.length === 1 ? "x = " + num(s.start[0]) : "(" + s.start.map(num).join(", ") + ")";
    var line = "On the map: " + s.optimizer + " from " + from + (s.scaled ? " on z" : "") + " at γ = " + num(s.learning_rate) +
      ", the page's own run: " + (WORDS[run.verdict] || run.verdict) + " after " + run.nit + " steps" +
      (q.engine ? (agree ? " — the same as descend.minimize." : " — descend.minimize says " + (WORDS[q.engine.verdict] || q.engine.verdict) + " after " + q.engine.nit + ".") : ".");
    out.appendChild(el("p", { cls: "lesson-run", id: "q" + k + "-run", text: line, "data-verdict": run.verdict, "data-nit": String(run.nit) }));
    hideMap(false);
    show(s);
    if (k + 1 < L.questions.length) {
      var next = el("button", { type: "button", cls: "lesson-next", id: "q" + k + "-next", text: "Next prediction" });
      next.addEventListener("click", function () {
        next.disabled = true;
        var f = ask(k + 1);
        f.querySelector("legend").scrollIntoView({ block: "nearest" });
        f.querySelector("input").focus();
      });
      out.appendChild(next);
    } else {
      out.appendChild(el("p", { cls: "lesson-done", id: "lesson-done",
        text: "That was the last prediction. Now play: click the map (or focus it and press Enter) for a new start, slide the learning rate, pick another optimizer." }));
      if (L.nav && L.nav.next) out.appendChild(el("a", { href: L.nav.next.href, cls: "lesson-nextlink", text: "Next lesson: " + L.nav.next.title + " →" }));
    }
    out.focus();
  }

  ask(0);
  window.descendLesson = { name: L.name, questions: L.questions.length };
})();
