"""Linear regression fit by gradient descent: ``LinearModel``, a holder over the fit engine.

The engine is a set of functions (:mod:`descend.models.fit`: ``fit_linear(X, y, spec) ->
LinearFit``; the settings are a frozen :class:`~descend.models.spec.FitSpec`, whose docstring
describes each). This class validates its inputs, builds the spec from its constructor's
arguments, calls the engine and copies the :class:`~descend.models.fit.LinearFit` to its
``*_`` attributes, as scikit-learn's estimators do.

The default fit of the squared loss (``optimizer='auto'``, which is ``'preconditioned'``
there) is gradient descent in whitened coordinates (:mod:`descend.models._whitened`): the
Hessian is ``2 I``, a step of ``1/L`` lands on the least-squares answer, and the next steps,
on residuals recomputed from the rows, refine it to the last digits double precision allows.
Plain gradient descent is one option away (``optimizer='gd'``, or any typed learning rate
with ``optimizer='auto'``): one pass computes the centred moments
(:class:`~descend.data.stats.MomentStats`), every step after that costs O(d^2) whatever the
number of rows, and its iterates are those of ``theta <- theta - learning_rate * grad``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend import kernels
from descend.data.source import InMemoryRows as _InMemoryRows
from descend.data.source import RowPasses
from descend.data.stats import MomentStats, check_sample_weight, weighted_moment_stats
from descend.errors import ConvergenceWarning, InputError
from descend.models._inputs import as_2d, check_xy, match_columns
from descend.models._whitened import ResidualPasses
from descend.models.analysis import from_formula
from descend.models.fit import (
    FittedAttributes,
    LinearFit,
    default_feature_names,
    fit_linear,
    fit_moments,
    fit_rows,
)
from descend.models.losses import fast_moment_stats, get_loss
from descend.models.spec import FitSpec

Array = NDArray[np.float64]

__all__ = ["LinearModel", "RowPasses", "default_feature_names"]

_Callback = Callable[[Any], Any] | None

#: ``(field, attribute)`` of every :class:`~descend.models.fit.LinearFit` field, once
_ADOPTED = tuple((f.name, f.name + "_") for f in dataclasses.fields(LinearFit))


class LinearModel(FittedAttributes):
    """Linear regression ``y ~ X w + b`` fit by gradient descent: the engine, plain NumPy.

    A holder over :func:`descend.models.fit.fit_linear`; nothing here knows scikit-learn
    (:class:`descend.LinearRegression` adds it). The parameters are those of
    :class:`~descend.models.spec.FitSpec` (documented there), plus ``warm_start`` (start each
    ``fit`` from the previous ``intercept_`` and ``coef_``). ``fit`` takes ``sample_weight``
    (the weighted mean loss), ``callback`` (after every step; a
    :class:`~descend.loop.checkpoint.Checkpointer` fits) and ``resume`` (a checkpoint of this
    fit, continued bit for bit; other settings, :meth:`checkpoint_meta`, are refused).
    :meth:`partial_fit` fits a stream chunk by chunk; :meth:`fit_moments` and
    :meth:`fit_rows` fit rows kept elsewhere (files, a cluster). The fitted attributes are
    the fields of :class:`~descend.models.fit.LinearFit` plus ``_`` (``coef_``, ``verdict_``,
    ...; :class:`~descend.models.fit.FittedAttributes`).

    >>> import numpy as np
    >>> X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    >>> y = np.array([200000.0, 250000.0, 300000.0, 350000.0, 400000.0])
    >>> model = LinearModel().fit(X, y)
    >>> round(float(model.coef_[0]), 2), round(float(model.predict([[2000.0]])[0]))
    (166.67, 333333)
    """

    def __init__(
        self, *, loss: str = "squared_error", alpha: float = 0.0, epsilon: float = 1.35,
        optimizer: Any = "auto", learning_rate: Any = "auto", max_iter: int = 1000,
        tol: float = 1e-12, n_iter_no_change: int = 5, gtol: float | None = None,
        target_loss: float | None = None, batch_size: int | None = None, shuffle: bool = True,
        random_state: Any = None, scale: bool = True, init: Sequence[float] | None = None,
        time_limit: float | None = None, fit_intercept: bool = True, huber_scale: Any = "auto",
        warm_start: bool = False, verbose: int = 0,
    ):
        self.loss, self.alpha, self.epsilon = loss, alpha, epsilon
        self.optimizer, self.learning_rate, self.max_iter = optimizer, learning_rate, max_iter
        self.tol, self.n_iter_no_change, self.gtol = tol, n_iter_no_change, gtol
        self.target_loss, self.batch_size, self.shuffle = target_loss, batch_size, shuffle
        self.random_state, self.scale, self.init = random_state, scale, init
        self.time_limit, self.fit_intercept = time_limit, fit_intercept
        self.huber_scale, self.warm_start, self.verbose = huber_scale, warm_start, verbose

    # ------------------------------------------------------------------ fitting

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, callback: _Callback = None,
            resume: Any = None) -> Any:
        """Learn ``coef_`` and ``intercept_`` from ``X`` ``(n, d)`` and ``y`` ``(n,)``
        (weights, ``callback`` and ``resume`` as the class says). Dask arrays or a Dask
        DataFrame (``y``: its target column's name) are fitted on their cluster by map-reduce,
        never gathered (:func:`descend.scale.dask_engine.fit_dask`). Returns ``self``."""
        if any(type(v).__module__.startswith("dask") for v in (X, y)):  # without importing it
            from descend.scale.dask_engine import fit_dask

            return fit_dask(self, X, y, sample_weight, callback=callback, resume=resume)
        if isinstance(getattr(y, "name", None), str):  # a named pandas/polars Series
            self.target_name_ = y.name  # summary()'s "Dep. variable", as statsmodels'
        X, y = self._validate_fit_data(X, y)
        sw = check_sample_weight(sample_weight, X.shape[0])
        if sw is not None and np.all(sw == sw[0]):
            sw = None  # equal weights: the weighted mean is the plain mean, the unweighted path
        names = getattr(self, "feature_names_in_", None)
        names = tuple(map(str, names)) if names is not None else None
        return self._adopt(fit_linear(X, y, self._spec(), names=names, weights=sw,
                                      start=self._warm(X.shape[1]), callback=callback,
                                      resume=resume))

    def fit_table(self, table: Any, *, callback: _Callback = None, resume: Any = None) -> Any:
        """Fit a :class:`~descend.data.table.Table` and remember its column names."""
        self.n_features_in_ = table.d
        self.target_name_ = table.target_name
        return self._adopt(fit_linear(table.X, table.y, self._spec(), names=table.feature_names,
                                      start=self._warm(table.d), callback=callback,
                                      resume=resume))

    def fit_moments(self, stats: MomentStats, feature_names: Sequence[str], *,
                    callback: _Callback = None, resume: Any = None,
                    rows: ResidualPasses | None = None) -> Any:
        """Squared loss, full batch, from the moments ``stats`` (streamed files, Dask):
        :func:`descend.models.fit.fit_moments`; ``rows`` lets it refine on the rows."""
        return self._adopt(fit_moments(stats, feature_names, self._spec(),
                                       start=self._warm(stats.d), callback=callback,
                                       resume=resume, rows=rows))

    def fit_rows(self, stats: MomentStats, feature_names: Sequence[str], passes: RowPasses, *,
                 callback: _Callback = None, resume: Any = None) -> Any:
        """Any loss over rows that ``passes`` reads (files, a cluster), scaled by their
        moments ``stats``: :func:`descend.models.fit.fit_rows`."""
        return self._adopt(fit_rows(stats, feature_names, passes, self._spec(),
                                    start=self._warm(stats.d), callback=callback,
                                    resume=resume))

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """One pass over a chunk of a stream. Squared loss: the chunk's moments are merged
        exactly into ``moments_`` and the model refit from them (one ``fit`` on all the rows,
        however chunked). Other losses: one epoch of mini-batch steps (``batch_size``, else 32
        rows) from the current coefficients, scaled by every row's moments so far -- no
        verdict per chunk; a decaying schedule counts on across chunks (``t_``: its steps)."""
        first = getattr(self, "coef_", None) is None or not hasattr(self, "moments_")
        X, y = self._validate_partial_data(X, y, first)
        sw = check_sample_weight(sample_weight, X.shape[0])
        chunk = fast_moment_stats(X, y) if sw is None else weighted_moment_stats(X, y, sw)
        stats = chunk if first else self.moments_.merge(chunk)
        names_in = getattr(self, "feature_names_in_", None)
        names = (tuple(map(str, names_in)) if names_in is not None
                 else getattr(self, "feature_names_", None) or default_feature_names(X.shape[1]))
        t = 0 if first else int(getattr(self, "t_", 0))
        if get_loss(str(self.loss)).moments_exact:
            self.t_ = t
            return self.fit_moments(stats, names)
        sn = None if sw is None else sw * (X.shape[0] / float(sw.sum()))
        passes = _InMemoryRows(X, y, str(self.loss), float(self.epsilon), sn)
        bs = int(self.batch_size) if self.batch_size is not None else min(32, X.shape[0])
        start = self._warm(X.shape[1]) if first else np.r_[self.intercept_, self.coef_]
        spec = dataclasses.replace(self._spec(), max_iter=1, batch_size=bs, init=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = fit_rows(stats, names, passes, spec, start=start, one_epoch=True,
                           step_offset=t)
        self._adopt(fit)
        self.t_ = t + -(-X.shape[0] // bs)  # the epoch's mini-batch steps
        return self

    def _spec(self) -> FitSpec:
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise InputError(
                f"{type(self).__name__}: warm_start={self.warm_start!r} must be True or False")
        return FitSpec.of(self)

    def _warm(self, d: int) -> Array | None:
        """The previous fit's ``[intercept_, coef_]`` with ``warm_start``, else ``None``."""
        if self.warm_start and getattr(self, "coef_", None) is not None:
            coef = np.asarray(self.coef_, dtype=np.float64)
            if coef.shape == (d,) and np.isfinite(coef).all():
                return np.r_[float(self.intercept_), coef]
        return None

    def _adopt(self, fit: LinearFit) -> Any:
        """Copy ``fit``'s fields to the ``*_`` attributes; returns ``self``."""
        self.n_features_in_ = fit.moments.d
        for name, attribute in _ADOPTED:
            setattr(self, attribute, getattr(fit, name))
        return self

    def checkpoint_meta(self) -> dict[str, Any]:
        """The settings that shape the iterates: a checkpoint stores them, a resume checks them."""
        return FitSpec.of(self).checkpoint_meta()

    def summary(self, alpha: float = 0.05) -> Any:
        """Standard errors, t (z), p-values, intervals (level ``1 - alpha``), R^2, F... of the
        fit, from its moments (and, for a formula fit, its robust covariance, residual
        diagnostics and dropped rows): a :class:`~descend.models.inference.FitSummary` (see
        :mod:`descend.models.inference` for its assumptions)."""
        from descend.models.analysis import summary_of

        self._check_fitted()
        if not hasattr(self, "moments_"):
            raise InputError(
                "summary() needs the moments of the training data, which this model does not "
                "hold (a model file written before descend's format version 2, or with more "
                "than 500 features, keeps only its coefficients); fit it to get its statistics"
            )
        return summary_of(self, alpha)

    #: statsmodels' ``ols(formula, data).fit(cov_type=...)`` on descend's engine
    from_formula = classmethod(from_formula)

    # ------------------------------------------------------------------ prediction

    def predict(self, X: Any) -> Array:
        """``X @ coef_ + intercept_``."""
        self._check_fitted()
        X = self._validate_predict_data(X)
        if kernels.use_fast("predict", X):  # one fused pass for large X
            return kernels.predict(X, self.coef_, float(self.intercept_))
        return X @ self.coef_ + self.intercept_

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:  # Jupyter: the fit's card
        from descend.display import model_mimebundle
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
        Xa, ya = check_xy(X, y)
        self.n_features_in_ = Xa.shape[1]
        if columns is not None and all(isinstance(c, str) for c in columns):
            self.feature_names_in_ = np.asarray(list(columns), dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return Xa, ya

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
            raise InputError(f"X has {Xa.shape[1]} features, but the chunks before had {d}; "
                             "every chunk needs the same columns")
        if names is not None and now is not None and list(now) != list(names):
            raise InputError(
                f"this chunk's columns {list(now)} are not the first chunk's {list(names)}")
        return Xa, ya

    def _validate_predict_data(self, X: Any) -> Array:
        names = getattr(self, "feature_names_in_", None)
        if names is None and hasattr(self, "target_name_"):  # fit on a table, or loaded
            names = getattr(self, "feature_names_", None)
        Xa = as_2d(match_columns(X, names), "X")
        if Xa.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {Xa.shape[1]} features, but this model was fit with "
                f"{self.n_features_in_}")
        return Xa


