"""The ``descend`` command: one verb per sub-command, errors as one line on stderr.

Exit status: 0 the run completed (converged or used its budget), 2 bad usage or input (one
line on stderr, no traceback), 3 the run diverged (the diagnosis is printed).
Command modules register themselves on :data:`app`; :func:`main` is the console entry point.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from descend.errors import DescendError, InputError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DIVERGED = 3

app = typer.Typer(
    name="descend",
    help=(
        "Gradient descent you can see and trust.\n\n"
        "Examples:\n\n"
        "  descend gradient 'x**2 + y**2' --at 3,1\n\n"
        "  descend minimize 'x**2 + x*y + y**2' --start 3,1 --explain\n\n"
        "  descend fit data.csv --lr 0.0001 --max-iter 1000 --no-scale\n\n"
        "  descend sweep houses.csv --lr 0.001,0.01,0.1,1.0\n\n"
        "  descend plot 'x**2 + y**2' --out field.png\n\n"
        "  descend explore 'x**2 + x*y + y**2' --html valley.html"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

F = TypeVar("F", bound=Callable[..., object])


class Diverged(Exception):
    """Raised by a command whose run diverged, after it printed the diagnosis (exit 3)."""


def fail(message: str) -> NoReturn:
    """Stop with one line on stderr and exit status 2 (bad usage or input)."""
    raise InputError(message)


def parse_floats(text: str, option: str) -> list[float]:
    """``"3,1"`` -> ``[3.0, 1.0]``; a bad item names the option and the item."""
    items = [t.strip() for t in text.replace(";", ",").split(",")]
    values: list[float] = []
    for i, item in enumerate(items, start=1):
        try:
            values.append(float(item))
        except ValueError:
            fail(
                f"{option}: item {i} ({item!r}) is not a number; "
                f"give comma-separated numbers, e.g. {option} 3,1"
            )
    return values


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show the library's warnings as ``descend: warning: ...`` lines, once each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                text = " ".join(str(w.message).split())
                if text not in seen and not issubclass(w.category, DeprecationWarning):
                    seen.add(text)
                    err.print(f"descend: warning: {text}", markup=False)


#: Commands whose first argument is a formula, which may start with a minus: '-x**2 + y'.
_FORMULA_COMMANDS = ("gradient", "minimize", "plot", "explore")


def _protect_leading_minus(args: list[str]) -> list[str]:
    """Keep ``descend minimize '-x**2 - y**2' ...`` from being read as an option.

    A formula that starts with ``-`` and cannot be an option name (it holds an operator, a
    digit or a space) gets a leading space, which the formula parser ignores.
    """
    if len(args) >= 2 and args[0] in _FORMULA_COMMANDS:
        first = args[1]
        looks_like_formula = first.startswith("-") and not first.startswith("--") and (
            len(first) > 2 and not first[1:].isalpha()
        )
        if looks_like_formula:
            return [args[0], " " + first, *args[2:]]
    return args


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or exc.__class__.__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: run the app, map errors to exit codes without tracebacks."""
    from descend.cli import commands  # noqa: F401  (registers the sub-commands)

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:  # bare `descend` shows the commands and examples
        args = ["--help"]
    args = _protect_leading_minus(args)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            # Without standalone mode click returns typer.Exit's code instead of raising it.
            rv = app(args=args, prog_name="descend", standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool):
            return rv
    except Diverged:
        return EXIT_DIVERGED
    except (DescendError, ValueError, OSError) as exc:
        err.print(f"descend: error: {_one_line(exc)}", markup=False)
        return EXIT_USAGE
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except KeyboardInterrupt:
        err.print("descend: interrupted", markup=False)
        return 130
    except Exception as exc:
        # Usage errors from the (possibly vendored) click parser: NoSuchOption, BadParameter...
        format_message = getattr(exc, "format_message", None)
        if callable(format_message):
            err.print(f"descend: error: {_one_line(format_message())}", markup=False)
            return int(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
        if exc.__class__.__name__ == "Abort":
            err.print("descend: aborted", markup=False)
            return 130
        raise
    return EXIT_OK
