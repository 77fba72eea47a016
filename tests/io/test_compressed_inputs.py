"""Compressed and foreign inputs: .csv.gz/.bz2/.zst/.zip read on every engine to the same
numbers as the plain file; an Excel file is named as Excel with the fix."""

from __future__ import annotations

import bz2
import gzip
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROWS = "x,y\n" + "".join(f"{i},{3 * i - 2}\n" for i in range(1, 41))


def _write(path: Path, codec: str) -> Path:
    raw = ROWS.encode()
    if codec == "gz":
        path.write_bytes(gzip.compress(raw))
    elif codec == "bz2":
        path.write_bytes(bz2.compress(raw))
    elif codec == "zst":
        import pyarrow as pa

        with pa.output_stream(str(path), compression="zstd") as out:
            out.write(raw)
    elif codec == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("data.csv", raw)
    return path


def _fit(capsys, *args: str) -> dict:
    from descend.cli.app import main

    capsys.readouterr()
    rc = main(["fit", *args, "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


@pytest.mark.parametrize("engine", ["numpy", "stream"])
@pytest.mark.parametrize("codec", ["gz", "bz2", "zst", "zip"])
def test_a_compressed_csv_reads_as_the_plain_one(tmp_path, capsys, codec, engine) -> None:
    plain = tmp_path / "d.csv"
    plain.write_text(ROWS)
    packed = _write(tmp_path / f"d.csv.{codec}", codec)
    ref = _fit(capsys, str(plain), "--engine", engine)
    got = _fit(capsys, str(packed), "--engine", engine)
    assert got["rows"] == ref["rows"] == 40
    np.testing.assert_array_equal(got["coef"], ref["coef"])  # the same bytes, the same floats
    assert abs(got["coef"][0] - 3.0) < 1e-6 and abs(got["intercept"] + 2.0) < 1e-4


def test_a_gzip_file_named_csv_is_read_by_its_content(tmp_path, capsys) -> None:
    _write(tmp_path / "g.csv", "gz")
    got = _fit(capsys, str(tmp_path / "g.csv"))
    assert abs(got["coef"][0] - 3.0) < 1e-6


def test_an_error_in_a_compressed_file_names_it(tmp_path, capsys) -> None:
    from descend.cli.app import main

    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(b"x,y\n1,2\n3,abc\n4,5\n"))
    assert main(["fit", str(tmp_path / "bad.csv.gz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"descend: error: {tmp_path / 'bad.csv.gz'} (decompressed): ")
    assert "descend-plain-" not in err


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("book.xlsx", "xlsx", "Excel workbook (.xlsx)"),
    ("old.xls", "xls", "Excel 97-2003 workbook (.xls)"),
])
def test_excel_is_named_with_the_fix(tmp_path, capsys, name, content, kind) -> None:
    from descend.cli.app import main

    p = tmp_path / name
    if content == "xlsx":
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("[Content_Types].xml", "<x/>")
            zf.writestr("xl/workbook.xml", "<x/>")
    else:
        p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512)
    assert main(["fit", str(p)]) == 2
    err = capsys.readouterr().err
    assert kind in err and "Save As > CSV" in err and "NUL" not in err and err.count("\n") == 1


def test_a_truncated_gzip_is_named(tmp_path, capsys) -> None:
    from descend.cli.app import main

    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(ROWS.encode())[:40])
    assert main(["fit", str(tmp_path / "t.csv.gz")]) == 2
    err = capsys.readouterr().err
    assert "truncated gzip" in err or "damaged" in err, err
