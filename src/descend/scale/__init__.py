"""Scale: fused single-pass kernels, streaming from files, Dask, checkpoints, batched runs.

- :mod:`~descend.scale.kernels`: ``moment_stats_fast``, ``loss_and_grad_fast``,
  ``loss_and_grad_batched_fast``, ``predict_fast`` -- one read of ``X`` per pass (numba, with a
  NumPy fallback); re-exported from :mod:`descend.kernels`, where they live.
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

from descend.scale.checkpoint import Checkpoint, Checkpointer, load_checkpoint, save_checkpoint
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

# Loaded on first use: Dask is slow to import, and the kernels' module imports numba (~1 s),
# which a streamed fit whose kernels are not compiled yet never needs (descend.kernels).
_LAZY = {
    **dict.fromkeys(("moment_stats_dask", "loss_and_grad_dask"), "descend.scale.dask_engine"),
    **dict.fromkeys(("HAVE_NUMBA", "loss_and_grad_batched_fast", "loss_and_grad_fast",
                     "moment_stats_fast", "predict_fast", "read_pass"), "descend.scale.kernels"),
    "batched_loss_and_grad": "descend.scale.batched",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'descend.scale' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

