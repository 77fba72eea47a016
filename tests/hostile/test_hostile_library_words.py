"""Messages reach the command line in its words (cli/_terms.FLAGS), not the library's."""

from __future__ import annotations

import re


def test_no_variables_names_the_flag(cli) -> None:
    r = cli("minimize", "3", "--start", "1")
    assert r.one_line_error, r.stderr
    # before: "pass variables=[...] to treat it as a function of them"
    assert "variables=" not in r.stderr and "--variables x,y" in r.stderr
    ok = cli("minimize", "3", "--variables", "x", "--start", "1")  # the advice works
    assert ok.code == 0, ok.stderr


def test_a_nan_learning_rate_names_the_flag(cli, tmp_path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("x,y\n1,3\n2,5\n3,7.1\n")
    for args in (("minimize", "x**2", "--start", "1"), ("fit", p)):
        r = cli(*args, "--lr", "nan")
        assert r.one_line_error, r.stderr
        assert r.stderr.startswith("descend: error: --lr ") and not re.search(
            r"\blearning_rate\b", r.stderr), r.stderr
