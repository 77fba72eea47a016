"""The ``descend`` command-line interface (Typer). Only this layer prints or exits."""

from __future__ import annotations

import sys

from descend.cli.app import app


def main() -> None:
    """Console-script entry point."""
    from descend.cli.app import main as _main

    sys.exit(_main())


__all__ = ["app", "main"]
