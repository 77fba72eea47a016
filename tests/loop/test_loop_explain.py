"""explain_steps writes the first steps as tutorial 000 does, with numbers."""

from __future__ import annotations

import warnings

from loop_objectives import VALLEY

from descend.errors import ConvergenceWarning
from descend.loop import explain_steps, minimize
from descend.optim import adam, gd


def test_tutorial_step_on_the_valley(valley):
    r = minimize(valley, [3.0, 1.0], optimizer=gd(0.1))
    lines = explain_steps(valley, r, k=3)
    assert lines[0] == "b = a - gamma * grad f(a) = (3, 1) - 0.1 * (7, 5) = (2.3, 0.5)"
    assert lines[1] == "b = a - gamma * grad f(a) = (2.3, 0.5) - 0.1 * (5.1, 3.3) = (1.79, 0.17)"
    assert len(lines) == 3


def test_text_function_and_short_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = minimize(VALLEY, [3.0, 1.0], optimizer=gd(0.1), max_iter=1)
    assert explain_steps(VALLEY, r, k=3) == [
        "b = a - gamma * grad f(a) = (3, 1) - 0.1 * (7, 5) = (2.3, 0.5)"
    ]
    r0 = minimize(VALLEY, [0.0, 0.0])
    assert explain_steps(VALLEY, r0) == []


def test_line_search_steps_show_the_chosen_gamma():
    # the line-searched gradient descent (minimize's default before method= existed)
    r = minimize(VALLEY, [3.0, 1.0], optimizer=gd(learning_rate="armijo"))
    first = explain_steps(VALLEY, r, k=1)[0]
    assert first.startswith("b = a - gamma * grad f(a) = (3, 1) - ")
    assert f"{r.history.learning_rate[0]:.6g} * (7, 5)" in first


def test_non_gradient_steps_say_so(valley):
    r = minimize(valley, [3.0, 1.0], optimizer=adam(0.1))
    line = explain_steps(valley, r, k=1)[0]
    assert line.startswith("b = a + step = (3, 1) + ")
    assert "adam" in line and "grad f(a) = (7, 5)" in line
