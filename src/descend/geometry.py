"""Where a picture looks: windows, grids, the points worth marking, the loss's noise floor.

One module, without matplotlib, for every view of a run: the figures (:mod:`descend.plot`),
the HTML report (:mod:`descend.report`) and the explorer page (:mod:`descend.explorer`) take
their windows and their marked points from here, so they cannot disagree about them.

- :func:`stationary_points` finds the points where ``grad f = 0`` near a start (Newton's
  method on the gradient from a grid of seeds), classified by the Hessian's eigenvalues.
- :func:`window_around` is a padded box around points; :func:`choose_window` fits descent paths.
- :func:`find_minimum` is the lowest point of a function inside a window (a grid, then
  finer grids around the lowest node; no SciPy import).
- :func:`marked_minima` are the distinct points where runs *converged* (the verdict says so):
  the only points a picture may star as minima.
- :func:`contour_levels` / :func:`nice_levels`: the levels of a contour picture (round
  numbers, or geometric when the values span decades).
- :func:`least_squares`, :func:`loss_grid`, :func:`regression_window`: the loss surface of a
  one-feature regression and the window that shows it.
- :func:`noise_floor`: below ``1e-15`` of the *starting* loss a computed loss is rounding noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import InputError

Array = NDArray[np.float64]

__all__ = [
    "ROUNDING_FLOOR",
    "choose_window",
    "find_minimum",
    "marked_minima",
    "noise_floor",
    "contour_levels",
    "least_squares",
    "loss_grid",
    "mse_grid",
    "nice_levels",
    "regression_window",
    "stationary_points",
    "window_around",
]

#: A loss computed from sums of magnitude ``f0`` carries an absolute error of about
#: ``eps * f0 ~ 2e-16 f0``: below this fraction of the starting loss it is rounding noise.
ROUNDING_FLOOR = 1e-15


def noise_floor(start_losses: Sequence[float]) -> float:
    """The loss below which a run's curve is rounding noise: ``1e-15 * max |f0|`` over the runs.

    It is taken from the *starting* losses: a run that blows up to ``1e30`` does not make its
    own start (``1e11``) noise.

    >>> noise_floor([9.5e10, 2.0])
    9.5e-05
    """
    f0 = [abs(float(v)) for v in start_losses if math.isfinite(float(v))]
    return ROUNDING_FLOOR * max(f0) if f0 else 0.0


def window_around(points: Any, n: int, *, pad: float = 1.35, min_half: float = 1.0,
                  equal: bool = True) -> list[list[float]]:
    """A box holding ``points`` (rows of ``n`` coordinates), each half-width times ``pad``.

    Half-widths are at least ``min_half``; in 2-D with ``equal`` both sides are equal (an
    equal-aspect map of a round bowl stays round).

    >>> window_around([[3, 1], [0, 0]], 2)
    [[-0.5250000000000004, 3.5250000000000004], [-1.5250000000000004, 2.5250000000000004]]
    """
    arr = np.asarray(points, dtype=np.float64).reshape(-1, n)
    arr = arr[np.all(np.isfinite(arr), axis=1)]
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    mid, half = (lo + hi) / 2, (hi - lo) / 2 * pad
    half = np.maximum(half, min_half)
    if n == 2 and equal:
        half[:] = half.max()
    return [[float(m - h), float(m + h)] for m, h in zip(mid, half, strict=True)]


def _classify(lam: Array) -> str:
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    tol = 1e-8 * scale
    if lam[0] > tol:
        return "minimum"
    if lam[-1] < -tol:
        return "maximum"
    if lam[0] < -tol:
        return "saddle"
    return "flat"


def _newton(fun: Any, x: Array, iters: int) -> Array | None:
    """Newton's method on ``grad f = 0`` from ``x``; the root, or None if it does not settle."""
    for _ in range(iters):
        with np.errstate(all="ignore"):
            g = np.asarray(fun.grad(x), dtype=np.float64)
            H = fun.hessian(x)
        if H is None or not (np.all(np.isfinite(g)) and np.all(np.isfinite(H))):
            return None
        gn = float(np.linalg.norm(g))
        if gn <= 1e-10 * max(1.0, float(np.linalg.norm(x))):
            return x
        try:
            step = np.linalg.solve(np.asarray(H, dtype=np.float64), g)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(step)):
            return None
        x = x - step
    return None


def stationary_points(fun: Any, start: Sequence[float], *, radius: float | None = None,
                      seeds: int = 9, iters: int = 40) -> list[tuple[list[float], str]]:
    """The stationary points of ``fun`` near ``start``, each with its kind.

    Newton's method on ``grad f = 0`` (``x <- x - H(x)^-1 grad f(x)``, which converges to
    minima, saddles and maxima alike) from a ``seeds``-per-side grid over the box
    ``start +- radius`` (default ``max(5, 1.2 |start|)``); a root counts when it lies within
    ``2 radius`` of the start. ``kind`` is ``"minimum"``, ``"saddle"``, ``"maximum"`` or
    ``"flat"`` (a zero eigenvalue: the second-order test says nothing), from the Hessian's
    eigenvalues there. Functions without a Hessian give ``[]``.

    >>> from descend.expr import function
    >>> stationary_points(function("x**2 - y**2"), [3, 0])
    [([0.0, 0.0], 'saddle')]
    """
    if getattr(fun, "hessian", None) is None:
        return []
    x0 = np.asarray(start, dtype=np.float64).ravel()
    n = x0.shape[0]
    r = float(radius) if radius is not None else max(5.0, 1.2 * float(np.linalg.norm(x0)))
    axes = [np.linspace(c - r, c + r, seeds) for c in x0]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n)
    found: list[Array] = []
    out: list[tuple[list[float], str]] = []
    tol = 1e-6 * max(1.0, r)
    for seed in np.vstack([x0, grid]):
        root = _newton(fun, seed.copy(), iters)
        if root is None or float(np.linalg.norm(root - x0)) > 2 * r:
            continue
        if any(float(np.linalg.norm(root - p)) <= tol for p in found):
            continue
        with np.errstate(all="ignore"):
            H = np.asarray(fun.hessian(root), dtype=np.float64)
        if not np.all(np.isfinite(H)):
            continue
        found.append(root)
        lam = np.asarray(np.linalg.eigvalsh((H + H.T) / 2), dtype=np.float64)
        point = [0.0 if abs(float(v)) < tol else float(v) for v in root]
        out.append((point, _classify(lam)))
    out.sort(key=lambda pk: float(np.linalg.norm(np.asarray(pk[0]) - x0)))
    return out


def marked_minima(results: Sequence[Any], tol: float = 1e-6) -> list[Array]:
    """The distinct end points of ``results`` whose verdict is ``converged``.

    A picture stars these, and only these, as minima: where a run was shown to converge.
    """
    out: list[Array] = []
    for r in results:
        if str(getattr(r, "verdict", "")) != "converged":
            continue
        x = np.asarray(r.x, dtype=np.float64).ravel()
        scale = tol * max(1.0, float(np.max(np.abs(x))))
        if all(float(np.max(np.abs(x - p))) > 1e3 * scale for p in out):
            out.append(x)
    return out


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
    extra: Sequence[Any] = (),
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A window holding every path (and ``center``, e.g. the minimum, and ``extra`` points), padded.

    Without paths the window is centred on ``center`` (or the origin) with half-widths 3.
    ``max_ratio`` widens the narrow side so an equal-aspect plot is not a sliver.
    """
    pts = [_robust_points(p) for p in paths]
    pts = [p for p in pts if len(p)]
    if center is not None and np.all(np.isfinite(center)):
        pts.append(np.asarray(center, dtype=float).reshape(1, 2))
    if len(extra):
        pts.append(np.asarray(extra, dtype=float).reshape(-1, 2))
    if not pts or (len(pts) == 1 and center is not None and not paths and not len(extra)):
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
    field: Any,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int = 81,
) -> Array | None:
    """The lowest point of ``field`` strictly inside the window, or None (e.g. unbounded).

    ``field`` has ``values(X, Y)`` over grids (a :class:`descend.plot.Field`) or is that
    callable itself. A grid of ``n x n`` values, then finer grids around the lowest node
    (:func:`_zoom`).
    """
    values: Callable[[Array, Array], Array] = getattr(field, "values", field)
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = values(X, Y)
    if not np.any(np.isfinite(Z)):
        return None
    j, i = np.unravel_index(np.nanargmin(np.where(np.isfinite(Z), Z, np.inf)), Z.shape)
    if i in (0, n - 1) or j in (0, n - 1):
        return None  # lowest on the edge: the minimum (if any) is outside the window

    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    p = _zoom(values, np.array([xs[i], ys[j]]), float(Z[j, i]), dx, dy)
    inside = xlim[0] < p[0] < xlim[1] and ylim[0] < p[1] < ylim[1]
    return np.asarray(p, dtype=float) if inside else None


def _zoom(values: Callable[[Array, Array], Array], p: Array, fp: float, dx: float, dy: float,
          k: int = 17, max_grids: int = 400) -> Array:
    """Refine a grid minimum ``p`` (value ``fp``, cells ``dx x dy``) by finer grids around it.

    Each round evaluates a ``k x k`` grid spanning two cells either side of ``p`` (spacing a
    quarter of a cell, one vectorised call of ``values``). If its lowest node is on the grid's
    edge the minimum lies further out (a long valley): the grid moves there at the same size.
    Otherwise the cell shrinks to the grid's spacing around the lowest node. It stops when the
    cell is below ``1e-9`` of the first one (the tolerance the pictures need, far below a
    pixel), or after ``max_grids`` grids; ``p`` only ever moves to a strictly lower value.
    """
    offsets = np.linspace(-2.0, 2.0, k)
    hx, hy, tol = dx, dy, 1e-9 * max(dx, dy)
    for _ in range(max_grids):
        if max(hx, hy) <= tol:
            break
        X, Y = np.meshgrid(p[0] + hx * offsets, p[1] + hy * offsets)
        Z = values(X, Y)
        Z = np.where(np.isfinite(Z), Z, np.inf)
        j, i = np.unravel_index(np.argmin(Z), Z.shape)
        lower = Z[j, i] < fp
        if lower:
            p, fp = np.array([X[j, i], Y[j, i]]), float(Z[j, i])
        if lower and (i in (0, k - 1) or j in (0, k - 1)):
            continue  # still going downhill past the grid's edge: move, do not shrink
        hx, hy = hx * 4.0 / (k - 1), hy * 4.0 / (k - 1)
    return p


# ---- contour levels (nice numbers without matplotlib)

#: The multiples a contour step may take (times a power of ten): 1, 2, 2.5, 5.
LEVEL_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def _nonsingular(lo: float, hi: float) -> tuple[float, float]:
    """``lo < hi``, widened by 1e-13 of the values when the range is below 1e-14 of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return -1e-13, 1e-13
    lo, hi = min(lo, hi), max(lo, hi)
    big = max(abs(lo), abs(hi))
    if big < 1e20 * float(np.finfo(float).tiny):
        return -1e-13, 1e-13
    if hi - lo <= big * 1e-14:
        if hi == 0 and lo == 0:
            return -1e-13, 1e-13
        return lo - 1e-13 * abs(lo), hi + 1e-13 * abs(hi)
    return lo, hi


def _multiples(x: float, step: float, offset: float) -> tuple[float, float]:
    """``(floor, ceil)`` of ``x / step``, forgiving rounding that grows with the offset."""
    tol = 1e-10
    if offset > 0:
        tol = min(0.4999, max(1e-10, 10 ** (math.log10(offset / step) - 12)))
    d, m = divmod(x, step)
    below = d + 1 if abs(m / step - 1) < tol else d
    above = d if abs(m / step) < tol else d + 1
    return below, above


def nice_levels(lo: float, hi: float, n: int = 14,
                steps: Sequence[float] = LEVEL_STEPS) -> Array:
    """At most ``n + 1`` evenly spaced round values covering ``[lo, hi]`` (and one beyond).

    The step is ``s * 10**k`` for ``s`` in ``steps`` (1, 2, 2.5, 5), the smallest such step with
    at most ``n`` intervals over the range; values near a large common offset are counted from
    it. This is matplotlib's ``MaxNLocator(n, steps=steps).tick_values(lo, hi)`` (its
    ``_raw_ticks``, autolimit mode ``data``; matplotlib's BSD-style licence), written out so
    that pages need no matplotlib; ``tests/test_geometry_levels.py`` checks it against it.

    >>> nice_levels(0.0, 1.0, 4).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    lo, hi = _nonsingular(float(lo), float(hi))
    span = hi - lo
    mean = (hi + lo) / 2
    offset = 0.0
    if abs(mean) / span >= 100:  # values far from 0: count from a power of ten
        offset = math.copysign(10 ** (math.log10(abs(mean)) // 1), mean)
    scale = 10 ** (math.log10(span / n) // 1)
    base = np.asarray(steps, dtype=float)
    if base[0] != 1:
        base = np.concatenate([[1.0], base])
    if base[-1] != 10:
        base = np.concatenate([base, [10.0]])
    ladder = np.concatenate([0.1 * base[:-1], base, [10 * base[1]]]) * scale
    a, b = lo - offset, hi - offset
    large = np.nonzero(ladder >= (b - a) / n)[0]
    top = int(large[0]) if large.size else len(ladder) - 1
    ticks = np.array([a, b])
    for step in ladder[: top + 1][::-1]:
        start = (a // step) * step
        low, _ = _multiples(a - start, step, abs(offset))
        _, high = _multiples(b - start, step, abs(offset))
        ticks = np.arange(low, high + 1) * step + start
        if ((ticks <= b) & (ticks >= a)).sum() >= 2:
            break
    return ticks + offset


def contour_levels(Z: Array, n: int = 14, *, geometric: bool | None = None) -> tuple[Array, bool]:
    """Contour levels for ``Z``: geometric above the minimum when the values span decades.

    Returns ``(levels, geometric)``. A bowl gets evenly spaced round levels
    (:func:`nice_levels`); a banana valley (Rosenbrock) or a stretched regression loss gets
    levels that crowd near the floor, so the valley is visible and not one flat colour.
    """
    z = Z[np.isfinite(Z)]
    lo, hi = float(np.min(z)), float(np.max(z))
    if hi <= lo:
        return np.linspace(lo - 1, lo + 1, 3), False
    rel = z - lo
    if geometric is None:
        geometric = float(np.median(rel)) < 0.06 * (hi - lo)
    if geometric:
        floor = max(float(np.quantile(rel, 0.002)), (hi - lo) * 1e-6)
        levels = lo + np.geomspace(floor, hi - lo, n)
        return np.concatenate([[lo], levels]), True
    levels = nice_levels(lo, hi, n, steps=(1, 2, 2.5, 5, 10))
    return levels[(levels >= lo - 1e-12 * (hi - lo)) | (levels == levels.min())], False


# ---- the loss surface of a one-feature regression (intercept b, slope m)

def least_squares(X: Any, y: Any) -> tuple[float, Array]:
    """The exact least-squares ``(intercept, coef)``: the bottom of the loss surface."""
    A = np.asarray(X, dtype=float)
    A = A.reshape(-1, 1) if A.ndim == 1 else A
    yv = np.asarray(y, dtype=float).ravel()
    design = np.column_stack([np.ones(len(A)), A])
    beta, *_ = np.linalg.lstsq(design, yv, rcond=None)
    return float(beta[0]), beta[1:]


def mse_grid(X: Any, y: Any, B: Array, M: Array) -> Array:
    """Mean squared error of ``y ≈ b + m x`` on grids of intercepts ``B`` and slopes ``M``.

    Written with centred moments: the raw expansion loses every digit when x and y are in
    the thousands (house sizes and prices) and the loss near the bottom is small.
    """
    x = np.asarray(X, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    mx, my = x.mean(), yv.mean()
    vx = np.mean((x - mx) ** 2)
    vy = np.mean((yv - my) ** 2)
    cxy = np.mean((x - mx) * (yv - my))
    d = B + M * mx - my
    return np.maximum(vy - 2 * M * cxy + M**2 * vx, 0.0) + d**2


def loss_grid(
    X: Any, y: Any, B: Array, M: Array, *, loss: str = "squared_error", epsilon: float = 1.35,
    max_rows: int = 1000,
) -> Array:
    """The mean ``loss`` of ``y ≈ b + m x`` on grids of intercepts ``B`` and slopes ``M``.

    The squared error comes from the centred moments (:func:`mse_grid`, exact for any n);
    another loss is evaluated on the rows (at most ``max_rows``, evenly strided) with its own
    ``h`` from :data:`descend.losses.LOSS_REGISTRY` -- a huber fit is drawn on the huber
    surface, not on the squared error's.
    """
    if _moments_exact(loss):
        return mse_grid(X, y, B, M)
    from descend.losses import get_loss

    h = get_loss(loss).h
    x = np.asarray(X, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    if x.size > max_rows:
        idx = np.linspace(0, x.size - 1, max_rows).astype(int)
        x, yv = x[idx], yv[idx]
    Z = np.empty(B.shape)
    flat_b, flat_m, flat_z = B.ravel(), M.ravel(), Z.reshape(-1)
    step = max(1, 2_000_000 // max(x.size, 1))  # grid points per block: ~16 MB of residuals
    for lo in range(0, flat_b.size, step):
        r = flat_b[lo : lo + step, None] + flat_m[lo : lo + step, None] * x[None, :] - yv[None, :]
        flat_z[lo : lo + step] = h(r, epsilon).mean(axis=1)
    return Z


def regression_window(
    X: Any, y: Any, paths: Sequence[Any] = ()
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(intercept, slope) limits holding the least-squares point and the finite paths.

    Sizes never fall below natural scales (the spread of y for the intercept, of y over the
    spread of x for the slope), so a path that starts at the minimum still shows the valley.
    """
    xv = np.asarray(X, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    b0, w = least_squares(xv, yv)
    pts = [np.array([[b0, float(w[0])]])]
    pts += [_robust_points(np.asarray(p, dtype=float)) for p in paths]
    allp = np.vstack([p for p in pts if len(p)])
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    sy, sx = float(np.std(yv)) or 1.0, float(np.std(xv)) or 1.0
    min_half = np.array([0.15 * sy, 0.15 * sy / sx])
    half = np.maximum((hi - lo) / 2 * 1.25, min_half)
    mid = (hi + lo) / 2
    return (
        (float(mid[0] - half[0]), float(mid[0] + half[0])),
        (float(mid[1] - half[1]), float(mid[1] + half[1])),
    )


def _moments_exact(loss: str) -> bool:
    """Whether the moments solve ``loss`` exactly (the squared loss): the loss registry's word,
    not a comparison of names."""
    from descend.losses import get_loss

    return bool(get_loss(loss).moments_exact)
