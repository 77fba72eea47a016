"""The stopping rules of every descent in descend, written once.

Every run -- :func:`~descend.minimize`, a fit in memory, streamed or on Dask, a sweep, a batched
run -- is watched by a :class:`Watch` built from one :class:`Rules`. After each step the watch
applies the rules in this order and names the first that holds:

1. **diverged**: the loss or gradient is not finite, or the loss rose above
   :func:`~descend.loop.verdict.ceiling` (``f0 + 10^12 max(|f0|, 1)``); below
   :func:`~descend.loop.verdict.floor` it is falling without bound (``unbounded``).
2. **gtol**: the Euclidean norm of the gradient is ``<= gtol``.
3. **target_loss**: the loss is ``<= target_loss``.
4. **no_progress** (the ``tol`` rule): the loss is flat -- over the last ``n_iter_no_change``
   steps its range is small, ``max_w f - min_w f <= tol * max_w |f|`` (``w`` the window of the
   last ``n_iter_no_change + 1`` losses), tested after every step on a sliding window. A range, not "no new best": momentum and Adam
   may climb back above their best loss for many steps while still converging; a slow but
   steady run changes by more than ``tol`` over the window; a growing loss is never flat.
   With ``gradient_floor`` (the preconditioned solver, whose steps are Newton steps) the rule
   is instead: the gradient norm failed to halve in one step, so it is at its rounding floor.
5. **time_limit**: the wall clock passed ``time_limit`` seconds from the start.
6. **max_iter**: ``max_iter`` steps of the whole run are done (``start_iter`` counted).

``tol``, ``gtol`` and ``max_iter`` mean the same in the library, the estimator, the CLI and the
JSON. What a stop *shows* -- converged or not -- is the verdict's business
(:mod:`descend.loop.verdict`), never the rule's.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from descend.errors import InputError
from descend.loop.result import Status
from descend.loop.verdict import ceiling, floor

__all__ = ["Rules", "Watch", "WatchState", "norm2"]


def norm2(g: Any) -> float:
    """``float(numpy.linalg.norm(g))``, the gradient norm the rules read: for a contiguous 1-D
    float64 array the same ``sqrt(g . g)`` NumPy computes, bit for bit, without its dispatch
    (~0.4 us instead of ~3 us, a few times a step); any other array goes to NumPy."""
    if type(g) is np.ndarray and g.ndim == 1 and g.dtype == np.float64 and g.flags.c_contiguous:
        return math.sqrt(float(g.dot(g)))
    return float(np.linalg.norm(g))


def number(name: str, value: Any, *, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(
        value, "__float__"
    ):
        raise InputError(f"{name} must be a number, got {value!r}", param=name, value=value)
    v = float(value)
    if math.isnan(v) or v < low:
        raise InputError(f"{name}={value!r} must be >= {low:g}", param=name, value=value)
    return v


def integer(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) < low:
        raise InputError(
            f"{name}={value!r} must be an integer >= {low}", param=name, value=value
        )
    return int(value)


@dataclass(frozen=True)
class Rules:
    """When a run stops (see the module docstring for each rule and their order).

    ``gtol=None`` and ``target_loss=None`` switch those rules off; ``tol=0`` keeps only an
    exactly flat loss; ``time_limit=None`` means no wall-clock limit.
    """

    max_iter: int
    tol: float
    n_iter_no_change: int
    gtol: float | None = None
    target_loss: float | None = None
    time_limit: float | None = None
    gradient_floor: bool = False

    def __post_init__(self) -> None:
        if self._plain():
            return  # already what the checks below would store (a run builds one per call)
        object.__setattr__(self, "max_iter", integer("max_iter", self.max_iter, low=0))
        object.__setattr__(self, "tol", number("tol", self.tol))
        object.__setattr__(
            self, "n_iter_no_change", integer("n_iter_no_change", self.n_iter_no_change, low=1)
        )
        if self.gtol is not None:
            object.__setattr__(self, "gtol", number("gtol", self.gtol))
        if self.target_loss is not None:
            object.__setattr__(
                self, "target_loss", number("target_loss", self.target_loss, low=-math.inf)
            )
        if self.time_limit is not None and number("time_limit", self.time_limit) <= 0:
            raise InputError(
                f"time_limit={self.time_limit!r} must be > 0 seconds",
                param="time_limit", value=self.time_limit,
            )

    def _plain(self) -> bool:
        """Every setting a plain ``int``/``float`` (or ``None``) in its range, no time limit."""
        def real(v: Any, low: float) -> bool:
            return type(v) is float and v >= low  # NaN fails the comparison

        return (type(self.max_iter) is int and self.max_iter >= 0
                and type(self.n_iter_no_change) is int and self.n_iter_no_change >= 1
                and real(self.tol, 0.0) and (self.gtol is None or real(self.gtol, 0.0))
                and (self.target_loss is None or real(self.target_loss, -math.inf))
                and self.time_limit is None)

    def sentence(self, status: Status, *, nit: int, f: float, gn: float) -> str:
        """The rule that fired, in words (``nit`` steps of this call)."""
        steps = f"{nit} step{'s' if nit != 1 else ''}"
        gtol = "" if self.gtol is None else f" (gtol = {self.gtol:g})"
        if status is Status.GTOL:
            return f"gradient norm {gn:.3g} <= gtol = {self.gtol:g} after {steps}"
        if status is Status.TARGET_LOSS:
            return f"loss {f:.6g} <= target_loss = {self.target_loss:g} after {steps}"
        if status is Status.NO_PROGRESS:
            if self.gradient_floor:
                return (f"the gradient norm stopped halving (it is at its rounding floor, "
                        f"{gn:.3g}); stopped after {steps}")
            return (
                f"the loss changed by less than tol = {self.tol:g} (relative) over the last "
                f"{self.n_iter_no_change} steps; stopped after {steps} with gradient norm "
                f"{gn:.3g}{gtol}"
            )
        if status is Status.MAX_ITER:
            return (
                f"reached max_iter = {self.max_iter} with gradient norm {gn:.3g}{gtol}; raise "
                "max_iter, loosen gtol or tol, or let descend choose the step "
                "(learning_rate='auto' or 'armijo')"
            )
        if status is Status.TIME_LIMIT:
            return (
                f"reached time_limit = {self.time_limit:g} s after {steps} with gradient norm "
                f"{gn:.3g}; raise time_limit or make each step cheaper"
            )
        if status is Status.CALLBACK:
            return f"the callback raised StopIteration after {steps}"
        if status is Status.INTERRUPTED:
            return f"interrupted (KeyboardInterrupt) after {steps}"
        return "diverged"


class WatchState(NamedTuple):
    """What a :class:`Watch` carries between steps; a checkpoint of it resumes the rules
    exactly. ``f0``: the loss at the run's very first iterate (the blow-up reference);
    ``window``: the losses of the last ``n_iter_no_change + 1`` iterates, oldest first."""

    f0: float
    window: tuple[float, ...]


class Watch:
    """The :class:`Rules` applied to one run, step by step.

    ``Watch(rules, f, gn)`` starts a run at loss ``f`` with gradient norm ``gn`` (or resumes
    one: ``state=`` a :class:`WatchState`). :meth:`start` names a rule the start already meets;
    :meth:`step` is called once per step with the new loss and gradient norm and returns the
    :class:`~descend.loop.result.Status` that stops the run, or ``None``. After ``diverged``,
    :attr:`unbounded` says whether the loss fell (rather than rose) without bound.
    """

    __slots__ = ("_bottom", "_dropped", "_flat_tol", "_gtol", "_last_gn", "_target", "_top",
                 "best", "deadline", "f0", "finite_step", "recorded", "rules", "unbounded",
                 "window")

    def __init__(
        self, rules: Rules, f: float, gn: float, *, state: WatchState | None = None,
        clock_start: float | None = None,
    ):
        self.rules = rules
        if state is None:
            self.f0 = float(f)
            self.window: deque[float] = deque([float(f)], maxlen=rules.n_iter_no_change + 1)
        else:
            self.f0 = float(state.f0)
            self.window = deque(state.window, maxlen=rules.n_iter_no_change + 1)
        self._top = ceiling(self.f0)
        self._bottom = floor(self.f0)
        self._gtol = -math.inf if rules.gtol is None else rules.gtol
        self._target = -math.inf if rules.target_loss is None else rules.target_loss
        # the range test needs max|f| over the window >= |f|: a step that changed the loss by
        # more than tol * max(|f_new|, |f_old|) / (1 - tol) cannot end a flat window
        self._flat_tol = rules.tol / (1.0 - rules.tol) if rules.tol < 1.0 else math.inf
        self._last_gn = float(gn)
        self.best = float(f)
        self.unbounded = False
        self.finite_step = True  # after a divergence: whether the step's numbers were finite
        self.recorded = 0  # steps added to the window (a divergence is not added)
        self._dropped: float | None = None  # the loss the last recorded step pushed out
        t0 = time.perf_counter() if clock_start is None else clock_start
        self.deadline = math.inf if rules.time_limit is None else t0 + float(rules.time_limit)

    def snapshot(self) -> WatchState:
        return WatchState(self.f0, tuple(self.window))

    def rollback(self) -> None:
        """Take back the last recorded step (a ``KeyboardInterrupt`` caught it before the
        driver committed it), so :meth:`snapshot` is that of the committed iterate."""
        self.window.pop()
        if self._dropped is not None:
            self.window.appendleft(self._dropped)
            self._dropped = None
        self.recorded -= 1

    def start(self, f: float, gn: float) -> Status | None:
        """The rule the starting point already meets (``gtol``, ``target_loss``), if any."""
        if not (math.isfinite(f) and math.isfinite(gn)):
            return Status.DIVERGED
        if gn <= self._gtol:
            return Status.GTOL
        if f <= self._target:
            return Status.TARGET_LOSS
        return None

    def step(self, f: float, gn: float) -> Status | None:
        """Record one step (loss ``f``, gradient norm ``gn``); the rule that stops, if any."""
        if not (self._bottom <= f <= self._top and gn < math.inf):  # nan fails it too
            self.finite_step = math.isfinite(f) and math.isfinite(gn)
            self.unbounded = f < self._bottom
            return Status.DIVERGED
        window = self.window
        prev = window[-1]
        self._dropped = window[0] if len(window) == window.maxlen else None
        window.append(f)
        self.recorded += 1
        if f < self.best:
            self.best = f
        last_gn, self._last_gn = self._last_gn, gn
        if gn <= self._gtol:
            return Status.GTOL
        if f <= self._target:
            return Status.TARGET_LOSS
        if self.rules.gradient_floor:
            if gn > 0.5 * last_gn:
                return Status.NO_PROGRESS
        elif (
            len(window) == window.maxlen
            and abs(f - prev) <= self._flat_tol * max(abs(f), abs(prev))
        ):
            hi, lo = max(window), min(window)
            if hi - lo <= self.rules.tol * max(abs(hi), abs(lo)):
                return Status.NO_PROGRESS
        if self.deadline != math.inf and time.perf_counter() > self.deadline:
            return Status.TIME_LIMIT
        return None


class BatchWatch:
    """The :class:`Rules` applied to ``R`` runs that step together (a sweep, a batched run):
    one :class:`Watch` per run, so each run stops by exactly the rules of a single run.

    :meth:`step` takes the ``(R,)`` losses and gradient norms of a step; a run that stops is
    frozen (``moving[r]`` false) and keeps its :attr:`status` and the step count
    :attr:`nit` at which it stopped. The batch as a whole stops when no run moves. The step
    function keeps frozen runs (and a run whose step was not finite) at their last committed
    iterate; :attr:`finite_step` is true because a batch commits every step.
    """

    finite_step = True

    def __init__(self, rules: Rules, f: Any, gn: Any, *, clock_start: float | None = None):
        t0 = time.perf_counter() if clock_start is None else clock_start
        pairs = [(float(a), float(b)) for a, b in zip(f, gn, strict=True)]
        self.watches = [Watch(rules, a, b, clock_start=t0) for a, b in pairs]
        self.status: list[Status | None] = [
            w.start(a, b) for w, (a, b) in zip(self.watches, pairs, strict=True)]
        self.moving = np.array([s is None for s in self.status], dtype=bool)
        self.nit = np.zeros(len(self.watches), dtype=np.int64)
        self.blown = np.zeros(len(self.watches), dtype=bool)  # a step that was not finite
        self._k = 0

    def start(self) -> Status | None:
        return None if self.moving.any() else Status.NO_PROGRESS

    def step(self, f: Any, gn: Any) -> Status | None:
        self._k += 1
        for r in self.moving.nonzero()[0]:
            w = self.watches[r]
            status = w.step(float(f[r]), float(gn[r]))
            if status is Status.DIVERGED and not w.finite_step:
                self.blown[r] = True
                self.nit[r] = self._k - 1
            else:
                self.nit[r] = self._k
            if status is not None:
                self.status[r] = status
                self.moving[r] = False
        # the batch stops when every run has: each run's own status says why
        return None if self.moving.any() else Status.NO_PROGRESS

    def finish(self, status: Status) -> list[Status]:
        """Every run's status once the batch stopped by ``status`` (max_iter, time_limit,
        callback, interrupted apply to the runs still moving)."""
        return [s if s is not None else status for s in self.status]
