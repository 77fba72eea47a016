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

Array = NDArray[np.float64]
GridFunction = Callable[[Array, Array], Array]

__all__ = [
    "Field",
    "as_field",
    "as_path",
    "as_paths",
    "choose_window",
    "find_minimum",
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

        def values(X: Array, Y: Array) -> Array:
            out = np.empty(np.shape(X))
            with np.errstate(all="ignore"):
                for idx in np.ndindex(out.shape):
                    try:
                        out[idx] = obj.value(np.array([X[idx], Y[idx]], dtype=float))
                    except (ArithmeticError, ValueError):
                        out[idx] = np.nan
            return out

        def gradient(X: Array, Y: Array) -> tuple[Array, Array]:
            U = np.empty(np.shape(X))
            V = np.empty(np.shape(X))
            with np.errstate(all="ignore"):
                for idx in np.ndindex(U.shape):
                    try:
                        g = obj.grad(np.array([X[idx], Y[idx]], dtype=float))
                        U[idx], V[idx] = g[0], g[1]
                    except (ArithmeticError, ValueError):
                        U[idx] = V[idx] = np.nan
            return U, V

        var = tuple(getattr(fun, "variables", ()) or ("x", "y"))
        text = formula or str(getattr(fun, "formula", "") or "")
        return Field(values, gradient, (var[0], var[1]), text, obj)
    if callable(fun):
        values_fn = _grid_callable(fun)
        nm = tuple(names) if names else ("x", "y")
        return Field(values_fn, _numeric_gradient(values_fn), (nm[0], nm[1]), formula)
    raise InputError(
        f"cannot plot {type(fun).__name__}: give an Objective of two variables or a callable f(X, Y)"
    )


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
    if isinstance(lr, str):
        return f"{name}, lr = {lr}"
    return name


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


def _robust_points(path: Array) -> Array:
    """The part of a path worth fitting a window to: finite, and not flown off to infinity."""
    finite = path[np.all(np.isfinite(path), axis=1)]
    if len(finite) == 0:
        return finite
    ref = float(np.max(np.abs(finite[0]))) + 1.0
    keep = np.max(np.abs(finite - finite[0]), axis=1) <= 20.0 * ref
    return finite[keep]


def choose_window(
    paths: Sequence[Array],
    *,
    center: Array | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    pad: float = 0.12,
    max_ratio: float | None = 1.6,
    min_half: tuple[float, float] = (1.0, 1.0),
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A window holding every path (and ``center``, e.g. the minimum), padded.

    Without paths the window is centred on ``center`` (or the origin) with half-widths 3.
    ``max_ratio`` widens the narrow side so an equal-aspect plot is not a sliver.
    """
    pts = [_robust_points(p) for p in paths]
    pts = [p for p in pts if len(p)]
    if center is not None and np.all(np.isfinite(center)):
        pts.append(np.asarray(center, dtype=float).reshape(1, 2))
    if not pts or (len(pts) == 1 and center is not None and not paths):
        c = np.zeros(2) if center is None else np.asarray(center, dtype=float)
        lo, hi = c - 3.0 * np.asarray(min_half), c + 3.0 * np.asarray(min_half)
    else:
        allp = np.vstack(pts)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        span = hi - lo
        mid = (hi + lo) / 2
        half = np.maximum(span / 2 * (1 + 2 * pad), np.asarray(min_half))
        if max_ratio is not None:
            half = np.maximum(half, half.max() / max_ratio)
        lo, hi = mid - half, mid + half
    xl = xlim if xlim is not None else (float(lo[0]), float(hi[0]))
    yl = ylim if ylim is not None else (float(lo[1]), float(hi[1]))
    for lim, name in ((xl, "xlim"), (yl, "ylim")):
        if not (np.isfinite(lim[0]) and np.isfinite(lim[1]) and lim[0] < lim[1]):
            raise InputError(f"{name} {lim}: give two finite numbers, the smaller first, e.g. -3,3")
    return (float(xl[0]), float(xl[1])), (float(yl[0]), float(yl[1]))


def find_minimum(
    field: Field,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int = 81,
) -> Array | None:
    """The lowest point of ``field`` strictly inside the window, or None (e.g. unbounded)."""
    from scipy.optimize import minimize as sp_minimize

    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = field.values(X, Y)
    if not np.any(np.isfinite(Z)):
        return None
    j, i = np.unravel_index(np.nanargmin(np.where(np.isfinite(Z), Z, np.inf)), Z.shape)
    if i in (0, n - 1) or j in (0, n - 1):
        return None  # lowest on the edge: the minimum (if any) is outside the window

    def f(p: Array) -> float:
        v = field.values(np.array([[p[0]]]), np.array([[p[1]]]))[0, 0]
        return float(v) if np.isfinite(v) else np.inf

    x0 = np.array([xs[i], ys[j]])
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    res = sp_minimize(
        f,
        x0,
        method="Nelder-Mead",
        options={
            "xatol": 1e-9 * max(dx, dy),
            "fatol": 1e-14,
            "initial_simplex": [x0, x0 + [dx, 0], x0 + [0, dy]],
            "maxiter": 2000,
        },
    )
    p = res.x if res.fun <= Z[j, i] else x0
    inside = xlim[0] < p[0] < xlim[1] and ylim[0] < p[1] < ylim[1]
    return np.asarray(p, dtype=float) if inside else None
