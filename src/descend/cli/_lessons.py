"""``descend explore --lesson NAME`` and ``--lessons``: the guided lessons, one page or all."""

from __future__ import annotations

from descend.cli.app import fail, out


def _listing() -> str:
    from descend.explorer.lessons import LESSONS

    width = max(len(ls.name) for ls in LESSONS)
    lines = [f"{i:3d}  {ls.name:<{width}}  {ls.title}: {ls.summary}"
             for i, ls in enumerate(LESSONS, 1)]
    return "\n".join(lines)


def lessons_command(target: str | None, html_path: str | None, lesson: str | None,
                    force: bool, settings: list[str]) -> None:
    """Write one lesson (``lesson``), or list them all and write them beside an index page.

    ``settings``: the page options given besides; a lesson sets its own, so they are refused.
    """
    if target is not None:
        fail(f"--lesson/--lessons build their own page; leave out TARGET ({target!r})")
    if settings:
        fail(f"{settings[0]} does not apply to a lesson: each lesson sets its own function, "
             "start and rate (the learner changes them on the page); leave it out")
    if lesson is None:  # --lessons
        out.print("The lessons (descend explore --lesson NAME --html NAME.html):", markup=False)
        out.print(_listing(), markup=False)
        if html_path is None:
            return
        from descend.explorer.lessons import save_lessons

        paths = save_lessons(html_path, force=force)
        out.print(f"wrote {paths[0]} and the {len(paths) - 1} lessons beside it "
                  "(they work offline; open the index)", markup=False)
        return
    from descend.explorer.lessons import build_lesson, lesson_named

    chosen = lesson_named(lesson)  # an unknown name: one line naming the choices
    if html_path is None:
        fail(f"--lesson {lesson} needs --html: the page to write, e.g. --html {lesson}.html")
    if not html_path.lower().endswith((".html", ".htm")):
        fail(f"--html {html_path}: a lesson is an HTML page; give a name ending in .html")
    from descend.io import OutputPlan, plan_output, write_output

    plan = OutputPlan(force=force)  # checked before the work
    plan_output(html_path, "--html", plan, formats=(".html", ".htm"), what="page")
    page = build_lesson(chosen)
    written = write_output(html_path, lambda tmp: tmp.write_text(page.html, encoding="utf-8"),
                           option="--html", force=force, formats=(".html", ".htm"), what="page")
    n = len(page.data["lesson"]["questions"])
    out.print(f"wrote {written} ({len(page.html) / 1024:.0f} KB, works offline): lesson "
              f"{page.data['lesson']['number']} of {page.data['lesson']['count']}, "
              f"{chosen.title}, {n} predictions", markup=False)
