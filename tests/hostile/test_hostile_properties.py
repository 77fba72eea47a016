"""Property tests: generated malformed CSV, model JSON and checkpoint content. Whatever the
content, the command ends with exit 0 and a finite answer, or exit 2 and one line -- never a
traceback -- within a time bound (hypothesis's ``deadline``)."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from hostile_data import HOUSES

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pytestmark = pytest.mark.slow  # hypothesis searches of generated files (6-21 s each)

SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("HOSTILE_EXAMPLES", "60")),
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CELLS = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "NA", "nan", "inf", "-", "?", "1e308", "1e-310", "1,5", '"2"', " 3 ",
                     "x", "\x00", "\x1b[31m", "é", "1e400", "0x10", "--1"]),
    st.text(max_size=4),
)


@st.composite
def csv_files(draw):
    ncols = draw(st.integers(1, 4))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.booleans())
    rows = draw(st.lists(st.lists(CELLS, min_size=ncols - 1, max_size=ncols + 1), max_size=8))
    lines = ([sep.join(f"c{j}" for j in range(ncols))] if header else []) + [sep.join(r) for r in rows]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def _finite_numbers(obj):
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_numbers(v) for v in obj)
    return True


def _check(r, answer_keys, *, may_diverge=False):
    assert "Traceback" not in r.stderr
    if may_diverge and r.code == 3:  # a well-formed but wild state: an honest divergence
        lines = r.stderr.splitlines()
        assert all(ln.startswith("descend: ") for ln in lines), r
        assert lines[-1].startswith("descend: diverged"), r
        return
    if r.code == 0:
        obj = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
        for key in answer_keys:
            assert _finite_numbers(obj[key]), obj
    else:
        assert r.one_line_error, r


@SETTINGS
@given(content=csv_files(), engine=st.sampled_from(["numpy", "stream"]))
def test_generated_csv(cli, tmp_path_factory, content, engine):
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    path.write_bytes(content)
    r = cli("fit", path, "--json", "-q", "--max-iter", "30", "--engine", engine)
    _check(r, ("coef", "intercept"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)

GOOD_MODEL = {
    "format": "descend.linear-model", "version": 1, "loss": "squared_error",
    "features": ["size"], "target": "price", "intercept": 1.0, "coef": [2.0],
}


@SETTINGS
@given(field=st.sampled_from([*GOOD_MODEL, "training"]), value=JSON_VALUES, whole=st.booleans())
def test_generated_model_files(cli, tmp_path_factory, field, value, whole):
    obj = value if whole else {**GOOD_MODEL, field: value}
    path = tmp_path_factory.mktemp("model") / "m.json"
    path.write_text(json.dumps(obj))
    r = cli("predict", path, "--x", "3", "--json")
    _check(r, ("predictions",))


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    from descend.cli.app import main

    root = tmp_path_factory.mktemp("ck")
    (root / "h.csv").write_text(HOUSES)
    ck = root / "run.json"
    assert main(["fit", str(root / "h.csv"), "--optimizer", "adam", "--max-iter", "5",
                 "--checkpoint", str(ck), "-q"]) == 0
    return root / "h.csv", json.loads(ck.read_text())


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@SETTINGS
@given(data=st.data(), value=JSON_VALUES)
def test_generated_checkpoints(cli, saved_run, tmp_path_factory, data, value):
    csv, head = saved_run
    head = json.loads(json.dumps(head))
    where = data.draw(st.sampled_from([p for p in _paths(head) if p]))
    node = head
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = value
    ck = tmp_path_factory.mktemp("ck") / "run.json"
    ck.write_text(json.dumps(head))
    r = cli("fit", csv, "--optimizer", "adam", "--max-iter", "8", "--resume", ck, "--json", "-q")
    _check(r, ("coef", "intercept"), may_diverge=True)


@SETTINGS
@given(content=csv_files())
# found by this test: the sniffer split lines at \x1e as str.splitlines does, the readers not
@example(content=b"0,:\x1e,0")
def test_generated_csv_same_verdict_in_memory_and_streamed(cli, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    path.write_bytes(content)
    a = cli("fit", path, "--json", "-q", "--max-iter", "30")
    b = cli("fit", path, "--json", "-q", "--max-iter", "30", "--engine", "stream")
    assert a.code == b.code, (a, b)
    if a.code == 0:
        ca, cb = json.loads(a.stdout), json.loads(b.stdout)
        assert ca["coef"] == pytest.approx(cb["coef"], rel=1e-6, abs=1e-9)
        assert ca["rows"] == cb["rows"]
    else:
        assert a.stderr == b.stderr
