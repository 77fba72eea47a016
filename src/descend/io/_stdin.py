"""``-`` as DATA: standard input, as Unix tools read it (``zcat d.csv.gz | descend fit -``).

Standard input is read once, to the end, into a private temporary file (removed when the
process ends, :func:`descend.io._compressed.private_folder`); compressed input (gzip, bzip2,
zstd, zip, told by its magic number) is decompressed there. Every reader then sees an ordinary
local file, and :func:`shown` puts ``standard input`` back where a message names the copy.

Nothing can be written over it: when standard input is a file (``descend fit - < d.csv``),
:func:`protect` makes that file an input of the run's output plan, whatever its name.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from descend.errors import DataError

__all__ = ["STDIN", "is_stdin", "protect", "shown", "stdin_copy"]

#: The DATA argument that means standard input.
STDIN = "-"
_COPIES: list[Path] = []  # [the file as read, its decompressed copy (if compressed)]


def stdin_copy() -> Path:
    """Standard input as a local file (read once per process; later calls give the same)."""
    if _COPIES:
        return _COPIES[-1]
    from descend.io._compressed import plain_copy, private_folder

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise DataError("-: there is no standard input to read; pipe the data in or give a file")
    if sys.stdin.isatty():
        raise DataError(
            "-: standard input is a terminal; pipe the data in (descend fit - < data.csv) "
            "or give the file's name"
        )
    raw = private_folder() / "stdin"
    with open(raw, "wb") as dst:
        shutil.copyfileobj(stream, dst, 1 << 20)
    _COPIES.append(raw)
    plain = plain_copy(raw)
    if plain is not None:
        _COPIES.append(plain)
    return _COPIES[-1]


def is_stdin(path: Any) -> bool:
    """Whether ``path`` is the copy of standard input (or ``-`` itself)."""
    return str(path) == STDIN or any(str(path) == str(c) for c in _COPIES)


def protect(plan: Any) -> None:
    """Make the file behind standard input (when it is one) an input of ``plan``."""
    plan.add_input("/dev/stdin", "standard input")


def shown(text: str) -> str:
    """``text`` with the copies' paths named ``standard input``."""
    for copy in _COPIES:
        text = text.replace(f"{copy} (decompressed)", "standard input").replace(
            str(copy), "standard input")
    return text
