"""Library parameter names -> command-line flags: the one table, for the messages the CLI prints.

The library speaks in parameter names (``learning_rate='auto'``, ``max_iter = 1000``,
``scale=True``); a user of the command line typed flags, so the CLI rewrites those names into
its flags before printing (``--lr auto``, ``--max-iter 1000``, ``--scale``). :data:`FLAGS` is
the only place a parameter meets its flag; names it does not list are left as they are.

>>> to_flags("raise max_iter, or use learning_rate='auto'")
'raise --max-iter, or use --lr auto'
>>> to_flags("reached max_iter = 1000 with gradient norm 0.1 > gtol = 1e-06")
'reached --max-iter 1000 with gradient norm 0.1 > --gtol 1e-06'
>>> to_flags("Standardise the features (scale=True; ...)")
'Standardise the features (--scale; ...)'
>>> to_flags("the loss of the default optimizer='auto', not loss='hubr'")
"the loss of the default --optimizer auto, not --loss 'hubr'"
>>> to_flags("pass variables=[...] to treat it as a function of them")
'pass --variables x,y to treat it as a function of them'
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["FLAGS", "Flag", "flag_name", "flag_of", "to_flags"]


class Flag(NamedTuple):
    """A parameter's flag; ``off`` the flag of ``False`` for a boolean; ``bare``: whether the
    name alone (``raise max_iter``) is rewritten too, which a name that is also an ordinary
    word (the loss, an optimizer) is not; ``words``: the option's keywords, shown unquoted
    (``--lr auto``) where any other quoted value keeps its quotes (``--loss 'hubr'``)."""

    on: str
    off: str | None = None
    bare: bool = True
    words: tuple[str, ...] = ()


#: parameter name -> its flag, for every command (one spelling per concept: docs/CONTRACTS.md).
FLAGS: dict[str, Flag] = {
    "learning_rate": Flag("--lr", words=("auto", "armijo")),
    "max_iter": Flag("--max-iter"),
    "tol": Flag("--tol"),
    "n_iter_no_change": Flag("--n-iter-no-change"),
    "gtol": Flag("--gtol"),
    "target_loss": Flag("--target-loss"),
    "time_limit": Flag("--time-limit"),
    "batch_size": Flag("--batch-size"),
    "random_state": Flag("--random-state"),
    "chunk_rows": Flag("--chunk-rows"),
    "weight_decay": Flag("--weight-decay"),
    "alpha": Flag("--alpha"),
    "huber_scale": Flag("--huber-scale", words=("auto",)),
    "fit_intercept": Flag("--intercept", "--no-intercept"),
    "scale": Flag("--scale", "--no-scale", bare=False),
    "epsilon": Flag("--epsilon", bare=False),
    "optimizer": Flag("--optimizer", bare=False, words=("auto",)),
    "loss": Flag("--loss", bare=False),
    "engine": Flag("--engine", bare=False, words=("numpy", "stream", "dask")),
    "init": Flag("--init", bare=False),
    "momentum": Flag("--momentum", bare=False),
    "target": Flag("--target", bare=False),
    "features": Flag("--features", bare=False),
    "storage_options": Flag("--storage-option", bare=False),
    "force": Flag("--force", bare=False),
    "b1": Flag("--b1", bare=False),
    "b2": Flag("--b2", bare=False),
    "eps": Flag("--eps", bare=False),
    "cov_type": Flag("--cov"),
    "missing": Flag("--missing", bare=False, words=("drop", "raise")),
    "formula": Flag("--formula", bare=False),
    "variables": Flag("--variables", bare=False),
}

# name, then optionally ``=value`` / `` = value`` (a quoted string or one token)
_NAME = re.compile(
    rf"(?<![\w-])({'|'.join(sorted(FLAGS, key=len, reverse=True))})(?![\w])"
    r"(?: ?= ?('[^']*'|\"[^\"]*\"|\[[^\]]*\]|[\w.+-]+))?"
)
# a flag written twice in a row while the library messages still carry both spellings:
# "--lr auto (--lr auto)", "--scale, --scale"
_TWICE = re.compile(r"(--[\w-]+(?: [\w.:,+-]+)?)(?: \(\1\)|, \1(?=[;,)]|$))")


def flag_of(param: str, value: object = None) -> str | None:
    """The flag of ``param`` (``value`` picks a boolean's side), or ``None`` if it has none."""
    flag = FLAGS.get(param)
    if flag is None:
        return None
    return flag.off if value is False and flag.off is not None else flag.on


def flag_name(param: str) -> str:
    """How a message names ``param``'s option: ``--lr``, ``--scale/--no-scale``, or the name
    itself when the command line has no flag for it."""
    flag = FLAGS.get(param)
    if flag is None:
        return param
    return flag.on if flag.off is None else f"{flag.on}/{flag.off}"


def _rewrite(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    flag = FLAGS[name]
    if value is None:
        return flag.on if flag.bare else name
    if value in ("True", "False") and flag.off is not None:
        return flag.on if value == "True" else flag.off
    if value == "None":  # "batch_size=None" has no flag spelling: the library's words stay
        return match.group(0)
    if value.startswith("["):  # a list: variables=['y', 'x'] -> --variables y,x
        items = [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
        value = "x,y" if items in ([], ["..."]) else ",".join(items)
    if value[0] in "'\"" and value[1:-1] in flag.words:
        value = value[1:-1]  # --lr auto, not --lr 'auto'
    return f"{flag.on} {value}"


def to_flags(message: str) -> str:
    """``message`` with the library's parameter names replaced by this CLI's flags."""
    message = _TWICE.sub(r"\1", _NAME.sub(_rewrite, message))
    # the estimator names itself for library users; on the command line it is `descend fit`
    return re.sub(r"^(?:LinearModel|LinearRegression): ", "", message)
