"""Shared data files, the CLI runner and a two-process Dask cluster for the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from integration_data import make_data


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same rows as a CSV, a single Parquet file and a folder of three Parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("integration")
    X, y = make_data()
    csv = root / "houses.csv"
    lines = ["a,b,c,price"] + [
        ",".join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y, strict=True)
    ]
    csv.write_text("\n".join(lines) + "\n")
    table = {"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "price": y}
    single = root / "houses.parquet"
    pq.write_table(pa.table(table), single, row_group_size=250)
    folder = root / "parts"
    folder.mkdir()
    n = len(y)
    for i in range(3):
        sl = slice(i * n // 3, (i + 1) * n // 3)
        pq.write_table(
            pa.table({k: v[sl] for k, v in table.items()}),
            folder / f"part{i}.parquet",
            row_group_size=150,
        )
    return {"csv": csv, "parquet": single, "folder": folder}


@pytest.fixture
def cluster(dask_cluster):
    """The session's two-process Dask cluster (the root conftest.py); its address for --scheduler."""
    return dask_cluster
