"""``descend minimize``: gradient descent on a typed function, with the stop reason."""

from __future__ import annotations

import math
from typing import Any

import typer

from descend.cli._terms import to_flags
from descend.cli.app import Diverged, app, dumps, err, fail, out, parse_floats, warnings_to_stderr
from descend.cli.options import read_learning_rate
from descend.cli.pictures import check_outputs, minimize_pictures


def build_optimizer(name: str | None, learning_rate: Any, hyperparams: dict[str, Any]) -> Any:
    """The optimizer the options describe, or None for minimize's default method."""
    from descend.optim import get_optimizer

    given = {k: v for k, v in hyperparams.items() if v is not None}
    if name is None:
        if not given and learning_rate is None:
            return None
        name = "gd" if not given else _infer_name(given)
    kwargs = dict(given)
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return get_optimizer(name, **kwargs)


def parse_bounds_option(text: str | None, variables: tuple[str, ...]) -> dict[str, Any] | None:
    """``--bounds x=0:,y=-1:1``: per variable ``lower:upper``, either side left empty for free.

    >>> parse_bounds_option("x=0:,y=-1:1", ("x", "y"))
    {'x': (0.0, None), 'y': (-1.0, 1.0)}
    """
    if text is None:
        return None
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        name, eq, rng = part.partition("=")
        lo, colon, hi = rng.partition(":")
        if not eq or not colon or not name.strip():
            fail(f"--bounds {text}: write each bound as NAME=LOWER:UPPER (either side may be "
                 f"empty), e.g. x=0:,y=-1:1; got {part!r}")
        name = name.strip()
        if name not in variables:
            fail(f"--bounds {text}: {name!r} is not a variable of the function "
                 f"({', '.join(variables)})")
        try:
            pair = tuple(float(v) if v.strip() else None for v in (lo, hi))
        except ValueError:
            fail(f"--bounds {text}: the bounds of {name} must be numbers, got {rng!r}")
        if pair[0] is not None and pair[1] is not None and pair[0] > pair[1]:
            fail(f"--bounds {text}: lower {pair[0]:g} > upper {pair[1]:g} for {name}: no "
                 "point satisfies them; give lower <= upper")
        out[name] = pair
    return out


def _infer_name(given: dict[str, Any]) -> str:
    if "b1" in given or "b2" in given:
        return "adam"
    if "momentum" in given:
        return "momentum"
    return "gd"


def _fmt(v: float) -> str:
    return f"{v:.10g}"


_METHOD_HELP = (
    "newton (exact Hessian), bfgs, l-bfgs (with --bounds), cg, or gd (the tutorials' "
    "gradient descent with a line-searched step) [default: newton; l-bfgs with --bounds].")
_BOUNDS_HELP = ("Box constraints NAME=LOWER:UPPER, either side may be empty, e.g. x=0:,y=-1:1 "
                "(runs l-bfgs projected onto the box).")
_OPTIMIZER_HELP = ("A first-order optimizer: gd, momentum, nesterov, adagrad, rmsprop, adam or "
                   "adamw (with --lr and its hyper-parameters).")
_LR_HELP = ("Learning rate: a number, 'auto' (1/L from the curvature), 'armijo' (line search) "
            "or a schedule: exp:0.1,0.99 | step:0.1,100,0.5 | invtime:0.1,0.01 | cosine:0.1,1000.")
_TOL_HELP = ("Stop when f changes by <= tol (relative) over --n-iter-no-change steps "
             "[default: 1e-10].")


@app.command("minimize")
def minimize_command(
    expression: str = typer.Argument(..., help="The function as text, e.g. 'x**2 + x*y + y**2'."),
    start: str = typer.Option(..., "--start", help="Starting point in variable order, e.g. 3,1."),
    method: str = typer.Option(None, "--method", help=_METHOD_HELP),
    bounds: str = typer.Option(None, "--bounds", help=_BOUNDS_HELP),
    optimizer: str = typer.Option(None, "--optimizer", help=_OPTIMIZER_HELP),
    lr: str = typer.Option(None, "--lr", help=_LR_HELP),
    momentum: float = typer.Option(None, "--momentum", help="Momentum factor (momentum, nesterov, rmsprop)."),
    b1: float = typer.Option(None, "--b1", help="Adam's first-moment decay (torch's betas[0])."),
    b2: float = typer.Option(None, "--b2", help="Adam's second-moment decay (torch's betas[1])."),
    eps: float = typer.Option(None, "--eps", help="Denominator guard of adagrad/rmsprop/adam."),
    weight_decay: float = typer.Option(None, "--weight-decay", help="L2 penalty (decoupled for adamw)."),
    max_iter: int = typer.Option(None, "--max-iter", help="Most steps to take [default: the library's]."),
    target_loss: float = typer.Option(None, "--target-loss", help="Stop once f <= this value."),
    gtol: float = typer.Option(None, "--gtol", help="Stop once |grad f| <= this value."),
    tol: float = typer.Option(None, "--tol", help=_TOL_HELP),
    n_iter_no_change: int = typer.Option(
        None, "--n-iter-no-change", help="The window of the --tol rule, in steps [default: 100]."),
    time_limit: float = typer.Option(None, "--time-limit", help="Stop after this many seconds."),
    variables: str = typer.Option(None, "--variables", help="Variable order, e.g. y,x."),
    explain: bool = typer.Option(
        False, "--explain", help="Write out the first steps b = a - gamma * grad f(a)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    plot: str = typer.Option(None, "--plot", help="Write the contour plot with the path (.png/.svg/.pdf)."),
    animate: str = typer.Option(None, "--animate", help="Write an animation of the descent (.gif/.mp4)."),
    html: str = typer.Option(None, "--html", help="Write a self-contained interactive HTML report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = typer.Option(
        False, "--force", help="Let --plot/--animate/--html replace an existing file."),
) -> None:
    """Minimise EXPRESSION from --start; print the answer and why it stopped.

    Example: descend minimize 'x**2 + x*y + y**2' --start 3,1 --method gd --lr 0.1 --explain
    """
    fun, x0 = _function_and_start(expression, start, variables)
    hyper = {"momentum": momentum, "b1": b1, "b2": b2, "eps": eps, "weight_decay": weight_decay}
    opt, extra = _method(method, optimizer, read_learning_rate(lr), hyper)
    box = parse_bounds_option(bounds, fun.variables)
    if box is not None:
        extra["bounds"] = box
    if (fun.n != 2 and animate) or (fun.n > 2 and plot):
        fail(f"--plot draws functions of one or two variables, --animate of two; this one has {fun.n}")
    from descend.io import OutputPlan

    check_outputs(plot=plot, animate=animate, html=html, plan=OutputPlan(force=force))
    limits = {"max_iter": max_iter, "target_loss": target_loss, "gtol": gtol, "tol": tol,
              "n_iter_no_change": n_iter_no_change, "time_limit": time_limit}
    result = _run(fun, x0, opt, {k: v for k, v in limits.items() if v is not None}, extra,
                  max_iter, quiet=quiet or as_json)
    _show(fun, result, as_json=as_json, explain=explain)
    minimize_pictures(fun, [result], plot=plot, animate=animate, html=html,
                      expression=expression, quiet=quiet or as_json)
    _exit(result)


def _function_and_start(expression: str, start: str, variables: str | None) -> tuple[Any, Any]:
    """The typed function and ``--start`` (one value per variable, inside the domain)."""
    from descend.expr import function

    names = [v.strip() for v in variables.split(",")] if variables else None
    fun = function(expression, variables=names)
    x0 = parse_floats(start, "--start")
    if len(x0) != fun.n:
        fail(
            f"--start {start}: expected {fun.n} values for ({', '.join(fun.variables)}), "
            f"got {len(x0)}"
        )
    from descend.cli._points import gradient_info_at

    gradient_info_at(fun, x0, f"--start {start}")  # a start outside the domain is not a run
    return fun, x0


def _method(method: str | None, optimizer: str | None, learning_rate: Any,
            hyper: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The optimizer (or None: minimize's default method) and ``method=`` for the library:
    ``--method gd --lr 0.1`` names a first-order optimizer, ``--method newton`` a method."""
    opt = build_optimizer(optimizer, learning_rate, hyper)
    extra: dict[str, Any] = {}
    if method is not None:
        from descend.loop.second_order import method_name

        if method_name(method) is None and opt is not None:  # --method gd --lr 0.1
            if optimizer is not None:
                fail("--method and --optimizer both name an optimizer; give one")
            opt = build_optimizer(method, learning_rate, hyper)
        else:
            extra["method"] = method
    return opt, extra


def _run(fun: Any, x0: Any, opt: Any, limits: dict[str, Any], extra: dict[str, Any],
         max_iter: int | None, *, quiet: bool) -> Any:
    """The library's ``minimize`` under a progress bar; Ctrl-C/SIGTERM stop it at a step."""
    from descend.cli.progress import descent_progress, every
    from descend.io import poll
    from descend.loop import minimize

    with warnings_to_stderr(), descent_progress(max_iter, quiet=quiet) as bar:
        # poll: Ctrl-C/SIGTERM raised at a step boundary, where the loop stops cleanly
        callback = every(bar, poll)
        return minimize(fun, x0, optimizer=opt, callback=callback, **limits, **extra)


def _show(fun: Any, result: Any, *, as_json: bool, explain: bool) -> None:
    """The result as JSON, or as the table (and ``--explain``'s first steps)."""
    if as_json:
        out.print(dumps(result.to_dict()), markup=False)
        return
    _print_result(fun, result)
    if explain:
        from descend.loop import explain_steps

        out.print("")
        rule = "H^-1 grad f(a)" if result.optimizer == "newton" else "gamma * grad f(a)"
        out.print(f"The first steps, b = a - {rule}:", markup=False)
        for line in explain_steps(fun, result, k=3):
            out.print(f"  {line}", markup=False)


def _exit(result: Any) -> None:
    """Exit 128 + the signal after an interruption, 3 (:class:`Diverged`) after a failed
    verdict (its sentence on stderr); else return (exit 0)."""
    if str(result.status) == "interrupted":  # stopped by Ctrl-C: not a minimum, say so
        from descend.io import received

        err.print(
            f"descend: interrupted after {result.nit} iterations; the last point is not a "
            "minimum (nothing was shown to converge)",
            markup=False,
        )
        raise typer.Exit(128 + int(received() or 2))
    from descend.loop.verdict import FAILED

    verdict = result.verdict
    if verdict in FAILED:
        message = to_flags(" ".join(result.message.split()))
        word = verdict.replace("_", " ")
        prefix = "" if message.startswith(word) else f"{word}: "
        err.print(f"descend: {prefix}{message}", markup=False)
        raise Diverged()


#: The first row's label: only a converged run may say "minimum".
_WHERE = {
    "converged": "minimum near",
    "not_a_minimum": "stationary point (not a minimum)",
    "diverged": "last finite point",
    "unbounded_below": "last finite point",
}


#: Verdicts whose sentence goes to stderr (the library's warning, or the failure's diagnosis):
#: the table shows their word only, so the sentence is printed once.
_SAID_ON_STDERR = frozenset(
    {"not_a_minimum", "stalled", "budget_spent", "diverged", "oscillating", "unbounded_below"}
)


def _print_result(fun: Any, result: Any) -> None:
    from rich.table import Table  # only for minimize's own table (descend plot runs without it)

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    point = ", ".join(
        f"{v} = {_fmt(float(x))}" for v, x in zip(fun.variables, result.x, strict=True)
    )
    where = _WHERE.get(str(result.verdict), "stopped at")
    if result.info.get("verdict", {}).get("active_bounds") and result.success:
        where = "minimum on the bounds at"
    table.add_row(where, point)
    table.add_row("f", _fmt(float(result.fun)))
    table.add_row("|grad f|", f"{math.hypot(*(float(v) for v in result.jac)):.3g}")
    table.add_row("iterations", str(result.nit))
    if "method" in result.info:  # a second-order method: no learning rate, its evaluations
        table.add_row("method", str(result.optimizer))
        table.add_row("evaluations",
                      f"f {result.nfev}, grad {result.njev}, Hessian {result.nhev}")
    else:
        table.add_row("optimizer", str(result.optimizer))
        lr = result.learning_rate
        table.add_row("learning rate", _fmt(lr) if isinstance(lr, float) else str(lr))
    from rich.text import Text

    stopped = str(result.info.get("stopped", result.message))
    word = str(result.verdict)
    if word in _SAID_ON_STDERR:  # the sentence is the warning or error: printed once, there
        verdict_text = word
        if word == "not_a_minimum":  # what the point is (saddle, maximum); the way out: stderr
            verdict_text += f" ({result.message.split(':', 1)[0]})"
        if stopped.startswith(result.message.rsplit(" [", 1)[0]):
            grew = ("the loss or its gradient became non-finite"
                    if (result.info.get("diagnosis") or {}).get("cause") == "not differentiable"
                    else "the loss grew without bound")
            stopped = {"diverged": grew,
                       "unbounded_below": "the loss fell without bound"}.get(word, word)
    else:  # the word, then its sentence: the message up to the stopping rule's, in brackets
        verdict_text = result.message.rsplit(" [", 1)[0]
        if not verdict_text.startswith(word):
            verdict_text = f"{word}: {verdict_text}"
    table.add_row("verdict", Text(to_flags(verdict_text)))  # Text: brackets are not markup
    table.add_row("stopped", Text(f"{result.status}: {to_flags(stopped)}"))
    table.add_row("time", f"{result.elapsed * 1000:.3g} ms")
    out.print(table)
