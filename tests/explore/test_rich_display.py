"""Jupyter rich display: results as an HTML card, figures as PNG, the explorer as an iframe."""

from __future__ import annotations

import html
import subprocess
import sys
import warnings

import numpy as np
import pytest

import descend
from descend.display import loss_svg


def test_result_card_has_verdict_numbers_and_loss_curve():
    r = descend.minimize("x**2 + x*y + y**2", [3, 1], optimizer=descend.gd(0.1))
    card = r._repr_html_()
    assert "converged" in card and "(gtol)" in card
    assert f"steps</th><td style=\"text-align:left;font-family:monospace\">{r.nit} " in card
    assert "<svg" in card and "<script" not in card
    assert html.escape(r.message) in card


def test_diverged_card_says_so():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = descend.minimize("x**2", [3], optimizer=descend.gd(1.5))
    card = r._repr_html_()
    assert ">diverged " in card and "#D55E00" in card


def test_loss_svg_is_log_scaled_and_drops_rounding_noise():
    svg = loss_svg([1.0, 1e-3, 1e-20, 0.0], width=100, height=50)
    pts = [tuple(map(float, p.split(","))) for p in svg.split('points="')[1].split('"')[0].split()]
    assert len(pts) == 4
    # 1e-20 and 0 sit at the 1e-15 floor (the bottom), and 1e-3 a fifth of the way down
    assert pts[2][1] == pts[3][1] == 48.0
    assert pts[1][1] == pytest.approx(2 + 46 * (3 / 15), abs=0.05)


def test_figures_have_a_png_repr_without_pyplot():
    fig = descend.plot.curve_plot(descend.function("x**2"), tangents=[3])
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_descend_is_light():
    code = ("import sys, descend; e = descend.explore('x**2 + y**2'); "
            "r = descend.minimize('x**2', [1.0]); r._repr_html_(); "
            "print(sorted(m for m in ('matplotlib', 'plotly', 'polars', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert hasattr(descend, "plot") and callable(descend.explore)
    assert np.isfinite(descend.explore("x**2").data["L"])


def test_fitted_model_card_in_the_mimebundle():
    X = np.array([[1200.0], [1500], [1800], [2100], [2400]])
    model = descend.LinearRegression().fit(X, X[:, 0] * 500 / 3)
    page = model._repr_mimebundle_()["text/html"]
    assert page.startswith('<div class="descend-model"') and "166.667·x<" in page
    assert "<svg" in page
    unfitted = descend.LinearRegression()._repr_mimebundle_()
    assert "descend-model" not in unfitted.get("text/html", "")
