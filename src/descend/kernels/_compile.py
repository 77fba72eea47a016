"""Compiling one kernel signature from its key, on small specimen arrays (numba loads here)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from descend.kernels import _dot2 as dot2
from descend.kernels import _full_pass as fp
from descend.kernels import _moments as moments
from descend.kernels import _predict as predict
from descend.kernels._common import COL_ROWS, block_rows, specimen
from descend.kernels._stamps import _LOADED, compile_lock, mark_ready

__all__ = ["compile_key"]


def compile_key(key: str) -> None:
    """Compile the signature ``key`` (:func:`descend.kernels._common.signature_key`) into the
    disk cache and stamp it; no notice (the caller gives one for all of its keys)."""
    fn: Any
    args: tuple[Any, ...]
    if key.startswith("block"):
        from descend.kernels._blocks import compile_specimen

        fn, args = compile_specimen(key)
    elif key.startswith("read-"):
        fn, args = predict._read, (np.zeros(64, dtype=np.uint64), 1024)
    else:
        kernel, loss, unrolled, X, y = specimen(key)
        d = X.shape[0] if kernel.endswith("_cols") else X.shape[1]
        w, out = np.zeros(d), np.empty(64)
        if kernel == "stats":
            fn, args = moments._stats, (X, y, block_rows(d))
        elif kernel == "grad":
            fn, args = fp._kernel("grad", loss, unrolled), (X, y, w, 0.0, loss, 1.35, 1024)
        elif kernel == "grad_cols":
            fn, args = fp._kernel("grad_cols", loss), (X, y, w, 0.0, loss, 1.35, COL_ROWS)
        elif kernel == "batched":
            fn, args = fp._kernel("batched", loss), (X, y, np.zeros((2, d)), np.zeros(2), 1.35, 16)
        elif kernel == "dot2":
            fn, args = dot2._run, (X, y, 0.0, w, w)
        elif kernel == "predict":
            fn, args = predict._predict_rows(unrolled), (X, w, 0.0, out, 1024)
        else:
            fn, args = predict._predict_cols, (X, w, 0.0, out, COL_ROWS)
    t0 = time.perf_counter()
    with compile_lock():
        fn(*args)
    _LOADED.add(key)
    mark_ready(key, time.perf_counter() - t0)
