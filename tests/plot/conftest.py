from __future__ import annotations

import numpy as np
import pytest

from descend.loop.result import History, OptimizeResult, Status


def bowl_result(x0=(3.0, 1.0), lr=0.1, steps=25) -> OptimizeResult:
    """Gradient descent on x**2 + y**2 in closed form: x_k = (1 - 2 lr)^k x0."""
    k = np.arange(steps + 1)[:, None]
    xs = (1 - 2 * lr) ** k * np.asarray(x0, dtype=float)
    fun = np.sum(xs**2, axis=1)
    return OptimizeResult(
        x=xs[-1], fun=float(fun[-1]), jac=2 * xs[-1], nit=steps, nfev=steps + 1,
        njev=steps + 1, status=Status.MAX_ITER, message="budget spent",
        history=History(x=xs, fun=fun, grad_norm=2 * np.linalg.norm(xs, axis=1),
                        learning_rate=np.full(steps, lr)),
        variables=("x", "y"), optimizer="gd", learning_rate=lr, elapsed=0.001,
    )


@pytest.fixture
def bowl():
    return bowl_result()


@pytest.fixture
def make_bowl():
    return bowl_result


@pytest.fixture(autouse=True)
def _no_leaks():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    yield
    assert len(plt.get_fignums()) == before, "a figure was registered with pyplot"
