"""Every engine reads the same S3 bucket (a real S3 server on 127.0.0.1) and fits what it
fits from the same files on disk; a missing bucket or key, or bad credentials, is one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from remote_data import BUCKET, KEY, SECRET, make_data, storage_options

pytestmark = pytest.mark.slow  # a Dask cluster, fsspec servers (moto S3, HTTP) and their processes

RTOL = 1e-10


def _rel(a, b) -> float:
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    return float(np.max(np.abs(a - b)) / max(1e-300, np.max(np.abs(b))))


def _json(r) -> dict:
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def _so_args(endpoint: str) -> list[str]:
    # the nested spelling; test_flat_endpoint_url covers the flat one
    return ["--storage-option", f"client_kwargs.endpoint_url={endpoint}",
            "--storage-option", f"key={KEY}", "--storage-option", f"secret={SECRET}"]


_URL = {"csv": "houses.csv", "parquet": "houses.parquet", "folder": "parts/",
        "glob": "parts/part*.parquet"}


def _url(kind: str) -> str:
    return f"s3://{BUCKET}/{_URL[kind]}"


def _local(local_files, kind: str) -> str:
    return str(local_files["folder" if kind == "glob" else kind])


@pytest.mark.parametrize(
    "kind,engine",
    [("csv", "numpy"), ("parquet", "numpy"), ("csv", "stream"), ("parquet", "stream"),
     ("folder", "stream"), ("glob", "stream")],
)
@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_cli_s3_equals_local(cli, s3, local_files, kind, engine, loss):
    base = ["--loss", loss, "--max-iter", "40", "--json"]
    base += ["--epsilon", "10", "--huber-scale", "1"] if loss == "huber" else ["--lr", "0.05"]
    ref = _json(cli("fit", local_files["parquet"], *base))  # in memory, from disk
    here = _json(cli("fit", _local(local_files, kind), *base, "--engine", engine))
    got = _json(cli("fit", _url(kind), *_so_args(s3), *base, "--engine", engine))
    assert got["engine"] == engine and got["rows"] == ref["rows"] == 1500
    assert got["n_iter"] == here["n_iter"] == ref["n_iter"] == 40
    for key in ("intercept", "coef", "loss", "initial_loss"):
        assert got[key] == here[key], key  # the same bytes, the same engine: the same floats
        assert _rel(got[key], ref[key]) <= RTOL, key


@pytest.mark.parametrize("kind", ["csv", "folder"])
def test_cli_dask_s3_equals_local(cli, s3, local_files, dask_cluster, kind):
    base = ["--lr", "0.05", "--max-iter", "40", "--json"]
    ref = _json(cli("fit", local_files["parquet"], *base))
    got = _json(cli("fit", _url(kind), *_so_args(s3), "--engine", "dask",
                    "--scheduler", dask_cluster.scheduler_address, *base))
    assert got["engine"] == "dask" and got["rows"] == 1500 and got["n_iter"] == 40
    for key in ("intercept", "coef", "loss"):
        assert _rel(got[key], ref[key]) <= RTOL, key


def test_cli_dask_huber_s3(cli, s3, local_files, dask_cluster):
    """Per-step map-reduces over partitions that the workers read from the bucket."""
    base = ["--loss", "huber", "--epsilon", "10", "--huber-scale", "1", "--max-iter", "30",
            "--json"]
    engine = ["--engine", "dask", "--scheduler", dask_cluster.scheduler_address]
    ref = _json(cli("fit", local_files["parquet"], *base))
    here = _json(cli("fit", local_files["folder"], *engine, *base))
    got = _json(cli("fit", _url("folder"), *_so_args(s3), *engine, *base))
    for key in ("intercept", "coef", "loss"):
        assert _rel(got[key], here[key]) <= RTOL, key  # the bucket's parts = the disk's
        # 30 huber steps summed in another order than in memory: rounding, amplified by the
        # offset column (mean 100, sd 0.1), stays within a few 1e-10
        assert _rel(got[key], ref[key]) <= 1e-9, key


def test_flat_endpoint_url_and_env_credentials(cli, s3, local_files):
    """``endpoint_url=`` (flat) works too; the credentials come from AWS_* in the env."""
    ref = _json(cli("fit", local_files["csv"], "--json"))
    got = _json(cli("fit", _url("csv"), "--storage-option", f"endpoint_url={s3}", "--json"))
    assert got["coef"] == ref["coef"] and got["intercept"] == ref["intercept"]
    assert got["engine"] == "numpy" and got["engine_reason"].startswith("the data is about")


def test_library_reads_s3(s3):
    from descend.data import load_table
    from descend.models import LinearModel
    from descend.scale.stream import open_source, stats_from_file

    X, y = make_data()
    so = storage_options(s3)
    t = load_table(_url("parquet"), storage_options=so)
    np.testing.assert_array_equal(t.X, X)
    np.testing.assert_array_equal(t.y, y)
    assert t.source == _url("parquet") and t.feature_names == ("a", "b", "c")
    src = open_source(_url("folder"), target="price", features="a,c", chunk_rows=128,
                      storage_options=so)
    assert src.n_rows == 1500 and src.files[0].startswith("s3://")
    stats, names, tname = stats_from_file(src)
    again, _, _ = stats_from_file(f"glob:{_url('glob')}", "price", "a,c", storage_options=so)
    np.testing.assert_allclose(again.cxx, stats.cxx, rtol=1e-11)  # other chunks, other merges
    assert names == ("a", "c") and tname == "price"
    ref = LinearModel().fit(X[:, [0, 2]], y)
    fit = LinearModel().fit_moments(stats, names)
    assert _rel(fit.coef_, ref.coef_) <= RTOL and _rel(fit.intercept_, ref.intercept_) <= RTOL


def _one_error_line(r, *needles: str) -> str:
    assert r.code == 2, (r.code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("descend: error: ")
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


ENGINES = ["numpy", "stream", "dask"]


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_bucket(cli, s3, engine):
    url = "s3://no-such-bucket/houses.csv"
    r = cli("fit", url, *_so_args(s3), "--engine", engine)
    _one_error_line(r, url, "bucket 'no-such-bucket' does not exist")


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_key(cli, s3, engine):
    url = f"s3://{BUCKET}/no-such-key.csv"
    r = cli("fit", url, *_so_args(s3), "--engine", engine)
    _one_error_line(r, url, "no such object")


def test_glob_matching_nothing(cli, s3):
    url = f"glob:s3://{BUCKET}/parts/nothing*.parquet"
    _one_error_line(cli("fit", url, *_so_args(s3), "--engine", "stream"), url, "no object")


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_credentials(cli, s3, engine, monkeypatch):
    """With IAM checks on (the server's authentication, not a mock), an unknown key is
    refused by the server with 403 and the CLI says so in one line."""
    import moto.settings

    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    url = _url("csv")
    r = cli("fit", url, "--storage-option", f"endpoint_url={s3}",
            "--storage-option", "key=WRONGKEY", "--storage-option", "secret=wrong",
            "--engine", engine)
    _one_error_line(r, url, "access denied", "credentials")


def test_checkpoint_hashes_the_object(cli, s3, tmp_path):
    """A checkpointed run names the object by a SHA-256 of its bytes, read through fsspec."""
    import hashlib

    ck = tmp_path / "run.json"
    r = cli("fit", _url("csv"), *_so_args(s3), "--checkpoint", ck, "--max-iter", "5",
            "--lr", "0.01", "--json")
    assert r.code == 0, r.stderr
    meta = json.loads(ck.read_text())["meta"]["data"]
    import s3fs

    body = s3fs.S3FileSystem(**storage_options(s3), skip_instance_cache=True).cat_file(
        f"{BUCKET}/houses.csv")
    h = hashlib.sha256(b"houses.csv\0" + body).hexdigest()
    assert meta["path"] == _url("csv") and meta["bytes"] == len(body) and meta["sha256"] == h


def test_unreachable_endpoint(cli, s3):
    """Nothing listens on the port: one line, after botocore's retries (seconds, no hang)."""
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = _url("csv")
    r = cli("fit", url, "--storage-option", f"endpoint_url=http://127.0.0.1:{port}",
            "--storage-option", "config_kwargs.retries.max_attempts=1")
    _one_error_line(r, url, "cannot connect (refused)", "endpoint_url")  # the cause, named


def test_unknown_storage_option(cli, s3):
    url = _url("csv")
    r = cli("fit", url, *_so_args(s3), "--storage-option", "no_such_option=1")
    _one_error_line(r, url, "storage option is not accepted", "no_such_option")


def test_bad_cell_same_words_in_every_engine(cli, s3, local_files, dask_cluster):
    """A bad line of a CSV in the bucket: every engine names it as for the file on disk."""
    lines = set()
    for engine in ("numpy", "stream", "dask"):
        extra = ["--scheduler", dask_cluster.scheduler_address] if engine == "dask" else []
        local = cli("fit", local_files["csv"].parent / "bad.csv", "--engine", engine, *extra)
        remote = cli("fit", f"s3://{BUCKET}/bad.csv", *_so_args(s3), "--engine", engine, *extra)
        line = _one_error_line(remote, f"s3://{BUCKET}/bad.csv", "line 301 has 5 fields")
        assert line == local.stderr.strip().replace(
            str(local_files["csv"].parent / "bad.csv"), f"s3://{BUCKET}/bad.csv")
        lines.add(line)
    assert len(lines) == 1, lines
