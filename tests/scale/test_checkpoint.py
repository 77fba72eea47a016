"""Checkpoints: exact round trips, atomic saves, validation, and bit-for-bit resume."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

from descend.errors import ConvergenceWarning, DataError
from descend.loop import minimize
from descend.optim import adam, gd, momentum
from descend.optim.schedules import cosine_decay
from descend.optim.transforms import ScaleByAdamState
from descend.scale.checkpoint import Checkpointer, load_checkpoint, save_checkpoint

ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"
WEIRD = np.array([0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, np.nan, np.inf, -np.inf])


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_exact_round_trip(tmp_path, suffix):
    st = (ScaleByAdamState(count=np.int64(7), mu=WEIRD.copy(), nu=np.arange(3.0),
                           nu_max=None),
          {"lr": 0.1, "k": [1, 2.5, None, True]}, np.float32(0.1))
    p = tmp_path / f"c{suffix}"
    save_checkpoint(p, [1.0, 2.0], st, 17, meta={"optimizer": "adam", "w": np.ones(2)})
    ck = load_checkpoint(p)
    assert ck.nit == 17 and ck.meta == {"optimizer": "adam", "w": [1.0, 1.0]}
    a, extra, f32 = ck.state
    assert type(a) is ScaleByAdamState and a.count == 7 and type(a.count) is np.int64
    assert a.mu.tobytes() == WEIRD.tobytes()  # same bits, -0.0, subnormals and nan included
    assert extra == {"lr": 0.1, "k": [1, 2.5, None, True]}
    assert type(f32) is np.float32 and f32 == np.float32(0.1)
    assert ck.resume_kwargs()["start_iter"] == 17


def test_crash_mid_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    p = tmp_path / "c.json"
    save_checkpoint(p, [1.0], (), 1)
    before = p.read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save_checkpoint(p, [2.0], (), 2)
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["c.json"]  # no temporary left behind


def test_validation(tmp_path):
    p = tmp_path / "c.json"
    save_checkpoint(p, [1.0], ScaleByAdamState(0, np.zeros(1), np.zeros(1), None), 3)
    head = json.loads(p.read_text())

    def write(h):
        p.write_text(json.dumps(h))

    write({**head, "state": {"namedtuple": "os:system", "fields": {}}})
    with pytest.raises(DataError, match="not a descend class"):
        load_checkpoint(p)
    write({**head, "version": 99})
    with pytest.raises(DataError, match="version 99"):
        load_checkpoint(p)
    write({**head, "nit": -1})
    with pytest.raises(DataError, match="non-negative"):
        load_checkpoint(p)
    p.write_text(p.read_text()[:20])
    with pytest.raises(DataError, match="truncated"):
        load_checkpoint(p)
    with pytest.raises(DataError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.json")
    np.savez(tmp_path / "evil.npz", header=np.array([object()], dtype=object))
    with pytest.raises(DataError):
        load_checkpoint(tmp_path / "evil.npz")


def _run(opt, x0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return minimize(ROSEN, x0, optimizer=opt, gtol=0.0, tol=0.0, n_iter_no_change=10**9, **kw)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("make", [lambda: gd(1e-3), lambda: adam(cosine_decay(0.05, 60)),
                                  lambda: momentum(1e-3, 0.9)], ids=["gd", "adam-cosine", "momentum"])
def test_resumed_run_equals_uninterrupted_bit_for_bit(tmp_path, suffix, make):
    full = _run(make(), [-1.2, 1.0], max_iter=60)
    path = tmp_path / f"run{suffix}"
    ckpt = Checkpointer(path, every=10, meta={"optimizer": "x"})
    first = _run(make(), [-1.2, 1.0], max_iter=25, callback=ckpt)
    assert ckpt.saved == 2 and load_checkpoint(path).nit == 20  # the periodic saves
    ckpt.save_result(first)  # the stop (max_iter, Ctrl-C) saves the last step
    ck = load_checkpoint(path)
    assert ck.nit == 25
    second = _run(make(), max_iter=60, **ck.resume_kwargs())  # the whole run's budget
    np.testing.assert_array_equal(second.x, full.x)
    np.testing.assert_array_equal(second.history.x, full.history.x[25:])


def test_resume_from_periodic_save(tmp_path):
    full = _run(adam(0.02), [-1.2, 1.0], max_iter=50)
    path = tmp_path / "run.npz"
    _run(adam(0.02), [-1.2, 1.0], max_iter=33, callback=Checkpointer(path, every=15))
    ck = load_checkpoint(path)
    assert ck.nit == 30
    second = _run(adam(0.02), max_iter=50, **ck.resume_kwargs())  # the whole run's budget
    np.testing.assert_array_equal(second.history.x, full.history.x[30:])
