"""Files larger than memory, in chunks -- moved to the data layer; these names stay here.

The reader (:class:`ChunkSource`, :func:`open_source`) lives in :mod:`descend.data.chunks`,
the passes over it (:func:`stats_from_file`, :func:`loss_and_grad_stream`, the residual
passes, :func:`iter_minibatches`) in :mod:`descend.data.stream`.
"""

from __future__ import annotations

from descend.data.chunks import (
    DEFAULT_CHUNK_BYTES,
    ChunkSource,
    default_chunk_rows,
    open_source,
)
from descend.data.stream import (
    Progress,
    anchored_residuals_stream,
    centred_residuals_stream,
    iter_minibatches,
    loss_and_grad_stream,
    r_factor_stream,
    stats_from_file,
)

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "ChunkSource",
    "Progress",
    "anchored_residuals_stream",
    "centred_residuals_stream",
    "default_chunk_rows",
    "iter_minibatches",
    "loss_and_grad_stream",
    "open_source",
    "r_factor_stream",
    "stats_from_file",
]
