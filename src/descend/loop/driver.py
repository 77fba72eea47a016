"""The one descent loop of descend: every run takes its steps here.

:func:`drive` knows nothing of expressions, data or optimizers. A caller gives it

- a **step**: ``step(x, f, g, state, k) -> (x_new, f_new, g_new, gn_new, state_new, rate, nfev)``
  (``k`` the step's number in the whole run, from 0), or ``None`` when no step lowers the
  loss (a failed line search);
- a **watch** built from :class:`~descend.loop.stopping.Rules` (one run, or a batch of runs
  stepping together as one stacked array), which applies the stopping rules after each step;

and the loop takes steps until the watch names a rule, the budget ``max_iter`` is spent, the
callback raises ``StopIteration`` or the user presses Ctrl-C. :func:`~descend.minimize`, the
estimator's fits (full batch, mini-batch, streamed, on Dask, preconditioned), the sweeps and
the batched runs are all thin wrappers that build a step and read the :class:`Run`.

The committed run is one tuple, replaced by a single assignment, so a ``KeyboardInterrupt``
arriving anywhere leaves a consistent ``(x, f, g, state, nit)`` to report and resume from. A
step whose loss or gradient is not finite is never committed: ``x`` stays the last finite
iterate. The history keeps every iterate up to ``history_limit`` rows, then thins evenly
(:class:`Rows`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from descend.loop.result import Status

__all__ = ["HISTORY_LIMIT", "Kept", "Rows", "Run", "drive"]

#: Rows of history kept before thinning (each row is one iterate, its loss and gradient norm).
HISTORY_LIMIT = 100_000
#: Consecutive iterates kept whole at the end of a run, for the oscillation test.
RECENT = 40

StepOut = tuple[Any, Any, Any, Any, Any, float, int]
StepFn = Callable[[Any, Any, Any, Any, int], "StepOut | None"]
Notify = Callable[[Any, Any, Any, int, Any, Any], Any]


@dataclass
class Run:
    """What :func:`drive` returns: the last committed iterate and how the loop ended.

    ``nit`` counts the steps of this call; ``detail`` says why a step could not be taken
    (a failed line search, an exception of the function); ``blown`` holds the loss of a step
    that diverged without being committed (non-finite); ``recent`` the last ``RECENT + 1``
    iterates, oldest first.
    """

    x: Any
    f: Any
    g: Any
    gn: Any
    state: Any
    nit: int
    nfev: int
    status: Status
    detail: str
    blown: float
    rows: Kept
    recent: list[Any]


def drive(
    step: StepFn,
    x: Any,
    f: Any,
    g: Any,
    gn: Any,
    state: Any,
    watch: Any,
    *,
    max_iter: int,
    start_iter: int = 0,
    status: Status | None = None,
    notify: Notify | None = None,
    history_limit: int = HISTORY_LIMIT,
) -> Run:
    """Step from ``(x, f, g, gn, state)`` until a rule stops the run (see the module docstring).

    ``status``: a rule the start already meets (``watch.start(f, gn)``), so no step is taken.
    ``notify(x, f, g, nit, state, gn)`` runs after every committed step, the last one
    included (``nit`` counted from the run's start); raising ``StopIteration`` stops the run
    (``callback``). ``max_iter`` is the whole run's budget: at most ``max_iter - start_iter``
    steps are taken here.
    """
    rows = Rows(history_limit, x, f, gn)
    recorded = getattr(watch, "recorded", None)  # a Watch's steps recorded before this call
    recent: deque[Any] = deque([x], maxlen=RECENT + 1)
    nit = 0
    nfev = 0
    detail = ""
    blown = math.nan
    cur = (x, f, g, gn, state, nit)
    try:
        while status is None:
            x, f, g, gn, state, nit = cur
            if start_iter + nit >= max_iter:
                status = Status.MAX_ITER
                break
            try:
                out = step(x, f, g, state, start_iter + nit)
            except ArithmeticError as exc:  # a callable raising OverflowError etc.
                status = Status.DIVERGED
                detail = f"{type(exc).__name__}: {exc}"
                blown = math.inf
                break
            if out is None:
                status = Status.NO_PROGRESS
                detail = ("the line search found no step that lowers the loss (the gradient "
                          "is at the precision limit of the function)")
                break
            x_new, f_new, g_new, gn_new, new_state, rate, evals = out
            nfev += evals
            status = watch.step(f_new, gn_new)
            if status is Status.DIVERGED and not watch.finite_step:
                blown = float(f_new)
                break  # never commit a non-finite step: x stays the last finite iterate
            nit += 1
            cur = (x_new, f_new, g_new, gn_new, new_state, nit)
            rows.add(nit, x_new, f_new, gn_new, rate)
            recent.append(x_new)
            if notify is not None and status is not Status.DIVERGED:
                try:
                    notify(x_new, f_new, g_new, start_iter + nit, new_state, gn_new)
                except StopIteration:
                    if status is None:
                        status = Status.CALLBACK
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
    x, f, g, gn, state, nit = cur
    if status is Status.INTERRUPTED and recorded is not None:
        if watch.recorded > recorded + nit:  # recorded by the watch, never committed
            watch.rollback()
    kept = rows.finish(nit, x, f, gn)
    while len(recent) > 1 and recent[-1] is not x:  # an interrupt after the commit
        recent.pop()
    return Run(x, f, g, gn, state, nit, nfev, status, detail, blown, kept, list(recent))


class Kept(NamedTuple):
    """The rows :class:`Rows` kept: ``x (rows, ...)``, ``fun``, ``grad_norm``, ``rate`` (of the
    step into each row after the first), ``step`` (each row's step number)."""

    x: Any
    fun: Any
    grad_norm: Any
    rate: Any
    step: Any
    stride: int
    thinned: bool


class Rows:
    """The iterates kept for ``history``: all of them up to ``limit``, then thinned.

    When the kept rows reach ``limit``, every other one is dropped (the start stays) and only
    steps that are multiples of the doubled stride are kept from then on, so memory stays
    ``O(limit)`` however long the run, and the kept steps stay evenly spread. ``rates[i]`` is
    the step size of the step into row ``i`` (``nan`` for the start).
    """

    _SEQS = ("xs", "fs", "gns", "rates", "steps")

    def __init__(self, limit: int, x: Any, f: Any, gn: Any):
        self.limit = limit
        self.stride = 1
        self.thinned = False
        self.xs: list[Any] = [x]
        self.fs: list[Any] = [f]
        self.gns: list[Any] = [gn]
        self.rates: list[float] = [math.nan]
        self.steps: list[int] = [0]

    def add(self, k: int, x: Any, f: Any, gn: Any, rate: float) -> None:
        if k % self.stride:
            return
        self.xs.append(x)
        self.fs.append(f)
        self.gns.append(gn)
        self.rates.append(rate)
        self.steps.append(k)
        if len(self.steps) >= self.limit:
            self.stride *= 2
            self.thinned = True
            keep = [i for i, s in enumerate(self.steps) if s % self.stride == 0]
            for name in self._SEQS:
                seq = getattr(self, name)
                setattr(self, name, [seq[i] for i in keep])

    def finish(self, nit: int, x: Any, f: Any, gn: Any) -> Kept:
        """The kept rows, the final iterate (step ``nit``) last, cut at ``nit``."""
        while self.steps[-1] > nit:  # an interrupt between the commit and the appends
            for name in self._SEQS:
                getattr(self, name).pop()
        if self.steps[-1] != nit:
            self.xs.append(x)
            self.fs.append(f)
            self.gns.append(gn)
            self.rates.append(math.nan)
            self.steps.append(nit)
        return Kept(
            x=np.array(self.xs, dtype=np.float64),
            fun=np.array(self.fs, dtype=np.float64),
            grad_norm=np.array(self.gns, dtype=np.float64),
            rate=np.array(self.rates[1:], dtype=np.float64),
            step=np.array(self.steps, dtype=np.int64),
            stride=self.stride,
            thinned=self.thinned,
        )
