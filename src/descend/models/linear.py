"""Linear regression fit by gradient descent: the engine (``LinearModel``), plain NumPy.

The default fit of the squared loss (``optimizer='auto'``, which is ``'preconditioned'``
there) is gradient descent in whitened coordinates (:mod:`descend.models._whitened`): the
Hessian is ``2 I``, a step of ``1/L`` lands on the least-squares answer, and the next steps,
on residuals recomputed from the rows, refine it to the last digits double precision allows.
Plain gradient descent is one option away (``optimizer='gd'``, or any typed learning rate
with ``optimizer='auto'``): one pass computes the centred moments
(:class:`~descend.data.stats.MomentStats`), every step after that costs O(d^2) whatever the
number of rows, and its iterates are those of ``theta <- theta - learning_rate * grad``. The
features are standardised internally (``scale=True``) and the coefficients reported in the
user's units; the learning rate defaults to ``1/L`` where ``L``, the largest curvature of the
loss, is known exactly for the squared loss, so ``2/L`` (the stability limit of gradient
descent, ``stability_limit_``) is computed, not guessed.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from descend import _backends
from descend.data.stats import MomentStats, check_sample_weight, weighted_moment_stats
from descend.errors import DataError, InputError, StabilityWarning
from descend.loop.result import History, OptimizeResult, Status
from descend.loop.stopping import Rules
from descend.models._accuracy import collinear_message, trusted_digits
from descend.models._descent import run_descent
from descend.models._diagnose import (
    small_rate_message,
    stability_message,
)
from descend.models._problem import Standardizer, StatsObjective, curvature, hessian
from descend.models._verdict import fit_message, fit_verdict
from descend.models._whitened import (
    ResidualPasses,
    WhitenedObjective,
    Whitening,
    whiten_moments,
    whiten_rows,
)
from descend.models.losses import LOSSES, fast_moment_stats, get_loss, loss_and_grad
from descend.optim.base import Optimizer
from descend.optim.registry import get_optimizer

Array = NDArray[np.float64]

__all__ = ["LinearModel", "RowPasses", "default_feature_names"]

#: The optimizer names a fit takes beyond the registry's: ``auto`` picks ``preconditioned``
#: (gradient descent in whitened coordinates) for a full-batch squared loss with no typed
#: learning rate, ``gd`` otherwise.
_SOLVERS = ("auto", "preconditioned")
#: Refinement rounds after the preconditioned descent (in memory), and the size (rows x
#: features) up to which their residuals are compensated even for easy problems.
_ROUNDS = 3
#: Streamed/Dask fits skip the refinement passes when the standardised design's condition
#: number is at most this: the moments' answer then has >= 12 correct digits already.
_NO_REFINE_KAPPA = 100.0
_EXACT_ROWS = 2_000_000
EPS = float(np.finfo(np.float64).eps)
_SETTLED = 4 * EPS


def _best_by_gradient(result: OptimizeResult) -> OptimizeResult:
    """The iterate with the smallest gradient (refinement that stopped helping is undone)."""
    h = result.history
    best = int(np.argmin(h.grad_norm))
    if result.status is Status.DIVERGED or best == len(h.grad_norm) - 1:
        return result
    info = {**result.info, "best_iteration": best, "grad_norm": float(h.grad_norm[best])}
    return dataclasses.replace(result, x=h.x[best].copy(), fun=float(h.fun[best]), info=info)


def default_feature_names(d: int) -> tuple[str, ...]:
    """``("x",)`` for one feature, else ``("x1", ..., "xd")``."""
    return ("x",) if d == 1 else tuple(f"x{j}" for j in range(1, d + 1))


def _least_squares_loss(st: MomentStats, penalty: Array, intercept: bool = True) -> float:
    """The exact minimum of the (penalised) mean squared error, from the moments."""
    n = max(st.n, 1)
    if intercept:
        A = st.cxx / n + np.diag(penalty)
        c = st.cxy / n
        yy = st.cyy / n
    else:
        A = st.cxx / n + np.outer(st.mean_x, st.mean_x) + np.diag(penalty)
        c = st.cxy / n + st.mean_x * st.mean_y
        yy = st.cyy / n + st.mean_y**2
    lam, Q = np.linalg.eigh(A)
    keep = lam > lam[-1] * 1e-13 if lam.size and lam[-1] > 0 else np.zeros(lam.shape, bool)
    coef = Q[:, keep] @ ((Q[:, keep].T @ c) / lam[keep])
    return max(yy - float(c @ coef), 0.0)


def _own_limit(optimizer: Optimizer | None, L: float | None) -> tuple[float, str] | None:
    """``optimizer``'s largest stable learning rate at curvature ``L`` and its formula."""
    if optimizer is None or L is None:
        return None
    return optimizer.stability_limit(float(L))


class LinearModel:
    """Linear regression ``y ~ X w + b`` fit by gradient descent: the engine, plain NumPy.

    Everything a fit does lives here, and nothing here knows scikit-learn: the command line
    fits with this class, so a small ``descend fit`` never imports it.
    :class:`descend.LinearRegression` (:mod:`descend.models.estimator`) is the scikit-learn
    estimator: this class plus scikit-learn's base classes and input validation.

    Parameters (one spelling each, shared with the CLI and the rest of descend):

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
    learning_rate : ``'auto'`` (default: ``1/L`` for gd, momentum and nesterov; for
        ``absolute_error`` a ``1/sqrt(k)`` subgradient schedule), a positive number, or a
        schedule ``f(step) -> rate``. A typed rate is in the optimizer's coordinates: the
        standardised features when ``scale=True`` (``x -> (x - mean) / std``; there
        ``2/L >= 1``), the features' own units when ``scale=False``
        (``learning_rate_coordinates_`` says which); a rate far below ``1/L`` warns.
    max_iter : steps (full batch) or epochs (mini-batch). Default 1000.
    tol : stop when the loss is flat: its range over the last ``n_iter_no_change`` steps is
        ``max - min <= tol * max|loss|`` (status ``no_progress``; tested after every step, the
        rule of :func:`descend.minimize` and every path of descend, see
        :mod:`descend.loop.stopping`). Default 1e-12 (the defaults reach the least-squares
        optimum to >= 6 digits).
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
    warm_start : when True, each ``fit`` starts from the previous fit's ``intercept_`` and
        ``coef_`` (if it has as many features) instead of ``init``: a refit on similar data
        takes fewer steps of plain gradient descent and reaches the same answer (the
        preconditioned solver lands in one step from anywhere). Default False.
    verbose : ``0`` (default) is silent; ``> 0`` prints one line per step (epoch) to stdout,
        ``"<Class>: step k  loss f  |grad| g"`` -- scikit-learn's convention, the one place
        the library prints.

    ``fit(X, y, sample_weight=None)``: with weights ``s_i >= 0`` the fit minimises the weighted
    mean loss ``sum_i s_i h(r_i) / sum_i s_i`` (+ the penalty) for every loss and optimizer;
    for the squared loss the weighted moments ``mx = sum s_i x_i / W``,
    ``Cxx = (n / W) sum s_i (x_i - mx)(x_i - mx)^T`` (likewise ``cxy``, ``cyy``) replace the
    plain ones. :meth:`partial_fit` fits a stream chunk by chunk.

    ``fit``/``fit_table`` also take ``callback`` (called after every step with an
    ``IntermediateResult``: ``x`` in the optimizer's coordinates, ``fun``, ``nit`` counted from
    the run's start, ``state`` -- a :class:`~descend.scale.checkpoint.Checkpointer` fits here)
    and ``resume`` (a checkpoint of such a run: its ``x``, ``state`` and ``nit``; the fit then
    continues it and makes bit for bit the iterates of the uninterrupted run; ``max_iter`` is
    the whole run's budget). :meth:`checkpoint_meta` is the settings a checkpoint should
    carry; a resume whose checkpoint names other settings is refused.

    Fitted attributes: ``coef_``, ``intercept_``, ``n_iter_``, ``loss_curve_`` (loss at the
    start and after every step/epoch), ``history_`` (``(n_iter_ + 1, d + 1)``: intercept then
    coefficients, user units, per iteration), ``stop_reason_``, ``initial_loss_``, ``loss_``,
    ``start_iter_`` (steps taken before this fit, when resumed; ``loss_curve_`` and
    ``history_`` start there and ``n_iter_`` counts from the run's start),
    ``learning_rate_`` (the rate used), ``stability_limit_`` (``2/L``; ``None`` when L is not
    known), ``optimal_loss_`` and ``optimality_gap_`` (squared loss: the exact least-squares
    minimum and ``loss_ - optimal_loss_``), ``result_`` (the
    :class:`~descend.loop.result.OptimizeResult`), ``feature_names_``, ``n_features_in_``,
    ``optimizer_`` (the optimizer used, ``'auto'`` resolved), ``learning_rate_coordinates_``
    (``'whitened'``, ``'standardised'`` or ``'raw'``), ``verdict_`` (a
    :class:`~descend.loop.verdict.Verdict`: ``converged`` only when the gradient is small
    against the problem's scale and, for the squared loss, the optimality gap is small),
    ``relative_gradient_`` (``|grad| / sqrt(2 L var(y))``), ``condition_number_`` (of the
    standardised design; ``inf`` for collinear columns), ``trusted_digits_`` (significant
    digits of the coefficients the arithmetic can vouch for, from the condition number, the
    final gradient and the rounding of the data; see :mod:`descend.models._accuracy`; its
    relative error is ``error_bound_``), ``collinear_`` (the columns of the weakest direction
    when the design is nearly singular or fewer than 6 digits can be trusted), and for huber
    ``huber_scale_`` and ``huber_threshold_`` (``epsilon x huber_scale_``, target units).

    >>> import numpy as np
    >>> X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    >>> y = np.array([200000.0, 250000.0, 300000.0, 350000.0, 400000.0])
    >>> model = LinearModel().fit(X, y)
    >>> round(float(model.coef_[0]), 2), round(float(model.predict([[2000.0]])[0]))
    (166.67, 333333)
    """

    def __init__(
        self,
        *,
        loss: str = "squared_error",
        alpha: float = 0.0,
        epsilon: float = 1.35,
        optimizer: str | Optimizer = "auto",
        learning_rate: Any = "auto",
        max_iter: int = 1000,
        tol: float = 1e-12,
        n_iter_no_change: int = 5,
        gtol: float | None = None,
        target_loss: float | None = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        random_state: Any = None,
        scale: bool = True,
        init: Sequence[float] | None = None,
        time_limit: float | None = None,
        fit_intercept: bool = True,
        huber_scale: Any = "auto",
        warm_start: bool = False,
        verbose: int = 0,
    ):
        self.loss = loss
        self.alpha = alpha
        self.epsilon = epsilon
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.gtol = gtol
        self.target_loss = target_loss
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.scale = scale
        self.init = init
        self.time_limit = time_limit
        self.fit_intercept = fit_intercept
        self.huber_scale = huber_scale
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ validation

    def _check_params(self, d: int) -> None:
        owner = type(self).__name__
        if self.loss not in LOSSES:
            raise InputError(f"{owner}: loss={self.loss!r} is not one of {', '.join(LOSSES)}")

        def number(name: str, value: Any, low: float, *, open_low: bool = False) -> None:
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            ok = ok and np.isfinite(value) and (value > low if open_low else value >= low)
            if not ok:
                rng = f"> {low:g}" if open_low else f">= {low:g}"
                raise InputError(f"{owner}: {name}={value!r} must be a finite number {rng}")

        number("alpha", self.alpha, 0.0)
        number("epsilon", self.epsilon, 0.0, open_low=True)
        if not (isinstance(self.huber_scale, str) and self.huber_scale == "auto"):
            number("huber_scale", self.huber_scale, 0.0, open_low=True)
        number("tol", self.tol, 0.0)
        if self.gtol is not None:
            number("gtol", self.gtol, 0.0)
        if self.target_loss is not None:
            number("target_loss", self.target_loss, -np.inf)
        if self.time_limit is not None:
            number("time_limit", self.time_limit, 0.0, open_low=True)
        for name, value in (("max_iter", self.max_iter), ("batch_size", self.batch_size),
                            ("n_iter_no_change", self.n_iter_no_change)):
            if value is None and name == "batch_size":
                continue
            if (
                not isinstance(value, numbers.Integral)
                or isinstance(value, bool)
                or value < (0 if name == "max_iter" else 1)
            ):
                raise InputError(f"{owner}: {name}={value!r} must be a positive integer")
        lr = self.learning_rate
        if not (lr == "auto" if isinstance(lr, str) else callable(lr) or lr is None):
            number("learning_rate", lr, 0.0, open_low=True)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise InputError(f"{owner}: fit_intercept={self.fit_intercept!r} must be True or False")
        if self.optimizer == "preconditioned":
            if self.loss != "squared_error" or self.batch_size is not None:
                raise InputError(
                    f"{owner}: optimizer='preconditioned' fits the full-batch squared loss; "
                    f"with loss={self.loss!r}, batch_size={self.batch_size!r} use "
                    "optimizer='auto' or 'gd'"
                )
            if not (lr == "auto" or lr is None):
                raise InputError(
                    f"{owner}: optimizer='preconditioned' sets its own step (1/L = 1/2 in "
                    f"whitened coordinates); leave learning_rate='auto' (got {lr!r}) or use "
                    "optimizer='gd' for a typed rate"
                )
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise InputError(f"{owner}: warm_start={self.warm_start!r} must be True or False")
        v = self.verbose
        if not isinstance(v, (numbers.Integral, bool, np.bool_)) or int(v) < 0:
            raise InputError(f"{owner}: verbose={v!r} must be an integer >= 0 (0: silent)")
        if self.init is not None:
            init = np.asarray(self.init, dtype=np.float64).ravel()
            if init.shape != (d + 1,) or not np.isfinite(init).all():
                raise InputError(
                    f"{owner}: init must hold {d + 1} finite numbers (the intercept, then one "
                    f"coefficient per feature), got {list(np.ravel(self.init))}"
                )

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
    ) -> Any:
        """Learn ``coef_`` and ``intercept_`` from ``X`` ``(n, d)`` and ``y`` ``(n,)``.

        Dask arrays or a Dask DataFrame (``y``: its target column's name) are fitted on their
        cluster by map-reduce, never gathered (:func:`descend.scale.dask_engine.fit_dask`).

        Args:
            X: the features, ``(n, d)`` (an array, a pandas or polars DataFrame: its column
                names become ``feature_names_in_``).
            y: the target, ``(n,)``.
            sample_weight: ``None`` (every row weighs 1) or ``(n,)`` finite weights ``s_i >= 0``,
                not all zero. The fit then minimises the weighted mean loss
                ``sum_i s_i h(r_i) / sum_i s_i`` (+ the penalty), so an integer weight is the
                row repeated that many times and a zero weight drops the row. For the squared
                loss the weighted moments (weighted means, centred weighted cross-products)
                replace the plain ones and everything else is unchanged.
            callback: called after every step with an ``IntermediateResult`` (see the class).
            resume: a checkpoint of an earlier run of this fit to continue.

        Returns:
            ``self``, fitted.
        """
        if any(type(v).__module__.startswith("dask") for v in (X, y)):  # without importing it
            from descend.scale.dask_engine import fit_dask

            return fit_dask(self, X, y, sample_weight, callback=callback, resume=resume)
        X, y = self._validate_fit_data(X, y)
        sw = self._check_weights(sample_weight, X.shape[0])
        names = getattr(self, "feature_names_in_", None)
        return self._fit(
            X, y, tuple(map(str, names)) if names is not None else None, callback, resume, sw
        )

    def _check_weights(self, sample_weight: Any, n: int) -> Array | None:
        """Validated weights (:func:`~descend.data.stats.check_sample_weight`); all-ones is
        ``None``, so an unweighted fit takes exactly the unweighted path."""
        sw = check_sample_weight(sample_weight, n)
        if sw is not None and np.all(sw == sw[0]):
            return None  # equal weights: the weighted mean is the plain mean
        return sw

    def _start(self, d: int) -> Array:
        """The first iterate ``[b, w_1..w_d]``: the last fit's answer with ``warm_start``,
        else ``init``, else zeros."""
        if self.warm_start and getattr(self, "coef_", None) is not None:
            coef = np.asarray(self.coef_, dtype=np.float64)
            if coef.shape == (d,) and np.isfinite(coef).all():
                return np.r_[float(self.intercept_), coef]
        if self.init is None:
            return np.zeros(d + 1)
        return np.asarray(self.init, dtype=np.float64).ravel()

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """One pass over a chunk of a stream: ``fit`` for data that arrives in pieces.

        Squared loss (any optimizer, any ``batch_size``): the chunk's (weighted) moments are
        merged exactly into ``moments_`` (Chan et al.'s pairwise update,
        :meth:`~descend.data.stats.MomentStats.merge`) and the model is refit from them, which
        costs O(d^2) a step (O(d^3) for the preconditioned solver's factorisation) whatever
        the rows seen so far. However the rows are cut into chunks, the coefficients are then
        those of one ``fit`` on all of them (to rounding: the moments are exact, the
        preconditioned solve is the normal equations' and loses about ``2 log10(kappa)``
        digits to it, as ``trusted_digits_`` says).

        Huber and absolute error (no finite statistics): one epoch of mini-batch steps on the
        chunk (``batch_size`` rows a step; 32 when ``batch_size`` is ``None``), starting from
        the current coefficients, with the scaling, step size and huber scale taken from the
        moments of every row seen so far. It is a stochastic method, as scikit-learn's
        ``SGDRegressor.partial_fit``: no convergence verdict per chunk (no
        ``ConvergenceWarning``); ``absolute_error``'s ``1/sqrt(k)`` schedule keeps counting
        across chunks (``t_``: steps taken so far).

        A fitted model continues: ``partial_fit`` after ``fit`` adds the chunk to the rows the
        fit saw.

        Args:
            X: the chunk's features, ``(m, d)``; ``d`` (and the column names, if any) as the
                first call's.
            y: the chunk's target, ``(m,)``.
            sample_weight: ``None`` or ``(m,)`` weights, as in :meth:`fit`.

        Returns:
            ``self``, updated.
        """
        first = getattr(self, "coef_", None) is None or not hasattr(self, "moments_")
        X, y = self._validate_partial_data(X, y, first)
        sw = check_sample_weight(sample_weight, X.shape[0])
        chunk = fast_moment_stats(X, y) if sw is None else weighted_moment_stats(X, y, sw)
        stats = chunk
        if not first:
            seen: MomentStats = self.moments_
            stats = seen.merge(chunk)
        names_in = getattr(self, "feature_names_in_", None)
        names = (
            tuple(map(str, names_in))
            if names_in is not None
            else getattr(self, "feature_names_", None) or default_feature_names(X.shape[1])
        )
        if self.loss == "squared_error":
            self.t_ = int(getattr(self, "t_", 0)) if not first else 0
            return self._fit_stats(stats, names)
        # one epoch on the chunk, from where the model stands
        sn = None if sw is None else sw * (X.shape[0] / float(sw.sum()))
        passes = _InMemoryRows(X, y, str(self.loss), float(self.epsilon), sn)
        t = 0 if first else int(getattr(self, "t_", 0))
        bs = int(self.batch_size) if self.batch_size is not None else min(32, X.shape[0])
        start = self._start(X.shape[1]) if first else np.r_[self.intercept_, self.coef_]
        saved = {k: getattr(self, k) for k in ("max_iter", "batch_size", "init", "warm_start")}
        try:
            self.max_iter, self.batch_size, self.warm_start = 1, bs, False
            self.init = [float(v) for v in start]
            self._one_epoch, self._step_offset = True, t
            with warnings.catch_warnings():
                from descend.errors import ConvergenceWarning

                warnings.simplefilter("ignore", ConvergenceWarning)
                self._fit_passes(stats, names, passes)
        finally:
            for k, v in saved.items():
                setattr(self, k, v)
            del self._one_epoch, self._step_offset
        self.t_ = t + -(-X.shape[0] // bs)  # the epoch's mini-batch steps
        return self

    def _validate_partial_data(self, X: Any, y: Any, first: bool) -> tuple[Array, Array]:
        """``fit``'s checks; after the first chunk the features must be the first chunk's."""
        if first:
            return self._validate_fit_data(X, y)
        d = int(getattr(self, "n_features_in_", 0))
        names = getattr(self, "feature_names_in_", None)
        Xa, ya = self._validate_fit_data(X, y)
        now = getattr(self, "feature_names_in_", None)
        self.n_features_in_ = d
        if names is not None:
            self.feature_names_in_ = names
        if Xa.shape[1] != d:
            raise InputError(
                f"X has {Xa.shape[1]} features, but the chunks before had {d}; every chunk "
                "needs the same columns")
        if names is not None and now is not None and list(now) != list(names):
            raise InputError(
                f"this chunk's columns {list(now)} are not the first chunk's {list(names)}")
        return Xa, ya

    def fit_table(
        self, table: Any, *, callback: Callable[[Any], Any] | None = None, resume: Any = None
    ) -> LinearModel:
        """Fit a :class:`~descend.data.table.Table` and remember its column names."""
        self.n_features_in_ = table.d
        self.target_name_ = table.target_name
        return self._fit(table.X, table.y, table.feature_names, callback, resume)

    def checkpoint_meta(self) -> dict[str, Any]:
        """The settings that shape the iterates: a checkpoint stores them, a resume checks them."""
        opt = self.optimizer
        lr = self.learning_rate
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
            "random_state": self.random_state
            if self.random_state is None or isinstance(self.random_state, int)
            else repr(self.random_state),
        }

    def _check_resume(self, resume: Any, d: int) -> None:
        x = np.asarray(resume.x, dtype=np.float64)
        if x.shape != (d + 1,):
            raise InputError(
                f"resume: the checkpoint holds {x.size} parameters; this fit has {d + 1} "
                "(the intercept and one coefficient per feature) -- it is of another data set"
            )
        saved = (getattr(resume, "meta", None) or {}).get("model")
        if isinstance(saved, dict):
            now = self.checkpoint_meta()
            for key, value in now.items():
                if key in saved and saved[key] != value:
                    raise InputError(
                        f"resume: the checkpoint is of a fit with {key}={saved[key]!r}, this fit "
                        f"has {key}={value!r}; use the same setting to resume it"
                    )

    def _fit(
        self,
        X: Array,
        y: Array,
        names: Sequence[str] | None,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
        sample_weight: Array | None = None,
    ) -> LinearModel:
        names = tuple(names) if names is not None else default_feature_names(X.shape[1])
        self._check_params(X.shape[1])
        if sample_weight is not None:
            # the weights normalised to the row count: sum_i s_i h(r_i) / n is the weighted mean
            sn = sample_weight * (X.shape[0] / float(sample_weight.sum()))
            stats = weighted_moment_stats(X, y, sample_weight)
            _check_overflow(stats, names)
            if self.loss == "squared_error" and self.batch_size is None:
                return self._fit_stats(
                    stats, names, callback=callback, resume=resume, rows=_WeightedRows(X, y, sn)
                )
            passes = _InMemoryRows(X, y, str(self.loss), float(self.epsilon), sn)
            return self._fit_passes(stats, names, passes, callback=callback, resume=resume)
        stats = fast_moment_stats(X, y)
        _check_overflow(stats, names)
        if self._solver() == "preconditioned":
            white, objective = whiten_rows(
                X, y, intercept=bool(self.fit_intercept), alpha=float(self.alpha), stats=stats
            )
            return self._fit_whitened(white, objective, stats, names, callback, resume)
        if self.loss == "squared_error" and self.batch_size is None:
            return self._fit_stats(stats, names, callback=callback, resume=resume)
        return self._fit_rows(X, y, stats, names, callback=callback, resume=resume)

    def _solver(self) -> str:
        """The optimizer's name with ``'auto'`` resolved (see the class docstring)."""
        opt = self.optimizer
        if isinstance(opt, Optimizer):
            return opt.name
        name = str(opt)
        if name == "auto":
            typed = not (self.learning_rate == "auto" or self.learning_rate is None)
            full_squared = self.loss == "squared_error" and self.batch_size is None
            return "preconditioned" if full_squared and not typed else "gd"
        return name

    def _setup(
        self, stats: MomentStats, names: Sequence[str], resume: Any = None
    ) -> tuple[Standardizer, Array, Array]:
        self._check_params(stats.d)
        self.n_features_in_ = stats.d
        self.feature_names_ = tuple(names)
        self.moments_ = stats  # for summary(): the statistics need only the moments
        std = Standardizer.fit(stats, bool(self.scale), bool(self.fit_intercept))
        penalty = float(self.alpha) / std.scale**2
        if resume is not None:
            self._check_resume(resume, stats.d)
            # The optimizer's own coordinates, saved as they were: the only way to bit-for-bit.
            theta0 = np.array(resume.x, dtype=np.float64)
        else:
            init = self._start(stats.d)
            theta0 = std.to_internal(float(init[0]), init[1:])
        if not self.fit_intercept:
            theta0[0] = 0.0  # through the origin: b = 0 (c = b there, nothing is centred)
        self._warn_features(stats, std, names)
        return std, penalty, theta0

    def _verbose_callback(
        self, callback: Callable[[Any], Any] | None, offset: int = 0
    ) -> Callable[[Any], Any] | None:
        """``callback`` preceded by one printed line per step when ``verbose > 0``."""
        if not self.verbose:
            return callback
        owner = type(self).__name__

        def report(res: Any) -> Any:
            # scikit-learn's convention: verbose output goes to stdout, the one place the
            # library prints
            print(
                f"{owner}: step {int(res.nit) + offset}  loss {float(res.fun):.10g}  "
                f"|grad| {float(res.grad_norm):.3e}",
                flush=True,
            )
            return callback(res) if callback is not None else None

        return report

    def _descend(
        self,
        fun: Callable[[Array], tuple[float, Array]],
        theta0: Array,
        optimizer: Optimizer,
        lr: Any,
        callback: Callable[[Any], Any] | None,
        resume: Any,
        max_iter: int | None = None,
        gradient_floor: bool = False,
        **more: Any,
    ) -> OptimizeResult:
        callback = self._verbose_callback(callback)
        gtol = self.gtol
        if gradient_floor and gtol is None:
            gtol = 0.0  # an exact fit: a zero gradient ends the refinement
        rules = Rules(
            max_iter=int(self.max_iter) if max_iter is None else max_iter,
            tol=float(self.tol),
            n_iter_no_change=int(self.n_iter_no_change),
            gtol=gtol,
            target_loss=self.target_loss,
            time_limit=self.time_limit,
            gradient_floor=gradient_floor,
        )
        return run_descent(
            fun,
            theta0,
            optimizer,
            rules,
            learning_rate=lr if isinstance(lr, float) else None,
            state=None if resume is None else resume.state,
            start_iter=0 if resume is None else int(resume.nit),
            callback=callback,
            **more,
        )

    def _fit_stats(
        self,
        stats: MomentStats,
        feature_names: Sequence[str],
        *,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
        rows: ResidualPasses | None = None,
    ) -> LinearModel:
        """Squared loss, full batch, from the moments (the hook for streaming and Dask).

        ``rows`` (a :class:`~descend.models._whitened.ResidualPasses`, where the engine can
        re-read the data) lets the preconditioned solver refine on residuals from the rows;
        without it the answer is the normal equations' (about ``2 log10(kappa)`` digits
        fewer, as ``trusted_digits_`` says).
        """
        if self._solver() == "preconditioned":
            self._check_params(stats.d)
            white, whitened = whiten_moments(
                stats, intercept=bool(self.fit_intercept), alpha=float(self.alpha), rows=rows
            )
            if rows is not None and white.kind == "moments" and (
                white.condition_number <= _NO_REFINE_KAPPA
            ):
                # Rows not in memory cost a read of the data per pass. On a well-conditioned
                # design the moments' answer already carries ~16 - 2 log10(kappa) >= 12
                # digits: descend from the moments alone (a streamed 7e6 x 10 fit: 4 passes
                # of 0.8-2.8 s each -> none after the statistics pass).
                white, whitened = whiten_moments(
                    stats, intercept=bool(self.fit_intercept), alpha=float(self.alpha))
            return self._fit_whitened(white, whitened, stats, feature_names, callback, resume)
        std, penalty, theta0 = self._setup(stats, feature_names, resume)
        objective = StatsObjective(std.stats(stats), penalty, bool(self.fit_intercept))
        L = objective.curvature_bound()
        optimizer, lr = self._optimizer(L, stats, std)
        result = self._descend(objective.value_and_grad, theta0, optimizer, lr, callback, resume)
        self.optimal_loss_: float | None = _least_squares_loss(
            std.stats(stats), penalty, bool(self.fit_intercept)
        )
        return self._finish(result, std, stats, L, lr, normal_equations=True, optimizer=optimizer)

    def _fit_whitened(
        self,
        white: Whitening,
        objective: WhitenedObjective,
        stats: MomentStats,
        names: Sequence[str],
        callback: Callable[[Any], Any] | None,
        resume: Any,
    ) -> LinearModel:
        """Gradient descent in whitened coordinates (``L = mu = 2``, step ``1/L``) + refinement.

        The descent starts at ``init`` (the anchor); in memory, up to ``_ROUNDS`` refinement
        rounds follow, each re-anchored at the answer so far with the residual recomputed from
        the rows (compensated, to twice the working precision, where that is affordable):
        corrections then carry rounding of their own size only.
        """
        self.n_features_in_ = stats.d
        self.feature_names_ = tuple(names)
        self.moments_ = stats  # for summary(): the statistics need only the moments
        init = self._start(stats.d)
        b0 = float(init[0]) if self.fit_intercept else 0.0
        objective = objective.reanchor(b0, init[1:], exact=False)
        if resume is not None:
            self._check_resume(resume, int(white.keep.sum()))
            theta0 = np.array(resume.x, dtype=np.float64)
        else:
            theta0 = np.zeros(int(white.keep.sum()) + 1)
        self._warn_features(stats, Standardizer.fit(stats, True, bool(self.fit_intercept)), names)
        lr = 0.5  # 1/L: the Hessian in whitened coordinates is 2 I
        gd = get_optimizer("gd", learning_rate=lr)
        # In memory, refinement rounds follow: the first descent needs only its Newton step
        # (a second would refine on residuals measured from the start, which the rounds
        # recompute from the answer, better).
        start = 0 if resume is None else int(resume.nit)
        refinable = objective.in_memory or objective.anchored_rows
        capped = refinable and int(self.max_iter) > start + 1
        result = self._descend(
            objective.value_and_grad,
            theta0,
            gd,
            lr,
            callback,
            resume,
            max_iter=start + 1 if capped else None,
            gradient_floor=True,
        )
        if capped and result.status is Status.MAX_ITER:
            result = dataclasses.replace(result, status=Status.NO_PROGRESS)
        result = _best_by_gradient(result)
        user = [objective.white.path_to_user(result.history.x)]
        curve = [result.history.fun]
        gnorms = [result.history.grad_norm]
        nit, nfev = result.nit, result.nfev
        # exact residuals cost ~25 flops per entry: in memory always for hard problems, else
        # when small; streamed and on Dask (where reading the rows costs more) always
        exact = objective.white.kind == "qr" or stats.n * max(stats.d, 1) <= _EXACT_ROWS
        exact = exact or objective.anchored_rows
        rounds = 0
        # without compensation a round only removes the first solve's rounding: one is enough;
        # a round over rows not in memory costs two passes: two rounds
        most = 1 if not exact else (_ROUNDS if objective.in_memory else 2)
        steps = 2 if exact and objective.in_memory else 1
        while (
            refinable
            and result.status in (Status.NO_PROGRESS, Status.GTOL)
            and rounds < most
            and start + nit < int(self.max_iter)  # the rounds' steps count in max_iter too
        ):
            rounds += 1
            b, w = objective.white.to_user(result.x)
            objective = objective.reanchor(b, w, exact=exact)
            again = run_descent(
                objective.value_and_grad,
                np.zeros_like(result.x),
                gd,
                # large data: one classic refinement step; never past max_iter; a round
                # stops when the gradient norm stops halving (its rounding floor)
                Rules(max_iter=min(steps, int(self.max_iter) - start - nit), tol=0.0,
                      n_iter_no_change=1, gtol=0.0, gradient_floor=True),
                callback=self._verbose_callback(None, offset=start + nit),
            )
            again = _best_by_gradient(again)
            user.append(objective.white.path_to_user(again.history.x)[1:])
            curve.append(again.history.fun[1:])
            gnorms.append(again.history.grad_norm[1:])
            nit, nfev = nit + again.nit, nfev + again.nfev
            b_new, w_new = objective.white.to_user(again.x)
            change = np.abs(np.r_[b_new - b, w_new - w])
            size = np.abs(np.r_[b, w])
            gn_final = float(again.info.get("grad_norm", again.history.grad_norm[-1]))
            stopped = again.status in (Status.INTERRUPTED, Status.DIVERGED)
            result = dataclasses.replace(
                again,
                status=again.status if stopped else result.status,
                elapsed=result.elapsed + again.elapsed,
                info={**result.info, "grad_norm": gn_final},
            )
            if stopped:
                break
            # every coefficient changed in its last bits only: the next round cannot help
            if np.all(change <= _SETTLED * size) or again.nit == 0:
                break
        history = History(
            x=np.vstack(user),
            fun=np.concatenate(curve),
            grad_norm=np.concatenate(gnorms),
            learning_rate=np.full(nit, lr),
        )
        info = {
            **result.info,
            "passes": objective.passes,
            "factor": objective.white.kind,
            "refinement_rounds": rounds,
            "compensated": bool(exact and refinable),
        }
        result = dataclasses.replace(
            result, optimizer="preconditioned", info=info, history=history, nit=nit,
            nfev=nfev, njev=nfev,
        )
        std = Standardizer.fit(stats, True, bool(self.fit_intercept))
        self.optimal_loss_ = _least_squares_loss(
            std.stats(stats), float(self.alpha) / std.scale**2, bool(self.fit_intercept)
        )
        normal = objective.white.kind == "moments" and objective.rows is None
        return self._finish(
            result, objective.white, stats, 2.0, lr, normal_equations=normal, user_path=True
        )

    def _fit_rows(
        self,
        X: Array,
        y: Array,
        stats: MomentStats,
        names: Sequence[str],
        *,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
    ) -> LinearModel:
        """Huber, absolute error, or any mini-batch fit: passes over the rows in memory."""
        passes = _InMemoryRows(X, y, str(self.loss), float(self.epsilon))
        return self._fit_passes(stats, names, passes, callback=callback, resume=resume)

    def _fit_passes(
        self,
        stats: MomentStats,
        names: Sequence[str],
        passes: RowPasses,
        *,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
    ) -> LinearModel:
        """Huber, absolute error, or any mini-batch fit over rows that ``passes`` reads.

        The hook for data that is not in memory: ``stats`` (one pass) fixes the scaling and
        the curvature; every step (epoch) is then one full pass (mini-batch: one epoch of
        batches) through ``passes``, wherever the rows live.
        """
        std, penalty, theta0 = self._setup(stats, names, resume)
        smooth = self.loss != "absolute_error"
        intercept = bool(self.fit_intercept)
        L = curvature(std.stats(stats), penalty, intercept) if smooth else None
        eps = float(self.epsilon)
        self.huber_scale_: float | None = None
        if self.loss == "huber":
            self.huber_scale_ = self._huber_scale(stats)
            eps = float(self.epsilon) * self.huber_scale_
            if hasattr(passes, "epsilon"):
                passes.epsilon = eps  # the rows' passes apply the threshold in target units
        self.huber_threshold_ = eps if self.loss == "huber" else None
        data = _PassObjective(passes, std, float(self.alpha), intercept)
        fun: Callable[[Array], tuple[float, Array]] = data.value_and_grad
        if self.loss == "squared_error":  # mini-batch squared loss: the curve costs O(d^2)
            fun = StatsObjective(std.stats(stats), penalty, intercept).value_and_grad
        epoch = None
        rng = None
        L_step = L
        n = int(stats.n)
        if self.batch_size is not None and self.batch_size < n:
            bs = int(self.batch_size)
            if L is not None:
                # Expected smoothness of b-nice sampling (Gower et al. 2019, Prop. 3.8):
                # L(b) = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max, L_max the largest per-row L.
                L_max = 2.0 * float(
                    1.0 + passes.max_row_norm2(std.mean, std.scale) + penalty.max(initial=0)
                )
                L_step = (n * (bs - 1) * L + (n - bs) * L_max) / (bs * (n - 1))
            rng = _rng(self.random_state)
            shuffle = bool(self.shuffle)
            loss = str(self.loss)

            def epoch(theta: Array, opt: Optimizer, state: object, k: int) -> tuple[Array, object]:
                assert rng is not None
                for Xb, yb, *wb in passes.batches(rng, bs, shuffle):
                    _, g = data.grad_on(theta, Xb, yb, loss, eps, *wb)
                    updates, state = opt.update(g, state, theta)
                    theta = theta + updates
                return theta, state

        optimizer, lr = self._optimizer(L_step, stats, std)
        result = self._descend(fun, theta0, optimizer, lr, callback, resume, epoch=epoch, rng=rng)
        self.optimal_loss_ = (
            _least_squares_loss(std.stats(stats), penalty, intercept)
            if self.loss == "squared_error"
            else None
        )
        one_epoch = getattr(self, "_one_epoch", False)  # partial_fit: keep the epoch's end
        if self.loss == "absolute_error" and result.status is not Status.DIVERGED and not one_epoch:
            # A subgradient method does not descend monotonically: report its best iterate.
            best = int(np.argmin(result.history.fun))
            h = result.history
            result = OptimizeResult(
                x=h.x[best].copy(),
                fun=float(h.fun[best]),
                jac=result.jac,
                nit=result.nit,
                nfev=result.nfev,
                njev=result.njev,
                status=result.status,
                message=result.message,
                history=h,
                optimizer=result.optimizer,
                learning_rate=result.learning_rate,
                elapsed=result.elapsed,
                info={**result.info, "best_iteration": best},
            )
        return self._finish(result, std, stats, L_step, lr, L_full=L, optimizer=optimizer)

    def _huber_scale(self, stats: MomentStats) -> float:
        """``huber_scale`` resolved: a number, or the least-squares RMS residual (``'auto'``)."""
        if not isinstance(self.huber_scale, str):
            return float(self.huber_scale)
        std = Standardizer.fit(stats, True, bool(self.fit_intercept))
        mse = _least_squares_loss(std.stats(stats), np.zeros(stats.d), bool(self.fit_intercept))
        spread = float(np.sqrt(max(stats.cyy / max(stats.n, 1), 0.0)))
        rms = float(np.sqrt(mse))
        # An exact (or nearly exact) linear relation leaves no residual scale. A threshold
        # near 0 would make huber the absolute error (a tiny, capped gradient: the fit would
        # barely move from its start), while at the answer every residual is ~0 and any
        # threshold gives the same optimum: take the target's own spread.
        if rms <= 1e-6 * spread:
            return max(spread, 1e-300)
        return rms

    def _optimizer(
        self, L: float | None, stats: MomentStats, std: Standardizer
    ) -> tuple[Optimizer, Any]:
        """Resolve ``learning_rate`` (``'auto'`` -> a number from L) and build the optimizer."""
        opt = self.optimizer
        name = self._solver()
        lr: Any = self.learning_rate
        if lr is None and isinstance(opt, Optimizer):
            lr = opt.learning_rate
        typed = not (lr == "auto" or lr is None)
        # what kind of optimizer this is comes from its own metadata, not from its name
        kind = opt if isinstance(opt, Optimizer) else get_optimizer(name)
        adaptive = kind.adaptive
        if not typed:
            if L is not None and not adaptive:
                lr = 1.0 / L
            else:
                # Parameters live in standardised units, so the target's spread sets the pace.
                size = float(np.sqrt(stats.cyy / max(stats.n, 1))) or 1.0
                size = max(size, abs(stats.mean_y) * 1e-3, 1e-12)
                if adaptive:
                    lr = 0.01 * size
                else:
                    # Subgradient method: steps ~ 1/sqrt(k) converge (Shor 1985; Boyd, EE364b).
                    eta0 = 0.1 * size
                    # partial_fit: the schedule goes on counting across chunks
                    lr = _InverseSqrt(eta0, int(getattr(self, "_step_offset", 0)))
        if isinstance(lr, numbers.Real):
            lr = float(lr)
            limit = kind.stability_limit(L) if L is not None else None
            if limit is not None and lr > limit[0]:
                warnings.warn(
                    stability_message(lr, limit, scaled=std.active),
                    StabilityWarning,
                    stacklevel=4,
                )
            elif L is not None and typed and not adaptive and lr * L < 1e-2:
                warnings.warn(
                    small_rate_message(lr, L, scaled=std.active), StabilityWarning, stacklevel=4
                )
        if isinstance(opt, Optimizer):
            return opt.with_learning_rate(lr), lr
        return get_optimizer(name, learning_rate=lr), lr

    def _warn_features(self, stats: MomentStats, std: Standardizer, names: Sequence[str]) -> None:
        if stats.n < 2 or not self.fit_intercept:
            return
        sd = stats.std_x()
        const = [names[int(j)] for j in np.flatnonzero(sd == 0)]
        if const:
            warnings.warn(
                f"feature(s) {', '.join(map(repr, const))} are constant; their coefficients stay "
                "at their starting values (the data cannot say anything about them)",
                UserWarning,
                stacklevel=4,
            )

    def _conditioning(
        self, stats: MomentStats, std: Any, names: Sequence[str]
    ) -> tuple[float, list[str], Whitening]:
        """Condition number of the standardised design, its weakest direction's columns, and
        the whitening they come from."""
        white = std if isinstance(std, Whitening) else whiten_moments(
            stats, intercept=bool(self.fit_intercept), alpha=float(self.alpha)
        )[0]
        sv = white.sv[white.sv > 0]
        if self.fit_intercept:
            # a constant column is not part of the design's conditioning (it is the intercept)
            sd = stats.std_x()
            d_live = int((sd > 0).sum())
        else:
            d_live = stats.d
        if sv.size < d_live:
            kappa = float("inf")
        else:
            kappa = float(sv[0] / sv[-1]) if sv.size else 1.0
            if not np.all(white.keep[: sv.size]):
                kappa = float("inf")
        constant: Any = np.flatnonzero(stats.std_x() == 0) if self.fit_intercept else ()
        return kappa, white.collinear(tuple(names), skip=constant), white

    def _finish(
        self,
        result: OptimizeResult,
        std: Any,
        stats: MomentStats,
        L: float | None,
        lr: Any,
        *,
        L_full: float | None = None,
        normal_equations: bool = False,
        user_path: bool = False,
        optimizer: Optimizer | None = None,
    ) -> LinearModel:
        b, w = std.to_user(result.x)
        self.intercept_ = float(b)
        self.coef_ = np.asarray(w, dtype=np.float64)
        self.history_ = result.history.x if user_path else std.path_to_user(result.history.x)
        self.loss_curve_ = np.asarray(result.history.fun, dtype=np.float64)
        self.initial_loss_ = float(self.loss_curve_[0])
        self.loss_ = float(result.fun)
        self.start_iter_ = int(result.info.get("start_iter", 0))
        self.n_iter_ = self.start_iter_ + int(result.nit)
        self.stop_reason_ = str(result.status)
        self.learning_rate_ = lr
        self.curvature_ = L
        self.stability_limit_ = 2.0 / L if L else None
        #: the optimizer's own limit and its formula at this curvature, (1.5, "2(1 + momentum)/L")
        self.optimizer_limit_ = _own_limit(optimizer, L_full if L_full is not None else L)
        self.optimizer_ = result.optimizer if result.optimizer else self._solver()
        if self.loss != "huber":  # set by _fit_passes for huber; nothing stale from a refit
            self.huber_scale_, self.huber_threshold_ = None, None
        whitened = isinstance(std, Whitening)
        self.learning_rate_coordinates_ = (
            "whitened" if whitened else "standardised" if std.active else "raw"
        )
        opt_loss = getattr(self, "optimal_loss_", None)
        # Both losses come from the moments, whose rounding floor is ~eps * sum((y - mean)^2) / n;
        # a "negative gap" is that noise (the descent reached the optimum), reported as 0.
        self.optimality_gap_ = max(self.loss_ - opt_loss, 0.0) if opt_loss is not None else None

        # ---- what the facts show: conditioning, distance left, digits, verdict
        n = max(stats.n, 1)
        var_y = stats.cyy / n if self.fit_intercept else stats.cyy / n + stats.mean_y**2
        var_y = max(var_y, 1e-300)
        kappa, collinear, white = self._conditioning(stats, std, self.feature_names_)
        self.condition_number_ = kappa
        gnorm = float(result.info.get("grad_norm", np.linalg.norm(result.jac)))
        L_judge = L_full if L_full is not None else L
        self.relative_gradient_ = (
            gnorm / np.sqrt(2.0 * L_judge * var_y) if L_judge else None
        )
        # the Newton step H^-1 g still left, in the design's standardised coefficients
        if whitened:
            jac = np.asarray(result.jac, dtype=np.float64)
            jn = float(np.linalg.norm(jac))
            du = jac[1:] / 2.0 * (gnorm / jn if jn > 0 else 0.0)
            step_v = np.sqrt(std.n) * (std._T() @ du) if du.size else np.zeros(stats.d)
        else:
            H = hessian(std.stats(stats), float(self.alpha) / std.scale**2, bool(self.fit_intercept))
            if not self.fit_intercept:
                H = np.pad(H, ((1, 0), (1, 0)))
                H[0, 0] = 1.0
            step = np.linalg.lstsq(H, np.asarray(result.jac, dtype=np.float64), rcond=None)[0]
            step_v = step[1:] / std.scale * white.scale
        v_now = self.coef_ * white.scale
        moved = float(np.linalg.norm(step_v))
        target = float(np.linalg.norm(v_now - step_v))
        dist = moved / target if target > 0 else (0.0 if moved == 0 else float("inf"))
        self.trusted_digits_, self.error_bound_ = trusted_digits(
            stats=stats,
            intercept=bool(self.fit_intercept),
            scale=white.scale,
            # on the subspace the data determine (a constant or duplicated column's share is
            # fixed at the start's: the minimum-norm answer, whose digits these are)
            sv=white.sv[white.keep],
            V=white.V[:, white.keep],
            w=self.coef_,
            mse=self.loss_,
            newton_step=step_v,
            normal_equations=normal_equations,
        )
        if result.status is Status.DIVERGED:
            self.trusted_digits_ = 0
        weak = kappa > 1e6 or (kappa > 1e3 and self.trusted_digits_ < 6)
        self.collinear_ = collinear if weak else []
        if weak and result.status is not Status.DIVERGED:
            text = collinear_message(
                collinear, kappa, self.trusted_digits_, penalised=self.alpha > 0
            )
            if normal_equations and self.trusted_digits_ < 6:
                text += (
                    "; this fit solved the normal equations from the moments alone (they lose "
                    "2 log10(condition number) digits): a fit that can re-read the rows (in "
                    "memory, --engine stream or dask) refines it"
                )
            warnings.warn(text, UserWarning, stacklevel=3)
        rel_gap = (
            self.optimality_gap_ / var_y
            if self.optimality_gap_ is not None and self.loss == "squared_error"
            else None
        )
        gtol_met = self.gtol is not None and gnorm <= float(self.gtol)
        self.verdict_ = fit_verdict(
            status=result.status,
            rel_grad=self.relative_gradient_,
            rel_gap=rel_gap,
            kappa_h=min(kappa * kappa, 1e300) if np.isfinite(kappa) else 1e300,
            learning_rate=lr,
            # the optimizer's own limit (2/L, 2(1 + momentum)/L, ...); none for the adaptive
            # methods and the preconditioned solver
            limit=None if self.optimizer_limit_ is None else self.optimizer_limit_[0],
            smooth=self.loss != "absolute_error",
            gtol_met=gtol_met,
        )
        lr_now = self.learning_rate_
        message = fit_message(
            self,
            result,
            scaled=bool(std.active),
            stats=stats,
            dist=dist,
            steps=lambda: self._steps_needed(stats, std),
            decayed_schedule=callable(lr_now) and not isinstance(lr_now, _InverseSqrt),
        )
        self.message_ = message
        self.result_ = OptimizeResult(
            x=np.concatenate([[self.intercept_], self.coef_]),
            fun=result.fun,
            jac=result.jac,
            nit=result.nit,
            nfev=result.nfev,
            njev=result.njev,
            status=result.status,
            message=message,
            history=result.history,
            variables=("intercept", *self.feature_names_),
            optimizer=result.optimizer,
            learning_rate=result.learning_rate,
            elapsed=result.elapsed,
            info={**result.info, "verdict": self.verdict_},
            verdict=self.verdict_,  # result_.success is true only when the fit converged
        )
        return self

    def summary(self, alpha: float = 0.05) -> Any:
        """Standard errors, t, p-values, intervals, R^2, F... of the fit, from its moments.

        Args:
            alpha: the intervals' confidence level is ``1 - alpha`` (default 0.05).

        Returns:
            A :class:`~descend.models.inference.FitSummary`: ``print()`` it for the table,
            ``to_dict()`` for JSON. Its assumptions, and what a penalised, huber or
            absolute-error fit does not get, are in :mod:`descend.models.inference`.
        """
        from descend.models.inference import ols_summary

        self._check_fitted()
        if not hasattr(self, "moments_"):
            raise InputError(
                "summary() needs the moments of the training data, which this model does not "
                "hold (a model file written before descend's format version 2, or with more "
                "than 500 features, keeps only its coefficients); fit it to get its statistics"
            )
        return ols_summary(
            self.moments_,
            self.intercept_,
            self.coef_,
            names=self.feature_names_,
            target=getattr(self, "target_name_", None),
            alpha=alpha,
            loss=str(self.loss),
            penalty=float(self.alpha),
            status=getattr(self, "stop_reason_", None),
            # a model loaded from a file has no result_: its saved verdict says
            converged=bool(self.result_.success)
            if hasattr(self, "result_")
            else bool(getattr(self, "converged_", False)),
            fit_intercept=bool(self.fit_intercept),
        )

    def _steps_needed(self, stats: MomentStats, std: Any) -> float:
        """About ``kappa_H ln(1/accuracy)`` steps: plain GD at 1/L to 1e-6 relative."""
        H = hessian(
            std.stats(stats) if not isinstance(std, Whitening) else
            Standardizer.fit(stats, bool(self.scale), bool(self.fit_intercept)).stats(stats),
            np.zeros(stats.d),
            bool(self.fit_intercept),
        )
        lam = np.linalg.eigvalsh(H)
        kappa_h = float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf
        return kappa_h * np.log(1e6)

    # ------------------------------------------------------------------ prediction

    def predict(self, X: Any) -> Array:
        """``X @ coef_ + intercept_``."""
        self._check_fitted()
        X = self._validate_predict_data(X)
        fast = _backends.fast("predict", X)  # one fused pass for large X
        if fast is not None:
            return fast(X, self.coef_, float(self.intercept_))  # type: ignore[no-any-return]
        return X @ self.coef_ + self.intercept_

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:  # Jupyter: the fit's card
        from descend.explorer._rich import model_mimebundle
        return model_mimebundle(self, {"text/plain": repr(self)})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(loss={self.loss!r}, optimizer={self.optimizer!r})"

    # ---------------------------------------------- input checks (the estimator overrides)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, as scikit-learn's ``get_params`` gives them."""
        import inspect

        names = [p for p in inspect.signature(LinearModel.__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Any:
        """Set constructor arguments by name (scikit-learn's ``set_params``); returns self."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise InputError(
                    f"{type(self).__name__} has no parameter {name!r}; its parameters are "
                    f"{', '.join(valid)}")
            setattr(self, name, value)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise InputError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[Array, Array]:
        """``X`` as a finite ``(n, d)`` float64 array, ``y`` as ``(n,)``; column names kept."""
        columns = getattr(X, "columns", None)
        Xa = _as_2d(X, "X")
        ya = np.asarray(y, dtype=np.float64)
        if ya.ndim == 2 and ya.shape[1] == 1:
            ya = ya[:, 0]
        if ya.ndim != 1:
            raise InputError(f"y must be one column of numbers, got shape {ya.shape}")
        if ya.shape[0] != Xa.shape[0]:
            raise InputError(
                f"X has {Xa.shape[0]} rows but y has {ya.shape[0]}; give one target per row")
        if not np.isfinite(ya).all():
            raise InputError("y holds NaN or infinite values; remove or replace them first")
        self.n_features_in_ = Xa.shape[1]
        if columns is not None and all(isinstance(c, str) for c in columns):
            self.feature_names_in_ = np.asarray(list(columns), dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return Xa, ya

    def _validate_predict_data(self, X: Any) -> Array:
        X = self._match_columns(X)
        Xa = _as_2d(X, "X")
        if Xa.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {Xa.shape[1]} features, but this model was fit with "
                f"{self.n_features_in_}")
        return Xa


    def _match_columns(self, X: Any) -> Any:
        """A pandas/polars ``X`` with the model's feature columns, in the model's order.

        The model knows its columns' names when it was fit on a DataFrame
        (``feature_names_in_``), on a table, or loaded from a file (``feature_names_``). Extra
        columns are ignored, reordered ones put back in order; a missing one is an
        :class:`~descend.errors.InputError` naming it.
        """
        columns = getattr(X, "columns", None)
        names = getattr(self, "feature_names_in_", None)
        if names is None and hasattr(self, "target_name_"):
            names = getattr(self, "feature_names_", None)
        if columns is None or names is None:
            return X
        cols = [str(c) for c in columns]
        want = [str(c) for c in names]
        if cols == want:
            return X
        missing = [c for c in want if c not in cols]
        if missing:
            raise InputError(
                f"X lacks the column(s) {', '.join(map(repr, missing))} this model was fit on "
                f"(its features: {', '.join(map(repr, want))}; X has "
                f"{', '.join(map(repr, cols[:20]))}{', ...' if len(cols) > 20 else ''})")
        if hasattr(X, "loc"):  # pandas
            return X.loc[:, want]
        return X.select(want)  # polars


def _as_2d(X: Any, name: str) -> Array:
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numbers: {exc}") from None
    if A.ndim == 1:
        raise InputError(
            f"{name} must be 2-D (rows x features); reshape a single feature with "
            "X.reshape(-1, 1)")
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise InputError(f"{name} must be a non-empty 2-D array, got shape {A.shape}")
    if not np.isfinite(A).all():
        raise InputError(f"{name} holds NaN or infinite values; remove or replace them first")
    return A


class _InverseSqrt:
    """``eta0 / sqrt(step + 1)``: the classic subgradient-method schedule."""

    def __init__(self, eta0: float, offset: int = 0):
        self.eta0, self.offset = eta0, offset

    def __call__(self, count: int) -> float:
        return self.eta0 / float(np.sqrt(count + self.offset + 1.0))

    def __repr__(self) -> str:
        return f"{self.eta0:g}/sqrt(k+1)"


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    return np.random.default_rng(random_state)


class RowPasses(Protocol):
    """Passes over the rows of a data set, wherever they live (memory, files, a cluster).

    ``full(w, b)``: ``(loss, dloss/dw, dloss/db)`` of the mean loss over every row, in the
    user's units, no penalty. ``batches(rng, batch_size, shuffle)``: one epoch of ``(X, y)``
    mini-batches (a third array, when given, holds the rows' weights). ``max_row_norm2(mean, scale)``: ``max_i ||(x_i - mean) / scale||^2`` (the
    largest per-row curvature, for the mini-batch step size).
    """

    def full(self, w: Array, b: float) -> tuple[float, Array, float]: ...

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, ...]]: ...

    def max_row_norm2(self, mean: Array, scale: Array) -> float: ...


class _InMemoryRows:
    """:class:`RowPasses` over arrays in memory."""

    def __init__(
        self, X: Array, y: Array, loss: str, epsilon: float, weights: Array | None = None
    ):
        self.X, self.y, self.loss, self.epsilon = X, y, loss, epsilon
        self.weights = weights  # normalised to mean 1, or None

    def full(self, w: Array, b: float) -> tuple[float, Array, float]:
        if self.weights is None:
            return loss_and_grad(self.loss, self.X, self.y, w, b, epsilon=self.epsilon)
        return weighted_loss_and_grad(
            self.loss, self.X, self.y, w, b, self.weights, epsilon=self.epsilon)

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, ...]]:
        n = self.X.shape[0]
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            if self.weights is None:
                yield self.X[rows], self.y[rows]
            else:
                yield self.X[rows], self.y[rows], self.weights[rows]

    def max_row_norm2(self, mean: Array, scale: Array) -> float:
        Z = (self.X - mean) / scale
        z2 = np.einsum("ij,ij->i", Z, Z)
        if self.weights is None:
            return float(z2.max())
        # row i's curvature is 2 s_i (1 + |z_i|^2): reported as "1 + norm2" for the caller
        return float((self.weights * (1.0 + z2)).max()) - 1.0


def weighted_loss_and_grad(
    loss: str, X: Array, y: Array, w: Array, b: float, s: Array, *, epsilon: float = 1.35
) -> tuple[float, Array, float]:
    """``(sum s_i h(r_i) / n, X^T (s psi(r)) / n, sum s_i psi(r_i) / n)``, ``r = Xw + b - y``.

    With ``s`` normalised to mean 1 this is the weighted mean loss ``sum s h / sum s`` and its
    gradient (on a mini-batch: an unbiased estimate of the full one).
    """
    spec = get_loss(loss)
    n = X.shape[0]
    r = X @ w + (b - y)
    psi = s * spec.psi(r, epsilon)
    return float(s @ spec.h(r, epsilon)) / n, (X.T @ psi) / n, float(psi.sum()) / n


class _WeightedRows:
    """Weighted rows in memory as :class:`~descend.models._whitened.ResidualPasses`: the
    refinement of a weighted squared-loss fit (``s`` the weights normalised to mean 1).

    ``residuals`` and ``anchored`` return ``(sum s z r, sum s r, sum s r^2, n)``: the weighted
    problem is the unweighted one of the rows ``sqrt(s_i) (x_i, y_i)`` about the weighted means.
    """

    def __init__(self, X: Array, y: Array, s: Array):
        self.X, self.y, self.s = X, y, s

    def _sums(self, Z: Array, r: Array) -> tuple[Array, float, float, int]:
        sr = self.s * r
        return Z.T @ sr, float(sr.sum()), float(r @ sr), int(self.X.shape[0])

    def residuals(
        self, mean: Array, scale: Array, y0: float, v: Array, c: float
    ) -> tuple[Array, float, float, int]:
        Z = (self.X - mean) / scale
        return self._sums(Z, (self.y - y0) - c - Z @ v)

    def anchored(
        self, mean: Array, scale: Array, b: float, w: Array, dv: Array, c: float
    ) -> tuple[Array, float, float, int]:
        from descend.data.stats import residual_compensated

        Z = (self.X - mean) / scale
        return self._sums(Z, residual_compensated(self.X, self.y, b, w) - c - Z @ dv)

    def r_factor(self, mean: Array, scale: Array) -> Array:
        Z = (self.X - mean) / scale * np.sqrt(self.s)[:, None]
        return np.asarray(np.linalg.qr(Z, mode="r"), dtype=np.float64)


class _PassObjective:
    """Value and gradient in the optimizer's ``theta`` from passes over the rows (+ L2)."""

    def __init__(self, passes: RowPasses, std: Standardizer, alpha: float, intercept: bool = True):
        self.passes, self.std, self.alpha, self.intercept = passes, std, alpha, intercept

    def _internal(self, f: float, gw: Array, gb: float, w: Array) -> tuple[float, Array]:
        if self.alpha:
            f += self.alpha * float(w @ w)
            gw = gw + 2.0 * self.alpha * w
        if not self.intercept:  # through the origin: b stays 0
            gb = 0.0
        return f, self.std.grad_to_internal(gb, gw)

    def value_and_grad(self, theta: Array) -> tuple[float, Array]:
        b, w = self.std.to_user(theta)
        f, gw, gb = self.passes.full(w, b)
        return self._internal(f, gw, gb, w)

    def grad_on(
        self,
        theta: Array,
        X: Array,
        y: Array,
        loss: str,
        epsilon: float,
        weights: Array | None = None,
    ) -> tuple[float, Array]:
        b, w = self.std.to_user(theta)
        if weights is None:
            f, gw, gb = loss_and_grad(loss, X, y, w, b, epsilon=epsilon)
        else:
            f, gw, gb = weighted_loss_and_grad(loss, X, y, w, b, weights, epsilon=epsilon)
        return self._internal(f, gw, gb, w)


def _check_overflow(stats: Any, names: Sequence[str]) -> None:
    """Refuse features whose centred squares overflow float64 (|X| ~ 1e200): every curvature
    and step would be inf or 0 (a ZeroDivisionError, a failed SVD), as the CLI refuses them."""
    diag = np.diagonal(np.asarray(stats.cxx, dtype=np.float64))
    for j, v in enumerate(diag):
        if not np.isfinite(v):
            raise DataError(
                f"X: column {j} ({names[j]!r}) holds values too large for float64 arithmetic "
                "(their squares overflow past 1.8e308); rescale it (divide it by a power of "
                "ten) and fit again"
            )
