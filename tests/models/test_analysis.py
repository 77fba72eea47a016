"""The analyst's path against statsmodels: formulas with text categories and missing cells,
every covariance kind, diagnostics and prediction intervals, on statsmodels' bundled real data
sets (the reference is ``smf.ols(formula, data, missing='drop').fit(cov_type=...)``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_data import fair, grunfeld, longley, macrodata, star98

from descend.models.analysis import fit_formula, prediction_table, summary_of

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")
sms = pytest.importorskip("statsmodels.stats.stattools")

RTOL = 1e-8


CASES = [
    ("grunfeld", grunfeld, "invest ~ value + capital + C(firm)", "firm"),
    ("fair", fair, "affairs ~ rate_marriage + age + yrs_married + educ + C(job, Treatment('teacher'))",
     "occupation_husb"),
    ("star98", star98, "NABOVE ~ LOWINC + PERASIAN + PERBLACK + PTRATIO + district", "district"),
    ("macrodata", macrodata, "realinv ~ realgdp + np.log(realcons) + tbilrate + season", "year"),
    ("longley", longley, "TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR", None),
]


def _reference(frame: pd.DataFrame, formula: str, cov: str, groups: str | None):
    sm_formula = formula.replace("Treatment(", "Treatment(reference=") if "Treatment" in formula \
        else formula
    used = frame.dropna(subset=[c for c in frame.columns if c in formula or c == groups])
    model = smf.ols(sm_formula, used)
    if cov == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": used[groups].to_numpy()}), used
    return model.fit(cov_type=cov), used


def _ours(ref_names) -> list[str]:
    """statsmodels' names in descend's spelling."""
    return [n.replace("Intercept", "intercept").replace("Treatment(reference=", "Treatment(")
            .replace('"', "'") for n in ref_names]


def _order(s, ref) -> np.ndarray:
    """Indices that put descend's coefficients in statsmodels' order (patsy sorts terms)."""
    names = list(s.names)
    return np.array([names.index(n) for n in _ours(ref.params.index)])


def _close(a, b, rtol=RTOL, atol=0.0):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,make,formula,groups", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("cov", ["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"])
def test_coefficients_errors_and_intervals_equal_statsmodels(name, make, formula, groups, cov):
    if cov == "cluster" and groups is None:
        pytest.skip("no cluster column in this data set")
    frame = make()
    ref, used = _reference(frame, formula, cov, groups)
    kw = {"cov_kwds": {"groups": groups}} if cov == "cluster" else {}
    model = fit_formula(formula, frame, cov_type=cov, **kw)
    s = summary_of(model)
    assert s.n == int(ref.nobs) == len(used)
    assert model.missing_.dropped == len(frame) - len(used)
    k = _order(s, ref)
    _close(s.coef[k], ref.params.to_numpy())
    _close(s.std_err[k], ref.bse.to_numpy())
    _close(s.p_value[k], ref.pvalues.to_numpy(), rtol=1e-6, atol=1e-300)
    # a bound is coef -+ q se: judge its error against the size of the terms it adds (on
    # Longley the bounds of the intercept cancel to 1e-2 of those terms)
    ci, ref_ci = s.conf_int[k], ref.conf_int().to_numpy()
    scale = np.abs(s.coef[k]) + np.abs(ci[:, 1] - ci[:, 0])
    assert np.all(np.abs(ci - ref_ci) <= RTOL * scale[:, None])
    _close([s.r2, s.adj_r2], [ref.rsquared, ref.rsquared_adj])
    _close(s.f_statistic, ref.fvalue, rtol=1e-7)


@pytest.mark.parametrize("name,make,formula,groups", CASES, ids=[c[0] for c in CASES])
def test_diagnostics_equal_statsmodels(name, make, formula, groups):
    frame = make()
    ref, _ = _reference(frame, formula, "nonrobust", groups)
    dg = summary_of(fit_formula(formula, frame)).diagnostics
    resid = ref.resid.to_numpy()
    jb, jb_p, skew, kurt = sms.jarque_bera(resid)
    omni, omni_p = sms.omni_normtest(resid)
    _close([dg.durbin_watson], [sms.durbin_watson(resid)], rtol=1e-7)
    _close([dg.jarque_bera, dg.jarque_bera_p, dg.skew, dg.kurtosis], [jb, jb_p, skew, kurt],
           rtol=1e-6)
    _close([dg.omnibus, dg.omnibus_p], [omni, omni_p], rtol=1e-6)


@pytest.mark.parametrize("interval", ["confidence", "prediction"])
@pytest.mark.parametrize("cov", ["nonrobust", "HC3"])
def test_intervals_for_new_rows_equal_get_prediction(interval, cov):
    frame = grunfeld()
    formula = "invest ~ value + capital + C(firm)"
    ref, _ = _reference(frame, formula, cov, None)
    model = fit_formula(formula, frame, cov_type=cov)
    new = sm.datasets.grunfeld.load_pandas().data.iloc[[0, 45, 101, 219]]
    X, _, _ = model.design_.transform(new)
    got = prediction_table(model, X, interval=interval, alpha=0.1)
    want = ref.get_prediction(new).summary_frame(alpha=0.1)
    side = "mean_ci" if interval == "confidence" else "obs_ci"
    _close(got["mean"], want["mean"])
    _close(got["lower"], want[f"{side}_lower"])
    _close(got["upper"], want[f"{side}_upper"])


def test_through_the_origin_matches_ols_without_a_constant():
    d = sm.datasets.stackloss.load_pandas().data
    ref = sm.OLS(d["STACKLOSS"], d[["AIRFLOW", "WATERTEMP", "ACIDCONC"]]).fit()
    s = summary_of(fit_formula("STACKLOSS ~ AIRFLOW + WATERTEMP + ACIDCONC - 1", d))
    assert (s.df_resid, s.df_model) == (int(ref.df_resid), int(ref.df_model)) == (18, 3)
    _close(s.coef, ref.params.to_numpy())
    _close(s.std_err, ref.bse.to_numpy())
    _close([s.residual_std_error, s.r2, s.adj_r2, s.f_statistic, s.log_likelihood, s.aic, s.bic],
           [np.sqrt(ref.scale), ref.rsquared, ref.rsquared_adj, ref.fvalue, ref.llf, ref.aic,
            ref.bic], rtol=1e-7)
    assert abs(s.residual_std_error - 4.0640) < 5e-5  # the figure
    _close(s.condition_number, ref.condition_number, rtol=1e-8)


def test_missing_cells_are_counted_per_column():
    frame = grunfeld()
    model = fit_formula("invest ~ value + capital + C(firm)", frame)
    miss = frame[["value", "firm"]].isna().sum()
    report = dict(model.missing_.by_column)
    assert report == {"value": int(miss["value"]), "firm": int(miss["firm"])}
    assert model.missing_.sentence().startswith(f"n = {model.missing_.used} of {len(frame)}")


FILE_FORMULAS = {
    # an interaction: the formula library builds the design (dense)
    "interaction": "invest ~ value + capital + C(firm) + value:capital",
    # one column per term: the design is kept as blocks (numbers + category codes)
    "blocks": "invest ~ value + firm + capital",
    "reference": "invest ~ C(firm, Treatment('IBM')) + value + capital",
}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("cov", ["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"])
@pytest.mark.parametrize("kind", list(FILE_FORMULAS))
def test_a_file_in_chunks_gives_the_in_memory_numbers(tmp_path, fmt, cov, kind):
    """Chunks of 37 rows (levels met in different chunks, a cluster split across chunks)."""
    from descend.models.analysis import fit_formula_file

    frame = grunfeld()
    path = tmp_path / f"g.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False)
    formula = FILE_FORMULAS[kind]
    kw = {"cov_kwds": {"groups": "firm"}} if cov == "cluster" else {}
    whole = summary_of(fit_formula(formula, frame, cov_type=cov, **kw))
    parts = summary_of(fit_formula_file(str(path), formula, cov_type=cov, chunk_rows=37, **kw))
    assert parts.n == whole.n and parts.missing == whole.missing
    assert parts.names == whole.names
    _close(parts.coef, whole.coef, rtol=1e-9)
    _close(parts.std_err, whole.std_err, rtol=1e-9)
    d1, d2 = parts.diagnostics, whole.diagnostics
    _close([d1.durbin_watson, d1.jarque_bera, d1.omnibus], [d2.durbin_watson, d2.jarque_bera,
                                                            d2.omnibus], rtol=1e-8)


def test_an_unseen_level_is_refused_with_its_column_and_row():
    from descend.errors import DataError

    frame = grunfeld().dropna()
    model = fit_formula("invest ~ value + C(firm)", frame)
    new = frame.head(4).copy()
    new.iloc[2, new.columns.get_loc("firm")] = "Acme"
    with pytest.raises(DataError, match=r"row 3, column 'firm' has the level 'Acme'"):
        model.design_.transform(new)


@pytest.mark.parametrize("formula", [
    "y ~ __import__('os').system('touch /tmp/descend-pwned')",
    "y ~ x.__class__",
    "y ~ os.system('touch /tmp/descend-pwned')",
    "y ~ np.load('secrets')",
    "y ~ C(x, eval('1'))",
    "y ~ I(open('/etc/passwd'))",
    "y ~ getattr(x, 'y')",
])
def test_a_hostile_formula_is_refused_before_anything_runs(formula):
    from pathlib import Path

    from descend.errors import InputError

    marker = Path("/tmp/descend-pwned")
    marker.unlink(missing_ok=True)
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [1.0, 2.0, 4.0]})
    with pytest.raises(InputError, match="formula"):
        fit_formula(formula, frame)
    assert not marker.exists()


@pytest.mark.parametrize("cov", ["HC1", "HC2", "cluster"])
def test_a_dask_dataframe_on_a_local_cluster_gives_the_in_memory_numbers(dask_cluster, cov):
    distributed = pytest.importorskip("distributed")
    dd = pytest.importorskip("dask.dataframe")
    from descend.models.analysis import fit_formula_dask

    frame = grunfeld()
    formula = "invest ~ value + capital + C(firm)"
    kw = {"cov_kwds": {"groups": "firm"}} if cov == "cluster" else {}
    whole = summary_of(fit_formula(formula, frame, cov_type=cov, **kw))
    with distributed.Client(dask_cluster):
        ddf = dd.from_pandas(frame, npartitions=5)
        parts = summary_of(fit_formula_dask(ddf, formula, cov_type=cov, **kw))
    assert parts.n == whole.n and parts.missing == whole.missing and parts.names == whole.names
    _close(parts.coef, whole.coef, rtol=1e-9)
    _close(parts.std_err, whole.std_err, rtol=1e-9)
    _close(parts.diagnostics.durbin_watson, whole.diagnostics.durbin_watson, rtol=1e-9)


def test_leverage_and_cooks_distance_equal_statsmodels_influence():
    from descend.models.analysis import influence

    frame = grunfeld().dropna()
    formula = "invest ~ value + capital + C(firm)"
    model = fit_formula(formula, frame)
    X, y, _ = model.design_.transform(frame)
    got = influence(model, X, y)
    h, r, cooks = got["leverage"], got["studentised"], got["cooks"]
    ref = smf.ols(formula, frame).fit().get_influence()
    _close(h, ref.hat_matrix_diag, rtol=1e-8)
    _close(r, ref.resid_studentized_internal, rtol=1e-7)
    _close(cooks, ref.cooks_distance[0], rtol=1e-7)


def test_the_cli_fits_a_formula_saves_it_and_predicts_with_intervals(cli, tmp_path):
    import json

    frame = grunfeld()
    data = tmp_path / "g.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "m.json"
    formula = "invest ~ value + capital + C(firm)"
    r = cli("fit", data, "--formula", formula, "--cov", "HC3", "--summary", "--json",
            "--save", model)
    assert r.code == 0, r.stderr
    got = json.loads(r.stdout)
    ref, used = _reference(frame, formula, "HC3", None)
    assert got["missing"]["dropped"] == len(frame) - len(used)
    se = {row["name"]: row["std_err"] for row in got["summary"]["coefficients"]}
    for name, want in zip(_ours(ref.bse.index), ref.bse, strict=True):
        assert se[name] == pytest.approx(want, rel=1e-8)
    new = tmp_path / "new.csv"
    frame.dropna().head(5).drop(columns=["invest"]).to_csv(new, index=False)
    r = cli("predict", model, new, "--interval", "prediction", "--level", "0.9", "--json",
            "--id", "year")
    assert r.code == 0, r.stderr
    out = json.loads(r.stdout)
    want = ref.get_prediction(frame.dropna().head(5)).summary_frame(alpha=0.1)
    assert out["column"] == "predicted_invest" and "metrics" not in out
    _close(out["predictions"], want["mean"])
    _close(out["intervals"]["lower"], want["obs_ci_lower"])
    assert out["id"]["values"] == frame.dropna().head(5)["year"].tolist()


def test_the_cli_refuses_a_hostile_formula_in_one_line(cli, tmp_path):
    data = tmp_path / "d.csv"
    pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [1.0, 2.0, 4.0]}).to_csv(data, index=False)
    r = cli("fit", data, "--formula", "y ~ x + os.system('id')")
    assert r.code == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert "formula" in r.stderr and "Traceback" not in r.stderr


def test_a_reference_level_that_is_not_a_level_is_named():
    """``Treatment('XX')`` where the column has no level XX: one line naming it (it was a
    formula-library ValueError, an internal error on the command line)."""
    from descend.errors import DataError

    with pytest.raises(DataError, match=r"'XX' is not a level of column 'firm'.*'American Steel'"):
        fit_formula("invest ~ C(firm, Treatment('XX')) + value", grunfeld())
    with pytest.raises(DataError, match="cannot be built from the data: .*'XX'"):
        fit_formula("invest ~ C(firm, Treatment('XX')):value + value", grunfeld())
