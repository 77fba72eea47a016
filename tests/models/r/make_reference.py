"""Write R's lm + sandwich results for the analyst's data sets: r_lm_sandwich.csv beside this file.

    python tests/models/r/make_reference.py        # needs Rscript with the sandwich package
                                                   # (Debian: r-base-core r-cran-sandwich)

The data sets are those of tests/models/analysis_data.py (statsmodels' bundled real data with
text columns and emptied cells), written as CSV for R. tests/models/test_against_r.py compares
descend with the committed file, and re-runs this script when Rscript is installed, so the file
is always R's own output.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from analysis_data import DATA  # noqa: E402


def r_output(folder: Path) -> str:
    """The script's CSV text, run on the data sets written into ``folder``."""
    for name, make in DATA.items():
        make().to_csv(folder / f"{name}.csv", index=False)
    done = subprocess.run(["Rscript", str(HERE / "lm_sandwich.R"), str(folder)],  # noqa: S607
                          capture_output=True, text=True, check=True)
    return done.stdout


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        (HERE / "r_lm_sandwich.csv").write_text(r_output(Path(tmp)))
    print(f"wrote {HERE / 'r_lm_sandwich.csv'}")
