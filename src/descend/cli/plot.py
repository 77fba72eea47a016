"""``descend plot``: the picture of a typed function, with descent paths if asked."""

from __future__ import annotations

from typing import Any

import typer

from descend.cli.app import app, fail, out, parse_floats, warnings_to_stderr


def _limits(text: str | None, option: str) -> tuple[float, float] | None:
    if text is None:
        return None
    v = parse_floats(text, option)
    if len(v) != 2 or not v[0] < v[1]:
        fail(f"{option} {text}: give two numbers, the smaller first, e.g. {option} -3,3")
    if max(abs(v[0]), abs(v[1])) > 1e100:  # a grid there overflows before it is drawn
        fail(f"{option} {text}: give a window within -1e100..1e100, e.g. {option} -3,3")
    return (v[0], v[1])


_EXPRESSION_HELP = "A function of one or two variables, e.g. 'x**2' or 'x**2 + y**2'."
_OUT_HELP = "The file to write: .png, .svg or .pdf (or .gif/.mp4 with --animate)."
_START_HELP = "Draw the descent from this point, e.g. 3,1 (repeat for several)."
_OPTIMIZER_HELP = ("gd, momentum, nesterov, adagrad, rmsprop, adam or adamw; repeat to race them "
                   "[default: gradient descent with a line-searched step].")
_METHOD_HELP = ("newton, bfgs, l-bfgs or cg (second-order, as descend minimize --method); repeat "
                "or add --optimizer to race them [default: minimize's default].")
_ANIMATE_HELP = "Write an animation of the descent (--out .gif/.mp4)."
_SIZE_HELP = "--animate: the frame's width in pixels, e.g. 1000 [default: 504]."
_TANGENT_HELP = "One variable: draw tangent lines at these points, e.g. 3,4."


@app.command("plot")
def plot_command(
    expression: str = typer.Argument(..., help=_EXPRESSION_HELP),
    out_path: str = typer.Option(..., "--out", "-o", help=_OUT_HELP),
    start: list[str] = typer.Option(None, "--start", help=_START_HELP),  # noqa: B008
    optimizer: list[str] = typer.Option(None, "--optimizer", help=_OPTIMIZER_HELP),  # noqa: B008
    method: list[str] = typer.Option(None, "--method", help=_METHOD_HELP),  # noqa: B008
    lr: str = typer.Option(None, "--lr", help="Learning rate for the paths, e.g. 0.1."),
    max_iter: int = typer.Option(None, "--max-iter", help="Most steps per path."),
    xlim: str = typer.Option(None, "--xlim", help="x window, e.g. -3,3 [default: fitted]."),
    ylim: str = typer.Option(None, "--ylim", help="y window, e.g. -3,3 [default: fitted]."),
    surface: bool = typer.Option(False, "--surface", help="Draw a 3-D surface instead."),
    animate: bool = typer.Option(False, "--animate", help=_ANIMATE_HELP),
    size: int = typer.Option(None, "--size", help=_SIZE_HELP),
    fps: int = typer.Option(10, "--fps", help="--animate: frames per second (1 to 60)."),
    arrows: bool = typer.Option(True, "--arrows/--no-arrows", help="Draw gradient arrows."),
    variables: str = typer.Option(None, "--variables", help="Variable order, e.g. y,x."),
    tangent: str = typer.Option(None, "--tangent", help=_TANGENT_HELP),
    force: bool = typer.Option(False, "--force", help="Let --out replace an existing file."),
) -> None:
    """Draw EXPRESSION's contours and gradient arrows (and descent paths) to --out.

    A function of one variable is drawn as its curve, with --tangent lines (slopes labelled)
    and the descent along the curve from --start.

    Example: descend plot 'x**2 + y**2' --start 3,1 --out field.png

    Example: descend plot 'x**2' --tangent 3,4 --start 3 --lr 0.8 --out slopes.png

    Example: descend plot '(1-x)**2 + 100*(y-x**2)**2' --start -1.2,1 --method newton --method bfgs --optimizer gd --out race.png
    """
    fun = _plottable(expression, variables, tangent=tangent, two_d=surface or animate or ylim)
    xl, yl = _limits(xlim, "--xlim"), _limits(ylim, "--ylim")
    _check_frames(size, fps, animate)
    from descend.cli._files import ANIMATION_FORMATS, FIGURE_FORMATS
    from descend.io import OutputPlan, plan_output

    target = plan_output(
        out_path, "--out", OutputPlan(force=force),
        formats=ANIMATION_FORMATS if animate else FIGURE_FORMATS,
        what="animation" if animate else "figure",
    )
    results = (_descents(fun, start, optimizer, lr, max_iter, method)
               if (start or optimizer or method) else [])
    _draw(fun, results, target, expression, xl, yl, tangent=tangent, animate=animate,
          surface=surface, arrows=arrows, size=size, fps=fps)
    out.print(f"wrote {out_path}", markup=False)
    _exit_as_minimize(results)


def _plottable(expression: str, variables: str | None, *, tangent: str | None,
               two_d: Any) -> Any:
    """The function, once it has one or two variables and the options fit that number."""
    from descend.expr.treefunction import picture_function

    names = [v.strip() for v in variables.split(",")] if variables else None
    # A picture needs values and exact gradients, not SymPy: descend's own tree gives them
    # (SymPy still answers for anything the tree cannot vouch for, with its own messages).
    fun = picture_function(expression, names)
    if fun.n not in (1, 2):
        fail(
            f"plot draws functions of one or two variables; {expression!r} has {fun.n} "
            f"({', '.join(fun.variables)})"
        )
    if tangent is not None and fun.n != 1:
        fail(f"--tangent draws tangent lines of a one-variable curve; {expression!r} has {fun.n} "
             "variables (for two, the gradient arrows show the slopes)")
    if fun.n == 1 and two_d:
        fail("--surface, --animate and --ylim are for functions of two variables; a curve "
             "takes --tangent, --start and --xlim")
    return fun


def _check_frames(size: int | None, fps: int, animate: bool) -> None:
    """``--size`` and ``--fps``: in range, and only with ``--animate``."""
    if size is not None and not 200 <= size <= 4000:
        fail(f"--size {size}: give the animation's width in pixels, 200 to 4000, e.g. --size 1000")
    if not 1 <= fps <= 60:
        fail(f"--fps {fps}: give frames per second from 1 to 60, e.g. --fps 10")
    if (size is not None or fps != 10) and not animate:
        fail("--size and --fps are for --animate (the picture's size is fixed)")


def _draw(fun: Any, results: list[Any], target: Any, expression: str, xl: Any, yl: Any, *,
          tangent: str | None, animate: bool, surface: bool, arrows: bool, size: int | None,
          fps: int) -> None:
    """Write the picture to ``target``: the curve (one variable), the animation, the 3-D
    surface or the contour map with the gradient field."""
    # Each picture imports only its own module (descend.plot loads a name's module on first
    # use): no 3-D module for a map, no contour module for a curve.
    if fun.n == 1:
        from descend.plot import curve_plot

        points = parse_floats(tangent, "--tangent") if tangent else []
        fig = curve_plot(fun, results or None, tangents=points, xlim=xl)
    elif animate:
        if not results:
            fail("--animate needs a path to animate: add --start, e.g. --start 3,1")
        from descend.io import atomic_output
        from descend.plot import minimize_animation

        with atomic_output(target) as tmp:
            minimize_animation(fun, results, tmp, xlim=xl, ylim=yl, width=size, fps=fps)
        return
    elif surface:
        from descend.plot import surface_3d

        fig = surface_3d(fun, results or None, xlim=xl, ylim=yl)
    else:
        from descend.plot import gradient_field
        from descend.plot._data import paths_title

        fig = gradient_field(
            fun, results or None, xlim=xl, ylim=yl, arrows=arrows and len(results) < 2,
            title=paths_title(getattr(fun, "formula", expression), results),
        )
    from descend.plot import save_figure

    # save_figure's own atomic_output(target) keeps --out's plan (no clobbering without
    # --force): one temporary file and one fsync, not a temporary file inside another
    save_figure(fig, target)


def _descents(fun: Any, start: list[str] | None, optimizer: list[str] | None, lr: str | None,
              max_iter: int | None, method: list[str] | None = None) -> list[Any]:
    """One run of ``minimize`` per (start, optimizer or method), as ``descend minimize`` would
    run it."""
    from descend.cli.minimize import build_optimizer
    from descend.cli.options import read_learning_rate
    from descend.loop import minimize

    starts = list(start) if start else []
    if not starts:
        what = "--optimizer" if optimizer else "--method"
        fail(f"{what} needs --start, the point to descend from, e.g. --start 3,1")
    if method and lr is not None and not optimizer:
        fail("--lr is the learning rate of --optimizer paths; --method newton, bfgs, l-bfgs "
             "and cg choose their own steps (drop --lr or add --optimizer gd)")
    rate = read_learning_rate(lr)
    kwargs: dict[str, Any] = {"max_iter": max_iter} if max_iter is not None else {}
    results = []
    with warnings_to_stderr():
        for s in starts:
            x0 = parse_floats(s, "--start")
            if len(x0) != fun.n:
                fail(f"--start {s}: expected {fun.n} value{'s' if fun.n > 1 else ''} for "
                     f"({', '.join(fun.variables)})")
            for name in list(optimizer) if optimizer else ([] if method else [None]):
                results.append(minimize(fun, x0, optimizer=build_optimizer(name, rate, {}),
                                        **kwargs))
            for m in method or []:
                results.append(minimize(fun, x0, method=m, **kwargs))
    return results


def _exit_as_minimize(results: list[Any]) -> None:
    """Exit 3 with the verdict's message when a path failed, as ``descend minimize`` does."""
    from descend.cli._terms import to_flags
    from descend.cli.app import Diverged, err
    from descend.loop.verdict import FAILED

    failed = [r for r in results if r.verdict in FAILED]
    for r in failed:
        message = to_flags(" ".join(r.message.split()))
        word = str(r.verdict).replace("_", " ")
        prefix = "" if message.startswith(word) else f"{word}: "
        err.print(f"descend: {r.optimizer} from {_point(r.history.x[0])}: {prefix}{message}",
                  markup=False)
    if failed:
        raise Diverged()


def _point(x: Any) -> str:
    return ",".join(f"{float(v):g}" for v in x)
