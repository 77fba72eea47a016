"""Model files: versioned, validated JSON (never pickle -- loading a model runs no code).

Format ``descend.linear-model`` version 2::

    {"format": "descend.linear-model", "version": 2, "loss": "squared_error",
     "features": ["size"], "target": "price", "intercept": 0.0, "coef": [166.67],
     "moments": {"n": 5, "sum_w": null, "mean_x": [1800.0], "mean_y": 300000.0,
                 "cxx": [[900000.0]], "cxy": [150000000.0], "cyy": 25000000000.0}, ...}

``moments`` (new in version 2, optional) are the fit's
:class:`~descend.data.stats.MomentStats` (``n`` rows, ``sum_w`` the total sample weight or
``null``, the means and the centred cross-products), written when the fit has them and
``d <= MAX_MOMENT_FEATURES``: a loaded model's :meth:`~LinearModel.summary` then works, and
``partial_fit`` continues from them. Version 1 files (no moments) still load. Extra keys
(training metrics, the source) are kept for people and ignored on load.
Saving refuses to replace an existing file unless ``force=True``, and never replaces the
data file the model was trained on; it writes a temporary file and renames it, so a crash
never leaves half a model.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from descend.data.stats import MomentStats
from descend.errors import DataError, InputError
from descend.models.linear import LinearModel
from descend.models.losses import LOSSES

__all__ = ["FORMAT", "VERSION", "load_model", "model_to_dict", "save_model"]

FORMAT = "descend.linear-model"
VERSION = 2
#: Moments are saved up to this many features (``cxx`` holds d^2 numbers).
MAX_MOMENT_FEATURES = 500


def model_to_dict(
    model: LinearModel, *, target: str = "y", source: str = ""
) -> dict[str, Any]:
    """The JSON object of a fitted model (its moments too, when it has them)."""
    names = list(
        getattr(model, "feature_names_", [f"x{j}" for j in range(1, model.coef_.size + 1)])
    )
    out = {
        "format": FORMAT,
        "version": VERSION,
        "loss": model.loss,
        "features": names,
        "target": str(getattr(model, "target_name_", target)),
        "intercept": float(model.intercept_),
        "coef": [float(c) for c in model.coef_],
        "training": {
            "source": source,
            "initial_loss": float(model.initial_loss_),
            "loss": float(model.loss_),
            "n_iter": int(model.n_iter_),
            "status": model.stop_reason_,
            "verdict": str(getattr(model, "verdict_", "")) or None,
            "trusted_digits": getattr(model, "trusted_digits_", None),
            "params": {
                k: v
                for k, v in model.get_params().items()
                if isinstance(v, (int, float, str, bool)) or v is None
            },
        },
    }
    _design_fields(model, out)
    st = getattr(model, "moments_", None)
    if st is not None and st.d == model.coef_.size <= MAX_MOMENT_FEATURES:
        out["moments"] = {
            "n": int(st.n),
            "sum_w": None if st.sum_w is None else float(st.sum_w),
            "mean_x": [float(v) for v in st.mean_x],
            "mean_y": float(st.mean_y),
            "cxx": [[float(v) for v in row] for row in st.cxx],
            "cxy": [float(v) for v in st.cxy],
            "cyy": float(st.cyy),
        }
    return out


def _design_fields(model: LinearModel, out: dict[str, Any]) -> None:
    """A formula fit keeps its formula and levels (``design``), and a robust covariance
    (``covariance``: its type and matrix) so that intervals from the file are the fit's."""
    design = getattr(model, "design_", None)
    if design is None:
        return
    out["design"] = design.to_dict()
    out["fit_intercept"] = bool(model.fit_intercept)
    spec = getattr(model, "cov_spec_", None)
    rp = getattr(model, "row_pass_", None)
    if spec is not None and spec.robust and rp is not None and \
            model.coef_.size < MAX_MOMENT_FEATURES:
        out["covariance"] = {"type": spec.label(),
                             "matrix": [[float(v) for v in r] for r in rp.covariance(0.0)]}


def _load_design(obj: dict[str, Any], model: LinearModel, path: Path | str) -> None:
    """The ``design`` (and ``covariance``) fields, checked; the formula is parsed, never run."""
    from descend.data.formula import MAX_LEVELS, Design

    d = obj.get("design")
    if d is None:
        return
    levels = d.get("levels") if isinstance(d, dict) else None
    if not isinstance(d, dict) or not isinstance(d.get("formula"), str) \
            or len(d["formula"]) > 10_000 or not isinstance(levels, dict) or not all(
                isinstance(k, str) and isinstance(v, list) and len(v) <= MAX_LEVELS
                and all(isinstance(x, str | int | float) for x in v)
                for k, v in levels.items()):
        raise DataError(f"{path}: field 'design' must be a formula and the levels of its "
                        "text columns")
    design = Design.from_dict(d)
    if design.names != tuple(model.feature_names_):
        raise DataError(f"{path}: field 'design' gives the columns {list(design.names)}, "
                        "not the model's features")
    model.design_ = design
    model.fit_intercept = bool(obj.get("fit_intercept", True))
    cov = obj.get("covariance")
    if cov is not None:
        p = model.coef_.size + (1 if model.fit_intercept else 0)
        m = cov.get("matrix") if isinstance(cov, dict) else None
        if not isinstance(m, list) or len(m) != p or not all(
                isinstance(r, list) and len(r) == p and all(map(_finite, r)) for r in m):
            raise DataError(f"{path}: field 'covariance' must hold a {p} x {p} matrix")
        model.cov_params_ = np.asarray(m, dtype=np.float64)
        model.cov_type_ = str(cov.get("type", "robust"))


def save_model(
    model: LinearModel,
    path: str | Path,
    *,
    target: str = "y",
    source: str = "",
    force: bool = False,
) -> Path:
    """Write ``model`` to ``path`` as JSON; refuse to overwrite unless ``force``."""
    path = Path(path)
    if source and path.exists() and Path(source).exists() and path.samefile(source):
        raise InputError(f"{path}: is the training data; save the model to another file")
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; choose another name or pass --force")
    if path.exists() and path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name such as model.json")
    text = json.dumps(
        model_to_dict(model, target=target, source=source), indent=2, allow_nan=False
    )
    from descend.io import atomic_output

    with atomic_output(os.path.realpath(path)) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: Caps on what a model file may be: a linear model is a few numbers per feature.
MAX_BYTES = 16 << 20
MAX_DEPTH = 16
MAX_FEATURES = 1_000_000
MAX_NAME = 1000


def load_model(path: str | Path) -> LinearModel:
    """Read and validate a model file; every problem is a :class:`DataError` naming the field.

    The file must be a regular file of at most :data:`MAX_BYTES` bytes whose JSON nests at
    most :data:`MAX_DEPTH` deep (checked before parsing, so a hostile file cannot exhaust
    memory or the parser's stack); each field is checked for its type and size.
    """
    from descend.io import load_json_limited, read_small_file

    path = os.fspath(path)  # a str: s3://b/m.json keeps its "//" (a Path would not)
    try:
        raw = read_small_file(path, "model", MAX_BYTES)
    except DataError:
        if "://" not in path and not os.path.lexists(path):
            raise DataError(
                f"{path}: no such model file; create one with descend fit --save"
            ) from None
        raise
    obj = load_json_limited(raw, str(path), "model", max_depth=MAX_DEPTH)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise DataError(f'{path}: is not a descend model file (no "format": "{FORMAT}")')
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise DataError(f"{path}: field 'version' must be an integer")
    if version > VERSION:
        raise DataError(
            f"{path}: model format version {version} is newer than this descend reads "
            f"({VERSION}); upgrade descend"
        )
    if version < 1:
        raise DataError(f"{path}: field 'version' must be a positive integer")
    features = obj.get("features")
    if (
        not isinstance(features, list)
        or not 0 < len(features) <= MAX_FEATURES
        or not all(isinstance(f, str) and 0 < len(f) <= MAX_NAME for f in features)
        or len(set(features)) != len(features)
    ):
        raise DataError(f"{path}: field 'features' must be a list of distinct column names")
    coef = obj.get("coef")
    if not isinstance(coef, list) or len(coef) != len(features) or not all(map(_finite, coef)):
        raise DataError(
            f"{path}: field 'coef' must be {len(features)} finite numbers, one per feature"
        )
    if not _finite(obj.get("intercept")):
        raise DataError(f"{path}: field 'intercept' must be a finite number")
    loss = obj.get("loss", "squared_error")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise DataError(f"{path}: field 'loss' must be one of {', '.join(LOSSES)}")
    target = obj.get("target", "y")
    if not isinstance(target, str) or len(target) > MAX_NAME:
        raise DataError(f"{path}: field 'target' must be a column name")
    model = LinearModel(loss=loss)
    model.coef_ = np.asarray([float(c) for c in coef], dtype=np.float64)
    model.intercept_ = float(obj["intercept"])
    model.n_features_in_ = len(features)
    model.feature_names_ = tuple(features)
    model.target_name_ = target
    if "moments" in obj:
        model.moments_ = _moments(obj["moments"], len(features), path)
        _training(model, obj.get("training"))
    _load_design(obj, model, path)
    return model


def _moments(m: Any, d: int, path: str | Path) -> MomentStats:
    """The ``moments`` field, checked for its types and sizes (``d`` features)."""
    where = f"{path}: field 'moments'"
    if not isinstance(m, dict):
        raise DataError(f"{where} must be an object (n, sum_w, mean_x, mean_y, cxx, cxy, cyy)")
    n = m.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise DataError(f"{where}.n must be a positive integer (the row count)")
    sum_w = m.get("sum_w")
    if sum_w is not None and not (_finite(sum_w) and sum_w > 0):
        raise DataError(f"{where}.sum_w must be a positive number or null")

    def vector(key: str, size: int) -> list[float]:
        v = m.get(key)
        if not isinstance(v, list) or len(v) != size or not all(map(_finite, v)):
            raise DataError(f"{where}.{key} must be {size} finite numbers")
        return [float(x) for x in v]

    for key in ("mean_y", "cyy"):
        if not _finite(m.get(key)):
            raise DataError(f"{where}.{key} must be a finite number")
    cxx = m.get("cxx")
    if not isinstance(cxx, list) or len(cxx) != d:
        raise DataError(f"{where}.cxx must be {d} rows of {d} finite numbers")
    rows = [_vector_of(row, d, f"{where}.cxx") for row in cxx]
    C = np.asarray(rows, dtype=np.float64).reshape(d, d)
    if not np.array_equal(C, C.T) or float(m["cyy"]) < 0 or (np.diag(C) < 0).any():
        raise DataError(f"{where}: cxx must be symmetric with a non-negative diagonal, cyy >= 0")
    return MomentStats(
        n=n,
        mean_x=np.asarray(vector("mean_x", d)),
        mean_y=float(m["mean_y"]),
        cxx=C,
        cxy=np.asarray(vector("cxy", d)),
        cyy=float(m["cyy"]),
        sum_w=None if sum_w is None else float(sum_w),
    )


def _vector_of(v: Any, size: int, where: str) -> list[float]:
    if not isinstance(v, list) or len(v) != size or not all(map(_finite, v)):
        raise DataError(f"{where} must be {size} rows of {size} finite numbers")
    return [float(x) for x in v]


def _training(model: LinearModel, training: Any) -> None:
    """What ``summary()`` needs besides the moments, from the file's ``training`` record:
    the penalty and intercept setting, the stop reason and the verdict (wrong types are
    ignored: these are informative, the coefficients are the model)."""
    if not isinstance(training, dict):
        return
    params = training.get("params")
    if isinstance(params, dict):
        alpha: Any = params.get("alpha")
        if _finite(alpha) and alpha >= 0:
            model.alpha = float(alpha)
        if isinstance(params.get("fit_intercept"), bool):
            model.fit_intercept = params["fit_intercept"]
    status = training.get("status")
    if isinstance(status, str) and len(status) <= MAX_NAME:
        model.stop_reason_ = status
    model.converged_ = training.get("verdict") == "converged"  # type: ignore[attr-defined]
