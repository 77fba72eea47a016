"""The descent loop: :func:`minimize` runs an optimizer on an objective and returns an
:class:`OptimizeResult` (scipy's field names, a stop reason and the full history)."""

from descend.loop._curvature import Curvature, estimate_curvature, stability_limit
from descend.loop._explain import explain_steps
from descend.loop._linesearch import LoopState
from descend.loop._minimize import IntermediateResult, minimize
from descend.loop.result import History, OptimizeResult, Status

__all__ = [
    "Curvature",
    "History",
    "IntermediateResult",
    "LoopState",
    "OptimizeResult",
    "Status",
    "estimate_curvature",
    "explain_steps",
    "minimize",
    "stability_limit",
]
