"""A small fit's fixed cost cut with the same numbers: the optimal loss from the whitening's own
decomposition, ``Whitening.anchored`` by ``evolve``, ``FitSpec.of`` by a field list made once.

Each shortcut is checked against the long way bit for bit, and the optimal loss also against
the exact rational minimum of the least-squares problem (normal equations in ``Fraction``).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from descend.data.stats import moment_stats
from descend.models import LinearRegression
from descend.models._problem import Standardizer
from descend.models._solve_rows import _optimal_loss
from descend.models._solvers import least_squares_loss
from descend.models._whitened import whiten_moments
from descend.models.linear import LinearModel
from descend.models.spec import FitSpec


def _exact_min_mse(X: np.ndarray, y: np.ndarray, alpha: float) -> Fraction:
    """``min_{b, w} mean((y - b - X w)^2) + alpha |w|^2`` in rational arithmetic."""
    n, d = X.shape
    rows = [[Fraction(1)] + [Fraction(float(v)) for v in r] for r in X]
    ys = [Fraction(float(v)) for v in y]
    p = d + 1
    A = [[sum(r[i] * r[j] for r in rows) / n for j in range(p)] for i in range(p)]
    for j in range(1, p):
        A[j][j] += Fraction(alpha)
    c = [sum(r[i] * t for r, t in zip(rows, ys, strict=True)) / n for i in range(p)]
    M = [A[i][:] + [c[i]] for i in range(p)]
    for k in range(p):  # Gauss-Jordan, exact
        piv = next(i for i in range(k, p) if M[i][k] != 0)
        M[k], M[piv] = M[piv], M[k]
        M[k] = [v / M[k][k] for v in M[k]]
        for i in range(p):
            if i != k and M[i][k] != 0:
                M[i] = [a - M[i][k] * b for a, b in zip(M[i], M[k], strict=True)]
    beta = [M[i][p] for i in range(p)]
    yy = sum(t * t for t in ys) / n
    # at the minimum: mean r^2 + alpha |w|^2 = mean y^2 - beta . c
    return yy - sum(b * ci for b, ci in zip(beta, c, strict=True))


def _design(n: int, d: int, seed: int, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(-50, 50, (n, d)).astype(np.float64) + offset
    y = X @ rng.integers(-3, 4, d) + 7.0 + rng.integers(-20, 20, n)
    return X, y


@pytest.mark.parametrize("alpha", [0.0, 0.25])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_optimal_loss_from_the_whitening_is_the_long_way_bit_for_bit(alpha, offset):
    X, y = _design(60, 4, 3, offset)
    stats = moment_stats(X, y)
    spec = FitSpec(alpha=alpha)
    _, objective = whiten_moments(stats, intercept=True, alpha=alpha)
    assert objective.gram_eigh is not None
    std = Standardizer.fit(stats, True, True)
    long_way = least_squares_loss(std.stats(stats), alpha / std.scale**2, True)
    short = _optimal_loss(objective, stats, spec)
    assert short.hex() == long_way.hex()
    exact = _exact_min_mse(X, y, alpha)
    assert abs(short - float(exact)) <= 1e-12 * float(exact)


def test_optimal_loss_without_intercept_takes_the_long_way():
    X, y = _design(50, 3, 5)
    stats = moment_stats(X, y)
    _, objective = whiten_moments(stats, intercept=False, alpha=0.0)
    std = Standardizer.fit(stats, True, False)
    long_way = least_squares_loss(std.stats(stats), np.zeros(3), False)
    assert _optimal_loss(objective, stats, FitSpec(fit_intercept=False)).hex() == long_way.hex()


@pytest.mark.parametrize("alpha", [0.0, 0.25])
def test_a_fit_reports_the_exact_optimal_loss(alpha):
    X, y = _design(80, 3, 11, 1e3)
    m = LinearRegression(alpha=alpha).fit(X, y)
    exact = float(_exact_min_mse(X, y, alpha))
    assert abs(m.optimal_loss_ - exact) <= 1e-12 * exact
    assert m.optimality_gap_ is not None and m.optimality_gap_ <= 1e-10 * exact
    assert str(m.verdict_) == "converged"


def test_reanchored_whitening_is_dataclasses_replace_with_its_factor():
    X, y = _design(40, 3, 2, 100.0)
    white, _ = whiten_moments(moment_stats(X, y), intercept=True, alpha=0.0)
    theta = np.array([0.3, -1.0, 2.0, 0.5])
    white.to_user(theta)  # T computed and cached before the copy
    w = np.array([1.0, -2.0, 0.25])
    new = white.anchored(1.5, w)
    ref = dataclasses.replace(white, b_a=1.5, w_a=w.copy())
    b1, w1 = new.to_user(theta)
    b2, w2 = ref.to_user(theta)
    assert b1.hex() == b2.hex() and np.array_equal(w1, w2)
    assert new.b_a == 1.5 and np.array_equal(new.w_a, w) and new.w_a is not w
    assert white.b_a == 0.0 and white.w_a is None  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.b_a = 2.0  # type: ignore[misc]


def test_fitspec_of_reads_every_setting():
    model = LinearModel(alpha=0.5, tol=1e-9, max_iter=7, fit_intercept=False, verbose=0)
    spec = FitSpec.of(model)
    for f in dataclasses.fields(FitSpec):
        if f.name != "owner":
            assert getattr(spec, f.name) == getattr(model, f.name)
    assert spec.owner == "LinearModel"
