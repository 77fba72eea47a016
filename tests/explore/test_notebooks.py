"""The four tutorials as notebooks, executed top to bottom in a fresh kernel (nbclient)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "examples" / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_rich_output(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    src = str(Path(__file__).resolve().parents[2] / "src")
    monkeypatch.setenv("PYTHONPATH", src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    mimes = {m for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             for m in o.get("data", {})}
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    # figures show inline without %matplotlib inline; results and the explorer as HTML
    if "plot" in "".join(c.source for c in nb.cells):
        assert "image/png" in mimes
    if "explore(" in "".join(c.source for c in nb.cells) or "minimize(" in "".join(
            c.source for c in nb.cells):
        assert "text/html" in mimes
