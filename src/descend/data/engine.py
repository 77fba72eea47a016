"""Which engine a fit should use when the user did not say: the data's size decides.

``descend fit big.parquet`` must not load 2.7 GB into memory (the in-memory engine peaks at
about twice the data as float64, plus the reader's copy): past :data:`STREAM_BYTES` of
float64 the default streams the file in chunks (peak ~0.5 GB whatever its size), below it the
data is loaded, which is fastest for what fits comfortably.

The size is estimated without reading the data: for Parquet, rows x columns x 8 bytes from the
files' metadata; for CSV, the file's size (a float written as text takes 8-25 characters, so
the float64 array is about the size of the text or smaller -- an upper bound that errs towards
streaming). A folder or glob of files always streams (the in-memory engine reads one file).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["STREAM_BYTES", "choose_engine", "float64_bytes"]

#: Estimated float64 bytes above which the default engine streams (512 MiB).
STREAM_BYTES = 512 << 20

_PARQUET = (".parquet", ".pq")


def float64_bytes(
    paths: Sequence[str | os.PathLike[str]], storage_options: dict[str, Any] | None = None
) -> int:
    """The estimated size of the data as a float64 array (see the module docstring); a URL's
    from its Parquet footer or its size in the store."""
    from descend.io._remote import is_url

    total = 0
    for path in paths:
        if is_url(path):
            total += _url_bytes(str(path), storage_options)
            continue
        p = Path(path)
        if p.suffix.lower() in _PARQUET:
            try:
                import pyarrow.parquet as pq

                meta = pq.ParquetFile(p).metadata
                total += int(meta.num_rows) * int(meta.num_columns) * 8
                continue
            except Exception:  # noqa: BLE001 - unreadable metadata: the reader will explain
                pass
        total += p.stat().st_size
    return total


def _url_bytes(url: str, storage_options: dict[str, Any] | None) -> int:
    from descend.io._remote import open_input, remote_size

    if url.lower().endswith(_PARQUET):
        try:
            import pyarrow.parquet as pq

            with open_input(url, storage_options) as fh:
                meta = pq.ParquetFile(fh).metadata
            return int(meta.num_rows) * int(meta.num_columns) * 8
        except Exception:  # noqa: BLE001 - unreadable metadata: the reader will explain
            pass
    return remote_size(url, storage_options)


def choose_engine(
    paths: Sequence[str | os.PathLike[str]],
    *,
    single: bool,
    storage_options: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """``(engine, why)`` for data made of ``paths``; ``single``: one file named directly.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = os.path.join(d, "small.csv")
    ...     _ = open(f, "w").write("x,y\\n1,2\\n2,4\\n")
    ...     choose_engine([f], single=True)[0]
    'numpy'
    """
    if not single:
        return "stream", "a folder or glob of files is streamed"
    size = float64_bytes(paths, storage_options)
    if size > STREAM_BYTES:
        return "stream", (
            f"the data is about {size / 2**30:.2g} GiB as float64 (> {STREAM_BYTES >> 20} MiB): "
            "streamed in chunks, never held whole; --engine numpy loads it instead"
        )
    return "numpy", f"the data is about {size / 2**20:.3g} MiB as float64: loaded into memory"
