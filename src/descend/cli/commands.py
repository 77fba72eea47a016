"""Imports every command module so each registers its sub-command on the app."""

from __future__ import annotations

import importlib

_MODULES = ("gradient", "minimize", "fit", "predict", "sweep", "plot", "explore")

for _name in _MODULES:
    try:
        importlib.import_module(f"descend.cli.{_name}")
    except ModuleNotFoundError as exc:  # a module still being written
        if exc.name != f"descend.cli.{_name}":
            raise
