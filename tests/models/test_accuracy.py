"""The default fit reaches the least-squares answer to >= 6 digits on hard problems.

Every reference is exact: the normal equations of the data, solved in rational arithmetic
(``fractions.Fraction``). The data are chosen exactly representable in binary (integers,
multiples of powers of two), so the decimal data and the float64 data are the same numbers and
the exact answer is the one double precision is asked for. ``trusted_digits_`` must never
promise more digits than the fit has.
"""

from __future__ import annotations

import warnings
from fractions import Fraction as F

import numpy as np
import pytest
from benchmarks._exact import exact_least_squares

from descend.errors import ConvergenceWarning, StabilityWarning
from descend.models import DivergenceWarning, LinearRegression
from descend.models._whitened import residual_compensated

# ---------------------------------------------------------------- exact references


def digits(estimate, exact) -> float:
    """Fewest correct significant digits over the coefficients (17 = exact to the last bit)."""
    est = np.asarray(estimate, dtype=np.float64)
    ref = np.array([float(r) for r in exact])
    scale = np.where(ref != 0, np.abs(ref), np.max(np.abs(ref)))
    err = np.abs(est - ref) / scale
    return float(np.min(-np.log10(np.maximum(err, 1e-17))))


def fitted(model, intercept=True):
    return ([model.intercept_] if intercept else []) + list(model.coef_)


def polynomial(deg, xs, noise):
    """``y = 1 + x + ... + x^deg +- noise`` (alternating): columns x, x^2, ..., x^deg."""
    X = np.array([[float(x) ** k for k in range(1, deg + 1)] for x in xs])
    y = np.array([1.0 + sum(float(x) ** k for k in range(1, deg + 1)) for x in xs])
    y += noise * (-1.0) ** np.arange(len(xs))
    return X, y


def _check(X, y, intercept=True, need=6.0, **kw):
    exact = exact_least_squares(X, y, intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the collinearity notice
        model = LinearRegression(fit_intercept=intercept, **kw).fit(X, y)
    got = digits(fitted(model, intercept), exact)
    assert got >= need, (got, model.message_)
    assert model.verdict_ == "converged" and model.verdict_.success
    # the estimate is a promise: never more digits than the coefficients have
    got_coef = digits(model.coef_, exact[1:] if intercept else exact)
    assert model.trusted_digits_ <= got_coef + 0.5, (model.trusted_digits_, got_coef)
    return model, got


# ---------------------------------------------------------------- hard problems


@pytest.mark.parametrize("deg", [3, 5, 8, 10])
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_polynomials_up_to_degree_10_on_integers(deg, noise):
    # x = 0..20: x^10 reaches 1e13, the standardised design's condition number 1.4e7
    X, y = polynomial(deg, range(21), noise)
    model, got = _check(X, y)
    if noise == 0.0:
        assert got >= 15  # an exact fit: compensated residuals recover it to the last bit
    assert model.n_iter_ <= 20


def test_polynomial_degree_10_on_fractions():
    X, y = polynomial(10, [k / 32 for k in range(41)], 1 / 1024)
    model, _ = _check(X, y)
    assert model.condition_number_ > 1e6  # hard, and reported as such
    assert model.collinear_  # and its weakest columns named


def test_near_collinear_columns_are_fit_and_named():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4096, 60) / 64
    b = a + rng.integers(-8, 8, 60) / 2**20  # a and b agree to ~1e-6
    c = rng.integers(0, 512, 60) / 8
    y = 2 * a - 3 * b + c / 4 + rng.integers(-64, 64, 60) / 256
    X = np.column_stack([a, b, c])
    with pytest.warns(UserWarning, match=r"columns 'x1', 'x2' are nearly collinear") as rec:
        LinearRegression().fit(X, y)
    text = str(rec[0].message)
    assert "condition number" in text and "--alpha" in text and "drop or combine" in text
    model, _ = _check(X, y)
    assert model.condition_number_ > 1e5


def test_large_offsets():
    rng = np.random.default_rng(1)
    x1 = 1e6 + rng.integers(0, 5000, 80) / 1024
    x2 = 1e6 + rng.integers(0, 5000, 80) / 256
    y = 5.0 + 3 * x1 - 2 * x2 + rng.integers(-100, 100, 80) / 1024
    _check(np.column_stack([x1, x2]), y, need=9)


def test_through_the_origin():
    # NoInt-style: y = b x through the origin, and a cubic without a constant term
    x = np.arange(60.0, 71.0)
    y = np.arange(130.0, 141.0) + np.array([0.5, -0.25, 0, 0.25, -0.5, 0, 0.5, 0, -0.25, 0, 0.25])
    model, _ = _check(x[:, None], y, intercept=False, need=12)
    assert model.intercept_ == 0.0
    X, y = polynomial(3, [k / 8 for k in range(1, 30)], 1 / 64)
    model, _ = _check(X, y, intercept=False)
    from sklearn.linear_model import LinearRegression as SkLinearRegression

    sk = SkLinearRegression(fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-8)


def test_through_the_origin_plain_gd_agrees():
    rng = np.random.default_rng(2)
    X = rng.normal(2.0, 1.0, size=(200, 2))
    y = X @ [1.5, -0.5] + 0.1 * rng.normal(size=200)
    exact = exact_least_squares(X, y, intercept=False)
    m = LinearRegression(fit_intercept=False, optimizer="gd", max_iter=5000).fit(X, y)
    assert m.intercept_ == 0.0 and digits(m.coef_, exact) >= 6
    assert m.optimal_loss_ == pytest.approx(m.loss_, rel=1e-9)


def test_ridge_preconditioned_equals_sklearn_ridge():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4)) * [1, 10, 100, 0.1]
    y = X @ [1, 0.2, 0.03, 5] + rng.normal(size=200)
    m = LinearRegression(alpha=0.05).fit(X, y)
    r = Ridge(alpha=0.05 * 200, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(m.coef_, r.coef_, rtol=1e-9)
    assert m.optimizer_ == "preconditioned" and m.verdict_ == "converged"


# Longley (1967): collinear macro-economic series, the NIST StRD test of regression software
LONGLEY = """\
60323,83,234289,2356,1590,107608,1947
61122,88.5,259426,2325,1456,108632,1948
60171,88.2,258054,3682,1616,109773,1949
61187,89.5,284599,3351,1650,110929,1950
63221,96.2,328975,2099,3099,112075,1951
63639,98.1,346999,1932,3594,113270,1952
64989,99,365385,1870,3547,115094,1953
63761,100,363112,3578,3350,116219,1954
66019,101.2,397469,2904,3048,117388,1955
67857,104.6,419180,2822,2857,118734,1956
68169,108.4,442769,2936,2798,120445,1957
66513,110.8,444546,4681,2637,121950,1958
68655,112.6,482704,3813,2552,123366,1959
69564,114.2,502601,3931,2514,125368,1960
69331,115.7,518173,4806,2572,127852,1961
70551,116.9,554894,4007,2827,130081,1962
"""


def test_longley_against_the_exact_answer_of_the_decimal_data():
    rows = [line.split(",") for line in LONGLEY.split()]
    exact = exact_least_squares(
        [[F(v) for v in r[1:]] for r in rows], [F(r[0]) for r in rows]
    )  # Fraction("88.2") is the decimal itself, not its binary neighbour
    X = np.array([[float(v) for v in r[1:]] for r in rows])
    y = np.array([float(r[0]) for r in rows])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = LinearRegression().fit(X, y)
    got = digits(fitted(model), exact)
    assert got >= 8, got  # the NIST certified values have 15; float64 data allow ~9
    assert model.condition_number_ > 100 and model.verdict_ == "converged"
    assert model.trusted_digits_ <= digits(model.coef_, exact[1:]) + 0.5
    assert float(exact[0]) == pytest.approx(-3482258.63459582, rel=1e-14)  # NIST's b0


def test_diabetes_to_the_last_digits():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    exact = exact_least_squares(X, y)
    model = LinearRegression().fit(X, y)
    assert digits(fitted(model), exact) >= 12
    assert model.coef_[4] == pytest.approx(-792.1756385522, rel=1e-12)  # s1, exactly
    assert 20 < model.condition_number_ < 25 and model.trusted_digits_ >= 10
    A = np.hstack([np.ones((len(X), 1)), X])
    assert digits(np.linalg.lstsq(A, y, rcond=None)[0], exact) >= 10  # the peer, for scale


def test_compensated_residual_is_exact_where_float64_is_noise():
    X, y = polynomial(10, range(21), 0.0)
    w = np.ones(10)
    r = residual_compensated(X, y, 1.0, w)
    assert np.array_equal(r, np.zeros(21))
    b, w = 0.75, np.full(10, 1.0 + 2.0**-40)
    exact = [F(t) - F(b) - sum(F(x) * F(c) for x, c in zip(row, w, strict=True))
             for row, t in zip(X, y, strict=True)]
    np.testing.assert_array_equal(residual_compensated(X, y, b, w), [float(e) for e in exact])


# ---------------------------------------------------------------- moments, streamed rows


class _Rows:
    """Residual passes over arrays (what the stream and Dask engines do chunk by chunk)."""

    def __init__(self, X, y):
        self.X, self.y, self.calls = X, y, 0

    def residuals(self, mean, scale, y0, v, c):
        self.calls += 1
        Z = (self.X - mean) / scale
        r = (self.y - y0) - c - Z @ v
        return Z.T @ r, float(r.sum()), float(r @ r), len(r)


def test_moments_alone_lose_digits_and_row_passes_win_them_back():
    from descend.data.stats import moment_stats

    X, y = polynomial(6, [k / 4 for k in range(40)], 1 / 8)
    exact = exact_least_squares(X, y)
    names = tuple(f"x{j}" for j in range(1, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        alone = LinearRegression().fit_moments(moment_stats(X, y), names)
        rows = _Rows(X, y)
        refined = LinearRegression().fit_moments(moment_stats(X, y), names, rows=rows)
    got_alone = digits(fitted(alone), exact)
    got_refined = digits(fitted(refined), exact)
    assert rows.calls >= 2 and got_refined >= 6 and got_refined > got_alone + 2
    # the normal equations' kappa^2 eps, and never a promise the fit does not keep
    assert alone.trusted_digits_ <= digits(alone.coef_, exact[1:]) + 0.5


@pytest.mark.slow  # 28 s of CPU: a large file streamed and refined
def test_stream_engine_refines_on_the_file(tmp_path):
    from descend.cli._engines import prepare_stream

    X, y = polynomial(6, [k / 4 for k in range(40)], 1 / 8)
    path = tmp_path / "poly.csv"
    rows = zip(X, y, strict=True)
    lines = ["a,b,c,d,e,f,y"] + [",".join(repr(float(v)) for v in [*r, t]) for r, t in rows]
    path.write_text("\n".join(lines) + "\n")
    prep = prepare_stream(
        str(path), target=None, features=None, chunk_rows=7, rows_needed=False,
        loss="squared_error", epsilon=1.35,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = LinearRegression().fit_moments(prep.stats, prep.feature_names, rows=prep.rows)
    assert digits(fitted(model), exact_least_squares(X, y)) >= 6
    assert model.verdict_ == "converged"


# ---------------------------------------------------------------- verdicts of a fit

SIZES = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
PRICES = SIZES[:, 0] * 500 / 3


def test_step_at_exactly_2_over_L_oscillates():
    with pytest.warns(DivergenceWarning, match=r"oscillating: .*stability limit 2/L = 1"):
        m = LinearRegression(learning_rate=1.0).fit(SIZES, PRICES)
    assert m.verdict_ == "oscillating" and not m.verdict_.success
    assert m.coef_[0] == pytest.approx(1000 / 3)  # 2 x the answer: the far end of the swing


def test_budget_spent_says_how_far_and_how_many_steps_gd_needs():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=1000") as rec:
        m = LinearRegression(optimizer="gd").fit(X, y)
    text = " ".join(str(r.message) for r in rec)
    assert m.verdict_ == "budget_spent"
    assert "(relative) from the answer" in text and "optimizer='auto'" in text
    # about kappa_H ln(1e6) steps: kappa_H = 470 for the standardised diabetes design
    assert "needs about 6.5e+03 steps" in text


def test_a_flat_loss_is_stalled_not_converged():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match=r"stalled \(not converged\)"):
        m = LinearRegression(optimizer="gd", tol=1e-4, max_iter=100000).fit(X, y)
    assert m.stop_reason_ == "no_progress" and m.verdict_ == "stalled"
    assert m.relative_gradient_ > 1e-8


def test_converged_only_when_shown():
    m = LinearRegression(optimizer="gd", max_iter=20000, tol=0.0, gtol=1e-9).fit(
        SIZES, PRICES
    )
    assert m.verdict_ == "converged" and m.relative_gradient_ <= 1e-8
    m = LinearRegression().fit(SIZES, PRICES)
    assert m.verdict_ == "converged" and m.optimizer_ == "preconditioned"
    assert m.coef_[0] == pytest.approx(500 / 3, rel=1e-14)


def test_typed_rate_far_below_1_over_L_warns_with_its_coordinates():
    with pytest.warns(StabilityWarning, match=r"applies to the standardised features") as rec:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = LinearRegression(learning_rate=1e-4).fit(SIZES, PRICES)
    assert "scale=False (--no-scale)" in str(rec[0].message)
    assert m.learning_rate_coordinates_ == "standardised" and m.verdict_ == "budget_spent"
    m = LinearRegression(learning_rate=1e-10, scale=False, max_iter=5)  # 2/L = 2.9e-7
    with pytest.warns(StabilityWarning, match=r"features' own units"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m.fit(SIZES, PRICES)
    assert m.learning_rate_coordinates_ == "raw"


def test_preconditioned_refuses_what_it_cannot_do():
    from descend.errors import InputError

    with pytest.raises(InputError, match="sets its own step"):
        LinearRegression(optimizer="preconditioned", learning_rate=0.1).fit(SIZES, PRICES)
    with pytest.raises(InputError, match="full-batch squared loss"):
        LinearRegression(optimizer="preconditioned", loss="huber").fit(SIZES, PRICES)


# ---------------------------------------------------------------- huber's threshold


@pytest.mark.slow  # 3.6 s of CPU
def test_huber_threshold_is_relative_so_units_do_not_matter():
    rng = np.random.default_rng(4)
    X = rng.normal(2000.0, 400.0, size=(300, 1))
    y = 150.0 * X[:, 0] + 20000.0 + 5000.0 * rng.normal(size=300)  # dollars
    y[:15] += 200000.0  # outliers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dollars = LinearRegression(loss="huber", max_iter=20000).fit(X, y)
        thousands = LinearRegression(loss="huber", max_iter=20000).fit(X, y / 1000.0)
        absolute = LinearRegression(loss="huber", huber_scale=1.0, max_iter=20000).fit(X, y)
    np.testing.assert_allclose(dollars.coef_ / 1000.0, thousands.coef_, rtol=1e-6)
    # the scale is the least-squares RMS residual, from the moments
    A = np.hstack([np.ones((300, 1)), X])
    r = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    assert dollars.huber_scale_ == pytest.approx(np.sqrt(r @ r / 300), rel=1e-9)
    assert dollars.huber_threshold_ == pytest.approx(1.35 * dollars.huber_scale_)
    # relative: the outliers are clipped and the slope is near 150; a threshold of $1.35
    # makes huber the absolute loss, a different (median-type) estimator
    assert abs(dollars.coef_[0] - 150.0) < 15.0
    assert absolute.huber_threshold_ == pytest.approx(1.35)


def test_stream_engine_takes_a_qr_factor_when_hard(tmp_path):
    from descend.cli._engines import prepare_stream

    X, y = polynomial(10, [k / 32 for k in range(41)], 2**-10)  # condition number 1.1e7
    path = tmp_path / "poly10.csv"
    rows = zip(X, y, strict=True)
    head = ",".join([*"abcdefghij", "y"])
    lines = [head] + [",".join(repr(float(v)) for v in [*r, t]) for r, t in rows]
    path.write_text("\n".join(lines) + "\n")
    prep = prepare_stream(
        str(path), target=None, features=None, chunk_rows=5, rows_needed=False,
        loss="squared_error", epsilon=1.35,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = LinearRegression().fit_moments(prep.stats, prep.feature_names, rows=prep.rows)
    # a sequential TSQR over the chunks gives R; refinement rounds measured from the answer,
    # residuals to twice the working precision, reach the in-memory fit's digits
    assert model.result_.info["factor"] == "tsqr" and model.result_.info["compensated"]
    assert digits(fitted(model), exact_least_squares(X, y)) >= 9  # in memory: 9.7
    assert model.verdict_ == "converged" and model.n_iter_ <= 5


def test_exactly_collinear_columns_are_named_past_a_constant_one():
    rng = np.random.default_rng(10)
    x = rng.normal(size=50)
    X = np.column_stack([x, np.full(50, 3.0), 2 * x])
    y = 4 * x + 1
    with pytest.warns(UserWarning) as rec:
        m = LinearRegression().fit(X, y)
    text = " ".join(str(r.message) for r in rec)
    assert "'x2' are constant" in text
    assert "columns 'x3', 'x1' are collinear" in text and "not unique" in text
    assert m.condition_number_ == np.inf and set(m.collinear_) == {"x1", "x3"}
    # the answer nearest the start (zeros) in standardised coordinates: v1 = v3
    np.testing.assert_allclose(m.coef_, [2.0, 0.0, 1.0], rtol=1e-12)


def test_dask_arrays_refine_like_the_stream():
    da = pytest.importorskip("dask.array")
    import dask

    from descend.cli._engines import DaskResiduals
    from descend.scale.dask_engine import moment_stats_dask

    X, y = polynomial(10, [k / 32 for k in range(41)], 2**-10)
    Xd, yd = da.from_array(X, chunks=(7, -1)), da.from_array(y, chunks=7)
    with dask.config.set(scheduler="synchronous"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        stats = moment_stats_dask(Xd, yd)
        names = tuple(f"x{j}" for j in range(1, 11))
        model = LinearRegression().fit_moments(stats, names, rows=DaskResiduals(Xd, yd))
    assert model.result_.info["factor"] == "tsqr"  # dask.array.linalg.tsqr
    assert digits(fitted(model), exact_least_squares(X, y)) >= 9
    assert model.verdict_ == "converged"


def test_a_decayed_schedule_stalls_far_from_the_answer():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    # sum of the steps 0.1 * 0.5^k is 0.2: the run freezes long before the optimum
    with pytest.warns(ConvergenceWarning, match=r"stalled \(not converged\).*from the answer"):
        m = LinearRegression(learning_rate=lambda k: 0.1 * 0.5**k, max_iter=500).fit(X, y)
    assert m.stop_reason_ == "no_progress" and m.verdict_ == "stalled"
    assert m.optimality_gap_ > 1.0


def test_callback_stop_and_early_stopped_minibatch_are_not_converged():
    def stop(r):
        if r.nit == 3:
            raise StopIteration

    m = LinearRegression(optimizer="gd").fit(SIZES, PRICES * 1.0 + [0, 1, 0, 1, 0], callback=stop)
    assert m.stop_reason_ == "callback" and m.verdict_ == "stopped" and not m.verdict_.success
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 3))
    y = X @ [1.0, 2.0, 3.0] + 0.5 + 0.1 * rng.normal(size=400)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        m = LinearRegression(batch_size=32, random_state=0, max_iter=3).fit(X, y)
    assert m.verdict_ == "budget_spent"


# ---------------------------------------------------------------- vs lstsq, exact at any n


@pytest.mark.parametrize(
    ("n", "d", "kind"),
    [(20_000, 5, "mixed"), (20_000, 8, "correlated"), (20_000, 5, "badly"), (5_000, 5, "well")],
)
def test_never_fewer_digits_than_lstsq(n, d, kind):
    """On integer (dyadic) designs the normal equations' sums are exact integers, so the exact
    answer is known at any n (benchmarks.bench_grid); descend's default must reach at least
    lstsq's correct digits (0.3 tolerance) and trust no more digits than it has."""
    from benchmarks.bench_grid import design, exact_answer
    from benchmarks.bench_grid import digits as grid_digits

    X, y, e = design(n, d, kind)
    ref = exact_answer(X, y, e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LinearRegression().fit(X, y)
    A = np.hstack([np.ones((n, 1)), X])
    ours = grid_digits(np.r_[m.intercept_, m.coef_], ref)
    theirs = grid_digits(np.linalg.lstsq(A, y, rcond=None)[0], ref)
    assert ours >= theirs - 0.3, (ours, theirs)
    assert m.trusted_digits_ <= ours + 0.5, (m.trusted_digits_, ours)
