"""A batch of runs stops by exactly the rules of a single run: each run of the one sweep (``sweep_learning_rates``)
ends at the step, with the status and at the point that ``descend.minimize`` gives for the same
quadratic written as an expression (plain gd, same rate, max_iter, tol, n_iter_no_change,
gtol). And every run of a batch gets a verdict from the facts, whatever its loss."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend.models.sweep import sweep_learning_rates

rng = np.random.default_rng(11)
X = rng.normal(0.0, 1.0, size=(7, 2))
y = X @ [1.5, -0.5] + 2.0 + rng.normal(size=7)


def _sweep(data, rates, **kw):
    """The one sweep on the rows, in raw coordinates (what ``batched_gd`` was)."""
    return sweep_learning_rates(data, None, rates, scale=False, rows=True, **kw)


def _expression() -> str:
    """mean((b + w1 x1 + w2 x2 - y)^2), every number written out (repr round-trips)."""
    terms = [f"(b + {float(a)!r}*w1 + {float(c)!r}*w2 - {float(t)!r})**2"
             for (a, c), t in zip(X, y, strict=True)]
    return f"({' + '.join(terms)})/{len(y)}"


def _curvature() -> float:
    """L: the largest eigenvalue of the Hessian 2 E[(1, x)(1, x)^T] of the mean squared error."""
    A = np.c_[np.ones(len(y)), X]
    return float(np.linalg.eigvalsh(2.0 * A.T @ A / len(y))[-1])


@pytest.mark.slow  # 1.3-4.3 s of CPU per case (measured)
@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        # 1/L and 1.9/L converge (tol), 0.002/L runs out, 2.2/L crosses the ceiling (committed),
        # 1e200 overflows at once (not committed: 0 steps)
        ({"max_iter": 300, "tol": 1e-9, "n_iter_no_change": 5, "gtol": None},
         ["no_progress", "no_progress", "max_iter", "diverged", "diverged"]),
        # a window of 20 and a gtol: the gradient rule fires first at 1/L; 1.9/L zig-zags flat first
        ({"max_iter": 400, "tol": 1e-12, "n_iter_no_change": 20, "gtol": 1e-7},
         ["gtol", "no_progress", "max_iter", "diverged", "diverged"]),
    ],
)
def test_each_run_stops_where_minimize_stops(rules, expected):
    L = _curvature()
    rates = [1.0 / L, 1.9 / L, 0.002 / L, 2.2 / L, 1e200]
    start = np.array([0.5, -1.0, 3.0])  # (b, w1, w2)
    R = len(rates)
    res = _sweep((X, y), rates, starts=(np.tile(start[1:], (R, 1)), np.full(R, start[0])),
                 **rules)
    fun = _expression()
    for r, lr in enumerate(rates):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the stability and convergence warnings
            one = descend.minimize(fun, start, variables=["b", "w1", "w2"], optimizer="gd",
                                   learning_rate=lr, max_iter=rules["max_iter"],
                                   tol=rules["tol"], n_iter_no_change=rules["n_iter_no_change"],
                                   gtol=0.0 if rules["gtol"] is None else rules["gtol"])
        assert res.status[r] == str(one.status) == expected[r], (r, lr)
        assert res.n_iter[r] == one.nit, (r, lr)
        np.testing.assert_allclose(np.r_[res.intercept[r], res.coef[r]], one.x, rtol=1e-9, atol=1e-12)
        assert res.final_loss[r] == pytest.approx(one.fun, rel=1e-9)
        assert res.diverged[r] == (expected[r] == "diverged")
    assert res.n_iter[4] == 0  # the overflowing step was never committed
    # the curve holds each run's committed steps, nan after it stopped
    for r in range(R):
        k = int(res.n_iter[r])
        assert np.isfinite(res.loss_curve[: k + 1, r]).all()
        assert np.isnan(res.loss_curve[k + 1 :, r]).all()


@pytest.mark.slow  # 5 s of CPU (measured)
def test_squared_loss_verdicts_match_the_exact_optimum():
    L = _curvature()
    res = _sweep((X, y), [1.0 / L, 0.02 / L, 2.0 / L, 2.2 / L],
                                      max_iter=3000, tol=0.0)
    assert res.verdicts[1:] == ("budget_spent", "oscillating", "diverged")
    assert res.verdicts[0] == "converged"
    ref = np.linalg.lstsq(np.c_[np.ones(len(y)), X], y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[res.intercept[0], res.coef[0]], ref, rtol=1e-8)


@pytest.mark.slow  # 7 s of CPU (measured)
def test_huber_and_absolute_runs_get_verdicts():
    A = np.c_[np.ones(len(y)), X]
    L = float(np.linalg.eigvalsh(2.0 * A.T @ A / len(y))[-1])  # Huber's h'' <= 2: its bound
    # Huber with a huge epsilon is the squared loss: 1/L converges to the least-squares answer
    hub = _sweep((X, y), [1.0 / L, 0.001 / L], loss="huber",
                                      epsilon=1e6, max_iter=3000, tol=0.0)
    assert hub.verdicts == ("converged", "budget_spent")
    ref = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[hub.intercept[0], hub.coef[0]], ref, rtol=1e-8)
    # a real Huber threshold: converged only with a gradient small against the scale
    hub = _sweep((X, y), [1.0 / L], loss="huber", epsilon=0.5,
                                      max_iter=20000, tol=0.0)
    assert hub.verdicts == ("converged",)
    _, g, gb = descend.scale.loss_and_grad_fast(X, y, hub.coef[0], float(hub.intercept[0]), "huber", 0.5)
    assert np.hypot(np.linalg.norm(g), gb) <= 1e-8 * np.sqrt(2 * L * np.var(y))
    # the absolute error is not smooth: a fixed-step subgradient run never shows convergence
    ab = _sweep((X, y), [0.01, 1e15], loss="absolute_error",
                                     max_iter=500)
    assert ab.verdicts[0] in ("budget_spent", "stalled") and ab.verdicts[1] == "diverged"
    assert ab.status[1] == "diverged"


def test_huber_at_twice_the_inverse_bound_oscillates():
    # x = -1, 1, -1, 1: E[(1, x)(1, x)^T] = I, so L = 2 and a rate of 1 = 2/L flips the iterate
    # between two points; a huge epsilon keeps every residual on the quadratic part
    Xo = np.array([[-1.0], [1.0], [-1.0], [1.0]])
    yo = np.array([0.3, 2.1, -0.2, 1.7])
    res = _sweep((Xo, yo), [1.0, 0.5], loss="huber", epsilon=1e6,
                                      max_iter=100, n_iter_no_change=10)
    assert res.status[0] == "no_progress"  # the flip leaves the loss flat
    assert res.verdicts == ("oscillating", "converged")
