"""The residual panels are drawn on a Figure of their own (never registered with pyplot)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")


def test_residual_plots_are_a_figure_pyplot_never_sees(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from descend.plot._io import save_figure
    from descend.plot.residuals import residual_plots

    rng = np.random.default_rng(3)
    n, p = 60, 2
    fitted = np.linspace(0.0, 10.0, n)
    resid = rng.standard_normal(n)
    leverage = np.full(n, p / n)  # a balanced design: every leverage is p/n
    studentised = resid / resid.std(ddof=p)
    before = plt.get_fignums()
    fig = residual_plots(fitted, resid, leverage, studentised, p, target="y")
    assert plt.get_fignums() == before  # the old pyplot.subplots registered one here
    assert isinstance(fig.canvas, FigureCanvasAgg)
    assert [ax.get_title() for ax in fig.axes] == [
        "Residuals vs fitted", "Normal Q-Q", "Residuals vs leverage"]
    assert fig._suptitle.get_text() == f"Residuals of y: n = {n}, p = {p}"
    out = save_figure(fig, tmp_path / "residuals.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
