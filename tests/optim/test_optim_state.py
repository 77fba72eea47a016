"""Pure updates: inputs untouched, states replayable, chains equal to the aliases."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from descend.optim import (
    OPTIMIZERS,
    ScaleByAdamState,
    add_decayed_weights,
    chain,
    exponential_decay,
    get_optimizer,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_learning_rate,
    scale_by_rms,
    trace,
)

# Every option switched on, so every state field is exercised.
FULL = {
    "gd": {"weight_decay": 0.1},
    "momentum": {"momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1},
    "nesterov": {"momentum": 0.9, "weight_decay": 0.1},
    "adagrad": {"lr_decay": 0.1, "initial_accumulator_value": 0.2, "weight_decay": 0.1},
    "rmsprop": {"momentum": 0.5, "centered": True, "weight_decay": 0.1},
    "adam": {"amsgrad": True, "weight_decay": 0.1},
    "adamw": {"amsgrad": True, "weight_decay": 0.1},
}


def grad(x):
    return np.array([4 * x[0] ** 3 - x[1], np.sin(x[1]) + 2 * x[2], x[2] - 1.0])


def trajectory(opt, x, state, steps):
    xs = []
    for _ in range(steps):
        updates, state = opt.update(grad(x), state, x)
        x = x + updates
        xs.append(x)
    return np.array(xs), x, state


def arrays_of(state):
    """Every ndarray inside a (nested) state, in order."""
    if isinstance(state, np.ndarray):
        return [state]
    if isinstance(state, tuple):
        return [a for part in state for a in arrays_of(part)]
    return []


def test_full_covers_the_registry():
    assert set(FULL) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_leaves_grads_params_and_state_untouched(name):
    opt = get_optimizer(name, learning_rate=0.01, **FULL[name])
    x = np.array([0.5, -1.0, 2.0])
    _, x, state = trajectory(opt, x, opt.init(x), 3)  # a state with non-trivial buffers
    g = grad(x)
    saved = (x.copy(), g.copy(), copy.deepcopy(state))
    updates, new_state = opt.update(g, state, x)
    np.testing.assert_array_equal(x, saved[0])
    np.testing.assert_array_equal(g, saved[1])
    for before, after in zip(arrays_of(saved[2]), arrays_of(state), strict=True):
        np.testing.assert_array_equal(before, after)
    assert new_state is not state
    # No returned array aliases an input or an old state array.
    inputs = [x, g, *arrays_of(state)]
    for out in [updates, *arrays_of(new_state)]:
        assert not any(np.shares_memory(out, i) for i in inputs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resume_from_saved_state_is_bit_identical(name):
    opt = get_optimizer(name, learning_rate=exponential_decay(0.01, 0.95), **FULL[name])
    x0 = np.array([0.5, -1.0, 2.0])
    straight, _, _ = trajectory(opt, x0, opt.init(x0), 20)
    first, x10, state10 = trajectory(opt, x0, opt.init(x0), 10)
    restored = pickle.loads(pickle.dumps(state10))  # a checkpoint round trip
    second, _, _ = trajectory(opt, x10, restored, 10)
    np.testing.assert_array_equal(np.vstack([first, second]), straight)
    # Replaying from the same state object twice gives the same iterates too.
    again, _, _ = trajectory(opt, x10, state10, 10)
    np.testing.assert_array_equal(again, second)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_with_learning_rate_rebuilds_the_same_optimizer(name):
    opt = get_optimizer(name, learning_rate="auto", **FULL[name])
    resolved = opt.with_learning_rate(0.01)
    direct = get_optimizer(name, learning_rate=0.01, **FULL[name])
    assert resolved.name == direct.name == name
    assert dict(resolved.hyperparams) == dict(direct.hyperparams)
    x0 = np.array([0.5, -1.0, 2.0])
    a, _, _ = trajectory(resolved, x0, resolved.init(x0), 5)
    b, _, _ = trajectory(direct, x0, direct.init(x0), 5)
    np.testing.assert_array_equal(a, b)


CHAINS = {
    "gd": lambda lr: chain(add_decayed_weights(0.1), scale_by_learning_rate(lr)),
    "momentum": lambda lr: chain(
        add_decayed_weights(0.1), trace(0.9, 0.2), scale_by_learning_rate(lr)
    ),
    "nesterov": lambda lr: chain(
        add_decayed_weights(0.1), trace(0.9, 0.0, nesterov=True), scale_by_learning_rate(lr)
    ),
    "adagrad": lambda lr: chain(
        add_decayed_weights(0.1), scale_by_adagrad(0.1, 0.2, 1e-10), scale_by_learning_rate(lr)
    ),
    "rmsprop": lambda lr: chain(
        add_decayed_weights(0.1),
        scale_by_rms(0.99, 1e-8, centered=True, momentum=0.5),
        scale_by_learning_rate(lr),
    ),
    "adam": lambda lr: chain(
        add_decayed_weights(0.1), scale_by_adam(0.9, 0.999, 1e-8, True), scale_by_learning_rate(lr)
    ),
    # AdamW: the same blocks as Adam, with the decay moved after the preconditioner.
    "adamw": lambda lr: chain(
        scale_by_adam(0.9, 0.999, 1e-8, True), add_decayed_weights(0.1), scale_by_learning_rate(lr)
    ),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_chain_of_blocks_equals_the_alias(name):
    opt = get_optimizer(name, learning_rate=0.01, **FULL[name])
    blocks = CHAINS[name](0.01)
    x0 = np.array([0.5, -1.0, 2.0])
    a, _, _ = trajectory(opt, x0, opt.init(x0), 15)
    b, _, _ = trajectory(blocks, x0, blocks.init(x0), 15)
    np.testing.assert_array_equal(a, b)


def test_adam_state_is_the_named_tuple_of_moments():
    opt = get_optimizer("adam", learning_rate=0.1)
    state = opt.init(np.zeros(2))
    _, state = opt.update(np.array([1.0, -1.0]), state)
    adam_state = state[0]
    assert isinstance(adam_state, ScaleByAdamState) and adam_state.count == 1
    np.testing.assert_allclose(adam_state.mu, [0.1, -0.1], rtol=1e-15)
    np.testing.assert_allclose(adam_state.nu, [0.001, 0.001], rtol=1e-15)


def _blocks(state):
    """The blocks' states inside an optimizer's state (a chain's plain tuple of them)."""
    if type(state) is tuple:
        return [b for part in state for b in _blocks(part)]
    return [state]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_states_are_immutable_named_tuples(name):
    # Setting a field that does not exist raises AttributeError on almost anything (an array,
    # a slotted class), so the test sets the fields each state does have, and checks the type.
    opt = get_optimizer(name, learning_rate=0.01, **FULL[name])
    x = np.array([0.5, -1.0, 2.0])
    _, _, state = trajectory(opt, x, opt.init(x), 2)
    blocks = _blocks(state)
    assert blocks and all(isinstance(b, tuple) and hasattr(type(b), "_fields") for b in blocks)
    assert any(type(b)._fields for b in blocks)  # not only empty states
    for block in blocks:
        for field_name in type(block)._fields:
            before = getattr(block, field_name)
            with pytest.raises(AttributeError):
                setattr(block, field_name, 5)
            assert getattr(block, field_name) is before
        assert block._replace() == block and block._replace() is not block  # a new value, not an edit


def test_update_accepts_lists_and_integer_arrays():
    opt = get_optimizer("adam", learning_rate=0.1)
    state = opt.init(np.zeros(2, dtype=int))
    updates, _ = opt.update([1, -1], state)
    assert updates.dtype == np.float64
    np.testing.assert_allclose(updates, [-0.1, 0.1], rtol=1e-7)  # eps = 1e-8


def test_weight_decay_needs_params():
    from descend.errors import InputError

    opt = get_optimizer("gd", learning_rate=0.1, weight_decay=0.1)
    with pytest.raises(InputError, match="params"):
        opt.update(np.ones(2), opt.init(np.zeros(2)))


def test_schedule_is_called_with_the_step_count():
    calls = []

    def schedule(count):
        calls.append(count)
        return 0.1

    opt = get_optimizer("momentum", learning_rate=schedule)
    calls.clear()  # validation may probe the schedule
    x = np.ones(2)
    trajectory(opt, np.ones(3), opt.init(x), 4)
    assert calls == [0, 1, 2, 3]
