"""A real S3-compatible server on 127.0.0.1 (moto's server mode) holding the test data.

The server runs for the whole session in a thread of the test process; the bucket holds the
same rows as local files, as a CSV, a Parquet file and a "folder" of three Parquet parts.
Credentials are the server's dummy ones, set in the environment (for the engines that read it)
and passed as storage options with the endpoint (for Dask's worker processes, started before).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from remote_data import BUCKET, KEY, SECRET, make_data


def _payloads() -> dict[str, bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    X, y = make_data()
    lines = ["a,b,c,price"] + [
        ",".join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y, strict=True)
    ]
    out = {"houses.csv": ("\n".join(lines) + "\n").encode()}
    bad = lines[:300] + [lines[300].rsplit(",", 1)[0] + ",12,5"] + lines[301:]  # a 5th field
    out["bad.csv"] = ("\n".join(bad) + "\n").encode()
    table = {"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "price": y}

    def parquet(cols: dict, rg: int) -> bytes:
        buf = io.BytesIO()
        pq.write_table(pa.table(cols), buf, row_group_size=rg)
        return buf.getvalue()

    out["houses.parquet"] = parquet(table, 250)
    n = len(y)
    for i in range(3):
        sl = slice(i * n // 3, (i + 1) * n // 3)
        out[f"parts/part{i}.parquet"] = parquet({k: v[sl] for k, v in table.items()}, 150)
    return out


@pytest.fixture(scope="session")
def local_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bucket's objects as local files (the reference every engine must match)."""
    root = tmp_path_factory.mktemp("remote-local")
    for name, data in _payloads().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return {"csv": root / "houses.csv", "parquet": root / "houses.parquet",
            "folder": root / "parts"}


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 (a free port), with the bucket filled; its endpoint URL."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ACCESS_KEY_ID", KEY)
    mp.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.delenv("AWS_PROFILE", raising=False)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import s3fs

    fs = s3fs.S3FileSystem(key=KEY, secret=SECRET, endpoint_url=endpoint,
                           skip_instance_cache=True)
    fs.mkdir(BUCKET)
    for name, data in _payloads().items():
        fs.pipe_file(f"{BUCKET}/{name}", data)
    yield endpoint
    server.stop()
    mp.undo()


@pytest.fixture
def s3(s3_server, monkeypatch):
    """The endpoint, with the credentials in the environment for this test too."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_server

