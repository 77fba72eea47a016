"""The statistics of a fit against statsmodels' OLS, from the moments, for every engine."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from descend.data.stats import MomentStats, moment_stats
from descend.models import LinearRegression
from descend.models.inference import GAP_LIMIT, ols_summary

sm = pytest.importorskip("statsmodels.api")

RTOL = 1e-8


def _houses(n: int = 60, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """examples/houses.csv's line ($166.67 per sq ft) over 1200-2400 sq ft, with noise."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(1200, 2400, n)
    return size[:, None], 166.67 * size + 5000.0 + rng.normal(0, 20000.0, n)


def _correlated(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two features with correlation ~0.95 and a third far from zero in other units."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.9 * a + 0.3 * rng.normal(size=n)
    c = rng.normal(size=n) * 100 + 500
    X = np.c_[a, b, c]
    return X, 1 + 2 * a - b + 0.01 * c + rng.normal(size=n)


def _offset(n: int = 300, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Large means, small spread: raw sums of squares would cancel; the moments must not."""
    rng = np.random.default_rng(seed)
    X = 1e6 + rng.normal(size=(n, 4))
    return X, 3e6 + X @ np.array([0.5, -1.0, 0.0, 2.0]) + rng.normal(0, 0.1, n)


def _few(n: int = 7, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Two residual degrees of freedom: the t quantiles are far from the normal's."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, X.sum(axis=1) + rng.normal(size=n)


DATASETS = {"houses": _houses, "correlated": _correlated, "offset": _offset, "few": _few}


def _ols(X: np.ndarray, y: np.ndarray):
    return sm.OLS(y, sm.add_constant(X, has_constant="add")).fit()


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size == 0 and b.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _same_p(p, ref) -> None:
    """p-values to 1e-8; a tail value (p < 1e-10) amplifies a 1e-10 difference in t by t^2,
    so those are compared by their logarithm, to 1e-8."""
    p, ref = np.asarray(p, float), np.asarray(ref, float)
    big = ref >= 1e-10
    assert _rel(p[big], ref[big]) <= RTOL
    tail = ~big & (ref > 0)
    assert _rel(np.log(p[tail]), np.log(ref[tail])) <= RTOL
    assert np.all(p[ref == 0] < 1e-300)


def _same_fit_statistics(s, ref) -> None:
    """The quantities that do not depend on the coefficients to first order."""
    assert _rel(s.std_err, ref.bse) <= RTOL
    assert _rel(s.r2, ref.rsquared) <= RTOL
    assert _rel(s.adj_r2, ref.rsquared_adj) <= RTOL
    assert _rel(s.residual_std_error, np.sqrt(ref.scale)) <= RTOL
    assert _rel(s.rss, ref.ssr) <= RTOL
    assert _rel(s.tss, ref.centered_tss) <= RTOL
    assert _rel(s.f_statistic, ref.fvalue) <= RTOL
    _same_p([s.f_p_value], [ref.f_pvalue])
    assert _rel(s.log_likelihood, ref.llf) <= RTOL
    assert _rel(s.aic, ref.aic) <= RTOL
    assert _rel(s.bic, ref.bic) <= RTOL
    assert s.df_resid == int(ref.df_resid) and s.df_model == int(ref.df_model)


@pytest.mark.parametrize("name", DATASETS)
def test_formulas_match_statsmodels_at_its_coefficients(name):
    X, y = DATASETS[name]()
    ref = _ols(X, y)
    s = ols_summary(moment_stats(X, y), ref.params[0], ref.params[1:], alpha=0.1)
    _same_fit_statistics(s, ref)
    assert _rel(s.t, ref.tvalues) <= RTOL
    _same_p(s.p_value, ref.pvalues)
    assert _rel(s.conf_int, ref.conf_int(alpha=0.1)) <= RTOL
    # statsmodels takes the condition number from the eigenvalues of X^T X, which lose
    # eps * cond^2 of the smallest; the reference is the SVD of the design matrix itself.
    design = sm.add_constant(X, has_constant="add")
    assert _rel(s.condition_number, np.linalg.cond(design)) <= 1e-6
    if ref.condition_number < 1e6:
        assert _rel(s.condition_number, ref.condition_number) <= 1e-6
    assert s.unavailable == () and s.gap_se is not None and s.gap_se < 1e-6


def test_merged_moments_give_the_same_statistics():
    """Chunks merged as the stream and Dask engines merge them: the same table."""
    X, y = _correlated()
    ref = _ols(X, y)
    parts = [moment_stats(X[i : i + 37], y[i : i + 37]) for i in range(0, len(y), 37)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged.merge(p)
    s = ols_summary(merged, ref.params[0], ref.params[1:])
    _same_fit_statistics(s, ref)
    assert _rel(s.t, ref.tvalues) <= RTOL


def _exact_ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(params, RSS, standard errors) in exact rational arithmetic from the float data."""
    from fractions import Fraction as Fr

    n, d = X.shape
    A = [[Fr(1)] + [Fr(float(v)) for v in row] for row in X]
    b = [Fr(float(v)) for v in y]
    p = d + 1
    G = [[sum(A[i][r] * A[i][c] for i in range(n)) for c in range(p)] for r in range(p)]
    h = [sum(A[i][r] * b[i] for i in range(n)) for r in range(p)]
    # Gauss-Jordan on [G | h | I]: the solution and the inverse together.
    M = [G[r] + [h[r]] + [Fr(int(r == c)) for c in range(p)] for r in range(p)]
    for k in range(p):
        piv = M[k][k]
        M[k] = [v / piv for v in M[k]]
        for r in range(p):
            if r != k and M[r][k] != 0:
                f = M[r][k]
                M[r] = [a - f * c for a, c in zip(M[r], M[k], strict=True)]
    beta = [M[r][p] for r in range(p)]
    resid = [b[i] - sum(A[i][c] * beta[c] for c in range(p)) for i in range(n)]
    rss = sum(r * r for r in resid)
    s2 = rss / (n - p)
    se = np.sqrt([float(s2 * M[r][p + 1 + r]) for r in range(p)])
    return np.array([float(v) for v in beta]), float(rss), se


def test_model_summary_exact_where_statsmodels_is_not():
    """Means 1e6, spread 1: statsmodels' RSS is 4e-8 too high (its coefficients are off the
    optimum); the moments and the descent give the exact-arithmetic answer to 1e-9."""
    X, y = _offset()
    params, rss, se = _exact_ols(X, y)
    s = LinearRegression().fit(X, y).summary()
    assert _rel(s.rss, rss) <= 1e-9
    assert _rel(s.std_err, se) <= 1e-9
    assert _rel(s.coef, params) <= 1e-9
    ref = _ols(X, y)
    assert _rel(ref.ssr, rss) > 1e-8  # the reason this data set is checked against fractions


@pytest.mark.parametrize("name", ["houses", "correlated", "few"])
def test_model_summary_matches_statsmodels(name):
    X, y = DATASETS[name]()
    ref = _ols(X, y)
    model = LinearRegression().fit(X, y)
    s = model.summary()
    _same_fit_statistics(s, ref)
    # t, p and the intervals are of the coefficients the descent reached: within the gap it
    # reports (in standard errors) of statsmodels' exact optimum, and that gap is small.
    assert s.gap_se is not None and s.gap_se <= GAP_LIMIT
    theta = np.r_[model.intercept_, model.coef_]
    assert np.allclose(s.gap_se, np.max(np.abs(theta - ref.params) / ref.bse), rtol=1e-6)
    slack = s.gap_se * (1 + 1e-6)
    assert np.all(np.abs(s.t - ref.tvalues) <= slack + RTOL * np.abs(ref.tvalues))
    half = s.conf_int[:, 1] - s.conf_int[:, 0]
    assert _rel(half, ref.conf_int()[:, 1] - ref.conf_int()[:, 0]) <= RTOL
    ci = ref.conf_int()
    assert np.all(np.abs(s.conf_int - ci) <= slack * ref.bse[:, None] + RTOL * np.abs(ci))
    assert s.names == ("intercept", *model.feature_names_)
    text = str(s)
    assert "homoscedastic" in text and "R-squared" in text and f"{s.f_statistic:.6g}" in text


@pytest.mark.parametrize(
    "params, word",
    [
        ({"alpha": 0.1}, "penalised"),
        ({"loss": "huber", "epsilon": 1.0}, "huber"),
        ({"loss": "absolute_error", "max_iter": 300}, "absolute-error"),
    ],
)
def test_not_least_squares_says_what_is_not_available(params, word):
    X, y = _correlated()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearRegression(**params).fit(X, y)
    s = model.summary()
    assert s.std_err is None and s.t is None and s.p_value is None and s.conf_int is None
    assert s.f_statistic is None and s.log_likelihood is None
    assert len(s.unavailable) == 1 and word in s.unavailable[0]
    # R^2 stays, as a description of the fitted coefficients: from the residuals directly.
    resid = y - X @ model.coef_ - model.intercept_
    assert _rel(s.r2, 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))) <= 1e-9
    text = str(s)
    assert "Not available" in text and word in text
    d = s.to_dict()
    assert d["coefficients"][1]["std_err"] is None and json.dumps(d)


def test_unconverged_fit_withholds_t_and_p():
    X, y = _correlated()
    with pytest.warns(Warning):
        model = LinearRegression(optimizer="gd", max_iter=3).fit(X, y)
    s = model.summary()
    ref = _ols(X, y)
    # The residual spread is that of the coefficients reached, so the errors scale with it.
    assert _rel(s.std_err, ref.bse * np.sqrt(s.rss / ref.ssr)) <= RTOL
    assert s.gap_se > GAP_LIMIT and s.t is None and s.p_value is None
    assert any("did not converge" in n for n in s.notes)
    assert any("standard errors from the least-squares optimum" in u for u in s.unavailable)
    # The fitted coefficients' R^2 is lower than the optimum's, and it is that one we report.
    resid = y - X @ model.coef_ - model.intercept_
    assert _rel(s.rss, resid @ resid) <= 1e-9 and s.r2 < ref.rsquared


def test_collinear_and_too_few_rows():
    rng = np.random.default_rng(4)
    a = rng.normal(size=30)
    X = np.c_[a, 2 * a]
    s = ols_summary(moment_stats(X, a + rng.normal(size=30)), 0.0, [0.2, 0.4])
    assert s.std_err is None and "collinear" in s.unavailable[0]
    X3, y3 = rng.normal(size=(3, 2)), rng.normal(size=3)
    s = ols_summary(moment_stats(X3, y3), 0.0, [0.0, 0.0])
    assert s.std_err is None and "n > 3" in s.unavailable[0] and s.adj_r2 is None


def test_exact_fit_has_zero_standard_errors_and_no_t():
    X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    y = X[:, 0] * 500.0 / 3.0
    s = LinearRegression().fit(X, y).summary()
    assert np.all(s.std_err == 0) and s.t is None and s.r2 == pytest.approx(1.0, abs=1e-12)
    assert any("exact" in n for n in s.notes)


def test_bad_arguments():
    st = MomentStats(5, np.zeros(1), 0.0, np.eye(1), np.zeros(1), 1.0)
    with pytest.raises(ValueError, match="alpha"):
        ols_summary(st, 0.0, [0.0], alpha=1.5)
    with pytest.raises(ValueError, match="coef has 2"):
        ols_summary(st, 0.0, [0.0, 1.0])


# ------------------------------------------------------------------ the CLI, every engine


@pytest.fixture(scope="module")
def correlated_csv(tmp_path_factory):
    X, y = _correlated(n=500, seed=5)
    path = tmp_path_factory.mktemp("inference") / "corr.csv"
    rows = ["a,b,c,price"] + [",".join(repr(float(v)) for v in (*r, t)) for r, t in zip(X, y, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path, _ols(X, y)


def _check_json(out: str, ref, engine: str) -> None:
    assert json.loads(out)["engine"] == engine
    got = json.loads(out)["summary"]
    rows = got["coefficients"]
    assert [r["name"] for r in rows] == ["intercept", "a", "b", "c"]
    assert _rel([r["std_err"] for r in rows], ref.bse) <= RTOL
    assert _rel(got["r2"], ref.rsquared) <= RTOL
    assert _rel(got["adj_r2"], ref.rsquared_adj) <= RTOL
    assert _rel(got["f_statistic"], ref.fvalue) <= RTOL
    assert _rel(got["residual_std_error"], np.sqrt(ref.scale)) <= RTOL
    assert got["gap_se"] <= GAP_LIMIT
    t = np.array([r["t"] for r in rows])
    slack = got["gap_se"] * (1 + 1e-6)
    assert np.all(np.abs(t - ref.tvalues) <= slack + RTOL * np.abs(ref.tvalues))
    assert "homoscedastic" in got["assumptions"]


@pytest.mark.slow  # the stream case: 18 s of CPU
@pytest.mark.parametrize("engine", ["numpy", "stream"])
def test_cli_summary_json(capsys, correlated_csv, engine):
    from descend.cli.app import main

    path, ref = correlated_csv
    code = main(["fit", str(path), "--summary", "--json", "--engine", engine, "-q"])
    out = capsys.readouterr().out
    assert code == 0
    _check_json(out, ref, engine)


@pytest.mark.slow  # a Dask cluster
def test_cli_summary_dask(capsys, correlated_csv, dask_cluster):
    from descend.cli.app import main

    path, ref = correlated_csv
    code = main(
        ["fit", str(path), "--summary", "--json", "--engine", "dask", "--scheduler",
         dask_cluster.scheduler_address, "-q"]
    )
    out = capsys.readouterr().out
    assert code == 0
    _check_json(out, ref, "dask")


def test_cli_summary_text_and_huber(capsys, correlated_csv):
    from descend.cli.app import main

    path, ref = correlated_csv
    assert main(["fit", str(path), "--summary", "-q"]) == 0
    text = capsys.readouterr().out
    assert "Least-squares statistics of the fit" in text and "P>|t|" in text
    assert f"{ref.rsquared:.6g}" in text
    assert main(["fit", str(path), "--summary", "--loss", "huber", "-q"]) == 0
    text = capsys.readouterr().out
    assert "Not available:" in text and "huber" in text


def test_summary_of_a_loaded_model_says_why_not(tmp_path):
    from sklearn.exceptions import NotFittedError

    from descend.errors import InputError
    from descend.models import load_model, save_model

    with pytest.raises(NotFittedError):
        LinearRegression().summary()
    X, y = _houses()
    fitted = LinearRegression().fit(X, y)
    save_model(fitted, tmp_path / "m.json")
    # format version 2 keeps the moments: the loaded model's statistics are the fit's
    loaded = load_model(tmp_path / "m.json").summary().to_dict()["coefficients"]
    assert loaded == fitted.summary().to_dict()["coefficients"]
    # a file without them (version 1, or too many features) says why not
    obj = json.loads((tmp_path / "m.json").read_text())
    del obj["moments"]
    (tmp_path / "m.json").write_text(json.dumps({**obj, "version": 1}))
    with pytest.raises(InputError, match="model file written before"):
        load_model(tmp_path / "m.json").summary()


def test_cli_summary_of_a_diverged_fit_is_null(capsys):
    from descend.cli.app import main

    houses = str(__import__("pathlib").Path(__file__).parents[2] / "examples" / "houses.csv")
    code = main(["fit", houses, "--lr", "0.0001", "--no-scale", "--summary", "--json", "-q"])
    got = json.loads(capsys.readouterr().out)
    assert code == 3 and got["status"] == "diverged" and got["summary"] is None
