"""What every run returns: scipy's field names, a stop reason, and the full history.

``OptimizeResult`` uses ``scipy.optimize.OptimizeResult``'s names (``x, fun, jac, nit, nfev,
success, status, message``) so scipy users feel at home; ``status`` is a :class:`Status`
(a ``str`` enum, so it prints and serialises as its name). The history belongs to the result,
not to the optimizer: ``history.x[0]`` is the start, ``history.x[k]`` the k-th iterate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.loop.verdict import Verdict

Array = NDArray[np.float64]

__all__ = ["History", "OptimizeResult", "Status", "evolve"]


def evolve(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace(obj, **changes)`` for a frozen dataclass without ``__post_init__``
    (:class:`OptimizeResult`, a fit's record): the same fields, ``changes`` over them, without
    re-running ``__init__`` field by field (~1 us instead of ~10-25 us; a small fit makes a few
    of these per run)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    for name in changes:
        if name not in obj.__dict__:
            raise TypeError(f"{type(obj).__name__} has no field {name!r}")
    new.__dict__.update(changes)
    return new


class Status(StrEnum):
    """Why a run stopped. ``success`` is true for the convergence rules only."""

    GTOL = "gtol"  # gradient norm <= gtol
    TARGET_LOSS = "target_loss"  # loss <= target_loss
    NO_PROGRESS = "no_progress"  # relative loss decrease over a window < tol
    MAX_ITER = "max_iter"  # iteration budget spent (warns ConvergenceWarning)
    TIME_LIMIT = "time_limit"  # wall-clock budget spent
    CALLBACK = "callback"  # the callback raised StopIteration
    INTERRUPTED = "interrupted"  # KeyboardInterrupt; state is consistent, run can resume
    DIVERGED = "diverged"  # non-finite values or loss growing without bound

    @property
    def success(self) -> bool:
        return self in (Status.GTOL, Status.TARGET_LOSS, Status.NO_PROGRESS)


@dataclass(frozen=True)
class History:
    """Every iterate of a run, the start first.

    ``x``: ``(nit + 1, n)`` parameters; ``fun``: ``(nit + 1,)`` losses;
    ``grad_norm``: ``(nit + 1,)`` Euclidean norms of the gradient at each iterate;
    ``learning_rate``: ``(nit,)`` the step size actually used for each step.
    ``step``: the step number of each row (``0, 1, ..., nit`` unless a very long run was
    thinned to ``history_limit`` rows; ``learning_rate[i]`` is then the rate of the step
    into row ``i + 1``).
    """

    x: Array
    fun: Array
    grad_norm: Array
    learning_rate: Array
    step: Array | None = None

    def __post_init__(self) -> None:
        if self.step is None:
            object.__setattr__(self, "step", np.arange(self.fun.shape[0], dtype=np.int64))

    def to_dict(self) -> dict[str, Any]:
        return {
            "x": self.x.tolist(),
            "fun": self.fun.tolist(),
            "grad_norm": self.grad_norm.tolist(),
            "learning_rate": self.learning_rate.tolist(),
        }


@dataclass(frozen=True)
class OptimizeResult:
    """The outcome of :func:`descend.minimize`.

    ``x`` is the last finite iterate (never ``nan``: a diverged run reports where it was
    before it blew up), ``fun`` its loss, ``jac`` its gradient, ``nit`` the number of steps,
    ``nfev``/``njev``/``nhev`` function, gradient and Hessian evaluations (a
    finite-difference Hessian-vector product counts as a gradient), ``status`` the rule that stopped the
    run, ``message`` a sentence for humans (for a diverged run: the likely cause and the fix),
    ``learning_rate`` the rate actually used (a number after ``"auto"`` is resolved, or the
    spec), ``elapsed`` seconds of wall time.
    """

    x: Array
    fun: float
    jac: Array
    nit: int
    nfev: int
    njev: int
    status: Status
    message: str
    history: History
    variables: tuple[str, ...] = ()
    optimizer: str = ""
    learning_rate: Any = None
    elapsed: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    verdict: Verdict | None = None
    nhev: int = 0

    @property
    def success(self) -> bool:
        """True only when the run *converged* (see :mod:`descend.loop.verdict`)."""
        if self.verdict is None:
            return self.status.success
        return self.verdict.success

    # scipy's OptimizeResult is a dict with attribute access: r["x"], "x" in r, r.keys().
    _KEYS = ("x", "fun", "jac", "nit", "nfev", "njev", "nhev", "success", "status", "message",
             "verdict", "history", "variables", "optimizer", "learning_rate", "elapsed", "info")

    def keys(self) -> tuple[str, ...]:
        return self._KEYS

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._KEYS

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self._KEYS else default

    def __repr__(self) -> str:
        x = np.array2string(np.asarray(self.x), precision=6, threshold=8)
        verdict = f", verdict={str(self.verdict)!r}" if self.verdict is not None else ""
        return (f"OptimizeResult(x={x}, fun={self.fun:.6g}, nit={self.nit}, "
                f"success={self.success}, status={str(self.status)!r}{verdict})")

    def to_dict(self, *, history: bool = True) -> dict[str, Any]:
        """A JSON-ready dict with the CLI's field names."""
        lr = self.learning_rate
        out: dict[str, Any] = {
            "x": np.asarray(self.x).tolist(),
            "fun": float(self.fun),
            "jac": np.asarray(self.jac).tolist(),
            "nit": int(self.nit),
            "nfev": int(self.nfev),
            "njev": int(self.njev),
            "nhev": int(self.nhev),
            "success": self.success,
            "status": str(self.status),
            "verdict": None if self.verdict is None else str(self.verdict),
            "message": self.message,
            "variables": list(self.variables),
            "optimizer": self.optimizer,
            "learning_rate": lr if isinstance(lr, (int, float, str)) or lr is None else repr(lr),
            "elapsed": self.elapsed,
        }
        if history:
            out["history"] = {"x": self.history.x.tolist(), "fun": self.history.fun.tolist()}
        return out

    def _repr_html_(self) -> str:  # Jupyter's rich display; the card lives in the explorer
        from descend.display import result_html
        return result_html(self)
