"""The analyst's path: a formula over a table, robust standard errors, diagnostics, intervals.

``fit_formula("price ~ size + C(city)", data, cov_type="HC1")`` is statsmodels'
``smf.ols(formula, data).fit(cov_type="HC1")`` on descend's engine: the formula picks and
encodes the columns (:mod:`descend.data.formula`), the model fits the least-squares loss by
descent as any fit does, and one more pass over the rows at the fitted coefficients gives the
sandwich covariance and the residual diagnostics (:mod:`descend.models.sandwich`).

Prediction intervals (statsmodels' ``get_prediction(...).summary_frame(alpha)``): at a new row
``x0`` (with a leading 1 for the intercept) and ``V`` the covariance of the coefficients,

    se_mean = sqrt(x0^T V x0)                       confidence: yhat -+ q se_mean
    se_obs  = sqrt(se_mean^2 + s^2)                 prediction: yhat -+ q se_obs

with ``q`` the ``1 - alpha/2`` quantile of t on ``n - p`` degrees of freedom (classical ``V``)
or of the normal distribution (a robust ``V``), as statsmodels does by default.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.formula import Design, MissingReport, parse_formula
from descend.errors import InputError
from descend.models._formula_rows import _groups, _moments, batch_rows, text_levels
from descend.models.losses import get_loss
from descend.models.sandwich import CovSpec, RowPass, parse_cov

Array = NDArray[np.float64]

__all__ = ["INTERVALS", "fit_formula", "fit_formula_dask", "fit_formula_file", "influence",
           "learn_file_design", "prediction_table", "row_pass", "summary_of"]

#: The intervals ``predict`` can give.
INTERVALS = ("confidence", "prediction")

_CHUNK = 1 << 16


def cov_spec(cov_type: str | None, cov_kwds: dict[str, Any] | None) -> CovSpec:
    """statsmodels' ``cov_type=`` / ``cov_kwds={"groups": ...}`` as a :class:`CovSpec`."""
    groups = (cov_kwds or {}).get("groups")
    spec = parse_cov(cov_type or "nonrobust", groups if isinstance(groups, str) else None)
    if spec.kind == "cluster" and spec.groups is None and groups is None:
        raise InputError("cov_type='cluster' needs cov_kwds={'groups': COLUMN or labels}")
    return spec


def fit_formula(
    formula: str,
    data: Any,
    *,
    missing: str = "drop",
    cov_type: str | None = "nonrobust",
    cov_kwds: dict[str, Any] | None = None,
    model: Any = None,
    source: str = "the data",
    **params: Any,
) -> Any:
    """Fit ``formula`` to ``data`` (a pandas/polars DataFrame or a dict of columns).

    Args:
        formula: ``target ~ terms`` (:mod:`descend.data.formula` lists the language).
        data: the table; only the columns the formula names are used.
        missing: ``"drop"`` (rows with an empty cell in a used column; counted per column
            in ``missing_``) or ``"raise"``.
        cov_type: ``nonrobust``, ``HC0``-``HC3`` or ``cluster`` (statsmodels' names).
        cov_kwds: ``{"groups": COLUMN}`` (a column of ``data``) or ``{"groups": labels}``
            for ``cluster``.
        model: the :class:`~descend.models.linear.LinearModel` to fit (default: a new one with
            ``params``; ``fit_intercept`` follows the formula's ``1``/``0``).
        source: how messages name the data (a file's path).

    Returns:
        The fitted model, with ``design_`` (formula and levels), ``missing_``
        (a :class:`~descend.data.formula.MissingReport`), and ``row_pass_`` (the robust
        covariance and diagnostics that ``summary()`` reports).
    """
    from descend.data.table import Table
    from descend.models.linear import LinearModel

    _check_missing(missing)
    plan = parse_formula(formula)
    spec = cov_spec(cov_type, cov_kwds)
    frame = _with_groups(data, spec, cov_kwds)
    design = Design.learn(plan, [frame])
    X, y, report, keep = design.rows(frame, missing=missing, source=source)
    groups = _groups(frame, spec, keep)
    if model is None:
        model = LinearModel(**{"fit_intercept": plan.intercept, **params})
    elif bool(model.fit_intercept) != plan.intercept:
        model.set_params(fit_intercept=plan.intercept)
    model.fit_table(Table(X, y, design.names, plan.target, "the data"))
    model.design_ = design
    model.missing_ = report
    model.cov_spec_ = spec
    model.row_pass_ = row_pass(model, [(X, y, groups)], spec)
    return model


def from_formula(cls: Any, formula: str, data: Any, *, missing: str = "drop",
                 cov_type: str = "nonrobust", cov_kwds: dict[str, Any] | None = None,
                 **params: Any) -> Any:
    """``LinearModel.from_formula(formula, data, cov_type=..., **params)``: statsmodels'
    ``ols(formula, data).fit(cov_type=...)`` on descend's engine (:func:`fit_formula` on a
    new ``cls(**params)``; the formula language and its checks: :mod:`descend.data.formula`)."""
    return fit_formula(formula, data, missing=missing, cov_type=cov_type, cov_kwds=cov_kwds,
                       model=cls(**params))


def _with_groups(data: Any, spec: CovSpec, cov_kwds: dict[str, Any] | None) -> Any:
    """The table as pandas, with labels given as an array put in a column ``__groups``."""
    import pandas as pd

    frame = data.to_pandas() if hasattr(data, "to_pandas") and not isinstance(
        data, pd.DataFrame) else pd.DataFrame(data)
    groups = (cov_kwds or {}).get("groups")
    if spec.kind == "cluster" and groups is not None and not isinstance(groups, str):
        labels = np.asarray(groups)
        if labels.shape[0] != len(frame):
            raise InputError(f"cov_kwds['groups'] has {labels.shape[0]} labels for "
                             f"{len(frame)} rows")
        frame = frame.assign(__groups=labels)
        return frame
    if spec.kind == "cluster" and spec.groups not in frame.columns:
        raise InputError(f"cov_type='cluster': the data has no column {spec.groups!r} to "
                         "cluster by")
    return frame


def fit_formula_file(
    path: str,
    formula: str,
    *,
    missing: str = "drop",
    cov_type: str | None = "nonrobust",
    cov_kwds: dict[str, Any] | None = None,
    chunk_rows: int = 1 << 17,
    model: Any = None,
    design: Design | None = None,
    **params: Any,
) -> Any:
    """:func:`fit_formula` of a CSV or Parquet file of any size, in chunks.

    ``design``: the formula's design already learnt from this file (:func:`learn_file_design`),
    to skip the levels pass.

    Three passes over only the columns the formula (and the cluster column) names: the levels
    of the text columns, the moments of the design (the fit needs nothing else), and the row
    pass of the sandwich and the diagnostics. The numbers are those of :func:`fit_formula` on
    the whole table, to rounding. Numbers plus at most one text category go through compiled
    kernels once they are on disk, one sweep per chunk and pass (HC2/HC3's row pass, which
    needs the leverages, excepted; :mod:`descend.models._formula_pass`); else through NumPy
    (:mod:`descend.data.blocks`).
    """
    _check_missing(missing)
    plan = parse_formula(formula)
    spec = cov_spec(cov_type, cov_kwds)
    extra = (spec.groups,) if spec.kind == "cluster" and spec.groups else ()
    cols = (plan.target, *plan.columns, *extra)
    if design is None:
        design = _learn_file(path, plan, cols, chunk_rows)
    fast = _block_kernels(design)
    if fast is not None:  # one compiled sweep per chunk and pass (models/_formula_pass.py)
        from descend.kernels import kernel_threads
        from descend.models._formula_pass import kernel_moments, kernel_row_pass

        kern, lay = fast
        # one BLAS thread: the matrices are small (d x d) and the reader holds the other core
        with kernel_threads(1):
            parts = kernel_moments(kern, path, cols, design, lay, spec, missing, chunk_rows)
            model = _fit_parts(parts, design, spec, model, params, where=f"{path}: ")
            model.row_pass_ = kernel_row_pass(kern, path, cols, design, lay,
                                              row_pass(model, [], spec), missing, chunk_rows)
        return model
    chunks = functools.partial(_file_chunks, path, cols, design, spec, missing, chunk_rows)
    parts = ((_moments(X, y) if X.shape[0] else None, part) for X, y, part, _ in chunks())
    model = _fit_parts(parts, design, spec, model, params, where=f"{path}: ")
    model.row_pass_ = row_pass(model, ((X, y, g) for X, y, _, g in chunks()), spec)
    return model


def _block_kernels(design: Design) -> tuple[Any, Any] | None:
    """``(compiled block kernels, their layout)`` where they apply to ``design`` and are
    compiled (:func:`descend.kernels.block_kernels`), else ``None``: the NumPy path."""
    from descend.data.block_columns import kernel_layout

    lay = kernel_layout(design)
    if lay is None:
        return None
    from descend.kernels import block_kernels

    kern = block_kernels()
    return None if kern is None else (kern, lay)


def learn_file_design(path: str, formula: str, *, chunk_rows: int = 1 << 17) -> Design:
    """The design of ``formula`` on a CSV or Parquet file: its columns and the levels of its
    categories, from one pass over the categories' columns only."""
    plan = parse_formula(formula)
    return _learn_file(path, plan, (plan.target, *plan.columns), chunk_rows)


def _learn_file(path: str, plan: Any, cols: tuple[str, ...], chunk_rows: int) -> Design:
    """The design of a file's formula: the levels of its categories, from one pass over only
    those columns (text ones by Arrow's distinct values, never row by row in Python)."""
    from descend.data.tables import distinct_texts, iter_frames, text_columns

    text = set(text_columns(path, cols))
    words = [c for c in plan.columns if c in text]
    coded = [c for c in plan.columns if c in plan.categorical and c not in text]
    frames: list[Any] = []
    if coded:
        frames = list(iter_frames(path, coded, chunk_rows=chunk_rows))
    if words:
        frames += list(distinct_texts(path, words, chunk_rows=chunk_rows))
    return Design.learn(plan, frames)


def _file_chunks(path: str, cols: tuple[str, ...], design: Design, spec: CovSpec,
                 missing: str, chunk_rows: int) -> Any:
    """``(X, y, missing report, groups)`` per chunk of the file, ``X`` as
    :class:`~descend.data.blocks.Blocks` where the formula allows (one column per term, text
    categories), else dense through the formula library."""
    from descend.data.tables import iter_batches

    offset = 0
    for batch in iter_batches(path, cols, chunk_rows=chunk_rows, dictionary=text_levels(design)):
        yield batch_rows(design, spec, batch, missing, offset, path)
        offset += batch.num_rows


def _check_missing(missing: str) -> None:
    if missing not in ("drop", "raise"):
        raise InputError(f"missing={missing!r}: use 'drop' or 'raise'")


def _fit_parts(parts: Iterable[tuple[Any, MissingReport]], design: Design, spec: CovSpec,
               model: Any, params: dict[str, Any], where: str = "") -> Any:
    """Fit from the moments of chunks or partitions, merged in order (``None``: a part with no
    row left), and record the design, the dropped rows and the covariance asked for."""
    from descend.models.linear import LinearModel

    stats = report = None
    for m, part in parts:
        if m is not None:
            stats = m if stats is None else stats.merge(m)
        report = part if report is None else report.merge(part)
    if stats is None or report is None:
        raise InputError(f"{where}no row has every column the formula uses")
    if model is None:
        model = LinearModel(**{"fit_intercept": design.intercept, **params})
    model.fit_moments(stats, design.names)
    model.target_name_ = design.target
    model.n_features_in_ = len(design.names)
    model.design_, model.missing_, model.cov_spec_ = design, report, spec
    return model


def _partition_rows(frame: Any, design: Design, missing: str) -> tuple[Any, Array,
                                                                         MissingReport, Any]:
    """A pandas partition's design rows: as blocks where the formula allows, else dense."""
    import pyarrow as pa

    from descend.data.blocks import blocks_from_arrow

    got = None
    if design.layout() is not None:
        used = list(dict.fromkeys(design._used()))
        got = blocks_from_arrow(design, pa.RecordBatch.from_pandas(frame[used],
                                                                   preserve_index=False),
                                missing=missing)
    return got if got is not None else design.rows(frame, missing=missing)


def _partition_moments(frame: Any, design: Design, missing: str) -> tuple[Any, MissingReport]:
    X, y, report, _ = _partition_rows(frame.reset_index(drop=True), design, missing)
    return (_moments(X, y) if X.shape[0] else None), report


def _partition_pass(frame: Any, design: Design, missing: str, start: RowPass) -> RowPass:
    import copy

    frame = frame.reset_index(drop=True)
    X, y, _, keep = _partition_rows(frame, design, missing)
    rp = copy.deepcopy(start)
    g = _groups(frame, start.spec, keep)
    if not isinstance(X, np.ndarray):
        return rp.add(X, y, g)
    for i in range(0, X.shape[0], _CHUNK):
        rp.add(X[i:i + _CHUNK], y[i:i + _CHUNK], None if g is None else g[i:i + _CHUNK])
    return rp


def fit_formula_dask(
    data: Any,
    formula: str,
    *,
    missing: str = "drop",
    cov_type: str | None = "nonrobust",
    cov_kwds: dict[str, Any] | None = None,
    model: Any = None,
    **params: Any,
) -> Any:
    """:func:`fit_formula` of a Dask DataFrame on its cluster (the current client's).

    The same three passes as :func:`fit_formula_file`, each one graph over the partitions
    (levels, then per-partition moments merged in order, then per-partition row passes
    merged in order); only the small per-partition results travel.
    """
    import dask


    _check_missing(missing)
    plan = parse_formula(formula)
    spec = cov_spec(cov_type, cov_kwds)
    extra = [spec.groups] if spec.kind == "cluster" and spec.groups else []
    ddf = data[list(dict.fromkeys([plan.target, *plan.columns, *extra]))]
    text = [c for c in plan.columns if c in plan.categorical
            or str(ddf.dtypes[c]) in ("object", "string", "str", "category")]
    uniques = dask.compute(*(ddf[c].dropna().unique() for c in text))
    import pandas as pd

    design = Design.learn(plan, [pd.DataFrame({c: pd.Series(u)})
                                 for c, u in zip(text, uniques, strict=True)])
    parts = ddf.to_delayed()
    moments = dask.compute(*(dask.delayed(_partition_moments)(p, design, missing)
                             for p in parts))
    model = _fit_parts(moments, design, spec, model, params)
    start = row_pass(model, [], spec)
    passes = dask.compute(*(dask.delayed(_partition_pass)(p, design, missing, start)
                            for p in parts))
    total = start
    for rp in passes:
        total = total.merge(rp)
    model.row_pass_ = total
    return model


def row_pass(model: Any, chunks: Iterable[tuple[Array, Array, Any]], spec: CovSpec) -> RowPass:
    """One pass over ``(X, y, groups)`` chunks at the model's coefficients (the sandwich's
    meat and the residual sums); the bread is the inverse Gram matrix from ``moments_``."""
    from descend.models.inference import _inverse

    stats = model.moments_
    intercept = bool(model.fit_intercept)
    try:
        inv = _inverse(stats.cxx if intercept else
                       stats.cxx + stats.n * np.outer(stats.mean_x, stats.mean_x))
    except ArithmeticError:
        raise InputError("the features are too small or too large for float64 statistics "
                         "(X^T X or its inverse under- or overflows); rescale them") from None
    if inv is None:
        raise InputError("the features are collinear or one is constant (X^T X is singular): "
                         "the coefficients, and so their covariance, are not identified")
    rp = RowPass.start(spec, inv, stats.mean_x, float(model.intercept_),
                       np.asarray(model.coef_, float), int(stats.n), intercept=intercept)
    for X, y, groups in chunks:
        if not isinstance(X, np.ndarray):  # Blocks: kept whole (a chunk's worth of rows)
            rp.add(X, y, groups)
            continue
        for i in range(0, X.shape[0], _CHUNK):
            g = None if groups is None else groups[i:i + _CHUNK]
            rp.add(X[i:i + _CHUNK], y[i:i + _CHUNK], g)
    return rp


def summary_of(model: Any, alpha: float = 0.05) -> Any:
    """``model.summary()`` with the row pass's covariance, diagnostics and missing report."""
    from descend.kernels import kernel_threads
    from descend.models.inference import ols_summary

    rp: RowPass | None = getattr(model, "row_pass_", None)
    spec: CovSpec = getattr(model, "cov_spec_", CovSpec())
    stats = model.moments_
    cov = None
    with kernel_threads(1):  # d x d matrices: threads only wait for each other
        if rp is not None and spec.robust and get_loss(str(model.loss)).moments_exact:
            cov = rp.covariance(0.0)
        elif rp is None and getattr(model, "cov_params_", None) is not None:  # a model file
            cov = model.cov_params_
            spec = CovSpec("HC0") if not model.cov_type_.startswith("cluster") else CovSpec(
                "cluster", model.cov_type_)
        return ols_summary(
            stats, model.intercept_, model.coef_, names=model.feature_names_,
            target=getattr(model, "target_name_", None), alpha=alpha, loss=str(model.loss),
            penalty=float(model.alpha), status=getattr(model, "stop_reason_", None),
            converged=bool(model.result_.success) if hasattr(model, "result_")
            else bool(getattr(model, "converged_", False)),
            fit_intercept=bool(model.fit_intercept), cov=cov,
            cov_type=getattr(model, "cov_type_", None) or spec.label(),
            diagnostics=None if rp is None else rp.diagnostics(),
            missing=getattr(model, "missing_", None),
            n_groups=rp.n_groups if rp is not None and spec.kind == "cluster" else None,
        )


def prediction_table(model: Any, X: Array, *, interval: str | None = None,
                     alpha: float = 0.05) -> dict[str, Array]:
    """The predictions at ``X`` and, with ``interval``, their standard error and bounds.

    Returns a dict of columns: ``mean``; with an interval also ``se`` (of the mean, or of a
    new observation for ``"prediction"``), ``lower`` and ``upper``.
    """
    from scipy import stats as sps

    mean = X @ np.asarray(model.coef_, float) + (
        float(model.intercept_) if model.fit_intercept else 0.0)
    if interval is None:
        return {"mean": mean}
    if interval not in INTERVALS:
        raise InputError(f"interval={interval!r}: use 'confidence' or 'prediction'")
    s = summary_of(model, alpha)
    if s.cov is None or s.residual_std_error is None or s.std_err is None:
        why = "; ".join(s.unavailable) or "the fit has no standard errors"
        raise InputError(f"{interval} intervals are not available: {why}")
    Z = np.column_stack([np.ones(X.shape[0]), X]) if model.fit_intercept else X
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", Z, s.cov, Z), 0.0))
    if interval == "prediction":
        se = np.sqrt(se**2 + s.residual_std_error**2)
    dist = sps.t(s.df_resid) if s.use_t else sps.norm
    q = float(dist.ppf(1.0 - alpha / 2.0))
    return {"mean": mean, "se": se, "lower": mean - q * se, "upper": mean + q * se}


def influence(model: Any, X: Array, y: Array) -> dict[str, Array]:
    """Per row: ``fitted``, ``resid``, ``leverage`` ``h_i = x_i^T (X^T X)^-1 x_i``,
    ``studentised`` ``r_i = e_i / (s sqrt(1 - h_i))`` and ``cooks`` ``D_i = r_i^2 h_i / (p (1 - h_i))``
    (statsmodels' ``get_influence()``: ``hat_matrix_diag``, ``resid_studentized_internal``,
    ``cooks_distance[0]``); never the ``n x n`` hat matrix."""
    fitted = X @ np.asarray(model.coef_, float) + (
        float(model.intercept_) if model.fit_intercept else 0.0)
    e = y - fitted
    s = model.summary()
    p = len(s.names)
    sigma = s.residual_std_error or float(np.std(e))
    rp = row_pass(model, [], CovSpec("HC3"))
    Z = rp._rows(X)
    h = np.clip(np.einsum("ij,jk,ik->i", Z, rp.bread, Z), 0.0, 1.0 - 1e-12)
    r = e / (sigma * np.sqrt(1.0 - h))
    return {"fitted": fitted, "resid": e, "leverage": h, "studentised": r,
            "cooks": r**2 * h / (p * (1.0 - h))}


def missing_sentence(report: MissingReport | None) -> str | None:
    return None if report is None else report.sentence()
