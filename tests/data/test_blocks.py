"""The design kept as blocks (numbers + category codes) gives the dense design's sums."""

import numpy as np
import pyarrow as pa
import pytest

from descend.data.blocks import (
    Blocks,
    Category,
    block_moments,
    blocks_from_arrow,
    centred_gram,
    group_score_sums,
)
from descend.data.formula import Design, parse_formula
from descend.data.stats import moment_stats


def _blocks(m=4000, seed=1):
    rng = np.random.default_rng(seed)
    num = rng.standard_normal((m, 3)) * [1.0, 100.0, 1e-3] + [0.0, 1e4, 5.0]
    # design order: num0, cat a (4 columns), num1, cat b (2 columns), num2 -> 9 columns
    a, b = rng.integers(-1, 4, m), rng.integers(-1, 2, m)
    return Blocks(num, np.array([0, 5, 8]), (Category(a, 4, 1), Category(b, 2, 6)), 9), rng


def test_dense_puts_each_indicator_in_its_column():
    blocks, _ = _blocks(m=6)
    X = blocks.dense()
    for i in range(6):
        for cat in blocks.cats:
            row = X[i, cat.pos:cat.pos + cat.width]
            expect = np.zeros(cat.width)
            if cat.codes[i] >= 0:
                expect[cat.codes[i]] = 1.0
            np.testing.assert_array_equal(row, expect)
    np.testing.assert_array_equal(X[:, [0, 5, 8]], blocks.num)


def test_moments_equal_the_dense_designs():
    blocks, rng = _blocks()
    X = blocks.dense()
    y = X @ rng.standard_normal(9) + rng.standard_normal(blocks.n)
    dense, kept = moment_stats(X, y), block_moments(blocks, y)
    np.testing.assert_allclose(kept.mean_x, dense.mean_x, rtol=1e-14)
    np.testing.assert_allclose(kept.cxx, dense.cxx, rtol=1e-10, atol=1e-9 * abs(dense.cxx).max())
    np.testing.assert_allclose(kept.cxy, dense.cxy, rtol=1e-10, atol=1e-9 * abs(dense.cxy).max())
    assert kept.cyy == pytest.approx(dense.cyy, rel=1e-12)
    w = np.arange(9.0)
    np.testing.assert_allclose(blocks.dot(w), X @ w, rtol=1e-14)


def test_weighted_gram_and_cluster_scores_equal_the_dense_ones():
    blocks, rng = _blocks()
    X = blocks.dense()
    w, centre, e = rng.random(blocks.n), rng.standard_normal(9), rng.standard_normal(blocks.n)
    Z = X - centre
    G = Z.T @ (Z * w[:, None])
    np.testing.assert_allclose(centred_gram(blocks, centre, w), G, atol=1e-10 * abs(G).max())
    labels, inverse = np.unique(rng.integers(0, 40, blocks.n), return_inverse=True)
    S = np.zeros((labels.size, 10))
    np.add.at(S, inverse, np.column_stack([np.ones(blocks.n), Z]) * e[:, None])
    got = group_score_sums(blocks, centre, e, inverse, labels.size)
    np.testing.assert_allclose(got, S, atol=1e-10 * abs(S).max())


def test_an_arrow_batch_becomes_blocks_equal_to_the_formula_librarys_design():
    import pandas as pd

    frame = pd.DataFrame({
        "y": [1.0, 2.0, 3.5, 4.0, None, 6.0, 7.5],
        "x": [0.5, 1.5, None, 3.0, 4.0, 5.5, 6.0],
        "city": ["b", "a", "c", "", "a", "c", "b"],
        "n": [1, 2, 3, 4, 5, 6, 7],
    })
    design = Design.learn(parse_formula("y ~ x + city + n"), [frame])
    got = blocks_from_arrow(design, pa.RecordBatch.from_pandas(frame))
    assert got is not None
    blocks, y, report, keep = got
    X, y2, report2, keep2 = design.rows(frame)
    np.testing.assert_array_equal(blocks.dense(), X)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(keep, keep2)
    assert report == report2


def test_an_interaction_takes_the_general_path():
    import pandas as pd

    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [1.0, 2.0, 4.0], "z": [3.0, 1.0, 2.0]})
    design = Design.learn(parse_formula("y ~ x + x:z"), [frame])
    assert blocks_from_arrow(design, pa.RecordBatch.from_pandas(frame)) is None


def test_dictionary_encoded_text_gives_the_same_blocks_and_refuses_an_unseen_level():
    """Parquet text read as a dictionary: empty cells ("" or null) dropped, levels mapped."""
    import pandas as pd

    from descend.errors import DataError

    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                          "city": ["b", None, "a", "", "c", "b"],
                          "x": [1.0, 2.0, 3.0, 5.0, 8.0, 13.0]})
    design = Design.learn(parse_formula("y ~ city + x"), [frame])
    plain = pa.RecordBatch.from_pandas(frame)
    coded = pa.RecordBatch.from_arrays(
        [plain.column(0), plain.column(1).dictionary_encode(), plain.column(2)],
        names=plain.schema.names)
    a, b = blocks_from_arrow(design, plain), blocks_from_arrow(design, coded)
    assert a is not None and b is not None
    np.testing.assert_array_equal(a[0].dense(), b[0].dense())
    np.testing.assert_array_equal(a[3], [True, False, True, False, True, True])
    assert a[2] == b[2]
    unseen = pa.RecordBatch.from_arrays(
        [pa.array([1.0, 2.0]), pa.array(["a", "zz"]).dictionary_encode(), pa.array([1.0, 2.0])],
        names=["y", "city", "x"])
    with pytest.raises(DataError, match=r"row 12, column 'city' has the level 'zz'"):
        blocks_from_arrow(design, unseen, row_offset=10)
