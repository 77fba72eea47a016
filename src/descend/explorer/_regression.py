"""The regression page: a straight line fitted to data, raw and standardised.

The loss over (intercept ``b``, slope ``m``) is the mean squared error of ``y ≈ b + m·x``.
The page can also show it on the standardised feature ``z = (x − mean)/std`` (population
std), the coordinates ``descend fit`` descends in by default: there ``ŷ = b + m·z``, the
Hessian is ``2·[[1, 0], [0, 1]]`` up to rounding, so ``L = 2`` and ``2/L = 1`` whatever the
units. A line on z is the line ``ŷ = (b − m·mean/std) + (m/std)·x`` in the user's units
(:class:`descend.models._problem.Standardizer`'s map, ``theta = (c, v)`` there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.errors import InputError
from descend.explorer._common import (
    Explorer,
    _build,
    _decimal_gradient,
    _defaults,
    _float_list,
    _rates,
    _second_order,
)

__all__ = ["EXACT_ROWS", "SHOWN_ROWS", "explore_regression"]

#: Up to this many rows the loss is written as the exact sum of squared residuals.
EXACT_ROWS = 200
#: Most data points drawn on the page.
SHOWN_ROWS = 2000


def _exact(v: float) -> Any:
    import sympy as sp

    return sp.Rational(repr(float(v)))


def _line_loss(X: Any, Y: Any) -> Any:
    """``f(b, m) = (1/n) Σ (b + m·x_i − y_i)²`` as a SymbolicFunction, exact in the data.

    Up to :data:`EXACT_ROWS` rows the sum itself; above, the same quadratic from the moments
    (mean x, mean x², mean y, mean xy, mean y²), each float written as its exact rational.
    """
    import sympy as sp

    from descend.expr import SymbolicFunction
    from descend.expr.parse import real_symbol

    n = X.shape[0]
    b, m = real_symbol("b"), real_symbol("m")
    if n <= EXACT_ROWS:
        loss = sp.Add(*[(b + _exact(xi) * m - _exact(yi)) ** 2 for xi, yi in zip(X, Y, strict=True)])
        loss = loss / n
    else:
        mx, mxx, my = float(X.mean()), float((X * X).mean()), float(Y.mean())
        mxy, myy = float((X * Y).mean()), float((Y * Y).mean())
        loss = (b**2 + 2 * _exact(mx) * b * m + _exact(mxx) * m**2 - 2 * _exact(my) * b
                - 2 * _exact(mxy) * m + _exact(myy))
    return SymbolicFunction(loss, ("b", "m"), text="mean squared error")


def _z_loss(X: Any, Y: Any) -> tuple[Any, float, float] | None:
    """The loss on ``z = (x − mean)/std``, with the mean and the population std; None when x
    is constant (std 0: nothing to standardise).

    From the centred moments, as descend's fit computes it (``StatsObjective`` on
    ``Standardizer.stats``), ``f(b, m) = (b − ȳ)² + S_zz·m² − 2·S_zy·m + S_yy`` with
    ``S_zz = Σ(x − x̄)²/(n·std²)`` (1 up to rounding), ``S_zy = Σ(x − x̄)(y − ȳ)/(n·std)``,
    ``S_yy = Σ(y − ȳ)²/n``, written with the square completed:
    ``f = (b − ȳ)² + S_zz·(m − m*)² + R``, ``m* = S_zy/S_zz`` and ``R`` the least-squares
    loss (the mean squared residual, summed from the residuals, so ``R ≥ 0``). The same
    function, but never below 0 and without the cancellation of ``S_yy − S_zy²/S_zz`` near the
    minimum (the engine clamps that with ``max(quad, 0)``): four numbers whatever n is, each
    float as its exact rational.

    >>> f, mean, std = _z_loss(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    >>> mean, round(std, 6), f.curvature_bound()
    (2.0, 0.816497, 2.0)
    """
    from descend.data.stats import moment_stats
    from descend.expr import SymbolicFunction
    from descend.expr.parse import real_symbol

    st = moment_stats(np.asarray(X, dtype=np.float64)[:, None], Y)
    n, mean, std = st.n, float(st.mean_x[0]), float(st.std_x()[0])
    if not std > 0:
        return None
    szz = float(st.cxx[0, 0]) / (std * std) / n
    m_star = float(st.cxy[0]) / std / n / szz
    z = (np.asarray(X, dtype=np.float64) - mean) / std
    residual = float(np.mean((np.asarray(Y, dtype=np.float64) - st.mean_y - m_star * z) ** 2))
    b, m = real_symbol("b"), real_symbol("m")
    loss = ((b - _exact(st.mean_y)) ** 2 + _exact(szz) * (m - _exact(m_star)) ** 2
            + _exact(residual))
    return SymbolicFunction(loss, ("b", "m"), text="mean squared error on z"), mean, std


def _line_window(X: Any, Y: Any, x0: list[float]) -> tuple[list[float], list[list[float]]]:
    """The least-squares ``(b*, m*)`` and a window around it that holds the start ``x0``."""
    A = np.column_stack([np.ones(X.shape[0]), X])
    sol, *_ = np.linalg.lstsq(A, Y, rcond=None)
    b_star, m_star = float(sol[0]), float(sol[1])
    sx, sy = float(X.std()) or 1.0, float(Y.std()) or 1.0
    half_b = 1.4 * max(abs(b_star - x0[0]), sy, abs(m_star) * float(np.sqrt((X * X).mean())) / 4, 1e-12)
    half_m = 1.4 * max(abs(m_star - x0[1]), sy / sx, 1e-12)
    return [b_star, m_star], [[b_star - half_b, b_star + half_b], [m_star - half_m, m_star + half_m]]


def _standardised(X: Any, Y: Any, x0: list[float], names: tuple[str, str], n: int,
                  learning_rate: float | str | None, max_iter: int) -> tuple[dict[str, Any], str]:
    """What the page swaps in when the learner standardises: the z-loss's data and code.

    The start is the same line as ``x0`` (``b + m·mean``, ``m·std``), as ``descend fit``'s
    ``init`` is in the user's units; γ is ``learning_rate`` when given, else the default
    below ``1/L`` (0.1, tutorial 001's rate for standardised features).
    """
    from descend.explorer._jscode import compile_functions

    made = _z_loss(X, Y)
    if made is None:
        return {}, ""
    fun, mean, std = made
    z0 = [x0[0] + x0[1] * mean, x0[1] * std]
    (b_star, m_star), window = _line_window((X - mean) / std, Y, z0)
    # a square window: the Hessian is 2·I on z, so the contours are circles (a round bowl)
    half = max(window[0][1] - b_star, window[1][1] - m_star)
    window = [[b_star - half, b_star + half], [m_star - half, m_star + half]]
    x_name, y_name = names
    part = {
        "mean": mean, "std": std, "formula": fun.formula,
        "gradient_formula": _decimal_gradient(fun), **_rates(fun, z0, learning_rate),
        "window": window, "minimum": [b_star, m_star], "start": z0,
        "second": _second_order(fun, z0, max_iter),
        "display_formula": f"(1/{n}) Σᵢ (b + m·zᵢ − {y_name}ᵢ)²,  zᵢ = ({x_name}ᵢ − mean)/std",
    }
    return part, compile_functions(fun, "DESCEND_ZFUNCS")


def _shown(X: Any, Y: Any, names: tuple[str, str], source: str,
           solution: list[float]) -> dict[str, Any]:
    """The data chart's block: at most :data:`SHOWN_ROWS` points, the names, the answer."""
    step = max(1, X.shape[0] // SHOWN_ROWS)
    return {"x": [float(v) for v in X[::step]], "y": [float(v) for v in Y[::step]],
            "x_name": names[0], "y_name": names[1], "rows": int(X.shape[0]), "source": source,
            "solution": solution}


def explore_regression(
    source: Any,
    *,
    x: str | None = None,
    y: str | None = None,
    start: Sequence[float] | None = None,
    optimizer: str = "gd",
    learning_rate: float | str | None = None,
    momentum: float = 0.9,
    b1: float = 0.9,
    b2: float = 0.999,
    max_iter: int = 200,
    scale: bool = False,
) -> Explorer:
    """The explorer for a straight-line fit ``ŷ = b + m·x`` to data, by the mean squared error.

    The loss is ``f(b, m) = (1/n) Σ (b + m·x_i − y_i)²`` over the (intercept, slope) plane, a
    quadratic with Hessian ``2·[[1, mean x], [mean x, mean x²]]``; its largest eigenvalue is L,
    and gradient descent is stable only below ``2/L``. In raw units (square feet) L is huge, so
    tutorial 001's ``lr = 1e-4`` is hundreds of times too large: the page shows it happen.
    Its "standardise" box switches to ``z = (x − mean)/std`` (as ``descend fit`` does by
    default), where ``L = 2``; the lines are then reported back in the user's units.

    Args:
        source: a CSV/Parquet path, a 2-D array (target last) or an ``(x, y)`` pair.
        x: the feature column (default: the first).
        y: the target column (default: the last).
        start: ``(b, m)`` to start from, in the user's units. Default ``(0, 0)``.
        optimizer: as in :func:`descend.explore`.
        learning_rate: as in :func:`descend.explore`; the rate of the view the page opens in.
        momentum: as in :func:`descend.explore`.
        b1: as in :func:`descend.explore`.
        b2: as in :func:`descend.explore`.
        max_iter: as in :func:`descend.explore`.
        scale: open with the feature standardised (the box ticked). Default False: the raw
            units, tutorial 001's lesson.

    Returns:
        An :class:`~descend.explorer.Explorer`.
    """
    from descend.data import load_table

    table = load_table(source, target=y, features=x)
    if table.d != 1:
        raise InputError(
            f"the regression explorer fits a line to one feature; {table.source} has "
            f"{table.d} ({', '.join(table.feature_names)}): choose one with x= (--x)"
        )
    X, Y = table.X[:, 0], table.y
    n = X.shape[0]
    fun = _line_loss(X, Y)
    hyper = _defaults(optimizer, learning_rate, momentum, b1, b2)
    x0 = [0.0, 0.0] if start is None else _float_list(start, "start", 2)
    (b_star, m_star), window = _line_window(X, Y, x0)
    names = (table.feature_names[0], table.target_name)
    zpart, zjs = _standardised(X, Y, x0, names, n, learning_rate if scale else None, max_iter)
    if scale and not zpart:
        raise InputError(f"scale=True: the feature {names[0]!r} is constant (std 0), so it "
                         "cannot be standardised; leave scale off")
    extra = {
        "regression": _shown(X, Y, names, str(table.source), [b_star, m_star]),
        "display_formula": f"(1/{n}) Σᵢ (b + m·{names[0]}ᵢ − {names[1]}ᵢ)²",
        "standardised": zpart or None,
        "scaled": bool(scale),
    }
    return _build(fun, kind="regression",
                  title=f"Explore a line fit: {names[1]} ≈ b + m·{names[0]}",
                  text=f"mean squared error of {names[1]} ≈ b + m·{names[0]}",
                  start=x0, window=window, equal_aspect=False, minimum=[b_star, m_star],
                  optimizer=optimizer,
                  learning_rate=learning_rate if not scale or learning_rate == "armijo" else None,
                  hyper=hyper, max_iter=max_iter, extra=extra, functions_js=zjs)
