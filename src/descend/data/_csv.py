"""CSV as people really have it: header or not, ``,`` ``;`` or tab, BOM, CRLF, bad cells.

:func:`sniff_csv` decides the layout (encoding, separator, header, names) for every engine.
The fast path hands the whole file to polars with every column typed ``Float64`` (polars is
the fastest reader we measured, see ``benchmarks/bench_load.py``). Only when polars refuses
the file, or leaves a hole in it, does :func:`_scan` re-read it with the standard library to
find the *first* problem in file order and say where it is (line, column) and how to fix it.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from descend.data.table import MAX_COLUMNS, Frame, check_width, default_names
from descend.errors import DataError

__all__ = [
    "MAX_COLUMNS",
    "MISSING",
    "CsvLayout",
    "check_width",
    "explain_csv",
    "read_csv",
    "sniff_csv",
]

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?"})
_SNIFF_BYTES = 1 << 16
#: The longest first two lines the sniffer reads to their ends (a 100,000-column header, a
#: 2 MB cell); past it the file is refused by name, not judged from a cut line.
_LINE_CAP = 64 << 20
_SNIFF_LINES = 50
_SEPARATORS = ("\t", ";", ",")  # preference order when several split every line alike
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_C1 = re.compile(rb"[\x80-\x9f]")


def _encoding(head: bytes) -> str:
    """The text encoding, from a byte-order mark or by trial: UTF-16 (with its BOM), UTF-8
    (BOM or not), else Windows-1252 when the text holds its characters in 0x80-0x9f (``€``,
    ``–``, curly quotes: control codes in Latin-1, never in a CSV), else Latin-1 (every byte is
    a character; numbers are ASCII in all of them)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sniffed block's end
            if _C1.search(head):
                try:
                    head.decode("cp1252")
                    return "cp1252"
                except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: not Windows-1252
                    pass
            return "latin-1"
    return "utf-8-sig"


def _nul_message(path: Path, data: bytes, at: int) -> DataError:
    line = data.count(b"\n", 0, at) + 1
    col = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return DataError(
        f"{path}: line {line}, column {col} holds a NUL byte: this is binary data, not a text "
        "CSV file; give a CSV file, or a Parquet file with a .parquet name"
    )


def _head_text(path: Path, head: bytes, truncated: bool, encoding: str) -> str:
    if encoding != "utf-16":
        nul = head.find(b"\x00")
        if nul >= 0:
            raise _nul_message(path, head, nul)
    if truncated:  # the sniffed block may end inside a multi-byte character or a line
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut >= 0 else head
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: is not {encoding} text (undecodable byte at offset {exc.start}); "
            "save the file as UTF-8 CSV, or give a Parquet file"
        ) from None


def _sniff_separator(lines: list[str]) -> str:
    """The first of tab, semicolon, comma that splits every sampled line into the same >1 fields."""
    best, best_fields = ",", 1
    for sep in _SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:  # a field past csv's limit (128 KB): not split by this separator
            continue
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts):
            return sep
        median = sorted(counts)[len(counts) // 2] if counts else 1
        if median > best_fields:
            best, best_fields = sep, median
    return best


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV file is laid out, as every engine reads it (:func:`sniff_csv`)."""

    path: Path
    sep: str
    header: bool
    names: tuple[str, ...]
    encoding: str  # "utf-8-sig", "utf-16", "cp1252" or "latin-1"

    @property
    def ncols(self) -> int:
        return len(self.names)


def sniff_csv(path: str | Path | Any) -> CsvLayout | None:
    """The layout of the CSV file ``path`` from its first 64 KB, or ``None`` for a Parquet
    file (its magic number ``PAR1``). The in-memory, stream and Dask engines all read CSV
    through this, so one file gets one header, one separator and one set of names."""
    from descend.data.urls import RemoteFile, is_remote
    from descend.io import check_regular_file

    if is_remote(path):  # a URL: a RemoteFile opens and reads like a Path
        path = cast(Path, path if isinstance(path, RemoteFile) else RemoteFile(str(path)))
    else:
        path = Path(path)
        check_regular_file(path)
    from descend.io._compressed import open_plain

    try:  # a .csv.gz (zst, bz2, zip) is sniffed decompressed; an Excel file refused by name
        with path.open("rb") if isinstance(path, RemoteFile) else open_plain(path) as fh:
            head, truncated = _whole_lines(path, fh, fh.read(_SNIFF_BYTES + 1))
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; give a CSV or Parquet file") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    if head.startswith(b"PAR1"):  # Parquet's magic number: not a guess
        return None
    encoding = _encoding(head)
    if encoding != "cp1252":
        return _layout(path, head, truncated, encoding)
    note = ("is not UTF-8; read as Windows-1252 (its bytes 0x80-0x9f are that encoding's letters "
            "and signs); save it as UTF-8 CSV to be sure of the names")
    try:
        layout = _layout(path, head, truncated, encoding)
    except DataError as exc:  # one line: the refusal, with how the text was read
        raise DataError(f"{exc} (the file {note})") from None
    import warnings

    from descend.errors import ReadNoteWarning

    warnings.warn(f"{path}: {note}", ReadNoteWarning, stacklevel=2)
    return layout


def _layout(path: Any, head: bytes, truncated: bool, encoding: str) -> CsvLayout:
    """The header, separator and names of a CSV file from its first lines, as text."""
    text = _head_text(path, head, truncated, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    # a CSV line ends at \n, \r\n or \r only (str.splitlines would also break at \x1c-\x1e,
    # \x85, \u2028 ..., which every CSV reader keeps inside a cell)
    lines = [ln for ln in _LINE_END.split(text) if ln.strip()][:_SNIFF_LINES]
    if not lines:
        raise DataError(f"{path}: the file is empty; it needs rows of numbers, e.g. '1200,200000'")
    sep = _sniff_separator(lines)
    try:
        first = next(csv.reader(lines[:1], delimiter=sep))
    except csv.Error:
        raise DataError(
            f"{path}: line 1 holds a cell of more than {csv.field_size_limit():,} characters; "
            "a CSV of numbers has short cells: check the file and its separator"
        ) from None
    check_width(len(first), str(path))
    header = any(not _is_number(c.strip()) and c.strip().lower() not in MISSING for c in first)
    ncols = len(first)
    if header:
        names = tuple(c.strip() for c in first)
        for j, name in enumerate(names, start=1):
            if not name:
                raise DataError(f"{path}: column {j} of the header has no name; name every column")
        seen: dict[str, int] = {}
        for j, name in enumerate(names, start=1):
            if name in seen:
                raise DataError(
                    f"{path}: column name {name!r} appears twice in the header (columns "
                    f"{seen[name]} and {j}); rename one of them"
                )
            seen[name] = j
        if len(lines) == 1:
            raise DataError(
                f"{path}: has a header ({', '.join(names)}) but no data rows; add rows of numbers"
            )
    else:
        names = default_names(ncols)
    return CsvLayout(path, sep, header, names, encoding)


_LINE_END = re.compile(r"\r\n|\r|\n")


def _whole_lines(path: Any, fh: Any, head: bytes) -> tuple[bytes, bool]:
    """``(head, truncated)``: the sniffed block, read on until it holds two whole lines (the
    header and a row) or the file ends, within :data:`_LINE_CAP`."""
    size = _SNIFF_BYTES
    while len(head) > size and max(head.count(b"\n"), head.count(b"\r")) < 2:
        if size >= _LINE_CAP:
            raise DataError(
                f"{path}: no line ends in its first {_LINE_CAP:,} bytes; a CSV of numbers has "
                "short lines: check the file (a one-line JSON or XML? a file of another kind?)"
            )
        size = min(size * 4, _LINE_CAP)
        head += fh.read(size + 1 - len(head))
    return head[:size], len(head) > size

#: CSV files up to this size are read by the exact pure-Python pass instead of polars.
SMALL_CSV_BYTES = 256 * 1024


def read_csv(path: str | Path, columns: set[int] | None = None) -> Frame:
    """Read a numeric CSV file into a :class:`Frame`; every problem is a :class:`DataError`.

    ``columns``: the indices a fit will use. A bad cell elsewhere is then ignored, and the
    first bad cell among them raises at once, in file order -- as the stream engine, which
    reads only those columns, meets it. Without ``columns`` each column's first bad cell is
    recorded (:attr:`Frame.problems`) and raised only if the column is chosen later.
    """
    from descend.io._compressed import plain_copy, renamed
    from descend.io._remote import is_remote

    copy = None if is_remote(path) else plain_copy(path)
    if copy is not None:  # data.csv.gz: read a decompressed copy, messages name data.csv.gz
        got = renamed(copy, path, lambda: read_csv(copy, columns))
        import dataclasses

        return dataclasses.replace(got, source=str(path))
    layout = sniff_csv(path)
    if layout is None:
        from descend.data._parquet import read_parquet

        return read_parquet(path)
    if layout.path.stat().st_size <= SMALL_CSV_BYTES:
        # Python's csv module reads a small file before polars would finish importing
        # (~0.13 s): `descend fit houses.csv` starts fast. float() rounds correctly, as
        # polars does, so the values are the same bits either way.
        return _scan(layout, columns)
    frame = _read_polars(layout)
    return frame if frame is not None else _scan(layout, columns)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


def _read_polars(layout: CsvLayout) -> Frame | None:
    """The fast path; ``None`` when the file needs :func:`_scan` to explain itself."""
    import io

    import polars as pl

    path, header, names = layout.path, layout.header, layout.names
    schema = {f"c{j}": pl.Float64 for j in range(layout.ncols)}
    try:
        from descend.data.urls import is_remote

        source: Any = path
        if is_remote(path) or layout.encoding != "utf-8-sig" or not _ends_with_newline(path):
            # transcoded to UTF-8 in memory; and polars forgives a ragged last line that has
            # no newline, which the other engines refuse: give it one (a URL: fetched once)
            raw = path.read_bytes()
            if layout.encoding != "utf-8-sig":
                raw = raw.decode(layout.encoding).encode("utf-8")
            source = io.BytesIO(raw if raw.endswith(b"\n") else raw + b"\n")
        df = pl.read_csv(
            source,
            separator=layout.sep,
            has_header=False,
            skip_rows=1 if header else 0,
            schema=schema,
            null_values=[""],
            encoding="utf8",
            glob=False,  # 'a[1].csv' is a file name, not a pattern
        )
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if df.null_count().sum_horizontal().item() > 0:
        return None  # a hole (empty cell, short row or blank line): let the scan place it
    data = df.to_numpy(order="fortran").astype(np.float64, copy=False)  # columns stay contiguous
    return Frame(data, names, str(path), header=header, first_line=2 if header else 1)


def _scan_rows(
    layout: CsvLayout,
    *,
    only: set[int] | None = None,
    problems: dict[int, tuple[int, str]] | None = None,
) -> Iterator[tuple[int, list[float]]]:
    """``(line, values)`` of each data row in file order; raise at the first bad line.

    ``only``: the column indices to check (the others are read as NaN, unchecked).
    ``problems``: when given, a bad cell does not raise; its column's first problem is
    recorded there as ``{column: (line, message)}`` and the cell read as NaN, so a column the
    fit leaves out with ``--features`` cannot stop it. A row of the wrong length always raises.
    """
    path, sep, header, names = layout.path, layout.sep, layout.header, layout.names
    ncols = len(names)
    sep_name = _SEP_NAMES.get(sep, repr(sep))
    with path.open("r", encoding=layout.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        try:
            if header:
                next(reader, None)
            for fields in reader:
                line = reader.line_num
                if not fields or all(not f.strip() for f in fields) and len(fields) == 1:
                    continue  # a blank line separates nothing; skipping it changes no value
                if len(fields) != ncols:
                    raise DataError(
                        f"{path}: line {line} has {len(fields)} fields but the "
                        f"{'header' if header else 'first line'} has {ncols} ({sep_name}-separated); "
                        "every row needs the same number of columns"
                    )
                values: list[float] = []
                for j, cell in enumerate(fields):
                    if only is not None and j not in only:
                        values.append(math.nan)
                        continue
                    v, problem = _cell(path, cell, line, j, names)
                    if problem is not None:
                        if problems is None:
                            raise DataError(problem)
                        problems.setdefault(j, (line, problem))
                        v = math.nan
                    values.append(v)
                yield line, values
        except csv.Error as exc:  # a NUL byte, an unterminated quote at the end...
            if "field larger" in str(exc):  # met inside the line just read, not after it
                raise DataError(
                    f"{path}: line {reader.line_num} holds a cell of more than "
                    f"{csv.field_size_limit():,} characters; a CSV of numbers has short cells: "
                    "check that line"
                ) from None
            raise DataError(
                f"{path}: line {reader.line_num + 1} cannot be read as CSV ({exc}); fix that line"
            ) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: is not {layout.encoding} text past its start (undecodable byte at "
                f"offset {exc.start} of a block); save the file as UTF-8 CSV"
            ) from None


def _cell(
    path: Path, cell: str, line: int, j: int, names: tuple[str, ...]
) -> tuple[float, str | None]:
    """A cell's value, or the sentence that says why it has none."""
    s = cell.strip()
    where = f"line {line}, column {names[j]!r} ({j + 1})"
    if s.lower() in MISSING:
        return math.nan, f"{path}: missing value at {where}; fill it in or delete the row"
    if "\x00" in s:
        return math.nan, (
            f"{path}: line {line}, column {names[j]!r} ({j + 1}) holds a NUL byte: this is "
            "binary data, not a text CSV file"
        )
    try:
        v = float(s)
    except ValueError:
        if _DECIMAL_COMMA.match(s):
            hint = "; it looks like a decimal comma: write decimal points (1.5, not 1,5)"
        elif s.lower() in ("true", "false"):
            hint = (  # every engine refuses it here; a formula reads it as a category
                f"; true/false is not a number: write the column as 1/0, or fit it as a "
                f"category with --formula 'TARGET ~ ... + {names[j]}'"
            )
        else:
            hint = "; every cell must be a number (or leave the column out with --features)"
        return math.nan, f"{path}: non-numeric value {s[:40]!r} at {where}{hint}"
    if math.isinf(v):
        return v, f"{path}: infinite value at {where}; replace it with a finite number"
    return v, None


def explain_csv(layout: CsvLayout, columns: set[int] | None = None) -> None:
    """Scan the whole file for its first problem in ``columns`` (default: all) and raise it
    in the in-memory reader's words; return quietly when the scan finds none."""
    for _ in _scan_rows(layout, only=columns):
        pass


def _scan(layout: CsvLayout, columns: set[int] | None = None) -> Frame:
    """Slow, exact pass: raise at the first bad line, or return the values if all are fine."""
    rows: list[list[float]] = []
    lines: list[int] = []
    problems: dict[int, tuple[int, str]] = {}
    scan = (
        _scan_rows(layout, problems=problems)
        if columns is None
        else _scan_rows(layout, only=columns)
    )
    for line, values in scan:
        rows.append(values)
        lines.append(line)
    data = np.array(rows, dtype=np.float64).reshape(len(rows), layout.ncols)
    return Frame(
        data,
        layout.names,
        str(layout.path),
        header=layout.header,
        first_line=2 if layout.header else 1,
        lines=np.asarray(lines, dtype=np.int64),
        problems=tuple((j, line, msg) for j, (line, msg) in sorted(problems.items())),
    )
