"""descend.geometry.nelder_mead against SciPy's Nelder-Mead: the same points, bit for bit.

find_minimum (the minimum every picture marks) ran ``scipy.optimize.minimize`` before; it now
runs descend's own copy so a picture does not import SciPy (start-up, issue 22). The copy must
take SciPy's steps exactly, so the marked minimum (and every picture) is unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend.geometry import find_minimum, nelder_mead

scipy_optimize = pytest.importorskip("scipy.optimize")

FUNCTIONS = {
    "rosenbrock": lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
    "bowl": lambda p: p[0] ** 2 + p[1] ** 2,
    "abs": lambda p: abs(p[0]) + abs(p[1]),
    "wavy": lambda p: math.sin(p[0]) + 0.1 * p[0] ** 2 + math.cos(p[1]),
    "himmelblau": lambda p: (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2,
    "flat": lambda p: 3.0,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("maxiter", [2000, 7])
def test_nelder_mead_takes_scipys_steps(name, maxiter):
    f = FUNCTIONS[name]
    rng = np.random.default_rng(7)
    for _ in range(15):
        x0 = rng.normal(size=2) * 2
        dx, dy = rng.uniform(0.01, 0.3, 2)
        simplex = np.array([x0, x0 + [dx, 0], x0 + [0, dy]])
        xatol = 1e-9 * max(dx, dy)
        ref = scipy_optimize.minimize(
            f, x0, method="Nelder-Mead",
            options={"xatol": xatol, "fatol": 1e-14, "initial_simplex": simplex,
                     "maxiter": maxiter})
        p, fp = nelder_mead(f, simplex, xatol=xatol, fatol=1e-14, maxiter=maxiter)
        assert p.tolist() == ref.x.tolist()
        assert fp == float(ref.fun)


def test_find_minimum_marks_the_rosenbrock_valley_floor():
    def values(X, Y):
        return (1 - X) ** 2 + 100 * (Y - X**2) ** 2

    p = find_minimum(values, (-2.0, 2.0), (-1.0, 3.0))
    assert p is not None
    assert np.allclose(p, [1.0, 1.0], atol=1e-6)  # the exact minimum of (1-x)^2 + 100(y-x^2)^2
    assert find_minimum(lambda X, Y: X, (-1.0, 1.0), (-1.0, 1.0)) is None  # lowest on the edge
