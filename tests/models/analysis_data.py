"""Real data sets with text columns and emptied cells (statsmodels' bundled data), shared by
the tests against statsmodels (test_analysis.py) and against R (test_against_r.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _datasets():
    import statsmodels.api as sm

    return sm.datasets


def _holes(frame: pd.DataFrame, columns: list[str], every: int) -> pd.DataFrame:
    """Empty some cells, deterministically: row i of column j when (i + 3j) % every == 0."""
    out = frame.copy()
    for j, col in enumerate(columns):
        rows = np.arange(len(out))
        out.loc[(rows + 3 * j) % every == 0, col] = np.nan if out[col].dtype != object else None
    return out


def grunfeld() -> pd.DataFrame:
    d = _datasets().grunfeld.load_pandas().data
    d["firm"] = d["firm"].astype(object)
    return _holes(d, ["value", "firm"], 23)


def fair() -> pd.DataFrame:
    d = _datasets().fair.load_pandas().data
    jobs = {1: "student", 2: "farming", 3: "white collar", 4: "teacher", 5: "professional",
            6: "manager"}
    d["job"] = d["occupation"].map(jobs).astype(object)
    return _holes(d, ["age", "job"], 97)


def star98() -> pd.DataFrame:
    d = _datasets().star98.load_pandas().data
    d["district"] = np.where(d["PERMINTE"] > d["PERMINTE"].median(), "minority", "majority")
    d["district"] = d["district"].astype(object)
    return _holes(d, ["LOWINC", "PTRATIO"], 31)


def macrodata() -> pd.DataFrame:
    d = _datasets().macrodata.load_pandas().data
    d["season"] = d["quarter"].map({1.0: "q1", 2.0: "q2", 3.0: "q3", 4.0: "q4"}).astype(object)
    return _holes(d, ["tbilrate"], 29)


def longley() -> pd.DataFrame:
    return _datasets().longley.load_pandas().data


DATA = {"grunfeld": grunfeld, "fair": fair, "star98": star98, "macrodata": macrodata,
        "longley": longley}
