"""URLs without a server: fsspec's ``memory://`` store, ``file://`` and the option parser."""

from __future__ import annotations

import json

import numpy as np
import pytest
from remote_data import make_data

from descend.data.urls import is_url, parse_storage_options
from descend.errors import DataError, InputError

pytestmark = pytest.mark.slow  # a Dask cluster, fsspec servers (moto S3, HTTP) and their processes

fsspec = pytest.importorskip("fsspec")


@pytest.fixture
def mem(local_files):
    """The test rows under memory://m/ (CSV, Parquet, three Parquet parts, a bad CSV)."""
    fs = fsspec.filesystem("memory")
    for name in ("houses.csv", "houses.parquet"):
        fs.pipe_file(f"/m/{name}", local_files[name.split(".")[1]].read_bytes())
    for part in sorted(local_files["folder"].iterdir()):
        fs.pipe_file(f"/m/parts/{part.name}", part.read_bytes())
    fs.pipe_file("/m/bad.csv", b"x;y\n1;2\n2;4\n3;1,5\n")
    yield "memory://m"
    fs.rm("/m", recursive=True)


def _json(r) -> dict:
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize(
    "name,engine",
    [("houses.csv", "numpy"), ("houses.parquet", "numpy"), ("houses.csv", "stream"),
     ("parts/", "stream"), ("parts/part*.parquet", "stream")],
)
def test_memory_equals_disk(cli, mem, local_files, name, engine):
    args = ["--lr", "0.05", "--max-iter", "25", "--json"]
    ref = _json(cli("fit", local_files["parquet"], *args))
    got = _json(cli("fit", f"{mem}/{name}", "--engine", engine, *args))
    assert got["rows"] == 1500 and got["n_iter"] == ref["n_iter"] == 25
    for key in ("intercept", "coef", "loss"):
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-10, atol=0)


def test_auto_engine_on_a_url(cli, mem):
    """--engine auto sizes a URL as it sizes a file: a small object loads, a folder streams."""
    assert _json(cli("fit", f"{mem}/houses.parquet", "--json"))["engine"] == "numpy"
    r = _json(cli("fit", f"{mem}/parts/", "--json"))
    assert r["engine"] == "stream" and "folder or glob" in r["engine_reason"]


def test_load_table_and_frame_source(mem):
    from descend.data import load_table

    X, y = make_data()
    t = load_table(f"{mem}/houses.csv", target="price", features=["c", "a"])
    assert t.source == f"{mem}/houses.csv" and t.feature_names == ("c", "a")
    np.testing.assert_array_equal(t.X, X[:, [2, 0]])
    np.testing.assert_array_equal(t.y, y)


def test_bad_cell_is_placed_in_the_object(cli, mem):
    """The CSV reader's words, with the URL in place of a path (same line, same column)."""
    for engine in ("numpy", "stream"):
        r = cli("fit", f"{mem}/bad.csv", "--engine", engine)
        assert r.code == 2, r.stderr
        line = r.stderr.strip()
        assert line.count("\n") == 0 and f"{mem}/bad.csv" in line, line
        assert "line 4" in line and "'y'" in line and "decimal comma" in line, line


@pytest.mark.parametrize(
    "url,needle",
    [("memory://m/nothing.csv", "no such object"),
     ("glob:memory://m/none*.parquet", "no object matches"),
     ("nosuchproto://b/k.csv", "unknown protocol 'nosuchproto'")],
)
def test_url_errors_are_one_line(cli, mem, url, needle):
    r = cli("fit", url)
    assert r.code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("descend: error: ") and url.removeprefix("glob:") in r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_in_memory_engine_refuses_a_folder_url(mem):
    from descend.data import load_table

    with pytest.raises(DataError, match="in-memory engine reads one file"):
        load_table(f"{mem}/parts/")


def test_file_url(cli, local_files):
    args = ["--lr", "0.05", "--max-iter", "10", "--json"]
    ref = _json(cli("fit", local_files["csv"], *args))
    got = _json(cli("fit", local_files["csv"].as_uri(), *args))
    assert got["coef"] == ref["coef"] and got["intercept"] == ref["intercept"]


def test_missing_s3fs_names_the_extra(cli, monkeypatch):
    import importlib
    import sys

    registry = importlib.import_module("fsspec.registry")  # the module, not its proxy

    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs -> ImportError
    monkeypatch.delitem(registry._registry, "s3", raising=False)
    r = cli("fit", "s3://bucket/data.csv")
    assert r.code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "needs s3fs" in r.stderr and "pip install 'descend[s3]'" in r.stderr


def test_storage_option_parser():
    assert parse_storage_options(
        ["anon=true", "client_kwargs.endpoint_url=http://h:9000", "client_kwargs.x=1",
         "block_size=5e6", "token=none", "key=a=b"]
    ) == {
        "anon": True,
        "client_kwargs": {"endpoint_url": "http://h:9000", "x": 1},
        "block_size": 5e6,
        "token": None,
        "key": "a=b",  # the first '=' splits
    }
    for bad in ("novalue", "=x", "a..b=1"):
        with pytest.raises(InputError, match="KEY=VALUE"):
            parse_storage_options([bad])
    with pytest.raises(InputError, match="already a value"):
        parse_storage_options(["a=1", "a.b=2"])


def test_storage_option_cli_errors(cli, local_files):
    r = cli("fit", local_files["csv"], "--storage-option", "anon=true")
    assert r.code == 2 and "applies to a URL DATA" in r.stderr
    r = cli("fit", "memory://m/x.csv", "--storage-option", "oops")
    assert r.code == 2 and "KEY=VALUE" in r.stderr and r.stderr.count("\n") == 1


def test_is_url():
    assert is_url("s3://b/k") and is_url("memory://x.csv") and is_url("file:///tmp/a.csv")
    assert not is_url("a.csv") and not is_url("C:\\data\\a.csv") and not is_url("glob:*.pq")


def test_sweep_and_predict_read_urls(cli, mem, local_files, tmp_path):
    args = ["--lr", "0.01,0.1", "--max-iter", "20", "--json"]
    assert _json(cli("sweep", f"{mem}/houses.parquet", *args)) == _json(
        cli("sweep", local_files["parquet"], *args))
    model = tmp_path / "m.json"
    assert cli("fit", local_files["csv"], "--save", model, "-q").code == 0
    got = _json(cli("predict", model, f"{mem}/houses.csv", "--json"))
    ref = _json(cli("predict", model, local_files["csv"], "--json"))
    assert got == ref and len(ref["predictions"]) == 1500


def test_stream_reads_urls_in_chunks(cli, mem, local_files, monkeypatch):
    """The stream engine never fetches a whole object: it reads through buffered files."""
    from descend.io import _remote

    def refuse(*args, **kwargs):
        raise AssertionError("the stream engine fetched a whole object")

    monkeypatch.setattr(_remote, "read_bytes", refuse)
    args = ["--engine", "stream", "--chunk-rows", "100", "--lr", "0.05", "--max-iter", "10",
            "--json"]
    ref = _json(cli("fit", local_files["csv"], *args))
    for name in ("houses.csv", "houses.parquet", "parts/"):
        got = _json(cli("fit", f"{mem}/{name}", *args))
        np.testing.assert_allclose(got["coef"], ref["coef"], rtol=1e-10, atol=0)


def test_local_data_loads_no_url_library():
    import subprocess
    import sys

    code = (
        "import sys, tempfile, os\n"
        "from descend.cli.app import main\n"
        "d = tempfile.mkdtemp(); f = os.path.join(d, 'a.csv')\n"
        "open(f, 'w').write('x,y\\n1,2\\n2,4.1\\n3,6\\n')\n"
        "assert main(['fit', f, '-q', '--json']) == 0\n"
        "print('LOADED', [m for m in ('fsspec', 's3fs', 'aiohttp', 'botocore') "
        "if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED []"


def test_missing_fsspec_names_the_extra(cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fsspec.core", None)  # import -> ModuleNotFoundError
    r = cli("fit", "memory://m/houses.csv")
    assert r.code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "needs fsspec" in r.stderr and "pip install 'descend[data]'" in r.stderr


def test_storage_options_round_trip():
    """Any nested dict of names, texts, integers and booleans survives KEY=VALUE and back."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
    def is_word(t: str) -> bool:  # a text that no typing rule turns into something else
        try:
            float(t)
        except ValueError:
            return t.lower() not in ("true", "false", "none", "null")
        return False

    texts = st.from_regex(r"[a-zA-Z:/._-][a-zA-Z0-9:/._=-]{0,20}", fullmatch=True).filter(
        is_word)
    leaves = st.one_of(texts, st.integers(-10**6, 10**6), st.booleans())
    trees = st.recursive(leaves, lambda kids: st.dictionaries(names, kids, min_size=1,
                                                               max_size=3), max_leaves=8)
    options = st.dictionaries(names, trees, min_size=1, max_size=4)

    def flatten(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flatten(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}={str(v).lower() if isinstance(v, bool) else v}"

    @settings(max_examples=200, deadline=None)
    @given(options)
    def check(opts):
        assert parse_storage_options(list(flatten(opts))) == opts

    check()


@pytest.mark.parametrize("url,extra", [("gs://b/k.csv", "gcs"), ("abfs://c/k.csv", "azure")])
def test_other_stores_name_their_extra(cli, url, extra):
    """Each extra named in a message exists in pyproject.toml (gcsfs, adlfs not installed)."""
    import importlib.util
    import tomllib
    from pathlib import Path

    package = {"gcs": "gcsfs", "azure": "adlfs"}[extra]
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed")
    r = cli("fit", url)
    assert r.code == 2 and f"pip install 'descend[{extra}]'" in r.stderr, r.stderr
    root = Path(__file__).resolve().parents[2]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert any(package in dep for dep in extras[extra])


def test_checkpoint_and_resume_a_url_fit(cli, mem, tmp_path):
    """A run of a URL resumes to the uninterrupted run's answer; a changed object is refused."""
    url = f"{mem}/houses.csv"
    base = ["--lr", "0.05", "--loss", "huber", "--epsilon", "10", "--huber-scale", "1",
            "--json"]
    whole = _json(cli("fit", url, *base, "--max-iter", "30"))
    ck = tmp_path / "run.json"
    _json(cli("fit", url, *base, "--max-iter", "12", "--checkpoint", ck))
    resumed = _json(cli("fit", url, *base, "--max-iter", "30", "--checkpoint", ck,
                        "--resume", ck))
    assert resumed["coef"] == whole["coef"] and resumed["n_iter"] == whole["n_iter"] == 30
    fs = fsspec.filesystem("memory")
    body = fs.cat_file("/m/houses.csv")
    fs.pipe_file("/m/houses.csv", body.replace(b"1", b"2", 1))  # same size, other bytes
    r = cli("fit", url, *base, "--max-iter", "30", "--checkpoint", ck, "--resume", ck)
    assert r.code == 2 and "SHA-256 differs" in r.stderr, r.stderr
