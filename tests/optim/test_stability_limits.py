"""Each optimizer's stability limit is its own metadata, and it is the true limit: on a 1-D
quadratic f = L x^2 / 2 a run just below it converges and a run just above it blows up."""

from __future__ import annotations

import numpy as np
import pytest

from descend.optim import adam, gd, momentum, nesterov, rmsprop


def run(opt, L, steps=4000):
    x = np.array([1.0])
    state = opt.init(x)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            u, state = opt.update(L * x, state, x)
            x = x + u
    value = abs(float(x[0]))
    return value if np.isfinite(value) else np.inf


@pytest.mark.parametrize(
    "build",
    [
        lambda lr: gd(lr),
        lambda lr: momentum(lr, momentum=0.9),
        lambda lr: momentum(lr, momentum=0.5, dampening=0.3),
        lambda lr: nesterov(lr, momentum=0.9),
        lambda lr: nesterov(lr, momentum=0.2),
    ],
)
@pytest.mark.parametrize("L", [0.5, 3.0, 40.0])
def test_limit_separates_convergence_from_divergence(build, L):
    limit, formula = build(1.0).stability_limit(L)
    assert formula.startswith("2")
    assert run(build(0.98 * limit), L) < 1e-3
    assert run(build(1.02 * limit), L) > 1e3


def test_adaptive_methods_claim_no_limit():
    assert adam(0.1).adaptive and adam(0.1).stability_limit(3.0) is None
    assert rmsprop(0.1).stability_limit(3.0) is None
    assert not gd(0.1).adaptive
    assert gd(0.1).stability_limit(0.0) is None  # no curvature, no limit


def test_numba_cache_lives_in_the_user_cache(monkeypatch, tmp_path):
    from descend.scale import kernels

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert kernels.cache_dir() == str(tmp_path / "descend" / "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    assert kernels.cache_dir() == "/somewhere/else"
