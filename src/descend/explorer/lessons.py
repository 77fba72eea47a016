"""Guided lessons on the explorer page: read a little, predict, then see the engine's answer.

``descend explore --lesson NAME`` writes one lesson; ``--lessons`` writes an index page and
every lesson beside it. A lesson is the ordinary explorer page (:func:`descend.explore`) with a
panel above it: a short text, then one prediction at a time (which way, how many steps, will
it settle), asked *before* the run is shown -- "predict, then see" (Crouch et al. 2004, Am. J.
Phys. 72, 835). While a prediction is open the map is hidden; the reveal names the learner's
answer, the right one and the numbers behind it, and opens the map on that run.

Every right answer is computed here, at build time, by descend's engine: :func:`descend.minimize`
(verdict, steps, iterates) or :func:`descend.gradient_at` (the house prices' fit too: the mean
squared error over (b, m), raw and standardised); the choices are fixed words or ranges and the
engine picks one (a build fails if it picks none). The page's own live run of the same settings is written beside the
reveal, so a learner (and the tests) see the page and the engine agree.

>>> [lesson.name for lesson in LESSONS][:3]
['tangent', 'step', 'bowl']
>>> q = questions_of(LESSONS[0])[0]
>>> q["kind"], q["answer"]
('number', 6.0)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from descend.errors import InputError
from descend.explorer._lesson_questions import (
    Question,
    _adam,
    _bowl,
    _houses,
    _local,
    _momentum,
    _saddle,
    _step,
    _tangent,
    _too_fast,
    _zigzag,
)

__all__ = ["LESSONS", "Lesson", "build_index", "build_lesson", "lesson_named", "page_name",
           "questions_of", "save_lessons"]


@dataclass(frozen=True)
class Lesson:
    """One lesson: what the page shows first, and how its questions are computed.

    Attributes:
        name: the ``--lesson`` name.
        title: the heading.
        tutorial: the tutorial of ``/work/shared/seeds`` it comes from, in words.
        summary: one line for the index.
        intro: the short text before the first prediction, one string per paragraph.
        target: the formula, or ``"houses"`` for tutorial 001's data.
        start: where the runs start.
        learning_rate: the page's first rate γ.
        optimizer: the page's first optimizer.
        max_iter: most steps per run on the page (and in the engine's runs).
        questions: builds the questions from the engine (called at build time).
    """

    name: str
    title: str
    tutorial: str
    summary: str
    intro: tuple[str, ...]
    target: str
    start: tuple[float, ...]
    learning_rate: float
    questions: Callable[[Any], list[Question]]
    optimizer: str = "gd"
    max_iter: int = 200


# ------------------------------------------------------------------------------ the lessons
_VALLEY = "x**2 + x*y + y**2"
_T000, _T001, _T002 = ("tutorial 000 (the valley and the update rule)",
                       "tutorial 001 (house prices)", "tutorial 002 (slopes and gradients)")

LESSONS: tuple[Lesson, ...] = (
    Lesson("tangent", "The slope of a tangent", _T002, "f′(3) for x², and which way a step goes",
           ("The derivative f′(a) is the slope of the tangent at a: how fast f rises for a tiny "
            "step to the right.",
            "Gradient descent steps against it: a − γ·f′(a). γ, the learning rate, says how far."),
           "x**2", (3.0,), 0.1, _tangent),
    Lesson("step", "One step: b = a − γ∇f(a)", _T000, "the gradient of the valley and the first step",
           ("With two variables the slope becomes the gradient ∇f = (∂f/∂x, ∂f/∂y): each "
            "partial derivative treats the other variable as a constant.",
            "The update is b = a − γ∇f(a): from a, a step of γ times the gradient, downhill."),
           _VALLEY, (3.0, 1.0), 0.1, _step),
    Lesson("bowl", "The bowl", _T002, "the gradient points uphill; how many steps to the bottom",
           ("f(x, y) = x² + y² is a round bowl with its bottom at (0, 0). The contour lines are "
            "circles; the gradient is (2x, 2y).",
            "Tutorial 003 stops when the loss stops improving; descend stops when |∇f| is "
            "under 10⁻⁶ and checks the curvature there."),
           "x**2 + y**2", (3.0, 1.0), 0.1, _bowl),
    Lesson("zigzag", "The valley's zig-zag", _T000, "a large stable rate crosses the valley",
           ("The valley x² + xy + y² is steeper across (1, 1) than along (1, −1): its Hessian "
            "has eigenvalues 3 and 1.",
            "Gradient descent is stable for γ below 2/L, where L = 3 is the largest "
            "curvature: here 2/3."),
           _VALLEY, (3.0, 1.0), 0.6, _zigzag),
    Lesson("too-fast", "A rate past 2/L", _T001, "5 % too large is enough to diverge",
           ("Tutorial 001 warns that a large rate makes the model “bounce around wildly”. How "
            "large is too large? The same valley, a little past 2/L.",),
           _VALLEY, (3.0, 1.0), 0.7, _too_fast),
    Lesson("houses", "Unscaled house prices", _T001, "raw square feet diverge; standardising fixes it",
           ("Five houses: 1200 to 2400 square feet, $200,000 to $400,000. The line "
            "price ≈ b + m·size is fitted by the mean squared error over (b, m).",
            "The map is the loss over (intercept b, slope m), in raw units."),
           "houses", (0.0, 0.0), 1e-4, _houses),
    Lesson("saddle", "A saddle", _T002, "a zero gradient that is not a minimum",
           ("f(x, y) = x² − y² curves up along x and down along y. At (0, 0) the gradient is "
            "zero, like at the bottom of a bowl.",),
           "x**2 - y**2", (3.0, 0.0), 0.1, _saddle),
    Lesson("local-minimum", "A local minimum", _T002, "descent finds the nearest valley, not the deepest",
           ("f(x) = x⁴ − 3x² + x has two valleys of different depth, with a hump between them.",
            "Gradient descent only ever looks at the slope where it stands."),
           "x**4 - 3*x**2 + x", (2.0,), 0.01, _local),
    Lesson("momentum", "Momentum", _T000, "a heavy ball rolls faster down a long valley",
           ("Momentum keeps a velocity: v ← μv + ∇f(x), x ← x − γv (torch's convention). "
            "Where the gradient keeps its sign, the steps add up.",),
           "x**2/20 + y**2", (3.0, 1.0), 0.1, _momentum, max_iter=2000),
    Lesson("adam", "Adam", _T000, "steps of about γ, whatever the gradient's size",
           ("Adam keeps running averages of the gradient (m, rate β₁ = 0.9) and of its square "
            "(v, β₂ = 0.999), and steps γ·m̂/(√v̂ + ε) in each coordinate.",),
           "x**2 + 100*y**2", (3.0, 1.0), 0.1, _adam, optimizer="adam"),
)


def lesson_named(name: str) -> Lesson:
    """The lesson called ``name``; :class:`InputError` naming the choices otherwise."""
    for lesson in LESSONS:
        if lesson.name == name:
            return lesson
    raise InputError(f"no lesson named {name!r}; choose one of "
                     f"{', '.join(lesson.name for lesson in LESSONS)}")


def questions_of(lesson: Lesson) -> list[Question]:
    """The lesson's questions, each with the engine's answer (computed now)."""
    return lesson.questions(lesson)


# ------------------------------------------------------------------------------- the pages
def page_name(lesson: Lesson) -> str:
    """The lesson's file name in a folder of lessons (``lesson-bowl.html``)."""
    return f"lesson-{lesson.name}.html"


def _nav(lesson: Lesson) -> dict[str, Any]:
    """Links to the previous and next lesson and the index (pages written side by side)."""
    i = LESSONS.index(lesson)
    prev = LESSONS[i - 1] if i > 0 else None
    nxt = LESSONS[i + 1] if i + 1 < len(LESSONS) else None
    return {"index": "index.html",
            "prev": {"href": page_name(prev), "title": prev.title} if prev else None,
            "next": {"href": page_name(nxt), "title": nxt.title} if nxt else None}


def _asset(name: str) -> str:
    code = resources.files("descend.explorer").joinpath(name).read_text(encoding="utf-8")
    if "</" in code or "<!--" in code:  # cannot be in our files; never let it end a block
        raise ValueError(f"{name} must not contain '</' or '<!--'")
    return code


def build_lesson(lesson: Lesson | str, *, linked: bool = False) -> Any:
    """The lesson's page: the explorer for its function with the lesson panel above it.

    Args:
        lesson: a :class:`Lesson` or its name.
        linked: add links to the previous and next lesson and to ``index.html`` (for pages
            written side by side by :func:`save_lessons`).

    Returns:
        An :class:`~descend.explorer.Explorer`; its ``data["lesson"]`` holds the questions with
        the engine's answers.
    """
    from descend.explorer import Explorer, explore
    from descend.explorer._page import json_for_script, rebuild

    ls = lesson_named(lesson) if isinstance(lesson, str) else lesson
    if ls.target == "houses":
        with resources.as_file(resources.files("descend.explorer").joinpath("houses.csv")) as p:
            page = explore(str(p), start=list(ls.start), learning_rate=ls.learning_rate,
                           max_iter=ls.max_iter, optimizer=ls.optimizer)
        # the page names the data, not where descend is installed
        data = {**page.data, "regression": {**page.data["regression"], "source": "houses.csv"}}
        page = Explorer(rebuild(page.html, data), data)
    else:
        page = explore(ls.target, start=list(ls.start), learning_rate=ls.learning_rate,
                       max_iter=ls.max_iter, optimizer=ls.optimizer)
    number = LESSONS.index(ls) + 1
    info = {"name": ls.name, "number": number, "count": len(LESSONS), "title": ls.title,
            "tutorial": ls.tutorial, "intro": list(ls.intro), "questions": questions_of(ls),
            "nav": _nav(ls) if linked else None}
    text = page.html
    head = f"<title>Lesson {number}: {html.escape(ls.title)} — descend</title>"
    text = text[:text.index("<title>")] + head + text[text.index("</title>") + len("</title>"):]
    style = f"<style>\n{_asset('lessons.css')}\n</style>\n</head>"
    script = (f'<script type="application/json" id="descend-lesson">{json_for_script(info)}'
              f"</script>\n<script>\n{_asset('lessons.js')}\n</script>\n</body>")
    text = text.replace("</head>", style, 1)
    cut = text.rindex("</body>")
    text = text[:cut] + script + text[cut + len("</body>"):]
    return Explorer(text, {**page.data, "lesson": info})


def build_index() -> str:
    """The index page: every lesson, its tutorial and what it asks, linked to its file."""
    from descend.explorer._page import _CSP

    items = "\n".join(
        f'<li><a href="{page_name(ls)}"><span class="n">{i}.</span> {html.escape(ls.title)}</a>'
        f"<br><span class=\"sub\">{html.escape(ls.summary)} · from {html.escape(ls.tutorial)}"
        f" · <code>descend explore --lesson {ls.name}</code></span></li>"
        for i, ls in enumerate(LESSONS, 1))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>Lessons in gradient descent — descend</title>
<style>
{_asset('lessons.css')}
</style>
</head>
<body>
<main id="lesson-index">
<h1>Lessons in gradient descent</h1>
<p>Ten short lessons. Each asks you to predict — which way, how many steps, will it settle —
before it shows the run; the answers are computed by descend's engine. They work offline, with
a keyboard, a screen reader or a touch screen.</p>
<ol class="lessons">
{items}
</ol>
</main>
</body>
</html>
"""


def save_lessons(index_path: str | Path, *, force: bool = False) -> list[Path]:
    """Write the index page at ``index_path`` and every lesson beside it; return the paths.

    Every path is planned first (:func:`descend.io.plan_output`: never over an existing file
    without ``force``), so a refused path stops the work before anything is written.
    """
    from descend.io import OutputPlan, atomic_output, plan_output

    index = Path(index_path)
    if index.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--html {index}: the lessons' index is an HTML page; give a name "
                         "ending in .html, e.g. --html lessons/index.html")
    plan = OutputPlan(force=force)
    paths = [index] + [index.with_name(page_name(ls)) for ls in LESSONS]
    targets = [plan_output(p, "--html", plan, formats=(".html", ".htm"), what="page")
               for p in paths]
    with atomic_output(targets[0], option="--html") as tmp:
        tmp.write_text(build_index(), encoding="utf-8")
    for ls, target in zip(LESSONS, targets[1:], strict=True):
        page = build_lesson(ls, linked=True)
        with atomic_output(target, option="--html") as tmp:
            tmp.write_text(page.html, encoding="utf-8")
    return paths
