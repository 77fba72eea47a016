"""Ctrl-C and SIGTERM, delivered where a run can stop cleanly.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be. Inside a numba
kernel's dispatcher that surfaces as ``SystemError: CPUDispatcher(...) returned a result with
an exception set`` and the run's interrupt handling (save the checkpoint, print the resume
command) never runs. So while :func:`deferred_interrupts` is active, a signal only *marks*
the run; the descent's step callback (:func:`poll`) raises at the next step boundary, in
plain Python, where the loop stops at the last completed step. Where no step comes within
:data:`GRACE` seconds (reading a file, a Dask computation) the signal is raised the usual way;
a second Ctrl-C is always raised at once.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["GRACE", "Terminated", "deferred_interrupts", "poll", "received"]

#: Seconds a marked signal waits for a step boundary before it is raised where it lands.
GRACE = 1.0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every interrupt handler and ``finally`` runs (a
    checkpointed fit saves, temporary files are removed); the CLI exits 143 for it."""


_pending: list[int] = []  # signals marked and not yet raised
_raised: list[int] = []  # the signal that stopped the run, if any


def _exception(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def received() -> int | None:
    """The signal (``signal.SIGINT``/``SIGTERM``) that stopped the run, or ``None``."""
    return _raised[-1] if _raised else None


def poll(_: Any = None) -> None:
    """A step callback: raise the marked signal's exception here, at a clean point."""
    if _pending:
        signum = _pending.pop()
        _pending.clear()
        _raised.append(signum)
        raise _exception(signum)


def _handler(signum: int, frame: Any) -> None:
    if _pending and (signum == signal.SIGINT or time.monotonic() - _marked[0] >= GRACE):
        _pending.clear()  # a second Ctrl-C, or the grace period is over: raise where we are
        _raised.append(signum)
        raise _exception(signum)
    _pending.append(signum)
    _marked[0] = time.monotonic()

    def later() -> None:
        if _pending:
            _thread.interrupt_main(signal.Signals(signum))

    t = threading.Timer(GRACE, later)
    t.daemon = True
    t.start()


_marked = [0.0]


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Mark SIGINT and SIGTERM while the block runs (see the module's docstring)."""
    _pending.clear()
    _raised.clear()
    try:
        old = {s: signal.signal(s, _handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except (ValueError, OSError):  # not the main thread: leave the signals alone
        yield
        return
    try:
        yield
    finally:
        for s, h in old.items():
            try:
                signal.signal(s, h)
            except (ValueError, OSError, TypeError):
                pass
        _pending.clear()
