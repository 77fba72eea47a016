"""What a command may read: regular files only, literal paths unless a glob is asked for.

A FIFO given as a data file would block the reader forever, and ``/dev/zero`` would be read
until memory runs out; both are refused before anything is opened for reading. Model and
checkpoint files are small by nature, so they are read only below a size cap.
"""

from __future__ import annotations

import glob as _glob
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from descend.errors import DataError

__all__ = [
    "GLOB_PREFIX",
    "PARQUET_SUFFIXES",
    "check_regular_file",
    "data_files",
    "data_fingerprint",
    "json_depth",
    "load_json_limited",
    "read_small_file",
]

#: ``glob:PATTERN`` asks for a glob explicitly (``glob:data/part[0-3].parquet``).
GLOB_PREFIX = "glob:"
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_WILDCARDS = ("*", "?")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(path: str | os.PathLike[str], what: str = "data") -> os.stat_result:
    """``os.stat`` of ``path`` once it is a regular file (symlinks followed); else DataError.

    Nothing is opened: ``stat`` does not block on a FIFO, and a device is refused before a
    read could run forever.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise DataError(f"{p}: no such file; check the path") from None
    except NotADirectoryError:
        raise DataError(f"{p}: no such file (a part of the path is not a folder)") from None
    except PermissionError:
        raise DataError(f"{p}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise DataError(f"{p}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{p}: is a folder; give a {what} file")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(
            f"{p}: is {_kind(st.st_mode)}, not a regular file; give a {what} file saved on disk"
        )
    return st


def read_small_file(path: str | os.PathLike[str], what: str, cap: int) -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes (a model or checkpoint file);
    a URL (``s3://b/model.json``, ``https://...``) is read through fsspec, under the same cap
    and the remote deadlines; ``file://`` is the local file."""
    from descend.io._output import local_path

    local = local_path(path)
    if local is None:
        return _read_small_url(os.fspath(path), what, cap)
    path = local
    st = check_regular_file(path, what)
    if st.st_size > cap:
        raise DataError(
            f"{path}: is {st.st_size:,} bytes; a {what} file is at most {cap:,} bytes, so this "
            f"is not one descend wrote"
        )
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:  # grew while we looked
        raise DataError(f"{path}: is larger than {cap:,} bytes; not a {what} file")
    return data


def _read_small_url(url: str, what: str, cap: int) -> bytes:
    from descend.io._remote import read_bytes, remote_size

    size = remote_size(url)
    if size > cap:
        raise DataError(f"{url}: is {size:,} bytes; a {what} file is at most {cap:,} bytes")
    data = read_bytes(url)
    if len(data) > cap:
        raise DataError(f"{url}: is larger than {cap:,} bytes; not a {what} file")
    return data


def check_same_columns(dataset: Any, names: tuple[str, ...]) -> None:
    """Refuse a Parquet folder, glob or prefix whose files do not share the first file's
    columns (pyarrow takes the schema of the first; a later file without a column would
    fail deep in a read), naming the two files and the column."""
    fragments = list(dataset.get_fragments())
    if len(fragments) < 2:
        return
    first = fragments[0].path
    want = set(names)
    for frag in fragments[1:]:
        have = set(frag.physical_schema.names)
        if have == want:
            continue
        missing = sorted(want - have)
        extra = sorted(have - want)
        what = (f"has no column {missing[0]!r}" if missing
                else f"has a column {extra[0]!r} that {first} has not")
        raise DataError(
            f"{frag.path}: {what} (the columns of {first} are {', '.join(names)}); the files "
            "of one data set must have the same columns: fix or leave out that file"
        )


def _has_wildcard(text: str) -> bool:
    return any(c in text for c in _WILDCARDS)


def data_files(
    spec: str | os.PathLike[str], storage_options: dict[str, Any] | None = None
) -> tuple[list[Any], str]:
    """The files behind a DATA argument and how it was read (``file``, ``folder``, ``glob``).

    The rule, documented in docs/input-and-output.md:

    - a path that exists is that file or folder, whatever characters its name holds
      (``a[1].csv`` is the file ``a[1].csv``, never ``a1.csv``);
    - ``glob:PATTERN`` is a glob (``*``, ``?``, ``[abc]``, ``**``); so is a path that does not
      exist and holds ``*`` or ``?``;
    - a folder stands for the Parquet files under it.

    Every file found must be a regular file; a pattern or folder that finds none is an error.
    A URL (``s3://b/k.parquet``, ``glob:s3://b/*.parquet``) follows the same rule through
    fsspec (:mod:`descend.io._remote`) and gives URL strings; ``storage_options`` go to its
    filesystem.
    """
    text = os.fspath(spec)
    from descend.io._remote import is_url, remote_files

    if is_url(text.removeprefix(GLOB_PREFIX)):
        return remote_files(text, storage_options)
    if text.startswith(GLOB_PREFIX):
        return _globbed(text[len(GLOB_PREFIX) :], text), "glob"
    if os.path.lexists(text):
        p = Path(text)
        if p.is_dir():
            files = sorted(
                q for q in p.rglob("*") if q.suffix.lower() in PARQUET_SUFFIXES and q.is_file()
            )
            if not files:
                raise DataError(f"{text}: folder holds no .parquet files")
            return files, "folder"
        check_regular_file(p)
        return [p], "file"
    if _has_wildcard(text):
        return _globbed(text, text), "glob"
    hint = (
        f"; to match files by a pattern, write {GLOB_PREFIX}{text}"
        if "[" in text
        else ""
    )
    raise DataError(f"{text}: no such file; check the path{hint}")


def _globbed(pattern: str, shown: str) -> list[Path]:
    if not pattern:
        raise DataError(f"{shown}: an empty glob; write e.g. {GLOB_PREFIX}data/*.parquet")
    found = sorted(Path(f) for f in _glob.glob(pattern, recursive=True))
    files = [f for f in found if not f.is_dir()]
    if not files:
        raise DataError(f"{shown}: no file matches this pattern; check the glob")
    for f in files:
        check_regular_file(f)
    return files


def data_fingerprint(
    files: list[Any], *, chunk: int = 1 << 20, storage_options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A content hash of the data a run reads (SHA-256 over every file, in order).

    A checkpoint stores it, so a resume on data edited in place -- even to the same size --
    is refused. Costs one read of the files (about 1 GB/s).
    """
    import hashlib  # OpenSSL's loader costs ~2 ms of every command's start-up

    from descend.io._remote import is_url, open_input

    h = hashlib.sha256()
    total = 0
    for f in files:
        h.update(f"{Path(f).name}\0".encode())
        with open_input(str(f), storage_options) if is_url(str(f)) else open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
                total += len(block)
    return {"sha256": h.hexdigest(), "bytes": total, "files": len(files)}


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in JSON ``text`` (strings ignored), without parsing it:
    Python's parser recurses once per level, so 100,000 levels would overflow its stack."""
    import numpy as np

    bare = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    if not bare:
        return 0
    b = np.frombuffer(bare, dtype=np.uint8)
    step = (
        (b == ord("[")).astype(np.int32) + (b == ord("{"))
        - (b == ord("]")) - (b == ord("}"))
    )
    return int(np.cumsum(step).max(initial=0))


def _bounded_int(digits: int) -> Any:
    # A 400-digit integer would overflow float64 (OverflowError) wherever it is used as a
    # number; read it as a float (inf), which every field check then refuses by name.
    def parse(text: str) -> int | float:
        return int(text) if len(text.lstrip("-")) <= digits else float(text)

    return parse


def load_json_limited(
    data: bytes,
    where: str,
    what: str,
    *,
    max_depth: int,
    allow_nan: bool = False,
    int_digits: int = 18,
) -> Any:
    """Parse JSON ``data`` for a ``what`` file: UTF-8, nested at most ``max_depth`` deep, no
    ``NaN``/``Infinity`` (not JSON) unless allowed, integers of more than ``int_digits``
    digits read as floats (a 128-bit random-generator state needs 39); every refusal a
    DataError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{where}: is not a descend {what} file (not UTF-8 text: byte {exc.start})"
        ) from None
    depth = json_depth(text)
    if depth > max_depth:
        raise DataError(
            f"{where}: JSON nested {depth} levels deep; a {what} file nests at most "
            f"{max_depth}; this is not one descend wrote"
        )

    def constant(name: str) -> Any:
        if allow_nan:
            return float(name)
        raise DataError(f"{where}: holds {name}, which is not JSON; a {what} file holds finite numbers")

    try:
        return json.loads(text, parse_int=_bounded_int(int_digits), parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{where}: is not a descend {what} file (invalid JSON at line {exc.lineno}, "
            f"column {exc.colno}); it may be truncated or another program's file"
        ) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise DataError(f"{where}: JSON nested too deeply") from None
