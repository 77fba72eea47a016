"""Plain data for the figures: a 2-D function on grids, descent paths, the window to show.

Figures take plain things (a callable ``f(X, Y)``, arrays of points, arrays of losses); this
module turns the library's objects (an ``Objective``, an ``OptimizeResult``) into them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import InputError
from descend.geometry import _robust_points, choose_window, find_minimum  # noqa: F401 - re-exported

Array = NDArray[np.float64]
GridFunction = Callable[[Array, Array], Array]

__all__ = [
    "Field",
    "as_field",
    "as_path",
    "as_paths",
    "choose_window",
    "find_minimum",
    "path_verdicts",
    "paths_title",
    "run_label",
]


@dataclass(frozen=True)
class Field:
    """A scalar function of two variables evaluated on grids.

    ``values(X, Y)`` and ``gradient(X, Y) -> (U, V)`` take same-shaped arrays. ``names`` are
    the axis labels, ``formula`` the text shown in titles (may be empty).
    """

    values: GridFunction
    gradient: Callable[[Array, Array], tuple[Array, Array]]
    names: tuple[str, str] = ("x", "y")
    formula: str = ""
    objective: Any = None


def _numeric_gradient(f: GridFunction) -> Callable[[Array, Array], tuple[Array, Array]]:
    def grad(X: Array, Y: Array) -> tuple[Array, Array]:
        # Central differences, step relative to the coordinates (error O(h^2)).
        hx = 1e-6 * np.maximum(1.0, np.abs(X))
        hy = 1e-6 * np.maximum(1.0, np.abs(Y))
        U = (f(X + hx, Y) - f(X - hx, Y)) / (2 * hx)
        V = (f(X, Y + hy) - f(X, Y - hy)) / (2 * hy)
        return U, V

    return grad


def _grid_callable(f: Callable[..., Any]) -> GridFunction:
    """Call ``f`` on whole arrays when it broadcasts, else point by point."""

    def values(X: Array, Y: Array) -> Array:
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        try:
            with np.errstate(all="ignore"):
                Z = np.asarray(f(X, Y), dtype=float)
            if Z.shape == X.shape:
                return Z
        except Exception:  # noqa: S110 - fall back to scalar calls below
            pass
        out = np.empty(X.shape)
        for idx in np.ndindex(X.shape):
            out[idx] = float(f(float(X[idx]), float(Y[idx])))
        return out

    return values


def _points(X: Array, Y: Array) -> Array:
    """The grid's points as rows of a C-ordered ``(m, 2)`` float64 array (``X``'s order)."""
    return np.stack([np.asarray(X, dtype=float).reshape(-1), np.asarray(Y, dtype=float).reshape(-1)],
                    axis=1)


def as_field(fun: Any, *, names: Sequence[str] | None = None, formula: str = "") -> Field:
    """A :class:`Field` from an Objective of two variables, a ``Field``, ``f(X, Y)``, or an
    expression's text (as every other entry point takes it)."""
    if isinstance(fun, str):
        from descend.expr import function

        fun = function(fun, variables=names)
    if isinstance(fun, Field):
        return fun
    if hasattr(fun, "value") and hasattr(fun, "grad") and hasattr(fun, "n"):
        if fun.n != 2:
            raise InputError(
                f"a contour plot needs a function of two variables; this one has {fun.n} "
                f"({', '.join(getattr(fun, 'variables', ()))})"
            )
        obj = fun
        if hasattr(fun, "values_at") and hasattr(fun, "gradients_at"):
            return _vectorised_field(fun, formula)

        def values(X: Array, Y: Array) -> Array:
            out = np.empty(np.shape(X))
            flat = out.reshape(-1)
            with np.errstate(all="ignore"):
                # One (m, 2) array whose rows are the points: each row is a float64 vector the
                # objective takes as it is (no array built per point).
                for k, p in enumerate(_points(X, Y)):
                    try:
                        flat[k] = obj.value(p)
                    except (ArithmeticError, ValueError):
                        flat[k] = np.nan
            return out

        def gradient(X: Array, Y: Array) -> tuple[Array, Array]:
            U = np.empty(np.shape(X))
            V = np.empty(np.shape(X))
            u, v = U.reshape(-1), V.reshape(-1)
            with np.errstate(all="ignore"):
                for k, p in enumerate(_points(X, Y)):
                    try:
                        g = obj.grad(p)
                        u[k], v[k] = g[0], g[1]
                    except (ArithmeticError, ValueError):
                        u[k] = v[k] = np.nan
            return U, V

        var = tuple(getattr(fun, "variables", ()) or ("x", "y"))
        text = formula or typed_formula(fun)
        return Field(values, gradient, (var[0], var[1]), text, obj)
    if callable(fun):
        values_fn = _grid_callable(fun)
        nm = tuple(names) if names else ("x", "y")
        return Field(values_fn, _numeric_gradient(values_fn), (nm[0], nm[1]), formula)
    raise InputError(
        f"cannot plot {type(fun).__name__}: give an Objective of two variables or a callable f(X, Y)"
    )


def typed_formula(fun: Any) -> str:
    """The objective's formula as the user typed it, spaced as descend prints formulas
    (``'(1 - x)**2 + 100*(y - x**2)**2'``, not SymPy's reordered ``100*(-x**2 + y)**2``);
    its ``formula`` where it was not typed (built in code) or has none.

    >>> from descend import function
    >>> typed_formula(function("(1 - x)**2 + 100*(y - x**2)**2"))
    '(1 - x)**2 + 100*(y - x**2)**2'
    """
    formula = str(getattr(fun, "formula", "") or "")
    text = getattr(fun, "text", None)
    if not isinstance(text, str) or not text:
        return formula
    from descend.expr.tree import formula_text, parse_tree

    try:
        return formula_text(parse_tree(text))
    except InputError:  # a formula the tree does not read (SymPy's own): print it as SymPy does
        return formula


def _vectorised_field(fun: Any, formula: str) -> Field:
    """A :class:`Field` of an objective that evaluates many points at once (a
    :class:`~descend.expr.treefunction.TreeFunction`): one NumPy pass per grid, the same
    values as point by point to rounding."""

    def values(X: Array, Y: Array) -> Array:
        return np.asarray(fun.values_at(_points(X, Y)), dtype=np.float64).reshape(np.shape(X))

    def gradient(X: Array, Y: Array) -> tuple[Array, Array]:
        G = np.asarray(fun.gradients_at(_points(X, Y)), dtype=np.float64)
        return G[:, 0].reshape(np.shape(X)), G[:, 1].reshape(np.shape(X))

    var = tuple(getattr(fun, "variables", ()) or ("x", "y"))
    text = formula or typed_formula(fun)
    return Field(values, gradient, (var[0], var[1]), text, fun)


def as_path(p: Any) -> Array:
    """``(k, 2)`` points of a path from an OptimizeResult, a model history or an array."""
    hist = getattr(p, "history", None)
    if hist is not None and hasattr(hist, "x"):
        p = hist.x
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"a path must be an array of (x, y) points, shape (k, 2); got {arr.shape}")
    return arr


def run_label(r: Any, i: int) -> str:
    """A legend label for a run: optimizer and learning rate when the result knows them."""
    name = str(getattr(r, "optimizer", "") or "")
    lr = getattr(r, "learning_rate", None)
    if not name:
        return f"path {i + 1}"
    if isinstance(lr, (int, float)):
        return f"{name}, lr = {lr:g}"
    if isinstance(lr, str) and lr != name:  # a second-order method's lr is its own name
        return f"{name}, lr = {lr}"
    return name


#: How a legend names each verdict (descend.loop.verdict.Verdict values).
#: What each stop rule means, for the annotation (names are descend.loop.Status values).
STOP_REASONS = {
    "gtol": "gradient small enough (|∇f| ≤ gtol)",
    "target_loss": "loss reached target_loss",
    "no_progress": "loss stopped improving (tol)",
    "max_iter": "iteration budget spent (max_iter)",
    "time_limit": "time limit reached",
    "callback": "stopped by the callback",
    "interrupted": "interrupted",
    "diverged": "the loss grew without bound: the step is too large",
}

VERDICT_WORDS = {
    "converged": "converged",
    "not_a_minimum": "not a minimum",
    "oscillating": "oscillating",
    "diverged": "diverged",
    "unbounded_below": "unbounded below",
    "stalled": "stalled",
    "budget_spent": "not converged (max_iter)",
    "target_reached": "target reached",
    "stopped": "stopped",
}


def paths_title(formula: str, results: Sequence[Any]) -> str | None:
    """A race only when several optimizers ran; several starts of one are paths, not a race.

    None for one run (the figure's own title says what it draws).
    """
    if len(results) < 2:
        return None
    names = {str(getattr(r, "optimizer", "") or "") for r in results}
    if len(names) > 1:
        return f"Optimizer race on {formula}"
    starts = {tuple(float(v) for v in np.asarray(r.history.x)[0]) for r in results}
    name = next(iter(names)) or "descent"
    return f"{name} on {formula}: {len(results)} runs from {len(starts)} start{'s' * (len(starts) > 1)}"


def path_verdicts(paths: Any) -> list[str | None]:
    """The verdict of each run in ``paths`` (as :func:`as_paths` orders them), or None."""
    if paths is None or isinstance(paths, Mapping):
        seq = [] if paths is None else list(paths.values())
    elif hasattr(paths, "history") or (isinstance(paths, np.ndarray) and paths.ndim == 2):
        seq = [paths]
    else:
        seq = list(paths)
    out: list[str | None] = []
    for p in seq:
        v = getattr(p, "verdict", None)
        out.append(None if v is None else str(v))
    return out


def as_paths(
    paths: Any, labels: Sequence[str] | None = None
) -> tuple[list[Array], list[str]]:
    """Normalise ``None``, one path, a list of paths/results or a ``{label: path}`` mapping."""
    if paths is None:
        return [], []
    if isinstance(paths, Mapping):
        items = list(paths.items())
        return [as_path(v) for _, v in items], [str(k) for k, _ in items]
    if hasattr(paths, "history") or (
        isinstance(paths, np.ndarray) and paths.ndim == 2
    ):
        paths = [paths]
    seq = list(paths)
    out = [as_path(p) for p in seq]
    if labels is None:
        labels = [run_label(p, i) for i, p in enumerate(seq)]
    return out, list(labels)
