"""Model files (``predict``) and checkpoint files (``fit --resume``) are validated against a
schema before use: types, sizes, nesting depth, file size. A refusal is one line naming the
field; a checkpoint names its data by content, so edited data is never resumed on."""

from __future__ import annotations

import json
import os

import pytest
from hostile_data import HOUSES

GOOD_MODEL = {
    "format": "descend.linear-model", "version": 1, "loss": "squared_error",
    "features": ["size"], "target": "price", "intercept": 1.0, "coef": [2.0],
}


def _model(tmp_path, obj=None, text=None):
    p = tmp_path / "m.json"
    p.write_text(text if text is not None else json.dumps(obj))
    return p


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"coef": [int("9" * 400)]}, "field 'coef'"),  # 400 digits: beyond float64
        ({"coef": ["2"]}, "field 'coef'"),
        ({"coef": [2.0, 3.0]}, "field 'coef'"),
        ({"coef": {"size": 2.0}}, "field 'coef'"),
        ({"intercept": None}, "field 'intercept'"),
        ({"intercept": True}, "field 'intercept'"),
        ({"features": "size"}, "field 'features'"),
        ({"features": [1]}, "field 'features'"),
        ({"features": ["size", "size"], "coef": [1.0, 1.0]}, "field 'features'"),
        ({"features": []}, "field 'features'"),
        ({"version": "1"}, "field 'version'"),
        ({"version": 0}, "field 'version'"),
        ({"loss": ["huber"]}, "field 'loss'"),
        ({"target": 7}, "field 'target'"),
    ],
)
def test_model_fields_are_checked_by_name(cli, tmp_path, change, field):
    r = cli("predict", _model(tmp_path, {**GOOD_MODEL, **change}), "--x", "3")
    assert r.one_line_error and field in r.stderr, r


@pytest.mark.parametrize(
    ("text", "must_say"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested 100000 levels deep"),
        ('{"format": "descend.linear-model", "coef": [NaN]}', "holds NaN, which is not JSON"),
        ('{"format": "descend.linear-model", "coef": [Infinity]}', "holds Infinity"),
        ("{not json", "invalid JSON at line 1"),
        ("", "invalid JSON"),
        ("[1, 2]", "is not a descend model file"),
    ],
)
def test_model_files_that_are_not_models(cli, tmp_path, text, must_say):
    r = cli("predict", _model(tmp_path, text=text), "--x", "3")
    assert r.one_line_error and must_say in r.stderr, r


def test_model_size_cap_and_binary(cli, tmp_path):
    from descend.models.persist import MAX_BYTES

    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: no disk used
    r = cli("predict", big, "--x", "1")
    assert r.one_line_error and "a model file is at most" in r.stderr
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    r = cli("predict", binary, "--x", "1")
    assert r.one_line_error and "not UTF-8" in r.stderr


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_device_files_are_refused_up_front(cli, tmp_path, path):
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    r = cli("predict", path, "--x", "1")
    assert r.one_line_error and "is a character device, not a regular file" in r.stderr
    r = cli("fit", path)
    assert r.one_line_error and "not a regular file" in r.stderr
    r = cli("fit", _data(tmp_path), "--resume", path)
    assert r.one_line_error and "not a regular file" in r.stderr


def test_a_fifo_is_refused_not_waited_on(cli, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for args in (("fit", fifo), ("predict", fifo, "--x", "1"), ("sweep", fifo),
                 ("fit", fifo, "--engine", "stream"), ("predict", _model(tmp_path, GOOD_MODEL), fifo)):
        r = cli(*args)
        assert r.one_line_error and "is a FIFO (named pipe), not a regular file" in r.stderr, args


# ------------------------------------------------------------------------------ checkpoints


def _data(tmp_path, text=HOUSES):
    p = tmp_path / "h.csv"
    p.write_text(text)
    return p


@pytest.fixture
def checkpoint(cli, tmp_path):
    data = _data(tmp_path)
    ck = tmp_path / "run.json"
    assert cli("fit", data, "--optimizer", "adam", "--max-iter", "5", "--checkpoint", ck).code == 0
    return data, ck, json.loads(ck.read_text())


def _mutations():
    def state_fields(h):
        return h["state"]["fields"]

    return [
        ("list where an object is expected", lambda h: h.__setitem__("state", [1, 2]), "field 'state'"),
        ("string count", lambda h: h.__setitem__("nit", "5"), "field 'nit'"),
        ("negative count", lambda h: h.__setitem__("nit", -1), "field 'nit'"),
        ("huge count", lambda h: h.__setitem__("nit", int("9" * 400)), "field 'nit'"),
        ("integer feature name", lambda h: h["meta"].__setitem__("features", [1]), "field 'meta.features'"),
        ("meta not an object", lambda h: h.__setitem__("meta", [1]), "field 'meta'"),
        ("data not an object", lambda h: h["meta"].__setitem__("data", "x"), "field 'meta.data'"),
        ("bad hash", lambda h: h["meta"]["data"].__setitem__("sha256", "zz"), "field 'meta.data.sha256'"),
        ("garbage rng", lambda h: state_fields(h).__setitem__(
            "rng", {"dict": {"bit_generator": "PCG64", "state": "garbage"}}), "rng' is not a valid"),
        ("tuple holding an object", lambda h: state_fields(h).__setitem__("opt", {"tuple": {"a": 1}}),
         "field 'state.opt' must hold a list"),
        ("array of strings", lambda h: state_fields(h)["opt"]["tuple"][0]["fields"].__setitem__(
            "mu", {"array": ["a", "b"], "dtype": "float64", "shape": [2]}), "state.opt[0].mu"),
        ("array shape lies", lambda h: state_fields(h)["opt"]["tuple"][0]["fields"].__setitem__(
            "mu", {"array": [1.0, 2.0], "dtype": "float64", "shape": [3]}), "state.opt[0].mu"),
        ("state of other parameters", lambda h: state_fields(h)["opt"]["tuple"][0]["fields"].__setitem__(
            "mu", {"array": [1.0, 2.0, 3.0], "dtype": "float64", "shape": [3]}), "has shape (3,)"),
        ("code, not data", lambda h: h.__setitem__("state", {"namedtuple": "os:system", "fields": {}}),
         "is not a descend class"),
        ("x not finite", lambda h: h.__setitem__("x", {"array": [1e999, 0], "dtype": "float64", "shape": [2]}),
         "field 'x'"),
        # the stopping rules' state (descend.loop.stopping.WatchState inside DescentState)
        ("start loss not finite", lambda h: state_fields(h).__setitem__("f0", {"float": 1e999}),
         "field 'state.f0' must be a finite loss"),
        ("window with nan", lambda h: state_fields(h)["window"]["tuple"].__setitem__(
            0, {"float": float("nan")}), "field 'state.window' must be a non-empty list of finite"),
        ("window empty", lambda h: state_fields(h).__setitem__("window", {"tuple": []}),
         "field 'state.window' must be a non-empty list"),
        ("window a number", lambda h: state_fields(h).__setitem__("window", {"float": 1.0}),
         "field 'state.window' must be a non-empty list"),
        ("window of strings", lambda h: state_fields(h).__setitem__("window", {"tuple": ["a"]}),
         "field 'state.window' must be a non-empty list"),
    ]


@pytest.mark.parametrize(("name", "mutate", "field"), _mutations(), ids=[m[0] for m in _mutations()])
def test_checkpoint_fields_are_checked_by_name(cli, checkpoint, name, mutate, field):
    data, ck, head = checkpoint
    mutate(head)
    ck.write_text(json.dumps(head))
    r = cli("fit", data, "--optimizer", "adam", "--max-iter", "8", "--resume", ck)
    assert r.one_line_error and field in r.stderr, (name, r)


def test_deeply_nested_checkpoint(cli, tmp_path):
    ck = tmp_path / "deep.json"
    ck.write_text("[" * 100_000 + "]" * 100_000)
    r = cli("fit", _data(tmp_path), "--resume", ck)
    assert r.one_line_error and "nested 100000 levels deep" in r.stderr


def test_data_edited_to_the_same_size_is_not_resumed_on(cli, checkpoint, tmp_path):
    data, ck, _ = checkpoint
    text = data.read_text()
    edited = text.replace("200000", "200001")
    assert len(edited) == len(text)
    data.write_text(edited)
    r = cli("fit", data, "--optimizer", "adam", "--max-iter", "8", "--resume", ck)
    # what the user must see: the data changed (same size, other content)
    assert r.one_line_error and "changed since the checkpoint (same size, other content" in r.stderr


@pytest.mark.slow  # writes and reads a large file (13 s)
def test_an_npz_checkpoint_that_unpacks_to_gigabytes_is_refused(cli, tmp_path):
    import zipfile

    ck = tmp_path / "bomb.npz"
    with zipfile.ZipFile(ck, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("a0.npy", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB on disk
                fh.write(block)
    r = cli("fit", _data(tmp_path), "--resume", ck)
    assert r.one_line_error and "unpacks to" in r.stderr
    bad = tmp_path / "not-a-zip.npz"
    bad.write_bytes(b"PK\x03\x04 broken")
    r = cli("fit", _data(tmp_path), "--resume", bad)
    assert r.one_line_error and "not a readable checkpoint" in r.stderr
