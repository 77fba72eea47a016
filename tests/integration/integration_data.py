"""The rows every integration test fits: three features of unequal scales, a few outliers."""

from __future__ import annotations

import numpy as np


def make_data(n: int = 1200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 100.0]
    y = X @ [1.0, 2.0, 3.0] + rng.standard_normal(n) * 3.0
    y[::50] += 40.0  # outliers, so huber differs from least squares
    return X, y
