"""The rows and the server's names that the remote tests share."""

from __future__ import annotations

import numpy as np

BUCKET = "descend-data"
KEY, SECRET = "testing-key", "testing-secret"


def make_data(n: int = 1500, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Three features of unequal scales and offsets; y linear plus noise and a few outliers."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 100.0]
    y = X @ [1.0, 2.0, 3.0] + 4.0 + rng.standard_normal(n) * 3.0
    y[::50] += 40.0
    return X, y


def storage_options(endpoint: str) -> dict:
    """fsspec options for the test server: its dummy credentials and its endpoint."""
    return {"key": KEY, "secret": SECRET, "client_kwargs": {"endpoint_url": endpoint}}
