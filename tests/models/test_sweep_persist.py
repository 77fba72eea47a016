"""The vectorised sweep equals one fit per rate; model files round-trip and are validated."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from descend.errors import ConvergenceWarning, DataError, InputError
from descend.models import LinearRegression, load_model, save_model, sweep_learning_rates

SIZES = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
PRICES = np.array([200000.0, 250000.0, 300000.0, 350000.0, 400000.0])


@pytest.mark.parametrize("scale", [True, False])
def test_sweep_rows_equal_separate_fits(scale):
    rng = np.random.default_rng(0)
    X = rng.normal(2.0, 1.5, size=(60, 2))
    y = X @ [1.0, -3.0] + 2.0 + rng.normal(size=60)
    rates = [0.001, 0.01, 0.05] if not scale else [0.01, 0.1, 0.5, 1.2]
    res = sweep_learning_rates(X, y, rates, max_iter=300, scale=scale)
    for k, lr in enumerate(rates):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LinearRegression(learning_rate=lr, max_iter=300, scale=scale).fit(X, y)
        assert res.diverged[k] == (m.stop_reason_ == "diverged")
        # one loop, one set of rules: the same steps and the same stopping rule as the fit
        assert res.n_iter[k] == m.n_iter_
        assert res.status[k] == m.stop_reason_
        assert res.verdicts[k] == m.verdict_
        if not res.diverged[k]:
            np.testing.assert_allclose(res.histories[k], m.history_, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(res.loss_curves[k], m.loss_curve_, rtol=1e-9)
    assert res.stability_limit == pytest.approx(m.stability_limit_)


def test_tutorial_experiment_on_houses():
    res = sweep_learning_rates(SIZES, PRICES, [0.001, 0.01, 0.1, 1.0], max_iter=50, scale=False)
    assert res.diverged.all()  # every rate of the tutorial is far above 2/L ~ 2.9e-7
    assert res.stability_limit == pytest.approx(2.92397579822e-07, rel=1e-9)
    assert all(np.isfinite(c).all() for c in res.loss_curves)
    res = sweep_learning_rates(SIZES, PRICES, [0.001, 0.01, 0.1, 1.0], max_iter=50)
    assert not res.diverged.any() and res.stability_limit == pytest.approx(1.0)
    assert res.final_loss[2] < res.final_loss[1] < res.final_loss[0]
    d = res.to_dict()
    assert d["runs"][0]["learning_rate"] == 0.001 and len(d["runs"]) == 4


def test_sweep_rejects_bad_rates():
    with pytest.raises(InputError, match="positive"):
        sweep_learning_rates(SIZES, PRICES, [0.1, -1.0])


def test_model_file_round_trip_and_overwrite(tmp_path):
    m = LinearRegression().fit(SIZES, PRICES)
    p = tmp_path / "m.json"
    save_model(m, p, target="price")
    back = load_model(p)
    np.testing.assert_array_equal(back.coef_, m.coef_)
    assert back.intercept_ == m.intercept_ and back.target_name_ == "price"
    assert back.predict([[2000.0]])[0] == pytest.approx(1e6 / 3)
    with pytest.raises(InputError, match="already exists"):
        save_model(m, p)
    save_model(m, p, force=True)
    data = tmp_path / "data.json"
    data.write_text("{}")
    with pytest.raises(InputError, match="is the training data"):
        save_model(m, data, source=str(data), force=True)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda o: o.update(format="pickle"), "not a descend model file"),
        (lambda o: o.update(version=99), "newer than this descend reads"),
        (lambda o: o.update(coef=[1.0, 2.0]), "'coef' must be 1 finite numbers"),
        (lambda o: o.update(coef=["x"]), "'coef'"),
        (lambda o: o.update(intercept=None), "'intercept'"),
        (lambda o: o.update(features=[]), "'features'"),
        (lambda o: o.update(loss="l3"), "'loss'"),
    ],
)
def test_model_file_validation(tmp_path, mutate, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LinearRegression().fit(SIZES, PRICES)
    p = tmp_path / "m.json"
    save_model(m, p)
    obj = json.loads(p.read_text())
    mutate(obj)
    p.write_text(json.dumps(obj))
    with pytest.raises(DataError, match=match):
        load_model(p)
    p.write_text("{not json")
    with pytest.raises(DataError, match="invalid JSON at line 1"):
        load_model(p)
