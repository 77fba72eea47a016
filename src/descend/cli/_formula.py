"""``descend fit --formula / --cov / --missing``: the analyst's path of the fit command.

A formula (or ``--target``/``--features`` written as one, when ``--cov`` or ``--missing`` is
given) goes through :mod:`descend.models.analysis` on the engine the flags chose: the rows in
memory (only the formula's columns read), streamed in chunks, or a Dask DataFrame on the
cluster. The report is the fit's, plus the rows dropped for missing cells, and ``--summary``
prints the statistics with the chosen covariance and the residual diagnostics.
"""

from __future__ import annotations

import time
from typing import Any

from descend.cli.app import fail

__all__ = ["as_formula", "fit_by_formula", "wants_formula"]


def wants_formula(a: Any) -> bool:
    """Whether the analyst's path runs: a formula, a covariance or a missing-cell rule given."""
    return (a.formula is not None or a.cov is not None or a.missing is not None
            or a.residual_plot is not None)


def _quote(name: str) -> str:
    return name if name.isidentifier() else "`" + name + "`"


def as_formula(a: Any) -> str:
    """``--formula``, or ``target ~ f1 + f2`` from ``--target``/``--features``."""
    if a.formula is not None:
        if a.target is not None or a.features is not None:
            fail("--formula names the target and the features; leave out --target/--features")
        return str(a.formula)
    if a.target is None or a.features is None:
        fail("--cov/--missing without --formula need --target and --features (or write "
             "--formula 'target ~ a + b')")
    feats = [f.strip() for f in str(a.features).split(",") if f.strip()]
    rhs = " + ".join(_quote(f) for f in feats)
    return f"{_quote(a.target)} ~ {rhs}" + ("" if a.fit_intercept else " - 1")


def _refuse_flags(a: Any, engine: str) -> None:
    for flag, value in (("--checkpoint", a.checkpoint), ("--resume", a.resume),
                        ("--init", a.init), ("--html", a.html)):
        if value is not None:
            fail(f"{flag}: not available with --formula/--cov/--missing (the analyst's path)")
    if a.plot is not None:
        fail("--plot: the analyst's path draws --residual-plot FILE (residuals vs fitted, "
             "Q-Q, leverage); leave out --plot")
    if a.residual_plot is not None and engine != "numpy":
        fail(f"--residual-plot: pictures need the rows in memory; leave out --engine {engine}")
    if not _moments_exact(a.loss) and a.cov not in (None, "nonrobust"):
        fail(f"--cov {a.cov}: robust standard errors are of a least-squares fit; "
             f"--loss {a.loss} has none")


def _params(run: Any) -> dict[str, Any]:
    keep = ("loss", "alpha", "epsilon", "huber_scale", "optimizer", "learning_rate", "max_iter",
            "tol", "n_iter_no_change", "gtol", "target_loss", "time_limit", "batch_size",
            "random_state", "scale")
    return {k: v for k, v in run.model.get_params().items() if k in keep}


def fit_by_formula(run: Any) -> tuple[Any, Any, Any]:
    """Fit by the analyst's path; returns ``(model, report, table or None)``."""
    from descend.cli.render import FitReport
    from descend.models import analysis as an

    a = run.args
    _refuse_flags(a, run.engine)
    formula = as_formula(a)
    cov, kwds = a.cov or "nonrobust", None
    missing = a.missing or "drop"
    t_load = time.perf_counter()
    table = None
    kw = {"missing": missing, "cov_type": cov, "cov_kwds": kwds, **_params(run)}
    t0 = time.perf_counter()
    engine, note, design = _design_engine(run, formula)
    run.engine, run.engine_note = engine, note  # rendered with the answer
    if engine == "numpy":
        table = _read(a.data, formula, cov)
        t0 = time.perf_counter()
        model = an.fit_formula(formula, table, source=a.data, **kw)
    elif engine == "stream":
        model = an.fit_formula_file(a.data, formula, chunk_rows=a.chunk_rows or 1 << 17,
                                    design=design, **kw)
    else:
        model = _dask(a, formula, kw)
    elapsed = time.perf_counter() - t0
    stats = model.moments_
    r2 = None
    if model.stop_reason_ != "diverged" and stats.cyy > 0:
        r2 = 1.0 - stats.n * stats.loss(model.coef_, model.intercept_) / stats.cyy
    summary = an.summary_of(model) if a.summary and model.stop_reason_ != "diverged" else None
    report = FitReport(source=a.data, n=int(stats.n), target_name=model.target_name_,
                       feature_names=tuple(model.feature_names_), engine=engine,
                       engine_reason=note, r2=r2, elapsed=elapsed,
                       load_time=t0 - t_load, summary=summary)
    return model, report, table


def _columns(formula: str, cov: str) -> list[str]:
    from descend.data.formula import parse_formula
    from descend.models.sandwich import parse_cov

    plan = parse_formula(formula)
    spec = parse_cov(cov)
    extra = [spec.groups] if spec.groups else []
    return list(dict.fromkeys([plan.target, *plan.columns, *extra]))


def _design_engine(run: Any, formula: str) -> tuple[str, str, Any]:
    """``(engine, why, design or None)``: ``--engine auto`` judges a formula by its design.

    In memory the fit holds the design, one float64 column per number and per level of a
    category (a 100-level text column is 99 columns), so a table that is small as columns can
    be large as a design: when the design's estimate passes the stream threshold, the file is
    streamed (the design learnt for the estimate is reused).
    """
    from descend.data.engine import STREAM_BYTES, float64_bytes
    from descend.data.tables import column_count
    from descend.models.analysis import learn_file_design

    a = run.args
    if run.engine != "numpy" or a.engine != "auto" or a.residual_plot is not None \
            or "://" in str(a.data) or str(a.data) == "-":
        return run.engine, run.engine_note, None
    design = learn_file_design(a.data, formula)
    size = float64_bytes([a.data]) * (len(design.names) + 2) / max(1, column_count(a.data))
    if size <= STREAM_BYTES:
        return run.engine, run.engine_note, None
    return "stream", (f"the formula's design is about {size / 2**30:.2g} GiB as float64 "
                      f"(> {STREAM_BYTES >> 20} MiB): streamed in chunks, never held whole; "
                      "--engine numpy loads it instead"), design


def _read(path: str, formula: str, cov: str) -> Any:
    """The formula's columns (and the cluster column) of the file, in memory, as pandas."""
    import pandas as pd

    from descend.data.tables import iter_frames

    frames = list(iter_frames(path, _columns(formula, cov)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _dask(a: Any, formula: str, kw: dict[str, Any]) -> Any:
    import dask.dataframe as dd

    from descend.cli._engines import dask_client
    from descend.data.tables import PARQUET_SUFFIXES
    from descend.models.analysis import fit_formula_dask

    cols = _columns(formula, kw["cov_type"])
    with dask_client(a.scheduler):
        if a.data.lower().endswith(PARQUET_SUFFIXES) or "*" in a.data:
            ddf = dd.read_parquet(a.data, columns=cols)
        else:
            ddf = dd.read_csv(a.data, usecols=cols, blocksize="64MB")
            # pandas reads a column of true/false (any case) as bool, a number; the other
            # engines read it as text, a category: read such columns again as their text
            bools = {c: "object" for c, t in ddf.dtypes.items() if t.kind == "b"}
            if bools:
                ddf = dd.read_csv(a.data, usecols=cols, blocksize="64MB", dtype=bools)
        return fit_formula_dask(ddf, formula, **kw)


def residual_picture(model: Any, table: Any, path: str, quiet: bool) -> None:
    """``--residual-plot FILE``: the three residual panels (the path was planned already)."""
    from descend.models.analysis import influence
    from descend.plot.residuals import residual_plots

    X, y, _ = model.design_.transform(table)
    got = influence(model, X, y)
    fig = residual_plots(got["fitted"], got["resid"], got["leverage"], got["studentised"],
                         len(model.summary().names), target=model.target_name_)
    from descend.plot._io import save_figure

    save_figure(fig, path)
    if not quiet:
        from descend.cli.app import out

        out.print(f"wrote {path}", markup=False)


def _moments_exact(loss: str) -> bool:
    """Whether the moments solve ``loss`` exactly (the squared loss): the loss registry's word,
    not a comparison of names."""
    from descend.models.losses import get_loss

    return bool(get_loss(loss).moments_exact)
