"""Engines that disagreed on the same file: a Parquet decimal column (stream refused it) and
features ~1e-160 (stream/Dask lost digits in subnormal moments; now read times 2^k)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def fit(capsys: pytest.CaptureFixture[str]):
    from descend.cli.app import main

    def run(*args: object) -> tuple[int, list[str], str]:
        code = main(["fit", *(str(a) for a in args)])
        captured = capsys.readouterr()
        return code, [ln for ln in captured.err.splitlines() if ln.strip()], captured.out

    return run


def test_a_decimal_column_reads_alike_on_every_engine(tmp_path: Path, fit) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = [Decimal(f"{i}.25") for i in range(1, 30)]
    y = [2.0 * float(v) + 1.0 + (i % 3) * 0.01 for i, v in enumerate(x)]
    p = tmp_path / "dec.parquet"
    pq.write_table(pa.table({"x": pa.array(x, pa.decimal128(10, 2)), "y": y}), p)
    ref = np.polyfit([float(v) for v in x], y, 1)[::-1]  # intercept, slope
    for engine in ("numpy", "stream"):
        code, err, out = fit(p, "--engine", engine, "--json")
        # before: stream said "column 'x' is not numeric (it holds text or dates)"
        assert code == 0, (engine, err)
        np.testing.assert_allclose(json.loads(out)["x"], ref, rtol=1e-9)


def test_tiny_features_fit_alike_on_the_moment_engines(tmp_path: Path, fit) -> None:
    """x ~ 1e-160, y = 1e160 x: the moments of x are subnormal (~5 digits); the stream engine
    reads x times 2^k for them (exact) and maps the slope back: 1e160 to ~15 digits, as the
    in-memory engine, with no warning. Before: 1.0000001806e160, then a warning of it."""
    p = tmp_path / "tiny_x.csv"
    xs = [i * 1e-160 for i in range(1, 30)]
    p.write_text("x,y\n" + "".join(f"{v!r},{v * 1e160!r}\n" for v in xs))
    code, err, out = fit(p, "--engine", "numpy", "--json")
    assert code == 0 and err == [], err  # standardised before squaring: exact, nothing to say
    assert json.loads(out)["coef"][0] == pytest.approx(1e160, rel=1e-12)
    for chunk in ("1000", "7"):  # one chunk; five, merged
        code, err, out = fit(p, "--engine", "stream", "--chunk-rows", chunk, "--json")
        assert code == 0 and err == [], err
        got = json.loads(out)
        assert got["coef"][0] == pytest.approx(1e160, rel=1e-14), got["coef"]
        assert abs(got["intercept"]) < 1e-13 and got["verdict"] == "converged"
        assert got["r2"] == pytest.approx(1.0, abs=1e-14)


def test_scaling_by_powers_of_two_is_exact() -> None:
    """The scales are powers of two (the moments of x' = s x are exact multiples) and 1 for
    every ordinary column; the mapped-back moments equal the unscaled ones."""
    from descend.data.scaling import small_feature_scales, unscale_stats
    from descend.data.stats import moment_stats

    rng = np.random.default_rng(3)
    X = np.column_stack([rng.uniform(1, 2, 50) * 1e-170, rng.normal(5, 2, 50),
                         np.zeros(50), rng.uniform(1, 2, 50) * 1e-300])
    y = rng.normal(size=50)
    s = small_feature_scales(moment_stats(X, y))
    assert s is not None
    m, e = np.frexp(s)
    assert (m == 0.5).all() and list(s[1:3]) == [1.0, 1.0]  # powers of two; others 1
    scaled = moment_stats(X * s, y)
    assert (1 <= np.abs(scaled.mean_x[[0, 3]])).all() and (np.abs(scaled.mean_x[[0, 3]]) < 4).all()
    np.testing.assert_array_equal((X * s) / s, X)  # exact both ways
    back = unscale_stats(scaled, s)
    np.testing.assert_array_equal(back.mean_x[1:3], scaled.mean_x[1:3])
    assert small_feature_scales(moment_stats(X[:, 1:3], y)) is None  # ordinary: no scaling
