"""The estimator's input checks: arrays of finite numbers, one target per row, named columns
put back in the model's order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import InputError

Array = NDArray[np.float64]

__all__ = ["as_2d", "check_xy", "match_columns"]


def as_2d(X: Any, name: str) -> Array:
    """``X`` as a finite, non-empty ``(n, d)`` float64 array (an InputError names what is not)."""
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numbers: {exc}") from None
    if A.ndim == 1:
        raise InputError(
            f"{name} must be 2-D (rows x features); reshape a single feature with "
            "X.reshape(-1, 1)")
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise InputError(f"{name} must be a non-empty 2-D array, got shape {A.shape}")
    if not np.isfinite(A).all():
        raise InputError(f"{name} holds NaN or infinite values; remove or replace them first")
    return A


def check_xy(X: Any, y: Any) -> tuple[Array, Array]:
    """``X`` as a finite ``(n, d)`` float64 array, ``y`` as ``(n,)``."""
    Xa = as_2d(X, "X")
    ya = np.asarray(y, dtype=np.float64)
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1:
        raise InputError(f"y must be one column of numbers, got shape {ya.shape}")
    if ya.shape[0] != Xa.shape[0]:
        raise InputError(
            f"X has {Xa.shape[0]} rows but y has {ya.shape[0]}; give one target per row")
    if not np.isfinite(ya).all():
        raise InputError("y holds NaN or infinite values; remove or replace them first")
    return Xa, ya


def match_columns(X: Any, names: Sequence[Any] | None) -> Any:
    """A pandas/polars ``X`` with the model's feature columns ``names``, in that order.

    Extra columns are ignored, reordered ones put back in order; a missing one is an
    :class:`~descend.errors.InputError` naming it. Anything else passes through.
    """
    columns = getattr(X, "columns", None)
    if columns is None or names is None:
        return X
    cols = [str(c) for c in columns]
    want = [str(c) for c in names]
    if cols == want:
        return X
    missing = [c for c in want if c not in cols]
    if missing:
        raise InputError(
            f"X lacks the column(s) {', '.join(map(repr, missing))} this model was fit on "
            f"(its features: {', '.join(map(repr, want))}; X has "
            f"{', '.join(map(repr, cols[:20]))}{', ...' if len(cols) > 20 else ''})")
    if hasattr(X, "loc"):  # pandas
        return X.loc[:, want]
    return X.select(want)  # polars
