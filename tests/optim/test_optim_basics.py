"""Hand-derived first steps of each optimizer and the learning-rate placeholder rules."""

from __future__ import annotations

import numpy as np
import pytest

from descend.errors import InputError
from descend.optim import gd, momentum, nesterov


def run(opt, grad, x0, steps):
    x = np.asarray(x0, dtype=np.float64)
    state = opt.init(x)
    out = []
    for _ in range(steps):
        updates, state = opt.update(grad(x), state, x)
        x = x + updates
        out.append(x)
    return np.array(out)


def test_gd_is_p_minus_lr_g():
    xs = run(gd(0.1), lambda x: 2 * x, [1.0, -2.0], 3)
    np.testing.assert_allclose(xs[-1], np.array([1.0, -2.0]) * 0.8**3, rtol=1e-15)


def test_momentum_buffer_starts_at_the_gradient():
    # buf1 = g1 = 2; p1 = 1 - 0.1*2 = 0.8; g2 = 1.6; buf2 = 0.9*2 + 1.6 = 3.4; p2 = 0.8 - 0.34
    xs = run(momentum(0.1, momentum=0.9), lambda x: 2 * x, [1.0], 2)
    np.testing.assert_allclose(xs[:, 0], [0.8, 0.46], rtol=1e-15)


def test_nesterov_differs_from_momentum_by_the_look_ahead():
    xs = run(nesterov(0.1, momentum=0.9), lambda x: 2 * x, [1.0], 1)
    np.testing.assert_allclose(xs[:, 0], [1.0 - 0.1 * (2.0 + 0.9 * 2.0)], rtol=1e-15)


def test_string_learning_rate_must_be_resolved_before_update():
    opt = gd("auto")
    state = opt.init(np.zeros(2))
    with pytest.raises(InputError, match="with_learning_rate"):
        opt.update(np.ones(2), state)
    resolved = opt.with_learning_rate(0.5)
    assert resolved.learning_rate == 0.5 and resolved.name == "gd"
    updates, _ = resolved.update(np.ones(2), resolved.init(np.zeros(2)))
    np.testing.assert_array_equal(updates, [-0.5, -0.5])


def test_with_learning_rate_keeps_hyperparameters():
    opt = momentum("armijo", momentum=0.5, weight_decay=0.1).with_learning_rate(0.2)
    assert dict(opt.hyperparams) == {"momentum": 0.5, "dampening": 0.0, "weight_decay": 0.1}
