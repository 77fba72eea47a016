"""Checkpoints: parameters, optimizer state and step count, saved atomically, no pickle.

Optimizer states are immutable NamedTuples of arrays and counters (see
:mod:`descend.optim.base`), so a run is fully described by ``(x, state, nit)``: the schedule's
position is the step count. A checkpoint stores exactly that, plus a free JSON ``meta`` dict
(optimizer name, learning rate, feature names, ...), in one of two formats:

- ``.json`` (default): human-readable; every float written with Python's shortest exact
  ``repr``, so reading it back gives the same bits (``nan``/``inf`` as ``NaN``/``Infinity``).
- ``.npz``: arrays stored natively, the structure as a JSON string; loaded with
  ``allow_pickle=False``.

NamedTuple classes are stored by module and name and rebuilt only if they live in a
``descend.`` module and are NamedTuples -- a checkpoint can name data, never code.

Saving writes a temporary file next to the target, flushes it to disk and renames it over the
target with :func:`os.replace` (atomic on POSIX and Windows): a crash mid-save leaves the
previous checkpoint intact.

>>> import numpy as np, tempfile, os
>>> from descend.optim.transforms import ScaleByAdamState
>>> st = ScaleByAdamState(3, np.array([0.1, 1/3]), np.array([1e-300, 2.0]), None)
>>> p = os.path.join(tempfile.mkdtemp(), "run.json")
>>> save_checkpoint(p, np.array([1.0, 2.0]), st, nit=3)
>>> ck = load_checkpoint(p)
>>> ck.nit, np.array_equal(ck.state.mu, st.mu), type(ck.state).__name__
(3, True, 'ScaleByAdamState')
"""

from __future__ import annotations

import importlib
import json
import math
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import DataError, InputError

Array = NDArray[np.float64]

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "Checkpointer",
    "load_checkpoint",
    "save_checkpoint",
]

FORMAT_VERSION = 1
_KIND = "descend.checkpoint"
_ALLOWED_DTYPES = {"float64", "float32", "int64", "int32", "bool"}


@dataclass(frozen=True)
class Checkpoint:
    """A saved run: resume with ``minimize(f, ck.x, state=ck.state, start_iter=ck.nit)``."""

    x: Array
    state: Any
    nit: int
    meta: dict[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION

    def resume_kwargs(self) -> dict[str, Any]:
        """``x0``, ``state`` and ``start_iter`` for :func:`descend.minimize`."""
        return {"x0": self.x, "state": self.state, "start_iter": self.nit}


# ---------------------------------------------------------------------------------------
# state tree <-> JSON-able tree (arrays as leaves, or as references into an npz)
# ---------------------------------------------------------------------------------------


def _float_out(v: float) -> Any:
    return v  # json writes repr(float): shortest round-trip, exact


def _encode(obj: Any, arrays: list[np.ndarray] | None) -> Any:
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    if isinstance(obj, float):
        return {"float": _float_out(obj)}
    if isinstance(obj, np.generic):
        dt = obj.dtype.name
        if dt not in _ALLOWED_DTYPES:
            raise InputError(f"cannot checkpoint a {dt} scalar; use float64, int64 or bool")
        return {"scalar": obj.item(), "dtype": dt}
    if isinstance(obj, np.ndarray):
        dt = obj.dtype.name
        if dt not in _ALLOWED_DTYPES:
            raise InputError(f"cannot checkpoint a {dt} array; use float64, int64 or bool")
        if arrays is not None:
            arrays.append(np.ascontiguousarray(obj))
            return {"array": len(arrays) - 1}
        return {"array": obj.ravel().tolist(), "dtype": dt, "shape": list(obj.shape)}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        cls = type(obj)
        return {
            "namedtuple": f"{cls.__module__}:{cls.__qualname__}",
            "fields": {f: _encode(getattr(obj, f), arrays) for f in obj._fields},
        }
    if isinstance(obj, (tuple, list)):
        return {"tuple" if isinstance(obj, tuple) else "list": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, Mapping):
        if not all(isinstance(k, str) for k in obj):
            raise InputError("cannot checkpoint a dict with non-string keys")
        return {"dict": {k: _encode(v, arrays) for k, v in obj.items()}}
    raise InputError(
        f"cannot checkpoint a {type(obj).__name__}: optimizer states must be NamedTuples of "
        "arrays and numbers"
    )


def _namedtuple_class(spec: str, where: str) -> type:
    module, _, qualname = spec.partition(":")
    if not (module == "descend" or module.startswith("descend.")) or not qualname:
        raise DataError(f"{where}: state class {spec!r} is not a descend class; refusing it")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise DataError(
            f"{where}: state class {spec!r} no longer exists; the checkpoint was written by "
            "another version of descend"
        ) from None
    if not (isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")):
        raise DataError(f"{where}: {spec!r} is not a NamedTuple; refusing it")
    return obj


def _decode(node: Any, arrays: Mapping[str, np.ndarray] | None, where: str) -> Any:
    if node is None or isinstance(node, (bool, str, int)):
        return node
    if not isinstance(node, dict) or len(node) == 0:
        raise DataError(f"{where}: malformed state entry {node!r:.60}")
    if "float" in node:
        v = node["float"]
        if not isinstance(v, (int, float)):
            raise DataError(f"{where}: malformed float {v!r:.60}")
        return float(v)
    if "scalar" in node:
        dt = node.get("dtype")
        if dt not in _ALLOWED_DTYPES:
            raise DataError(f"{where}: unsupported dtype {dt!r}")
        return np.dtype(dt).type(node["scalar"])
    if "array" in node:
        ref = node["array"]
        if isinstance(ref, int) and not isinstance(ref, bool):
            if arrays is None or f"a{ref}" not in arrays:
                raise DataError(f"{where}: array #{ref} is missing from the file")
            return np.array(arrays[f"a{ref}"])
        dt, shape = node.get("dtype"), node.get("shape")
        if dt not in _ALLOWED_DTYPES or not isinstance(shape, list) or not isinstance(ref, list):
            raise DataError(f"{where}: malformed array entry")
        try:
            return np.array(ref, dtype=dt).reshape(shape)
        except (ValueError, TypeError):
            raise DataError(f"{where}: array data does not match its shape {shape}") from None
    if "namedtuple" in node:
        cls = _namedtuple_class(str(node["namedtuple"]), where)
        fields = node.get("fields")
        if not isinstance(fields, dict) or set(fields) != set(cls._fields):  # type: ignore[attr-defined]
            raise DataError(f"{where}: fields of {cls.__name__} do not match this descend version")
        return cls(**{k: _decode(v, arrays, where) for k, v in fields.items()})
    if "tuple" in node:
        return tuple(_decode(v, arrays, where) for v in node["tuple"])
    if "list" in node:
        return [_decode(v, arrays, where) for v in node["list"]]
    if "dict" in node:
        return {str(k): _decode(v, arrays, where) for k, v in node["dict"].items()}
    raise DataError(f"{where}: unknown state entry with keys {sorted(node)}")


# ---------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        with _suppress():
            dfd = os.open(path.parent, os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)


def save_checkpoint(
    path: str | Path,
    x: Any,
    state: Any,
    nit: int,
    *,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Write ``(x, state, nit, meta)`` to ``path`` atomically (``.npz`` or JSON by suffix)."""
    p = Path(path)
    xv = np.asarray(x, dtype=np.float64)
    head: dict[str, Any] = {
        "kind": _KIND,
        "version": FORMAT_VERSION,
        "nit": int(nit),
        "saved_at": time.time(),
        "meta": json.loads(json.dumps(dict(meta or {}), default=_jsonable)),
    }
    if p.suffix.lower() == ".npz":
        import io

        arrays: list[np.ndarray] = [np.ascontiguousarray(xv)]
        head["x"] = {"array": 0}
        head["state"] = _encode(state, arrays)
        payload = {f"a{i}": a for i, a in enumerate(arrays)}
        payload["header"] = np.array(json.dumps(head))
        buf = io.BytesIO()
        np.savez(buf, **payload)  # type: ignore[arg-type]
        _atomic_write(p, buf.getvalue())
    else:
        head["x"] = _encode(xv, None)
        head["state"] = _encode(state, None)
        _atomic_write(p, (json.dumps(head, indent=1) + "\n").encode())


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return repr(obj)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and validate a checkpoint written by :func:`save_checkpoint`."""
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise DataError(f"{where}: no such checkpoint; check the path given to --resume")
    arrays: dict[str, np.ndarray] | None = None
    try:
        if p.suffix.lower() == ".npz":
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            head = json.loads(str(arrays.pop("header")))
        else:
            head = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(
            f"{where}: not a readable checkpoint ({type(exc).__name__}); it may be truncated "
            "or not a descend checkpoint"
        ) from None
    if not isinstance(head, dict) or head.get("kind") != _KIND:
        raise DataError(f"{where}: not a descend checkpoint")
    version = head.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise DataError(
            f"{where}: checkpoint format version {version!r} is not supported (this descend "
            f"reads up to {FORMAT_VERSION}); upgrade descend"
        )
    nit = head.get("nit")
    if not isinstance(nit, int) or nit < 0:
        raise DataError(f"{where}: step count {nit!r} must be a non-negative integer")
    x = np.asarray(_decode(head.get("x"), arrays, where), dtype=np.float64)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise DataError(f"{where}: parameters must be a finite 1-D array")
    state = _decode(head.get("state"), arrays, where)
    meta = head.get("meta") or {}
    if not isinstance(meta, dict):
        raise DataError(f"{where}: meta must be an object")
    return Checkpoint(x=x, state=state, nit=nit, meta=meta, version=version)


class Checkpointer:
    """A ``minimize`` callback that saves every ``every`` steps and/or ``seconds`` seconds.

    >>> # minimize(f, x0, optimizer=adam(0.1), callback=Checkpointer("run.json", every=100))

    After a run (or in a ``KeyboardInterrupt`` handler) call :meth:`save_result` so the last
    step is saved too; ``saved`` counts the writes.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        every: int | None = None,
        seconds: float | None = None,
        meta: Mapping[str, Any] | None = None,
    ):
        if every is not None and (not isinstance(every, int) or every < 1):
            raise InputError(f"every={every!r} must be a positive number of steps")
        if seconds is not None and not (isinstance(seconds, (int, float)) and seconds > 0):
            raise InputError(f"seconds={seconds!r} must be a positive number of seconds")
        self.path = Path(path)
        self.every = every if (every is not None or seconds is not None) else 100
        self.seconds = seconds
        self.meta = dict(meta or {})
        self.saved = 0
        self._last = time.monotonic()

    def __call__(self, r: Any) -> None:
        due = self.every is not None and r.nit % self.every == 0
        if self.seconds is not None and time.monotonic() - self._last >= self.seconds:
            due = True
        if due and math.isfinite(float(r.fun)):
            self.save(r.x, r.state, r.nit)

    def save(self, x: Any, state: Any, nit: int) -> None:
        save_checkpoint(self.path, x, state, nit, meta=self.meta)
        self.saved += 1
        self._last = time.monotonic()

    def save_result(self, result: Any) -> None:
        """Save a finished (or interrupted) ``OptimizeResult``: its ``x``, state and step count."""
        start = int(result.info.get("start_iter", 0))
        self.save(result.x, result.info["state"], start + int(result.nit))
