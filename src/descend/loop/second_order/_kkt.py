"""The verdict on a run inside bounds: a minimum on the boundary is named as such (KKT).

With no bound active at the end (every variable strictly inside, or at a bound with a zero
gradient) the run is judged as any other (:func:`descend.loop.verdict.judge_point`). With an
active bound, the first-order KKT conditions are checked (the projected gradient is small and
each active bound's multiplier ``|g_i|`` pushes outwards) and the second-order condition on the
*free* variables (the reduced Hessian is positive semidefinite); the sentence names the bounds
the minimum sits on and says the function's own minimum lies outside the box.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.loop.second_order.bounded import Bounds
from descend.loop.verdict import EIG_RTOL, Judgement, Verdict, _hessian, judge_point

__all__ = ["judge_bounded"]


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def judge_bounded(fun: Any, x: Any, f: float, g: Any, box: Bounds, *, gtol: float,
                  stopped_by: str, history_x: Any) -> Judgement:
    """The verdict at ``x`` for a run inside ``box`` (see the module docstring)."""
    held = box.held(x, g)
    if not held.any():
        return judge_point(fun, x, f, g, gtol=gtol, stopped_by=stopped_by, history_x=history_x)
    pg = box.projected_gradient(x, g)
    pgn = float(np.linalg.norm(pg))
    names = list(fun.variables)
    active = [
        {"variable": names[i], "bound": "lower" if x[i] <= box.lower[i] else "upper",
         "value": float(x[i]), "multiplier": float(abs(g[i]))}
        for i in np.nonzero(held)[0]]
    facts: dict[str, Any] = {"grad_norm": float(np.linalg.norm(g)),
                             "projected_grad_norm": pgn, "active_bounds": active}
    where = ", ".join(
        f"{a['variable']} {'>=' if a['bound'] == 'lower' else '<='} {_fmt(a['value'])}"
        for a in active)
    if pgn > gtol:  # not shown to be a KKT point: stalled, budget spent, ...
        inner = judge_point(fun, x, f, pg, gtol=gtol, stopped_by=stopped_by,
                            history_x=history_x)
        inner.facts.update(facts)
        return inner
    free = ~held
    H = _hessian(fun, x)
    if H is not None and free.any():
        lam = np.linalg.eigvalsh(H[np.ix_(free, free)])
        facts["reduced_hessian_eigenvalues"] = [float(v) for v in lam]
        if lam[0] < -EIG_RTOL * max(float(np.max(np.abs(lam))), 1e-300):
            return Judgement(
                Verdict.NOT_A_MINIMUM,
                f"x = ({', '.join(_fmt(v) for v in x)}) sits on the bound {where} but is not a "
                f"minimum there: the Hessian of the free variables has eigenvalue {lam[0]:.4g}",
                facts)
    return Judgement(
        Verdict.CONVERGED,
        f"converged to a minimum on the bound {where} (KKT: the projected gradient "
        f"|pg| = {pgn:.3g} and the gradient pushes outward on each active bound); the "
        "function's own minimum lies outside the box",
        facts)
