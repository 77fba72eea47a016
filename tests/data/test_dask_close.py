"""Ctrl-C during a local Dask cluster's life: its close may time out or be cancelled
(measured: `descend fit d.csv --engine dask`, SIGINT after 4 s, gave an internal error with
distributed's TimeoutError traceback, exit 1); the close is quiet, the interrupt is reported."""

from __future__ import annotations

import asyncio

import pytest

from descend.data.engine import _close_quietly


class _Cluster:
    def __init__(self, exc: BaseException | None):
        self.exc, self.closed = exc, False

    def close(self) -> None:
        self.closed = True
        if self.exc is not None:
            raise self.exc


@pytest.mark.parametrize("exc", [TimeoutError(), asyncio.CancelledError(), None])
def test_closing_the_cluster_never_replaces_the_interrupt(exc) -> None:
    cluster = _Cluster(exc)
    _close_quietly(cluster)
    assert cluster.closed


def test_a_bug_in_close_is_not_hidden() -> None:
    with pytest.raises(ZeroDivisionError):
        _close_quietly(_Cluster(ZeroDivisionError()))
