"""The engine's cheap paths give exactly what the general ones give: the gradient norm the
stopping rules read (``norm2``) is NumPy's ``linalg.norm`` bit for bit, and ``evolve`` is
``dataclasses.replace`` for the frozen records a run builds."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from descend.loop.result import History, OptimizeResult, Status, evolve
from descend.loop.stopping import norm2


@pytest.mark.parametrize("size", [0, 1, 2, 5, 21, 1000])
def test_norm2_is_numpys_norm_bit_for_bit(size):
    rng = np.random.default_rng(size)
    for _ in range(50):
        g = rng.standard_normal(size) * 10.0 ** rng.integers(-150, 150)
        assert norm2(g) == float(np.linalg.norm(g))
        assert type(norm2(g)) is float


def test_norm2_falls_back_to_numpy_for_other_arrays():
    rng = np.random.default_rng(1)
    strided = rng.standard_normal(40)[::3]  # not contiguous: NumPy copies it first
    matrix = rng.standard_normal((4, 3))
    single = rng.standard_normal(7).astype(np.float32)
    for g in (strided, matrix, single, [3.0, 4.0]):
        assert norm2(g) == float(np.linalg.norm(g))
    assert norm2(np.array([3.0, 4.0])) == 5.0


def test_norm2_of_non_finite_and_overflowing_gradients():
    assert norm2(np.array([1.0, np.inf])) == np.inf
    assert np.isnan(norm2(np.array([1.0, np.nan])))
    big = np.array([1e200, 1e200])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):  # as np.linalg.norm warns
            norm2(big)
    with np.errstate(over="ignore"):
        assert norm2(big) == np.inf == np.linalg.norm(big)


def _result() -> OptimizeResult:
    h = History(x=np.zeros((2, 2)), fun=np.array([2.0, 1.0]), grad_norm=np.array([1.0, 0.5]),
                learning_rate=np.array([0.1]))
    return OptimizeResult(x=np.ones(2), fun=1.0, jac=np.zeros(2), nit=1, nfev=2, njev=2,
                          status=Status.MAX_ITER, message="m", history=h, info={"a": 1})


def test_evolve_is_dataclasses_replace():
    r = _result()
    new = evolve(r, status=Status.NO_PROGRESS, fun=0.5)
    ref = dataclasses.replace(r, status=Status.NO_PROGRESS, fun=0.5)
    for f in dataclasses.fields(OptimizeResult):
        assert getattr(new, f.name) is getattr(ref, f.name) or getattr(new, f.name) == getattr(ref, f.name)
    assert type(new) is OptimizeResult and new.status is Status.NO_PROGRESS and new.fun == 0.5
    assert r.status is Status.MAX_ITER and r.fun == 1.0  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.fun = 3.0  # type: ignore[misc]


def test_evolve_refuses_a_field_the_record_does_not_have():
    with pytest.raises(TypeError, match="no field 'funn'"):
        evolve(_result(), funn=1.0)
