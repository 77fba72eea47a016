"""descend.geometry.find_minimum (the minimum a picture marks) against closed-form minima.

It refines the lowest node of a grid by finer grids around it, moving along a valley while the
values keep falling past a grid's edge; no SciPy (a picture's start-up, issue 22).
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.geometry import find_minimum


def rosenbrock(X, Y):
    return (1 - X) ** 2 + 100 * (Y - X**2) ** 2


def test_the_rosenbrock_valley_floor():
    # the exact minimum of (1-x)^2 + 100(y-x^2)^2 is (1, 1); the 81-grid's lowest node is not on it
    p = find_minimum(rosenbrock, (-2.0, 2.0), (-1.0, 3.0))
    assert p is not None
    assert np.allclose(p, [1.0, 1.0], atol=1e-7)


@pytest.mark.parametrize("centre", [(0.3, -0.7), (1 / 3, 2 / 7), (-1.234567, 0.0)])
def test_a_tilted_bowl_off_the_grid(centre):
    a, b = centre

    def bowl(X, Y):  # minimum at (a, b), Hessian [[2, 1], [1, 4]]: not axis-aligned
        u, v = X - a, Y - b
        return u**2 + u * v + 2 * v**2 + 5.0

    p = find_minimum(bowl, (-3.0, 2.0), (-2.5, 3.0))
    assert p is not None
    assert np.allclose(p, centre, atol=1e-8)


def test_himmelblau_each_window_its_own_minimum():
    def himmelblau(X, Y):
        return (X**2 + Y - 11) ** 2 + (X + Y**2 - 7) ** 2

    p = find_minimum(himmelblau, (2.0, 4.0), (1.0, 3.0))
    assert p is not None and np.allclose(p, [3.0, 2.0], atol=1e-7)  # f(3, 2) = 0 exactly


def test_no_minimum_inside_and_non_finite_values():
    assert find_minimum(lambda X, Y: X, (-1.0, 1.0), (-1.0, 1.0)) is None  # lowest on the edge
    assert find_minimum(lambda X, Y: np.full_like(X, np.nan), (-1.0, 1.0), (-1.0, 1.0)) is None
    # log(x) + x^2 + y^2 is -inf-free only for x > 0: its minimum is (1/sqrt(2), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = find_minimum(lambda X, Y: X**2 - np.log(X) + Y**2, (-1.0, 2.0), (-1.0, 1.0))
    assert p is not None and np.allclose(p, [2**-0.5, 0.0], atol=1e-7)


def test_a_flat_function_stops():
    p = find_minimum(lambda X, Y: np.zeros_like(X) + 3.0, (-1.0, 1.0), (-1.0, 1.0))
    assert p is None or np.all(np.abs(p) < 1.0)
