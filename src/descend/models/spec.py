"""The settings of a linear fit (:class:`FitSpec`), checked once, and the solver they choose.

A :class:`FitSpec` is frozen: the engine (:func:`descend.models.fit.fit_linear`) reads it and
never changes it; :class:`~descend.models.linear.LinearModel` builds one from its constructor's
arguments (one spelling each, shared with the CLI and the rest of descend):

loss : ``'squared_error'`` (default; ``mean((y - (Xw + b))**2)``), ``'huber'`` or
    ``'absolute_error'`` (see :mod:`descend.models.losses`).
alpha : L2 penalty ``alpha * ||w||**2`` added to the mean loss (the intercept is not
    penalised; this is scikit-learn ``Ridge``'s ``alpha / n_samples``). Default 0.
epsilon : huber threshold in units of ``huber_scale``: residuals beyond
    ``epsilon x huber_scale_`` count linearly. Default 1.35 (as scikit-learn's
    ``HuberRegressor``, whose threshold is also relative to a scale).
huber_scale : ``'auto'`` (default: the least-squares fit's root mean squared residual,
    known from the moments on every engine before the fit starts, so the threshold is
    relative and a target in dollars behaves as one in thousands of dollars) or a positive
    number in the target's units (``huber_scale=1`` is a threshold of ``epsilon`` in the
    target's units). Unlike ``HuberRegressor`` the scale is fixed before the descent, not
    estimated with it; outliers inflate it (a 5 % share of 20-sigma outliers about
    4.6-fold) but a relative threshold still clips them.
optimizer : ``'auto'`` (default: ``'preconditioned'`` for the full-batch squared loss
    when ``learning_rate='auto'``, else ``'gd'``), ``'preconditioned'`` (gradient descent
    in whitened coordinates, where the condition number is 1, with iterative refinement
    on the rows: the least-squares answer to the digits double precision allows; it sets
    its own step, ``1/L = 1/2``), a registry name (``'gd'``, ``'momentum'``,
    ``'nesterov'``, ``'adagrad'``, ``'rmsprop'``, ``'adam'``, ``'adamw'``) or a
    :class:`~descend.optim.base.Optimizer` (its learning rate is replaced by
    ``learning_rate`` unless that is ``None``).
learning_rate : ``'auto'`` (default: ``1/L`` for gd, momentum and nesterov; for a loss
    without a curvature bound (``absolute_error``) a ``1/sqrt(k)`` subgradient schedule), a
    positive number, or a schedule ``f(step) -> rate``. A typed rate is in the optimizer's
    coordinates: the standardised features when ``scale=True`` (``x -> (x - mean) / std``;
    there ``2/L >= 1``), the features' own units when ``scale=False``
    (``learning_rate_coordinates_`` says which); a rate far below ``1/L`` warns.
max_iter : steps (full batch) or epochs (mini-batch). Default 1000.
tol : stop when the loss is flat: its range over the last ``n_iter_no_change`` steps is
    ``max - min <= tol * max|loss|`` (status ``no_progress``; tested after every step, the
    rule of :func:`descend.minimize` and every path of descend, see
    :mod:`descend.loop.stopping`). Default 1e-12.
n_iter_no_change : the window of the ``tol`` rule, in steps (epochs for mini-batch),
    ``>= 1``. Default 5 (scikit-learn's ``SGDRegressor`` name and default).
gtol : stop when the gradient norm (in the optimizer's coordinates) is ``<= gtol``.
    Default ``None`` (off).
target_loss : stop once the loss is ``<= target_loss``. Default ``None``.
    (A run diverges as every run of descend does: a step whose loss or gradient is not
    finite is not taken -- ``coef_`` stays the last finite iterate and ``n_iter_`` does
    not count it; a finite step above the ceiling ``f0 + 1e12 max(|f0|, 1)`` is taken and
    ends the run, ``stop_reason_ = 'diverged'``.)
batch_size : ``None`` (full batch, default) or rows per mini-batch step.
shuffle : reshuffle the rows every epoch (mini-batch only). Default True.
random_state : seed of the shuffles; the same seed gives the same fit, bit for bit.
scale : standardise the features internally (default True); coefficients are always
    reported in the user's units. ``False`` steps in raw units, as the tutorials do.
init : starting ``[intercept, coef_1, ..., coef_d]`` in the user's units (default zeros).
time_limit : stop after this many seconds of descent (status ``time_limit``, warns
    ``ConvergenceWarning``). Default ``None`` (no limit).
fit_intercept : fit ``b`` (default True); ``False`` fits through the origin (``b = 0``;
    the features are then scaled by their root mean square, not centred).
verbose : ``0`` (default) is silent; ``> 0`` prints one line per step (epoch) to stdout,
    ``"<Class>: step k  loss f  |grad| g"`` -- scikit-learn's convention, the one place
    the library prints.
owner : the name messages give the caller (``"LinearModel"``, ``"LinearRegression"``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from descend.errors import InputError
from descend.models.losses import LOSS_REGISTRY, get_loss
from descend.optim.base import Optimizer

__all__ = ["FitSpec", "check_spec", "solver_name"]


@dataclass(frozen=True)
class FitSpec:
    """The hyper-parameters of a linear fit (see the module docstring for each)."""

    loss: str = "squared_error"
    alpha: float = 0.0
    epsilon: float = 1.35
    optimizer: Any = "auto"
    learning_rate: Any = "auto"
    max_iter: int = 1000
    tol: float = 1e-12
    n_iter_no_change: int = 5
    gtol: float | None = None
    target_loss: float | None = None
    batch_size: int | None = None
    shuffle: bool = True
    random_state: Any = None
    scale: bool = True
    init: Any = None
    time_limit: float | None = None
    fit_intercept: bool = True
    huber_scale: Any = "auto"
    verbose: int = 0
    owner: str = "LinearModel"

    @classmethod
    def of(cls, holder: Any) -> FitSpec:
        """The spec of an object carrying these settings as attributes (an estimator)."""
        return cls(**{k: getattr(holder, k) for k in _SETTINGS}, owner=type(holder).__name__)

    @property
    def typed_rate(self) -> bool:
        """A learning rate given (a number or a schedule), not left to ``'auto'``."""
        lr = self.learning_rate
        return not (lr is None or (isinstance(lr, str) and lr == "auto"))

    def checkpoint_meta(self) -> dict[str, Any]:
        """The settings that shape the iterates: a checkpoint stores them, a resume checks them."""
        opt, lr, rs = self.optimizer, self.learning_rate, self.random_state
        return {
            "loss": str(self.loss),
            "optimizer": opt.name if isinstance(opt, Optimizer) else str(opt),
            "learning_rate": lr if isinstance(lr, (str, int, float)) or lr is None else repr(lr),
            "alpha": float(self.alpha),
            "epsilon": float(self.epsilon),
            "huber_scale": self.huber_scale
            if isinstance(self.huber_scale, str)
            else float(self.huber_scale),
            "scale": bool(self.scale),
            "fit_intercept": bool(self.fit_intercept),
            "batch_size": None if self.batch_size is None else int(self.batch_size),
            "shuffle": bool(self.shuffle),
            "random_state": rs if rs is None or isinstance(rs, int) else repr(rs),
        }


#: the settings an estimator carries (every field but ``owner``), listed once
_SETTINGS = tuple(f.name for f in fields(FitSpec) if f.name != "owner")


def solver_name(spec: FitSpec) -> str:
    """The optimizer's name with ``'auto'`` resolved: ``'preconditioned'`` for a full-batch
    loss whose moments solve it exactly (the squared loss) and no typed rate, else ``'gd'``."""
    opt = spec.optimizer
    if isinstance(opt, Optimizer):
        return opt.name
    name = str(opt)
    if name == "auto":
        exact = get_loss(spec.loss).moments_exact and spec.batch_size is None
        return "preconditioned" if exact and not spec.typed_rate else "gd"
    return name


def _number(owner: str, name: str, value: Any, low: float, *, open_low: bool = False) -> None:
    if type(value) is float:  # the usual case, without the ABC check and NumPy's isfinite
        ok = math.isfinite(value) and (value > low if open_low else value >= low)
    else:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        ok = ok and np.isfinite(value) and (value > low if open_low else value >= low)
    if not ok:
        rng = f"> {low:g}" if open_low else f">= {low:g}"
        raise InputError(f"{owner}: {name}={value!r} must be a finite number {rng}")


def _check_counts(spec: FitSpec, owner: str) -> None:
    for name, value in (("max_iter", spec.max_iter), ("batch_size", spec.batch_size),
                        ("n_iter_no_change", spec.n_iter_no_change)):
        if value is None and name == "batch_size":
            continue
        if (
            not isinstance(value, numbers.Integral)
            or isinstance(value, bool)
            or value < (0 if name == "max_iter" else 1)
        ):
            raise InputError(f"{owner}: {name}={value!r} must be a positive integer")


def _check_preconditioned(spec: FitSpec, owner: str) -> None:
    lr = spec.learning_rate
    if not get_loss(spec.loss).moments_exact or spec.batch_size is not None:
        raise InputError(
            f"{owner}: optimizer='preconditioned' fits the full-batch squared loss; "
            f"with loss={spec.loss!r}, batch_size={spec.batch_size!r} use "
            "optimizer='auto' or 'gd'"
        )
    if spec.typed_rate:
        raise InputError(
            f"{owner}: optimizer='preconditioned' sets its own step (1/L = 1/2 in "
            f"whitened coordinates); leave learning_rate='auto' (got {lr!r}) or use "
            "optimizer='gd' for a typed rate"
        )


def check_spec(spec: FitSpec, d: int) -> None:
    """Every setting of ``spec`` for a fit of ``d`` features; an InputError names the bad one."""
    owner = spec.owner
    if spec.loss not in LOSS_REGISTRY:  # read now: a loss registered later is one too
        raise InputError(
            f"{owner}: loss={spec.loss!r} is not one of {', '.join(LOSS_REGISTRY)}")
    _number(owner, "alpha", spec.alpha, 0.0)
    _number(owner, "epsilon", spec.epsilon, 0.0, open_low=True)
    if not (isinstance(spec.huber_scale, str) and spec.huber_scale == "auto"):
        _number(owner, "huber_scale", spec.huber_scale, 0.0, open_low=True)
    _number(owner, "tol", spec.tol, 0.0)
    if spec.gtol is not None:
        _number(owner, "gtol", spec.gtol, 0.0)
    if spec.target_loss is not None:
        _number(owner, "target_loss", spec.target_loss, -np.inf)
    if spec.time_limit is not None:
        _number(owner, "time_limit", spec.time_limit, 0.0, open_low=True)
    _check_counts(spec, owner)
    lr = spec.learning_rate
    if not (lr == "auto" if isinstance(lr, str) else callable(lr) or lr is None):
        _number(owner, "learning_rate", lr, 0.0, open_low=True)
    if not isinstance(spec.fit_intercept, (bool, np.bool_)):
        raise InputError(f"{owner}: fit_intercept={spec.fit_intercept!r} must be True or False")
    if spec.optimizer == "preconditioned":
        _check_preconditioned(spec, owner)
    v = spec.verbose
    if not isinstance(v, (numbers.Integral, bool, np.bool_)) or int(v) < 0:
        raise InputError(f"{owner}: verbose={v!r} must be an integer >= 0 (0: silent)")
    if spec.init is not None:
        init = np.asarray(spec.init, dtype=np.float64).ravel()
        if init.shape != (d + 1,) or not np.isfinite(init).all():
            raise InputError(
                f"{owner}: init must hold {d + 1} finite numbers (the intercept, then one "
                f"coefficient per feature), got {list(np.ravel(spec.init))}"
            )
