"""The explorer: an offline HTML page where a learner plays with their own function or data.

>>> page = explore("x**2 + x*y + y**2", start=[3, 1], learning_rate=0.1)
>>> page.data["L"], page.data["variables"]
(3.0, ['x', 'y'])
>>> "<canvas" in page.html or "id=\\"app\\"" in page.html
True

One file, no network: the function, its exact gradient and Hessian are printed to JavaScript
from descend's parsed SymPy tree (:mod:`descend.explorer._jscode`); a click on the contour map
runs a descent in the page with the update rules of :mod:`descend.optim` (torch's conventions,
the same iterates as :func:`descend.minimize` to 1e-12); sliders set the learning rate (2/L
marked), momentum and Adam's betas; each step is written out with the learner's numbers.
:func:`explore` on a CSV file instead shows a straight-line fit: the data with the line and
the (intercept, slope) loss surface with the path -- tutorial 001's learning-rate lesson.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descend.errors import InputError
from descend.explorer._common import (
    OPTIMIZER_NAMES,
    SECOND_ORDER,
    Explorer,
    _build,
    _defaults,
    _float_list,
    _limits,
)
from descend.explorer._common import (
    _nice_rate as _nice_rate,  # tests/docs/test_findings.py reads it here
)
from descend.explorer._regression import explore_regression
from descend.io._input import PARQUET_SUFFIXES  # the one list of suffixes that mean Parquet

__all__ = ["Explorer", "explore", "explore_regression"]

_DATA_SUFFIXES = (".csv", ".tsv", ".txt", *PARQUET_SUFFIXES)


def _find_minimum(fun: Any, start: list[float]) -> list[float] | None:
    """Where descend's default method goes from ``start``, if it converges there."""
    import warnings

    from descend.loop import minimize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = minimize(fun, start, max_iter=2000)
        except Exception:  # noqa: BLE001 - the map is still useful without a marked minimum
            return None
    if not r.success or not np.all(np.isfinite(r.x)):
        return None
    x = np.array(r.x, dtype=np.float64)
    # A few Newton steps polish the marked minimum to rounding level where H is positive.
    for _ in range(6):
        g, H = fun.grad(x), fun.hessian(x)
        if H is None or not np.all(np.isfinite(H)) or np.linalg.eigvalsh(H)[0] <= 0:
            break
        x_new = x - np.linalg.solve(H, g)
        if not np.linalg.norm(fun.grad(x_new)) < np.linalg.norm(g):
            break
        x = x_new
    return [float(v) for v in x]


def _map_of(fun: Any, x0: list[float]) -> tuple[Any, list[tuple[list[float], str]], list[list[float]]]:
    """The minimum descend finds from ``x0``, the stationary points near it, and the window.

    The window holds the start and the stationary points found near it (all four of
    Himmelblau's minima, the saddle of ``x**2 - y**2``), so the map shows what f is known for.
    """
    from descend.geometry import stationary_points, window_around

    minimum = _find_minimum(fun, x0)
    stationary = stationary_points(fun, x0)
    window = window_around([x0] + ([minimum] if minimum else []) + [p for p, _ in stationary],
                           fun.n, pad=1.5)
    return minimum, stationary, window


def explore(
    target: Any,
    start: Sequence[float] | None = None,
    *,
    variables: Sequence[str] | None = None,
    optimizer: str = "gd",
    learning_rate: float | str | None = None,
    momentum: float = 0.9,
    b1: float = 0.9,
    b2: float = 0.999,
    max_iter: int = 200,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    x: str | None = None,
    y: str | None = None,
    race: Sequence[str] | None = None,
    title: str | None = None,
    note: str | None = None,
    fair: bool = False,
    scale: bool = False,
) -> Explorer:
    """Build the explorer page for a formula of one or two variables, or for a data file.

    Args:
        target: a formula as text (``"x**2 + x*y + y**2"``), a SymPy expression or a
            :class:`~descend.expr.SymbolicFunction`; or a CSV/Parquet path (see
            :func:`explore_regression`).
        start: the first descent's start, one value per variable. Default ``(3, 1)`` in 2-D,
            ``3`` in 1-D.
        variables: variable order (default: sorted names), as in :func:`descend.function`.
        optimizer: the menu's first choice: gd, momentum, nesterov, adagrad, rmsprop, adam, adamw;
            or newton, bfgs (descend's own runs from ``start``, embedded in the page).
        learning_rate: the slider's first value ``γ``. Default: the tutorials' 0.1 where it
            is below ``1/L``, else a round number below ``1/L`` (L from the exact Hessian:
            global for a quadratic, else at ``start``).
            ``"armijo"``: gradient descent opens with descend's backtracking line search
            (as ``minimize(..., learning_rate="armijo")``), the slider at its default.
        momentum: heavy-ball/Nesterov ``μ`` in [0, 1). Default 0.9.
        b1: Adam's first-moment decay rate in [0, 1). Default 0.9.
        b2: Adam's second-moment decay rate in [0, 1). Default 0.999.
        max_iter: most steps per descent on the page. Default 200.
        xlim: the map's window along the first variable (default: holds the start and the
            minimum).
        ylim: the same along the second variable.
        x: for a data file, the feature column.
        y: for a data file, the target column.
        race: optimizers to race from the start (e.g. ``["gd", "momentum", "newton"]``); the
            page opens with the race on.
        title: the page's heading (default: ``Explore f = ...``).
        note: a teacher's note shown under the heading (plain text).
        fair: open the race as a fair one: each optimizer at its own rate, tuned in the page
            by the rule it states (fewest steps to converge over a grid of rates).
        scale: for a data file, open with the feature standardised, ``z = (x − mean)/std``
            (as ``descend fit`` does by default); the page's box switches back and forth.

    Returns:
        An :class:`Explorer`: ``.save("page.html")``, or display it in Jupyter.

    Raises:
        InputError: a formula of more than two variables, a bad start or setting.
    """
    if isinstance(target, (str, Path)) and (
        str(target).lower().endswith(_DATA_SUFFIXES) or isinstance(target, Path)
    ):
        page = explore_regression(target, x=x, y=y, start=start, optimizer=optimizer,
                                  learning_rate=learning_rate, momentum=momentum, b1=b1, b2=b2,
                                  max_iter=max_iter, scale=scale)
    else:
        if scale:
            raise InputError("scale=True standardises a data file's feature; a typed function has none "
                             "(give a CSV/Parquet file, or leave scale off)")
        fun = _formula(target, variables)
        page = _function_page(fun, str(target) if isinstance(target, str) else fun.formula,
                              start, xlim, ylim, optimizer=optimizer,
                              learning_rate=learning_rate, max_iter=max_iter,
                              hyper=_defaults(optimizer, learning_rate, momentum, b1, b2))
    return _preset(page, race, title, note, fair) if (race or title or note or fair) else page


def _formula(target: Any, variables: Sequence[str] | None) -> Any:
    """``target`` as a :class:`SymbolicFunction` of one or two variables, or InputError."""
    from descend.expr import SymbolicFunction, function

    fun = target if isinstance(target, SymbolicFunction) else function(target, variables)
    if not isinstance(fun, SymbolicFunction):
        raise InputError(
            "the explorer needs a formula (text or SymPy) so that its derivatives can be written "
            "into the page; a Python callable cannot be"
        )
    if fun.n > 2:
        raise InputError(
            f"the explorer draws functions of one or two variables; {fun.formula!r} has {fun.n} "
            f"({', '.join(fun.variables)})"
        )
    return fun


def _function_page(fun: Any, text: str, start: Sequence[float] | None, xlim: Any, ylim: Any, *,
                   optimizer: str, learning_rate: float | str | None, hyper: dict[str, Any],
                   max_iter: int) -> Explorer:
    """The page for a formula: the start checked, the window (fitted, or ``xlim``/``ylim``)."""
    default_start = [3.0, 1.0] if fun.n == 2 else [3.0]
    x0 = default_start if start is None else _float_list(start, "start", fun.n)
    with np.errstate(all="ignore"):
        f0 = fun.value(np.array(x0))
    if not math.isfinite(f0):
        raise InputError(f"f{tuple(x0)} = {f0} is not finite; choose a start where f is defined")
    minimum, stationary, window = _map_of(fun, x0)
    xl, yl = _limits(xlim, "xlim"), _limits(ylim, "ylim")
    if xl:
        window[0] = xl
    if yl and fun.n == 2:
        window[1] = yl
    return _build(fun, kind="function", title=f"Explore f = {fun.formula}", text=text,
                  start=x0, window=window, equal_aspect=fun.n == 2 and not (xl or yl),
                  minimum=minimum, optimizer=optimizer, learning_rate=learning_rate,
                  hyper=hyper, max_iter=max_iter,
                  extra={"stationary": [{"x": p, "kind": k} for p, k in stationary]})


def _preset(page: Explorer, race: Sequence[str] | None, title: str | None,
            note: str | None, fair: bool = False) -> Explorer:
    """The page rebuilt with a teacher's presets: a race set, a heading, a note, a fair race."""
    from descend.explorer._page import rebuild

    data = dict(page.data)
    if race:
        names = [str(r).strip() for r in race if str(r).strip()]
        bad = [r for r in names if r not in OPTIMIZER_NAMES + SECOND_ORDER]
        if bad:
            raise InputError(f"race={bad[0]!r} is not one the explorer runs; choose from "
                             f"{', '.join(OPTIMIZER_NAMES + SECOND_ORDER)}, e.g. "
                             "race=['gd', 'momentum', 'newton']")
        data["race"] = names
    if title:
        data["title"] = str(title)
    if note:
        data["note"] = str(note)
    if fair:
        data["fair"] = True
        data.setdefault("race", ["gd", "momentum", "adam"])
    return Explorer(rebuild(page.html, data), data)
