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
    assert "plateau" in out.out
