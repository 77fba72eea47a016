"""Errors at the boundary: each names the parameter, the value and the valid range or fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from descend.errors import InputError
from descend.optim import (
    OPTIMIZERS,
    Constant,
    adagrad,
    adam,
    adamw,
    cosine_decay,
    exponential_decay,
    gd,
    get_optimizer,
    inverse_time_decay,
    momentum,
    nesterov,
    optimizer_parameters,
    parse_learning_rate,
    parse_schedule,
    rmsprop,
    step_decay,
)

BAD = [
    (gd, {"learning_rate": -0.1}, ["learning_rate", "-0.1", "(0, inf)"]),
    (gd, {"learning_rate": 0.0}, ["learning_rate", "(0, inf)"]),
    (gd, {"learning_rate": math.nan}, ["learning_rate", "finite"]),
    (gd, {"learning_rate": True}, ["learning_rate", "real number"]),
    (gd, {"learning_rate": "atuo"}, ["learning_rate", "did you mean 'auto'"]),
    (gd, {"weight_decay": -1.0}, ["weight_decay", "-1.0", "[0, inf)"]),
    (momentum, {"momentum": 1.0}, ["momentum", "1.0", "[0, 1)"]),
    (momentum, {"momentum": -0.1}, ["momentum", "[0, 1)"]),
    (momentum, {"dampening": 1.5}, ["dampening", "[0, 1]"]),
    (nesterov, {"dampening": 0.1}, ["dampening", "0.1", "must be 0"]),
    (nesterov, {"momentum": 0.0}, ["momentum", "(0, 1)"]),
    (adagrad, {"lr_decay": -0.1}, ["lr_decay", "[0, inf)"]),
    (adagrad, {"initial_accumulator_value": -1}, ["initial_accumulator_value"]),
    (adagrad, {"eps": 0.0}, ["eps", "(0, inf)"]),
    (rmsprop, {"alpha": 1.0}, ["alpha", "[0, 1)"]),
    (rmsprop, {"momentum": 2.0}, ["momentum", "[0, 1)"]),
    (rmsprop, {"centered": 1}, ["centered", "True or False"]),
    (adam, {"b1": 1.0}, ["b1", "1.0", "[0, 1)"]),
    (adam, {"b1": -0.5}, ["b1", "[0, 1)"]),
    (adam, {"b2": 1.2}, ["b2", "[0, 1)"]),
    (adam, {"eps": -1e-8}, ["eps", "(0, inf)"]),
    (adam, {"amsgrad": "yes"}, ["amsgrad", "True or False"]),
    (adamw, {"weight_decay": -0.01}, ["weight_decay", "[0, inf)"]),
]


@pytest.mark.parametrize(
    ("factory", "kwargs", "words"), BAD, ids=[f"{f.__name__}-{k}" for f, k, _ in BAD]
)
def test_bad_hyperparameter_names_parameter_value_and_range(factory, kwargs, words):
    with pytest.raises(InputError) as info:
        factory(**kwargs)
    message = str(info.value)
    assert message.startswith(factory.__name__)
    for word in words:
        assert word in message, (word, message)


def test_input_error_is_a_value_error():
    with pytest.raises(ValueError):
        adam(b1=2.0)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_defaults_are_valid_and_learning_rate_comes_first(name):
    params = optimizer_parameters(name)
    assert next(iter(params)) == "learning_rate"
    opt = OPTIMIZERS[name]()
    assert opt.name == name
    assert opt.learning_rate == params["learning_rate"]


def test_torch_defaults():
    assert optimizer_parameters("adam") == {
        "learning_rate": 0.001,
        "b1": 0.9,
        "b2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    }
    assert optimizer_parameters("adamw")["weight_decay"] == 0.01
    assert optimizer_parameters("adagrad")["learning_rate"] == 0.01
    assert optimizer_parameters("adagrad")["eps"] == 1e-10
    assert optimizer_parameters("rmsprop")["alpha"] == 0.99


def test_unknown_optimizer_lists_valid_names_and_suggests_closest():
    with pytest.raises(InputError) as info:
        get_optimizer("adan")
    message = str(info.value)
    assert "'adan'" in message and "did you mean 'adam'" in message
    for name in OPTIMIZERS:
        assert name in message


def test_optimizer_names_are_case_insensitive():
    assert get_optimizer(" Adam ").name == "adam"


def test_hyperparameter_not_taken_says_who_takes_it():
    with pytest.raises(InputError) as info:
        get_optimizer("momentum", b1=0.9)
    message = str(info.value)
    assert "momentum does not take b1" in message
    assert "adam, adamw" in message
    assert "learning_rate, momentum, dampening, weight_decay" in message


def test_misspelt_hyperparameter_gets_a_suggestion():
    with pytest.raises(InputError, match="did you mean 'weight_decay'"):
        get_optimizer("gd", weight_decy=0.1)


def test_none_hyperparameters_keep_defaults():
    opt = get_optimizer("adam", learning_rate=None, b1=None, b2=0.99)
    assert opt.learning_rate == 0.001
    assert opt.hyperparams["b1"] == 0.9 and opt.hyperparams["b2"] == 0.99


# ------------------------------------------------------------------ schedules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1", [0.1, 0.1, 0.1]),
        ("const:0.2", [0.2, 0.2, 0.2]),
        ("exp:0.1,0.5", [0.1, 0.05, 0.025]),
        ("step:0.1,2,0.5", [0.1, 0.1, 0.05]),
        ("step:1,1", [1.0, 0.1, 0.1 * 0.1]),
        ("invtime:0.1,1", [0.1, 0.05, 0.1 / 3]),
        ("invtime:0.1,1,2", [0.1, 0.1 / 1.5, 0.05]),
        ("cosine:0.1,2", [0.1, 0.05, 0.0]),
        ("cosine:0.1,2,0.5", [0.1, 0.075, 0.05]),
        (" EXP : 0.1 , 0.5 ", [0.1, 0.05, 0.025]),
    ],
)
def test_parse_schedule_values(text, expected):
    schedule = parse_schedule(text)
    np.testing.assert_allclose([schedule(k) for k in range(3)], expected, rtol=1e-15, atol=1e-18)


def test_cosine_stays_at_its_floor_after_decay_steps():
    s = cosine_decay(1.0, 10, alpha=0.1)
    assert s(10) == s(11) == s(1000) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["learning_rate=", "empty"]),
        ("const:", ["const takes 1 number, got 0"]),
        ("fast", ["learning_rate=", "'fast'", "not a number", "accepted forms"]),
        ("-0.1", ["learning_rate=", "initial", "(0, inf)"]),
        ("exp:0.1", ["learning_rate=", "exp takes 2 numbers, got 1"]),
        ("exp:0.1,0.9,3", ["exp takes 2 numbers, got 3"]),
        ("step:0.1,2.5", ["whole number"]),
        ("step:0.1,0", ["step_size", ">= 1"]),
        ("cosine:0.1,100,2", ["alpha", "[0, 1]"]),
        ("linear:0.1,5", ["unknown schedule 'linear'", "exp:INITIAL,GAMMA"]),
        ("exp:a,b", ["'a' is not a number"]),
        ("exp:0.1,1.5", ["gamma", "(0, 1]"]),
        ("inf", ["initial", "finite"]),
    ],
)
def test_parse_schedule_errors_name_lr_and_forms(text, words):
    with pytest.raises(InputError) as info:
        parse_schedule(text)
    message = str(info.value)
    assert message.startswith("learning_rate=")  # the library speaks parameter names (issue 20)
    assert "accepted forms" in message
    for word in words:
        assert word in message, (word, message)


def test_parse_learning_rate():
    assert parse_learning_rate("0.05") == 0.05
    assert parse_learning_rate("AUTO") == "auto"
    assert parse_learning_rate("armijo") == "armijo"
    assert parse_learning_rate("exp:0.1,0.9") == exponential_decay(0.1, 0.9)


def test_schedule_factories_are_frozen_dataclasses_with_descriptions():
    for s in [
        Constant(0.1),
        step_decay(0.1, 10),
        exponential_decay(0.1, 0.99),
        inverse_time_decay(0.1, 0.01),
        cosine_decay(0.1, 100),
    ]:
        assert parse_schedule(str(s)) == s
        assert repr(s).startswith(type(s).__name__ + "(")
        assert "0.1" in s.describe()
        with pytest.raises(AttributeError):
            s.initial = 1.0  # type: ignore[misc]


def test_a_schedule_object_is_a_learning_rate():
    opt = adam(cosine_decay(0.1, 10))
    assert opt.learning_rate == cosine_decay(0.1, 10)


positive = st.floats(min_value=1e-6, max_value=10, allow_nan=False, allow_infinity=False)


@given(
    st.one_of(
        st.builds(Constant, positive),
        st.builds(step_decay, positive, st.integers(1, 1000), st.floats(1e-6, 1)),
        st.builds(exponential_decay, positive, st.floats(1e-6, 1)),
        st.builds(inverse_time_decay, positive, positive, st.integers(1, 1000)),
        st.builds(cosine_decay, positive, st.integers(1, 1000), st.floats(0, 1)),
    )
)
def test_schedule_text_round_trips(schedule):
    assert parse_schedule(str(schedule)) == schedule


@given(st.text(max_size=30))
def test_parse_schedule_never_fails_other_than_input_error(text):
    try:
        schedule = parse_schedule(text)
    except InputError as err:
        assert str(err).startswith("learning_rate=")
    else:
        value = schedule(3)
        assert math.isfinite(value) and value >= 0
