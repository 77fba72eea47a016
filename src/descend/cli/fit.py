"""``descend fit``: a linear regression fit by gradient descent to a data file (any engine).

The command is a pipeline of small steps, each a function below: :func:`_parse` (the flags,
checked together, and the model they describe) -> :func:`_plan_outputs` (every file it will
read and write, refused before any work) -> :func:`_source` (the rows, from the engine the
flags choose) -> :func:`_fit` -> :func:`_render` (text or JSON, by :mod:`descend.cli.render`)
-> :func:`_exit_code`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from descend.cli import options as o
from descend.cli._engines import ENGINES, auto_engine, load_rows
from descend.cli._formula import fit_by_formula, residual_picture, wants_formula
from descend.cli._resume import check_resume, command_line, data_identity, given, stopped_by
from descend.cli._terms import to_flags
from descend.cli.app import app, err, fail, out, parse_floats, printable, warnings_to_stderr
from descend.cli.render import FitReport, fit_json, print_fit, print_json

_DATA, _MODEL, _DESCENT, _STOP = "Data", "Model", "Descent", "Stopping"
_SCALE, _OUTPUT = "Scale: engines and checkpoints", "Output"
_OPTIMIZER_HELP = (
    "auto (squared loss, no --lr: preconditioned; else gd), preconditioned (gradient descent in "
    "whitened coordinates + refinement: the least-squares answer to the last trustworthy digit), "
    "or one of the optimizers' registry."
)
_LR_HELP = (
    "Learning rate: a number, 'auto' (1/L, L the exact curvature) or a schedule such as "
    "exp:0.1,0.99. A number means plain gd (with --optimizer auto) and applies to the "
    "standardised features ((x - mean) / std, where 2/L >= 1); add --no-scale for the "
    "features' own units."
)
_TOL_HELP = (
    "Stop when the loss is flat: its range over the last --n-iter-no-change steps <= tol x its "
    "largest |value| (the rule of every path of descend)."
)
_EPSILON_HELP = "Huber threshold in units of --huber-scale (as scikit-learn's HuberRegressor)."
_HUBER_SCALE_HELP = (
    "Huber's scale in the target's units [default: the least-squares fit's RMS residual, so "
    "the threshold is relative]; 1 makes --epsilon a threshold in the target's units."
)
_SCALE_HELP = "Standardise features internally (coefficients stay in your units)."
_INTERCEPT_HELP = "Fit the intercept b; --no-intercept fits through the origin (b = 0)."
_ENGINE_HELP = (
    "Where the rows live: auto (numpy up to ~512 MiB of float64, else stream; a folder or glob "
    "streams), numpy (load the file into memory), stream (read it in chunks, never whole: "
    "files larger than memory) or dask (a Dask cluster, see --scheduler). The answers agree "
    "to rounding."
)
_SCHEDULER_HELP = (
    "With --engine dask: the scheduler's address, e.g. tcp://host:8786 [default: start a "
    "local cluster in this process, one worker thread per core, closed at the end]."
)
_CHUNK_HELP = (
    "With --engine stream: rows read per chunk [default: about 11 MB of float64 a chunk, "
    "131072 rows at 10 features]."
)
_CHECKPOINT_HELP = (
    "Save the run (parameters, optimizer state, step count) to this .json or .npz file, "
    "atomically, during the fit, at its end and on Ctrl-C."
)
_EVERY_HELP = "Save the checkpoint every N iterations [default: 100]."
_SECONDS_HELP = "Save the checkpoint every S seconds of the fit."
_RESUME_HELP = (
    "Continue the run saved in this checkpoint: same data and settings, the same iterates as "
    "without the interruption; --max-iter counts the whole run."
)
_SUMMARY_HELP = (
    "Also print the least-squares statistics: standard errors, t, p-values, intervals, R^2, "
    "adjusted R^2, F (from the moments, so every engine; in the JSON as 'summary')."
)
_FORMULA_HELP = (
    "A model formula, e.g. 'price ~ size + C(city) + size:rooms + np.log(area)': text columns "
    "become categories (first level the reference; C(city, Treatment('b')) names another); "
    "only the named columns are read."
)
_MISSING_HELP = (
    "Rows with an empty cell in a column the fit uses: drop (counted per column in the "
    "report) or raise [default: drop with --formula/--cov]."
)
_COV_HELP = (
    "Standard errors for --summary: nonrobust, HC0, HC1, HC2, HC3 or cluster:COLUMN "
    "(statsmodels' cov_type; robust ones give z tests)."
)
_RESIDUAL_HELP = "Write residual plots (vs fitted, normal Q-Q, leverage with Cook's distance)."
_opt = o.option



@dataclass(frozen=True)
class FitArgs:
    """The command line of ``descend fit``, as typed (``ctx.params``)."""

    data: str
    target: str | None
    features: str | None
    storage_option: list[str] | None
    optimizer: str
    lr: str
    max_iter: int
    target_loss: float | None
    tol: float
    n_iter_no_change: int
    gtol: float | None
    time_limit: float | None
    batch_size: int | None
    random_state: int | None
    loss: str
    alpha: float
    epsilon: float
    huber_scale: float | None
    scale: bool
    fit_intercept: bool
    init: str | None
    engine: str
    scheduler: str | None
    chunk_rows: int | None
    checkpoint: str | None
    checkpoint_every: int | None
    checkpoint_seconds: float | None
    resume: str | None
    as_json: bool
    summary: bool
    save: str | None
    force: bool
    plot: str | None
    html: str | None
    quiet: bool
    formula: str | None = None
    cov: str | None = None
    missing: str | None = None
    residual_plot: str | None = None


@dataclass
class _Run:
    """One fit as it goes through the pipeline: the flags, then what each step added."""

    args: FitArgs
    ctx: Any
    engine: str
    engine_note: str
    so: dict[str, Any] | None
    model: Any
    meta: dict[str, Any] = field(default_factory=dict)
    save_path: Path | None = None
    ckpt_target: Path | None = None
    ckpt: Any = None
    saver: Any = None
    t_load: float = 0.0


@app.command("fit")
def fit_command(
    ctx: typer.Context,
    data: str = o.data(
        "CSV or Parquet file (--engine stream/dask: also a folder or glob of Parquet files), "
        "or a URL (s3://, gs://, https://, memory://); the target is the last column."),
    target: str = o.target(_DATA),
    features: list[str] = o.features(_DATA),  # noqa: B008
    formula: str = _opt(None, "--formula", _FORMULA_HELP, _DATA),
    missing: str = _opt(None, "--missing", _MISSING_HELP, _DATA, metavar="drop|raise"),
    storage_option: list[str] = o.storage_option(_DATA),  # noqa: B008
    optimizer: str = o.optimizer("auto", _OPTIMIZER_HELP, _DESCENT),
    lr: str = o.lr("auto", _LR_HELP, _DESCENT),
    max_iter: int = o.max_iter(1000, "Most steps (epochs for mini-batch); with --resume, in all.", _STOP),
    target_loss: float = o.target_loss(panel=_STOP),
    tol: float = o.tol(1e-12, _TOL_HELP, _STOP),
    n_iter_no_change: int = o.n_iter_no_change(5, "The window of the --tol rule, in steps (epochs).", _STOP),
    gtol: float = o.gtol(panel=_STOP),
    time_limit: float = o.time_limit("Stop after this many seconds of descent [default: no limit].", _STOP),
    batch_size: int = _opt(None, "--batch-size", "Rows per mini-batch step [default: all rows].", _DESCENT),
    random_state: int = _opt(None, "--random-state", "Seed of mini-batch shuffles.", _DESCENT),
    loss: str = o.loss(_MODEL),
    alpha: float = _opt(0.0, "--alpha", "L2 penalty alpha * |w|^2.", _MODEL),
    epsilon: float = _opt(1.35, "--epsilon", _EPSILON_HELP, _MODEL),
    huber_scale: float = _opt(None, "--huber-scale", _HUBER_SCALE_HELP, _MODEL, show_default=False),
    scale: bool = _opt(True, "--scale/--no-scale", _SCALE_HELP, _DESCENT),
    fit_intercept: bool = _opt(True, "--intercept/--no-intercept", _INTERCEPT_HELP, _MODEL),
    init: str = o.init("Start: intercept then coefficients, e.g. 0,0 [default: zeros].", _MODEL),
    engine: str = o.engine(_ENGINE_HELP, _SCALE),
    scheduler: str = _opt(None, "--scheduler", _SCHEDULER_HELP, _SCALE),
    chunk_rows: int | None = _opt(None, "--chunk-rows", _CHUNK_HELP, _SCALE, show_default=False),
    checkpoint: str = _opt(None, "--checkpoint", _CHECKPOINT_HELP, _SCALE),
    checkpoint_every: int = _opt(None, "--checkpoint-every", _EVERY_HELP, _SCALE),
    checkpoint_seconds: float = _opt(None, "--checkpoint-seconds", _SECONDS_HELP, _SCALE),
    resume: str = _opt(None, "--resume", _RESUME_HELP, _SCALE),
    as_json: bool = o.as_json(_OUTPUT),
    summary: bool = _opt(False, "--summary", _SUMMARY_HELP, _OUTPUT),
    cov: str = _opt(None, "--cov", _COV_HELP, _OUTPUT, metavar="nonrobust|HC0..HC3|cluster:COL"),
    residual_plot: str = _opt(None, "--residual-plot", _RESIDUAL_HELP, _OUTPUT),
    save: str = _opt(None, "--save", "Write the fitted model to this .json file.", _OUTPUT),
    force: bool = o.force("--save/--plot/--html/--checkpoint", _OUTPUT),
    plot: str = o.plot("Write the fit, loss curve and loss surface (.png/.svg/.pdf).", _OUTPUT),
    html: str = o.html(panel=_OUTPUT),
    quiet: bool = o.quiet(panel=_OUTPUT),
) -> None:
    """Fit a line (or plane) to DATA by gradient descent; print the coefficients and the loss.

    Example: descend fit data.csv --lr 0.0001 --max-iter 1000 --no-scale

    Larger than memory: descend fit big.parquet --engine stream --checkpoint run.json
    """
    from descend.cli._files import stdin_data

    params = dict(ctx.params)
    params["features"] = ",".join(features) if features else None  # repeated: accumulated
    params["data"] = stdin_data(data)  # `-`: standard input, read once to a private copy
    run = _parse(ctx, FitArgs(**params))
    _plan_outputs(run)
    if wants_formula(run.args):
        run.model, report, table = fit_by_formula(run)
        if not (run.args.as_json or run.args.quiet):
            out.print(run.model.missing_.sentence(), markup=False)
        _render(run, report, None)
        if run.args.residual_plot is not None and table is not None:
            residual_picture(run.model, table, run.args.residual_plot, run.args.quiet)
    else:
        table, prepared = _source(run)
        with prepared as src:
            report = _fit(run, table, src)
        _render(run, report, table)
    code = _exit_code(run, report)
    if code:
        raise typer.Exit(code)


# --------------------------------------------------------------------------- 1. parse


def _parse(ctx: Any, a: FitArgs) -> _Run:
    """The flags, checked together; the engine they choose; the model they describe."""
    if a.engine not in ENGINES and a.engine != "auto":
        fail(f"--engine {a.engine}: choose one of auto, {', '.join(ENGINES)}")
    from descend.data.urls import is_url, parse_storage_options

    so = parse_storage_options(a.storage_option) or None
    if so and not is_url(a.data.removeprefix("glob:")):
        fail(f"--storage-option: applies to a URL DATA (s3://...), not the local path {a.data}")
    engine, note = a.engine, ""
    if engine == "auto":
        engine, note = auto_engine(a.data, a.plot, a.html, a.batch_size, a.chunk_rows, ctx, so)
    _check_engine_flags(ctx, a, engine)
    _check_checkpoint_flags(a)
    return _Run(a, ctx, engine, note, so, _model(a))


def _check_engine_flags(ctx: Any, a: FitArgs, engine: str) -> None:
    """Refuse flags that the chosen engine cannot honour."""
    if a.scheduler is not None and engine != "dask":
        fail(f"--scheduler {a.scheduler}: applies to --engine dask only")
    if given(ctx, "chunk_rows") and engine != "stream":
        fail(f"--chunk-rows {a.chunk_rows}: applies to --engine stream only")
    if engine != "numpy":
        for path, flag in ((a.plot, "--plot"), (a.html, "--html")):
            if path is not None:
                fail(f"{flag}: pictures need the data in memory; leave out --engine {engine}")
    if engine == "dask" and a.batch_size is not None:
        fail(
            f"--batch-size {a.batch_size}: mini-batches are not available with --engine dask; "
            "use --engine stream"
        )


def _check_checkpoint_flags(a: FitArgs) -> None:
    if a.checkpoint_every is not None and a.checkpoint_every < 1:
        fail(f"--checkpoint-every {a.checkpoint_every}: give a positive number of iterations")
    if a.checkpoint_seconds is not None and not a.checkpoint_seconds > 0:
        fail(f"--checkpoint-seconds {a.checkpoint_seconds}: give a positive number of seconds")
    if a.checkpoint is None and (a.checkpoint_every is not None or a.checkpoint_seconds is not None):
        fail("--checkpoint-every/--checkpoint-seconds: give --checkpoint FILE to save to")


def _model(a: FitArgs) -> Any:
    """The estimator the flags describe (it validates them: its messages name the flags)."""
    from descend.models import LinearModel

    return LinearModel(
        loss=a.loss, alpha=a.alpha, epsilon=a.epsilon,
        huber_scale="auto" if a.huber_scale is None else a.huber_scale,
        optimizer=a.optimizer, learning_rate=o.read_learning_rate(a.lr, line_search=False),
        max_iter=a.max_iter, tol=a.tol, n_iter_no_change=a.n_iter_no_change, gtol=a.gtol,
        target_loss=a.target_loss, time_limit=a.time_limit,
        batch_size=a.batch_size, random_state=a.random_state,
        scale=a.scale, fit_intercept=a.fit_intercept,
    )


# --------------------------------------------------------------------------- 2. plan outputs


def _plan_outputs(run: _Run) -> None:
    """Every file the fit reads and writes, checked before any work (docs/input-and-output.md);
    a checkpoint being resumed is loaded and checked against these data and settings."""
    from descend.cli._files import guard_data, plan_checkpoint, plan_outputs
    from descend.io import OutputPlan

    a = run.args
    plan = OutputPlan(force=a.force)
    data_paths = guard_data(a.data, plan, run.so)  # a literal path, a folder or glob
    if run.engine == "numpy" and not (len(data_paths) == 1 and Path(data_paths[0]) == Path(a.data)):
        fail(f"{a.data}: a folder or glob of files needs --engine stream or --engine dask")
    if a.resume is not None:
        plan.add_input(a.resume, f"the checkpoint being resumed, {a.resume}")
    if a.plot is not None and a.residual_plot is not None:
        fail("--plot and --residual-plot: give one picture file per fit")
    run.save_path = plan_outputs(plan, save=a.save, plot=a.plot, html=a.html,
                                 residual_plot=a.residual_plot)["save"]
    hashed = a.checkpoint is not None or a.resume is not None
    run.meta = {
        "data": data_identity(a.data, data_paths, hashed=hashed, so=run.so),
        "model": run.model.checkpoint_meta(),
    }
    if a.checkpoint is not None:
        run.ckpt_target = plan_checkpoint(a.checkpoint, plan, run.meta, a.resume)
    if a.resume is not None:
        from descend.scale.checkpoint import check_state_shapes, load_checkpoint

        run.ckpt = load_checkpoint(a.resume)
        check_state_shapes(run.ckpt, f"--resume {a.resume}")
        check_resume(a.resume, run.ckpt.meta, run.meta)


# --------------------------------------------------------------------------- 3. source


def _source(run: _Run) -> tuple[Any, Any]:
    """``(table or None, a context manager yielding the rows' source)`` for the engine."""
    a = run.args
    run.t_load = time.perf_counter()
    return load_rows(a.data, run.engine, a.target, a.features, a.chunk_rows, a.scheduler, run.model,
                 a.quiet, run.so)


# --------------------------------------------------------------------------- 4. fit


def _fit(run: _Run, table: Any, src: Any) -> FitReport:
    """Check the start and the resume against the columns, descend, and gather the facts."""
    a = run.args
    run.meta.update(target=src.target_name, features=list(src.feature_names))
    if run.ckpt is not None:
        check_resume(a.resume or "", run.ckpt.meta, run.meta)
    run.model.set_params(init=_start(a.init, src, table))
    if a.checkpoint is not None:
        from descend.scale.checkpoint import Checkpointer

        run.saver = Checkpointer(run.ckpt_target or a.checkpoint, every=a.checkpoint_every,
                                 seconds=a.checkpoint_seconds, meta=run.meta)
    t0 = time.perf_counter()
    _descend(run, table, src)
    return _report(run, table, src, time.perf_counter() - t0, t0 - run.t_load)


def _start(init: str | None, src: Any, table: Any) -> list[float] | None:
    """``--init``: intercept then coefficients, one per feature, at a finite loss."""
    if init is None:
        return None
    start = parse_floats(init, "--init")
    if len(start) != src.d + 1:
        fail(
            f"--init {init}: expected {src.d + 1} values (the intercept, then "
            f"{', '.join(src.feature_names)}), got {len(start)}"
        )
    from descend.cli._points import check_fit_start

    if hasattr(src, "stats_coef"):  # in the units of the moments (features read times 2^k)
        start = [start[0], *map(float, src.stats_coef(start[1:]))]
    check_fit_start(init, start, table=table, stats=src.stats)
    return start


def _descend(run: _Run, table: Any, src: Any) -> None:
    """The fit itself, with a progress bar, checkpoints and Ctrl-C at step boundaries."""
    from descend.cli.progress import descent_progress, every
    from descend.io import poll
    from descend.models import DivergenceWarning

    model, ckpt = run.model, run.ckpt
    # one bar for the steps: a streamed or Dask step is a whole pass over the data
    label = "fitting" if src.passes is None else f"fitting ({run.engine}: a pass per step)"
    with warnings_to_stderr(), warnings.catch_warnings(), \
            descent_progress(model.max_iter, quiet=run.args.quiet, label=label) as bar:
        warnings.simplefilter("ignore", DivergenceWarning)  # printed below, as the diagnosis
        callback = every(run.saver, bar, poll)  # poll: Ctrl-C/SIGTERM stop at a step boundary
        try:
            if table is not None:
                model.fit_table(table, callback=callback, resume=ckpt)
            elif src.passes is None:
                model.fit_moments(
                    src.stats, src.feature_names, callback=callback, resume=ckpt,
                    rows=getattr(src, "rows", None),
                )
            else:
                model.fit_rows(src.stats, src.feature_names, src.passes, callback=callback,
                               resume=ckpt)
            if hasattr(src, "adopt"):  # features read times 2^k: the data's units again
                src.adopt(model)
        except (TypeError, AttributeError, KeyError, IndexError) as exc:
            if ckpt is None:
                raise
            fail(  # a state that passed the schema but is not this optimizer's
                f"--resume {run.args.resume}: the saved optimizer state does not fit this run "
                f"({type(exc).__name__}); start afresh without --resume"
            )


def _report(run: _Run, table: Any, src: Any, elapsed: float, load_time: float) -> FitReport:
    """The last checkpoint, R^2 and the statistics: what the report shows beside the model."""
    model = run.model
    diverged = model.stop_reason_ == "diverged"
    if run.saver is not None and not diverged:
        info = model.result_.info
        run.saver.save(info["theta"], info["state"], model.n_iter_)
    r2 = None
    if not diverged and table is not None:
        r = table.X @ model.coef_ + model.intercept_ - table.y
        yc = table.y - table.y.mean()
        r2 = 1.0 - float(r @ r) / float(yc @ yc)
    elif not diverged:  # from the moments: the file is not read again
        st = src.stats
        r2 = 1.0 - st.n * st.loss(src.stats_coef(model.coef_), model.intercept_) / st.cyy
    summary = None
    if run.args.summary and not diverged:
        from dataclasses import replace

        summary = replace(model.summary(), target=src.target_name)
    return FitReport(
        source=table.source if table is not None else run.args.data, n=src.n,
        target_name=src.target_name, feature_names=tuple(src.feature_names),
        engine=run.engine, engine_reason=run.engine_note, r2=r2, elapsed=elapsed,
        load_time=load_time, summary=summary,
    )


# --------------------------------------------------------------------------- 5. render


def _render(run: _Run, report: FitReport, table: Any) -> None:
    """The answer as text or JSON (:mod:`descend.cli.render`), then the pictures asked for."""
    a = run.args
    if a.as_json:
        print_json(fit_json(run.model, report, summary=a.summary))
    else:
        if run.engine_note and run.engine != "numpy" and not a.quiet:  # a chosen stream is news
            out.print(f"engine: {run.engine} ({run.engine_note})", markup=False)
        print_fit(run.model, report)
    if table is not None and (a.plot is not None or a.html is not None):
        from descend.cli.pictures import fit_pictures

        fit_pictures(run.model, table, plot=a.plot, html=a.html, quiet=a.quiet or a.as_json)


# --------------------------------------------------------------------------- 6. exit code


def _exit_code(run: _Run, report: FitReport) -> int:
    """0, or the status of an interrupted (128 + signal) or failed (3) run, said on stderr;
    a good fit is saved (``--save``) only now, when it is known to be one."""
    from descend.cli.app import EXIT_DIVERGED
    from descend.loop.verdict import FAILED

    a, model = run.args, run.model
    if model.stop_reason_ == "interrupted":
        from descend.io import received

        saved = (
            f"saved {a.checkpoint}. Resume with: {command_line(run.ctx, a.checkpoint)}"
            if a.checkpoint is not None
            else "nothing saved (add --checkpoint FILE to make a run resumable)"
        )
        err.print(f"descend: {stopped_by()} after {model.n_iter_} iterations; {saved}",
                  markup=False)
        return 128 + int(received() or 2)  # the shell's: 130 for Ctrl-C, 143 for SIGTERM
    if model.stop_reason_ == "diverged" or model.verdict_ in FAILED:
        err.print(f"descend: {printable(to_flags(model.message_))}", markup=False)
        return EXIT_DIVERGED
    if run.save_path is not None:
        from descend.io._stdin import shown
        from descend.models import save_model

        save_model(model, run.save_path, target=report.target_name, source=shown(str(a.data)),
                   force=True)
        if not a.as_json:
            out.print(f"saved the model to {a.save}", markup=False)
    return 0
