"""``descend plot --method``: the second-order paths drawn, the legend carrying each verdict."""

from __future__ import annotations

import numpy as np
import pytest

from descend.cli.app import main
from descend.cli.plot import _descents
from descend.expr import function
from descend.loop import minimize

ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"


def test_method_paths_are_minimizes_runs():
    fun = function(ROSEN)
    runs = _descents(fun, ["-1.2,1"], ["gd"], "0.001", 50, ["newton", "bfgs"])
    assert [r.optimizer for r in runs] == ["gd", "newton", "bfgs"]
    for r in runs[1:]:
        ref = minimize(ROSEN, [-1.2, 1.0], method=r.optimizer, max_iter=50)
        np.testing.assert_array_equal(r.history.x, ref.history.x)
        assert r.verdict == ref.verdict


def test_the_legend_names_method_and_verdict(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from descend.plot import gradient_field

    fun = function("(x**2 - 1)**2 + y**2")
    runs = _descents(fun, ["0,1"], None, None, None, ["newton"])
    runs += _descents(function("-x**2 - y**2"), ["0,0"], None, None, None, ["newton"])
    fig = gradient_field(fun, runs[:1])
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("newton: converged") for t in texts), texts
    assert not any("lr = newton" in t for t in texts)
    fig2 = gradient_field(function("-x**2 - y**2"), runs[1:])
    texts2 = [t.get_text() for t in fig2.axes[0].get_legend().get_texts()]
    assert any(t.startswith("newton: not a minimum") for t in texts2), texts2


def test_cli_plot_method_writes_the_race(tmp_path, capsys):
    out = tmp_path / "race.png"
    code = main(["plot", ROSEN, "--start", "-1.2,1", "--method", "newton", "--method", "cg",
                 "--out", str(out)])
    assert code == 0 and out.stat().st_size > 10_000
    assert capsys.readouterr().out.strip() == f"wrote {out}"


@pytest.mark.parametrize("args, words", [
    (["--method", "newton", "--lr", "0.1"], "--lr is the learning rate of --optimizer"),
    (["--method", "secant"], "unknown method 'secant'"),
])
def test_cli_plot_method_refusals_are_one_line(tmp_path, capsys, args, words):
    code = main(["plot", ROSEN, "--start", "-1.2,1", *args, "--out", str(tmp_path / "a.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "a.png").exists()


def test_cli_plot_method_needs_a_start(tmp_path, capsys):
    code = main(["plot", ROSEN, "--method", "newton", "--out", str(tmp_path / "a.png")])
    assert code == 2 and "--method needs --start" in capsys.readouterr().err
