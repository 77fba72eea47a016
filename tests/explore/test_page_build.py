"""The explorer page without a browser: the compiled code, the data block, the API's checks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

import descend
from descend.errors import ExpressionError, InputError
from descend.explorer import explore, explore_regression
from descend.explorer._jscode import _check, compile_functions
from descend.explorer._page import json_for_script
from descend.expr import SymbolicFunction

HOSTILE_TEXT = "x**2 + y**2 # </script><script>alert(1)</script><!--"


def _data_block(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="descend-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_json_for_script_round_trips_and_never_closes_the_block():
    data = {"t": "</script><!-- & > \u2028", "v": [0.1, 1e-300, 3.0]}
    text = json_for_script(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


def test_hostile_text_stays_data():
    page = explore(HOSTILE_TEXT).html
    # exactly the page's three <script> elements (the data, the compiled function, the page)
    assert page.count("<script") == 3
    assert "alert" not in page.split('id="descend-data">')[1].split("</script>", 1)[1]
    assert _data_block(page)["text"] == HOSTILE_TEXT  # the text survives, as data


def test_hostile_variable_names_never_become_code():
    with pytest.raises(InputError, match="one or two variables"):
        explore("alert**2 + document*window + constructor**2")
    code = compile_functions(SymbolicFunction("alert**2 + 3*document"))
    assert "alert" not in code and "document" not in code
    page = explore("alert**2 + 3*document").html
    assert _data_block(page)["variables"] == ["alert", "document"]  # names are data only
    assert re.findall(r"_v\d", code)  # the variables are positional arguments


@pytest.mark.parametrize("code", ["alert(1)", "_v0 + window", "Math.constructor", "`x`", "_v0;", "a=1"])
def test_the_token_check_refuses_anything_but_arithmetic(code):
    with pytest.raises(ExpressionError):
        _check(code)


def test_regression_page_escapes_column_names(tmp_path):
    csv = tmp_path / "hostile.csv"
    csv.write_text("size,</script><script>alert(2)</script>\n1,2\n2,4\n3,7\n")
    page = explore(csv).html
    assert page.count("<script") == 3
    assert _data_block(page)["regression"]["y_name"] == "</script><script>alert(2)</script>"
    assert "<title>" in page and "alert(2)</script>" not in page.split("<title>")[1].split("</title>")[0]


def test_data_holds_the_exact_curvature_and_a_default_rate_below_1_over_L():
    e = explore("x**2 + x*y + y**2")
    assert e.data["L"] == 3.0  # eigenvalues of [[2, 1], [1, 2]] are 3 and 1
    assert e.data["learning_rate"] <= 1 / 3
    assert e.data["minimum"] == pytest.approx([0, 0], abs=1e-12)
    assert explore("x**4 + y**2").data["L"] is None  # not a quadratic: no global L


def test_regression_L_matches_the_tutorial_lesson():
    e = explore("examples/houses.csv", learning_rate=1e-4)
    x = np.array([1200, 1500, 1800, 2100, 2400.0])
    H = 2 * np.array([[1, x.mean()], [x.mean(), (x * x).mean()]])
    L = np.linalg.eigvalsh(H)[-1]
    assert e.data["L"] == pytest.approx(L, rel=1e-12)
    assert 1e-4 / (2 / L) == pytest.approx(342, abs=1)  # "340 x too large"
    assert e.data["kind"] == "regression"
    assert e.data["minimum"] == pytest.approx([0, 500 / 3], abs=1e-6)


@pytest.mark.parametrize("bad, match", [
    ({"target": "x*y*z"}, "one or two variables"),
    ({"target": "x**2", "start": [1, 2]}, "start must be 1"),
    ({"target": "log(x) + y", "start": [-1, 0]}, "not finite"),
    ({"target": "x**2", "optimizer": "lbfgs"}, "optimizer"),
    ({"target": "x**2", "learning_rate": -1.0}, "learning_rate"),
    ({"target": "x**2", "momentum": 1.5}, "momentum"),
])
def test_bad_settings_raise_input_error(bad, match):
    with pytest.raises(InputError, match=match):
        explore(**bad)


def test_save_and_jupyter_display(tmp_path):
    e = descend.explore("x**2 + y**2")
    path = e.save(tmp_path / "p.html")
    assert path.read_text(encoding="utf-8") == e.html
    shown = e._repr_html_()
    assert shown.startswith("<iframe") and 'sandbox="allow-scripts"' in shown
    assert "<script" not in shown  # the page is an escaped srcdoc attribute
    with pytest.raises(InputError, match=".html"):
        e.save(tmp_path / "p.png")


def test_regression_needs_one_feature(tmp_path):
    csv = tmp_path / "two.csv"
    csv.write_text("a,b,c\n1,2,3\n2,3,5\n3,5,8\n")
    with pytest.raises(InputError, match="one feature"):
        explore_regression(csv)
    assert explore_regression(csv, x="b").data["regression"]["x_name"] == "b"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("formula", [
    "x**2 + x*y + y**2",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "log(1 + x**2, 10) + sqrt(y**2 + 1) + exp(-x/3)*sin(y) + abs(x)**1.5 + atan(x*y) + pi*E",
    "tanh(x) + cosh(y/4) + asin(x/9) + acos(y/9) + x**(-2) + 1/(y + 5)",
])
def test_compiled_javascript_equals_the_python_derivatives(formula, tmp_path):
    fun = SymbolicFunction(formula)
    rng = np.random.default_rng(0)
    pts = rng.uniform(0.2, 2.0, size=(6, 2)).tolist()
    script = compile_functions(fun).replace("window.DESCEND_FUNCS", "const F")
    script += f"\nconst P = {json.dumps(pts)};\n"
    script += "console.log(JSON.stringify(P.map(p => [F.vg(...p), F.h(...p)])));\n"
    (tmp_path / "f.js").write_text(script)
    out = json.loads(subprocess.run(["node", str(tmp_path / "f.js")], capture_output=True,
                                    text=True, check=True).stdout)
    for p, ((v, g), h) in zip(pts, out, strict=True):
        pv, pg = fun.value_and_grad(np.array(p))
        assert v == pytest.approx(pv, rel=1e-14, abs=1e-14)
        assert g == pytest.approx(pg.tolist(), rel=1e-13, abs=1e-13)
        assert np.allclose(h, fun.hessian(np.array(p)), rtol=1e-13, atol=1e-13)


def test_regression_on_many_rows_uses_the_moments(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, 500)
    y = 3 + 2 * x + rng.normal(0, 1, 500)
    csv = tmp_path / "many.csv"
    csv.write_text("x,y\n" + "\n".join(f"{a!r},{b!r}" for a, b in zip(x.tolist(), y.tolist(), strict=True)))
    e = explore_regression(csv)
    H = 2 * np.array([[1, x.mean()], [x.mean(), (x * x).mean()]])
    assert e.data["L"] == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-12)
    A = np.column_stack([np.ones_like(x), x])
    assert e.data["minimum"] == pytest.approx(np.linalg.lstsq(A, y, rcond=None)[0].tolist(),
                                              rel=1e-9)
    assert len(e.data["regression"]["x"]) == 500


def test_the_explorer_functions_fit_on_a_screen():
    """STYLE.md §15: no function over 80 lines in the explorer's Python."""
    import ast
    from pathlib import Path

    import descend.explorer as pkg

    for path in Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno + 1 < 80, (path.name, node.name)


def test_second_order_runs_are_embedded_as_minimize_returns_them():
    page = explore("(1 - x)**2 + 100*(y - x**2)**2", start=[-1.2, 1])
    block = _data_block(page.html)["second"]
    for method in ("newton", "bfgs"):
        r = descend.minimize("(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1], method=method,
                             max_iter=200)
        assert np.array_equal(np.array(block[method]["x"]), r.history.x)  # every bit
        assert block[method]["verdict"] == str(r.verdict) == "converged"
        assert (block[method]["nfev"], block[method]["njev"]) == (r.nfev, r.njev)


def test_the_page_stays_small():
    for target in ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", "x*sin(x)", "examples/data.csv",
                   "examples/houses.csv"):
        assert len(explore(target).html.encode("utf-8")) < 150_000, target


def test_compacting_the_scripts_is_safe():
    """compact() strips indentation and whole-line comments: safe only while no script holds a
    multi-line string (a template literal) or a line that starts inside one."""
    from descend.explorer._page import _asset, compact

    for name in ("verdict.js", "explorer.js"):
        code = compact(_asset(name))
        assert "`" not in code, name
        assert len(code) < len(_asset(name))


def test_the_report_and_the_explorer_share_one_colour_map():
    """Issue 23 ("three colour maps across outputs"): the fit/sweep report's surface uses the
    explorer's stops, which test_classroom checks against matplotlib's YlGnBu_r (the plots')."""
    import inspect

    from descend.explorer._page import _asset
    from descend.report import _page as report_page

    def stops(text):
        m = re.search(r"var (?:FIELD|CIVIDIS) = (\[\[.*?\]\]);", text)
        assert m, "no colour stops found"
        return json.loads(m.group(1))

    assert stops(inspect.getsource(report_page)) == stops(_asset("explorer.js"))
