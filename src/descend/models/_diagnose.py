"""Words for what went wrong in a fit: which features, on what scale, what limit, what to do."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from descend.errors import ConvergenceWarning

Array = NDArray[np.float64]

__all__ = ["DivergenceWarning", "divergence_message", "small_rate_message", "stability_message"]


class DivergenceWarning(ConvergenceWarning):
    """A fit diverged or oscillates (a step at 2/L); the estimator says why and what to do."""


def _scales(names: Sequence[str], rms: Array, top: int = 3) -> str:
    order = np.argsort(-rms)[:top]
    parts = [f"{names[j]!r} ~ {rms[j]:.3g}" for j in order]
    more = f" (and {len(names) - top} more)" if len(names) > top else ""
    return ", ".join(parts) + more


def stability_message(learning_rate: float, limit: tuple[float, str], *, scaled: bool) -> str:
    """A typed rate above the optimizer's stability limit ``(bound, formula)``."""
    space = "standardised features" if scaled else "these features in their own units"
    bound, formula = limit
    return (
        f"learning_rate={learning_rate:g} is above the stability limit {formula} = {bound:.3g}"
        f" on {space}; the run will diverge. Use learning_rate='auto' "
        f"(--lr auto) or a rate below {bound:.3g}"
        + ("" if scaled else ", or standardise the features (scale=True, --scale)")
    )


def small_rate_message(lr: float, L: float, *, scaled: bool) -> str:
    """A typed rate far below 1/L: say in which coordinates it applies and what it costs."""
    where = (
        "the standardised features (scale=True: x -> (x - mean) / std)"
        if scaled
        else "the features' own units (scale=False)"
    )
    text = (
        f"learning_rate={lr:g} applies to {where}, where the useful range is up to the "
        f"stability limit 2/L = {2.0 / L:.3g} and 1/L = {1.0 / L:.3g} is the best constant "
        f"step; {lr:g} is {1.0 / (lr * L):.3g} times smaller, so gradient descent needs that "
        "many times more steps"
    )
    if scaled:
        text += (
            ". A rate meant for the raw units (as in tutorials) needs scale=False "
            "(--no-scale); or leave learning_rate='auto'"
        )
    else:
        text += "; leave learning_rate='auto' (1/L), or standardise (scale=True)"
    return text


def divergence_message(
    *,
    iteration: int,
    learning_rate: object,
    limit: tuple[float, str] | None,
    optimizer: str,
    names: Sequence[str],
    rms: Array,
    scaled: bool,
) -> str:
    """The diagnosis of a diverged run: the cause first, then the fix. ``limit``: the
    optimizer's stability limit and its formula (``(1.0, "2/L")``), or ``None``."""
    head = f"diverged at iteration {iteration}: the loss grew without bound"
    if limit is None:
        return (
            f"{head} with optimizer {optimizer!r} and learning_rate={learning_rate}; "
            "lower the learning rate or use learning_rate='auto'"
        )
    bound, formula = limit
    lr = learning_rate if isinstance(learning_rate, (int, float)) else None
    cause = (
        f" because learning_rate={lr:g} is above the stability limit {formula} = {bound:.3g}"
        if lr is not None and lr > bound
        else f" (optimizer {optimizer!r}, learning_rate={learning_rate}, limit {formula} = "
        f"{bound:.3g})"
    )
    if scaled:
        why = (
            "; the features are standardised, so L = 2 x the largest eigenvalue of their "
            "correlation matrix (at least 2)"
        )
        fix = f". Use learning_rate='auto' (--lr auto) or a rate below {bound:.3g}"
    else:
        why = (
            f". L is set by the feature scales (root mean square: {_scales(names, rms)}): "
            "the curvature along a coefficient is 2 x the mean of its feature squared, "
            "along the intercept only 2"
        )
        fix = (
            ". Standardise the features (scale=True, --scale; coefficients are still "
            f"reported in your units), use learning_rate='auto' (--lr auto), or a rate below "
            f"{bound:.3g}"
        )
    return head + cause + why + fix
