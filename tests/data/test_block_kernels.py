"""The block kernels (kernels/_blocks.py) give the dense design's sums, and a streamed formula
fit through them gives the NumPy path's numbers and statsmodels'.

The kernels run twice here: compiled (numba) and as the plain Python functions they are
written as (what numba compiles; the module's own fallback where numba is absent), each
against the dense design built by NumPy."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from descend.data.block_columns import (
    ClusterIds,
    chunk_columns,
    chunk_moments,
    kernel_layout,
    missing_counts,
)
from descend.data.formula import Design, parse_formula
from descend.data.stats import moment_stats
from descend.kernels import _blocks as kb


def _frame(m: int, levels: int, seed: int = 0, scale: float = 1.0) -> pd.DataFrame:
    """Numbers with large means and holes, a text column of many levels with empty cells."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 3)) * [1.0, 50.0, 1e-3] * scale + [0.0, 1e4, 5.0]
    city = np.array([f"c{k:03d}" for k in rng.integers(0, levels, m)], dtype=object)
    y = x @ [1.0, 0.02, 300.0] + rng.integers(0, levels, m) * 0.01 + rng.standard_normal(m)
    frame = pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "city": city,
                          "g": rng.integers(0, 37, m)})
    for col, every in (("a", 41), ("y", 53), ("c", 67)):
        frame.loc[frame.index % every == 3, col] = np.nan
    frame.loc[frame.index % 59 == 5, "city"] = None
    frame.loc[frame.index % 61 == 7, "city"] = ""
    return frame


FORMULA = "y ~ a + C(city, Treatment('c003')) + b + c"


def _setup(frame: pd.DataFrame, formula: str = FORMULA):
    design = Design.learn(parse_formula(formula), [frame])
    lay = kernel_layout(design)
    assert lay is not None
    batch = pa.RecordBatch.from_pandas(frame, preserve_index=False)
    got = chunk_columns(lay, batch)
    assert got is not None
    X, y, report, keep = design.rows(frame)
    return design, lay, got, (X, y, report, keep)


@pytest.fixture(params=["compiled", "python"])
def kernels(request):
    """``(chunk_sums, chunk_scores)``: numba's, or the functions numba compiles, run as Python."""
    if request.param == "compiled":
        pytest.importorskip("numba")
        return kb.chunk_sums, kb.chunk_scores

    def sums(V, C, offsets):
        return kb._sums_kernel(V, C, offsets, 7)  # tiles of 7 rows: many flushes

    def scores(V, C, offsets, w, coef, b, centre, gid, acc, state):
        kb._scores_kernel(V, C, offsets, w, coef, b, centre, gid, *acc, state)

    return sums, scores


def test_the_keys_are_the_facades():
    from descend.kernels import BLOCK_KEYS

    assert BLOCK_KEYS == (kb.SUMS_KEY, kb.SCORES_KEY)


def test_moments_and_missing_counts_equal_the_dense_designs(kernels):
    sums_of, _ = kernels
    frame = _frame(2000, 150)
    design, lay, (V, C), (X, y, report, keep) = _setup(frame)
    sums = sums_of(V, C, lay.offsets)
    assert sums[7] == -1 and sums[0] == keep.sum() == X.shape[0]
    got, want = chunk_moments(lay, sums), moment_stats(X, y)
    np.testing.assert_allclose(got.mean_x, want.mean_x, rtol=1e-13, atol=1e-15)
    assert got.mean_y == pytest.approx(want.mean_y, rel=1e-13)
    np.testing.assert_allclose(got.cxx, want.cxx, rtol=1e-9, atol=1e-11 * abs(want.cxx).max())
    np.testing.assert_allclose(got.cxy, want.cxy, rtol=1e-9, atol=1e-11 * abs(want.cxy).max())
    assert got.cyy == pytest.approx(want.cyy, rel=1e-12)
    assert missing_counts(lay, sums[6]) == report.by_column


def test_a_row_with_an_unseen_level_or_an_infinity_is_flagged(kernels):
    sums_of, _ = kernels
    frame = _frame(300, 5)
    design = Design.learn(parse_formula(FORMULA), [frame])
    lay = kernel_layout(design)
    frame.loc[100, "city"] = "new"
    frame.loc[20, "y"] = np.nan  # dropped, so the flag is row 100's
    V, C = chunk_columns(lay, pa.RecordBatch.from_pandas(frame, preserve_index=False))
    assert sums_of(V, C, lay.offsets)[7] == 100
    frame.loc[100, "city"], frame.loc[150, "b"] = "c001", np.inf
    V, C = chunk_columns(lay, pa.RecordBatch.from_pandas(frame, preserve_index=False))
    assert sums_of(V, C, lay.offsets)[7] == 150


def _dense_scores(X, y, keep, groups, w, b, centre, kinds):
    e = y - X @ w - b
    Z = np.column_stack([np.ones(len(y)), X - centre])
    labels, inverse = np.unique(groups[keep], return_inverse=True)
    S = np.zeros((labels.size, Z.shape[1]))
    np.add.at(S, inverse, Z * e[:, None])
    meat = Z.T @ (Z * (e * e)[:, None])
    return e, labels, S, meat


@pytest.mark.parametrize("spec", ["cluster", "HC0"])
def test_cluster_scores_meat_and_residual_sums_equal_the_dense_ones(kernels, spec):
    from descend.models._formula_pass import _finish, _Sums
    from descend.models.sandwich import CovSpec, RowPass

    _, scores_of = kernels
    frame = _frame(3000, 120, seed=4)
    design, lay, (V, C), (X, y, report, keep) = _setup(frame)
    rng = np.random.default_rng(9)
    d = X.shape[1]
    w, b, centre = rng.standard_normal(d), 0.7, X.mean(axis=0)
    e, labels, S, meat = _dense_scores(X, y, keep, frame["g"].to_numpy(), w, b, centre, spec)
    cov = CovSpec(spec, "g" if spec == "cluster" else None)
    rp = RowPass.start(cov, np.eye(d), centre, b, w, X.shape[0])
    sums = _Sums(lay, cov)
    from descend.data.block_columns import design_order

    order = design_order(lay)
    k = len(lay.num)
    gid = np.zeros(0, dtype=np.int64)
    if spec == "cluster":
        gid = sums.ids.of(pa.array(frame["g"].to_numpy()))
        sums.grow(len(sums.ids))
    state = np.array([0.0, 0.0, 0.0, 0.0, 0.0, np.nan, np.nan, 0.0, 0.0])
    half = V.shape[1] // 2  # two chunks: the residual sums carry across
    for sl in (slice(0, half), slice(half, None)):
        g = gid[sl] if gid.size else gid
        scores_of(np.ascontiguousarray(V[:, sl]), np.ascontiguousarray(C[:, sl]), lay.offsets,
                  w[order[:k]].copy(), w[order[k:]].copy(), b, centre[order[:k]].copy(), g,
                  sums.acc(), state)
    assert state[8] == len(e)
    np.testing.assert_allclose(state[:4], [e.sum(), (e**2).sum(), (e**3).sum(), (e**4).sum()],
                               rtol=1e-10, atol=1e-9)
    assert state[4] == pytest.approx(float(np.sum(np.diff(e) ** 2)), rel=1e-12)
    assert (state[5], state[6]) == pytest.approx((e[0], e[-1]), rel=1e-12)
    _finish(lay, rp, sums)
    if spec == "cluster":
        got = np.array([rp.groups[label] for label in labels.tolist()])
        np.testing.assert_allclose(got, S, rtol=1e-9, atol=1e-10 * abs(S).max())
        assert rp.n_groups == labels.size
    else:
        np.testing.assert_allclose(rp.meat, meat, rtol=1e-9, atol=1e-11 * abs(meat).max())


def test_cluster_ids_are_dense_and_stable_across_chunks():
    ids = ClusterIds()
    a = ids.of(pa.array(["x", "y", "x", None]))
    b = ids.of(pa.array(["z", "x"]).dictionary_encode())
    assert a[:3].tolist() == [0, 1, 0] and b.tolist() == [2, 0] and ids.labels() == ["x", "y", "z"]
    ints = ClusterIds()  # integers by a table, then (a label below it, an empty cell) by hashing
    assert ints.of(pa.array([5, 7, 5, 9])).tolist() == [0, 1, 0, 2]
    assert ints.table is not None and ints.of(pa.array([9, 100, 5])).tolist() == [2, 3, 0]
    assert ints.of(pa.array([1, None, 5])).tolist()[::2] == [4, 0] and ints.table is None
    assert ints.of(pa.array([100, 3])).tolist() == [3, 5]
    assert ints.labels() == [5, 7, 9, 100, 1, 3]


def test_layouts_the_kernels_leave_to_the_general_path():
    frame = _frame(50, 4)
    frame["d"] = frame["city"]
    for formula in ("y ~ a + city + d", "y ~ a:b + city", "y ~ np.log(b) + city", "y ~ a + b - 1"):
        assert kernel_layout(Design.learn(parse_formula(formula), [frame])) is None


# -- a streamed fit through the kernels -----------------------------------------------------


def _fit(path, formula, cov, kernels_on, **kw):
    from descend.models import analysis as an

    if not kernels_on:
        saved, an._block_kernels = an._block_kernels, lambda design: None
    try:
        extra = {"cov_kwds": {"groups": "g"}} if cov == "cluster" else {}
        return an.summary_of(an.fit_formula_file(str(path), formula, cov_type=cov, **extra,
                                                 **kw))
    finally:
        if not kernels_on:
            an._block_kernels = saved


@pytest.fixture
def compiled_kernels(monkeypatch):
    """The streamed fit takes the compiled kernels (not waiting for the background compiler)."""
    pytest.importorskip("numba")
    from descend.models import analysis as an

    def fast(design):
        lay = kernel_layout(design)
        return None if lay is None else (kb, lay)

    monkeypatch.setattr(an, "_block_kernels", fast)


def _close(a, b, rtol):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol)


@pytest.mark.parametrize("cov", ["nonrobust", "HC1", "HC3", "cluster"])
def test_a_streamed_fit_through_the_kernels_equals_the_numpy_path(tmp_path, compiled_kernels,
                                                                  cov):
    frame = _frame(5000, 200, seed=2)
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False, row_group_size=1500)
    fast = _fit(path, FORMULA, cov, True, chunk_rows=700)
    slow = _fit(path, FORMULA, cov, False, chunk_rows=700)
    assert fast.n == slow.n and fast.missing == slow.missing and fast.names == slow.names
    _close(fast.coef, slow.coef, 1e-9)
    _close(fast.std_err, slow.std_err, 1e-9)
    d1, d2 = fast.diagnostics, slow.diagnostics
    _close([d1.durbin_watson, d1.jarque_bera, d1.omnibus, d1.skew, d1.kurtosis],
           [d2.durbin_watson, d2.jarque_bera, d2.omnibus, d2.skew, d2.kurtosis], 1e-9)


@pytest.mark.parametrize("cov", ["HC1", "cluster"])
def test_a_streamed_fit_through_the_kernels_equals_statsmodels(tmp_path, compiled_kernels, cov):
    smf = pytest.importorskip("statsmodels.formula.api")
    frame = _frame(4000, 60, seed=3)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    ours = _fit(path, FORMULA, cov, True, chunk_rows=900)
    used = frame.replace("", np.nan).dropna()
    model = smf.ols(FORMULA.replace("Treatment(", "Treatment(reference="), used)
    ref = (model.fit(cov_type="cluster", cov_kwds={"groups": used["g"].to_numpy()})
           if cov == "cluster" else model.fit(cov_type=cov))
    names = list(ours.names)
    at = [names.index(n.replace("Intercept", "intercept").replace("reference=", ""))
          for n in ref.params.index]
    _close(np.asarray(ours.coef)[at], ref.params, 1e-8)
    _close(np.asarray(ours.std_err)[at], ref.bse, 1e-8)
    assert ours.n == len(used)


def test_an_error_in_a_chunk_is_the_general_paths_message(tmp_path, compiled_kernels):
    from descend.errors import DataError
    from descend.models import analysis as an

    frame = _frame(400, 5)
    design = Design.learn(parse_formula(FORMULA), [frame.iloc[:200]])
    frame.loc[250, "city"] = "c999"
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"row 251, column 'city' has the level 'c999'"):
        an.fit_formula_file(str(path), FORMULA, design=design, chunk_rows=100)
    messages = []
    for kernels_on in (True, False):
        with pytest.raises(DataError) as err:
            _fit(path, FORMULA, "HC1", kernels_on, missing="raise", chunk_rows=100)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "row 4, column 'y' is empty" in messages[0]


def test_without_numba_the_fit_takes_the_numpy_path(tmp_path, monkeypatch):
    """``DESCEND_NO_NUMBA``: no block kernels are offered, and the fit still gives its numbers."""
    from descend.kernels import block_kernels

    monkeypatch.setenv("DESCEND_NO_NUMBA", "1")
    assert block_kernels() is None
    frame = _frame(1200, 30, seed=5)
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    got = _fit(path, FORMULA, "cluster", True, chunk_rows=500)
    want = _fit(path, FORMULA, "cluster", False, chunk_rows=500)
    _close(got.std_err, want.std_err, 1e-12)
