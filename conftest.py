"""Fixtures shared by every test folder: the CLI runner, and one Dask cluster per session.

The fast lane, ``pytest -m "not slow"``, leaves out the tests marked ``slow`` in their files;
a test that drives a browser (``browser``) is slow too (:func:`pytest_collection_modifyitems`).

Starting a two-process LocalCluster costs seconds (and each worker process imports NumPy,
pandas and Dask again); the test folders that need one share this one. The test that kills a
worker mid-fit leaves it to the nanny, which restarts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Run:
    """What one in-process run of the CLI returned and printed."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the real CLI entry point (``descend.cli.app.main``) in-process; a ``Run`` back."""
    from descend.cli.app import main

    def run(*args: object) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def dask_cluster():
    """Two worker processes, one thread each, on loopback (``.scheduler_address`` for
    ``--scheduler``)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit="1GiB",
    )
    yield cluster
    cluster.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A headless-browser test is a slow one: ``-m "not slow"`` leaves it out too."""
    for item in items:
        if item.get_closest_marker("browser") is not None and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)
