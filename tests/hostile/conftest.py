"""The hostile-input suite: every entry point and engine, fed what careless or hostile users
feed it. Each case states what the user must see; the promise under test is always the same:
exit 0 with a finite answer, or exit 2 with one line ``descend: error: ...`` naming the
problem -- never a traceback, never ``nan`` as an answer, never a hang, never a lost file.

The CLI runs in-process (``descend.cli.app.main``) for speed; only the signal tests start a
subprocess. One in-process Dask cluster serves the whole session.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

#: A walk script run by hand (``python tests/hostile/rewalk_issue26.py``): it runs at import, so
#: ``--doctest-modules`` must not import it (it changed the working folder of the whole session).
collect_ignore = ["rewalk_issue26.py"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def one_line_error(self) -> bool:
        """Exit 2 and exactly one line on stderr, ``descend: error: ...``, no traceback."""
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        return (
            self.code == 2
            and len(lines) == 1
            and lines[0].startswith("descend: error: ")
            and "Traceback" not in self.stderr
        )


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``descend ARGS`` in-process; warnings lines (dask's own noise) are dropped."""
    from descend.cli.app import main

    def run(*args: object) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        err = "\n".join(
            ln for ln in captured.err.splitlines()
            if ln.startswith("descend:") or "Traceback" in ln or "Error" in ln
        )
        return Run(code, captured.out, err + ("\n" if err else ""))

    return run


@pytest.fixture(scope="session")
def scheduler():
    """One in-process Dask cluster for the session (a thread, no worker processes)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    yield cluster.scheduler_address
    cluster.close()
