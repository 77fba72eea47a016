"""Hostile HTTP servers on 127.0.0.1: each read ends in one line within the timeout, exit 2,
nothing written.

Servers (raw sockets, one thread each): one that accepts and never answers, one that promises
1000 bytes and sends 42, one that answers 403, one 500, one that resets the connection, one
that trickles a byte more slowly than the read timeout. The timeout is the storage option
``timeout`` (30 s by default), set to T = 2 s here so the suite takes seconds; each command
ends within 2T (one deadline and slack; a generous bound that a hang fails, and so does
waiting out one timeout per step -- fsspec's HEAD then GET, then the next step's try: 2T to
5T before; not a benchmark).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiohttp")

@dataclass
class Run:
    code: int
    stderr: str

    @property
    def one_line_error(self) -> bool:
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        return self.code == 2 and len(lines) == 1 and lines[0].startswith("descend: error: ")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    from descend.cli.app import main

    def run(*args: object) -> Run:
        code = main([str(a) for a in args])
        return Run(code, capsys.readouterr().err)

    return run


BODY = b"x,y\n" + b"".join(f"{i},{2 * i + 1}\n".encode() for i in range(100))
SLOW_BODY: bytes = b""  # a Parquet file of y = 2x + 1, set by the test that serves it


def _serve(mode: str, conn: socket.socket, stop: threading.Event) -> None:
    try:
        conn.settimeout(10)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        head = request.startswith(b"HEAD")
        if mode == "silent":
            stop.wait(30)
            return
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return  # close with RST
        if mode in ("403", "500"):
            reason = b"Forbidden" if mode == "403" else b"Internal Server Error"
            conn.sendall(b"HTTP/1.1 " + mode.encode() + b" " + reason +
                         b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if mode == "cut":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/csv"
                         b"\r\nConnection: close\r\n\r\n")
            if not head:
                conn.sendall(BODY[:42])
            return
        if mode in ("drip", "slow"):  # faster than the read timeout: 1 byte / 0.25 s, or
            body = SLOW_BODY if mode == "slow" else BODY  # 20 pieces 0.1 s apart
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() +
                         b"\r\nConnection: close\r\n\r\n")
            if head:
                return
            step = 1 if mode == "drip" else -(-len(body) // 20)
            for i in range(0, len(body), step):
                if stop.wait(0.25 if mode == "drip" else 0.1):
                    return
                conn.sendall(body[i:i + step])
            return
        if mode == "trickle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(BODY)).encode() +
                         b"\r\nContent-Type: text/csv\r\nConnection: close\r\n\r\n")
            if head:
                return
            for b in BODY:
                if stop.wait(3):  # slower than the 1-s read timeout
                    return
                conn.sendall(bytes([b]))
    except OSError:
        pass
    finally:
        conn.close()


@pytest.fixture
def hostile() -> Iterator[Any]:
    """Start a hostile server of a given mode; its base URL."""
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


T = 2  # the timeout of these tests, seconds


@pytest.fixture(scope="module", autouse=True)
def _imported() -> None:
    """The CLI's modules imported before any clock starts (the bound is on the network)."""
    import aiohttp  # noqa: F401
    import fsspec.implementations.http  # noqa: F401
    import polars  # noqa: F401

    import descend.cli.fit  # noqa: F401
    import descend.data.load  # noqa: F401
    import descend.data.stream  # noqa: F401


EXPECTED = {
    "silent": f"no answer within {T} s",
    "cut": "cut short",
    "403": "access denied (HTTP 403",
    "500": "server error (HTTP 500",
    "reset": "connection lost",
    "trickle": f"no answer within {T} s",
}


@pytest.mark.parametrize("engine", ["numpy", "stream", "auto"])
@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_a_hostile_server_ends_in_one_line(cli, hostile, tmp_path: Path, mode: str,
                                           engine: str) -> None:
    url = f"{hostile(mode)}/houses.csv"
    out = tmp_path / "m.json"
    t0 = time.monotonic()
    r = cli("fit", url, "--engine", engine, "--storage-option", f"timeout={T}", "--save",
            str(out))
    elapsed = time.monotonic() - t0
    assert r.one_line_error, r.stderr
    assert r.stderr.startswith(f"descend: error: {url}: ")
    assert EXPECTED[mode] in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []
    assert elapsed <= 2 * T, elapsed  # one deadline, not one per step (module docstring)


def test_the_default_timeout_is_30_seconds() -> None:
    from descend.io._remote import DEFAULT_TIMEOUT, _with_deadlines

    assert DEFAULT_TIMEOUT == 30
    opts = _with_deadlines("http", {})
    t = opts["client_kwargs"]["timeout"]
    assert (t.connect, t.sock_read) == (30, 30)
    s3 = _with_deadlines("s3", {"timeout": 5})
    assert s3["config_kwargs"]["connect_timeout"] == 5 and s3["config_kwargs"]["read_timeout"] == 5
    assert s3["config_kwargs"]["retries"]["max_attempts"] <= 3
    assert "timeout" not in s3


def test_a_bad_timeout_is_refused_by_name() -> None:
    from descend.errors import InputError
    from descend.io._remote import _with_deadlines

    with pytest.raises(InputError, match=r"--storage-option timeout=-1: .*positive number"):
        _with_deadlines("http", {"timeout": -1})


@pytest.mark.parametrize("mode", ["403", "silent"])
def test_a_model_file_by_url_is_read_under_the_deadlines(cli, hostile, mode: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A model file by URL is fetched (not the local path ``http:/host/m.json``), and a
    hostile server is named in one line."""
    monkeypatch.setattr("descend.io._remote.DEFAULT_TIMEOUT", float(T))
    url = f"{hostile(mode)}/model.json"
    t0 = time.monotonic()
    r = cli("predict", url, "--x", "1")
    assert time.monotonic() - t0 <= 2 * T
    assert r.one_line_error, r.stderr
    assert r.stderr.startswith(f"descend: error: {url}: "), r.stderr
    assert EXPECTED[mode] in r.stderr


def test_a_model_file_over_http_works(cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    import functools
    import http.server

    data = tmp_path / "d.csv"
    data.write_bytes(BODY)
    assert cli("fit", data, "--save", tmp_path / "m.json").code == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from descend.cli.app import main

        url = f"http://127.0.0.1:{server.server_port}/m.json"
        capsys.readouterr()
        assert main(["predict", url, "--x", "10", "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        assert abs(got["predictions"][0] - 21.0) < 1e-3  # y = 2x + 1 fit exactly
    finally:
        server.shutdown()


def test_a_checkpoint_by_url_is_refused_in_one_line(cli, tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(BODY)
    r = cli("fit", data, "--resume", "s3://bkt/c.json", "--checkpoint", tmp_path / "c.json")
    assert r.one_line_error, r.stderr
    assert "s3://bkt/c.json: a checkpoint is a local file" in r.stderr


@pytest.mark.parametrize(("name", "engine"), [("houses.csv", "numpy"), ("houses.csv", "stream"),
                                              ("houses.parquet", "numpy")])
def test_a_server_slower_than_the_minimum_rate_is_named(cli, hostile, tmp_path: Path, name: str,
                                                        engine: str) -> None:
    """1 byte every 0.25 s never lets the read timeout pass; the minimum rate stops it, named
    with the rate and the option that relaxes it."""
    url = f"{hostile('drip')}/{name}"
    t0 = time.monotonic()
    r = cli("fit", url, "--engine", engine, "--storage-option", f"timeout={T}",
            "--storage-option", "min_rate=1000", "--save", tmp_path / "m.json")
    elapsed = time.monotonic() - t0
    assert r.one_line_error, r.stderr
    assert r.stderr.startswith(f"descend: error: {url}: the download is too slow ("), r.stderr
    # the deadline of a block (T + its bytes / min_rate = 2.6 s here), and the start-up
    assert elapsed <= 2 * T + 1, (elapsed, r.stderr)
    assert "below the minimum 1 kB/s" in r.stderr
    assert "--storage-option min_rate=BYTES_PER_SECOND" in r.stderr
    assert os.listdir(tmp_path) == []


def test_a_slow_download_shows_progress_lines(cli, hostile, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import polars as pl

    x = [float(i) for i in range(2000)]
    buf = io.BytesIO()
    pl.DataFrame({"x": x, "y": [2 * v + 1 for v in x]}).write_parquet(buf)
    monkeypatch.setitem(globals(), "SLOW_BODY", buf.getvalue())  # served in 20 pieces, 2 s
    monkeypatch.setattr("descend.io._rate.PROGRESS_EVERY", 0.5)
    url = f"{hostile('slow')}/d.parquet"
    r = cli("fit", url, "--engine", "numpy", "--storage-option", f"timeout={T}",
            "--storage-option", "min_rate=0", "--save", tmp_path / "m.json")
    assert r.code == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "downloaded in" in ln]
    assert lines and all(ln.startswith(f"descend: {url}: ") for ln in lines), r.stderr
    assert " bytes/s)" in lines[-1] or " kB/s)" in lines[-1]
    saved = json.loads((tmp_path / "m.json").read_text())
    assert abs(saved["coef"][0] - 2) < 1e-9 and abs(saved["intercept"] - 1) < 1e-7
