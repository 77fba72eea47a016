"""Weak inputs judged as they are: a first line past the sniffer's 64 KB (a 100,000-column
header, a 2 MB cell) read to its end, a file without line ends refused by name, and
Windows-1252 text named as such -- on the in-memory and the stream engines alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from descend.data import _csv
from descend.data._csv import sniff_csv
from descend.errors import DataError


@pytest.fixture
def fit(capsys: pytest.CaptureFixture[str]):
    from descend.cli.app import main

    def run(*args: object) -> tuple[int, list[str], str]:
        code = main(["fit", *(str(a) for a in args)])
        captured = capsys.readouterr()
        return code, [ln for ln in captured.err.splitlines() if ln.strip()], captured.out

    return run


@pytest.mark.parametrize("engine", ["numpy", "stream"])
def test_a_100000_column_header_is_counted_whole(tmp_path: Path, fit, engine: str) -> None:
    p = tmp_path / "wide.csv"
    k = 100_001
    p.write_text(",".join(f"c{i}" for i in range(k)) + "\n" + ",".join("1" * k) + "\n")
    code, err, _ = fit(p, "--engine", engine)
    # before: "has 10,950 columns", judged from the header cut at 64 KB
    assert code == 2 and err == [
        f"descend: error: {p}: has 100,001 columns; descend reads at most 2,049 (2,048 features "
        "and a target: the fit's curvature is a d x d matrix); keep only the columns to fit "
        "(e.g. with polars or csvcut) and try again"]


@pytest.mark.parametrize("engine", ["numpy", "stream"])
def test_a_2mb_cell_is_named_at_its_line(tmp_path: Path, fit, engine: str) -> None:
    p = tmp_path / "long.csv"
    p.write_text("x,y\n" + "a" * 2_000_000 + ",2\n3,4\n5,6\n")
    code, err, _ = fit(p, "--engine", engine)
    # before: "has a header (x, y) but no data rows" (the 64 KB head held no whole row)
    assert code == 2 and len(err) == 1 and err[0].startswith(f"descend: error: {p}: ")
    assert "line 2" in err[0] and "no data rows" not in err[0], err


def test_a_file_without_line_ends_is_refused_by_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(_csv, "_LINE_CAP", 1 << 18)
    p = tmp_path / "one.csv"
    p.write_text("1," * 200_000)
    with pytest.raises(DataError, match=r"one\.csv: no line ends in its first 262,144 bytes"):
        sniff_csv(p)


@pytest.mark.parametrize("engine", ["numpy", "stream"])
def test_windows_1252_is_read_and_named(tmp_path: Path, fit, engine: str) -> None:
    p = tmp_path / "euro.csv"
    p.write_bytes("Preis €,Größe – “m²”\n1,2\n2,4.5\n3,6\n".encode("cp1252"))
    code, err, out = fit(p, "--engine", engine, "--json")
    assert code == 0, err
    assert err == [f"descend: warning: {p}: is not UTF-8; read as Windows-1252 (its bytes "
                   "0x80-0x9f are that encoding's letters and signs); save it as UTF-8 CSV to "
                   "be sure of the names"]
    import json

    result = json.loads(out)
    # before: Latin-1, 'Preis \x80' (a control code) and 'Größe \x96 \x93m²\x94'
    assert result["features"] == ["Preis €"] and result["target"] == "Größe – “m²”"


def test_latin_1_without_windows_letters_stays_latin_1(tmp_path: Path) -> None:
    p = tmp_path / "l1.csv"
    p.write_bytes("größe,y\n1,2\n2,4\n".encode("latin-1"))
    layout = sniff_csv(p)
    assert layout is not None and layout.encoding == "latin-1" and layout.names[0] == "größe"
