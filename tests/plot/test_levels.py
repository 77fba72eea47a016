"""descend.geometry.nice_levels / contour_levels against matplotlib's MaxNLocator.

The levels were MaxNLocator's before the HTML report lost its matplotlib dependency (issue 20);
geometry writes the same algorithm out, and this test holds it to matplotlib's own output.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.geometry import contour_levels, nice_levels

ticker = pytest.importorskip("matplotlib.ticker")

STEPS = [1, 2, 2.5, 5, 10]


def _ranges() -> list[tuple[float, float]]:
    rng = np.random.default_rng(20)
    fixed = [
        (0.0, 1.0), (0.0, 14.0), (-3.0, 7.5), (1e-9, 3e-9), (12345.6, 12345.9),
        (-1e6, 2.5e6), (0.1, 0.1000001), (5.0, 5.0 + 1e-12), (1e12, 1e12 + 3.0),
        (-7.25, -7.2), (0.0, 1e-300), (2.0, 2.0), (-1e-3, 0.0), (99.0, 101.0), (1e300, 1.5e300),
    ]
    drawn = []
    for _ in range(400):
        centre = rng.choice([0.0, 1.0, -1.0]) * 10 ** rng.uniform(-8, 12)
        width = 10 ** rng.uniform(-10, 10) * max(abs(centre), 1.0) ** rng.choice([0.0, 1.0])
        lo = centre + rng.uniform(-1, 1) * width
        drawn.append((float(lo), float(lo + width)))
    return fixed + drawn


@pytest.mark.parametrize("n", [3, 7, 14, 20])
def test_nice_levels_are_maxnlocators(n):
    for lo, hi in _ranges():
        ours = nice_levels(lo, hi, n, steps=STEPS)
        theirs = ticker.MaxNLocator(n, steps=STEPS).tick_values(lo, hi)
        np.testing.assert_array_equal(ours, theirs, err_msg=f"range ({lo!r}, {hi!r}), n={n}")


def test_default_steps_are_the_contour_steps():
    np.testing.assert_array_equal(nice_levels(-3.0, 7.5), ticker.MaxNLocator(
        14, steps=STEPS).tick_values(-3.0, 7.5))


def test_contour_levels_as_before():
    """The even levels are MaxNLocator's, trimmed at the minimum (the old code, inline)."""
    x = np.linspace(-2, 3, 60)
    for Z in (x[:, None] ** 2 + 2 * x[None, :] ** 2, 10 + np.outer(x, x),
              1e4 + 0.01 * np.add.outer(x, x)):
        levels, geometric = contour_levels(Z)
        assert not geometric
        lo, hi = float(Z.min()), float(Z.max())
        old = np.asarray(ticker.MaxNLocator(14, steps=STEPS).tick_values(lo, hi))
        old = old[(old >= lo - 1e-12 * (hi - lo)) | (old == old.min())]
        np.testing.assert_array_equal(levels, old)
