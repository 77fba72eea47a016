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


@app.command("plot")
def plot_command(
    expression: str = typer.Argument(
        ..., help="A function of one or two variables, e.g. 'x**2' or 'x**2 + y**2'."
    ),
    out_path: str = typer.Option(
        ...,
        "--out",
        "-o",
        help="The file to write: .png, .svg or .pdf (or .gif/.mp4 with --animate).",
    ),
    start: list[str] = typer.Option(  # noqa: B008
        None, "--start", help="Draw the descent from this point, e.g. 3,1 (repeat for several)."
    ),
    optimizer: list[str] = typer.Option(  # noqa: B008
        None,
        "--optimizer",
        help="gd, momentum, nesterov, adagrad, rmsprop, adam or adamw; repeat to race them "
        "[default: gradient descent with a line-searched step].",
    ),
    method: list[str] = typer.Option(  # noqa: B008
        None,
        "--method",
        help="newton, bfgs, l-bfgs or cg (second-order, as descend minimize --method); repeat "
        "or add --optimizer to race them [default: minimize's default].",
    ),
    lr: str = typer.Option(None, "--lr", help="Learning rate for the paths, e.g. 0.1."),
    max_iter: int = typer.Option(None, "--max-iter", help="Most steps per path."),
    xlim: str = typer.Option(None, "--xlim", help="x window, e.g. -3,3 [default: fitted]."),
    ylim: str = typer.Option(None, "--ylim", help="y window, e.g. -3,3 [default: fitted]."),
    surface: bool = typer.Option(False, "--surface", help="Draw a 3-D surface instead."),
    animate: bool = typer.Option(
        False, "--animate", help="Write an animation of the descent (--out .gif/.mp4)."
    ),
    size: int = typer.Option(
        None, "--size", help="--animate: the frame's width in pixels, e.g. 1000 [default: 504]."
    ),
    fps: int = typer.Option(10, "--fps", help="--animate: frames per second (1 to 60)."),
    arrows: bool = typer.Option(True, "--arrows/--no-arrows", help="Draw gradient arrows."),
    variables: str = typer.Option(None, "--variables", help="Variable order, e.g. y,x."),
    tangent: str = typer.Option(
        None, "--tangent", help="One variable: draw tangent lines at these points, e.g. 3,4."
    ),
    force: bool = typer.Option(False, "--force", help="Let --out replace an existing file."),
) -> None:
    """Draw EXPRESSION's contours and gradient arrows (and descent paths) to --out.

    A function of one variable is drawn as its curve, with --tangent lines (slopes labelled)
    and the descent along the curve from --start.

    Example: descend plot 'x**2 + y**2' --start 3,1 --out field.png

    Example: descend plot 'x**2' --tangent 3,4 --start 3 --lr 0.8 --out slopes.png

    Example: descend plot '(1-x)**2 + 100*(y-x**2)**2' --start -1.2,1 --method newton --method bfgs --optimizer gd --out race.png
    """
    from descend.expr import function
    from descend.plot import gradient_field, save_figure, surface_3d
    from descend.plot._data import paths_title

    names = [v.strip() for v in variables.split(",")] if variables else None
    fun = function(expression, variables=names)
    if fun.n not in (1, 2):
        fail(
            f"plot draws functions of one or two variables; {expression!r} has {fun.n} "
            f"({', '.join(fun.variables)})"
        )
    if tangent is not None and fun.n != 1:
        fail(f"--tangent draws tangent lines of a one-variable curve; {expression!r} has {fun.n} "
             "variables (for two, the gradient arrows show the slopes)")
    if fun.n == 1 and (surface or animate or ylim):
        fail("--surface, --animate and --ylim are for functions of two variables; a curve "
             "takes --tangent, --start and --xlim")
    xl, yl = _limits(xlim, "--xlim"), _limits(ylim, "--ylim")
    if size is not None and not 200 <= size <= 4000:
        fail(f"--size {size}: give the animation's width in pixels, 200 to 4000, e.g. --size 1000")
    if not 1 <= fps <= 60:
        fail(f"--fps {fps}: give frames per second from 1 to 60, e.g. --fps 10")
    if (size is not None or fps != 10) and not animate:
        fail("--size and --fps are for --animate (the picture's size is fixed)")
    from descend.cli._files import ANIMATION_FORMATS, FIGURE_FORMATS
    from descend.io import OutputPlan, atomic_output, plan_output

    target = plan_output(
        out_path,
        "--out",
        OutputPlan(force=force),
        formats=ANIMATION_FORMATS if animate else FIGURE_FORMATS,
        what="animation" if animate else "figure",
    )
    results = (_descents(fun, start, optimizer, lr, max_iter, method)
               if (start or optimizer or method) else [])
    if fun.n == 1:
        from descend.plot import curve_plot

        points = parse_floats(tangent, "--tangent") if tangent else []
        with atomic_output(target) as tmp:
            save_figure(curve_plot(fun, results or None, tangents=points, xlim=xl), tmp)
        out.print(f"wrote {out_path}", markup=False)
        _exit_as_minimize(results)
        return
    elif animate:
        if not results:
            fail("--animate needs a path to animate: add --start, e.g. --start 3,1")
        from descend.plot import minimize_animation

        with atomic_output(target) as tmp:
            minimize_animation(fun, results, tmp, xlim=xl, ylim=yl, width=size, fps=fps)
        out.print(f"wrote {out_path}", markup=False)
        _exit_as_minimize(results)
        return
    elif surface:
        with atomic_output(target) as tmp:
            save_figure(surface_3d(fun, results or None, xlim=xl, ylim=yl), tmp)
        out.print(f"wrote {out_path}", markup=False)
        _exit_as_minimize(results)
        return
    else:
        fig = gradient_field(
            fun,
            results or None,
            xlim=xl,
            ylim=yl,
            arrows=arrows and len(results) < 2,
            title=paths_title(getattr(fun, "formula", expression), results),
        )
        with atomic_output(target) as tmp:
            save_figure(fig, tmp)
    out.print(f"wrote {out_path}", markup=False)
    _exit_as_minimize(results)


def _descents(fun: Any, start: list[str] | None, optimizer: list[str] | None, lr: str | None,
              max_iter: int | None, method: list[str] | None = None) -> list[Any]:
    """One run of ``minimize`` per (start, optimizer or method), as ``descend minimize`` would
    run it."""
    from descend.cli.minimize import build_optimizer, parse_learning_rate
    from descend.loop import minimize

    starts = list(start) if start else []
    if not starts:
        what = "--optimizer" if optimizer else "--method"
        fail(f"{what} needs --start, the point to descend from, e.g. --start 3,1")
    if method and lr is not None and not optimizer:
        fail("--lr is the learning rate of --optimizer paths; --method newton, bfgs, l-bfgs "
             "and cg choose their own steps (drop --lr or add --optimizer gd)")
    rate = parse_learning_rate(lr)
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
