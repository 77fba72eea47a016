"""Data in: files, arrays and data frames as rows a fit can pass over, on any engine.

- :mod:`~descend.data.load`: CSV/Parquet files, arrays and data frames into a :class:`Table`.
- :mod:`~descend.data.design`: the design-matrix stage every engine's rows pass through.
- :mod:`~descend.data.stats`: :class:`MomentStats`, the moments that make every full-batch
  step of the squared loss O(d^2).
- :mod:`~descend.data.source`: the row-source protocols (:class:`RowPasses`,
  :class:`ResidualPasses`) and :class:`Prepared`, what a fit needs from any engine.
- :mod:`~descend.data.chunks` / :mod:`~descend.data.stream`: files larger than memory, in
  chunks; :mod:`~descend.data.dask_rows`: Dask collections, as map-reduce.
- :mod:`~descend.data.engine`: which engine a file needs, and :func:`open_rows`, a data set
  prepared on the chosen engine; :mod:`~descend.data.urls`: data at a URL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from descend.data._parquet import PARQUET_SUFFIXES
    from descend.data.design import Design, choose_columns, choose_design
    from descend.data.engine import ENGINES, choose_engine, open_rows
    from descend.data.load import load_table, read_frame, read_parquet
    from descend.data.source import Prepared, ResidualPasses, RowPasses
    from descend.data.stats import MomentStats, moment_stats
    from descend.data.table import Frame, Table, default_feature_names, default_names
    from descend.data.urls import is_url, open_url

#: Where each public name lives: ``descend.data.engine`` (the CLI's engine names) is imported
#: without loading the readers or NumPy.
_WHERE = {
    "PARQUET_SUFFIXES": "_parquet",
    **dict.fromkeys(("Design", "choose_columns", "choose_design"), "design"),
    **dict.fromkeys(("ENGINES", "choose_engine", "open_rows"), "engine"),
    **dict.fromkeys(("load_table", "read_frame", "read_parquet"), "load"),
    **dict.fromkeys(("Prepared", "ResidualPasses", "RowPasses"), "source"),
    **dict.fromkeys(("MomentStats", "moment_stats"), "stats"),
    **dict.fromkeys(("Frame", "Table", "default_feature_names", "default_names"), "table"),
    **dict.fromkeys(("is_url", "open_url"), "urls"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'descend.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"descend.data.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ENGINES",
    "PARQUET_SUFFIXES",
    "Design",
    "Frame",
    "MomentStats",
    "Prepared",
    "ResidualPasses",
    "RowPasses",
    "Table",
    "choose_columns",
    "choose_engine",
    "default_feature_names",
    "default_names",
    "choose_design",
    "is_url",
    "load_table",
    "moment_stats",
    "open_rows",
    "open_url",
    "read_frame",
    "read_parquet",
]
