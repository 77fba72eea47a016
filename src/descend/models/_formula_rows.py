"""The rows of a formula's design, batch by batch: what the formula fits on every engine share
(:mod:`descend.models.analysis`, and its compiled sweeps in :mod:`descend.models._formula_pass`).

Kept below both, so neither imports the other to read a batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.data.formula import Design, MissingReport
from descend.errors import InputError
from descend.models.sandwich import CovSpec

Array = NDArray[np.float64]

__all__ = ["batch_rows", "text_levels"]


def _groups(frame: Any, spec: CovSpec, keep: Any) -> Any:
    """The cluster label of every row the design kept, or ``None`` when not clustering."""
    if spec.kind != "cluster":
        return None
    column = "__groups" if "__groups" in frame.columns else str(spec.groups)
    labels = frame[column].reset_index(drop=True)[keep]
    if labels.isna().any():
        raise InputError(f"cov_type='cluster': the cluster column {column!r} has empty cells "
                         "in rows the fit uses; fill them or drop those rows")
    return labels.to_numpy()


def text_levels(design: Design) -> list[str]:
    """The text columns a Parquet file should give as dictionary codes."""
    if design.layout() is None:
        return []
    return [c for c, lv in design.levels if all(isinstance(v, str) for v in lv)]


def batch_rows(design: Design, spec: CovSpec, batch: Any, missing: str, offset: int,
               path: str) -> tuple[Any, Array, MissingReport, Any]:
    """One record batch's ``(X, y, missing report, groups)`` (see :func:`descend.models.analysis._file_chunks`)."""
    from descend.data.blocks import blocks_from_arrow

    X: Any
    got = blocks_from_arrow(design, batch, missing=missing, row_offset=offset, source=path)
    if got is None:
        frame = batch.to_pandas()
        X, y, report, keep = design.rows(frame, missing=missing, row_offset=offset, source=path)
        return X, y, report, _groups(frame, spec, keep)
    X, y, report, keep = got
    return X, y, report, _arrow_groups(batch, spec, keep)


def _arrow_groups(batch: Any, spec: CovSpec, keep: Any) -> Any:
    """:func:`_groups` of an Arrow record batch."""
    if spec.kind != "cluster":
        return None
    column = batch.column(str(spec.groups))
    if column.null_count and np.asarray(column.is_null().to_numpy(zero_copy_only=False))[keep].any():
        raise InputError(f"cov_type='cluster': the cluster column {spec.groups!r} has empty "
                         "cells in rows the fit uses; fill them or drop those rows")
    return np.asarray(column.to_numpy(zero_copy_only=False))[keep]


def _moments(X: Any, y: Array) -> Any:
    from descend.data.blocks import Blocks, block_moments
    from descend.data.stats import moment_stats

    return block_moments(X, y) if isinstance(X, Blocks) else moment_stats(X, y)
