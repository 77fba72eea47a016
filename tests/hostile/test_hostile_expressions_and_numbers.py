"""Expressions and numbers typed in options: never nan/inf as an answer, JSON always JSON."""

from __future__ import annotations

import json
import math

import pytest


@pytest.mark.parametrize(
    ("args", "must_say"),
    [
        # a non-finite number in an option is refused by name, before any work
        (("gradient", "x**2+y**2", "--at", "nan,1"), "--at: item 1 ('nan') is not a finite number"),
        (("gradient", "x**2+y**2", "--at", "1,inf"), "--at: item 2 ('inf') is not a finite number"),
        (("gradient", "x**2", "--at", "1e400"), "item 1 ('1e400') is not a finite number"),
        (("minimize", "x**2", "--start", "-inf"), "--start: item 1 ('-inf') is not a finite"),
        # a point outside the domain: the function is not defined there
        (("gradient", "asin(x)", "--at", "2"), "asin(x) is not defined as a real number at x = 2"),
        (("gradient", "log(x)", "--at", "-1"), "log(x) is not defined as a real number at x = -1"),
        (("gradient", "log(x)", "--at", "-1", "--json"), "outside the function's domain"),
        (("gradient", "sqrt(x)", "--at", "-4"), "is not defined as a real number at x = -4"),
        (("minimize", "log(x)", "--start", "-1"), "--start -1: log(x) is not defined"),
        # overflow at the point, and a constant beyond float64
        (("gradient", "exp(x)", "--at", "1000"), "overflows float64 at x = 1000"),
        (("gradient", "exp(10**30) + x", "--at", "1"), "cannot be evaluated at x = 1"),
        # the number of values must match the variables
        (("gradient", "x**2+y**2", "--at", "1"), "expected 2 values for (x, y), got 1"),
    ],
)
def test_refused_with_one_line(cli, args, must_say):
    r = cli(*args)
    assert r.one_line_error, r
    assert must_say in r.stderr
    assert "nan" not in r.stdout.lower() and r.stdout == ""


def test_gradient_json_is_json_and_finite(cli):
    r = cli("gradient", "x**2 + 3*y", "--at", "2,5", "--json")
    obj = json.loads(r.stdout)  # strict JSON: NaN/Infinity would not parse with this hook
    json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert r.code == 0 and obj["value"] == [4.0, 3.0] and obj["fun"] == 4.0 + 15.0


def test_gradient_zero_is_still_an_answer(cli):
    r = cli("gradient", "x**2 + y**2", "--at", "0,0")
    assert r.code == 0 and "stationary point" in r.stdout and "nan" not in r.stdout


def test_predict_refuses_nan_and_overflow(cli, tmp_path):
    model = tmp_path / "m.json"
    model.write_text(
        json.dumps(
            {"format": "descend.linear-model", "version": 1, "features": ["size"],
             "target": "price", "intercept": 1.0, "coef": [1e300]}
        )
    )
    r = cli("predict", model, "--x", "nan")
    assert r.one_line_error and "--x: item 1 ('nan') is not a finite number" in r.stderr
    r = cli("predict", model, "--x", "1e10")
    assert r.one_line_error and "the prediction overflows float64" in r.stderr
    r = cli("predict", model, "--x", "2", "--json")
    assert r.code == 0 and json.loads(r.stdout)["predictions"] == [2e300 + 1.0]


def test_fit_init_overflowing_start_is_a_data_start_problem(cli, tmp_path):
    from hostile_data import HOUSES

    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    r = cli("fit", data, "--init", "1e308,1e308")
    # not "diverged ... learning rate": the start itself overflows
    assert r.one_line_error and "--init 1e308,1e308: the loss at this start overflows" in r.stderr
    r = cli("fit", data, "--init", "nan,0")
    assert r.one_line_error and "not a finite number" in r.stderr


def test_fit_json_never_holds_nan(cli, tmp_path):
    from hostile_data import HOUSES

    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    # a rate far above 2/L diverges (exit 3); its JSON still parses, non-finite fields null
    r = cli("fit", data, "--lr", "50", "--no-scale", "--json", "--max-iter", "50")
    assert r.code == 3
    obj = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert all(v is None or not isinstance(v, float) or math.isfinite(v) for v in obj.values())


@pytest.mark.parametrize(
    ("args", "must_say"),
    [
        (("fit", "{data}", "--lr", "nan"), "--lr 'nan'"),
        (("fit", "{data}", "--tol", "nan"), "--tol nan"),  # the CLI speaks in its flags
        (("fit", "{data}", "--alpha", "inf"), "--alpha inf"),
        (("fit", "{data}", "--max-iter", "-1"), "--max-iter -1"),
        (("fit", "{data}", "--chunk-rows", "0", "--engine", "stream"), "--chunk-rows 0"),
        (("fit", "{data}", "--checkpoint-seconds", "nan", "--checkpoint", "c.json"), "--checkpoint-seconds"),
        (("sweep", "{data}", "--lr", "0.1,nan"), "--lr: item 2 ('nan') is not a finite number"),
        (("sweep", "{data}", "--tol", "nan"), "--tol nan"),
        (("minimize", "x**2", "--start", "1", "--b1", "inf"), "b1 must be finite"),
        (("plot", "x**2+y**2", "--out", "{out}", "--xlim", "0,1e308"), "--xlim 0,1e308"),
        (("plot", "x**2+y**2", "--out", "{out}", "--ylim", "nan,1"), "--ylim: item 1 ('nan')"),
    ],
)
def test_numbers_in_options_are_checked(cli, tmp_path, args, must_say):
    from hostile_data import HOUSES

    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    r = cli(*(a.format(data=data, out=tmp_path / "p.png") for a in args))
    assert r.one_line_error and must_say in r.stderr, r
    assert not (tmp_path / "p.png").exists()
