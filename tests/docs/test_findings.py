"""Issue 24's findings that are not a shown block or a verdict word, each checked here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
Y = np.array([205_000.0, 248_000.0, 301_000.0, 349_000.0, 402_000.0])


def test_dir_descend_shows_public_names_only() -> None:
    import descend

    names = dir(descend)
    assert not {"Any", "annotations", "importlib"} & set(names)
    assert set(descend.__all__) <= set(names) and "plot" in names and "__version__" in names


def test_summary_renders_as_the_statistics_table() -> None:
    """In Jupyter: text and HTML are the table (statsmodels' layout), not a dataclass repr."""
    import descend

    s = descend.LinearModel().fit(X, Y).summary()
    assert repr(s) == str(s) and "Least-squares statistics of the fit" in repr(s)
    html = s._repr_html_()
    assert html.startswith("<pre") and "R-squared:" in html and "FitSummary(" not in html
    # the numbers are the fit's: R² against numpy's own least squares
    A = np.c_[np.ones(5), X]
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    r2 = 1 - np.sum((Y - A @ coef) ** 2) / np.sum((Y - Y.mean()) ** 2)
    assert f"{r2:.6f}" in str(s)


def test_summary_names_a_pandas_series_target() -> None:
    pd = pytest.importorskip("pandas")
    import descend

    y = pd.Series(Y, name="price")
    text = str(descend.LinearRegression().fit(pd.DataFrame({"size": X[:, 0]}), y).summary())
    assert "Dep. variable:                   price" in text


def test_cards_headline_is_the_verdict() -> None:
    """Finding 16: the card says the verdict (green only when converged), not the stop rule."""
    import descend

    m = descend.LinearModel().fit(X, Y)
    card = m._repr_mimebundle_()["text/html"]
    head = card.split("</div>", 1)[0]
    assert str(m.verdict_) == "converged" and "converged" in head and "#009E73" in head
    spent = descend.LinearModel(optimizer="gd", learning_rate=0.01, max_iter=3).fit(X, Y)
    head = spent._repr_mimebundle_()["text/html"].split("</div>", 1)[0]
    assert "budget_spent" in head and "#009E73" not in head
    r = descend.minimize("x**2 + x*y + y**2", [3, 1], optimizer=descend.gd(0.1), max_iter=3)
    assert str(r.verdict) in r._repr_html_().split("</div>", 1)[0]


def test_sweep_is_a_compact_card() -> None:
    import descend

    s = descend.sweep_learning_rates(X, Y, [0.001, 1.0, 1.5])
    text = repr(s)
    assert len(text.splitlines()) == 1 and len(text) < 300 and "oscillating" in text
    html = s._repr_html_()
    assert html.count("<tr>") == 4 and html.count("<svg") == 3  # a row and a curve per rate
    for word in s.verdicts:
        assert f">{word}</td>" in html


def test_summary_does_not_import_scipy_stats() -> None:
    """--summary's start-up: the p-values come from scipy.special, not scipy.stats (which
    imports every distribution: ~1.7 s of a 5-row fit, issue 24)."""
    code = ("import sys; from descend.cli.app import main; "
            "main(['fit', 'examples/houses.csv', '--summary', '--json']); "
            "print('scipy.stats' in sys.modules, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.stderr.strip().splitlines()[-1] == "False", proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["summary"]["r2"] == pytest.approx(1.0)


def test_summary_p_values_agree_with_scipy_stats() -> None:
    """The scipy.special functions give scipy.stats' t and F numbers (independent reference)."""
    from scipy import stats

    import descend

    rng = np.random.default_rng(0)
    Xn = rng.normal(size=(40, 2))
    yn = Xn @ [0.3, -0.2] + rng.normal(size=40)
    s = descend.LinearModel().fit(Xn, yn).summary()
    df = s.df_resid
    np.testing.assert_allclose(s.p_value, 2 * stats.t.sf(np.abs(s.t), df), rtol=1e-12)
    q = stats.t.ppf(0.975, df)
    np.testing.assert_allclose(s.conf_int[:, 1] - s.coef, q * s.std_err, rtol=1e-10)
    assert s.f_p_value == pytest.approx(stats.f.sf(s.f_statistic, s.df_model, df), rel=1e-12)


def test_start_at_a_singularity_is_not_told_nearer_the_origin(cli) -> None:
    r = cli("minimize", "log(x)", "--start", "0")
    assert r.code == 2 and "nearer the origin" not in r.stderr
    assert "singularity or the edge of the function's domain" in r.stderr


def test_explore_lr_help_matches_its_default() -> None:
    """Finding 17: for x**2 (L = 2) the default is 0.5 = 1/L, which the help now allows."""
    from descend.explorer import _nice_rate

    assert _nice_rate(0.5) == 0.5


def test_explore_help_states_the_default() -> None:
    import typer

    from descend.cli import commands
    from descend.cli.app import app

    commands.register("explore")
    cmd = typer.main.get_command(app).commands["explore"]  # type: ignore[attr-defined]
    lr = next(p for p in cmd.params if p.name == "lr")
    assert "not above 1/L" in lr.help and "1/L itself" in lr.help


def test_plot_without_matplotlib_is_refused_before_the_fit(tmp_path: Path) -> None:
    """Also seen: ``--plot`` without matplotlib ran the whole fit before refusing."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from descend.cli.app import main\n"
            "import descend.models.linear as lin\n"
            "def boom(*a, **k): raise SystemExit('the fit ran')\n"
            "lin.LinearModel._fit = boom\n"
            f"sys.exit(main(['fit', {str(ROOT / 'examples' / 'houses.csv')!r}, '--plot', "
            f"{str(tmp_path / 'p.png')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin"})
    assert proc.returncode == 2, proc.stderr
    assert "needs matplotlib" in proc.stderr and "descend[plot]" in proc.stderr
    assert "the fit ran" not in proc.stderr and not (tmp_path / "p.png").exists()


def test_fit_help_lists_the_choices_fit_accepts(cli) -> None:
    """Also seen: fit's metavars omitted ``auto``, ``preconditioned`` and the engines' ``auto``."""
    import typer

    from descend.cli import commands
    from descend.cli.app import _choices_for, app

    commands.register("fit")
    _choices_for("fit")
    cmd = typer.main.get_command(app).commands["fit"]  # type: ignore[attr-defined]
    meta = {p.name: p.metavar for p in cmd.params}
    assert meta["optimizer"].startswith("<auto|preconditioned|gd|")
    assert meta["engine"].startswith("<auto|")
    for opt, engine in (("auto", "auto"), ("preconditioned", "numpy")):
        r = cli("fit", str(ROOT / "examples" / "houses.csv"), "--optimizer", opt, "--engine",
                engine, "--json")
        assert r.code == 0 and json.loads(r.stdout)["verdict"] == "converged", r.stderr


def test_plot_functions_take_expression_text() -> None:
    """Also seen: descend.plot refused the expression strings every other entry point takes."""
    pytest.importorskip("matplotlib")
    import descend.plot as dp

    fig = dp.gradient_field("x**2 + y**2")
    fig2 = dp.gradient_field(__import__("descend").function("x**2 + y**2"))
    a, b = fig.axes[0], fig2.axes[0]
    assert a.get_xlim() == b.get_xlim() and a.get_title() == b.get_title()
    assert dp.curve_plot("x**2", tangents=[3]).axes
    assert dp.surface_3d("x**2 + y**2").axes
