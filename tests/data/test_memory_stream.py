"""The stream engine under a tight address-space limit (``ulimit -v``): it ends in seconds with
one line naming memory, exit 2, nothing written -- before, at +200 MiB it waited forever (pyarrow
waiting on a thread it could not start), and with more it died as an internal error
(MemoryError, llvmlite not loading, "can't start new thread")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from descend.data import memory as mem
from descend.errors import DataError

SRC = Path(__file__).resolve().parents[2] / "src"
RUNNER = """
import resource, sys
from descend.cli.app import main
import descend.data.load, numpy, polars, pyarrow.parquet  # the reader's libraries mapped
def size():
    for line in open('/proc/self/status'):
        if line.startswith('VmSize'):
            return int(line.split()[1]) * 1024
limit = size() + int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bigstream") / "big.parquet"
    x = np.arange(4_000_000, dtype=np.float64) % 1000 / 100
    pl.DataFrame({"x": x, "y": 2 * x + 1}).write_parquet(path)
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_stream_under_a_tight_address_limit_ends_in_one_line(big, tmp_path):
    out = tmp_path / "m.json"
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    t0 = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, "200", "fit", str(big), "--engine", "stream",
         "--save", str(out)],
        capture_output=True, text=True, env=env, timeout=120,  # before: no end at all
    )
    elapsed = time.monotonic() - t0
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert run.returncode == 2, run.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith(f"descend: error: {big}: streaming needs")
    assert "address space" in lines[0] and "ulimit -v" in lines[0]
    assert not out.exists()
    print(f"ended in {elapsed:.1f} s")  # measured 2.6-4.4 s (imports included)


def test_the_stream_check_compares_the_limit_with_the_need(monkeypatch) -> None:
    need = mem.STREAM_RESERVE + mem.STREAM_PER_CPU * (os.cpu_count() or 1)
    monkeypatch.setattr(mem, "address_headroom", lambda: need - 1)
    with pytest.raises(DataError, match=r"d\.csv: streaming needs at least .* leaves"):
        mem.check_stream_fits("d.csv")
    monkeypatch.setattr(mem, "address_headroom", lambda: need)
    mem.check_stream_fits("d.csv")
    monkeypatch.setattr(mem, "address_headroom", lambda: None)  # no limit: never refused
    mem.check_stream_fits("d.csv")


def test_the_reader_runs_in_the_callers_thread_when_no_thread_can_start(
    monkeypatch, tmp_path
) -> None:
    """'can't start new thread' (a tight limit): the chunks are read without prefetching, and
    the moments are the same."""
    import threading

    from descend.data.stream import stats_from_file

    p = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    p.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{a + 2 * b!r}\n" for a, b in X.tolist()))
    ref, _, _ = stats_from_file(p, chunk_rows=700)

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    got, _, _ = stats_from_file(p, chunk_rows=700)
    assert got.n == ref.n == 5000
    np.testing.assert_array_equal(got.cxx, ref.cxx)
    np.testing.assert_array_equal(got.cxy, ref.cxy)
