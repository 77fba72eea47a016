"""Fit a model to Dask data on the active cluster; the Dask row source itself (reading,
map-reduced moments, gradients and residuals) lives in :mod:`descend.data.dask_rows`, whose
names stay importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.data.dask_rows import (
    NO_BATCHES,
    DaskResiduals,
    DaskRows,
    anchored_residuals_dask,
    as_dask_xy,
    centred_residuals_dask,
    is_dask,
    loss_and_grad_dask,
    moment_stats_dask,
    prepare_dask_xy,
    r_factor_dask,
)
from descend.errors import InputError

__all__ = [
    "DaskResiduals",
    "DaskRows",
    "anchored_residuals_dask",
    "as_dask_xy",
    "centred_residuals_dask",
    "fit_dask",
    "is_dask",
    "loss_and_grad_dask",
    "moment_stats_dask",
    "r_factor_dask",
]


def fit_dask(
    model: Any,
    X: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    callback: Callable[[Any], Any] | None = None,
    resume: Any = None,
) -> Any:
    """Fit ``model`` (a :class:`~descend.models.linear.LinearModel`) to Dask data on the
    active cluster, as ``descend fit --engine dask`` does; the rows never reach the client.

    ``X`` is a Dask array (``y`` a Dask array or Series, or an in-memory vector), or a Dask
    DataFrame of features and target: then ``y`` names the target column (a string; default
    the last column) or is a Dask Series. The data becomes a row source by
    :func:`descend.data.dask_rows.prepare_dask_xy`, the route of ``descend fit --engine dask``
    too: the squared loss takes one map-reduce of moments and refines on map-reduced
    residuals where the design is ill-conditioned; huber and absolute error take one
    map-reduce per step over partitions persisted once.

    Args:
        model: the estimator to fit (its settings are used as they are).
        X: the features (or features and target), a Dask collection.
        y: the target (Dask array/Series, vector) or the target column's name.
        sample_weight: must be ``None``: weighted Dask fits are not available yet.
        callback: as for ``LinearModel.fit``.
        resume: as for ``LinearModel.fit``.

    Returns:
        ``model``, fitted.
    """
    if model.batch_size is not None:
        raise InputError(NO_BATCHES)
    if sample_weight is not None:
        raise InputError(
            "sample_weight: weighted fits of Dask data are not available yet; fit unweighted, "
            "or load the rows (X.compute()) to weight them"
        )
    target = None
    if isinstance(y, str):
        target, y = y, None
    Xa, ya, names, tname = as_dask_xy(X, y, target=target)
    src = prepare_dask_xy(
        Xa, ya, names, tname, source="the Dask data", loss=str(model.loss),
        epsilon=float(model.epsilon),
    )
    model.n_features_in_ = len(names)
    if hasattr(X, "columns"):
        model.feature_names_in_ = np.asarray(list(names), dtype=object)
    elif hasattr(model, "feature_names_in_"):
        del model.feature_names_in_
    if src.passes is None:
        model.fit_moments(
            src.stats, src.feature_names, callback=callback, resume=resume, rows=src.rows
        )
    else:
        model.fit_rows(src.stats, src.feature_names, src.passes, callback=callback,
                       resume=resume)
    return src.adopt(model)  # features scaled by 2^k for their moments: mapped back
