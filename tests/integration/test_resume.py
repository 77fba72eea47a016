"""Checkpoint and resume give the uninterrupted run bit for bit; time_limit stops honestly."""

from __future__ import annotations

import json
import shlex
import warnings

import numpy as np
import pytest
from integration_data import make_data

from descend.errors import ConvergenceWarning, InputError
from descend.models import LinearRegression
from descend.scale.checkpoint import Checkpointer, load_checkpoint

pytestmark = pytest.mark.slow  # every engine end to end: Dask clusters, streamed files, CLI processes

OPTIMIZERS = ["gd", "adam"]


def _model(optimizer: str, **kw) -> LinearRegression:
    # Short of the optimum, so every run takes all its steps.
    lr = 0.01 if optimizer == "gd" else 0.5
    return LinearRegression(optimizer=optimizer, learning_rate=lr, max_iter=60, **kw)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(
    "extra", [{}, {"loss": "huber", "epsilon": 10.0}, {"batch_size": 100, "random_state": 4}]
)
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_library_resume_is_bit_for_bit(tmp_path, optimizer, extra, suffix):
    X, y = make_data()
    warnings.simplefilter("ignore", ConvergenceWarning)
    whole = _model(optimizer, **extra).fit(X, y)
    path = tmp_path / f"run{suffix}"
    saver = Checkpointer(
        path, every=25, meta={"model": _model(optimizer, **extra).checkpoint_meta()}
    )

    def stop_at_25(r):
        saver(r)
        if r.nit == 25:
            raise StopIteration

    first = _model(optimizer, **extra).fit(X, y, callback=stop_at_25)
    assert first.stop_reason_ == "callback" and first.n_iter_ == 25
    ck = load_checkpoint(path)
    assert ck.nit == 25
    rest = _model(optimizer, **extra).fit(X, y, resume=ck)
    assert rest.start_iter_ == 25 and rest.n_iter_ == whole.n_iter_ == 60
    assert np.array_equal(rest.coef_, whole.coef_) and rest.intercept_ == whole.intercept_
    # The curves and paths concatenate into the uninterrupted ones (the resume point once).
    assert np.array_equal(np.r_[first.loss_curve_, rest.loss_curve_[1:]], whole.loss_curve_)
    assert np.array_equal(np.vstack([first.history_, rest.history_[1:]]), whole.history_)


def test_library_resume_refuses_other_settings(tmp_path):
    X, y = make_data()
    path = tmp_path / "run.json"
    saver = Checkpointer(path, every=5, meta={"model": _model("gd").checkpoint_meta()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LinearRegression(optimizer="gd", learning_rate=0.01, max_iter=5).fit(X, y, callback=saver)
    ck = load_checkpoint(path)
    with pytest.raises(InputError, match="optimizer='gd'"):
        _model("adam").fit(X, y, resume=ck)
    with pytest.raises(InputError, match="4 parameters"):
        _model("gd").fit(X[:, :2], y, resume=ck)


def test_time_limit_stops_with_status_and_warning():
    X, y = make_data()
    model = LinearRegression(learning_rate=1e-4, max_iter=10**9, tol=0.0, time_limit=0.05)
    with pytest.warns(ConvergenceWarning, match="time_limit=0.05"):
        model.fit(X, y)
    assert model.stop_reason_ == "time_limit" and 0 < model.n_iter_ < 10**9
    assert model.result_.elapsed < 5.0
    with pytest.raises(InputError, match="time_limit"):
        LinearRegression(time_limit=0).fit(X, y)


# --------------------------------------------------------------------------- the CLI


def _fit_args(data, optimizer: str, *more: str) -> list[str]:
    lr = "0.01" if optimizer == "gd" else "0.5"
    return ["fit", str(data), "--optimizer", optimizer, "--lr", lr, "--json", *more]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_cli_checkpoint_resume_bit_for_bit(cli, files, tmp_path, optimizer):
    ck = tmp_path / "run.json"
    whole = json.loads(cli(*_fit_args(files["csv"], optimizer, "--max-iter", "60")).stdout)
    r = cli(
        *_fit_args(
            files["csv"],
            optimizer,
            "--max-iter",
            "25",
            "--checkpoint",
            ck,
            "--checkpoint-every",
            "10",
        )
    )
    assert r.code == 0, r.stderr
    assert load_checkpoint(ck).nit == 25  # saved at the end of the run too
    r = cli(*_fit_args(files["csv"], optimizer, "--max-iter", "60", "--resume", ck))
    assert r.code == 0, r.stderr
    rest = json.loads(r.stdout)
    assert rest["start_iter"] == 25 and rest["n_iter"] == 60
    assert rest["coef"] == whole["coef"] and rest["intercept"] == whole["intercept"]
    assert rest["loss"] == whole["loss"]


def test_cli_stream_huber_resume_bit_for_bit(cli, files, tmp_path):
    ck = tmp_path / "run.npz"
    args = ["--engine", "stream", "--loss", "huber", "--epsilon", "10"]
    whole = json.loads(cli(*_fit_args(files["folder"], "adam", *args, "--max-iter", "30")).stdout)
    r = cli(*_fit_args(files["folder"], "adam", *args, "--max-iter", "12", "--checkpoint", ck))
    assert r.code == 0, r.stderr
    rest = json.loads(
        cli(*_fit_args(files["folder"], "adam", *args, "--max-iter", "30", "--resume", ck)).stdout
    )
    assert rest["coef"] == whole["coef"] and rest["intercept"] == whole["intercept"]


def test_cli_ctrl_c_saves_and_prints_the_resume_command(cli, files, tmp_path, monkeypatch):
    ck = tmp_path / "run.json"
    whole = json.loads(cli(*_fit_args(files["csv"], "adam", "--max-iter", "50")).stdout)
    calls = []
    real = Checkpointer.__call__

    def interrupt_at_20(self, r):
        calls.append(r.nit)
        if r.nit == 20:
            raise KeyboardInterrupt
        real(self, r)

    monkeypatch.setattr(Checkpointer, "__call__", interrupt_at_20)
    r = cli(*_fit_args(files["csv"], "adam", "--max-iter", "50", "--checkpoint", ck))
    monkeypatch.undo()
    assert r.code == 130
    assert json.loads(r.stdout)["status"] == "interrupted"
    assert load_checkpoint(ck).nit == 20
    (line,) = [ln for ln in r.stderr.splitlines() if "Resume with" in ln]
    assert "interrupted after 20 iterations" in line and "Resume with: descend fit" in line
    command = shlex.split(line.split("Resume with: ", 1)[1])
    assert command[:2] == ["descend", "fit"] and command[-2:] == ["--resume", str(ck)]
    assert "--checkpoint" in command and "--max-iter" in command
    r = cli(*command[1:])  # the printed command, as the user would paste it
    assert r.code == 0, r.stderr
    rest = json.loads(r.stdout)
    assert rest["coef"] == whole["coef"] and rest["intercept"] == whole["intercept"]


def test_cli_ctrl_c_without_checkpoint(cli, files, monkeypatch):
    import descend.models._descent as descent

    real = descent.run_descent

    def run(*a, **kw):
        def cb(r):
            raise KeyboardInterrupt

        kw["callback"] = cb
        return real(*a, **kw)

    monkeypatch.setattr(descent, "run_descent", run)
    monkeypatch.setattr("descend.models._solvers.run_descent", run)
    r = cli(*_fit_args(files["csv"], "gd", "--max-iter", "50"))
    assert r.code == 130
    assert "nothing saved" in r.stderr and "--checkpoint FILE" in r.stderr


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (["--loss", "huber"], "--loss"),
        (["--optimizer", "adam"], "--optimizer"),
        (["--no-scale"], "--scale/--no-scale"),
        (["--features", "a,b"], "--features"),
    ],
)
def test_cli_resume_mismatch_is_refused(cli, files, tmp_path, change, needle):
    ck = tmp_path / "run.json"
    assert cli("fit", files["csv"], "--max-iter", "5", "--checkpoint", ck).code == 0
    r = cli("fit", files["csv"], "--max-iter", "10", "--resume", ck, *change)
    assert r.code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr and str(ck) in r.stderr


def test_cli_resume_other_data_is_refused(cli, files, tmp_path):
    ck = tmp_path / "run.json"
    assert cli("fit", files["csv"], "--max-iter", "5", "--checkpoint", ck).code == 0
    r = cli("fit", files["parquet"], "--max-iter", "10", "--resume", ck)
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "houses.csv" in r.stderr and "same DATA" in r.stderr
    r = cli("fit", files["csv"], "--resume", tmp_path / "missing.json")
    assert r.code == 2 and "no such checkpoint" in r.stderr


def test_cli_time_limit(cli, files):
    r = cli(
        "fit",
        files["csv"],
        "--lr",
        "1e-5",
        "--max-iter",
        "100000000",
        "--tol",
        "0",
        "--time-limit",
        "0.05",
        "--json",
    )
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "time_limit"
    assert "--time-limit 0.05" in r.stderr  # the CLI speaks in its flags


def test_cli_checkpoint_options_need_a_file(cli, files):
    r = cli("fit", files["csv"], "--checkpoint-every", "5")
    assert r.code == 2 and "--checkpoint FILE" in r.stderr
