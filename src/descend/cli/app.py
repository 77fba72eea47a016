"""The ``descend`` command: one verb per sub-command, errors as one line on stderr.

Exit status: 0 the run completed (converged or used its budget), 1 a bug in descend (any
exception but descend's own errors and the system refusing a file: its traceback), 2 bad usage
or input (one line on stderr, no traceback), 3 the run diverged (the diagnosis is printed), 130 stopped by
Ctrl-C, 143 stopped by SIGTERM.
Command modules register themselves on :data:`app`; :func:`main` is the console entry point.

Habits of the ecosystem's CLIs: ``descend --version``, ``python -m descend``, shell completion
(``descend --install-completion``/``--show-completion``, Typer's), ``fit``'s options in help
panels, and ``NO_COLOR`` (https://no-color.org) honoured by the help and every table.
"""

from __future__ import annotations

import errno
import inspect
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from descend.cli._terms import to_flags
from descend.cli.options import CHOICES  # the registries behind options' choices
from descend.errors import DescendError, InputError

EXIT_OK = 0
EXIT_BUG = 1  # anything but descend's own errors: a traceback, the bug is descend's
EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # the shell's convention: 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

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
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

F = TypeVar("F", bound=Callable[..., object])


def _print_version(value: bool) -> None:
    if value:
        from descend import __version__

        out.print(f"descend {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print descend's version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    # The root's only job is --version (and Typer's completion options); each verb is a command.
    return None


def storage_option_flag(**more: Any) -> Any:
    """``--storage-option KEY=VALUE`` (kept for the command modules that call it by this name;
    declared in :mod:`descend.cli.options`)."""
    from descend.cli import options

    return options.storage_option(more.get("rich_help_panel"))


def _command_of(args: Sequence[str]) -> str | None:
    """The sub-command a command line (or a shell's completion request) is about."""
    words = list(args)
    if os.environ.get("_DESCEND_COMPLETE"):
        words = os.environ.get("COMP_WORDS", "").split()[1:]
    return next((w for w in words if not w.startswith("-")), None)


def _choices_for(command: str | None) -> None:
    """Show the values of ``command``'s options listed in :data:`CHOICES` and complete them.

    The option's help shows ``<a|b|c>`` and the shell completes the names; the values are
    still checked where they are used, whose messages suggest the nearest name ("did you mean
    'adam'?"). The names come from the registries (the losses' through a checked copy), read
    only for the command being run.
    """
    from typer.models import ParameterInfo

    for cmd in app.registered_commands:
        name = str(cmd.name or getattr(cmd.callback, "__name__", ""))
        if cmd.callback is None or name != command:
            continue
        for param in inspect.signature(cmd.callback).parameters.values():
            load = CHOICES.get((name, param.name))
            info = param.default
            if load is None or not isinstance(info, ParameterInfo) or info.metavar:
                continue
            try:
                values = load()
            except ModuleNotFoundError:  # an extra is missing: the command will say which
                continue
            info.metavar = "<" + "|".join(values) + ">"
            info.autocompletion = _completer(values)


def _completer(values: tuple[str, ...]) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return complete


_help_ready = False


def _prepare_help() -> None:
    """Escape ``[...]`` in the help texts, once, before Typer builds the commands.

    The help is rendered with Rich (for ``fit``'s panels), whose markup would otherwise eat
    ``[default: the last]`` as a style tag.
    """
    global _help_ready
    if _help_ready:
        return
    from rich.markup import escape
    from typer.models import ParameterInfo

    for command in app.registered_commands:
        if command.callback is None:
            continue
        for param in inspect.signature(command.callback).parameters.values():
            info = param.default
            if not isinstance(info, ParameterInfo):
                continue
            if info.help:
                info.help = escape(info.help)
    _help_ready = True


def _no_color() -> None:
    """Honour ``NO_COLOR`` (set and not empty): no colour in tables, warnings or help."""
    if os.environ.get("NO_COLOR", ""):
        import typer.rich_utils

        typer.rich_utils.COLOR_SYSTEM = None
        out.no_color = err.no_color = True


class Diverged(Exception):
    """Raised by a command whose run diverged, after it printed the diagnosis (exit 3)."""


def fail(message: str) -> NoReturn:
    """Stop with one line on stderr and exit status 2 (bad usage or input)."""
    raise InputError(message)


def parse_floats(text: str, option: str) -> list[float]:
    """``"3,1"`` -> ``[3.0, 1.0]``; a bad item names the option and the item.

    ``nan``, ``inf`` and numbers beyond float64 (``1e400``) are refused: no answer computed
    from them would mean anything.
    """
    items = [t.strip() for t in text.replace(";", ",").split(",")]
    values: list[float] = []
    for i, item in enumerate(items, start=1):
        try:
            v = float(item)
        except ValueError:
            fail(
                f"{option}: item {i} ({item!r}) is not a number; "
                f"give comma-separated numbers, e.g. {option} 3,1"
            )
        if not math.isfinite(v):
            fail(
                f"{option}: item {i} ({item!r}) is not a finite number; give numbers between "
                f"-1.8e308 and 1.8e308, e.g. {option} 3,1"
            )
        values.append(v)
    return values


def _finite_or_none(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """``--json`` output: always valid JSON. A non-finite number in a report field (the
    loss of a diverged run) becomes ``null``; answers are checked finite before this."""
    return json.dumps(_finite_or_none(obj), allow_nan=False, default=_jsonable)


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        return _finite_or_none(obj.tolist())
    if isinstance(obj, np.generic):
        return _finite_or_none(obj.item())
    return str(obj)


def printable(text: object) -> str:
    """``text`` safe for a terminal: control characters (ANSI escape sequences from a column
    name, say) shown as escapes instead of being obeyed; standard input's private copy
    (``descend fit -``) named ``standard input``."""
    s = _stdin_named(str(text))
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


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
                text = to_flags(" ".join(str(w.message).split()))
                if _held(w.category, text):
                    continue
                if text not in seen and not _unshown(w.category, text):
                    seen.add(text)
                    err.print(f"descend: warning: {printable(text)}", markup=False)


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """One ``descend: warning: ...`` line (in the CLI's words), not Python's two-line form
    with a source line (a library or NumPy warning met outside :func:`warnings_to_stderr`)."""
    text = to_flags(" ".join(str(message).split()))
    if _held(category, text) or _unshown(category, text) or text in _SHOWN:
        return
    _SHOWN.add(text)
    err.print(f"descend: warning: {printable(text)}", markup=False)


_SHOWN: set[str] = set()  # each warning once (two readers of one file say the same)
_NOTES: list[str] = []  # how files were read (ReadNoteWarning): said at the end, or in the error


def _held(category: type[Warning], text: str) -> bool:
    """Hold a note on how a file was read: the command's last stderr line, or inside its
    one-line refusal if the file then fails (one line on stderr for a user's mistake)."""
    from descend.errors import ReadNoteWarning

    if not issubclass(category, ReadNoteWarning):
        return False
    if text not in _NOTES:
        _NOTES.append(text)
    return True


def _say_notes() -> None:
    for text in _NOTES:
        err.print(f"descend: warning: {printable(text)}", markup=False)
    _NOTES.clear()
# NumPy's floating-point warnings ("overflow encountered in multiply") name no file, option
# or fix; what they mean for a run reaches the user as its verdict and messages
_NUMPY_FP = re.compile(r"^(overflow|underflow|invalid value|divide by zero) encountered in ")


def _unshown(category: type[Warning], text: str) -> bool:
    return issubclass(category, DeprecationWarning) or (
        issubclass(category, RuntimeWarning) and _NUMPY_FP.match(text) is not None)


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
    text = printable(to_flags(" ".join(str(exc).split())))
    return text or exc.__class__.__name__


def _interrupt(exc: BaseException | None) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt (Ctrl-C, or SIGTERM as :class:`~descend.io.Terminated`) behind
    ``exc``: itself, or one in its chain (click's Abort, numba's SystemError, Dask's AllExit)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _interrupted(exc: BaseException) -> int:
    from descend.io import Terminated

    if isinstance(_interrupt(exc), Terminated):
        err.print("descend: terminated (SIGTERM)", markup=False)
        return EXIT_TERMINATED
    err.print("descend: interrupted", markup=False)
    return EXIT_INTERRUPTED


def _stdin_named(text: str) -> str:
    """``text`` naming standard input where it names its private copy (``descend fit -``)."""
    stdin = sys.modules.get("descend.io._stdin")
    return text if stdin is None else str(stdin.shown(text))


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: run the app, map errors to exit codes without tracebacks.

    Ctrl-C exits 130 and SIGTERM 143; during a descent both are raised at the next step
    boundary (:func:`descend.io.deferred_interrupts`), so a checkpointed fit saves first.
    """
    from descend.cli.commands import register
    from descend.io import deferred_interrupts

    args = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(args)
    register(command)  # the sub-command's module only (all of them for --help)
    _prepare_help()
    _no_color()
    _choices_for(command)
    if not args:  # bare `descend` shows the commands and examples
        args = ["--help"]
    args = _protect_leading_minus(args)
    try:
        with warnings.catch_warnings(), deferred_interrupts():
            warnings.simplefilter("default")
            _SHOWN.clear()
            _NOTES.clear()
            warnings.showwarning = _show_warning  # a warning met outside warnings_to_stderr
            # Without standalone mode click returns typer.Exit's code instead of raising it.
            rv = app(args=args, prog_name="descend", standalone_mode=False)
        _say_notes()
        if isinstance(rv, int) and not isinstance(rv, bool):
            return rv
    except Diverged:
        _say_notes()
        return EXIT_DIVERGED
    except (DescendError, OSError) as exc:
        if _interrupt(exc) is not None:
            return _interrupted(exc)
        if isinstance(exc, OSError) and _out_of_memory(exc):
            return _no_memory()
        if isinstance(exc, OSError) and not _users_file(exc):
            return _bug(exc)
        notes = f" ({'; '.join(_NOTES)})" if _NOTES else ""
        _NOTES.clear()
        err.print(f"descend: error: {_one_line(exc)}{notes}", markup=False)
        return EXIT_USAGE
    except typer.Exit as exc:
        _say_notes()
        return int(exc.exit_code or 0)
    except ModuleNotFoundError as exc:  # an optional library a command needs (descend[...])
        from descend._optional import missing_extra

        message = missing_extra(exc)
        if message is None:
            return _bug(exc)
        err.print(f"descend: error: {message}", markup=False)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except MemoryError:  # the machine's or ulimit -v's limit, met inside a library
        return _no_memory()
    except Exception as exc:
        if _interrupt(exc) is not None or exc.__class__.__name__ in ("Abort", "AllExit"):
            return _interrupted(exc)
        # Usage errors from the (possibly vendored) click parser: NoSuchOption, BadParameter...
        format_message = getattr(exc, "format_message", None)
        if callable(format_message):
            err.print(f"descend: error: {_one_line(format_message())}", markup=False)
            return int(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
        return _bug(exc)
    return EXIT_OK


#: What the system says about a file the user named: a mistake in the input, not a bug.
_FILE_ERRNOS = frozenset(
    getattr(errno, name) for name in (
        "ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EEXIST", "EROFS", "ENOSPC", "EDQUOT",
        "ENAMETOOLONG", "ELOOP", "EFBIG", "ENXIO", "EBUSY", "ETXTBSY",
    ) if hasattr(errno, name)
)


def _users_file(exc: OSError) -> bool:
    """Whether ``exc`` is the system refusing a path (a missing file, no permission, a full
    disk): the user's to fix, exit 2. Any other OSError reaching the CLI is a bug."""
    return exc.filename is not None or exc.errno in _FILE_ERRNOS


def _out_of_memory(exc: OSError) -> bool:
    """An OSError that is memory running out: ENOMEM, or the JIT's library failing to load
    (``dlopen``) under an address-space limit (``ulimit -v``)."""
    if exc.errno == errno.ENOMEM:
        return True
    try:
        import resource

        limited = resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY
    except (ImportError, OSError, ValueError):  # pragma: no cover - not on Windows
        return False
    return limited and "libllvmlite" in str(exc)


def _no_memory() -> int:
    err.print("descend: error: out of memory (an allocation failed; nothing was written); "
              "free memory or raise the process limit (ulimit -v); for a large file, "
              "--engine stream with a smaller --chunk-rows needs less", markup=False)
    return EXIT_USAGE


def _bug(exc: BaseException) -> int:
    """Anything but descend's own errors is a bug in descend: its traceback, then exit 1."""
    import traceback

    traceback.print_exception(exc, file=sys.stderr)
    err.print(
        f"descend: internal error ({type(exc).__name__}): a bug in descend, not in your input; "
        "please report it with the traceback above",
        markup=False,
    )
    return EXIT_BUG
