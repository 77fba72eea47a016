"""The fused kernels' public names, kept where they were: they live in :mod:`descend.kernels`
(split by family: ``_moments``, ``_full_pass``, ``_predict``; the facade in its ``__init__``).

These functions always run the compiled kernel (compiling it on first use, announced on
stderr); the facade's :func:`~descend.kernels.full_pass`, :func:`~descend.kernels.moments` and
:func:`~descend.kernels.predict` run NumPy until a kernel is compiled. Importing this module
imports numba.
"""

from __future__ import annotations

from descend.kernels import LOSSES, cache_dir, kernel_threads
from descend.kernels._full_pass import loss_and_grad_batched_fast, loss_and_grad_fast
from descend.kernels._jit import HAVE_NUMBA
from descend.kernels._moments import moment_stats_fast
from descend.kernels._predict import predict_fast, read_pass

__all__ = [
    "HAVE_NUMBA",
    "LOSSES",
    "cache_dir",
    "kernel_threads",
    "loss_and_grad_batched_fast",
    "loss_and_grad_fast",
    "moment_stats_fast",
    "predict_fast",
    "read_pass",
]
