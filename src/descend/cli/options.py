"""The options several commands share, declared once: flag, help and default.

A command writes ``max_iter: int = options.max_iter(1000, panel="Stopping")``; the flag is
the one of :data:`descend.cli._terms.FLAGS` (one spelling per concept) and the help the same
everywhere. Options whose values come from a registry (``--optimizer``, ``--loss``,
``--engine``) do not list them in their help: :data:`CHOICES` names the registry, and
``descend.cli.app`` shows its names as the option's choices (``<gd|momentum|...>``) and
completes them, reading the registry only for the command being run (``descend --help`` loads
no NumPy). tests/cli/test_options.py checks that the defaults here are the library's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from descend.cli._terms import FLAGS

__all__ = [
    "CHOICES", "as_json", "data", "engine", "features", "force", "gtol", "html", "init", "loss",
    "option",
    "lr", "max_iter", "n_iter_no_change", "optimizer", "plot", "quiet", "read_learning_rate",
    "storage_option",
    "target", "target_loss", "time_limit", "tol",
]


def _option(default: Any, param: str | None, flags: tuple[str, ...], help: str,
            panel: str | None, **more: Any) -> Any:
    names = flags if flags or param is None else (FLAGS[param].on,)
    if panel is not None:
        more["rich_help_panel"] = panel
    return typer.Option(default, *names, help=help, **more)


# --------------------------------------------------------------------------- data


def data(help: str) -> Any:
    """The DATA argument."""
    return typer.Argument(..., help=help)


def target(panel: str | None = None) -> Any:
    return _option(None, None, ("--target",), "Target column [default: the last].", panel)


def features(panel: str | None = None, example: str = ", e.g. size,rooms") -> Any:
    return _option(None, None, ("--features",),
                   f"Feature columns{example} [default: all the others].", panel)


def storage_option(panel: str | None = None) -> Any:
    """``--storage-option KEY=VALUE``, the same on every command that reads data by URL."""
    return _option(
        None, None, ("--storage-option",),
        "For a URL DATA: an fsspec storage option, repeatable; a dotted key nests, e.g. "
        "endpoint_url=http://127.0.0.1:9000, client_kwargs.region_name=eu-west-1, anon=true.",
        panel, metavar="KEY=VALUE", show_default=False,
    )


# --------------------------------------------------------------------------- the descent


def optimizer(default: str | None, help: str, panel: str | None = None) -> Any:
    """``--optimizer``; its names are the optimizers' registry's (see :data:`CHOICES`)."""
    return _option(default, "optimizer", (), help, panel)


def lr(default: str | None, help: str, panel: str | None = None) -> Any:
    """``--lr``: text, read by :func:`read_learning_rate` (every command, one place)."""
    return _option(default, "learning_rate", (), help, panel)


def read_learning_rate(text: str | None, *, line_search: bool = True) -> Any:
    """``--lr`` text -> the library's ``learning_rate``: a number, a schedule, ``"auto"`` or
    ``"armijo"`` (:func:`descend.optim.parse_learning_rate`); ``None`` stays ``None`` (the
    library's default). Nothing is resolved here: ``"auto"`` becomes a number where the
    curvature is known, in the library. ``line_search=False``: a fit has no line search."""
    if text is None:
        return None
    from descend.errors import InputError
    from descend.optim import parse_learning_rate

    if not line_search and text.strip().lower() == "armijo":
        raise InputError(
            "learning_rate='armijo': a fit takes a positive number, 'auto', or a schedule "
            "such as exp:0.1,0.99", param="learning_rate", value=text,
        )
    return parse_learning_rate(text)


def loss(panel: str | None = None) -> Any:
    """``--loss``; its names are the losses' registry's (see :data:`CHOICES`)."""
    return _option("squared_error", "loss", (), "The loss the fit minimises.", panel)


def engine(help: str, panel: str | None = None) -> Any:
    """``--engine``; its names are the engines' registry's (see :data:`CHOICES`)."""
    return _option("auto", "engine", (), help, panel)


def init(help: str, panel: str | None = None) -> Any:
    return _option(None, "init", (), help, panel)


# --------------------------------------------------------------------------- stopping rules


def max_iter(default: int | None, help: str = "Most steps to take.",
             panel: str | None = None) -> Any:
    return _option(default, "max_iter", (), help, panel)


def tol(default: float | None, help: str, panel: str | None = None) -> Any:
    return _option(default, "tol", (), help, panel)


def n_iter_no_change(default: int | None, help: str, panel: str | None = None) -> Any:
    return _option(default, "n_iter_no_change", (), help, panel)


def gtol(help: str = "Stop once the gradient norm <= this.", panel: str | None = None) -> Any:
    return _option(None, "gtol", (), help, panel)


def target_loss(help: str = "Stop once the loss <= this.", panel: str | None = None) -> Any:
    return _option(None, "target_loss", (), help, panel)


def time_limit(help: str = "Stop after this many seconds.", panel: str | None = None) -> Any:
    return _option(None, "time_limit", (), help, panel)


# --------------------------------------------------------------------------- output


def as_json(panel: str | None = None) -> Any:
    return _option(False, None, ("--json",), "Print one JSON object instead of text.", panel)


def quiet(help: str = "Print only the results.", panel: str | None = None) -> Any:
    return _option(False, None, ("--quiet", "-q"), help, panel)


def force(outputs: str, panel: str | None = None) -> Any:
    return _option(False, None, ("--force",), f"Let {outputs} replace an existing file.", panel)


def plot(help: str, panel: str | None = None) -> Any:
    return _option(None, None, ("--plot",), help, panel)


def html(help: str = "Write a self-contained interactive report.",
         panel: str | None = None) -> Any:
    return _option(None, None, ("--html",), help, panel)


# --------------------------------------------------------------------------- registries


def _optimizer_names() -> tuple[str, ...]:
    from descend.optim.registry import OPTIMIZERS

    return tuple(OPTIMIZERS)


def _loss_names() -> tuple[str, ...]:
    # The losses' registry, descend.losses.LOSS_REGISTRY, loads NumPy and the kernels' facade:
    # `descend fit --help` and every tab completion would pay for them. Its names are copied
    # here unless it is loaded; tests/cli/test_cli_habits.py keeps the copy equal to it.
    losses = sys.modules.get("descend.losses")
    return tuple(losses.LOSSES) if losses is not None else ("squared_error", "huber", "absolute_error")


def _engine_names() -> tuple[str, ...]:
    from descend.data.engine import ENGINES

    return tuple(ENGINES)


def _fit_optimizer_names() -> tuple[str, ...]:
    # fit's own choices first: auto (the default) and the preconditioned solver
    return ("auto", "preconditioned", *_optimizer_names())


def _fit_engine_names() -> tuple[str, ...]:
    names = _engine_names()
    return names if "auto" in names else ("auto", *names)


#: (command, parameter) -> the registry that holds its values; shown and completed as choices.
CHOICES: dict[tuple[str, str], Callable[[], tuple[str, ...]]] = {
    ("fit", "optimizer"): _fit_optimizer_names,
    ("fit", "loss"): _loss_names,
    ("fit", "engine"): _fit_engine_names,
    ("minimize", "optimizer"): _optimizer_names,
}


def option(default: Any, flags: str, help: str, panel: str | None = None, **more: Any) -> Any:
    """An option of one command only (``"--scale/--no-scale"`` for a boolean's two flags)."""
    return _option(default, None, (flags,), help, panel, **more)
