"""scipy.optimize habits: the last step's callback, args=, options=, callback(xk), a dict-like
result with a short repr, and a history that stays bounded on very long runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend.errors import ConvergenceWarning, InputError
from descend.loop import minimize
from descend.optim import gd


def test_callback_sees_the_last_step():
    seen = []
    r = minimize("x**2 + y**2", [3.0, 1.0], optimizer=gd(0.25), callback=lambda s: seen.append(s.nit))
    assert r.verdict == "converged"
    assert seen == list(range(1, r.nit + 1))  # every step, the final one included


def test_callback_old_xk_form_gets_a_copy_of_x():
    xs = []

    def cb(xk):
        xs.append(xk.copy())
        xk[:] = 99.0  # must not disturb the run

    r = minimize("x**2 + y**2", [3.0, 1.0], optimizer=gd(0.25), callback=cb)
    assert len(xs) == r.nit
    np.testing.assert_allclose(xs[0], [1.5, 0.5])  # x1 = x0 - 0.25 * 2 x0 = x0 / 2
    np.testing.assert_allclose(r.history.x[1], [1.5, 0.5])


def test_args_are_passed_to_fun_and_jac():
    def f(x, a, b):
        return float((x[0] - a) ** 2 + (x[1] - b) ** 2)

    def grad(x, a, b):
        return np.array([2 * (x[0] - a), 2 * (x[1] - b)])

    r = minimize(f, [0.0, 0.0], jac=grad, args=(3.0, -2.0))
    np.testing.assert_allclose(r.x, [3.0, -2.0], atol=1e-6)
    with pytest.raises(InputError, match="callable"):
        minimize("x**2", [1.0], args=(1.0,))


def test_options_dict_like_scipy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = minimize("x**2 + y**2", [3.0, 1.0], optimizer=gd(0.01), options={"maxiter": 7})
    assert r.nit == 7
    with pytest.raises(InputError, match="unknown key"):
        minimize("x**2", [1.0], options={"max_iters": 7})
    with pytest.raises(InputError, match="once"):
        minimize("x**2", [1.0], max_iter=5, options={"max_iter": 7})


def test_result_is_dict_like_with_a_short_repr():
    r = minimize("x**2 + y**2", [3.0, 1.0])
    assert r["x"] is r.x and "fun" in r and "nope" not in r
    assert set(r.keys()) >= {"x", "fun", "jac", "nit", "nfev", "success", "status", "message"}
    with pytest.raises(KeyError):
        r["nope"]
    text = repr(r)
    assert text.startswith("OptimizeResult(x=") and "verdict='converged'" in text
    assert len(text) < 200  # the history is not dumped


def test_long_run_history_is_thinned_and_said():
    # 5000 steps of a slow descent kept within 64 rows: the start, evenly spread steps, the end.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = minimize("x**2", [1.0], optimizer=gd(1e-5), max_iter=5000, history_limit=64, gtol=0.0)
    h = r.history
    assert h.x.shape[0] <= 64 and h.step[0] == 0 and h.step[-1] == r.nit == 5000
    assert np.all(np.diff(h.step) > 0)
    # each kept row is the exact iterate of its step: x_k = (1 - 2e-5)^k
    np.testing.assert_allclose(h.x[:, 0], (1 - 2e-5) ** h.step.astype(float), rtol=1e-10)
    assert h.learning_rate.shape[0] == h.x.shape[0] - 1
    assert "of 5001 iterates kept" in r.info["history"]
