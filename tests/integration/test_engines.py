"""The stream and Dask engines give the in-memory fit: library hooks and the real CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from integration_data import make_data

from descend.cli._engines import dask_client, prepare_dask, prepare_stream
from descend.data import load_table
from descend.models import LinearRegression

pytestmark = pytest.mark.slow  # every engine end to end: Dask clusters, streamed files, CLI processes

RTOL = 1e-10
EPS = 10.0


def _rel(a, b) -> float:
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    return float(np.max(np.abs(a - b)) / max(1e-300, np.max(np.abs(b))))


def _settings(loss: str) -> dict:
    # Steps well short of the optimum, so every run takes all of them: the comparison is of
    # iterates, not of where a stopping rule met rounding noise.
    if loss == "huber":  # epsilon ~ 3 noise sds: outliers in the linear part, the rest quadratic
        return {"loss": loss, "epsilon": EPS, "huber_scale": 1.0, "max_iter": 40}
    return {"loss": loss, "learning_rate": 0.05, "max_iter": 40}


def _cli_settings(loss: str) -> list[str]:
    return ["--epsilon", str(EPS), "--huber-scale", "1"] if loss == "huber" else ["--lr", "0.05"]


def _reference(loss: str) -> LinearRegression:
    X, y = make_data()
    return LinearRegression(**_settings(loss)).fit(X, y)


def _fit_prepared(prep, loss: str) -> LinearRegression:
    model = LinearRegression(**_settings(loss))
    if prep.passes is None:
        return model.fit_moments(prep.stats, prep.feature_names)
    return model.fit_rows(prep.stats, prep.feature_names, prep.passes)


def _same(model: LinearRegression, ref: LinearRegression) -> None:
    assert model.n_iter_ == ref.n_iter_
    assert _rel(model.coef_, ref.coef_) <= RTOL
    assert _rel(model.intercept_, ref.intercept_) <= RTOL
    assert _rel(model.loss_curve_, ref.loss_curve_) <= RTOL


@pytest.mark.parametrize("kind", ["csv", "parquet", "folder"])
@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_stream_equals_in_memory(files, kind, loss):
    prep = prepare_stream(
        str(files[kind]),
        target=None,
        features=None,
        chunk_rows=97,
        rows_needed=loss != "squared_error",
        loss=loss,
        epsilon=EPS,
    )
    assert prep.n == 1200 and prep.feature_names == ("a", "b", "c")
    _same(_fit_prepared(prep, loss), _reference(loss))


@pytest.mark.parametrize("kind", ["csv", "folder"])
@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_dask_equals_in_memory(files, cluster, kind, loss):
    with dask_client(cluster.scheduler_address) as client:
        prep = prepare_dask(
            str(files[kind]),
            client,
            target=None,
            features=None,
            rows_needed=loss != "squared_error",
            loss=loss,
            epsilon=EPS,
        )
        model = _fit_prepared(prep, loss)
    _same(model, _reference(loss))


def _json(r) -> dict:
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_cli_stream_equals_numpy(cli, files, loss):
    args = ["fit", files["csv"], "--loss", loss, *_cli_settings(loss), "--max-iter", "40", "--json"]
    ref = _json(cli(*args))
    got = _json(cli(*args, "--engine", "stream", "--chunk-rows", "100"))
    assert got["engine"] == "stream" and got["rows"] == ref["rows"] == 1200
    assert got["n_iter"] == ref["n_iter"]
    for key in ("intercept", "coef", "loss", "initial_loss", "r2"):
        assert _rel(got[key], ref[key]) <= RTOL, key


def test_cli_stream_parquet_folder_minibatch(cli, files):
    r = _json(
        cli(
            "fit",
            files["folder"],
            "--engine",
            "stream",
            "--batch-size",
            "64",
            "--random-state",
            "3",
            "--max-iter",
            "30",
            "--json",
        )
    )
    X, y = make_data()
    best = LinearRegression().fit(X, y).optimal_loss_
    # Mini-batches wander around the optimum: close to it, not at it.
    assert best < r["loss"] < 1.05 * best
    again = _json(
        cli(
            "fit",
            files["folder"],
            "--engine",
            "stream",
            "--batch-size",
            "64",
            "--random-state",
            "3",
            "--max-iter",
            "30",
            "--json",
        )
    )
    assert again["coef"] == r["coef"]  # the same seed, the same shuffles


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_cli_dask_equals_numpy(cli, files, cluster, loss):
    base = ["--loss", loss, *_cli_settings(loss), "--max-iter", "40", "--json"]
    ref = _json(cli("fit", files["parquet"], *base))
    got = _json(
        cli(
            "fit",
            files["folder"],
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
            *base,
        )
    )
    assert got["engine"] == "dask" and got["n_iter"] == ref["n_iter"] == 40
    for key in ("intercept", "coef", "loss", "r2"):
        assert _rel(got[key], ref[key]) <= RTOL, key


def test_cli_text_report_from_stream(cli, files):
    r = cli("fit", files["parquet"], "--engine", "stream")
    assert r.code == 0, r.stderr
    assert "1200 rows" in r.stdout and "coef c" in r.stdout and "R^2" in r.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--engine", "spark"], "--engine spark"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
        (["--engine", "numpy", "--chunk-rows", "10"], "--chunk-rows"),
        (["--engine", "stream", "--plot", "x.png"], "--plot"),
        (["--engine", "dask", "--batch-size", "10"], "--batch-size"),
    ],
)
def test_cli_engine_usage_errors(cli, files, args, needle):
    r = cli("fit", files["csv"], *args)
    assert r.code == 2
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_table_load_matches_stream_names(files):
    t = load_table(str(files["csv"]))
    prep = prepare_stream(
        str(files["csv"]),
        target=None,
        features=None,
        chunk_rows=1000,
        rows_needed=False,
        loss="squared_error",
        epsilon=EPS,
    )
    assert prep.feature_names == t.feature_names and prep.target_name == t.target_name


def test_cli_stream_shows_progress_on_a_terminal(cli, files, monkeypatch):
    # Rich draws bars only on a terminal: make stderr one (recorded), then check both bars
    # were drawn -- the statistics pass and the per-step passes of a huber fit -- and that
    # the answer is the same as without them.
    import importlib
    import io

    from rich.console import Console

    app_module = importlib.import_module("descend.cli.app")  # the module, not the Typer app
    progress_module = importlib.import_module("descend.cli.progress")

    buf = io.StringIO()
    term = Console(file=buf, force_terminal=True, width=120, soft_wrap=True, highlight=False)
    monkeypatch.setattr(app_module, "err", term)
    monkeypatch.setattr(progress_module, "err", term)
    args = ["fit", files["parquet"], "--loss", "huber", *_cli_settings("huber"),
            "--max-iter", "40", "--engine", "stream", "--json"]
    got = _json(cli(*args))
    drawn = buf.getvalue()
    assert "statistics" in drawn
    assert "fitting (stream: a pass per step)" in drawn
    assert "iteration" in drawn
    monkeypatch.undo()
    quiet = _json(cli(*args))
    assert got["coef"] == quiet["coef"]


def test_default_engine_streams_large_data_and_loads_small(cli, files, monkeypatch):
    """--engine auto (the default): the data layer's estimate of the float64 size decides."""
    import json

    from descend.data import engine as choice

    small = cli("fit", files["parquet"], "--json")
    assert small.code == 0 and json.loads(small.stdout)["engine"] == "numpy"
    monkeypatch.setattr(choice, "STREAM_BYTES", 1000)  # as if the file were large
    big = cli("fit", files["parquet"], "--json")
    obj = json.loads(big.stdout)
    assert big.code == 0 and obj["engine"] == "stream" and "streamed" in obj["engine_reason"]
    # the same answer either way
    np.testing.assert_allclose(obj["coef"], json.loads(small.stdout)["coef"], rtol=1e-9)
    folder = cli("fit", files["folder"], "--json")  # a folder always streams
    assert folder.code == 0 and json.loads(folder.stdout)["engine"] == "stream"


def test_engine_size_estimate(files):
    from descend.data.engine import float64_bytes

    # 1200 rows x 4 columns x 8 bytes, from the Parquet metadata
    assert float64_bytes([files["parquet"]]) == 1200 * 4 * 8
    assert float64_bytes([files["csv"]]) == files["csv"].stat().st_size
