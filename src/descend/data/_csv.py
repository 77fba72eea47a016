"""CSV as people really have it: header or not, ``,`` ``;`` or tab, BOM, CRLF, bad cells.

The fast path hands the whole file to polars with every column typed ``Float64`` (polars is
the fastest reader we measured, see ``benchmarks/bench_load.py``). Only when polars refuses
the file, or leaves a hole in it, does :func:`_scan` re-read it with the standard library to
find the *first* problem in file order and say where it is (line, column) and how to fix it.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from descend.data.table import Frame
from descend.errors import DataError

__all__ = ["read_csv", "MISSING"]

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?"})
_SNIFF_BYTES = 1 << 16
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


def _head_text(path: Path, head: bytes, truncated: bool) -> str:
    nul = head.find(b"\x00")
    if nul >= 0:
        raise DataError(
            f"{path}: is not a text CSV file (it contains binary data, a NUL byte at offset "
            f"{nul}); give a CSV file, or a Parquet file with a .parquet name"
        )
    if truncated:  # the sniffed block may end inside a multi-byte character or a line
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut >= 0 else head
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: is not UTF-8 text (undecodable byte at offset {exc.start}); "
            "save the file as UTF-8 CSV, or give a Parquet file"
        ) from None


def _sniff_separator(lines: list[str]) -> str:
    """The first of tab, semicolon, comma that splits every sampled line into the same >1 fields."""
    best, best_fields = ",", 1
    for sep in _SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts):
            return sep
        median = sorted(counts)[len(counts) // 2] if counts else 1
        if median > best_fields:
            best, best_fields = sep, median
    return best


def read_csv(path: str | Path) -> Frame:
    """Read a numeric CSV file into a :class:`Frame`; every problem is a :class:`DataError`."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES + 1)
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; give a CSV or Parquet file") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    truncated = len(head) > _SNIFF_BYTES
    head = head[:_SNIFF_BYTES]
    if head.startswith(b"PAR1"):  # Parquet's magic number: not a guess
        from descend.data.load import read_parquet

        return read_parquet(path)
    text = _head_text(path, head, truncated)
    lines = [ln for ln in text.splitlines() if ln.strip()][:_SNIFF_LINES]
    if not lines:
        raise DataError(f"{path}: the file is empty; it needs rows of numbers, e.g. '1200,200000'")
    sep = _sniff_separator(lines)
    first = next(csv.reader(lines[:1], delimiter=sep))
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
    frame = _read_polars(path, sep, header, ncols, names)
    return frame if frame is not None else _scan(path, sep, header, names)


def default_names(k: int) -> tuple[str, ...]:
    """Names for headerless data: ``x, y`` for two columns, else ``x1..x{k-1}, y``."""
    if k == 2:
        return ("x", "y")
    return (*(f"x{j}" for j in range(1, k)), "y")


def _read_polars(
    path: Path, sep: str, header: bool, ncols: int, names: tuple[str, ...]
) -> Frame | None:
    """The fast path; ``None`` when the file needs :func:`_scan` to explain itself."""
    import polars as pl

    schema = {f"c{j}": pl.Float64 for j in range(ncols)}
    try:
        df = pl.read_csv(
            path,
            separator=sep,
            has_header=False,
            skip_rows=1 if header else 0,
            schema=schema,
            null_values=[""],
            encoding="utf8",
        )
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if df.null_count().sum_horizontal().item() > 0:
        return None  # a hole (empty cell, short row or blank line): let the scan place it
    data = df.to_numpy(order="fortran").astype(np.float64, copy=False)  # columns stay contiguous
    return Frame(data, names, str(path), header=header, first_line=2 if header else 1)


def _scan(path: Path, sep: str, header: bool, names: tuple[str, ...]) -> Frame:
    """Slow, exact pass: raise at the first bad line, or return the values if all are fine."""
    ncols = len(names)
    rows: list[list[float]] = []
    lines: list[int] = []
    sep_name = _SEP_NAMES.get(sep, repr(sep))
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
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
                s = cell.strip()
                where = f"line {line}, column {names[j]!r} ({j + 1})"
                if s.lower() in MISSING:
                    raise DataError(
                        f"{path}: missing value at {where}; fill it in or delete the row"
                    )
                try:
                    v = float(s)
                except ValueError:
                    hint = (
                        "; it looks like a decimal comma: write decimal points (1.5, not 1,5)"
                        if _DECIMAL_COMMA.match(s)
                        else "; every cell must be a number"
                    )
                    raise DataError(f"{path}: non-numeric value {s!r} at {where}{hint}") from None
                if math.isinf(v):
                    raise DataError(
                        f"{path}: infinite value {s!r} at {where}; replace it with a finite number"
                    )
                values.append(v)
            rows.append(values)
            lines.append(line)
    data = np.array(rows, dtype=np.float64).reshape(len(rows), ncols)
    return Frame(
        data,
        names,
        str(path),
        header=header,
        first_line=2 if header else 1,
        lines=np.asarray(lines, dtype=np.int64),
    )
