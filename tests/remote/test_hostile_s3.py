"""Hostile S3 endpoints (the raw-socket servers of test_hostile_servers.py behind
``--storage-option endpoint_url=``): the same deadlines, minimum rate, progress lines and
one-line messages as over HTTP. Before: a server sending a byte every 0.25 s was read to
the end (no minimum rate over S3: ~4 bytes/s, minutes for a small file), and no progress line."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("s3fs")
import test_hostile_servers as servers  # noqa: E402  (this folder's servers)

T = servers.T
cli = servers.cli  # the fixtures, shared
hostile = servers.hostile


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _url(mode: str, engine: str, name: str = "houses.csv") -> str:
    return f"s3://b-{mode}-{engine}-{time.monotonic_ns()}/{name}"  # a bucket a test: no stall memory


EXPECTED = {
    "silent": f"no answer within {T} s",
    "cut": "the download was cut short",
    "403": "access denied",
    "trickle": f"no answer within {T} s",
    "drip": "the download is too slow (",
    "500": "server error (HTTP 500)",  # before: "no answer within 2 s" (retried to the deadline)
    "reset": "connection lost (the server reset it)",  # before: "cannot connect (refused)"
}
DEADLINE_MODES = ("silent", "trickle", "drip")  # what these test is the deadline itself


@pytest.mark.parametrize("engine", ["numpy", "stream"])
@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_a_hostile_s3_endpoint_ends_in_one_line(cli, hostile, tmp_path: Path, mode: str,
                                                engine: str) -> None:
    url = _url(mode, engine)
    # The deadline modes are timed with T; a server that answers at once (500, 403, a cut, a
    # reset) gets 5 T, so that a loaded machine (the server is a thread of this process) does
    # not turn its prompt answer into "no answer within T s".
    t = T if mode in DEADLINE_MODES else 5 * T
    t0 = time.monotonic()
    r = cli("fit", url, "--engine", engine, "--storage-option", f"endpoint_url={hostile(mode)}",
            "--storage-option", f"timeout={t}", "--storage-option", "min_rate=1000",
            "--save", str(tmp_path / "m.json"))
    elapsed = time.monotonic() - t0
    assert r.one_line_error, r.stderr
    assert r.stderr.startswith(f"descend: error: {url}: ")
    assert EXPECTED[mode] in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []
    assert elapsed <= 3 * t, elapsed  # before (drip): minutes


def test_a_slow_s3_download_shows_progress_lines(cli, hostile, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    x = [float(i) for i in range(2000)]
    buf = io.BytesIO()
    pl.DataFrame({"x": x, "y": [2 * v + 1 for v in x]}).write_parquet(buf)
    monkeypatch.setattr(servers, "SLOW_BODY", buf.getvalue())  # 20 pieces, 2 s
    monkeypatch.setattr("descend.io._rate.PROGRESS_EVERY", 0.5)
    url = _url("slow", "numpy", "d.parquet")
    r = cli("fit", url, "--engine", "numpy", "--storage-option", f"endpoint_url={hostile('slow')}",
            "--storage-option", f"timeout={T}", "--storage-option", "min_rate=0",
            "--save", tmp_path / "m.json")
    assert r.code == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "downloaded in" in ln]
    assert lines and all(ln.startswith(f"descend: {url}: ") for ln in lines), r.stderr
    saved = json.loads((tmp_path / "m.json").read_text())
    assert abs(saved["coef"][0] - 2) < 1e-9 and abs(saved["intercept"] - 1) < 1e-7


def test_an_s3_500_is_tried_twice_then_named(cli, hostile, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's ``max_attempts`` counts retries: ``MAX_ATTEMPTS`` there gave 3 tries of a
    500 and up to 3 s of back-off. The server counts the requests it answers."""
    from descend.io._remote import MAX_ATTEMPTS

    seen: list[str] = []
    serve = servers._serve

    def counting(mode: str, conn: Any, stop: Any) -> None:
        seen.append(mode)
        serve(mode, conn, stop)

    monkeypatch.setattr(servers, "_serve", counting)
    url = _url("500", "numpy")
    r = cli("fit", url, "--engine", "numpy", "--storage-option",
            f"endpoint_url={hostile('500')}",
            "--storage-option", f"timeout={T}", "--save", str(tmp_path / "m.json"))
    assert r.one_line_error and "server error (HTTP 500)" in r.stderr, r.stderr
    assert len(seen) == MAX_ATTEMPTS == 2, seen  # before: 3
    assert os.listdir(tmp_path) == []


def test_a_closed_s3_port_is_still_refused(cli, tmp_path: Path) -> None:
    """A reset is named apart from a refusal; nothing listening is still "cannot connect"."""
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = _url("closed", "numpy")
    r = cli("fit", url, "--storage-option", f"endpoint_url=http://127.0.0.1:{port}",
            "--storage-option", f"timeout={T}", "--save", str(tmp_path / "m.json"))
    assert r.one_line_error and "cannot connect (refused)" in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []
