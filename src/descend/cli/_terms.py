"""Library terms -> command-line flags, for the messages the CLI prints.

The library speaks in parameter names (``learning_rate='auto'``, ``max_iter = 1000``,
``scale=True``); a user of the command line typed flags, so the CLI rewrites those names into
its flags before printing (``--lr auto``, ``--max-iter 1000``, ``--scale``). Names the
command does not have are left as they are.

>>> to_flags("raise max_iter, or use learning_rate='auto' (--lr auto)")
'raise --max-iter, or use --lr auto'
>>> to_flags("reached max_iter = 1000 with gradient norm 0.1 > gtol = 1e-06")
'reached --max-iter 1000 with gradient norm 0.1 > --gtol 1e-06'
>>> to_flags("Standardise the features (scale=True, --scale; ...)")
'Standardise the features (--scale; ...)'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["to_flags"]

#: Parameters whose CLI flag is the name with dashes.
_NAMED = ("max_iter", "time_limit", "target_loss", "gtol", "tol", "n_iter_no_change",
          "batch_size", "random_state",
          "chunk_rows", "weight_decay", "alpha", "huber_scale", "fit_intercept")

def _flag(match: re.Match[str]) -> str:
    flag = "--" + match.group(1).replace("_", "-")
    return flag + " " if match.group(2) else flag


_RULES: list[tuple[re.Pattern[str], Any]] = [
    # learning_rate='auto' (--lr auto) -> --lr auto; learning_rate=0.1 -> --lr 0.1
    (re.compile(r"learning_rate='([a-z]+)'(?: \(--lr \1\))?"), r"--lr \1"),
    (re.compile(r"learning_rate=([0-9][0-9.eE+-]*)"), r"--lr \1"),
    # scale=True, --scale / scale=True (--scale) -> --scale
    (re.compile(r"scale=True(?:, --scale| \(--scale\))?"), "--scale"),
    (re.compile(r"scale=False(?:, --no-scale| \(--no-scale\))?"), "--no-scale"),
    # max_iter = 1000 / max_iter=1000 / max_iter -> --max-iter 1000 / --max-iter
    (re.compile(rf"(?<![\w-])({'|'.join(_NAMED)})(?![\w])( ?= ?(?=[\w'\".+-]))?"), _flag),
]


def to_flags(message: str) -> str:
    """``message`` with the library's parameter names replaced by this CLI's flags."""
    for pattern, repl in _RULES:
        message = pattern.sub(repl, message)
    # the estimator names itself for library users; on the command line it is `descend fit`
    return re.sub(r"^(?:LinearModel|LinearRegression): ", "", message)
