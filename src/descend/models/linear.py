"""``LinearRegression`` fit by gradient descent: a scikit-learn estimator on descend's optimizers.

The default fit of the squared loss makes one pass over the data to compute the centred
moments (:class:`~descend.data.stats.MomentStats`); every step after that costs O(d^2)
whatever the number of rows, and its iterates are those of the plain step
``theta <- theta - learning_rate * grad`` (they agree to rounding). The features are
standardised internally (``scale=True``) and the coefficients reported in the user's units;
the learning rate defaults to ``1/L`` where ``L``, the largest curvature of the loss, is known
exactly for the squared loss, so ``2/L`` (the stability limit of gradient descent,
``stability_limit_``) is computed, not guessed.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from descend import _backends
from descend.data.stats import MomentStats
from descend.errors import ConvergenceWarning, InputError, StabilityWarning
from descend.loop.result import OptimizeResult, Status
from descend.models._descent import run_descent
from descend.models._diagnose import DivergenceWarning, divergence_message, stability_message
from descend.models._problem import Standardizer, StatsObjective, curvature
from descend.models.losses import LOSSES, fast_moment_stats, loss_and_grad
from descend.optim.base import Optimizer
from descend.optim.registry import get_optimizer

Array = NDArray[np.float64]

__all__ = ["LinearRegression", "RowPasses", "default_feature_names"]

_ADAPTIVE = ("adagrad", "rmsprop", "adam", "adamw")


def default_feature_names(d: int) -> tuple[str, ...]:
    """``("x",)`` for one feature, else ``("x1", ..., "xd")``."""
    return ("x",) if d == 1 else tuple(f"x{j}" for j in range(1, d + 1))


def _least_squares_loss(st: MomentStats, penalty: Array) -> float:
    """The exact minimum of the (penalised) mean squared error, from the moments."""
    n = max(st.n, 1)
    A = st.cxx / n + np.diag(penalty)
    c = st.cxy / n
    lam, Q = np.linalg.eigh(A)
    keep = lam > lam[-1] * 1e-13 if lam.size and lam[-1] > 0 else np.zeros(lam.shape, bool)
    coef = Q[:, keep] @ ((Q[:, keep].T @ c) / lam[keep])
    return max(st.cyy / n - float(c @ coef), 0.0)


class LinearRegression(RegressorMixin, BaseEstimator):
    """Linear regression ``y ~ X w + b`` fit by gradient descent.

    Parameters (one spelling each, shared with the CLI and the rest of descend):

    loss : ``'squared_error'`` (default; ``mean((y - (Xw + b))**2)``), ``'huber'`` or
        ``'absolute_error'`` (see :mod:`descend.models.losses`).
    alpha : L2 penalty ``alpha * ||w||**2`` added to the mean loss (the intercept is not
        penalised; this is scikit-learn ``Ridge``'s ``alpha / n_samples``). Default 0.
    epsilon : huber threshold, in the target's units. Default 1.35.
    optimizer : a name (``'gd'``, ``'momentum'``, ``'nesterov'``, ``'adagrad'``,
        ``'rmsprop'``, ``'adam'``, ``'adamw'``) or a :class:`~descend.optim.base.Optimizer`
        (its learning rate is replaced by ``learning_rate`` unless that is ``None``).
    learning_rate : ``'auto'`` (default: ``1/L`` for gd, momentum and nesterov; for
        ``absolute_error`` a ``1/sqrt(k)`` subgradient schedule), a positive number (in the
        standardised coordinates when ``scale=True``), or a schedule ``f(step) -> rate``.
    max_iter : steps (full batch) or epochs (mini-batch). Default 1000.
    tol : stop when the loss falls by no more than ``tol`` (relative) for 5 steps in a row.
        Default 1e-12 (the defaults reach the least-squares optimum to >= 6 digits).
    gtol : stop when the gradient norm (in the optimizer's coordinates) is ``<= gtol``.
        Default ``None`` (off).
    target_loss : stop once the loss is ``<= target_loss``. Default ``None``.
    batch_size : ``None`` (full batch, default) or rows per mini-batch step.
    shuffle : reshuffle the rows every epoch (mini-batch only). Default True.
    random_state : seed of the shuffles; the same seed gives the same fit, bit for bit.
    scale : standardise the features internally (default True); coefficients are always
        reported in the user's units. ``False`` steps in raw units, as the tutorials do.
    init : starting ``[intercept, coef_1, ..., coef_d]`` in the user's units (default zeros).
    time_limit : stop after this many seconds of descent (status ``time_limit``, warns
        ``ConvergenceWarning``). Default ``None`` (no limit).

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
    :class:`~descend.loop.result.OptimizeResult`), ``feature_names_``, ``n_features_in_``.

    >>> import numpy as np
    >>> X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    >>> y = np.array([200000.0, 250000.0, 300000.0, 350000.0, 400000.0])
    >>> model = LinearRegression().fit(X, y)
    >>> round(float(model.coef_[0]), 2), round(float(model.predict([[2000.0]])[0]))
    (166.67, 333333)
    """

    def __init__(
        self,
        *,
        loss: str = "squared_error",
        alpha: float = 0.0,
        epsilon: float = 1.35,
        optimizer: str | Optimizer = "gd",
        learning_rate: Any = "auto",
        max_iter: int = 1000,
        tol: float = 1e-12,
        gtol: float | None = None,
        target_loss: float | None = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        random_state: Any = None,
        scale: bool = True,
        init: Sequence[float] | None = None,
        time_limit: float | None = None,
    ):
        self.loss = loss
        self.alpha = alpha
        self.epsilon = epsilon
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.gtol = gtol
        self.target_loss = target_loss
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.scale = scale
        self.init = init
        self.time_limit = time_limit

    # ------------------------------------------------------------------ validation

    def _check_params(self, d: int) -> None:
        owner = "LinearRegression"
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
        number("tol", self.tol, 0.0)
        if self.gtol is not None:
            number("gtol", self.gtol, 0.0)
        if self.target_loss is not None:
            number("target_loss", self.target_loss, -np.inf)
        if self.time_limit is not None:
            number("time_limit", self.time_limit, 0.0, open_low=True)
        for name, value in (("max_iter", self.max_iter), ("batch_size", self.batch_size)):
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
        if self.init is not None:
            init = np.asarray(self.init, dtype=np.float64).ravel()
            if init.shape != (d + 1,) or not np.isfinite(init).all():
                raise InputError(
                    f"{owner}: init must hold {d + 1} finite numbers (the intercept, then one "
                    f"coefficient per feature), got {list(np.ravel(self.init))}"
                )

    # ------------------------------------------------------------------ fitting

    def fit(
        self, X: Any, y: Any, *, callback: Callable[[Any], Any] | None = None, resume: Any = None
    ) -> LinearRegression:
        """Learn ``coef_`` and ``intercept_`` from ``X`` ``(n, d)`` and ``y`` ``(n,)``."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        names = getattr(self, "feature_names_in_", None)
        return self._fit(
            X, y, tuple(map(str, names)) if names is not None else None, callback, resume
        )

    def fit_table(
        self, table: Any, *, callback: Callable[[Any], Any] | None = None, resume: Any = None
    ) -> LinearRegression:
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
            "scale": bool(self.scale),
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
    ) -> LinearRegression:
        names = tuple(names) if names is not None else default_feature_names(X.shape[1])
        self._check_params(X.shape[1])
        stats = fast_moment_stats(X, y)
        if self.loss == "squared_error" and self.batch_size is None:
            return self._fit_stats(stats, names, callback=callback, resume=resume)
        return self._fit_rows(X, y, stats, names, callback=callback, resume=resume)

    def _setup(
        self, stats: MomentStats, names: Sequence[str], resume: Any = None
    ) -> tuple[Standardizer, Array, Array]:
        self._check_params(stats.d)
        self.n_features_in_ = stats.d
        self.feature_names_ = tuple(names)
        self.moments_ = stats  # for summary(): the statistics need only the moments
        std = Standardizer.fit(stats, bool(self.scale))
        penalty = float(self.alpha) / std.scale**2
        if resume is not None:
            self._check_resume(resume, stats.d)
            # The optimizer's own coordinates, saved as they were: the only way to bit-for-bit.
            theta0 = np.array(resume.x, dtype=np.float64)
        elif self.init is None:
            theta0 = std.to_internal(0.0, np.zeros(stats.d))
        else:
            init = np.asarray(self.init, dtype=np.float64).ravel()
            theta0 = std.to_internal(float(init[0]), init[1:])
        self._warn_features(stats, std, names)
        return std, penalty, theta0

    def _descend(
        self,
        fun: Callable[[Array], tuple[float, Array]],
        theta0: Array,
        optimizer: Optimizer,
        lr: Any,
        callback: Callable[[Any], Any] | None,
        resume: Any,
        **more: Any,
    ) -> OptimizeResult:
        return run_descent(
            fun,
            theta0,
            optimizer,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            gtol=self.gtol,
            target_loss=self.target_loss,
            learning_rate=lr if isinstance(lr, float) else None,
            state=None if resume is None else resume.state,
            start_iter=0 if resume is None else int(resume.nit),
            callback=callback,
            time_limit=self.time_limit,
            **more,
        )

    def _fit_stats(
        self,
        stats: MomentStats,
        feature_names: Sequence[str],
        *,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
    ) -> LinearRegression:
        """Squared loss, full batch, from the moments alone (the hook for streaming and Dask)."""
        std, penalty, theta0 = self._setup(stats, feature_names, resume)
        objective = StatsObjective(std.stats(stats), penalty)
        L = objective.curvature_bound()
        optimizer, lr = self._optimizer(L, stats, std)
        result = self._descend(objective.value_and_grad, theta0, optimizer, lr, callback, resume)
        self.optimal_loss_: float | None = _least_squares_loss(std.stats(stats), penalty)
        return self._finish(result, std, stats, L, lr)

    def _fit_rows(
        self,
        X: Array,
        y: Array,
        stats: MomentStats,
        names: Sequence[str],
        *,
        callback: Callable[[Any], Any] | None = None,
        resume: Any = None,
    ) -> LinearRegression:
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
    ) -> LinearRegression:
        """Huber, absolute error, or any mini-batch fit over rows that ``passes`` reads.

        The hook for data that is not in memory: ``stats`` (one pass) fixes the scaling and
        the curvature; every step (epoch) is then one full pass (mini-batch: one epoch of
        batches) through ``passes``, wherever the rows live.
        """
        std, penalty, theta0 = self._setup(stats, names, resume)
        smooth = self.loss != "absolute_error"
        L = curvature(std.stats(stats), penalty) if smooth else None
        data = _PassObjective(passes, std, float(self.alpha))
        fun: Callable[[Array], tuple[float, Array]] = data.value_and_grad
        if self.loss == "squared_error":  # mini-batch squared loss: the curve costs O(d^2)
            fun = StatsObjective(std.stats(stats), penalty).value_and_grad
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
            loss, eps = str(self.loss), float(self.epsilon)

            def epoch(theta: Array, opt: Optimizer, state: object, k: int) -> tuple[Array, object]:
                assert rng is not None
                for Xb, yb in passes.batches(rng, bs, shuffle):
                    _, g = data.grad_on(theta, Xb, yb, loss, eps)
                    updates, state = opt.update(g, state, theta)
                    theta = theta + updates
                return theta, state

        optimizer, lr = self._optimizer(L_step, stats, std)
        result = self._descend(fun, theta0, optimizer, lr, callback, resume, epoch=epoch, rng=rng)
        self.optimal_loss_ = (
            _least_squares_loss(std.stats(stats), penalty) if self.loss == "squared_error" else None
        )
        if self.loss == "absolute_error" and result.status is not Status.DIVERGED:
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
        return self._finish(result, std, stats, L_step, lr)

    def _optimizer(
        self, L: float | None, stats: MomentStats, std: Standardizer
    ) -> tuple[Optimizer, Any]:
        """Resolve ``learning_rate`` (``'auto'`` -> a number from L) and build the optimizer."""
        opt = self.optimizer
        name = opt.name if isinstance(opt, Optimizer) else str(opt)
        lr: Any = self.learning_rate
        if lr is None and isinstance(opt, Optimizer):
            lr = opt.learning_rate
        if lr == "auto" or lr is None:
            if L is not None and name not in _ADAPTIVE:
                lr = 1.0 / L
            else:
                # Parameters live in standardised units, so the target's spread sets the pace.
                size = float(np.sqrt(stats.cyy / max(stats.n, 1))) or 1.0
                size = max(size, abs(stats.mean_y) * 1e-3, 1e-12)
                if name in _ADAPTIVE:
                    lr = 0.01 * size
                else:
                    # Subgradient method: steps ~ 1/sqrt(k) converge (Shor 1985; Boyd, EE364b).
                    eta0 = 0.1 * size
                    lr = _InverseSqrt(eta0)
        if isinstance(lr, numbers.Real):
            lr = float(lr)
            if L is not None and name == "gd" and lr > 2.0 / L:
                warnings.warn(
                    stability_message(lr, 2.0 / L, scaled=std.active),
                    StabilityWarning,
                    stacklevel=4,
                )
        if isinstance(opt, Optimizer):
            return opt.with_learning_rate(lr), lr
        return get_optimizer(name, learning_rate=lr), lr

    def _warn_features(self, stats: MomentStats, std: Standardizer, names: Sequence[str]) -> None:
        if stats.n < 2:
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
        live = np.flatnonzero(sd > 0)
        if live.size >= 2:
            C = stats.cxx[np.ix_(live, live)] / np.outer(sd[live], sd[live]) / stats.n
            lam = np.linalg.eigvalsh(C)
            if lam[0] <= 1e-10 * lam[-1]:
                warnings.warn(
                    "features are collinear (their correlation matrix is singular): the "
                    "least-squares coefficients are not unique; gradient descent returns the "
                    "solution nearest the start (init)",
                    UserWarning,
                    stacklevel=4,
                )

    def _finish(
        self,
        result: OptimizeResult,
        std: Standardizer,
        stats: MomentStats,
        L: float | None,
        lr: Any,
    ) -> LinearRegression:
        b, w = std.to_user(result.x)
        self.intercept_ = float(b)
        self.coef_ = np.asarray(w, dtype=np.float64)
        self.history_ = std.path_to_user(result.history.x)
        self.loss_curve_ = np.asarray(result.history.fun, dtype=np.float64)
        self.initial_loss_ = float(self.loss_curve_[0])
        self.loss_ = float(result.fun)
        self.start_iter_ = int(result.info.get("start_iter", 0))
        self.n_iter_ = self.start_iter_ + int(result.nit)
        self.stop_reason_ = str(result.status)
        self.learning_rate_ = lr
        self.curvature_ = L
        self.stability_limit_ = 2.0 / L if L else None
        opt_loss = getattr(self, "optimal_loss_", None)
        # Both losses come from the moments, whose rounding floor is ~eps * sum((y - mean)^2) / n;
        # a "negative gap" is that noise (the descent reached the optimum), reported as 0.
        self.optimality_gap_ = max(self.loss_ - opt_loss, 0.0) if opt_loss is not None else None
        message = str(result.status)
        if result.status is Status.DIVERGED:
            rms = np.sqrt(np.diag(stats.cxx) / max(stats.n, 1) + stats.mean_x**2)
            message = divergence_message(
                iteration=self.n_iter_,
                learning_rate=lr if isinstance(lr, float) else repr(lr),
                limit=self.stability_limit_,
                optimizer=result.optimizer,
                names=self.feature_names_,
                rms=rms,
                scaled=std.active,
            )
            message += "; the coefficients are the last finite ones"
            warnings.warn(message, DivergenceWarning, stacklevel=3)
        elif result.status is Status.MAX_ITER:
            gap = (
                f", {self.optimality_gap_:.3g} above the least-squares optimum"
                if self.optimality_gap_ is not None
                else ""
            )
            message = (
                f"stopped at max_iter={self.max_iter} before converging (loss {self.loss_:.10g}"
                f"{gap}); raise max_iter, use learning_rate='auto'"
                + ("" if std.active else ", or standardise the features (scale=True)")
            )
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
        elif result.status is Status.TIME_LIMIT:
            message = (
                f"stopped at time_limit={self.time_limit:g} s after {self.n_iter_} iterations "
                f"before converging (loss {self.loss_:.10g}); raise time_limit or max_iter"
            )
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
        elif result.status is Status.INTERRUPTED:
            message = f"interrupted after {self.n_iter_} iterations (loss {self.loss_:.10g})"
        elif result.status is Status.CALLBACK:
            message = f"the callback stopped the run after {self.n_iter_} iterations"
        elif result.status is Status.NO_PROGRESS:
            message = f"converged: the loss stopped decreasing (tol={self.tol:g})"
        elif result.status is Status.TARGET_LOSS:
            message = f"reached target_loss={self.target_loss:g}"
        elif result.status is Status.GTOL:
            message = f"converged: gradient norm <= gtol={self.gtol:g}"
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
            info=result.info,
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

        check_is_fitted(self, "coef_")
        if not hasattr(self, "moments_"):
            raise InputError(
                "summary() needs the moments of the training data, which this model does not "
                "hold (a model loaded from a file keeps only its coefficients); fit it to get "
                "its statistics"
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
            status=self.stop_reason_,
            converged=bool(self.result_.success),
        )

    # ------------------------------------------------------------------ prediction

    def predict(self, X: Any) -> Array:
        """``X @ coef_ + intercept_``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        fast = _backends.fast("predict", X)  # one fused pass for large X
        if fast is not None:
            return fast(X, self.coef_, float(self.intercept_))  # type: ignore[no-any-return]
        return X @ self.coef_ + self.intercept_

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:  # Jupyter: the fit's card
        from descend.explorer._rich import model_mimebundle
        return model_mimebundle(self, super()._repr_mimebundle_(**kwargs))


class _InverseSqrt:
    """``eta0 / sqrt(step + 1)``: the classic subgradient-method schedule."""

    def __init__(self, eta0: float):
        self.eta0 = eta0

    def __call__(self, count: int) -> float:
        return self.eta0 / float(np.sqrt(count + 1.0))

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
    mini-batches. ``max_row_norm2(mean, scale)``: ``max_i ||(x_i - mean) / scale||^2`` (the
    largest per-row curvature, for the mini-batch step size).
    """

    def full(self, w: Array, b: float) -> tuple[float, Array, float]: ...

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, Array]]: ...

    def max_row_norm2(self, mean: Array, scale: Array) -> float: ...


class _InMemoryRows:
    """:class:`RowPasses` over arrays in memory."""

    def __init__(self, X: Array, y: Array, loss: str, epsilon: float):
        self.X, self.y, self.loss, self.epsilon = X, y, loss, epsilon

    def full(self, w: Array, b: float) -> tuple[float, Array, float]:
        return loss_and_grad(self.loss, self.X, self.y, w, b, epsilon=self.epsilon)

    def batches(
        self, rng: np.random.Generator, batch_size: int, shuffle: bool
    ) -> Iterable[tuple[Array, Array]]:
        n = self.X.shape[0]
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            yield self.X[rows], self.y[rows]

    def max_row_norm2(self, mean: Array, scale: Array) -> float:
        Z = (self.X - mean) / scale
        return float(np.einsum("ij,ij->i", Z, Z).max())


class _PassObjective:
    """Value and gradient in the optimizer's ``theta`` from passes over the rows (+ L2)."""

    def __init__(self, passes: RowPasses, std: Standardizer, alpha: float):
        self.passes, self.std, self.alpha = passes, std, alpha

    def _internal(self, f: float, gw: Array, gb: float, w: Array) -> tuple[float, Array]:
        if self.alpha:
            f += self.alpha * float(w @ w)
            gw = gw + 2.0 * self.alpha * w
        return f, self.std.grad_to_internal(gb, gw)

    def value_and_grad(self, theta: Array) -> tuple[float, Array]:
        b, w = self.std.to_user(theta)
        f, gw, gb = self.passes.full(w, b)
        return self._internal(f, gw, gb, w)

    def grad_on(
        self, theta: Array, X: Array, y: Array, loss: str, epsilon: float
    ) -> tuple[float, Array]:
        b, w = self.std.to_user(theta)
        f, gw, gb = loss_and_grad(loss, X, y, w, b, epsilon=epsilon)
        return self._internal(f, gw, gb, w)
