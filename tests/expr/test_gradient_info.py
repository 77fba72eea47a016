"""gradient_at: the tutorial's numbers and the JSON form."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from descend.errors import InputError
from descend.expr import GradientInfo, gradient_at


def test_bowl_at_minus_two_minus_two() -> None:
    info = gradient_at("x**2 + y**2", {"x": -2, "y": -2})
    assert isinstance(info, GradientInfo)
    assert info.formula == ("2*x", "2*y")
    np.testing.assert_array_equal(info.value, [-4.0, -4.0])
    assert info.magnitude == pytest.approx(math.sqrt(32))
    np.testing.assert_allclose(info.direction, [-1 / math.sqrt(2)] * 2)
    assert info.fun_value == 8.0


def test_to_dict_is_json_with_the_agreed_keys() -> None:
    d = gradient_at("x**2 + y**2", [3, 1]).to_dict()
    assert set(d) == {"variables", "gradient", "at", "value", "magnitude", "direction", "fun"}
    assert d["variables"] == ["x", "y"]
    assert d["gradient"] == ["2*x", "2*y"]
    assert d["at"] == [3.0, 1.0]
    assert d["value"] == [6.0, 2.0]
    assert d["magnitude"] == pytest.approx(math.sqrt(40))
    assert d["fun"] == 10.0
    assert json.loads(json.dumps(d)) == d


def test_stationary_point_has_zero_direction() -> None:
    info = gradient_at("x**2 + x*y + y**2", [0, 0])
    assert info.magnitude == 0.0
    np.testing.assert_array_equal(info.direction, [0.0, 0.0])


def test_callable_has_no_formula() -> None:
    info = gradient_at(lambda x: float(x @ x), [1.0, 2.0])
    assert info.formula is None and info.to_dict()["gradient"] is None
    np.testing.assert_allclose(info.value, [2.0, 4.0], rtol=1e-8)
    assert info.variables == ("x0", "x1")


def test_mapping_points_must_name_every_variable() -> None:
    with pytest.raises(InputError, match="missing y"):
        gradient_at("x*y", {"x": 1})
    with pytest.raises(InputError, match="unknown z"):
        gradient_at("x*y", {"x": 1, "y": 2, "z": 3})
