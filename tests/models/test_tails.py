"""The standard-library tails of t, F and the normal (models/_tails.py) against scipy.stats,
and the deterministic part of issue 24's start-up goal: ``fit --summary`` imports no SciPy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from descend.models._tails import f_sf, normal_ppf, normal_sf, t_ppf, t_sf2

stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("nu", [1, 2, 3, 5, 18, 203, 10_000])
@pytest.mark.parametrize("t", [0.0, 0.1, 1.0, 2.5, 10.0, 60.0])
def test_t_two_sided_tail(t, nu):
    assert t_sf2(t, nu) == pytest.approx(2.0 * stats.t.sf(t, nu), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("d1", "d2"), [(1, 1), (2, 18), (3, 203), (12, 5), (4, 100_000)])
@pytest.mark.parametrize("f", [0.01, 0.5, 1.0, 3.0, 45.0, 1e4])
def test_f_tail(f, d1, d2):
    assert f_sf(f, d1, d2) == pytest.approx(stats.f.sf(f, d1, d2), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("q", [0.6, 0.9, 0.95, 0.975, 0.995, 0.99995])
def test_quantiles(q):
    for nu in (1, 3, 18, 203, 10_000):
        assert t_ppf(q, nu) == pytest.approx(stats.t.ppf(q, nu), rel=1e-10)
    assert normal_ppf(q) == pytest.approx(stats.norm.ppf(q), rel=1e-10)
    assert normal_sf(1.5) == pytest.approx(stats.norm.sf(1.5), rel=1e-14)


def test_fit_summary_imports_no_scipy(tmp_path):
    code = ("import sys\nfrom descend.cli.app import main\n"
            "main(['fit', 'examples/houses.csv', '--summary', '--quiet'])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
