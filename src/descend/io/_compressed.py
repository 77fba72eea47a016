"""Compressed and foreign data files: ``data.csv.gz`` loads; an Excel file is named as one.

The codec is told by the file's first bytes (its magic number), not by its name, so a
``data.csv`` that is really gzip is read too:

=========  ===================  =============================================
codec      magic                read with
=========  ===================  =============================================
gzip       ``1f 8b``            :mod:`gzip` (streamed)
bzip2      ``BZh``              :mod:`bz2` (streamed)
zstd       ``28 b5 2f fd``      ``pyarrow.input_stream(compression="zstd")``
zip        ``PK 03 04``         :mod:`zipfile`: the one data file inside
=========  ===================  =============================================

:func:`open_plain` is the file's decompressed bytes as a stream (the CSV sniffer reads its
head through it); :func:`plain_copy` decompresses once into a private temporary folder
(removed when the process ends) for readers that need a real file, and
:func:`renamed` puts the user's file name back into any message about the copy.
An Excel workbook (``.xlsx``: a zip holding ``xl/``; ``.xls``: an OLE2 file) is refused by
name with the fix.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from descend.errors import DataError

__all__ = ["codec_of", "open_plain", "plain_copy", "renamed"]

T = TypeVar("T")

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
)
_SUFFIXES = {"gzip": (".gz", ".gzip"), "bzip2": (".bz2",), "zstd": (".zst", ".zstd"),
             "zip": (".zip",)}
_EXCEL_FIX = (
    "descend reads CSV and Parquet: save the sheet as CSV (Excel: File > Save As > CSV UTF-8; "
    "or pandas.read_excel(PATH).to_csv('data.csv', index=False)) and give that file"
)
_COPIES: dict[tuple[str, int, int], Path] = {}
_DIR: list[str] = []


def codec_of(path: str | os.PathLike[str]) -> str | None:
    """``"gzip"``, ``"bzip2"``, ``"zstd"``, ``"zip"`` or ``None`` (plain) from the magic
    number; an Excel workbook is a :class:`DataError` saying so."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO would block open(); the reader refuses it by name
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None  # the reader will say why
    for magic, codec in _MAGIC:
        if head.startswith(magic):
            if codec == "ole2":
                raise DataError(f"{path}: is an Excel 97-2003 workbook (.xls), not a CSV; "
                                + _EXCEL_FIX.replace("PATH", repr(str(path))))
            if codec == "zip":
                if not _is_zip(Path(path)):
                    return None  # PK and garbage: not an archive; the reader says "binary"
                _zip_member(Path(path))  # refuses a workbook, or an archive of many files
            return codec
    return None


def _is_zip(path: Path) -> bool:
    import zipfile

    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _zip_member(path: Path) -> str:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{path}: a damaged zip archive ({exc}); check the file") from None
    if any(n.startswith("xl/") for n in names):
        raise DataError(f"{path}: is an Excel workbook (.xlsx), not a CSV; "
                        + _EXCEL_FIX.replace("PATH", repr(str(path))))
    data = [n for n in names if not n.startswith("__MACOSX/")]
    if len(data) != 1:
        raise DataError(
            f"{path}: a zip archive holding {len(data)} files; descend reads a zip of one CSV "
            "file: unzip it and give the file to fit"
        )
    return data[0]


@contextmanager
def open_plain(path: str | os.PathLike[str]) -> Iterator[Any]:
    """The file's bytes, decompressed when it is compressed (a binary file object)."""
    codec = codec_of(path)
    if codec is None:
        with open(path, "rb") as fh:
            yield fh
        return
    fh = _open_codec(Path(path), codec)
    try:
        yield _Checked(fh, Path(path), codec)
    finally:
        fh.close()


class _Checked:
    """A decompressing file whose reads name a damaged or truncated file in a DataError."""

    def __init__(self, fh: Any, path: Path, codec: str):
        self._fh, self._path, self._codec = fh, path, codec

    def read(self, size: int = -1) -> bytes:
        with _codec_errors(self._path, self._codec):
            return bytes(self._fh.read(size))

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(self._fh.closed)

    def close(self) -> None:
        self._fh.close()


def _open_codec(path: Path, codec: str) -> Any:
    if codec == "gzip":
        import gzip

        return gzip.open(path, "rb")
    if codec == "bzip2":
        import bz2

        return bz2.open(path, "rb")
    if codec == "zstd":
        import pyarrow as pa

        return pa.input_stream(str(path), compression="zstd")
    import zipfile

    zf = zipfile.ZipFile(path)
    return zf.open(_zip_member(path))


def _plain_name(path: Path, codec: str) -> str:
    name = path.name
    for suffix in _SUFFIXES[codec]:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "data.csv"
    return name if codec != "zip" else _zip_member(path).rsplit("/", 1)[-1]


def plain_copy(path: str | os.PathLike[str]) -> Path | None:
    """A decompressed copy of ``path`` in a private temporary folder (made once per file and
    process, removed at exit), or ``None`` when ``path`` is not compressed."""
    p = Path(path)
    codec = codec_of(p)
    if codec is None:
        return None
    st = os.stat(p)
    key = (os.path.realpath(p), st.st_mtime_ns, st.st_size)
    if key in _COPIES and _COPIES[key].exists():
        return _COPIES[key]
    folder = private_folder()
    target = folder / _plain_name(p, codec)
    try:
        with _codec_errors(p, codec), _open_raw(p, codec) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _COPIES[key] = target
    return target


def private_folder() -> Path:
    """A new folder inside this process's private temporary folder (made on first use, mode
    0700, removed with everything in it when the process ends)."""
    if not _DIR:
        _DIR.append(tempfile.mkdtemp(prefix="descend-plain-"))
        atexit.register(shutil.rmtree, _DIR[0], True)
    return Path(tempfile.mkdtemp(dir=_DIR[0]))


@contextmanager
def _open_raw(path: Path, codec: str) -> Iterator[Any]:
    fh = _open_codec(path, codec)
    try:
        yield fh
    finally:
        fh.close()


@contextmanager
def _codec_errors(path: Path, codec: str) -> Iterator[None]:
    try:
        yield
    except (EOFError, OSError, ValueError, zlib_error()) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise DataError(f"{path}: cannot be decompressed ({exc.strerror})") from None
        raise DataError(
            f"{path}: a damaged or truncated {codec} file ({str(exc)[:120] or type(exc).__name__})"
            "; check the file"
        ) from None


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def renamed(copy: Path, original: str | os.PathLike[str], read: Callable[[], T]) -> T:
    """``read()``, with the copy's path in any :class:`DataError` replaced by the user's."""
    try:
        return read()
    except DataError as exc:
        raise DataError(str(exc).replace(str(copy), f"{original} (decompressed)")) from None
