"""Data in: CSV/Parquet files, arrays and data frames as a :class:`Table`, and the moments of
the squared loss (:class:`MomentStats`) that make every full-batch step O(d^2)."""

from descend.data.load import load_table, read_frame, read_parquet
from descend.data.stats import MomentStats, moment_stats
from descend.data.table import Frame, Table

__all__ = [
    "Frame",
    "MomentStats",
    "Table",
    "load_table",
    "moment_stats",
    "read_frame",
    "read_parquet",
]
