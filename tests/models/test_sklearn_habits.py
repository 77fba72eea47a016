"""scikit-learn habits: sample_weight, warm_start, partial_fit, verbose, feature names, moments
in model files. Every figure is checked against an independent reference: scikit-learn's
own estimators, repeated rows, closed forms, statsmodels."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

from descend import LinearRegression
from descend.data.stats import weighted_moment_stats
from descend.errors import InputError
from descend.models.linear import LinearModel


def _data(n=300, d=3, seed=0, noise=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.linspace(1.0, 5.0, d) + np.arange(d)
    y = X @ np.arange(1.0, d + 1) + 4.0 + noise * rng.normal(size=n)
    return X, y, rng


# ---------------------------------------------------------------- sample_weight

@pytest.mark.parametrize("cls", [LinearModel, LinearRegression])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_squared_loss_matches_sklearn(cls, fit_intercept):
    from sklearn.linear_model import LinearRegression as SkLR

    X, y, rng = _data()
    sw = rng.uniform(0.0, 3.0, size=X.shape[0])
    ref = SkLR(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    m = cls(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-11, atol=1e-12)
    assert m.intercept_ == pytest.approx(ref.intercept_, abs=1e-10)
    # the loss reported is the weighted mean squared error
    r = y - X @ ref.coef_ - ref.intercept_
    assert m.loss_ == pytest.approx(float(sw @ r**2) / sw.sum(), rel=1e-10)


@pytest.mark.parametrize("alpha", [0.1, 3.0])
def test_weighted_ridge_matches_sklearn(alpha):
    from sklearn.linear_model import Ridge

    X, y, rng = _data(seed=1)
    sw = rng.uniform(0.5, 2.0, size=X.shape[0])
    # descend's alpha penalises the weighted *mean* loss: Ridge's alpha is alpha * sum(w)
    ref = Ridge(alpha=alpha * sw.sum()).fit(X, y, sample_weight=sw)
    m = LinearModel(alpha=alpha).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-10)
    assert m.intercept_ == pytest.approx(ref.intercept_, abs=1e-9)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"optimizer": "gd", "max_iter": 20000, "tol": 0.0, "gtol": 1e-10},
        {"loss": "huber", "max_iter": 3000},
        {"loss": "absolute_error", "max_iter": 4000},
        {"batch_size": 10_000},  # one batch: the mini-batch path, full batch
    ],
)
def test_integer_weights_equal_repeated_rows(params):
    X, y, rng = _data(n=120, seed=2)
    sw = rng.integers(0, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = LinearModel(**params).fit(X, y, sample_weight=sw)
        b = LinearModel(**params).fit(X[rep], y[rep])
    tol = 1e-6 if params.get("loss") == "absolute_error" else 1e-9
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=tol, atol=tol)
    assert a.intercept_ == pytest.approx(b.intercept_, rel=tol, abs=tol)
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)


def test_weighted_minibatch_reaches_weighted_least_squares():
    from sklearn.linear_model import LinearRegression as SkLR

    X, y, rng = _data(n=400, seed=3)
    sw = rng.uniform(0.2, 2.0, size=X.shape[0])
    ref = SkLR().fit(X, y, sample_weight=sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LinearModel(batch_size=400, max_iter=5000, random_state=0).fit(
            X, y, sample_weight=sw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-5)


def test_weighted_moments_by_hand():
    X, y, rng = _data(n=50, d=2, seed=4)
    sw = rng.uniform(0.0, 2.0, size=50)
    st = weighted_moment_stats(X, y, sw)
    W = sw.sum()
    mx = (sw[:, None] * X).sum(0) / W
    my = float(sw @ y) / W
    Xc, yc = X - mx, y - my
    np.testing.assert_allclose(st.mean_x, mx, rtol=1e-13)
    assert st.mean_y == pytest.approx(my, rel=1e-13)
    np.testing.assert_allclose(st.cxx * W / 50, (Xc * sw[:, None]).T @ Xc, rtol=1e-12)
    np.testing.assert_allclose(st.cxy * W / 50, (Xc * sw[:, None]).T @ yc, rtol=1e-12)
    # merging weighted chunks is the weighted statistics of the whole
    parts = np.split(np.arange(50), [7, 30])
    acc = weighted_moment_stats(X[parts[0]], y[parts[0]], sw[parts[0]])
    for p in parts[1:]:
        acc = acc.merge(weighted_moment_stats(X[p], y[p], sw[p]))
    np.testing.assert_allclose(acc.cxx, st.cxx, rtol=1e-12)
    np.testing.assert_allclose(acc.cxy, st.cxy, rtol=1e-12)
    assert acc.cyy == pytest.approx(st.cyy, rel=1e-12)
    assert acc.sum_w == pytest.approx(W, rel=1e-14)


def test_unit_weights_are_the_unweighted_fit():
    X, y, _ = _data(seed=5)
    a = LinearModel().fit(X, y, sample_weight=np.ones(len(y)))
    b = LinearModel().fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize(
    ("sw", "words"),
    [
        (np.ones(5), "one weight per row"),
        (np.r_[np.ones(9), np.nan], "finite"),
        (np.r_[np.ones(9), -1.0], ">= 0"),
        (np.zeros(10), "zero for every row"),
        (["a"] * 10, "numbers"),
    ],
)
@pytest.mark.parametrize("cls", [LinearModel, LinearRegression])
def test_bad_sample_weight_is_a_clear_error(cls, sw, words):
    X, y, _ = _data(n=10)
    with pytest.raises(InputError, match=words):
        cls().fit(X, y, sample_weight=sw)


# ---------------------------------------------------------------- warm_start

def test_warm_start_plain_gd_takes_fewer_steps_to_the_same_answer():
    from sklearn.linear_model import LinearRegression as SkLR

    X, y, _ = _data(seed=6)
    ref = SkLR().fit(X, y)
    params = dict(optimizer="gd", max_iter=100_000, tol=0.0, gtol=1e-9)
    cold = LinearModel(**params).fit(X, y)
    cold_steps = cold.n_iter_
    cold.fit(X, y)  # warm_start=False: starts again from zero, same run
    assert cold.n_iter_ == cold_steps
    warm = LinearModel(warm_start=True, **params).fit(X, y)
    assert warm.n_iter_ == cold_steps  # nothing to start from yet
    warm.fit(X, y)
    assert warm.n_iter_ < cold_steps / 10
    np.testing.assert_allclose(warm.coef_, ref.coef_, rtol=1e-7)
    np.testing.assert_allclose(cold.coef_, ref.coef_, rtol=1e-7)
    # the warm run's first iterate is the previous answer
    np.testing.assert_allclose(warm.history_[0], np.r_[cold.intercept_, cold.coef_], rtol=1e-9)


def test_warm_start_new_data_and_other_shapes():
    X, y, rng = _data(seed=7)
    m = LinearRegression(warm_start=True, optimizer="gd", max_iter=50_000, gtol=1e-9)
    m.fit(X, y)
    y2 = y + 3.0 * X[:, 0]
    m.fit(X, y2)
    from sklearn.linear_model import LinearRegression as SkLR

    np.testing.assert_allclose(m.coef_, SkLR().fit(X, y2).coef_, rtol=1e-7)
    m.fit(X[:, :2], y)  # other feature count: starts from zero, no error
    assert m.coef_.shape == (2,)
    with pytest.raises(InputError, match="warm_start"):
        LinearModel(warm_start="yes").fit(X, y)


def test_warm_start_default_solver_same_answer():
    X, y, _ = _data(seed=8)
    a = LinearModel(warm_start=True).fit(X, y)
    first = a.coef_.copy()
    a.fit(X, y)
    np.testing.assert_allclose(a.coef_, first, rtol=1e-13)


# ---------------------------------------------------------------- partial_fit

@pytest.mark.parametrize("cls", [LinearModel, LinearRegression])
@pytest.mark.parametrize("weighted", [False, True])
def test_partial_fit_squared_loss_equals_one_fit_for_any_chunking(cls, weighted):
    X, y, rng = _data(n=500, d=4, seed=9)
    sw = rng.uniform(0.0, 2.0, size=500) if weighted else None
    full = cls().fit(X, y, sample_weight=sw)
    for _ in range(10):
        k = int(rng.integers(2, 25))
        cuts = np.sort(rng.choice(np.arange(5, 495), size=k - 1, replace=False))
        m = cls()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a first chunk of few rows is underdetermined
            for part in np.split(rng.permutation(500), cuts):
                m.partial_fit(X[part], y[part], None if sw is None else sw[part])
        np.testing.assert_allclose(m.coef_, full.coef_, rtol=1e-10, atol=1e-10)
        assert m.intercept_ == pytest.approx(full.intercept_, abs=1e-10)
        assert m.moments_.n == 500


def test_partial_fit_plain_gd_refits_from_the_moments():
    X, y, rng = _data(n=300, seed=10)
    params = dict(optimizer="gd", max_iter=100_000, gtol=1e-9)
    full = LinearModel(**params).fit(X, y)
    m = LinearModel(**params)
    for part in np.array_split(np.arange(300), 7):
        m.partial_fit(X[part], y[part])
    np.testing.assert_allclose(m.coef_, full.coef_, rtol=1e-9)


def test_partial_fit_after_fit_adds_the_chunk():
    X, y, _ = _data(n=400, seed=11)
    m = LinearModel().fit(X[:250], y[:250])
    m.partial_fit(X[250:], y[250:])
    np.testing.assert_allclose(m.coef_, LinearModel().fit(X, y).coef_, rtol=1e-10)


@pytest.mark.parametrize("loss", ["huber", "absolute_error"])
def test_partial_fit_robust_loss_is_one_epoch_of_minibatches(loss):
    X, y, rng = _data(n=200, seed=12)
    # one chunk, no shuffling: exactly fit's first epoch of 16-row steps from zero
    a = LinearModel(loss=loss, batch_size=16, shuffle=False).partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = LinearModel(loss=loss, batch_size=16, shuffle=False, max_iter=1).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    assert a.t_ == 13  # ceil(200 / 16) steps
    assert a.max_iter == 1000 and a.batch_size == 16 and a.init is None  # params untouched


@pytest.mark.parametrize("loss", ["huber", "absolute_error"])
def test_partial_fit_robust_loss_approaches_the_fit(loss):
    X, y, rng = _data(n=4000, d=2, seed=13, noise=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = LinearModel(loss=loss, max_iter=5000).fit(X, y)
    m = LinearModel(loss=loss, random_state=0)
    for _ in range(5):
        for part in np.array_split(rng.permutation(4000), 10):
            m.partial_fit(X[part], y[part])
    # a constant-step stochastic method hovers about the optimum (as fit(batch_size=32) does)
    np.testing.assert_allclose(m.coef_, full.coef_, rtol=0.15)
    from descend.models.losses import loss_value

    r = y - X @ m.coef_ - m.intercept_
    thr = full.huber_threshold_ or 0.0
    assert loss_value(loss, r, epsilon=thr) <= 1.25 * full.loss_
    assert m.t_ == 5 * 10 * 13  # 400-row chunks in 32-row steps


def test_partial_fit_refuses_other_columns():
    import pandas as pd

    X, y, _ = _data(n=50, seed=14)
    m = LinearModel().partial_fit(X, y)
    with pytest.raises(InputError, match="features"):
        m.partial_fit(X[:, :2], y)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    r = LinearRegression().partial_fit(df, y)
    with pytest.raises(ValueError, match="features"):
        r.partial_fit(X[:, :2], y)
    e = LinearModel().partial_fit(df, y)
    with pytest.raises(InputError, match="columns"):
        e.partial_fit(df[["a", "c", "b"]].set_axis(["a", "x", "b"], axis=1), y)


# ---------------------------------------------------------------- verbose

def test_verbose_prints_one_line_per_step(capsys):
    X, y, _ = _data(seed=15)
    m = LinearModel(optimizer="gd", max_iter=7, verbose=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == m.n_iter_ == 7
    for k, (line, f) in enumerate(zip(lines, m.loss_curve_[1:], strict=True), start=1):
        assert line.startswith(f"LinearModel: step {k}  loss ")
        assert float(line.split("loss ")[1].split()[0]) == pytest.approx(f, rel=1e-9)
    LinearModel().fit(X, y)
    assert capsys.readouterr().out == ""  # verbose=0: silent
    LinearModel(verbose=1).fit(X, y)  # the preconditioned solver and its refinement rounds
    out = capsys.readouterr().out.strip().splitlines()
    assert [int(s.split("step ")[1].split()[0]) for s in out] == list(range(1, len(out) + 1))
    with pytest.raises(InputError, match="verbose"):
        LinearModel(verbose=-1).fit(X, y)


# ---------------------------------------------------------------- model files keep the moments

def _summary_numbers(s):
    d = s.to_dict()
    d.pop("target", None)  # the file names the target ("y"); an array fit has none
    return json.loads(json.dumps(d))


def test_model_file_keeps_the_moments_and_summary(tmp_path):
    import statsmodels.api as sm

    from descend.models import load_model, save_model
    from descend.models.persist import VERSION

    X, y, _ = _data(n=80, seed=16)
    m = LinearModel().fit(X, y)
    p = tmp_path / "m.json"
    save_model(m, p)
    obj = json.loads(p.read_text())
    assert obj["version"] == VERSION == 2 and obj["moments"]["n"] == 80
    back = load_model(p)
    for k in ("mean_x", "cxx", "cxy"):
        np.testing.assert_array_equal(getattr(back.moments_, k), getattr(m.moments_, k))
    assert back.moments_.cyy == m.moments_.cyy and back.moments_.sum_w is None
    assert _summary_numbers(back.summary()) == _summary_numbers(m.summary())
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    se = [row["std_err"] for row in back.summary().to_dict()["coefficients"]]
    np.testing.assert_allclose(se, ols.bse, rtol=1e-8)


def test_weighted_fit_summary_is_weighted_least_squares(tmp_path):
    import statsmodels.api as sm

    from descend.models import load_model, save_model

    X, y, rng = _data(n=90, seed=17)
    sw = rng.uniform(0.2, 3.0, size=90)
    m = LinearModel().fit(X, y, sample_weight=sw)
    save_model(m, tmp_path / "w.json")
    back = load_model(tmp_path / "w.json")
    assert back.moments_.sum_w == pytest.approx(sw.sum(), rel=1e-14)
    wls = sm.WLS(y, sm.add_constant(X), weights=sw).fit()
    rows = back.summary().to_dict()["coefficients"]
    np.testing.assert_allclose([r["coef"] for r in rows], wls.params, rtol=1e-9)
    np.testing.assert_allclose([r["std_err"] for r in rows], wls.bse, rtol=1e-8)
    # a model file keeps accumulating: partial_fit continues from the saved moments
    X2, y2, _ = _data(n=40, seed=18)
    back.partial_fit(X2, y2)
    both = LinearModel().fit(np.vstack([X, X2]), np.r_[y, y2], sample_weight=np.r_[sw, np.ones(40)])
    np.testing.assert_allclose(back.coef_, both.coef_, rtol=1e-10)


def test_version_1_model_files_still_load(tmp_path):
    from descend.models import load_model

    p = tmp_path / "old.json"
    p.write_text(json.dumps({"format": "descend.linear-model", "version": 1, "features": ["a"],
                             "coef": [2.0], "intercept": 1.0}))
    m = load_model(p)
    assert m.predict(np.array([[3.0]]))[0] == 7.0
    with pytest.raises(InputError, match="version 2"):
        m.summary()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda mo: mo.update(n=0), "moments'.n"),
        (lambda mo: mo.update(n=True), "moments'.n"),
        (lambda mo: mo.update(sum_w=-1.0), "sum_w"),
        (lambda mo: mo.update(mean_x=[1.0]), "mean_x must be 3"),
        (lambda mo: mo.update(mean_y="1"), "mean_y"),
        (lambda mo: mo.update(cxx=[[1.0, 0.0, 0.0]]), "cxx"),
        (lambda mo: mo["cxx"].__setitem__(0, [1.0, 2.0]), "cxx"),
        (lambda mo: mo["cxx"][0].__setitem__(1, 5.0), "symmetric"),
        (lambda mo: mo.update(cxy=[1.0, None, 2.0]), "cxy"),
        (lambda mo: mo.update(cyy=-1.0), "cyy"),
        (lambda mo: mo.clear() or mo.update(x=1), "moments'.n"),
    ],
)
def test_model_file_moments_are_validated(tmp_path, change, words):
    from descend.errors import DataError
    from descend.models import load_model, save_model

    X, y, _ = _data(n=30, seed=19)
    p = tmp_path / "m.json"
    save_model(LinearModel().fit(X, y), p)
    obj = json.loads(p.read_text())
    change(obj["moments"])
    p.write_text(json.dumps(obj))
    with pytest.raises(DataError, match=re.escape(words)):
        load_model(p)
    obj["moments"] = [1, 2]
    p.write_text(json.dumps(obj))
    with pytest.raises(DataError, match="must be an object"):
        load_model(p)


# ---------------------------------------------------------------- predict checks column names

@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_predict_matches_dataframe_columns_by_name(tmp_path, frame):
    import pandas as pd

    from descend.models import load_model, save_model

    X, y, _ = _data(n=40, seed=20)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    m = LinearModel().fit(df, y)
    save_model(m, tmp_path / "m.json")
    expected = X @ m.coef_ + m.intercept_
    shuffled = df[["c", "a", "b"]].assign(extra=1.0)
    if frame == "polars":
        import polars as pl

        shuffled = pl.from_pandas(shuffled)
    for model in (m, load_model(tmp_path / "m.json")):
        np.testing.assert_allclose(model.predict(shuffled), expected, rtol=1e-14)
        short = shuffled.drop(["b"]) if frame == "polars" else shuffled.drop(columns=["b"])
        with pytest.raises(InputError, match="lacks the column.*'b'"):
            model.predict(short)
    # an array has no names: by position, as always
    np.testing.assert_allclose(m.predict(X), expected, rtol=1e-14)


def test_estimator_predict_keeps_sklearn_column_rules():
    import pandas as pd

    X, y, _ = _data(n=40, seed=21)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    r = LinearRegression().fit(df, y)
    with pytest.raises(ValueError, match="b"):  # scikit-learn names the missing column
        r.predict(df[["a", "c"]].assign(z=0.0))


def test_fewer_rows_than_features_interpolates():
    # a wide design (the sample-weight check repeats 15 rows of 30 features): the QR factor R
    # is wide, its missing singular values are zeros -- this used to raise IndexError
    rng = np.random.default_rng(22)
    X = rng.normal(size=(12, 30)) * np.logspace(0, 4, 30)  # badly scaled: the QR path
    y = rng.normal(size=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LinearModel().fit(X, y)
        w = LinearModel().fit(X, y, sample_weight=rng.uniform(0.5, 2.0, size=12))
    np.testing.assert_allclose(m.predict(X), y, atol=1e-9)
    np.testing.assert_allclose(w.predict(X), y, atol=1e-9)


def _exact_weighted_least_squares(X, y, sw):
    """The weighted least-squares answer [b, w] in exact rational arithmetic."""
    from fractions import Fraction

    A = [[Fraction(1)] + [Fraction(float(v)) for v in row] for row in X]
    p = len(A[0])
    M = [[Fraction(0)] * (p + 1) for _ in range(p)]
    for a, t, s in zip(A, y, sw, strict=True):
        s, t = Fraction(float(s)), Fraction(float(t))
        for j in range(p):
            for k in range(p):
                M[j][k] += s * a[j] * a[k]
            M[j][p] += s * a[j] * t
    for c in range(p):  # Gauss-Jordan, exact
        piv = next(r for r in range(c, p) if M[r][c] != 0)
        M[c], M[piv] = M[piv], M[c]
        for r in range(p):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [u - f * v for u, v in zip(M[r], M[c], strict=True)]
    return np.array([float(M[j][p] / M[j][j]) for j in range(p)])


def test_weighted_fit_is_refined_to_the_exact_answer():
    # a degree-7 polynomial (condition number ~6e4): the weighted refinement passes reach the
    # exact weighted least-squares answer to ~1e-12, as the unweighted fit does
    rng = np.random.default_rng(23)
    x = np.linspace(0.0, 1.0, 60)
    X = np.vander(x, 8, increasing=True)[:, 1:]
    y = np.sin(3 * x) + 0.01 * rng.normal(size=60)
    sw = rng.uniform(0.5, 3.0, size=60)
    m = LinearModel().fit(X, y, sample_weight=sw)
    exact = _exact_weighted_least_squares(X, y, sw)
    got = np.r_[m.intercept_, m.coef_]
    assert np.max(np.abs(got - exact) / np.abs(exact)) < 1e-10
    assert m.trusted_digits_ >= 10 and m.result_.info["refinement_rounds"] >= 1
