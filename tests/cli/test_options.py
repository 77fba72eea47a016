"""Shared option declarations and the one JSON vocabulary of every ``--json``."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOUSES = str(ROOT / "examples" / "houses.csv")
DATA = str(ROOT / "examples" / "data.csv")
RUN_KEYS = {"x", "fun", "nit", "nfev", "status", "success", "message"}


def _defaults(command: str) -> dict[str, object]:
    from typer.models import ParameterInfo

    from descend.cli.app import app
    from descend.cli.commands import register

    register(command)
    (cmd,) = [c for c in app.registered_commands if c.name == command]
    assert cmd.callback is not None
    return {
        name: p.default.default
        for name, p in inspect.signature(cmd.callback).parameters.items()
        if isinstance(p.default, ParameterInfo)
    }


def test_fit_defaults_are_the_estimators():
    from descend.models import LinearModel

    cli, lib = _defaults("fit"), LinearModel().get_params()
    same = {"lr": "learning_rate", "loss": "loss", "optimizer": "optimizer", "max_iter": "max_iter",
            "tol": "tol", "n_iter_no_change": "n_iter_no_change", "gtol": "gtol",
            "target_loss": "target_loss", "time_limit": "time_limit", "alpha": "alpha",
            "epsilon": "epsilon", "scale": "scale", "fit_intercept": "fit_intercept",
            "batch_size": "batch_size", "random_state": "random_state"}
    for flag, param in same.items():
        assert cli[flag] == lib[param], (flag, cli[flag], lib[param])
    assert cli["huber_scale"] is None and lib["huber_scale"] == "auto"  # None on the CLI is 'auto'


def test_sweep_defaults_are_the_librarys():
    from descend.models import sweep_learning_rates

    cli = _defaults("sweep")
    lib = {k: p.default for k, p in inspect.signature(sweep_learning_rates).parameters.items()}
    for name in ("max_iter", "tol", "n_iter_no_change", "scale"):
        assert cli[name] == lib[name], name
    assert [float(r) for r in str(cli["lr"]).split(",")] == list(lib["learning_rates"])


def test_fit_json_speaks_scipys_words(cli):
    r = cli("fit", DATA, "--lr", "0.0001", "--max-iter", "50", "--no-scale", "--json")
    obj = json.loads(r.stdout)
    assert r.code == 0 and RUN_KEYS | {"coef", "intercept", "verdict"} <= set(obj)
    assert obj["x"] == [obj["intercept"], *obj["coef"]]
    assert obj["nit"] == 50 and obj["status"] == "max_iter" and obj["success"] is False
    assert obj["nfev"] >= obj["nit"]
    # the deprecated keys, for one release: the same numbers
    assert obj["loss"] == obj["fun"] and obj["n_iter"] == obj["nit"]
    # the loss at x, computed here from the data
    import numpy as np

    rows = np.loadtxt(DATA, delimiter=",")  # no header: 100 rows of x, y
    r_ = rows[:, 0] * obj["coef"][0] + obj["intercept"] - rows[:, 1]
    assert obj["fun"] == pytest.approx(float(np.mean(r_ * r_)), rel=1e-12)


def test_minimize_and_sweep_json_speak_the_same_words(cli):
    r = cli("minimize", "x**2 + y**2", "--start", "3,1", "--json")
    obj = json.loads(r.stdout)
    assert r.code == 0 and RUN_KEYS <= set(obj) and obj["x"] == pytest.approx([0, 0], abs=1e-6)
    r = cli("sweep", HOUSES, "--lr", "0.1,3", "--max-iter", "40", "--json")
    obj = json.loads(r.stdout)
    assert r.code == 0
    for run in obj["runs"]:
        assert {"x", "fun", "nit", "status", "success", "verdict"} <= set(run)
        assert run["x"] == [run["intercept"], *run["coef"]]
        assert run["fun"] == run["final_loss"] and run["nit"] == run["n_iter"]  # deprecated keys
    assert [run["success"] for run in obj["runs"]] == [
        run["verdict"] == "converged" for run in obj["runs"]]


def test_the_deprecated_keys_are_listed():
    from descend.cli.render import DEPRECATED

    assert DEPRECATED == {"loss": "fun", "n_iter": "nit", "final_loss": "fun"}
