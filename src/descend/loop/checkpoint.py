"""Checkpoints: parameters, optimizer state and step count, saved atomically, no pickle.

Optimizer states are immutable NamedTuples of arrays and counters (see
:mod:`descend.optim.base`), so a run is fully described by ``(x, state, nit)``: the schedule's
position is the step count. A checkpoint stores exactly that, plus a free JSON ``meta`` dict
(optimizer name, learning rate, feature names, ...), in one of two formats:

- ``.json`` (default): human-readable; every float written with Python's shortest exact
  ``repr``, so reading it back gives the same bits (``nan``/``inf`` as ``NaN``/``Infinity``).
- ``.npz``: arrays stored natively, the structure as a JSON string; loaded with
  ``allow_pickle=False``.

NamedTuple classes are stored by their stable registered names (``"descent"``, ``"adam"``,
...; :mod:`descend.loop.states`) and only registered classes are rebuilt -- a checkpoint can
name data, never code, and moving a class does not invalidate saved runs. Files of format
version 1 (which named classes ``module:qualname``) still load.

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

import json
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import DataError, InputError
from descend.loop.states import state_class, state_name

Array = NDArray[np.float64]

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "Checkpointer",
    "check_state_shapes",
    "load_checkpoint",
    "save_checkpoint",
]

#: 2: state classes by registered name (1: by ``module:qualname``, still read).
FORMAT_VERSION = 2
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
        if not isinstance(dt, str) or dt not in _ALLOWED_DTYPES:
            raise InputError(f"cannot checkpoint a {dt} scalar; use float64, int64 or bool")
        return {"scalar": obj.item(), "dtype": dt}
    if isinstance(obj, np.ndarray):
        dt = obj.dtype.name
        if not isinstance(dt, str) or dt not in _ALLOWED_DTYPES:
            raise InputError(f"cannot checkpoint a {dt} array; use float64, int64 or bool")
        if arrays is not None:
            arrays.append(np.ascontiguousarray(obj))
            return {"array": len(arrays) - 1}
        return {"array": obj.ravel().tolist(), "dtype": dt, "shape": list(obj.shape)}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {
            "namedtuple": state_name(type(obj)),
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


_MAX_ARRAY = 1 << 26  # elements in one array of a checkpoint (512 MB of float64)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _decode(node: Any, arrays: Mapping[str, np.ndarray] | None, where: str, at: str = "state") -> Any:
    """The state tree from its JSON form; every malformed entry is a DataError naming ``at``,
    the field's place in the file (``state.opt[0].mu``)."""

    def bad(what: str) -> DataError:
        return DataError(f"{where}: field {at!r} {what}; the checkpoint is damaged or not descend's")

    if node is None or isinstance(node, (bool, str, int)):
        return node
    if not isinstance(node, dict) or len(node) == 0:
        raise bad(f"is a {type(node).__name__} ({node!r:.40}), not a state entry")
    if "float" in node:
        v = node["float"]
        if not _is_num(v):
            raise bad(f"must be a number, not {v!r:.40}")
        return float(v)
    if "scalar" in node:
        dt, v = node.get("dtype"), node.get("scalar")
        if not isinstance(dt, str) or dt not in _ALLOWED_DTYPES:
            raise bad(f"has unsupported dtype {dt!r:.40}")
        if not (_is_num(v) or isinstance(v, bool)):
            raise bad(f"must be a number, not {v!r:.40}")
        try:
            return np.dtype(dt).type(v)
        except (OverflowError, ValueError, TypeError):
            raise bad(f"value {v!r:.40} does not fit a {dt}") from None
    if "array" in node:
        ref = node["array"]
        if isinstance(ref, int) and not isinstance(ref, bool):
            if arrays is None or f"a{ref}" not in arrays:
                raise bad(f"names array #{ref}, which is missing from the file")
            arr = np.array(arrays[f"a{ref}"])
            if arr.dtype.name not in _ALLOWED_DTYPES:
                raise bad(f"is an array of {arr.dtype.name}, not numbers")
            return arr
        dt, shape = node.get("dtype"), node.get("shape")
        if not isinstance(dt, str) or dt not in _ALLOWED_DTYPES:
            raise bad(f"has unsupported dtype {dt!r:.40}")
        if not isinstance(ref, list) or not all(_is_num(v) or isinstance(v, bool) for v in ref):
            raise bad("must hold a flat list of numbers")
        if (
            not isinstance(shape, list)
            or len(shape) > 8
            or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k for k in shape)
        ):
            raise bad(f"has a malformed shape {shape!r:.40}")
        if len(ref) > _MAX_ARRAY or math.prod(shape) != len(ref):
            raise bad(f"holds {len(ref)} numbers, not the {math.prod(shape)} of its shape {shape}")
        try:
            return np.array(ref, dtype=dt).reshape(shape)
        except (ValueError, TypeError, OverflowError):
            raise bad(f"does not hold {dt} values") from None
    if "namedtuple" in node:
        if not isinstance(node["namedtuple"], str):
            raise bad("must name its class as a string")
        cls = state_class(node["namedtuple"], where)
        fields = node.get("fields")
        if not isinstance(fields, dict) or set(fields) != set(cls._fields):  # type: ignore[attr-defined]
            raise DataError(f"{where}: fields of {cls.__name__} do not match this descend version")
        return cls(**{k: _decode(v, arrays, where, f"{at}.{k}") for k, v in fields.items()})
    for key, kind in (("tuple", tuple), ("list", list)):
        if key in node:
            items = node[key]
            if not isinstance(items, list):
                raise bad(f"must hold a list, not a {type(items).__name__}")
            return kind(_decode(v, arrays, where, f"{at}[{i}]") for i, v in enumerate(items))
    if "dict" in node:
        items = node["dict"]
        if not isinstance(items, dict):
            raise bad(f"must hold an object, not a {type(items).__name__}")
        return {str(k): _decode(v, arrays, where, f"{at}.{k}") for k, v in items.items()}
    raise bad(f"is an unknown state entry with keys {sorted(map(str, node))[:5]}")


def _check_rngs(state: Any, where: str, at: str = "state") -> None:
    """A saved random-generator state (``rng`` of a run's state) must be one NumPy accepts."""
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        for name in state._fields:
            value = getattr(state, name)
            if name == "rng" and value is not None:
                try:
                    bit = getattr(np.random, str(value.get("bit_generator")))
                    bit().state = value
                except Exception:
                    raise DataError(
                        f"{where}: field '{at}.rng' is not a valid random-generator state; the "
                        "checkpoint is damaged or not descend's"
                    ) from None
            else:
                _check_rngs(value, where, f"{at}.{name}")
    elif isinstance(state, (tuple, list)):
        for i, v in enumerate(state):
            _check_rngs(v, where, f"{at}[{i}]")


#: Fields of descend's run states that hold step counters, a loss, and the stopping rules'
#: window of losses (see ``descend.models._descent.DescentState``,
#: ``descend.loop.stopping.WatchState`` and the optimizer states of ``descend.optim``).
_COUNTERS = frozenset({"count"})
_LOSSES = frozenset({"f0"})
_WINDOWS = frozenset({"window"})


def _loss(value: Any) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)) and math.isfinite(value))


def check_state_shapes(ck: Checkpoint, where: str) -> None:
    """For a fit's run state (every optimizer of descend): each array of the saved state is a
    scalar or holds one entry per parameter, counters are non-negative integers, the saved
    loss is finite and the rules' window a non-empty sequence of finite losses."""
    _check_shapes(ck.state, int(ck.x.size), where)


def _check_shapes(state: Any, size: int, where: str, at: str = "state") -> None:
    if isinstance(state, np.ndarray):
        if state.ndim > 1 or (state.ndim == 1 and state.size != size):
            raise DataError(
                f"{where}: field {at!r} has shape {state.shape}, but the checkpoint holds "
                f"{size} parameters; the checkpoint is damaged"
            )
    elif isinstance(state, tuple) and hasattr(state, "_fields"):
        for name in state._fields:
            value = getattr(state, name)
            field = f"{at}.{name}"
            if name in _COUNTERS and not (
                isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0
            ):
                raise DataError(f"{where}: field {field!r} must be a non-negative integer")
            if name in _LOSSES and not (isinstance(value, (float, np.floating)) and _loss(value)):
                raise DataError(f"{where}: field {field!r} must be a finite loss")
            if name in _WINDOWS and not (
                isinstance(value, (tuple, list)) and len(value) > 0 and all(map(_loss, value))
            ):
                raise DataError(
                    f"{where}: field {field!r} must be a non-empty list of finite losses")
            if name != "rng":
                _check_shapes(value, size, where, field)
    elif isinstance(state, (tuple, list)):
        for i, v in enumerate(state):
            _check_shapes(v, size, where, f"{at}[{i}]")


# ---------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    """Through the one writer of every output (:func:`descend.io.atomic_output`): a temporary
    file in the same folder, fsync-ed, renamed over ``path``; removed on any error or signal."""
    from descend.io import atomic_output

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:  # the writer also syncs the folder: a durable rename
        tmp.write_bytes(data)


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


def zipfile_error() -> type[Exception]:
    import zipfile

    return zipfile.BadZipFile


#: Caps on what a checkpoint may be: a run's parameters and optimizer state are small.
MAX_BYTES = 256 << 20
MAX_DEPTH = 32


def _check_meta(meta: Any, where: str) -> dict[str, Any]:
    """The ``meta`` object's known fields, each of the type a fit writes (named if not)."""
    if not isinstance(meta, dict):
        raise DataError(f"{where}: field 'meta' must be an object")

    def bad(field: str, what: str) -> DataError:
        return DataError(f"{where}: field 'meta.{field}' must be {what}")

    data = meta.get("data")
    if data is not None:
        if not isinstance(data, dict):
            raise bad("data", "an object (path, bytes, sha256)")
        if data.get("path") is not None and not isinstance(data.get("path"), str):
            raise bad("data.path", "a path (a string)")
        b = data.get("bytes")
        if b is not None and not (isinstance(b, int) and not isinstance(b, bool) and b >= 0):
            raise bad("data.bytes", "a non-negative integer")
        h = data.get("sha256")
        if h is not None and not (
            isinstance(h, str) and len(h) == 64 and all(c in "0123456789abcdef" for c in h)
        ):
            raise bad("data.sha256", "64 hexadecimal digits")
    model = meta.get("model")
    if model is not None and not (
        isinstance(model, dict)
        and all(v is None or isinstance(v, (str, int, float, bool)) for v in model.values())
    ):
        raise bad("model", "an object of settings (numbers, strings, true/false)")
    if "target" in meta and not isinstance(meta["target"], str):
        raise bad("target", "a column name (a string)")
    if "features" in meta and not (
        isinstance(meta["features"], list) and all(isinstance(f, str) for f in meta["features"])
    ):
        raise bad("features", "a list of column names")
    return meta


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    The file must be a regular file of at most :data:`MAX_BYTES` bytes, its JSON nested at
    most :data:`MAX_DEPTH` deep; every field is checked for its type and size before use
    (the state tree, its arrays' shapes against the parameters, a saved random-generator
    state), and a refusal is one :class:`~descend.errors.DataError` naming the field.
    """
    from descend.io import check_regular_file, load_json_limited, local_path, read_small_file

    local = local_path(path)
    if local is None:  # s3://b/c.json: a Path would read it as the local "s3:/b/c.json"
        raise DataError(
            f"{path}: a checkpoint is a local file (descend writes it with --checkpoint); "
            "copy it to this machine and give its path"
        )
    p = Path(local)
    where = str(p)
    try:
        st = check_regular_file(p, "checkpoint")
    except DataError as exc:
        if not p.exists():
            raise DataError(f"{where}: no such checkpoint; check the path given to --resume") from None
        raise exc from None
    if st.st_size > MAX_BYTES:
        raise DataError(
            f"{where}: is {st.st_size:,} bytes; a checkpoint is at most {MAX_BYTES:,} bytes"
        )
    arrays: dict[str, np.ndarray] | None = None
    try:
        if p.suffix.lower() == ".npz":
            import zipfile

            with zipfile.ZipFile(p) as zf:  # uncompressed sizes: a small zip can hold gigabytes
                unpacked = sum(info.file_size for info in zf.infolist())
            if unpacked > MAX_BYTES:
                raise DataError(
                    f"{where}: unpacks to {unpacked:,} bytes; a checkpoint is at most "
                    f"{MAX_BYTES:,} bytes"
                )
            with np.load(p, allow_pickle=False) as z:
                if "header" not in z.files:
                    raise DataError(f"{where}: not a descend checkpoint (no header)")
                arrays = {k: z[k] for k in z.files}
            header = arrays.pop("header")
            if header.dtype.kind != "U" or header.ndim != 0:
                raise DataError(f"{where}: field 'header' must be a JSON string")
            raw = str(header).encode("utf-8")
        else:
            raw = read_small_file(p, "checkpoint", MAX_BYTES)
    except DataError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile_error()) as exc:
        raise DataError(
            f"{where}: not a readable checkpoint ({type(exc).__name__}); it may be truncated "
            "or not a descend checkpoint"
        ) from None
    head = load_json_limited(
        raw, where, "checkpoint", max_depth=MAX_DEPTH, allow_nan=True, int_digits=40
    )
    if not isinstance(head, dict) or head.get("kind") != _KIND:
        raise DataError(f"{where}: not a descend checkpoint")
    version = head.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION or version < 1:
        raise DataError(
            f"{where}: checkpoint format version {version!r:.20} is not supported (this descend "
            f"reads up to {FORMAT_VERSION}); upgrade descend"
        )
    nit = head.get("nit")
    if not isinstance(nit, int) or isinstance(nit, bool) or not 0 <= nit < 2**62:
        raise DataError(f"{where}: field 'nit' (the step count) must be a non-negative integer")
    x = np.asarray(_decode(head.get("x"), arrays, where, "x"))
    if x.dtype.kind not in "fiu" or x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise DataError(f"{where}: field 'x' (the parameters) must be a finite 1-D array")
    x = x.astype(np.float64)
    state = _decode(head.get("state"), arrays, where, "state")
    _check_rngs(state, where)
    meta = _check_meta(head.get("meta") or {}, where)
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
        self.failed = 0
        self._last = time.monotonic()

    def __call__(self, r: Any) -> None:
        due = self.every is not None and r.nit % self.every == 0
        if self.seconds is not None and time.monotonic() - self._last >= self.seconds:
            due = True
        if due and math.isfinite(float(r.fun)):
            try:
                self.save(r.x, r.state, r.nit)
            except (InputError, OSError) as exc:  # a full disk: the fit goes on, unsaved
                self.failed += 1
                self._last = time.monotonic()
                warnings.warn(
                    f"checkpoint at step {r.nit} not saved ({exc}); the fit goes on",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def save(self, x: Any, state: Any, nit: int) -> None:
        save_checkpoint(self.path, x, state, nit, meta=self.meta)
        self.saved += 1
        self._last = time.monotonic()

    def save_result(self, result: Any) -> None:
        """Save a finished (or interrupted) ``OptimizeResult``: its ``x``, state and step count."""
        start = int(result.info.get("start_iter", 0))
        self.save(result.x, result.info["state"], start + int(result.nit))
