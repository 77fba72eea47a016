"""Where the rows of ``descend fit`` live: the CLI's names for the data layer's engines.

Choosing and preparing a source is library logic and lives in :mod:`descend.data.engine`
(:func:`~descend.data.engine.open_rows`: a DATA argument prepared on ``numpy``, ``stream`` or
``dask``); these names stay for the fit command and its tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from descend.data.engine import ENGINES, dask_client, open_rows

if TYPE_CHECKING:
    from descend.data.source import Prepared

__all__ = ["ENGINES", "Prepared", "dask_client", "open_rows", "prepare_dask", "prepare_stream"]


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
