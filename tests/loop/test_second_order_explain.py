"""``explain_steps`` on a Newton run writes ``b = a - H^-1 grad f(a)`` with the numbers,
checked against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from descend.cli.app import main
from descend.expr import function
from descend.loop import explain_steps, minimize
from descend.loop._explain import newton_line

ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"


def test_the_first_newton_step_on_rosenbrock_by_hand():
    # at a = (-1.2, 1): grad f = (2(x-1) - 400 x (y - x^2), 200 (y - x^2)) = (-215.6, -88),
    # H = [[2 - 400 (y - 3 x^2), -400 x], [-400 x, 200]] = [[1330, 480], [480, 200]],
    # det H = 266000 - 230400 = 35600, adj H = [[200, -480], [-480, 1330]],
    # adj H . g = (-43120 + 42240, 103488 - 117040) = (-880, -13552),
    # H^-1 g = (-880, -13552) / 35600 = (-0.0247191..., -0.380674...), b = a - H^-1 g.
    r = minimize(ROSEN, [-1.2, 1.0], method="newton")
    b = np.array([-1.2 + 880 / 35600, 1.0 + 13552 / 35600])
    np.testing.assert_allclose(r.history.x[1], b, rtol=0, atol=1e-14)
    first = explain_steps(ROSEN, r, k=1)[0]
    assert first == ("b = a - H^-1 grad f(a) = (-1.2, 1) - [[200, -480], [-480, 1330]] / 35600"
                     " * (-215.6, -88) = (-1.2, 1) - (-0.0247191, -0.380674) = "
                     "(-1.17528, 1.38067)")


def test_a_quadratic_in_one_line():
    # g(5, 5) = (2*5 + 5 + 3, 5 + 2*5) = (18, 15); adj H / det H = [[2, -1], [-1, 2]] / 3;
    # H^-1 g = (36 - 15, -18 + 30) / 3 = (7, 4); b = (5, 5) - (7, 4) = (-2, 1)
    text = "x**2 + x*y + y**2 + 3*x"
    r = minimize(text, [5.0, 5.0])
    assert explain_steps(text, r) == [
        "b = a - H^-1 grad f(a) = (5, 5) - [[2, -1], [-1, 2]] / 3 * (18, 15) = (5, 5) - "
        "(7, 4) = (-2, 1)"]


def test_a_step_the_trust_region_holds_back_names_lambda():
    # Rosenbrock's second step lies on the trust region's boundary: (H + lam I) p = -g with
    # the lam the line prints, checked here from H and g computed independently
    f = function(ROSEN)
    r = minimize(ROSEN, [-1.2, 1.0], method="newton")
    line = explain_steps(ROSEN, r, k=2)[1]
    assert line.startswith("b = a - (H + lam I)^-1 grad f(a) = (-1.17528, 1.38067) - ")
    lam = float(line.split("(lam = ")[1].split()[0])
    a, b = r.history.x[1], r.history.x[2]
    H, g = f.hessian(a), f.grad(a)
    # lam is printed to 6 digits
    np.testing.assert_allclose((H + lam * np.eye(2)) @ (b - a), -g, rtol=0,
                               atol=1e-5 * np.linalg.norm(g))
    assert lam > 0


def test_one_variable_is_f_prime_over_f_second():
    # x^2 - 4x from 5: f' = 6, f'' = 2, b = 5 - 6/2 = 2
    r = minimize("x**2 - 4*x", [5.0])
    assert explain_steps("x**2 - 4*x", r) == ["b = a - f'(a) / f''(a) = 5 - 6 / 2 = 2"]


def test_not_a_newton_step_is_not_written_as_one():
    f = function("x**2 + y**2")
    a = np.array([1.0, 1.0])
    assert newton_line(f, a, np.array([0.5, 0.9]), f.grad(a)) is None  # no lam >= 0 fits
    assert newton_line(f, a, a, f.grad(a)) is None


def test_cli_explain_on_newton(capsys):
    code = main(["minimize", "x**2 + x*y + y**2 + 3*x", "--start", "5,5", "--explain"])
    out = capsys.readouterr().out
    assert code == 0
    assert "The first steps, b = a - H^-1 grad f(a):" in out
    assert "[[2, -1], [-1, 2]] / 3 * (18, 15) = (5, 5) - (7, 4) = (-2, 1)" in out


@pytest.mark.parametrize("method", ["bfgs", "cg"])
def test_quasi_newton_steps_stay_plain(method):
    r = minimize(ROSEN, [-1.2, 1.0], method=method)
    assert all("H^-1" not in line for line in explain_steps(ROSEN, r))
