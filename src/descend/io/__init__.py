"""Files in and out, guarded: what a command may read, and the one writer of every output.

- :mod:`descend.io._input`: a data, model or checkpoint path is checked before it is opened
  (a regular file, not a device, FIFO or socket; a size cap for model and checkpoint files),
  a DATA argument is a literal path unless it asks for a glob, and a checkpoint names its data
  by a content hash.
- :mod:`descend.io._output`: every file a command writes goes through :func:`plan_output`
  (checked before the work starts: never an input, never a non-regular file, never replaced
  without ``--force``) and :func:`atomic_output` (a temporary file in the same folder, renamed
  over the target, removed on any error or signal).
- :mod:`descend.io._signals`: Ctrl-C and SIGTERM marked and raised at the next step boundary,
  where a run stops cleanly (not inside a numba kernel).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from descend.io._input import (
        GLOB_PREFIX,
        PARQUET_SUFFIXES,
        check_regular_file,
        data_files,
        data_fingerprint,
        json_depth,
        load_json_limited,
        read_small_file,
    )
    from descend.io._output import (
        OutputPlan,
        atomic_output,
        local_path,
        plan_output,
        write_output,
    )
    from descend.io._signals import Terminated, deferred_interrupts, poll, received
    from descend.io._stdin import STDIN, stdin_copy

#: Where each name lives: a command loads only the parts it uses (start-up).
_WHERE = {
    **dict.fromkeys(("GLOB_PREFIX", "PARQUET_SUFFIXES", "check_regular_file", "data_files",
                     "data_fingerprint", "json_depth", "load_json_limited", "read_small_file"),
                    "_input"),
    **dict.fromkeys(("OutputPlan", "atomic_output", "local_path", "plan_output", "write_output"),
                    "_output"),
    **dict.fromkeys(("Terminated", "deferred_interrupts", "poll", "received"), "_signals"),
    **dict.fromkeys(("STDIN", "stdin_copy"), "_stdin"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'descend.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"descend.io.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "GLOB_PREFIX",
    "PARQUET_SUFFIXES",
    "STDIN",
    "OutputPlan",
    "Terminated",
    "atomic_output",
    "check_regular_file",
    "data_files",
    "data_fingerprint",
    "deferred_interrupts",
    "json_depth",
    "load_json_limited",
    "local_path",
    "plan_output",
    "poll",
    "read_small_file",
    "received",
    "stdin_copy",
    "write_output",
]
