"""A module that loads on first use: ``np = lazy_module("numpy")``.

The command modules of the CLI are all imported to build ``descend --help``; with NumPy
loaded lazily there, the help (and every tab completion) starts in about the time of Python and
Typer alone. Type checkers see the real module (``if TYPE_CHECKING: import numpy as np``).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule(ModuleType):
    def __init__(self, name: str):
        super().__init__(name)
        self.__dict__["_target"] = None

    def _load(self) -> ModuleType:
        target = self.__dict__["_target"]
        if target is None:
            target = importlib.import_module(self.__name__)
            self.__dict__["_target"] = target
        return target  # type: ignore[no-any-return]

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it at the first attribute access.

    >>> m = lazy_module("fractions")
    >>> m.Fraction(1, 3) + m.Fraction(1, 6)
    Fraction(1, 2)
    """
    return _LazyModule(name)
