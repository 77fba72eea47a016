"""``descend fit``: a linear regression fit by gradient descent to a data file (any engine)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table as RichTable
from rich.text import Text

from descend._lazy import lazy_module
from descend.cli._engines import ENGINES, dask_client, prepare_dask, prepare_stream
from descend.cli.app import (
    Diverged,
    app,
    dumps,
    err,
    fail,
    out,
    parse_floats,
    printable,
    storage_option_flag,
    warnings_to_stderr,
)

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # descend --help must not load NumPy


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.12g}"


def _finite_or_none(v: float) -> float | None:
    """JSON has no infinity: an infinite condition number (collinear columns) is null."""
    return float(v) if np.isfinite(v) else None


_COORDINATES = {
    "whitened": "1/L in whitened coordinates, where the Hessian is 2I",
    "standardised": "on the standardised features (x - mean) / std",
    "raw": "on the features in their own units",
}


def _learning_rate(text: str) -> Any:
    """``--lr`` for a fit: what ``minimize`` takes, except the line search."""
    from descend.optim import parse_learning_rate

    if text.strip().lower() == "armijo":
        fail("--lr armijo: a fit takes a positive number, 'auto', or a schedule such as exp:0.1,0.99")
    return parse_learning_rate(text)


def _r2(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    r = X @ model.coef_ + model.intercept_ - y
    yc = y - y.mean()
    return 1.0 - float(r @ r) / float(yc @ yc)


_RESUME_OPTIONS = {
    "loss": "--loss",
    "optimizer": "--optimizer",
    "learning_rate": "--lr",
    "alpha": "--alpha",
    "epsilon": "--epsilon",
    "huber_scale": "--huber-scale",
    "scale": "--scale/--no-scale",
    "fit_intercept": "--intercept/--no-intercept",
    "batch_size": "--batch-size",
    "shuffle": "--shuffle",
    "random_state": "--random-state",
}


def _data_identity(
    data: str, files: list[Any], *, hashed: bool, so: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What names the data of a checkpointed run: the resolved path, its size and (with a
    checkpoint) a SHA-256 of its content, so data edited in place is never resumed on."""
    p = Path(data)
    ident: dict[str, Any] = {
        "path": str(p.resolve()) if p.exists() else data,
        "bytes": sum(_size(f, so) for f in files),
    }
    if hashed:
        from descend.io import data_fingerprint

        ident["sha256"] = data_fingerprint(
            [f if isinstance(f, str) else Path(f) for f in files], storage_options=so
        )["sha256"]
    return ident


def _size(f: Any, so: dict[str, Any] | None) -> int:
    from descend.io._remote import is_url, remote_size

    return remote_size(f, so) if is_url(f) else Path(f).stat().st_size


def _check_resume(ckpt_path: str, saved: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse a resume whose checkpoint was written for other data or other settings."""
    where = f"--resume {ckpt_path}"
    s_data, n_data = saved.get("data") or {}, now["data"]
    if s_data.get("path") is not None and s_data.get("path") != n_data["path"]:
        fail(
            f"{where}: the checkpoint is of a fit of {s_data['path']}, not {n_data['path']}; "
            "resume it with the same DATA"
        )
    if s_data.get("bytes") is not None and s_data.get("bytes") != n_data["bytes"]:
        fail(
            f"{where}: {n_data['path']} changed since the checkpoint ({s_data['bytes']} bytes "
            f"then, {n_data['bytes']} now); start afresh without --resume"
        )
    if s_data.get("sha256") is not None and s_data.get("sha256") != n_data.get("sha256"):
        fail(
            f"{where}: {n_data['path']} changed since the checkpoint (same size, other content: "
            "its SHA-256 differs); start afresh without --resume"
        )
    s_model = saved.get("model") or {}
    for key, value in now["model"].items():
        if key in s_model and s_model[key] != value:
            fail(
                f"{where}: the checkpoint is of a fit with {_RESUME_OPTIONS.get(key, key)} "
                f"{s_model[key]!r}, this one has {value!r}; use the same setting to resume"
            )
    for key, option in (("target", "--target"), ("features", "--features")):
        if key in saved and key in now and saved[key] != now[key]:
            then, here = (
                (",".join(saved[key]), ",".join(now[key]))
                if key == "features"
                else (saved[key], now[key])
            )
            fail(
                f"{where}: the checkpoint is of a fit with {option} {then}, this one has "
                f"{here}; use the same columns to resume"
            )


def _given(ctx: Any, name: str) -> bool:
    """Whether option ``name`` was typed on the command line (not left at its default)."""
    # By the enum's name: typer may carry its own copy of click, with its own enum class.
    return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"


def _command_line(ctx: Any, resume_from: str) -> str:
    """The exact ``descend fit ...`` command given, with ``--resume`` pointing at the checkpoint."""
    import shlex

    words = ["descend", "fit"]
    for param in ctx.command.params:
        name = param.name
        if name == "resume" or not _given(ctx, name):
            continue
        value = ctx.params[name]
        opts = list(getattr(param, "opts", []))
        if param.param_type_name == "argument":
            words.append(str(value))
        elif getattr(param, "is_flag", False):
            secondary = list(getattr(param, "secondary_opts", []))
            if value:
                words.append(opts[0])
            elif secondary:
                words.append(secondary[0])
        else:
            words += [opts[0], str(value)]
    words += ["--resume", resume_from]
    return shlex.join(words)


@app.command("fit")
def fit_command(
    ctx: typer.Context,
    data: str = typer.Argument(
        ...,
        help="CSV or Parquet file (--engine stream/dask: also a folder or glob of Parquet "
        "files), or a URL (s3://, gs://, https://, memory://); the target is the last column.",
    ),
    target: str = typer.Option(
        None, "--target", help="Target column [default: the last].",
        rich_help_panel="Data",
    ),
    features: str = typer.Option(
        None, "--features", help="Feature columns, e.g. size,rooms [default: all the others].",
        rich_help_panel="Data",
    ),
    storage_option: list[str] = storage_option_flag(rich_help_panel="Data"),  # noqa: B008
    optimizer: str = typer.Option(
        "auto",
        "--optimizer",
        help="auto (squared loss, no --lr: preconditioned; else gd), preconditioned (gradient "
        "descent in whitened coordinates + refinement: the least-squares answer to the last "
        "trustworthy digit), gd, momentum, nesterov, adagrad, rmsprop, adam or adamw.",
        rich_help_panel="Descent",
    ),
    lr: str = typer.Option(
        "auto",
        "--lr",
        help="Learning rate: a number, 'auto' (1/L, L the exact curvature) or a schedule "
        "such as exp:0.1,0.99. A number means plain gd (with --optimizer auto) and applies to "
        "the standardised features ((x - mean) / std, where 2/L >= 1); add --no-scale for "
        "the features' own units.",
        rich_help_panel="Descent",
    ),
    max_iter: int = typer.Option(
        1000, "--max-iter", help="Most steps (epochs for mini-batch); with --resume, in all.",
        rich_help_panel="Stopping",
    ),
    target_loss: float = typer.Option(
        None, "--target-loss", help="Stop once the loss <= this.",
        rich_help_panel="Stopping",
    ),
    tol: float = typer.Option(
        1e-12, "--tol",
        help="Stop when the loss is flat: its range over the last --n-iter-no-change steps "
        "<= tol x its largest |value| (the rule of every path of descend).",
        rich_help_panel="Stopping",
    ),
    n_iter_no_change: int = typer.Option(
        5, "--n-iter-no-change", help="The window of the --tol rule, in steps (epochs).",
        rich_help_panel="Stopping",
    ),
    gtol: float = typer.Option(
        None, "--gtol", help="Stop once the gradient norm <= this.",
        rich_help_panel="Stopping",
    ),
    time_limit: float = typer.Option(
        None, "--time-limit", help="Stop after this many seconds of descent [default: no limit].",
        rich_help_panel="Stopping",
    ),
    batch_size: int = typer.Option(
        None, "--batch-size", help="Rows per mini-batch step [default: all rows].",
        rich_help_panel="Descent",
    ),
    random_state: int = typer.Option(
        None, "--random-state", help="Seed of mini-batch shuffles.",
        rich_help_panel="Descent",
    ),
    loss: str = typer.Option(
        "squared_error", "--loss", help="squared_error, huber or absolute_error.",
        rich_help_panel="Model",
    ),
    alpha: float = typer.Option(
        0.0, "--alpha", help="L2 penalty alpha * |w|^2.",
        rich_help_panel="Model",
    ),
    epsilon: float = typer.Option(
        1.35,
        "--epsilon",
        help="Huber threshold in units of --huber-scale (as scikit-learn's HuberRegressor).",
        rich_help_panel="Model",
    ),
    huber_scale: float = typer.Option(
        None,
        "--huber-scale",
        help="Huber's scale in the target's units [default: the least-squares fit's RMS "
        "residual, so the threshold is relative]; 1 makes --epsilon a threshold in the "
        "target's units.",
        show_default=False,
        rich_help_panel="Model",
    ),
    scale: bool = typer.Option(
        True,
        "--scale/--no-scale",
        help="Standardise features internally (coefficients stay in your units).",
        rich_help_panel="Descent",
    ),
    fit_intercept: bool = typer.Option(
        True,
        "--intercept/--no-intercept",
        help="Fit the intercept b; --no-intercept fits through the origin (b = 0).",
        rich_help_panel="Model",
    ),
    init: str = typer.Option(
        None, "--init", help="Start: intercept then coefficients, e.g. 0,0 [default: zeros].",
        rich_help_panel="Model",
    ),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="Where the rows live: auto (numpy up to ~512 MiB of float64, else stream; a "
        "folder or glob streams), numpy (load the file into memory), stream (read it in "
        "chunks, never whole: files larger than memory) or dask (a Dask cluster, see "
        "--scheduler). The answers agree to rounding.",
        rich_help_panel="Scale: engines and checkpoints",
    ),
    scheduler: str = typer.Option(
        None,
        "--scheduler",
        help="With --engine dask: the scheduler's address, e.g. tcp://host:8786 [default: "
        "start a local cluster, one worker process per core, closed at the end].",
        rich_help_panel="Scale: engines and checkpoints",
    ),
    chunk_rows: int | None = typer.Option(
        None,
        "--chunk-rows",
        help="With --engine stream: rows read per chunk [default: about 11 MB of float64 a "
        "chunk, 131072 rows at 10 features].",
        show_default=False,
        rich_help_panel="Scale: engines and checkpoints",
    ),
    checkpoint: str = typer.Option(
        None,
        "--checkpoint",
        help="Save the run (parameters, optimizer state, step count) to this .json or .npz "
        "file, atomically, during the fit, at its end and on Ctrl-C.",
        rich_help_panel="Scale: engines and checkpoints",
    ),
    checkpoint_every: int = typer.Option(
        None, "--checkpoint-every", help="Save the checkpoint every N iterations [default: 100].",
        rich_help_panel="Scale: engines and checkpoints",
    ),
    checkpoint_seconds: float = typer.Option(
        None, "--checkpoint-seconds", help="Save the checkpoint every S seconds of the fit.",
        rich_help_panel="Scale: engines and checkpoints",
    ),
    resume: str = typer.Option(
        None,
        "--resume",
        help="Continue the run saved in this checkpoint: same data and settings, the same "
        "iterates as without the interruption; --max-iter counts the whole run.",
        rich_help_panel="Scale: engines and checkpoints",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object instead of text.",
        rich_help_panel="Output",
    ),
    summary: bool = typer.Option(
        False,
        "--summary",
        help="Also print the least-squares statistics: standard errors, t, p-values, "
        "intervals, R^2, adjusted R^2, F (from the moments, so every engine; in the JSON as "
        "'summary').",
        rich_help_panel="Output",
    ),
    save: str = typer.Option(
        None, "--save", help="Write the fitted model to this .json file.",
        rich_help_panel="Output",
    ),
    force: bool = typer.Option(
        False, "--force", help="Let --save/--plot/--html/--checkpoint replace an existing file.",
        rich_help_panel="Output",
    ),
    plot: str = typer.Option(
        None, "--plot", help="Write the fit, loss curve and loss surface (.png/.svg/.pdf).",
        rich_help_panel="Output",
    ),
    html: str = typer.Option(
        None, "--html", help="Write a self-contained interactive report.",
        rich_help_panel="Output",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only the results.",
        rich_help_panel="Output",
    ),
) -> None:
    """Fit a line (or plane) to DATA by gradient descent; print the coefficients and the loss.

    Example: descend fit data.csv --lr 0.0001 --max-iter 1000 --no-scale

    Larger than memory: descend fit big.parquet --engine stream --checkpoint run.json
    """
    from descend.models import DivergenceWarning, LinearModel, save_model

    # The fused kernels are registered lazily by the package root (descend._backends): numba
    # loads only when an array large enough to gain from them arrives.
    if engine not in ENGINES and engine != "auto":
        fail(f"--engine {engine}: choose one of auto, {', '.join(ENGINES)}")
    from descend.io._remote import is_url, parse_storage_options

    so = parse_storage_options(storage_option) or None
    if so and not is_url(data.removeprefix("glob:")):
        fail(f"--storage-option: applies to a URL DATA (s3://...), not the local path {data}")
    engine_note = ""
    if engine == "auto":
        engine, engine_note = _auto_engine(data, plot, html, batch_size, chunk_rows, ctx, so)
    if scheduler is not None and engine != "dask":
        fail(f"--scheduler {scheduler}: applies to --engine dask only")
    if _given(ctx, "chunk_rows") and engine != "stream":
        fail(f"--chunk-rows {chunk_rows}: applies to --engine stream only")
    if engine != "numpy":
        for path, option in ((plot, "--plot"), (html, "--html")):
            if path is not None:
                fail(f"{option}: pictures need the data in memory; leave out --engine {engine}")
    if engine == "dask" and batch_size is not None:
        fail(
            f"--batch-size {batch_size}: mini-batches are not available with --engine dask; "
            "use --engine stream"
        )
    if checkpoint_every is not None and checkpoint_every < 1:
        fail(f"--checkpoint-every {checkpoint_every}: give a positive number of iterations")
    if checkpoint_seconds is not None and not checkpoint_seconds > 0:
        fail(f"--checkpoint-seconds {checkpoint_seconds}: give a positive number of seconds")
    if checkpoint is None and (checkpoint_every is not None or checkpoint_seconds is not None):
        fail("--checkpoint-every/--checkpoint-seconds: give --checkpoint FILE to save to")
    from descend.cli._files import guard_data, plan_checkpoint, plan_outputs
    from descend.io import OutputPlan

    plan = OutputPlan(force=force)
    data_paths = guard_data(data, plan, so)  # a literal path, a folder or glob: docs/input-and-output.md
    if engine == "numpy" and not (len(data_paths) == 1 and Path(data_paths[0]) == Path(data)):
        fail(f"{data}: a folder or glob of files needs --engine stream or --engine dask")
    if resume is not None:
        plan.add_input(resume, f"the checkpoint being resumed, {resume}")
    targets = plan_outputs(plan, save=save, plot=plot, html=html)
    save_path = targets["save"]
    model = LinearModel(
        loss=loss,
        alpha=alpha,
        epsilon=epsilon,
        huber_scale="auto" if huber_scale is None else huber_scale,
        optimizer=optimizer,
        learning_rate=_learning_rate(lr),
        max_iter=max_iter,
        tol=tol,
        n_iter_no_change=n_iter_no_change,
        gtol=gtol,
        target_loss=target_loss,
        batch_size=batch_size,
        random_state=random_state,
        scale=scale,
        time_limit=time_limit,
        fit_intercept=fit_intercept,
    )
    meta: dict[str, Any] = {
        "data": _data_identity(
            data, data_paths, hashed=checkpoint is not None or resume is not None, so=so
        ),
        "model": model.checkpoint_meta(),
    }
    ckpt_target = plan_checkpoint(checkpoint, plan, meta, resume) if checkpoint is not None else None
    ckpt = None
    if resume is not None:
        from descend.scale.checkpoint import check_state_shapes, load_checkpoint

        ckpt = load_checkpoint(resume)
        check_state_shapes(ckpt, f"--resume {resume}")
        _check_resume(resume, ckpt.meta, meta)
    t_load = time.perf_counter()
    table, prepared = _load(
        data, engine, target, features, chunk_rows, scheduler, model, quiet, so
    )
    with prepared as src:
        names = src.feature_names
        meta.update(target=src.target_name, features=list(names))
        if ckpt is not None:
            _check_resume(resume, ckpt.meta, meta)
        start = parse_floats(init, "--init") if init is not None else None
        if start is not None and len(start) != src.d + 1:
            fail(
                f"--init {init}: expected {src.d + 1} values (the intercept, then "
                f"{', '.join(names)}), got {len(start)}"
            )
        if start is not None:
            from descend.cli._points import check_fit_start

            check_fit_start(init, start, table=table, stats=src.stats)
        model.set_params(init=start)
        saver = None
        if checkpoint is not None:
            from descend.scale.checkpoint import Checkpointer

            saver = Checkpointer(
                ckpt_target or checkpoint, every=checkpoint_every, seconds=checkpoint_seconds, meta=meta
            )
        from descend.cli.progress import descent_progress

        t0 = time.perf_counter()
        # one bar for the steps: a streamed or Dask step is a whole pass over the data
        label = "fitting" if src.passes is None else f"fitting ({engine}: a pass per step)"
        with warnings_to_stderr(), warnings.catch_warnings(), \
                descent_progress(model.max_iter, quiet=quiet, label=label) as bar:
            warnings.simplefilter("ignore", DivergenceWarning)  # printed below, as the diagnosis
            from descend.io import poll

            callback = _both(saver, bar, poll)  # poll: Ctrl-C/SIGTERM stop at a step boundary
            try:
                if table is not None:
                    model.fit_table(table, callback=callback, resume=ckpt)
                elif src.passes is None:
                    model._fit_stats(
                        src.stats, names, callback=callback, resume=ckpt,
                        rows=getattr(src, "rows", None),
                    )
                else:
                    model._fit_passes(src.stats, names, src.passes, callback=callback, resume=ckpt)
            except (TypeError, AttributeError, KeyError, IndexError) as exc:
                if ckpt is None:
                    raise
                fail(  # a state that passed the schema but is not this optimizer's
                    f"--resume {resume}: the saved optimizer state does not fit this run "
                    f"({type(exc).__name__}); start afresh without --resume"
                )
        elapsed = time.perf_counter() - t0
        load_time = t0 - t_load
    from descend.loop.verdict import FAILED

    diverged = model.stop_reason_ == "diverged"
    failed = model.verdict_ in FAILED
    interrupted = model.stop_reason_ == "interrupted"
    if saver is not None and not diverged:
        info = model.result_.info
        saver.save(info["theta"], info["state"], model.n_iter_)
    if table is not None:
        r2 = _r2(model, table.X, table.y) if not diverged else None
    else:  # from the moments: the file is not read again
        st = src.stats
        r2 = 1.0 - st.n * st.loss(model.coef_, model.intercept_) / st.cyy if not diverged else None
    described = table if table is not None else _Described(data, src.n, src.target_name, names)
    stats_table = None
    if summary and not diverged:
        from dataclasses import replace

        stats_table = replace(model.summary(), target=src.target_name)
    if as_json:
        obj = {
            "intercept": model.intercept_,
            "coef": model.coef_.tolist(),
            "features": list(names),
            "target": src.target_name,
            "initial_loss": model.initial_loss_,
            "loss": model.loss_,
            "n_iter": model.n_iter_,
            "status": model.stop_reason_,
            "verdict": str(model.verdict_),
            "success": model.verdict_.success,
            "message": model.message_,
            "condition_number": _finite_or_none(model.condition_number_),
            "trusted_digits": model.trusted_digits_,
            "collinear": list(model.collinear_),
            "relative_gradient": model.relative_gradient_,
            "r2": r2,
            "learning_rate": model.learning_rate_
            if isinstance(model.learning_rate_, (int, float, str))
            else repr(model.learning_rate_),
            "stability_limit": model.stability_limit_,
            "optimal_loss": model.optimal_loss_,
            "optimality_gap": model.optimality_gap_,
            "loss_name": model.loss,
            "huber_threshold": getattr(model, "huber_threshold_", None),
            "optimizer": model.optimizer_,
            "learning_rate_coordinates": model.learning_rate_coordinates_,
            "fit_intercept": fit_intercept,
            "scale": scale,
            "rows": src.n,
            "engine": engine,
            "engine_reason": engine_note or None,
            "start_iter": model.start_iter_,
            "elapsed": elapsed,
            "load_time": load_time,
        }
        if summary:  # null for a diverged fit: there are no statistics of it
            obj["summary"] = stats_table.to_dict() if stats_table is not None else None
        out.print(dumps(obj), markup=False)
    else:
        if engine_note and engine != "numpy" and not quiet:  # a chosen stream is news
            out.print(f"engine: {engine} ({engine_note})", markup=False)
        _print_fit(model, described, r2, elapsed, scale)
        if stats_table is not None:
            out.print(str(stats_table), markup=False)
    if table is not None and (plot is not None or html is not None):
        from descend.cli.pictures import fit_pictures

        fit_pictures(model, table, plot=plot, html=html, quiet=quiet or as_json)
    if interrupted:
        if checkpoint is not None:
            err.print(
                f"descend: {_stopped_by()} after {model.n_iter_} iterations; saved {checkpoint}. "
                f"Resume with: {_command_line(ctx, checkpoint)}",
                markup=False,
            )
        else:
            err.print(
                f"descend: {_stopped_by()} after {model.n_iter_} iterations; nothing saved (add "
                "--checkpoint FILE to make a run resumable)",
                markup=False,
            )
        from descend.io import received

        # the shell's convention: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)
        raise typer.Exit(128 + int(received() or 2))
    if diverged or failed:
        from descend.cli._terms import to_flags

        err.print(f"descend: {printable(to_flags(model.message_))}", markup=False)
        raise Diverged(model.message_)
    if save_path is not None:
        save_model(model, save_path, target=src.target_name, source=str(data), force=True)
        if not as_json:
            out.print(f"saved the model to {save}", markup=False)


def _stopped_by() -> str:
    """``interrupted`` (Ctrl-C) or ``terminated (SIGTERM)``: what stopped the run."""
    import signal

    from descend.io import received

    return "terminated (SIGTERM)" if received() == signal.SIGTERM else "interrupted"


def _both(*callbacks: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
    """One step callback calling each of ``callbacks`` that is not ``None``, in order."""
    given = [c for c in callbacks if c is not None]
    if len(given) <= 1:
        return given[0] if given else None

    def both(r: Any) -> None:
        for c in given:
            c(r)

    return both


@dataclass(frozen=True)
class _Described:
    """What the report says about the data: its source, size and column names."""

    source: str
    n: int
    target_name: str
    feature_names: tuple[str, ...]


class _InMemory:
    """The numpy engine as a :class:`Prepared`-like context (the table is loaded already)."""

    def __init__(self, table: Any):
        self.table = table
        self.feature_names = tuple(table.feature_names)
        self.target_name = table.target_name
        self.passes = None
        self.stats = None  # the estimator computes the moments itself

    @property
    def n(self) -> int:
        return int(self.table.n)

    @property
    def d(self) -> int:
        return int(self.table.d)

    def __enter__(self) -> _InMemory:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


@contextmanager
def _prepared_stream(
    data: str, target: str | None, features: str | None, chunk_rows: int | None, model: Any,
    quiet: bool, so: dict[str, Any] | None = None,
) -> Iterator[Any]:
    from descend.cli.progress import pass_progress

    rows = model.loss != "squared_error" or model.batch_size is not None
    with pass_progress("statistics", quiet=quiet) as progress:
        prepared = prepare_stream(
            data,
            target=target,
            features=features,
            chunk_rows=chunk_rows,
            rows_needed=rows,
            loss=model.loss,
            epsilon=float(model.epsilon),
            progress=progress,
            storage_options=so,
        )
    yield prepared


@contextmanager
def _prepared_dask(
    data: str, target: str | None, features: str | None, scheduler: str | None, model: Any,
    so: dict[str, Any] | None = None,
) -> Iterator[Any]:
    rows = model.loss != "squared_error"
    with dask_client(scheduler) as client:
        yield prepare_dask(
            data,
            client,
            target=target,
            features=features,
            rows_needed=rows,
            loss=model.loss,
            epsilon=float(model.epsilon),
            storage_options=so,
        )


def _auto_engine(
    data: str, plot: str | None, html: str | None, batch_size: int | None,
    chunk_rows: int | None, ctx: typer.Context, so: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """``--engine auto``: the data layer's choice by size (descend.data.engine), except that
    pictures need the rows in memory and ``--chunk-rows`` asks for the stream."""
    from descend.data.engine import choose_engine
    from descend.io import data_files

    if _given(ctx, "chunk_rows"):
        return "stream", "--chunk-rows given: streamed"
    try:
        files, kind = data_files(data, so)
        engine, why = choose_engine(files, single=kind == "file", storage_options=so)
    except Exception:  # noqa: BLE001 - the engine's own reader explains a bad DATA argument
        return "numpy", ""
    if engine == "stream" and kind == "file" and (plot is not None or html is not None):
        return "numpy", "pictures need the rows in memory: loaded (--plot/--html)"
    return engine, why


def _load(
    data: str,
    engine: str,
    target: str | None,
    features: str | None,
    chunk_rows: int | None,
    scheduler: str | None,
    model: Any,
    quiet: bool,
    so: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """``(table or None, a context manager yielding the prepared data)`` for ``engine``."""
    if engine == "numpy":
        from descend.data import load_table

        table = load_table(data, target=target, features=features, storage_options=so)
        return table, _InMemory(table)
    if engine == "stream":
        return None, _prepared_stream(data, target, features, chunk_rows, model, quiet, so)
    return None, _prepared_dask(data, target, features, scheduler, model, so)


def _print_fit(model: Any, table: Any, r2: float | None, elapsed: float, scale: bool) -> None:
    lr = model.learning_rate_
    lr_text = f"{lr:.6g}" if isinstance(lr, float) else str(lr)
    limit = model.stability_limit_
    where = _COORDINATES.get(model.learning_rate_coordinates_, "")
    out.print(
        f"{printable(table.source)}: {table.n} rows; {printable(table.target_name)} ~ "
        f"{printable(' + '.join(table.feature_names))}"
        + ("" if model.fit_intercept else " (through the origin)")
        + f"; loss {model.loss}; optimizer {model.optimizer_}; "
        f"learning rate {lr_text} ({where}"
        + (f"; stability limit 2/L = {limit:.6g})" if limit else ")"),
        markup=False,
    )
    t = RichTable(show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("starting loss", _fmt(model.initial_loss_))
    t.add_row("intercept", _fmt(model.intercept_))
    for name, c in zip(table.feature_names, model.coef_, strict=True):
        t.add_row(Text(f"coef {printable(name)}"), _fmt(float(c)))  # Text: no markup
    t.add_row("final loss", _fmt(model.loss_))
    if getattr(model, "huber_threshold_", None) is not None:
        t.add_row(
            "huber threshold",
            f"{model.epsilon:g} x {model.huber_scale_:.6g} = {model.huber_threshold_:.6g}",
        )
    if model.optimal_loss_ is not None:  # from the moments: rounding ~eps x the starting loss
        same = abs(model.optimal_loss_ - model.loss_) <= 1e-12 * max(model.initial_loss_, 1e-300)
        t.add_row("least-squares loss",
                  "= final loss (to rounding)" if same else _fmt(model.optimal_loss_))
    t.add_row("R^2", _fmt(r2))
    t.add_row("iterations", str(model.n_iter_))
    t.add_row("stop reason", model.stop_reason_)
    t.add_row("verdict", str(model.verdict_))
    # of the standardised design (the summary's "Cond. no." is statsmodels': the raw design's)
    t.add_row("condition number (standardised)", f"{model.condition_number_:.4g}")
    t.add_row("trusted digits", f"~{model.trusted_digits_} (of the coefficients)")
    t.add_row("time", f"{elapsed:.3g} s")
    out.print(t)
