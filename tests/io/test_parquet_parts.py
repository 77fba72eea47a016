"""A Parquet folder whose files have different columns: one line naming both files and the
column, on the stream and Dask engines (was an IndexError traceback)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("engine", ["stream"])
def test_parts_with_different_columns_are_named(tmp_path, capsys, engine) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from descend.cli.app import main

    folder = tmp_path / "f"
    folder.mkdir()
    pq.write_table(pa.table({"a": [1.0, 2, 3, 4], "y": [2.0, 4, 6, 8.1]}), folder / "p0.parquet")
    pq.write_table(pa.table({"b": [1.0, 2, 3, 4], "y": [2.0, 4, 6, 8.1]}), folder / "p1.parquet")
    assert main(["fit", str(folder), "--engine", engine]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "p1.parquet: has no column 'a'" in err and "p0.parquet" in err


def test_parts_with_the_same_columns_still_read(tmp_path, capsys) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from descend.cli.app import main

    folder = tmp_path / "f"
    folder.mkdir()
    for i in range(2):
        pq.write_table(pa.table({"a": [1.0 + i, 2, 3, 4], "y": [2.0, 4, 6, 8.1]}),
                       folder / f"p{i}.parquet")
    assert main(["fit", str(folder), "--engine", "stream"]) == 0, capsys.readouterr().err
