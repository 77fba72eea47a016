"""Verdicts that survive underflow: f, its gradient and its Hessian all 0 to the precision of
f around the stop is a plateau, never *converged* (issue 26)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from descend.loop import minimize


@pytest.mark.parametrize(
    ("formula", "start"),
    [
        ("-exp(-x**2)", [40.0]),
        ("-exp(-(x**2 + y**2))", [30.0, 30.0]),
        ("-exp(-(x**2 + y**2))", [30.0, -45.0]),
    ],
)
def test_an_underflowed_plateau_is_not_a_minimum(formula, start) -> None:
    r = minimize(formula, start)
    # the reference: f underflowed to exactly 0 at the start, the true minimum is -1 at 0
    assert float(np.exp(-np.sum(np.square(start)))) == 0.0
    assert r.verdict == "stalled" and not r.success
    assert "plateau" in r.message and "lower at x = " in r.message
    assert f"lower at x = ({', '.join('0' for _ in start)})" in r.message or (
        len(start) == 1 and "lower at x = 0;" in r.message)


@pytest.mark.parametrize(
    ("formula", "start"),
    [("x**4", [1.0]), ("(x - 1)**2 + y**2", [3.0, 3.0]), ("-exp(-x**2)", [1.0]),
     ("x**2 + 1e300", [1.0])],
)
def test_a_true_minimum_with_flat_derivatives_still_converges(formula, start) -> None:
    """``x**4`` at 0 has g = H = 0 but rises around it: a minimum, not a plateau."""
    r = minimize(formula, start)
    assert r.verdict == "converged" and r.success, r.message


def test_the_cli_json_does_not_claim_success(capsys) -> None:
    from descend.cli.app import main

    assert main(["minimize", "-exp(-(x**2 + y**2))", "--start", "30,30", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["success"] is False and got["verdict"] == "stalled"
    assert "plateau" in got["message"]


def test_the_cli_text_does_not_say_minimum(capsys) -> None:
    from descend.cli.app import main

    main(["minimize", "-exp(-x**2)", "--start", "40"])
    out = capsys.readouterr()
    assert "minimum near" not in out.out and "converged" not in out.out
    assert "plateau" in out.err  # the verdict's sentence: once, on stderr (docs/verdicts.md)


# ---- statistics whose numbers would be meaningless -----------------------------------------


def _summary(X, y, **kw):
    from descend.data.stats import moment_stats
    from descend.models.inference import ols_summary

    return ols_summary(moment_stats(X, y), kw.pop("b"), kw.pop("w"), **kw)


def test_tiny_features_give_no_t_p_or_infinite_intervals() -> None:
    x = np.arange(1, 31, dtype=float) * 1e-160
    y = x * 1e160  # an exact fit y = 1e160 x
    s = _summary(x[:, None], y, b=0.0, w=[1e160])
    assert s.t is None and s.p_value is None and s.conf_int is None
    assert any("too small or too large for float64" in u for u in s.unavailable)
    text = str(s)
    assert "-inf" not in text and " inf" not in text and "1.000 " not in text


def test_a_fit_cut_short_gets_no_negative_f() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    y = 3.0 * x + rng.normal(size=40)
    # coefficients far from the optimum: RSS > TSS (worse than predicting the mean)
    s = _summary(x[:, None], y, b=5.0, w=[-3.0], status="max_iter", converged=False)
    assert s.rss > s.tss  # the reference: the residuals really exceed the spread
    assert s.f_statistic is None and s.f_p_value is None
    assert any("F would be negative" in u for u in s.unavailable)


def test_the_cli_summary_on_tiny_features(tmp_path, capsys) -> None:
    from descend.cli.app import main

    p = tmp_path / "tiny_x.csv"
    xs = [i * 1e-160 for i in range(1, 31)]
    p.write_text("x,y\n" + "".join(f"{x!r},{x * 1e160!r}\n" for x in xs))
    assert main(["fit", str(p), "--summary"]) == 0
    out = capsys.readouterr().out
    assert "-inf" not in out and "too small or too large for float64" in out.replace("\n  ", " ")


@pytest.mark.parametrize("loss", ["huber", "squared_error", "absolute_error"])
def test_huge_features_are_refused_by_the_library_by_name(loss) -> None:
    from descend.errors import DataError
    from descend.models import LinearRegression

    X = np.arange(1, 21, dtype=float)[:, None]
    y = 2 * X[:, 0] + 1 + np.sin(np.arange(20))
    with np.errstate(all="ignore"), pytest.raises(DataError, match=r"column 0 .*too large"):
        LinearRegression(loss=loss).fit(X * 1e200, y)
