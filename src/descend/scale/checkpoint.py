"""Checkpoints moved beside the loop: :mod:`descend.loop.checkpoint` (this name stays)."""

from descend.loop.checkpoint import (
    FORMAT_VERSION,
    Checkpoint,
    Checkpointer,
    check_state_shapes,
    load_checkpoint,
    save_checkpoint,
)

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "Checkpointer",
    "check_state_shapes",
    "load_checkpoint",
    "save_checkpoint",
]
