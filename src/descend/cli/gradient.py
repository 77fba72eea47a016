"""``descend gradient``: the exact gradient of a typed function, and its value at a point."""

from __future__ import annotations

import typer
from rich.table import Table

from descend.cli import options as o
from descend.cli.app import app, dumps, fail, out, parse_floats


def _fmt(v: float) -> str:
    return f"{v:.10g}"


@app.command("gradient")
def gradient_command(
    expression: str = typer.Argument(
        ..., help="The function as text, e.g. 'x**2 + y**2'. Never executed: parsed safely."
    ),
    at: str = typer.Option(
        None, "--at", help="The point, comma-separated in variable order, e.g. --at 3,1."
    ),
    variables: str = typer.Option(
        None,
        "--variables",
        help="Variable order, e.g. --variables y,x (default: the names found, sorted).",
    ),
    as_json: bool = o.as_json(),
) -> None:
    """Show the exact gradient of EXPRESSION, and its value, magnitude and direction at a point.

    Example: descend gradient 'x**2 + y**2' --at 3,1
    """
    from descend.expr import function

    names = [v.strip() for v in variables.split(",")] if variables else None
    fun = function(expression, variables=names)
    formula = list(fun.gradient_formula)  # type: ignore[attr-defined]
    if at is None:
        if as_json:
            out.print(
                dumps({"variables": list(fun.variables), "gradient": formula}),
                markup=False,
            )
            return
        for var, g in zip(fun.variables, formula, strict=True):
            out.print(f"∂f/∂{var} = {g}", markup=False)
        out.print(f"∇f = [{', '.join(formula)}]", markup=False)
        return

    from descend.cli._points import gradient_info_at

    x = parse_floats(at, "--at")
    if len(x) != fun.n:
        fail(f"--at {at}: expected {fun.n} values for ({', '.join(fun.variables)}), got {len(x)}")
    info = gradient_info_at(fun, x, f"--at {at}")
    if as_json:
        out.print(dumps(info.to_dict()), markup=False)
        return

    point = ", ".join(_fmt(v) for v in info.point)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("variable")
    table.add_column("∂f/∂variable")
    table.add_column(f"at ({point})", justify="right")
    for var, g, v in zip(fun.variables, formula, info.value, strict=True):
        table.add_row(var, g, _fmt(float(v)))
    out.print(f"f({', '.join(fun.variables)}) = {fun.formula}", markup=False)  # type: ignore[attr-defined]
    out.print(table)
    vec = ", ".join(_fmt(float(v)) for v in info.value)
    out.print(f"∇f({point}) = [{vec}]", markup=False)
    out.print(f"f({point}) = {_fmt(info.fun_value)}", markup=False)
    out.print(
        f"magnitude |∇f| = {_fmt(info.magnitude)}  (the steepness: how fast f rises per unit step)",
        markup=False,
    )
    if info.magnitude > 0:
        d = ", ".join(f"{float(v):.6g}" for v in info.direction)
        neg = ", ".join(f"{-float(v):.6g}" for v in info.direction)
        out.print(f"direction of steepest ascent  = [{d}]", markup=False)
        out.print(f"direction of steepest descent = [{neg}]", markup=False)
    else:
        out.print(
            "the gradient is zero here: a stationary point (minimum, maximum or saddle)",
            markup=False,
        )
