"""A file too large for memory: refused before reading on the in-memory engine (polars would
abort the process), streamed by the automatic engine (descend.data.memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from descend.data import load_table
from descend.data import memory as mem
from descend.data.engine import choose_engine
from descend.errors import DataError

SRC = Path(__file__).resolve().parents[2] / "src"

# Run descend under an address-space limit of the process's size after its imports plus
# EXTRA MiB (``ulimit -v`` counted from a known start), printing the exit code last.
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
    """4e6 rows of y = 2x + 1: 61 MiB as float64, 3 MB on disk."""
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    x = np.arange(4_000_000, dtype=np.float64) % 1000 / 100
    pl.DataFrame({"x": x, "y": 2 * x + 1}).write_parquet(path)
    return path


def _descend_limited(extra_mib: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(extra_mib), *args],
        capture_output=True, text=True, env=env, timeout=240,
    )


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_numpy_engine_refuses_a_file_past_the_address_limit_instead_of_aborting(big):
    # before: polars aborted (SIGABRT, exit 134, a Rust backtrace) or NumPy's MemoryError
    # came out as an internal error (exit 1), depending on where the limit fell
    run = _descend_limited(1000, "fit", str(big), "--engine", "numpy")
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert run.returncode == 2, run.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith(f"descend: error: {big}: is about 61 MiB")
    assert "would not fit in memory" in lines[0] and "ulimit -v" in lines[0]
    assert "--engine stream" in lines[0]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_automatic_engine_streams_a_file_past_the_address_limit(big):
    run = _descend_limited(1000, "fit", str(big), "--json")
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out["engine"] == "stream"
    coef = out["coef"] if "coef" in out else out["model"]["coef"]
    assert np.allclose(np.ravel(coef), [2.0], rtol=1e-6)


def _tight(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    monkeypatch.setattr(mem, "address_headroom", lambda: None)
    monkeypatch.setattr(mem, "available_memory", lambda: (free, "available memory"))


def test_the_estimate_is_compared_with_the_available_memory(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(1000)))
    size = path.stat().st_size  # a CSV's estimate: its size in bytes
    _tight(monkeypatch, mem.READ_FACTOR * size - 1)
    with pytest.raises(DataError, match=r"d\.csv: is about .* would not fit in memory .* "
                       r"available memory is .*engine='stream'"):
        load_table(path)
    assert choose_engine([path], single=True)[0] == "stream"
    assert "streamed" in choose_engine([path], single=True)[1]
    _tight(monkeypatch, mem.READ_FACTOR * size + 1)  # just enough: loaded as before
    assert load_table(path).X.shape == (1000, 1)
    assert choose_engine([path], single=True)[0] == "numpy"


def test_the_address_limit_counts_the_reservation(monkeypatch):
    monkeypatch.setattr(mem, "available_memory", lambda: None)
    n = 10 << 20
    monkeypatch.setattr(mem, "address_headroom", lambda: mem.ADDRESS_RESERVE + 5 * n)
    assert mem.memory_shortfall(n) is None
    monkeypatch.setattr(mem, "address_headroom", lambda: mem.ADDRESS_RESERVE + 5 * n - 1)
    assert "ulimit -v" in str(mem.memory_shortfall(n))
