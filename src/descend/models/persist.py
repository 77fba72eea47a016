"""Model files: versioned, validated JSON (never pickle -- loading a model runs no code).

Format ``descend.linear-model`` version 1::

    {"format": "descend.linear-model", "version": 1, "loss": "squared_error",
     "features": ["size"], "target": "price", "intercept": 0.0, "coef": [166.67], ...}

Extra keys (training metrics, the source) are kept for people and ignored on load.
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

from descend.errors import DataError, InputError
from descend.models.linear import LinearModel
from descend.models.losses import LOSSES

__all__ = ["FORMAT", "VERSION", "load_model", "model_to_dict", "save_model"]

FORMAT = "descend.linear-model"
VERSION = 1


def model_to_dict(
    model: LinearModel, *, target: str = "y", source: str = ""
) -> dict[str, Any]:
    """The JSON object of a fitted model."""
    names = list(
        getattr(model, "feature_names_", [f"x{j}" for j in range(1, model.coef_.size + 1)])
    )
    return {
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

    path = Path(path)
    try:
        raw = read_small_file(path, "model", MAX_BYTES)
    except DataError:
        if not path.exists():
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
    return model
