"""``https://`` and ``http://`` DATA: a real HTTP server on 127.0.0.1 serving the test files."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # a Dask cluster, fsspec servers (moto S3, HTTP) and their processes

pytest.importorskip("aiohttp")  # fsspec's HTTP filesystem


@pytest.fixture(scope="module")
def http_base(local_files):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # no request log on stderr
            pass

    root = str(local_files["csv"].parent)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=root)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _json(r) -> dict:
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("name", ["houses.csv", "houses.parquet"])
@pytest.mark.parametrize("engine", ["numpy", "stream"])
def test_http_equals_disk(cli, http_base, local_files, name, engine):
    args = ["--lr", "0.05", "--max-iter", "25", "--json", "--engine", engine]
    ref = _json(cli("fit", local_files[name.split(".")[1]], *args))
    got = _json(cli("fit", f"{http_base}/{name}", *args))
    assert got["rows"] == ref["rows"] == 1500 and got["n_iter"] == ref["n_iter"]
    for key in ("intercept", "coef", "loss"):
        np.testing.assert_array_equal(got[key], ref[key])  # the same bytes: the same floats


def test_http_missing_object(cli, http_base):
    url = f"{http_base}/nope.csv"
    r = cli("fit", url)
    assert r.code == 2 and r.stderr.strip() == f"descend: error: {url}: no such object; check the URL"
