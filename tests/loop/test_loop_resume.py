"""Resume: k steps then k resumed steps equal 2k steps bit for bit; interrupts are clean."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend.errors import ConvergenceWarning
from descend.expr import function
from descend.expr.objective import Array
from descend.loop import LoopState, OptimizeResult, Status, minimize
from descend.optim import adam, gd, momentum, nesterov, rmsprop
from descend.optim.schedules import cosine_decay, exponential_decay, step_decay

ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"
K = 40


def _run(fun, x0, **kwargs) -> OptimizeResult:
    # gtol/tol off so that every run takes exactly max_iter steps.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return minimize(fun, x0, gtol=0.0, tol=0.0, n_iter_no_change=10**9, **kwargs)


OPTIMIZERS = {
    "gd": lambda: gd(1e-3),
    "gd-schedule": lambda: gd(step_decay(2e-3, 7, 0.5)),
    "momentum-schedule": lambda: momentum(exponential_decay(1e-3, 0.99), 0.9),
    "nesterov": lambda: nesterov(5e-4, 0.9),
    "adam": lambda: adam(0.02),
    "adam-schedule": lambda: adam(cosine_decay(0.05, 2 * K)),
    "rmsprop": lambda: rmsprop(0.01, momentum=0.5),
    "gd-auto": lambda: gd("auto"),
    "gd-armijo": lambda: gd("armijo"),
    "default": lambda: gd(learning_rate="armijo"),  # the default before issue 25 (now Newton)
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_k_then_k_resumed_equals_2k_bit_for_bit(name):
    f = function(ROSEN)
    full = _run(f, [-1.2, 1.0], optimizer=OPTIMIZERS[name](), max_iter=2 * K)
    first = _run(f, [-1.2, 1.0], optimizer=OPTIMIZERS[name](), max_iter=K)
    second = _run(
        f, first.x, optimizer=OPTIMIZERS[name](), max_iter=2 * K,  # the whole run's budget
        state=first.info["state"], start_iter=K,
    )
    assert full.nit == 2 * K and first.nit == K and second.nit == K
    np.testing.assert_array_equal(second.x, full.x)
    assert second.fun == full.fun
    np.testing.assert_array_equal(second.history.x, full.history.x[K:])
    np.testing.assert_array_equal(second.history.fun, full.history.fun[K:])
    np.testing.assert_array_equal(second.history.learning_rate, full.history.learning_rate[K:])
    np.testing.assert_array_equal(
        np.concatenate([first.history.x, second.history.x[1:]]), full.history.x
    )


def test_auto_and_armijo_states_carry_the_chosen_step():
    f = function(ROSEN)
    r = _run(f, [-1.2, 1.0], optimizer=gd("auto"), max_iter=5)
    assert isinstance(r.info["state"], LoopState)
    assert r.info["state"].learning_rate == r.info["auto_lr"]["learning_rate"]
    r = _run(f, [-1.2, 1.0], method="gd", max_iter=5)
    assert isinstance(r.info["state"], LoopState)
    assert r.info["state"].learning_rate == r.history.learning_rate[-1]


def test_a_plain_optimizer_state_resumes_without_the_wrapper():
    f = function(ROSEN)
    r = _run(f, [-1.2, 1.0], optimizer=adam(0.01), max_iter=3)
    assert not isinstance(r.info["state"], LoopState)
    assert r.info["state"][1].count == 3


class Interrupting:
    """The valley, raising KeyboardInterrupt at its ``at``-th evaluation (like Ctrl-C)."""

    variables, n = ("x", "y"), 2

    def __init__(self, at: int):
        self.inner = function("x**2 + x*y + y**2")
        self.at = at
        self.calls = 0

    def value(self, p: Array) -> float:
        return self.inner.value(p)

    def grad(self, p: Array) -> Array:
        return self.inner.grad(p)

    def value_and_grad(self, p: Array) -> tuple[float, Array]:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.inner.value_and_grad(p)

    def hessian(self, p: Array) -> Array:
        return self.inner.hessian(p)

    def curvature_bound(self) -> float | None:
        return self.inner.curvature_bound()


def test_keyboard_interrupt_stops_cleanly_and_resumes_exactly():
    opt = adam(0.05)
    full = _run(Interrupting(at=-1), [3.0, 1.0], optimizer=opt, max_iter=30)
    # The 11th evaluation is the 10th step's: 9 steps completed.
    cut = minimize(Interrupting(at=11), [3.0, 1.0], optimizer=opt, max_iter=30)
    assert cut.status is Status.INTERRUPTED and not cut.success
    assert cut.nit == 9 and cut.history.x.shape == (10, 2)
    assert "resume" in cut.message and "start_iter=9" in cut.message
    assert cut.info["state"][1].count == 9
    np.testing.assert_array_equal(cut.x, full.history.x[9])
    rest = _run(
        Interrupting(at=-1), cut.x, optimizer=opt, max_iter=30,  # the whole run's budget
        state=cut.info["state"], start_iter=cut.nit,
    )
    np.testing.assert_array_equal(rest.x, full.x)


def test_interrupt_in_the_callback_keeps_the_completed_step(valley):
    def callback(res):
        if res.nit == 4:
            raise KeyboardInterrupt

    r = minimize(valley, [3.0, 1.0], optimizer=gd(0.1), callback=callback)
    assert r.status is Status.INTERRUPTED and r.nit == 4
    assert r.info["state"][0].count == 4
    np.testing.assert_array_equal(r.history.x[-1], r.x)
