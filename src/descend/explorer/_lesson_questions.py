"""The questions of :mod:`descend.explorer.lessons`, each answered by descend's engine.

Each builder takes its :class:`~descend.explorer.lessons.Lesson` and returns the questions as
the page's data: ``kind`` (``choice`` or ``number``), ``prompt``, ``choices``, ``answer`` (the
index of the engine's choice, or the number), ``reveal`` (the explanation, with the engine's
numbers), ``state`` (the run the map opens on) and ``engine`` (that run's verdict and step
count by :func:`descend.minimize`, which the page's own run is compared with).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib import resources
from typing import Any, Protocol

import numpy as np


class Lesson(Protocol):
    """What a question builder reads of its :class:`~descend.explorer.lessons.Lesson`."""

    target: str
    start: tuple[float, ...]
    learning_rate: float
    optimizer: str
    max_iter: int

Question = dict[str, Any]


# ----------------------------------------------------------------------- the engine's answers
def _run(f: str, start: Sequence[float], lr: float, optimizer: str = "gd",
         max_iter: int = 200, variables: Sequence[str] | None = None) -> Any:
    """``descend.minimize`` with the page's stopping rules (gtol 1e-6, tol 1e-10, 100 flat)."""
    from descend.loop import minimize
    from descend.optim import get_optimizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return minimize(f, list(start), max_iter=max_iter, variables=variables,
                        optimizer=get_optimizer(optimizer, learning_rate=lr))


def _at(f: str, x: Sequence[float]) -> np.ndarray:
    """The exact gradient ``∇f(x)`` (:func:`descend.gradient_at`)."""
    from descend.expr import gradient_at

    return np.asarray(gradient_at(f, list(x)).value, dtype=np.float64)


def _match(value: Any, candidates: Sequence[Any], rtol: float = 1e-9) -> int | None:
    """The index of the candidate equal to ``value`` (to ``rtol``), if any."""
    for i, c in enumerate(candidates):
        if np.allclose(np.asarray(value, dtype=np.float64), c, rtol=rtol, atol=1e-12):
            return i
    return None


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _n(v: float, digits: int = 4) -> str:
    """A number as the page writes it: 4 significant digits, a real minus sign."""
    v = float(v)
    text = f"{v:.{digits}g}" if v != 0 else "0"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}·10{str(int(exp)).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−")


def _vec(x: Any) -> str:
    return "(" + ", ".join(_n(v) for v in x) + ")"


def _state(lesson: Lesson, *, start: Sequence[float] | None = None, lr: float | None = None,
           optimizer: str | None = None, race: Sequence[str] = (),
           scaled: bool = False) -> dict[str, Any]:
    """The page state a reveal opens (written to the URL hash, read by the explorer);
    ``scaled``: the regression page's standardised view (``z=1``), ``start`` then on z."""
    return {"start": [float(v) for v in (start if start is not None else lesson.start)],
            "learning_rate": float(lr if lr is not None else lesson.learning_rate),
            "optimizer": optimizer or lesson.optimizer, "max_iter": lesson.max_iter,
            "race": list(race), "scaled": bool(scaled)}


def _engine(r: Any) -> dict[str, Any]:
    """What the page's own run must agree with: the engine's verdict and step count."""
    return {"verdict": str(r.verdict), "nit": int(r.nit)}


def _choice(prompt: str, choices: Sequence[str], answer: int | None, reveal: str,
            state: dict[str, Any], engine: dict[str, Any] | None = None) -> Question:
    if answer is None or not 0 <= answer < len(choices):
        raise RuntimeError(f"the engine's result fits none of the choices of {prompt!r}")
    return {"kind": "choice", "prompt": prompt, "choices": list(choices), "answer": int(answer),
            "reveal": reveal, "state": state, "engine": engine}


def _ranges(value: float, bounds: Sequence[float], unit: str = "steps",
            never: str = "") -> tuple[list[str], int | None]:
    """Choices ``1–b0, b0+1–b1, …`` (and ``never`` when given) and the one ``value`` is in.

    >>> _ranges(71, [10, 50, 200], never="not within 200 steps")
    (['1–10 steps', '11–50 steps', '51–200 steps', 'not within 200 steps'], 2)
    """
    labels, lo, index = [], 1, None
    for i, hi in enumerate(bounds):
        labels.append(f"{lo} {unit[:-1]}" if lo == hi else f"{lo}–{hi} {unit}")
        if index is None and lo <= value <= hi:
            index = i
        lo = int(hi) + 1
    if never:
        labels.append(never)
        if index is None:
            index = len(bounds)
    return labels, index


def _steps_choice(prompt: str, r: Any, bounds: Sequence[float], reveal: str,
                  state: dict[str, Any], budget: int) -> Question:
    """"How many steps until descend says converged?" -- the engine's count picks the range."""
    value = r.nit if str(r.verdict) == "converged" else budget + 1
    labels, index = _ranges(value, bounds, never=f"it never settles within {budget} steps")
    return _choice(prompt, labels, index, reveal, state, _engine(r))


#: The page's words for each verdict (explorer.js ``statusWord``).
WORDS = {"converged": "converged", "not_a_minimum": "not a minimum", "oscillating": "oscillating",
         "diverged": "diverged", "unbounded_below": "unbounded below", "stalled": "stalled",
         "budget_spent": "not converged (max_iter)"}


def _word(verdict: Any) -> str:
    return WORDS.get(str(verdict), str(verdict).replace("_", " "))


def _said(verdict: Any) -> str:
    """The verdict's words at the start of a sentence."""
    word = _word(verdict)
    return word[:1].upper() + word[1:]


def _verdict_index(verdict: str, table: Sequence[str]) -> int | None:
    return table.index(verdict) if verdict in table else None


# ------------------------------------------------------------------ the lessons' questions
def _tangent(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    slope, slope4 = float(_at(f, a)[0]), float(_at(f, [4.0])[0])
    full, one = _run(f, a, lr), _run(f, a, lr, max_iter=1)
    x1 = float(one.x[0])
    q1: Question = {
        "kind": "number", "answer": slope, "tolerance": 1e-9 + 1e-6 * abs(slope),
        "prompt": f"f(x) = x². What is the slope of the tangent at x = {_n(a[0])}, "
                  "the derivative f′(3)? Type a number.",
        "reveal": f"f′(x) = 2x, so the tangent at x = 3 has slope {_n(slope)}: a tiny step "
                  f"right raises f about {_n(slope)}× as much. At x = 4 the slope is already "
                  f"{_n(slope4)} — that is why it is the slope for a tiny step, not for a step of 1.",
        "state": _state(ls), "engine": _engine(full)}
    # the choices in increasing x: the step, the step the wrong way, γ alone, the bottom
    cands = [[0.0], [a[0] - lr * slope], [a[0] - lr], [a[0] + lr * slope]]
    q2 = _choice(
        f"With γ = {_n(lr)}, where does the first step a − γ·f′(a) land?",
        [f"x = {_n(c[0])}" for c in cands], _match(one.x, cands),
        f"a − γ·f′(a) = 3 − {_n(lr)}·{_n(slope)} = {_n(x1)}: against the slope, downhill "
        f"({_n(a[0] + lr * slope)} would be uphill, {_n(a[0] - lr)} forgets the slope, 0 would "
        f"need γ = 1/2). Each step multiplies the distance to 0 by 1 − 2γ = {_n(1 - 2 * lr)}; "
        f"the engine's run is {_word(full.verdict)} after {full.nit} steps at "
        f"x = {_n(full.x[0])}.",
        _state(ls), _engine(full))
    return [q1, q2]


def _step(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    g = _at(f, a)
    one, full = _run(f, a, lr, max_iter=1), _run(f, a, lr)
    grads = [[6.0, 2.0], [-7.0, -5.0], [7.0, 5.0], [5.0, 7.0]]
    q1 = _choice("f(x, y) = x² + xy + y², the valley of tutorial 000. What is ∇f(3, 1)?",
                 [_vec(c) for c in grads], _match(g, grads),
                 f"∂f/∂x = 2x + y = {_n(g[0])} and ∂f/∂y = x + 2y = {_n(g[1])}: "
                 f"∇f(3, 1) = {_vec(g)}. (6, 2) would be the bowl x² + y², without the xy term.",
                 _state(ls), _engine(full))
    a_ = np.asarray(a, dtype=np.float64)
    # uphill a + γ∇f, the bowl's gradient (6, 2), the step, γ forgotten a − ∇f
    cands = [a_ + lr * g, a_ - lr * np.array([6.0, 2.0]), a_ - lr * g, a_ - g]
    q2 = _choice(f"With γ = {_n(lr)}, where is the next point b = a − γ∇f(a)?",
                 [_vec(c) for c in cands], _match(one.x, cands),
                 f"b = (3 − {_n(lr)}·{_n(g[0])}, 1 − {_n(lr)}·{_n(g[1])}) = {_vec(one.x)}; "
                 f"f fell from {_n(full.history.fun[0])} to {_n(one.fun)}. "
                 f"{_vec(cands[0])} would be a + γ∇f (uphill), {_vec(cands[1])} uses the bowl's "
                 f"gradient (6, 2), {_vec(cands[3])} forgets γ. Repeated, the engine's run is "
                 f"{_word(full.verdict)} after {full.nit} steps.", _state(ls), _engine(full))
    return [q1, q2]


def _bowl(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    g, full, jump = _at(f, a), _run(f, a, lr), _run(f, a, 0.5)
    away = np.asarray(a, dtype=np.float64) - np.asarray(full.x, dtype=np.float64)
    cos = float(g @ away / (np.linalg.norm(g) * np.linalg.norm(away)))
    where = 1 if cos > 0.999 else 0 if cos < -0.999 else 2 if abs(cos) < 1e-3 else None
    q1 = _choice(f"f(x, y) = x² + y². At (3, 1) the gradient is {_vec(g)}. Which way does it point?",
                 ["towards the bottom (0, 0)", "straight away from the bottom: uphill",
                  "along the contour line through (3, 1)"], where,
                 f"∇f(3, 1) = {_vec(g)} is parallel to (3, 1) − (0, 0) (cosine {_n(cos, 6)}): "
                 "steepest ascent, at right angles to the contour line. Descent walks the "
                 "other way, −∇f.", _state(ls), _engine(full))
    q2 = _steps_choice(
        f"With γ = {_n(lr)}, how many steps until descend says converged (|∇f| below 10⁻⁶, "
        "tutorial 003's stopping rule)?", full, [10, 50, 200],
        f"{full.nit} steps: each one multiplies (x, y) by 1 − 2γ = {_n(1 - 2 * lr)}, and "
        f"|∇f| = 2·|(x, y)| starts at {_n(full.history.grad_norm[0])}, so it takes "
        f"{full.nit} factors of {_n(1 - 2 * lr)} to get under 10⁻⁶.",
        _state(ls), ls.max_iter)
    q3 = _steps_choice(
        "Now γ = 0.5 = 1/L (the curvature L is 2 in every direction). How many steps?",
        jump, [1, 10, 50],
        f"{jump.nit} step, to {_vec(jump.x)}: 1 − 2γ = 0, so the first step lands exactly on "
        "the bottom. Only a bowl as round as this one allows that; try the valley next.",
        _state(ls, lr=0.5), ls.max_iter)
    return [q1, q2, q3]


def _zigzag(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    full, slow = _run(f, a, lr), _run(f, a, 0.1)
    across = np.asarray(full.history.x, dtype=np.float64)[:11] @ np.array([1.0, 1.0])
    flips = int(np.sum(np.sign(across[1:]) != np.sign(across[:-1])))
    v = str(full.verdict)
    shape = (1 if flips >= 5 else 0) if v == "converged" else 2 if v == "diverged" else None
    q1 = _choice(f"γ = {_n(lr)} is below 2/L = 0.6667 (L = 3 on this valley). What does the "
                 "path do?",
                 ["heads smoothly to the bottom", "zig-zags across the valley, and settles",
                  "zig-zags ever wider: diverges", "stops half-way"], shape,
                 f"It crossed the valley's floor {flips} times in its first 10 steps and is "
                 f"{_word(v)} after {full.nit}. Across the valley, along (1, 1), the curvature is 3: "
                 f"each step multiplies the distance by 1 − 3γ = {_n(1 - 3 * lr)} — a sign "
                 f"change each step, shrinking because {_n(abs(1 - 3 * lr))} < 1. Along the "
                 f"floor, (1, −1), the curvature is 1 and the factor 1 − γ = {_n(1 - lr)}.",
                 _state(ls), _engine(full))
    ratio = full.nit / slow.nit
    q2 = _choice(f"At γ = 0.1 the valley takes {slow.nit} steps. Zig-zagging at γ = {_n(lr)}, "
                 "is it faster or slower?",
                 ["faster (fewer steps)", "about the same (within 10 %)", "slower (more steps)"],
                 0 if ratio < 0.9 else 1 if ratio <= 1.1 else 2,
                 f"{full.nit} steps against {slow.nit}: the zig-zag is not a failure. At γ = 0.1 "
                 f"the floor's factor is 1 − 0.1 = 0.9 per step; at γ = {_n(lr)} it is "
                 f"{_n(1 - lr)}, and the slowest direction sets the pace.",
                 _state(ls), _engine(full))
    return [q1, q2]


def _too_fast(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    full = _run(f, a, lr)
    q1 = _choice(f"γ = {_n(lr)}, just {_n(100 * (lr / (2 / 3) - 1), 2)} % above 2/L = 0.6667 on "
                 "the same valley. What happens?",
                 ["it converges, a little slower than at 0.6", "it zig-zags and settles",
                  "it zig-zags ever wider: diverges", "it stops at a saddle"],
                 _verdict_index(str(full.verdict), ["", "", "diverged", "not_a_minimum"]),
                 f"Diverged. Across the valley each step multiplies the distance by "
                 f"1 − 3γ = {_n(1 - 3 * lr)}: |{_n(1 - 3 * lr)}| > 1, so every crossing "
                 "overshoots a little more. The limit 2/L is sharp: just below it, settles; "
                 "just above, never.", _state(ls), _engine(full))
    q2 = _choice("After how many steps does descend call it diverged (the loss 10¹² × where "
                 "it started)?", *_ranges(full.nit, [10, 50, 500], never="never"),
                 f"At step {full.nit}, where f = {_n(full.fun)}: the distance grows 1.1× a "
                 f"step, the loss 1.21×, and 1.21^{full.nit} ≈ {_n(1.21 ** full.nit, 2)}. "
                 "A slow divergence can look calm for a hundred steps.",
                 _state(ls), _engine(full))
    return [q1, q2]


_HOUSES_VARIABLES = ("b", "m")


def _houses_rows() -> tuple[np.ndarray, np.ndarray]:
    """Tutorial 001's five houses (the package's copy of ``examples/houses.csv``)."""
    text = resources.files("descend.explorer").joinpath("houses.csv").read_text(encoding="utf-8")
    rows = np.array([[float(v) for v in line.split(",")] for line in text.split()[1:]])
    return rows[:, :1], rows[:, 1]


def _houses_loss() -> str:
    """The page's loss over (b, m): the mean squared error of price ≈ b + m·size."""
    X, y = _houses_rows()
    terms = [f"(b + {xi:g}*m - {yi:g})**2" for xi, yi in zip(X[:, 0], y, strict=True)]
    return f"({' + '.join(terms)})/{len(y)}"


def _dollars(v: float) -> str:
    """Whole dollars, never ``-0``."""
    return f"{round(float(v)) + 0:d}"


def _standardised_loss() -> tuple[str, float, float]:
    """The mean squared error over (b, m) of price ≈ b + m·z, z = (size − mean)/std, with the
    mean and std (what ``descend fit`` does by default, ``--scale``)."""
    X, y = _houses_rows()
    mean, std = float(X[:, 0].mean()), float(X[:, 0].std())
    terms = [f"(b + {float((xi - mean) / std)!r}*m - {yi:g})**2" for xi, yi in zip(X[:, 0], y, strict=True)]
    return f"({' + '.join(terms)})/{len(y)}", mean, std


def _houses(ls: Lesson) -> list[Question]:
    X, y = _houses_rows()
    loss = _houses_loss()
    raw = _run(loss, ls.start, ls.learning_rate, variables=_HOUSES_VARIABLES)
    crawl = _run(loss, ls.start, 2e-7, variables=_HOUSES_VARIABLES)
    A = np.column_stack([np.ones(len(y)), X[:, 0]])
    lam = np.linalg.eigvalsh(2 * A.T @ A / len(y))  # the loss's Hessian, smallest first
    v = str(raw.verdict)
    q1 = _choice("Tutorial 001 trains price ≈ b + m·size on raw square feet with γ = 0.0001 and "
                 "prints “$167 per square foot”. What does gradient descent really do?",
                 ["settles at about $167 per square foot",
                  "creeps towards it, too slowly to arrive in 1000 steps",
                  "blows up: each step overshoots more (diverges)"],
                 _verdict_index(v, ["converged", "budget_spent", "diverged"]),
                 f"{_said(v)} at step {raw.nit}, where the loss is {_n(raw.fun)}. The largest "
                 f"curvature is L = {_n(lam[1])} (about 2 × mean(size²)), so 2/L = "
                 f"{_n(2 / lam[1], 3)} and γ = 0.0001 is {_n(ls.learning_rate * lam[1] / 2, 3)}× "
                 "too large: each step multiplies the error along the slope by "
                 f"1 − γL = {_n(1 - ls.learning_rate * lam[1], 3)}.",
                 _state(ls), _engine(raw))
    zloss, mean, sd = _standardised_loss()
    std = _run(zloss, [0.0, 0.0], 0.1, variables=_HOUSES_VARIABLES)
    # back to square feet: b + m·(size − mean)/sd = (b − m·mean/sd) + (m/sd)·size
    m, b = float(std.x[1]) / sd, float(std.x[0] - std.x[1] * mean / sd)
    exact = np.linalg.lstsq(A, y, rcond=None)[0]
    sv = str(std.verdict)
    found = sv == "converged" and np.allclose([b, m], exact, rtol=1e-6, atol=1e-3)
    q2 = _choice("Standardise size, z = (size − mean)/std (descend fit's default), and use "
                 "γ = 0.1. What does gradient descent find?",
                 ["it diverges again",
                  f"${exact[1]:.2f} per square foot, base price ${_dollars(exact[0])}",
                  "a different line", "it has not settled after 200 steps"],
                 1 if found else 0 if sv == "diverged" else 3 if sv == "budget_spent" else 2,
                 f"{_said(sv)} after {std.nit} steps: m = ${m:.2f} per square foot, b = "
                 f"${_dollars(b)} (back in your units, size = {_n(mean)} + {_n(sd)}·z) — the "
                 "tutorial's printed answer, which its own raw-units code cannot reach. "
                 "Standardised, the curvature is 2 in both directions, so 2/L = 1. The map now "
                 "shows this run on z (the standardise box ticked). Untick it for raw units, "
                 "where even a stable γ = 2·10⁻⁷ crawls: the loss falls from "
                 f"{_n(crawl.history.fun[0])} to {_n(crawl.fun)}, yet after {crawl.nit} steps "
                 f"it is {_word(crawl.verdict)}: b = {_n(crawl.x[0], 3)} where the answer is 0. "
                 f"Along the shallow direction the curvature is only {_n(lam[0])} against "
                 f"L = {_n(lam[1])}, so each step there keeps 1 − γ·{_n(lam[0])} = "
                 f"{_n(1 - 2e-7 * lam[0], 9)} of the distance.",
                 _state(ls, start=[0.0, 0.0], lr=0.1, scaled=True), _engine(std))
    return [q1, q2]


def _saddle(ls: Lesson) -> list[Question]:
    f, lr = ls.target, ls.learning_rate
    on, off = _run(f, ls.start, lr), _run(f, [3.0, 0.01], lr)
    table = ["converged", "not_a_minimum", "unbounded_below"]
    words = ["at a minimum", "at the saddle point (0, 0): flat, but not a minimum",
             "nowhere: f falls without bound"]
    q1 = _choice("f(x, y) = x² − y². Start at (3, 0), exactly on the line y = 0. Where does "
                 "the descent stop?", words, _verdict_index(str(on.verdict), table),
                 f"∂f/∂y = −2y is 0 on the line, so no step ever leaves it: after {on.nit} steps "
                 f"x = {_n(on.x[0])} and |∇f| is under 10⁻⁶ — yet descend says "
                 f"{_word(on.verdict)}: the Hessian has eigenvalue −2 along "
                 "(0, 1), f falls that way. A small gradient alone is not a minimum.",
                 _state(ls), _engine(on))
    q2 = _choice("Now start at (3, 0.01), a hair off the line. Where does it stop?", words,
                 _verdict_index(str(off.verdict), table),
                 f"{_said(off.verdict)}: y grows by 1 + 2γ = {_n(1 + 2 * lr)} "
                 f"each step; after {off.nit} steps y = {_n(off.x[1])} and f = {_n(off.fun)}. "
                 "The saddle only holds a start that sits exactly on its ridge.",
                 _state(ls, start=[3.0, 0.01]), _engine(off))
    return [q1, q2]


def _local(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    right, left = _run(f, a, lr), _run(f, [-2.0], lr)
    v = str(right.verdict)
    deeper = bool(np.allclose(right.x, left.x, atol=1e-3))
    where = ((1 if deeper else 0) if v == "converged" else 2 if v == "not_a_minimum"
             else 3 if v in ("diverged", "unbounded_below") else None)
    q1 = _choice(f"f(x) = x⁴ − 3x² + x has two valleys. Start at x = {_n(a[0])}, γ = {_n(lr)}. "
                 "Where does the descent end?",
                 ["in the nearer valley, right of the hump", "in the deeper valley on the left",
                  "on the hump between them", "nowhere: it runs off"], where,
                 f"x = {_n(right.x[0])}, f = {_n(right.fun)}: the nearer valley. Downhill from "
                 f"x = 2 leads there; the deeper valley at x = {_n(left.x[0])} (f = "
                 f"{_n(left.fun)}) lies beyond a hump, and descent never climbs.",
                 _state(ls), _engine(right))
    q2 = _choice("Does descend call that end point converged?",
                 ["yes: the gradient is about 0 and f curves up there",
                  "no: it knows there is a deeper valley"],
                 0 if v == "converged" else 1 if v != "converged" else None,
                 f"{_said(v)}: converged means a local minimum — |∇f| under 10⁻⁶ and positive "
                 "curvature where it stopped. No test at one point can see the other valley. "
                 "Start left of the hump (click x = −2 on the curve) to find the deeper one, "
                 f"{_n(right.fun - left.fun)} lower.", _state(ls), _engine(right))
    return [q1, q2]


def _momentum(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    gd, hb = _run(f, a, lr, max_iter=ls.max_iter), _run(f, a, lr, "momentum", ls.max_iter)
    q1 = _steps_choice(
        f"f(x, y) = x²/20 + y²: a long, flat valley along x. Gradient descent with γ = {_n(lr)} "
        "from (3, 1): how many steps until converged?", gd, [100, 500, 2000],
        f"{gd.nit} steps. Along x the curvature is only 0.1, so each step keeps "
        f"1 − γ·0.1 = {_n(1 - lr * 0.1)} of the distance: γ is capped by the steep y direction "
        "(2/L = 1) and the flat x direction crawls.", _state(ls), ls.max_iter)
    ratio = hb.nit / gd.nit if str(hb.verdict) == "converged" else float("inf")
    q2 = _choice(f"Momentum (μ = 0.9) at the same γ = {_n(lr)}: how many steps, compared with "
                 f"gd's {gd.nit}?",
                 ["more than gd", "about the same (within 20 %)",
                  "fewer: between a quarter and 80 % of gd's", "under a quarter of gd's"],
                 3 if ratio < 0.25 else 2 if ratio < 0.8 else 1 if ratio <= 1.2 else 0,
                 f"{_said(hb.verdict)} after {hb.nit} steps, {_n(ratio, 2)}× gd's. The velocity "
                 "v ← μv + ∇f keeps adding up along the valley floor, where the gradient keeps "
                 "its sign: there the step grows towards γ/(1 − μ) = 10γ. The map races both.",
                 _state(ls, optimizer="momentum", race=["gd", "momentum"]), _engine(hb))
    return [q1, q2]


def _adam(ls: Lesson) -> list[Question]:
    f, a, lr = ls.target, ls.start, ls.learning_rate
    g = _at(f, a)
    one, full = _run(f, a, lr, "adam", 1), _run(f, a, lr, "adam", ls.max_iter)
    moved = np.abs(np.asarray(one.x, dtype=np.float64) - np.asarray(a, dtype=np.float64))
    cands = [lr * np.abs(g), [lr, lr], [lr, lr * abs(g[1] / g[0])], [0.0, 0.0]]
    q1 = _choice(f"f(x, y) = x² + 100y², Adam with γ = {_n(lr)} from (3, 1), where "
                 f"∇f = {_vec(g)}. How far does the first step move x and y?",
                 [f"x by {_n(lr * g[0])}, y by {_n(lr * g[1])} (γ × gradient, as gd)",
                  f"both by about {_n(lr)}", f"y {_n(g[1] / g[0], 3)}× farther than x",
                  "neither: Adam warms up first"],
                 _match(moved, cands, rtol=1e-6),
                 f"x → {_n(one.x[0], 6)}, y → {_n(one.x[1], 6)}: both moved {_n(lr)}. Adam divides "
                 "the averaged gradient m̂ by the root of the averaged squared gradient √v̂; on "
                 "the first step that is ±1 in each coordinate, whatever the gradient's size. "
                 "gd would need γ < 2/L = 0.01 here.", _state(ls), _engine(full))
    q2 = _choice(f"Will Adam at γ = {_n(lr)} settle (|∇f| under 10⁻⁶) within "
                 f"{ls.max_iter} steps?",
                 ["yes", f"no: it is still moving after {ls.max_iter} steps"],
                 _verdict_index(str(full.verdict), ["converged", "budget_spent"]),
                 f"{_said(full.verdict)}: after {full.nit} steps |∇f| = "
                 f"{_n(full.history.grad_norm[-1], 3)} at {_vec(full.x)}. Near the bottom √v̂ "
                 "still remembers the large early gradients (β₂ = 0.999 averages over about "
                 "1000 steps), so the steps are neither the gradient's size nor γ: Adam gets "
                 "close fast and then creeps.", _state(ls), _engine(full))
    return [q1, q2]
