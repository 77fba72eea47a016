"""Classic 2-D test functions, as data: formula, usual start, known minima, minimum value.

Tests and benchmarks across descend use :data:`TEST_FUNCTIONS` (``name -> Benchmark2D``). Each
start lies in the basin of a listed minimum; ``minima`` lists the *global* minima (Himmelblau
has four). References: Jamil & Yang, "A literature survey of benchmark functions for global
optimisation problems" (2013); Surjanovic & Bingham, Virtual Library of Simulation Experiments.

>>> rosen = TEST_FUNCTIONS["rosenbrock"]
>>> rosen.start, rosen.minima, rosen.fmin
((-1.2, 1.0), ((1.0, 1.0),), 0.0)
>>> rosen.objective().value(np.array(rosen.minima[0]))
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from descend.expr.symbolic import SymbolicFunction

__all__ = ["Benchmark2D", "TEST_FUNCTIONS"]


@dataclass(frozen=True)
class Benchmark2D:
    """One test function of (x, y). ``minima`` holds every global minimiser."""

    name: str
    text: str
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    fmin: float
    variables: tuple[str, str] = ("x", "y")

    def objective(self) -> SymbolicFunction:
        """The function, parsed, with variables ``(x, y)``."""
        return SymbolicFunction(self.text, self.variables)

    def distance_to_minimum(self, point: np.ndarray) -> float:
        """Euclidean distance from ``point`` to the nearest listed minimiser."""
        p = np.asarray(point, dtype=np.float64)
        return float(min(np.linalg.norm(p - np.array(m)) for m in self.minima))


def _table(*items: Benchmark2D) -> dict[str, Benchmark2D]:
    return {b.name: b for b in items}


TEST_FUNCTIONS: dict[str, Benchmark2D] = _table(
    Benchmark2D("bowl", "x**2 + y**2", (3.0, 1.0), ((0.0, 0.0),), 0.0),
    Benchmark2D("sphere", "x**2 + y**2", (-2.0, -2.0), ((0.0, 0.0),), 0.0),
    Benchmark2D("valley", "x**2 + x*y + y**2", (3.0, 1.0), ((0.0, 0.0),), 0.0),
    Benchmark2D("elongated", "x**2 + 25*y**2", (3.0, 1.0), ((0.0, 0.0),), 0.0),
    Benchmark2D("rosenbrock", "(1 - x)**2 + 100*(y - x**2)**2", (-1.2, 1.0), ((1.0, 1.0),), 0.0),
    Benchmark2D(
        "beale",
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        (1.0, 1.0),
        ((3.0, 0.5),),
        0.0,
    ),
    Benchmark2D("booth", "(x + 2*y - 7)**2 + (2*x + y - 5)**2", (0.0, 0.0), ((1.0, 3.0),), 0.0),
    Benchmark2D(
        "himmelblau",
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        (0.0, 0.0),
        (
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.283185991286169),
            (3.584428340330492, -1.848126526964404),
        ),
        0.0,
    ),
    Benchmark2D("matyas", "0.26*(x**2 + y**2) - 0.48*x*y", (2.0, 1.0), ((0.0, 0.0),), 0.0),
    Benchmark2D(
        "three_hump_camel",
        "2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
        (0.5, 0.5),
        ((0.0, 0.0),),
        0.0,
    ),
    Benchmark2D(
        "mccormick",
        "sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1",
        (0.0, 0.0),
        ((-0.5471975511965977, -1.5471975511965977),),
        -1.913222954981036,
    ),
    Benchmark2D(
        "styblinski_tang",
        "(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)/2",
        (-1.0, -1.0),
        ((-2.903534027771177, -2.903534027771177),),
        -78.33233140754283,
    ),
)
"""name -> :class:`Benchmark2D`."""
