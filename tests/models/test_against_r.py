"""The analyst's path against R: ``lm`` with ``sandwich``'s ``vcovHC`` (HC0-HC3) and ``vcovCL``
(cluster-robust, type HC1 = statsmodels' CR1), on the same five real data sets with text columns
and emptied cells as the statsmodels tests.

R's numbers are in ``r/r_lm_sandwich.csv``, written by ``r/make_reference.py`` (which runs
``r/lm_sandwich.R``); where ``Rscript`` is installed, the slow test re-runs R and checks that the
committed file is its output.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("statsmodels.api")

from analysis_data import DATA  # noqa: E402

from descend.models.analysis import fit_formula, summary_of  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "r" / "r_lm_sandwich.csv"

#: descend's formula and cluster column per data set (R's formulas are in lm_sandwich.R).
FORMULAS = {
    "grunfeld": ("invest ~ value + capital + C(firm)", "firm"),
    "fair": ("affairs ~ rate_marriage + age + yrs_married + educ + "
             "C(job, Treatment('teacher'))", "occupation_husb"),
    "star98": ("NABOVE ~ LOWINC + PERASIAN + PERBLACK + PTRATIO + district", "district"),
    "macrodata": ("realinv ~ realgdp + np.log(realcons) + tbilrate + season", "year"),
    "longley": ("TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR", None),
}


def _r_results(text: str) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    out: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for row in csv.DictReader(text.splitlines()):
        out.setdefault((row["case"], row["cov"]), {})[row["name"]] = (
            float(row["coef"]), float(row["std_err"]))
    return out


def _r_name(name: str) -> str:
    """descend's coefficient name as R spells it (``C(firm)[T.IBM]`` -> ``firmIBM``)."""
    if name == "intercept":
        return "(Intercept)"
    level = re.fullmatch(r"(?:C\((\w+)[^\[]*\)|(\w+))\[T\.(.*)\]", name)
    if level:
        return (level.group(1) or level.group(2)) + level.group(3)
    return name.replace("np.", "")


R = _r_results(RESULTS.read_text())
KEYS = sorted(R)


def test_the_reference_covers_every_case_and_kind():
    assert {case for case, _ in KEYS} == set(FORMULAS)
    assert {cov for _, cov in KEYS} == {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
    assert len(KEYS) == 5 * 5 + 4  # longley has no cluster column


@pytest.mark.parametrize("case,cov", KEYS, ids=[f"{c}-{k}" for c, k in KEYS])
def test_coefficients_and_standard_errors_equal_r(case, cov):
    formula, groups = FORMULAS[case]
    kw = {"cov_kwds": {"groups": groups}} if cov == "cluster" else {}
    s = summary_of(fit_formula(formula, DATA[case](), cov_type=cov, **kw))
    ours = {_r_name(n): (c, e) for n, c, e in zip(s.names, s.coef, s.std_err, strict=True)}
    ref = R[(case, cov)]
    assert set(ours) == set(ref)
    names = sorted(ref)
    np.testing.assert_allclose([ours[n][0] for n in names], [ref[n][0] for n in names],
                               rtol=1e-8)
    # Longley's robust errors: R is 1.6e-8 off the exact answer, descend 1e-12 (next test)
    rtol = 1e-7 if case == "longley" and cov != "nonrobust" else 1e-8
    np.testing.assert_allclose([ours[n][1] for n in names], [ref[n][1] for n in names],
                               rtol=rtol)


def _exact_longley() -> tuple[list[float], dict[str, list[float]]]:
    """Longley's coefficients and standard errors in exact rational arithmetic: the float data
    as fractions, (X^T X)^-1 by Gauss-Jordan, the sandwiches B M B exactly; only the final square
    roots are rounded."""
    from fractions import Fraction as Fr

    d = DATA["longley"]()
    cols = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]
    X = [[Fr(1)] + [Fr(float(v)) for v in row] for row in d[cols].to_numpy()]
    y = [Fr(float(v)) for v in d["TOTEMP"]]
    n, p = len(X), len(X[0])
    A = [[sum((X[k][i] * X[k][j] for k in range(n)), Fr(0)) for j in range(p)]
         + [Fr(int(i == j)) for j in range(p)] for i in range(p)]
    for c in range(p):  # Gauss-Jordan on [X^T X | I]
        piv = next(r for r in range(c, p) if A[r][c] != 0)
        A[c], A[piv] = A[piv], A[c]
        A[c] = [v / A[c][c] for v in A[c]]
        for r in range(p):
            if r != c and A[r][c] != 0:
                f = A[r][c]
                A[r] = [a - f * b for a, b in zip(A[r], A[c], strict=True)]
    B = [row[p:] for row in A]
    Xty = [sum((X[k][j] * y[k] for k in range(n)), Fr(0)) for j in range(p)]
    beta = [sum((B[i][j] * Xty[j] for j in range(p)), Fr(0)) for i in range(p)]
    e = [y[k] - sum((X[k][j] * beta[j] for j in range(p)), Fr(0)) for k in range(n)]
    h = [sum((X[k][i] * B[i][j] * X[k][j] for i in range(p) for j in range(p)), Fr(0))
         for k in range(n)]

    def diag_sandwich(w: list) -> list:
        BX = [[sum((B[i][j] * X[k][j] for j in range(p)), Fr(0)) for k in range(n)]
              for i in range(p)]
        return [sum((w[k] * BX[i][k] ** 2 for k in range(n)), Fr(0)) for i in range(p)]

    s2 = sum((v * v for v in e), Fr(0)) / (n - p)
    var = {"nonrobust": [s2 * B[i][i] for i in range(p)],
           "HC0": diag_sandwich([v * v for v in e]),
           "HC2": diag_sandwich([v * v / (1 - hh) for v, hh in zip(e, h, strict=True)]),
           "HC3": diag_sandwich([v * v / (1 - hh) ** 2 for v, hh in zip(e, h, strict=True)])}
    var["HC1"] = [v * Fr(n, n - p) for v in var["HC0"]]
    return [float(b) for b in beta], {k: [float(np.sqrt(float(v))) for v in vs]
                                      for k, vs in var.items()}


@pytest.mark.parametrize("cov", ["nonrobust", "HC0", "HC1", "HC2", "HC3"])
def test_longley_errors_equal_exact_arithmetic(cov):
    """Where descend and R differ by more than 1e-8 (Longley, kappa ~ 1e9 uncentred), exact
    arithmetic decides: descend is within 1e-10 of it."""
    coef, se = _exact_longley()
    s = summary_of(fit_formula(FORMULAS["longley"][0], DATA["longley"](), cov_type=cov))
    np.testing.assert_allclose(s.coef, coef, rtol=1e-10)
    np.testing.assert_allclose(s.std_err, se[cov], rtol=1e-10)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_the_committed_reference_is_rs_output(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_reference", HERE / "r" /
                                                  "make_reference.py")
    assert spec is not None and spec.loader is not None
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    fresh = _r_results(maker.r_output(tmp_path))
    assert fresh.keys() == R.keys()
    for key, rows in fresh.items():
        for name, (coef, se) in rows.items():
            assert R[key][name][0] == pytest.approx(coef, rel=1e-15)
            assert R[key][name][1] == pytest.approx(se, rel=1e-15)
