"""Two processes never write numba's cache at once: every compile holds ``compile_lock``.

numba numbers a new cache entry by the length of the index it read, so two compilers of one
source file at the same moment can take the same number and leave an index pointing at the
other's machine code (seen as ``'descr' is NULL``; house3's report, 2026-12-07).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from descend.kernels import _stamps

HOLDER = """
import sys, time
from pathlib import Path
from descend.kernels._stamps import compile_lock
log = Path(sys.argv[1])
with compile_lock():
    log.write_text("holder in\\n")
    time.sleep(1.0)
    with log.open("a") as fh:
        fh.write("holder out\\n")
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    return tmp_path


def test_a_second_process_waits_for_the_lock(cache: Path) -> None:
    pytest.importorskip("fcntl")
    log = cache / "log.txt"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(log)])
    try:
        deadline = time.monotonic() + 60
        while not log.exists():  # wait until the other process holds the lock
            assert time.monotonic() < deadline and holder.poll() is None, "holder never started"
            time.sleep(0.02)
        with _stamps.compile_lock():
            with log.open("a") as fh:
                fh.write("second in\n")
    finally:
        holder.wait(timeout=60)
    assert log.read_text().splitlines() == ["holder in", "holder out", "second in"]


def test_every_compile_takes_the_lock(cache: Path, monkeypatch) -> None:
    taken: list[str] = []

    class Recording:
        def __enter__(self) -> None:
            taken.append("in")

        def __exit__(self, *exc: object) -> None:
            taken.append("out")

    monkeypatch.setattr(_stamps, "compile_lock", Recording)
    monkeypatch.setattr(_stamps, "notice", lambda keys: None)
    calls: list[int] = []
    # a fresh signature (no stamp): compiled under the lock, then stamped
    assert _stamps.run_compiled("test-fresh-key", lambda a: calls.append(a) or a, 7) == 7
    assert taken == ["in", "out"] and calls == [7]
    assert _stamps.is_ready("test-fresh-key")
    # stamped and loaded: no lock needed
    assert _stamps.run_compiled("test-fresh-key", lambda a: a + 1, 7) == 8
    assert taken == ["in", "out"]
