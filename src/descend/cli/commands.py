"""Registers the sub-commands on the app: each command module adds its own when imported.

A command line names one sub-command; only its module is imported (``descend fit ...`` does not
build the options of the six others). ``descend --help``, a bare ``descend``, a mistyped
command and the shell's completion import them all, to list them.
"""

from __future__ import annotations

import importlib
import os

__all__ = ["MODULES", "register"]

MODULES = ("gradient", "minimize", "fit", "predict", "sweep", "plot", "explore", "doctor")


def register(command: str | None = None) -> None:
    """Import the module of ``command``, or of every command when it is not one of them."""
    wanted = (command,) if command in MODULES and not os.environ.get("_DESCEND_COMPLETE") else (
        MODULES)
    for name in wanted:
        importlib.import_module(f"descend.cli.{name}")
