"""`make demo` end to end: the tutorials' numbers, right, and their pictures written."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from descend import demo


@pytest.mark.slow  # the whole tutorial tour with its pictures
def test_tutorial_tour_prints_the_right_numbers_and_writes_pictures(tmp_path):
    buf = io.StringIO()
    demo.run(tmp_path, Console(file=buf, width=200, highlight=False))
    text = buf.getvalue()
    # 002: the gradient at the tutorial's points
    assert "grad f(3, 1) = [6.0, 2.0]" in text
    assert "grad f(-2, -2) = [-4.0, -4.0]" in text
    # 000: the valley's gradient and the data.csv run, to the tutorial's digits
    assert "grad f = [2*x + y, x + 2*y]" in text
    assert "error = 5565.1078344832" in text
    assert "b = 0.0889365199, m = 1.4777440852, error = 112.6148101161" in text
    # 001: the tutorial's step diverges; the default learns the true line
    assert "diverged" in text
    assert "$166.67 per square foot, base price $0; 2000 sq ft -> $333,333" in text
    # 003: stopped by the loss threshold
    assert "stopped by target_loss" in text
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "bowl_gradient_field.png",
        "valley_descent.png",
        "data_line_fit.png",
        "house_fit.png",
        "house_sweep.png",
        "house_sweep_report.html",
    } <= names
