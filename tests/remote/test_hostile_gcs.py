"""Hostile GCS endpoints (``--storage-option endpoint_url=`` and ``token=anon``): the object's
metadata is answered at once, its body by the raw-socket servers of test_hostile_servers.py.
Before: gcsfs read the body whole with no read timeout (aiohttp's 5-minute total) and no
minimum rate, so a server sending a byte every 0.25 s was read to the end (~4 bytes/s), a
silent one held the read for minutes, and a long download showed no progress line."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# gcsfs's experimental zonal/HNS support asks a bucket's kind over gRPC (TLS) first, and gives
# up on a local endpoint only after a minute of its own retries: the plain GCS client here.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
pytest.importorskip("gcsfs")
import test_hostile_servers as servers  # noqa: E402  (this folder's servers)

T = servers.T
cli = servers.cli  # the fixture, shared


def _serve(mode: str, conn: socket.socket, stop: threading.Event) -> None:
    """The object's metadata (JSON) at once; its body (``alt=media``) as ``mode`` serves it."""
    conn.settimeout(10)
    try:
        head = conn.recv(4096, socket.MSG_PEEK)
    except OSError:
        conn.close()
        return
    line = head.split(b"\r\n", 1)[0]
    if not line.startswith(b"GET "):  # gcsfs's gRPC probe of the bucket's kind (TLS): refused
        conn.close()
        return
    if b"alt=media" in line:
        servers._serve(mode, conn, stop)
        return
    body = servers.SLOW_BODY if mode == "slow" else servers.BODY
    key = line.split(b" ")[1].rsplit(b"/o/", 1)[-1].split(b"?")[0].decode()
    meta = json.dumps({"kind": "storage#object", "name": key, "bucket": "b", "size": str(len(body)),
                       "generation": "1", "updated": "2026-01-01T00:00:00.000Z"}).encode()
    try:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     str(len(meta)).encode() + b"\r\nConnection: close\r\n\r\n" + meta)
    except OSError:
        pass
    finally:
        conn.close()


@pytest.fixture
def gcs() -> Iterator[Any]:
    """Start a hostile GCS endpoint of a given mode; its base URL."""
    stops: list[tuple[threading.Event, socket.socket]] = []

    def start(mode: str) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = sock.accept()
                except OSError:
                    return
                threading.Thread(target=_serve, args=(mode, conn, stop), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        stops.append((stop, sock))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for stop, sock in stops:
        stop.set()
        sock.close()


def _url(mode: str, engine: str, name: str = "houses.csv") -> str:
    return f"gs://b-{mode}-{engine}-{time.monotonic_ns()}/{name}"  # a bucket a test


EXPECTED = {
    "silent": f"no answer within {T} s",  # before: aiohttp's 5-minute total, then retries
    "drip": "the download is too slow (",  # before: read to the end at ~4 bytes/s
    "500": "server error (HTTP 500)",  # before: "cannot be read (HttpError: , 500)"
    "403": "access denied (HTTP 403)",  # before: "cannot be read (Forbidden: ...)"
    "reset": "connection lost (the server reset it)",
    "cut": "the download was cut short",
}


@pytest.mark.parametrize("engine", ["numpy", "stream"])
@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_a_hostile_gcs_endpoint_ends_in_one_line(cli, gcs, tmp_path: Path, mode: str,
                                                 engine: str) -> None:
    url = _url(mode, engine)
    t0 = time.monotonic()
    r = cli("fit", url, "--engine", engine, "--storage-option", f"endpoint_url={gcs(mode)}",
            "--storage-option", "token=anon", "--storage-option", f"timeout={T}",
            "--storage-option", "min_rate=1000", "--save", str(tmp_path / "m.json"))
    elapsed = time.monotonic() - t0
    assert r.one_line_error, r.stderr
    assert r.stderr.startswith(f"descend: error: {url}: ")
    assert EXPECTED[mode] in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []
    assert elapsed <= 3 * T, elapsed


def test_a_slow_gcs_download_shows_progress_lines(cli, gcs, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    x = [float(i) for i in range(2000)]
    buf = io.BytesIO()
    pl.DataFrame({"x": x, "y": [2 * v + 1 for v in x]}).write_parquet(buf)
    monkeypatch.setattr(servers, "SLOW_BODY", buf.getvalue())  # 20 pieces, 2 s
    monkeypatch.setattr("descend.io._rate.PROGRESS_EVERY", 0.5)
    url = _url("slow", "numpy", "d.parquet")
    r = cli("fit", url, "--engine", "numpy", "--storage-option", f"endpoint_url={gcs('slow')}",
            "--storage-option", "token=anon", "--storage-option", f"timeout={T}",
            "--storage-option", "min_rate=0", "--save", tmp_path / "m.json")
    assert r.code == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "downloaded in" in ln]
    assert lines and all(ln.startswith(f"descend: {url}: ") for ln in lines), r.stderr
    saved = json.loads((tmp_path / "m.json").read_text())
    assert abs(saved["coef"][0] - 2) < 1e-9 and abs(saved["intercept"] - 1) < 1e-7
