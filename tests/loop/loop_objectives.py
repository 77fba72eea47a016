"""Shared objectives for the loop tests: the tutorial's valley and its line-fitting data."""

from __future__ import annotations

import time

import numpy as np

VALLEY = "x**2 + x*y + y**2"  # Hessian [[2, 1], [1, 2]]: L = 3, 2/L = 0.667
VALLEY_A = np.array([[2.0, 1.0], [1.0, 2.0]])


class LineFit:
    """Tutorial 000/003: mean squared error of y = m x + b over points, parameters (b, m)."""

    variables = ("b", "m")
    n = 2

    def __init__(self, seed: int = 0, delay: float = 0.0):
        rng = np.random.default_rng(seed)
        self.X = rng.uniform(20.0, 75.0, 100)
        self.Y = 1.3 * self.X + 7.0 + rng.normal(0.0, 10.0, 100)
        self.delay = delay
        self.calls = 0

    def value(self, p):
        r = self.Y - (p[1] * self.X + p[0])
        return float(np.mean(r * r))

    def grad(self, p):
        r = self.Y - (p[1] * self.X + p[0])
        return np.array([-2.0 * r.mean(), -2.0 * (self.X * r).mean()])

    def value_and_grad(self, p):
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return self.value(p), self.grad(p)

    def hessian(self, p):
        return 2.0 * np.array([[1.0, self.X.mean()], [self.X.mean(), (self.X**2).mean()]])

    def curvature_bound(self):
        return None
