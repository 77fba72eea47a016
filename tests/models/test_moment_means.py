"""The moments' column means (``descend.data.stats.moment_stats``) come from a cheaper loop on
row-major data but stay NumPy's ``mean(axis=0)`` bit for bit, and within the sequential sum's
error bound of the exact (rational) mean."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from descend.data.stats import _column_means, moment_stats

EPS = float(np.finfo(np.float64).eps)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("d", [1, 2, 5, 20])
def test_the_column_means_are_numpys_bit_for_bit(order, d):
    rng = np.random.default_rng(d)
    for n in (1, 7, 1000, 70_000):
        X = np.asarray(rng.standard_normal((n, d)) * 1e3 + 1e7 * rng.standard_normal(d),
                       order=order)
        assert _column_means(X).tobytes() == X.mean(axis=0).tobytes()
        y = rng.standard_normal(n)
        st = moment_stats(X, y)
        assert st.mean_x.tobytes() == X.mean(axis=0).tobytes()


def test_the_column_means_are_within_the_sums_bound_of_the_exact_means():
    rng = np.random.default_rng(3)
    n, d = 3000, 4
    # large offsets, small spread: the sum's rounding is relative to the offset
    X = 1e8 * np.arange(1, d + 1) + rng.standard_normal((n, d))
    got = _column_means(X)
    for j in range(d):
        exact = sum(Fraction(float(v)) for v in X[:, j]) / n
        bound = n * EPS * float(np.abs(X[:, j]).max())  # a sequential sum of n terms
        assert abs(Fraction(float(got[j])) - exact) <= Fraction(bound)
        assert got[j] != 0.0
