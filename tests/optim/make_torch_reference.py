"""Write ``torch_reference.json``: torch.optim trajectories that descend's optimizers must match.

Run ``python tests/optim/make_torch_reference.py`` (needs torch) after changing the grid. The
tests read the JSON, so CI needs no torch; ``test_optim_torch_live.py`` reruns torch when it
is installed.

Gradients are written as plain arithmetic that runs unchanged on NumPy arrays and torch
tensors, so both sides see bit-identical gradients for identical iterates and any difference
comes from the optimizer alone. The Rosenbrock formula is checked against torch autograd.
torch is imported inside functions so that pytest's doctest collection of this module works
without it.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "torch_reference.json"
STEPS = 80

# ------------------------------------------------------------------ problems (numpy or torch)

QUAD_A = [1.0, 10.0, 100.0]
QUAD_C = [0.5, -1.0, 2.0]


def rosenbrock_grad(x: Any, k: int, stack: Any) -> Any:
    return stack([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] * x[0]), 200 * (x[1] - x[0] * x[0])])


def quadratic_grad(x: Any, k: int, stack: Any) -> Any:
    return stack([QUAD_A[i] * (x[i] - QUAD_C[i]) for i in range(3)])


def sequence_grad(x: Any, k: int, stack: Any) -> Any:
    # A fixed gradient sequence, independent of x (x enters only through weight decay):
    # exercises per-coordinate state on scales 0.1..10 with sign changes.
    g = np.sin(0.3 * k + np.arange(3.0)) * np.array([1.0, 10.0, 0.1])
    return stack([float(v) for v in g])


PROBLEMS: dict[str, tuple[Any, list[float]]] = {
    "rosenbrock": (rosenbrock_grad, [-1.2, 1.0]),
    "quadratic": (quadratic_grad, [1.0, -2.0, 0.5]),
    "sequence": (sequence_grad, [0.3, -0.7, 1.1]),
}

# Learning rates small enough that each run is not chaotic: round-off differences of an ulp
# (torch's kernels may fuse a multiply-add) must not grow past 1e-12 in STEPS steps.
LEARNING_RATES = {
    "gd": {"rosenbrock": 2e-4, "quadratic": 0.005, "sequence": 0.05},
    "momentum": {"rosenbrock": 2e-4, "quadratic": 0.005, "sequence": 0.05},
    "nesterov": {"rosenbrock": 2e-4, "quadratic": 0.005, "sequence": 0.05},
    "adagrad": {"rosenbrock": 0.05, "quadratic": 0.1, "sequence": 0.1},
    "rmsprop": {"rosenbrock": 1e-3, "quadratic": 0.005, "sequence": 0.01},
    "adam": {"rosenbrock": 0.01, "quadratic": 0.01, "sequence": 0.01},
    "adamw": {"rosenbrock": 0.01, "quadratic": 0.01, "sequence": 0.01},
}


def _grid(**axes: list[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


GRIDS: dict[str, list[dict[str, Any]]] = {
    "gd": _grid(weight_decay=[0.0, 0.1]),
    "momentum": _grid(momentum=[0.5, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.1]),
    "nesterov": _grid(momentum=[0.5, 0.9], weight_decay=[0.0, 0.1]),
    "adagrad": _grid(
        lr_decay=[0.0, 0.05], initial_accumulator_value=[0.0, 0.5], weight_decay=[0.0, 0.1]
    ),
    "rmsprop": _grid(
        alpha=[0.99, 0.9], centered=[False, True], momentum=[0.0, 0.5], weight_decay=[0.0, 0.1]
    ),
    "adam": [
        {"b1": b1, "b2": b2, "weight_decay": wd, "amsgrad": ams}
        for (b1, b2), wd, ams in itertools.product(
            [(0.9, 0.999), (0.5, 0.9)], [0.0, 0.1], [False, True]
        )
    ],
    "adamw": _grid(weight_decay=[0.0, 0.1], amsgrad=[False, True], eps=[1e-8, 1e-6]),
}

# Scheduled runs: (optimizer, hyperparams, problem, schedule text as parse_schedule reads it).
SCHEDULED: list[tuple[str, dict[str, Any], str, str]] = [
    ("gd", {}, "quadratic", "cosine:0.008,80,0.1"),
    ("momentum", {"momentum": 0.9}, "quadratic", "step:0.005,20,0.5"),
    ("nesterov", {"momentum": 0.9}, "sequence", "invtime:0.05,0.1,4"),
    ("rmsprop", {"momentum": 0.5, "centered": True}, "quadratic", "step:0.005,7"),
    ("adam", {"amsgrad": True}, "rosenbrock", "exp:0.02,0.97"),
    ("adamw", {"weight_decay": 0.1}, "sequence", "cosine:0.01,100"),
]

SCHEDULE_TABLE = [
    "step:0.1,3,0.5",
    "step:0.1,10",
    "exp:0.1,0.99",
    "exp:1.0,0.5",
    "invtime:0.1,0.01",
    "invtime:0.5,2.0,10",
    "cosine:0.1,50",
    "cosine:0.1,40,0.1",
]
SCHEDULE_STEPS = 60  # torch's cosine rises again after T_max; the tests stop there


def cases() -> list[dict[str, Any]]:
    """Every run to record: name, optimizer, hyper-parameters, problem, learning rate."""
    out = []
    for name, grid in GRIDS.items():
        for problem in PROBLEMS:
            for hyper in grid:
                lr = LEARNING_RATES[name][problem]
                out.append({"optimizer": name, "hyperparams": hyper, "problem": problem, "lr": lr})
    for name, hyper, problem, schedule in SCHEDULED:
        out.append({"optimizer": name, "hyperparams": hyper, "problem": problem, "lr": schedule})
    for case in out:
        hp = ",".join(f"{k}={v}" for k, v in case["hyperparams"].items())
        case["id"] = f"{case['optimizer']}/{case['problem']}/lr={case['lr']}/{hp}"
    return out


# ------------------------------------------------------------------ torch side


def torch_stack(items: list[Any]) -> Any:
    """Like ``np.array`` for a list of scalars, giving a float64 tensor."""
    import torch

    return torch.stack([torch.as_tensor(v, dtype=torch.float64) for v in items])


def torch_optimizer(name: str, hyper: dict[str, Any], lr: float, params: list[Any]) -> Any:
    """The torch.optim object for descend optimizer ``name`` (single-tensor code path)."""
    import torch

    h = dict(hyper)
    if name in ("gd", "momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, nesterov=name == "nesterov", foreach=False, **h)
    if name in ("adam", "adamw"):
        betas = (h.pop("b1", 0.9), h.pop("b2", 0.999))
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return cls(params, lr=lr, betas=betas, foreach=False, **h)
    cls = {"adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop}[name]
    return cls(params, lr=lr, foreach=False, **h)


def torch_scheduler(text: str, optimizer: Any) -> Any:
    """The torch.optim.lr_scheduler matching descend's ``parse_schedule(text)``."""
    from torch.optim import lr_scheduler

    kind, _, rest = text.partition(":")
    args = [float(a) for a in rest.split(",")]
    if kind == "step":
        gamma = args[2] if len(args) > 2 else 0.1
        return lr_scheduler.StepLR(optimizer, step_size=int(args[1]), gamma=gamma)
    if kind == "exp":
        return lr_scheduler.ExponentialLR(optimizer, gamma=args[1])
    if kind == "cosine":
        alpha = args[2] if len(args) > 2 else 0.0
        return lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=int(args[1]), eta_min=alpha * args[0]
        )
    if kind == "invtime":
        rate, steps = args[1], (args[2] if len(args) > 2 else 1.0)
        return lr_scheduler.LambdaLR(optimizer, lambda k: 1 / (1 + rate * k / steps))
    raise ValueError(text)


def run_torch(case: dict[str, Any], steps: int = STEPS) -> list[list[float]]:
    """torch.optim's iterates x_1..x_steps for ``case``, in float64."""
    import torch

    grad_fn, x0 = PROBLEMS[case["problem"]]
    p = torch.tensor(x0, dtype=torch.float64)
    lr = case["lr"]
    initial = float(lr.partition(":")[2].split(",")[0]) if isinstance(lr, str) else lr
    opt = torch_optimizer(case["optimizer"], case["hyperparams"], initial, [p])
    scheduler = torch_scheduler(lr, opt) if isinstance(lr, str) else None
    out = []
    for k in range(steps):
        p.grad = grad_fn(p.detach(), k, torch_stack)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        out.append(p.detach().tolist())
    return out


def torch_schedule_values(text: str, steps: int = SCHEDULE_STEPS) -> list[float]:
    """The rate torch uses at steps 0..steps-1 (the scheduler stepped after each step)."""
    import torch

    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    initial = float(text.partition(":")[2].split(",")[0])
    opt = torch.optim.SGD([p], lr=initial)
    scheduler = torch_scheduler(text, opt)
    values = []
    for _ in range(steps):
        values.append(opt.param_groups[0]["lr"])
        opt.step()  # p.grad is None: a no-op that keeps the scheduler's order check quiet
        scheduler.step()
    return values


def check_rosenbrock_against_autograd() -> None:
    import torch

    for x0 in ([-1.2, 1.0], [0.3, 0.7], [2.0, -1.0]):
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        (auto,) = torch.autograd.grad(f, x)
        mine = rosenbrock_grad(x.detach(), 0, torch_stack)
        assert torch.allclose(auto, mine, rtol=1e-14, atol=0), (auto, mine)


def main() -> int:
    import torch

    check_rosenbrock_against_autograd()
    runs = []
    for case in cases():
        runs.append({**case, "x0": PROBLEMS[case["problem"]][1], "trajectory": run_torch(case)})
    schedules = [{"spec": s, "values": torch_schedule_values(s)} for s in SCHEDULE_TABLE]
    doc = {
        "generator": "tests/optim/make_torch_reference.py",
        "torch_version": torch.__version__,
        "steps": STEPS,
        "runs": runs,
        "schedules": schedules,
    }
    REFERENCE.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    size = REFERENCE.stat().st_size
    print(f"wrote {REFERENCE.name}: {len(runs)} runs, {len(schedules)} schedules, {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
