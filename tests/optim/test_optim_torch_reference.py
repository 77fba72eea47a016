"""Oracle tests: every iterate of every optimizer agrees with torch.optim to 1e-12 (float64).

The reference trajectories live in ``torch_reference.json`` (written by
``make_torch_reference.py``), so these tests need no torch; the ``live`` tests rerun torch
when it is importable.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from descend.optim import get_optimizer, parse_schedule

HERE = Path(__file__).resolve().parent


def _load_generator() -> Any:
    name = "descend_tests_make_torch_reference"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "make_torch_reference.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ref = _load_generator()
DATA = json.loads(ref.REFERENCE.read_text())
RUNS = {run["id"]: run for run in DATA["runs"]}
TOL = 1e-12


def run_descend(case: dict[str, Any], steps: int) -> np.ndarray:
    grad_fn, x0 = ref.PROBLEMS[case["problem"]]
    lr = parse_schedule(case["lr"]) if isinstance(case["lr"], str) else case["lr"]
    opt = get_optimizer(case["optimizer"], learning_rate=lr, **case["hyperparams"])
    x = np.array(x0, dtype=np.float64)
    state = opt.init(x)
    out = []
    for k in range(steps):
        updates, state = opt.update(grad_fn(x, k, np.array), state, x)
        x = x + updates
        out.append(x)
    return np.array(out)


def deviation(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Max over iterates of |ours - torch| / max(1, |torch|): absolute near 0, else relative."""
    return float(np.max(np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))))


def test_reference_covers_every_optimizer_and_option():
    from descend.optim import OPTIMIZERS

    assert {run["optimizer"] for run in DATA["runs"]} == set(OPTIMIZERS)
    seen = {
        (run["optimizer"], k, repr(v))
        for run in DATA["runs"]
        for k, v in run["hyperparams"].items()
    }
    for needed in [
        ("momentum", "dampening", "0.3"),
        ("nesterov", "weight_decay", "0.1"),
        ("adagrad", "lr_decay", "0.05"),
        ("adagrad", "initial_accumulator_value", "0.5"),
        ("rmsprop", "centered", "True"),
        ("rmsprop", "momentum", "0.5"),
        ("adam", "amsgrad", "True"),
        ("adam", "weight_decay", "0.1"),
        ("adamw", "amsgrad", "True"),
    ]:
        assert needed in seen, needed
    assert any(isinstance(run["lr"], str) for run in DATA["runs"])  # scheduled runs
    assert ref.REFERENCE.stat().st_size < 2_000_000


@pytest.mark.parametrize("run_id", sorted(RUNS))
def test_every_iterate_matches_torch(run_id):
    run = RUNS[run_id]
    theirs = np.array(run["trajectory"])
    ours = run_descend(run, len(theirs))
    assert np.all(np.isfinite(theirs))
    assert deviation(ours, theirs) <= TOL, run_id


def test_max_deviation_over_the_whole_reference_is_tiny():
    worst = max(
        deviation(run_descend(run, len(run["trajectory"])), np.array(run["trajectory"]))
        for run in DATA["runs"]
    )
    # Not a tolerance but a tripwire: differences are a few ulps (torch may fuse multiply-adds).
    assert worst < 1e-13, worst


@pytest.mark.parametrize("entry", DATA["schedules"], ids=lambda e: e["spec"])
def test_schedule_values_match_torch_lr_scheduler(entry):
    schedule = parse_schedule(entry["spec"])
    steps = len(entry["values"])
    if entry["spec"].startswith("cosine"):
        steps = min(steps, schedule.decay_steps + 1)  # torch's cosine rises again after T_max
    ours = np.array([schedule(k) for k in range(steps)])
    np.testing.assert_allclose(ours, entry["values"][:steps], rtol=1e-12, atol=0)


# ------------------------------------------------------------------ live torch


def test_live_torch_matches_every_case():
    pytest.importorskip("torch")
    for case in ref.cases():
        theirs = np.array(ref.run_torch(case, steps=30))
        assert deviation(run_descend(case, 30), theirs) <= TOL, case["id"]


def test_live_torch_schedules():
    pytest.importorskip("torch")
    for spec in ref.SCHEDULE_TABLE:
        schedule = parse_schedule(spec)
        values = ref.torch_schedule_values(spec, steps=40)
        n = min(40, getattr(schedule, "decay_steps", 40) + 1) if spec.startswith("cosine") else 40
        np.testing.assert_allclose([schedule(k) for k in range(n)], values[:n], rtol=1e-12)


def test_live_rosenbrock_gradient_is_autograd():
    pytest.importorskip("torch")
    ref.check_rosenbrock_against_autograd()


def test_reference_json_is_what_the_generator_writes_now():
    """The committed JSON's ids are the generator's current grid (regenerate after edits)."""
    assert [c["id"] for c in ref.cases()] == [run["id"] for run in DATA["runs"]]
