"""DATA paths and CSV files: a literal path is a file (a glob only when asked for), folders
and globs that find nothing are one line, wide files are refused by a documented limit, and
names reach the terminal and the HTML report escaped."""

from __future__ import annotations

import json

import pytest
from hostile_data import HOUSES


def _coef(r):
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)["coef"][0]


def test_a_literal_name_with_brackets_is_that_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a1.csv").write_text("x,y\n1,2\n2,4\n3,7\n")  # slope 2.5
    (tmp_path / "a[1].csv").write_text("x,y\n1,10\n2,30\n3,40\n")  # slope 15
    for engine in ("numpy", "stream"):
        assert _coef(cli("fit", "a[1].csv", "--json", "--engine", engine)) == pytest.approx(15.0)
    # asked for as a glob, [1] is a character class: a1.csv
    assert _coef(cli("fit", "glob:a[1].csv", "--json", "--engine", "stream")) == pytest.approx(2.5)


def test_a_missing_name_with_brackets_is_not_silently_globbed(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b1.csv").write_text("x,y\n1,2\n2,4\n3,7\n")
    r = cli("fit", "b[1].csv")
    assert r.one_line_error and "b[1].csv: no such file" in r.stderr
    assert "write glob:b[1].csv" in r.stderr  # how to ask for a glob


@pytest.mark.parametrize("engine", ["stream", "dask"])
@pytest.mark.parametrize(
    ("spec", "must_say"),
    [
        ("empty", "folder holds no .parquet files"),
        ("nomatch*.parquet", "no file matches this pattern"),
        ("glob:nomatch[0-9].parquet", "no file matches this pattern"),
        ("glob:", "an empty glob"),
        ("missing.csv", "missing.csv: no such file"),
    ],
)
def test_folders_and_globs_that_find_nothing(cli, scheduler, tmp_path, monkeypatch, engine, spec, must_say):
    from hostile_data import engine_args

    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    r = cli("fit", spec, *engine_args(engine, scheduler))
    assert r.one_line_error and must_say in r.stderr, r


def test_the_in_memory_engine_names_the_engines_for_a_folder(cli, tmp_path):
    (tmp_path / "parts").mkdir()
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 7.0]}), tmp_path / "parts" / "p.parquet")
    r = cli("fit", tmp_path / "parts", "--engine", "numpy")
    assert r.one_line_error and "needs --engine stream or --engine dask" in r.stderr
    r = cli("fit", tmp_path / "parts")  # the default engine streams a folder
    assert r.code == 0 and "engine: stream" in r.stdout


def test_a_very_wide_file_is_refused_quickly_by_a_documented_limit(cli, tmp_path):
    from descend.data._csv import MAX_COLUMNS

    wide = tmp_path / "wide.csv"
    header = ",".join(f"c{j}" for j in range(10_000))
    row = ",".join("1" for _ in range(10_000))
    wide.write_text("\n".join([header, row, row.replace("1", "2", 1), row]) + "\n")
    for args in (("fit", wide), ("fit", wide, "--engine", "stream"), ("sweep", wide)):
        r = cli(*args)
        assert r.one_line_error and f"descend reads at most {MAX_COLUMNS:,}" in r.stderr
    doc = (__import__("pathlib").Path(__file__).parents[2] / "docs" / "input-and-output.md").read_text()
    assert f"{MAX_COLUMNS:,}" in doc  # the limit is documented


def test_ansi_escapes_in_names_do_not_reach_the_terminal(cli, tmp_path):
    data = tmp_path / "a.csv"
    data.write_text("\x1b[31mred\x1b[0m,[bold]y\n1,2\n2,4\n3,7\n")
    r = cli("fit", data)
    assert r.code == 0 and "\x1b" not in r.stdout
    assert "\\x1b[31mred" in r.stdout and "[bold]y" in r.stdout  # shown, not obeyed
    r = cli("fit", data, "--target", "nope")
    assert r.one_line_error and "\x1b" not in r.stderr


def test_script_like_names_are_escaped_in_the_html_report(cli, tmp_path):
    data = tmp_path / "s.csv"
    data.write_text("<!--<script>,</script><b>y\n1,2\n2,4\n3,7\n")
    page = tmp_path / "r.html"
    r = cli("fit", data, "--html", page)
    assert r.code == 0, r.stderr
    text = page.read_text()
    start = text.index('id="descend-data"')
    block = text[start : text.index("</script>", start)]
    # the data block holds no raw '<' at all: the names cannot open a comment or end the script
    assert "<" not in block.split(">", 1)[1]
    payload = json.loads(block.split(">", 1)[1])
    assert "<!--<script>" in json.dumps(payload, ensure_ascii=False)


def test_nul_byte_is_placed_by_line_and_column(cli, tmp_path):
    data = tmp_path / "n.csv"
    data.write_bytes(HOUSES.encode() + b"2700,45\x0000\n")
    r = cli("fit", data)
    assert r.one_line_error and "line 7, column 8 holds a NUL byte" in r.stderr
