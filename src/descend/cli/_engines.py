"""Where the rows of ``descend fit`` live: the CLI's names for the data layer's engines.

Choosing and preparing a source is library logic and lives in :mod:`descend.data.engine`
(:func:`~descend.data.engine.open_rows`: a DATA argument prepared on ``numpy``, ``stream`` or
``dask``); these names stay for the fit command and its tests. :func:`load_rows` is the source
``descend fit``'s flags choose (:func:`auto_engine` for ``--engine auto``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from descend.cli._resume import given
from descend.data.engine import ENGINES, dask_client, open_rows

if TYPE_CHECKING:
    from descend.data.source import Prepared

__all__ = ["ENGINES", "InMemory", "Prepared", "auto_engine", "dask_client", "load_rows", "open_rows",
           "prepare_dask", "prepare_stream"]


def prepare_stream(data: str, **kwargs: Any) -> Prepared:
    """:func:`descend.data.stream.prepare_stream`."""
    from descend.data.stream import prepare_stream as prepare

    return prepare(data, **kwargs)


def prepare_dask(
    data: str,
    client: Any,
    *,
    target: str | None,
    features: str | None,
    rows_needed: bool,
    loss: str,
    epsilon: float,
    storage_options: dict[str, Any] | None = None,
) -> Prepared:
    """:func:`descend.data.engine.prepare_dask` on ``client`` (the active one); the rows are
    persisted when the loss needs them (``rows_needed`` follows from ``loss``)."""
    from descend.data.engine import prepare_dask as prepare

    return prepare(
        data, target=target, features=features, loss=loss, epsilon=epsilon,
        storage_options=storage_options,
    )


def __getattr__(name: str) -> Any:
    # The row sources live in the data layer, imported on first use (Dask is slow to import).
    if name in ("DaskResiduals", "DaskRows"):
        from descend.data import dask_rows

        return getattr(dask_rows, name)
    if name in ("StreamResiduals", "StreamRows"):
        from descend.data import stream

        return getattr(stream, name)
    if name == "Prepared":
        from descend.data.source import Prepared

        return Prepared
    raise AttributeError(name)


# --------------------------------------------------------------------------- fit's sources


class InMemory:
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

    def __enter__(self) -> InMemory:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


@contextmanager
def _prepared_stream(
    data: str, target: str | None, features: str | None, chunk_rows: int | None, model: Any,
    quiet: bool, so: dict[str, Any] | None = None,
) -> Iterator[Any]:
    from descend.cli.progress import pass_progress
    from descend.models.losses import get_loss

    rows = not get_loss(model.loss).moments_exact or model.batch_size is not None
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
    from descend.models.losses import get_loss

    rows = not get_loss(model.loss).moments_exact
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


def auto_engine(
    data: str, plot: str | None, html: str | None, batch_size: int | None,
    chunk_rows: int | None, ctx: typer.Context, so: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """``--engine auto``: the data layer's choice by size (descend.data.engine), except that
    pictures need the rows in memory and ``--chunk-rows`` asks for the stream."""
    from descend.data.engine import choose_engine
    from descend.io import data_files

    if given(ctx, "chunk_rows"):
        return "stream", "--chunk-rows given: streamed"
    try:
        files, kind = data_files(data, so)
        engine, why = choose_engine(files, single=kind == "file", storage_options=so)
    except Exception:  # noqa: BLE001 - the engine's own reader explains a bad DATA argument
        return "numpy", ""
    if engine == "stream" and kind == "file" and (plot is not None or html is not None):
        return "numpy", "pictures need the rows in memory: loaded (--plot/--html)"
    return engine, why


def load_rows(
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
        return table, InMemory(table)
    if engine == "stream":
        return None, _prepared_stream(data, target, features, chunk_rows, model, quiet, so)
    return None, _prepared_dask(data, target, features, scheduler, model, so)

