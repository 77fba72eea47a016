"""Scale: fused single-pass kernels, streaming from files, Dask, checkpoints, batched runs.

- :mod:`~descend.scale.kernels`: ``moment_stats_fast``, ``loss_and_grad_fast``,
  ``loss_and_grad_batched_fast``, ``predict_fast`` -- one read of ``X`` per pass (numba, with a
  NumPy fallback).
- :mod:`~descend.scale.stream`: ``stats_from_file``, ``open_source``, ``loss_and_grad_stream``,
  ``iter_minibatches`` -- Parquet/CSV larger than memory, in chunks.
- :mod:`~descend.scale.dask_engine`: ``moment_stats_dask``, ``loss_and_grad_dask`` -- map-reduce
  over Dask partitions (imported on first use; Dask is slow to import).
- :mod:`~descend.scale.checkpoint`: ``save_checkpoint``, ``load_checkpoint``, ``Checkpointer``
  (they live beside the loop, in :mod:`descend.loop.checkpoint`).
- :mod:`~descend.scale.batched`: ``batched_loss_and_grad`` -- one pass over the rows for many
  runs (the passes of :func:`descend.models.sweep_learning_rates`, the one sweep).

See ``docs/scaling.md`` for the cost model and how to run on a cluster.
"""

from __future__ import annotations

from typing import Any

from descend.scale.batched import batched_loss_and_grad
from descend.scale.checkpoint import Checkpoint, Checkpointer, load_checkpoint, save_checkpoint
from descend.scale.kernels import (
    HAVE_NUMBA,
    loss_and_grad_batched_fast,
    loss_and_grad_fast,
    moment_stats_fast,
    predict_fast,
    read_pass,
)
from descend.scale.stream import (
    ChunkSource,
    iter_minibatches,
    loss_and_grad_stream,
    open_source,
    stats_from_file,
)

__all__ = [
    "HAVE_NUMBA",
    "Checkpoint",
    "Checkpointer",
    "batched_loss_and_grad",
    "ChunkSource",
    "install_fast_kernels",
    "iter_minibatches",
    "load_checkpoint",
    "loss_and_grad_batched_fast",
    "loss_and_grad_dask",
    "loss_and_grad_fast",
    "loss_and_grad_stream",
    "moment_stats_dask",
    "moment_stats_fast",
    "open_source",
    "predict_fast",
    "read_pass",
    "save_checkpoint",
    "stats_from_file",
]

_LAZY = {"moment_stats_dask", "loss_and_grad_dask"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from descend.scale import dask_engine

        return getattr(dask_engine, name)
    raise AttributeError(f"module 'descend.scale' has no attribute {name!r}")


def install_fast_kernels() -> bool:
    """Register the fused kernels with the models' seam now (rather than lazily).

    ``models`` sits below ``scale`` and never imports it; it asks ``descend._backends`` for a
    kernel before each large full pass, and the package root registers ours there lazily.
    This registers them eagerly (``descend._backends.use_fast_kernels``), or through
    ``descend.models.losses.use_fast_kernels`` where a models version offers that instead.
    Returns whether a seam was found.
    """
    hooks = []
    try:
        from descend import _backends

        hooks.append(getattr(_backends, "use_fast_kernels", None))
    except ImportError:  # pragma: no cover - part of the package
        pass
    try:
        from descend.models import losses

        hooks.append(getattr(losses, "use_fast_kernels", None))
    except ImportError:  # pragma: no cover - models is part of the package
        pass
    hook = next((h for h in hooks if h is not None), None)
    if hook is None:
        return False
    hook(loss_and_grad=loss_and_grad_fast, moment_stats=moment_stats_fast, predict=predict_fast)
    return True
