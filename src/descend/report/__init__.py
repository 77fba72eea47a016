"""Interactive HTML reports: one self-contained, offline file per run
(canvas drawing in ~300 lines of inline JavaScript, no plotting library: ~0.1-0.5 MB).

``write_html`` takes plain data; ``minimize_report``, ``fit_report`` and ``sweep_report``
build it from an OptimizeResult list, a fitted LinearRegression or a SweepResult.
"""

from __future__ import annotations

from descend.report._page import MAX_FRAMES, frame_indices, write_html
from descend.report.adapters import fit_report, minimize_report, sweep_report

__all__ = ["MAX_FRAMES", "fit_report", "frame_indices", "minimize_report", "sweep_report",
           "write_html"]
