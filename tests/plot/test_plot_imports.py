"""What the picture commands import (start-up, issue 22), asserted as modules, never as times.

Each command runs in a new Python process (a clean ``sys.modules``) through the console entry
point and writes its picture; the process then lists the modules it loaded. A picture is drawn
on a ``matplotlib.figure.Figure`` with the Agg canvas: no ``matplotlib.pyplot`` (no backend
resolution, no GUI toolkit), no ``matplotlib.animation`` unless ``--animate`` asked for it, and
none of SciPy (the marked minimum's Nelder-Mead is descend's own), pandas, pyarrow,
scikit-learn, numba, statsmodels or dask. ``descend plot`` evaluates a formula and its exact
gradient on descend's own tree, without SymPy (unless the tree hands the formula to SymPy);
``minimize --plot`` loads SymPy for the gradient formula it prints; a fit's pictures never.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEVER = ("scipy", "pandas", "pyarrow", "sklearn", "numba", "statsmodels", "dask", "polars",
         "tkinter", "PyQt5", "PyQt6", "PySide2", "PySide6", "gi", "wx", "IPython")
GUI_OR_PYPLOT = ("matplotlib.pyplot", "matplotlib.animation", "matplotlib.backends.backend_tkagg",
                 "matplotlib.backends.backend_qtagg", "matplotlib.backends.backend_gtk3agg")


def _loaded(args: list[str], tmp_path: Path) -> tuple[int, set[str], str]:
    """Run ``descend *args`` in a new process; its exit code and the modules it loaded."""
    listing = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from descend.cli.app import main\n"
        f"rc = main({args!r})\n"
        f"open({str(listing)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
        "sys.exit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    modules = set(json.loads(listing.read_text())) if listing.exists() else set()
    return done.returncode, modules, done.stderr


def _tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    "args",
    [
        ["plot", "x**2 + y**2", "--start", "3,1", "--optimizer", "gd", "--lr", "0.1",
         "--max-iter", "40", "--out", "{out}"],
        ["plot", "(1 - x)**2 + 100*(y - x**2)**2", "--start", "-1.2,1", "--method", "newton",
         "--out", "{out}"],
        ["plot", "x**2", "--tangent", "3,4", "--start", "3", "--lr", "0.8", "--out", "{out}"],
        ["plot", "x**2 + 3*y**2", "--start", "2,1", "--surface", "--out", "{out}"],
        ["minimize", "x**2 + x*y + y**2", "--start", "3,1", "--plot", "{out}"],
    ],
    ids=["field", "newton", "curve", "surface", "minimize-plot"],
)
def test_a_formula_picture_loads_matplotlib_without_pyplot_or_scipy(args, tmp_path):
    out = tmp_path / "picture.png"
    rc, modules, stderr = _loaded([str(out) if a == "{out}" else a for a in args], tmp_path)
    assert rc == 0, stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the picture was drawn
    assert "matplotlib.figure" in modules and "matplotlib.backends.backend_agg" in modules
    assert sorted(m for m in GUI_OR_PYPLOT if m in modules) == []
    assert sorted(_tops(modules) & set(NEVER)) == []
    if args[0] == "plot":
        # descend's own tree gives the values and exact gradients of a picture (issue 22)
        assert "sympy" not in _tops(modules)
        # each picture imports its own figure module only, and minimize's result table
        # (rich.table) is not drawn by plot
        kind = "curve" if "--tangent" in args else "surface" if "--surface" in args else "field"
        others = {"curve", "surface", "field", "figures", "loss", "regression", "residuals"}
        others.discard(kind)
        assert sorted(m for m in modules if m.rsplit(".", 1)[-1] in others
                      and m.startswith("descend.plot.")) == []
        assert f"descend.plot.{kind}" in modules
        assert "rich.table" not in modules
        if kind == "curve":  # no contour map
            assert "contourpy" not in modules
    else:
        assert "sympy" in modules  # minimize prints SymPy's gradient formula


def test_plot_hands_a_formula_the_tree_cannot_vouch_for_to_sympy(tmp_path):
    # x + y - y is a function of x alone for SymPy (a curve), not a flat field of (x, y).
    out = tmp_path / "curve.png"
    rc, modules, stderr = _loaded(["plot", "x + y - y", "--out", str(out)], tmp_path)
    assert rc == 0, stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "sympy" in modules


def test_a_fit_picture_loads_no_sympy_and_no_data_engine(tmp_path):
    out = tmp_path / "fit.png"
    rc, modules, stderr = _loaded(["fit", "examples/houses.csv", "--plot", str(out), "-q"],
                                  tmp_path)
    assert rc == 0, stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(m for m in GUI_OR_PYPLOT if m in modules) == []
    assert sorted(_tops(modules) & {*NEVER, "sympy"}) == []


def test_animate_loads_matplotlib_animation_and_still_no_pyplot(tmp_path):
    out = tmp_path / "descent.gif"
    rc, modules, stderr = _loaded(
        ["plot", "x**2 + y**2", "--start", "3,1", "--max-iter", "5", "--animate", "--fps", "5",
         "--out", str(out)], tmp_path)
    assert rc == 0, stderr
    assert out.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    assert "matplotlib.animation" in modules
    assert "matplotlib.pyplot" not in modules
    assert "descend.plot.surface" not in modules and "rich.table" not in modules
    assert sorted(_tops(modules) & {*NEVER, "sympy"}) == []
