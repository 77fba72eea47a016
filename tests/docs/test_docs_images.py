"""Every picture README.md and docs/ show is made by ``docs/images/make_images.py``, which this
test runs (into a temporary folder): a picture the script no longer makes, or one the docs
reference that nothing makes, fails here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_blocks import DOCS, ROOT

SCRIPT = ROOT / "docs" / "images" / "make_images.py"
SCREENSHOTS = {"report.png", "explorer.png"}  # made in Chromium


def shown_images() -> set[str]:
    names: set[str] = set()
    for path in DOCS:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text(encoding="utf-8")):
            assert "images/" in target, f"{path.name}: {target} is not under docs/images"
            names.add(target.rsplit("/", 1)[-1])
    return names


def test_every_shown_image_exists_in_docs_images() -> None:
    names = shown_images()
    assert len(names) >= 6
    for name in names:
        assert (ROOT / "docs" / "images" / name).is_file(), name


@pytest.mark.slow
def test_make_images_makes_every_shown_image(tmp_path: Path) -> None:
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"),
                                                      os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    made = {p.name for p in tmp_path.glob("*.png")}
    wanted = shown_images()
    if "no Chromium" in proc.stderr:
        wanted -= SCREENSHOTS
    assert wanted <= made, f"shown but not made by {SCRIPT.name}: {sorted(wanted - made)}"
    for name in made:
        assert (tmp_path / name).stat().st_size > 10_000, name  # a real picture, not a stub
