"""``descend explore``: write the offline explorer page for a formula or a data file."""

from __future__ import annotations

import math
from typing import Any

import typer
from typer.core import TyperCommand

from descend.cli.app import app, fail, out, parse_floats

_RACE_HELP = "Open with these optimizers racing, e.g. gd,momentum,adam,newton."
_FAIR_HELP = "Open a fair race: each optimizer at its own tuned rate."
_LESSON_HELP = ("A guided lesson instead of TARGET: tangent, step, bowl, zigzag, too-fast, houses, "
                "saddle, local-minimum, momentum or adam.")
_LESSONS_HELP = ("List the lessons; with --html DIR/index.html, write an index and every lesson "
                 "beside it.")
_SCALE_HELP = ("Data file: open with the feature standardised, z = (x - mean)/std, as descend fit "
               "does by default (the page's box switches back) [default: raw units].")


class _ExploreCommand(TyperCommand):
    """``--lesson`` without a name (last, or before another option) is read as ``--lesson=``:
    the command then lists the lessons (click alone says "requires an argument", or takes the
    next option, ``--html``, for the name)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args = ["--lesson=" if a == "--lesson" and (i + 1 == len(args) or args[i + 1].startswith("-"))
                else a for i, a in enumerate(args)]
        return super().parse_args(ctx, args)


@app.command("explore", cls=_ExploreCommand)
def explore_command(
    target: str = typer.Argument(
        None, help="A function of one or two variables, e.g. 'x**2 + x*y + y**2', or a CSV file."
    ),
    html_path: str = typer.Option(None, "--html", help="The page to write, e.g. page.html."),
    start: str = typer.Option(None, "--start", help="The first start, e.g. 3,1 [default: 3,1]."),
    optimizer: str = typer.Option(
        "gd", "--optimizer",
        help="gd, momentum, nesterov, adagrad, rmsprop, adam, adamw; or newton, bfgs (descend's runs).",
    ),
    lr: str = typer.Option(
        None, "--lr", help="The learning rate to start with, or armijo (gd's line search) [default: the largest of 1, 2, 5 x 10^k not above 1/L; 1/L itself when it is one, as 0.5 for x**2]."
    ),
    max_iter: int = typer.Option(200, "--max-iter", help="Most steps per descent on the page."),
    xlim: str = typer.Option(None, "--xlim", help="x window, e.g. -3,3 [default: fitted]."),
    ylim: str = typer.Option(None, "--ylim", help="y window, e.g. -3,3 [default: fitted]."),
    variables: str = typer.Option(None, "--variables", help="Variable order, e.g. y,x."),
    x: str = typer.Option(None, "--x", help="Data file: the feature column [default: first]."),
    y: str = typer.Option(None, "--y", help="Data file: the target column [default: last]."),
    momentum: float = typer.Option(0.9, "--momentum", help="Momentum μ in [0, 1)."),
    b1: float = typer.Option(0.9, "--b1", help="Adam's β₁ in [0, 1)."),
    b2: float = typer.Option(0.999, "--b2", help="Adam's β₂ in [0, 1)."),
    race: str = typer.Option(None, "--race", help=_RACE_HELP),
    fair: bool = typer.Option(False, "--fair", help=_FAIR_HELP),
    title: str = typer.Option(None, "--title", help="The page's heading [default: the function]."),
    note: str = typer.Option(None, "--note", help="A note for the learner, shown under the heading."),
    force: bool = typer.Option(False, "--force", help="Replace an existing page."),
    lesson: str = typer.Option(None, "--lesson", help=_LESSON_HELP),
    lessons: bool = typer.Option(False, "--lessons", help=_LESSONS_HELP),
    scale: bool = typer.Option(False, "--scale", help=_SCALE_HELP),
) -> None:
    """Write an offline page to play with TARGET: click to descend, slide the learning rate.

    Example: descend explore 'x**2 + x*y + y**2' --html valley.html

    Example: descend explore 'x**2 + 10*y**2' --lr 0.05 --race gd,momentum,adam --note 'Which one reaches the middle first?' --html race.html

    Example: descend explore --lesson saddle --html saddle.html

    Example: descend explore examples/houses.csv --scale --html houses.html

    Example: descend explore --lessons --html lessons/index.html
    """
    name: str | None = lesson
    if lesson == "":  # --lesson without a name: the list of lessons, as --lessons shows it
        _bare_lesson(html_path)
        name, lessons = None, True
    if name is not None or lessons:
        settings = {"--start": start, "--optimizer": optimizer != "gd", "--lr": lr,
                    "--max-iter": max_iter != 200, "--xlim": xlim, "--ylim": ylim,
                    "--variables": variables, "--x": x, "--y": y, "--momentum": momentum != 0.9,
                    "--b1": b1 != 0.9, "--b2": b2 != 0.999, "--race": race, "--title": title,
                    "--note": note, "--scale": scale}
        _lessons(target, html_path, name, force, settings)
        return
    _plan_page(target, html_path, force)
    from descend.explorer import explore

    page = explore(
        target,
        start=parse_floats(start, "--start") if start else None,
        variables=[v.strip() for v in variables.split(",")] if variables else None,
        optimizer=optimizer,
        learning_rate=_rate(lr),
        max_iter=max_iter,
        xlim=_window(xlim, "--xlim"),
        ylim=_window(ylim, "--ylim"),
        x=x,
        y=y,
        momentum=momentum,
        b1=b1,
        b2=b2,
        race=race.split(",") if race else None,
        title=title,
        note=note,
        fair=fair,
        scale=scale,
    )
    written = page.save(html_path, force=force)
    out.print(f"wrote {written} ({len(page.html) / 1024:.0f} KB, works offline)", markup=False)


def _bare_lesson(html_path: str | None) -> None:
    """``--lesson`` without a name lists the lessons; with ``--html`` it is a mistake: say so."""
    if html_path is not None:
        from descend.explorer.lessons import LESSONS

        fail(f"--lesson needs a lesson's name: {', '.join(ls.name for ls in LESSONS)}; e.g. "
             "--lesson saddle --html saddle.html (--lessons --html DIR/index.html writes them all)")


def _lessons(target: str | None, html_path: str | None, lesson: str | None, force: bool,
             settings: dict[str, Any]) -> None:
    """``--lesson`` / ``--lessons``, refusing the page settings a lesson would ignore."""
    from descend.cli._lessons import lessons_command

    lessons_command(target, html_path, lesson, force,
                    [k for k, v in settings.items() if v is not None and v is not False])


def _plan_page(target: str | None, html_path: str | None, force: bool) -> None:
    """TARGET and ``--html`` given, the page's name an HTML one, and the output planned
    before the work: never the data explored, never an existing file without ``--force``."""
    if target is None:
        fail("explore needs TARGET (a function or a data file), e.g. descend explore "
             "'x**2 + y**2' --html page.html, or --lesson NAME / --lessons")
    if html_path is None:
        fail("explore needs --html: the page to write, e.g. --html page.html")
    if not html_path.lower().endswith((".html", ".htm")):
        fail(f"--html {html_path}: the explorer is an HTML page; give a name ending in .html")
    from descend.io import OutputPlan, plan_output

    plan = OutputPlan(force=force)
    plan.add_input(target, "the data explored")
    plan_output(html_path, "--html", plan, formats=(".html", ".htm"), what="page")


def _window(text: str | None, option: str) -> list[float] | None:
    """``--xlim``/``--ylim``: two numbers, the smaller first."""
    if text is None:
        return None
    v = parse_floats(text, option)
    if len(v) != 2 or not v[0] < v[1]:
        fail(f"{option} {text}: give two numbers, the smaller first, e.g. {option} -3,3")
    return v


def _rate(text: str | None) -> float | str | None:
    """``--lr``: a positive number or ``armijo``; anything else is a one-line error."""
    if text is None or text.strip().lower() == "armijo":
        return None if text is None else "armijo"
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        fail(f"--lr {text}: give a positive number (e.g. --lr 0.1) or armijo")
    return v
