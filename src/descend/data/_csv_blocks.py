"""A local CSV file's chunks parsed on every core: the file cut into blocks at line ends.

pyarrow's streaming CSV reader parses one block at a time on one thread (measured: the same
CPU time and wall time with and without ``use_threads`` on a 2 GB file), so a streamed pass
over a CSV ran at one core's parsing speed. Here the caller's thread reads the file in blocks
of ``block_bytes`` and cuts each at its last line end outside quotes (an even number of ``"``
before it: a quoted field may hold a line break); each block is parsed by
:func:`pyarrow.csv.read_csv` on a pool of :func:`~descend.data._parallel.reader_threads`
threads (the GIL released), converted to ``(X, y)`` chunks of at most ``chunk_rows`` rows, and
yielded in file order (:func:`~descend.data._parallel.ordered_map`): the same rows, the same
order, the same sums on every run. Memory holds ``max(workers + 1, AHEAD)`` blocks in flight
(~16 MB of text each, and their float64 chunks), whatever the file's size.

The layout (separator, header, names, missing-value words) is the shared sniffer's, as for
the streaming reader; an unreadable cell is explained by the in-memory reader's words
(:meth:`~descend.data.chunks.ChunkSource.explain`: file, line, column).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import DataError

Array = NDArray[np.float64]
ChunkSource = Any  # descend.data.chunks.ChunkSource (which imports this module)

__all__ = ["csv_block_chunks", "cut_at_line_end"]

#: Bytes of text a block at most (and at least ``MIN_BLOCK``): ~80 000 rows of 10 floats.
MAX_BLOCK = 16 << 20
MIN_BLOCK = 1 << 20
#: Blocks parsed ahead of the pass at least. The pass's first chunk waits for the compiled
#: kernel to load (~1 s of one core, holding the GIL); the other cores parse meanwhile, and
#: with only ``workers + 1`` blocks ahead they stopped after ~0.2 s of it. Eight blocks keep
#: them busy ~0.45 s longer, for ~23 MB each (text and chunk) in flight.
AHEAD = 8
_BOM = b"\xef\xbb\xbf"


def cut_at_line_end(buf: bytes | memoryview) -> int:
    """The length of the longest prefix of ``buf`` that ends at a line end outside quotes
    (``0``: none). ``buf`` starts outside quotes (at a line start).

    >>> cut_at_line_end(b'a,b\\n1,"x\\ny"\\n2,')
    12
    >>> cut_at_line_end(b'1,"x\\ny')
    0
    """
    if isinstance(buf, memoryview):  # (only the first block, past its byte-order mark)
        buf = buf.tobytes()
    end = buf.rfind(b"\n") + 1
    if end == 0 or buf.find(b'"', 0, end) < 0:
        return end
    a = np.frombuffer(buf, np.uint8, end)
    quotes = np.cumsum(a == ord('"'))
    ok = np.flatnonzero((a == ord("\n")) & (quotes % 2 == 0))
    return int(ok[-1]) + 1 if ok.size else 0


def _blocks(path: str, header: bool, block_bytes: int) -> Iterator[tuple[Any, bool, Any]]:
    """``(text, first, span)``: the file cut at line ends outside quotes, in order.

    The text is a view of a read-only memory map of the file (no copy: the parser reads the
    page cache), ``span`` its ``(start, end)`` bytes there, handed back by the parser once
    parsed (:func:`descend.data._mapped.drop`); where the file cannot be mapped each block is
    read from where the last one was cut (the partial line read again) and ``span`` is
    ``None``."""
    from descend.data._mapped import close, map_file

    mm = map_file(path)
    if mm is None:  # an empty or special file, an address-space limit: read it
        yield from _read_blocks(path, block_bytes)
        return
    try:
        yield from _mapped_blocks(mm, block_bytes)
    finally:
        close(mm)


def _mapped_blocks(mm: Any, block_bytes: int) -> Iterator[tuple[Any, bool, Any]]:
    view = memoryview(mm)
    try:
        total = len(mm)
        pos = len(_BOM) if mm[: len(_BOM)] == _BOM else 0
        first, size = True, block_bytes
        while pos < total:
            hi = min(total, pos + size)
            end = mm.rfind(b"\n", pos, hi) + 1  # fast (memrchr), no copy
            cut = 0
            if end > pos:
                cut = end - pos
                if mm.find(b'"', pos, end) >= 0:  # quotes: count them (rare, copied)
                    cut = cut_at_line_end(view[pos:end])
            if cut == 0:
                if hi == total:  # the last line, without a line end
                    if mm[pos:hi].strip():
                        yield view[pos:hi], first, (pos, hi)
                    return
                size *= 2  # a line (or quoted field) longer than a block: look further
                continue
            yield view[pos : pos + cut], first, (pos, pos + cut)
            first, size = False, block_bytes
            pos += cut
    finally:
        try:
            view.release()
        except BufferError:  # pragma: no cover - a block still in the parser holds it
            pass


def _read_blocks(path: str, block_bytes: int) -> Iterator[tuple[Any, bool, Any]]:
    """:func:`_blocks` by reads: each block handed on as a view of the bytes read (the text
    copied once, out of the page cache)."""
    with open(path, "rb") as fh:
        pos, first, size = 0, True, block_bytes
        while True:
            fh.seek(pos)
            data = fh.read(size)
            if not data:
                return
            skip = len(_BOM) if first and data.startswith(_BOM) else 0
            cut = cut_at_line_end(memoryview(data)[skip:]) if skip else cut_at_line_end(data)
            if cut == 0:
                if len(data) < size:  # the last line, without a line end
                    if data[skip:].strip():
                        yield memoryview(data)[skip:], first, None
                    return
                size *= 2  # a line (or quoted field) longer than a block: read more
                continue
            yield memoryview(data)[skip : skip + cut], first, None
            first, size = False, block_bytes
            pos += skip + cut


def _options(src: ChunkSource) -> tuple[Any, Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from descend.data._csv import MISSING

    po = pacsv.ParseOptions(delimiter=src._csv_sep)
    missing = sorted({v for m in MISSING for v in (m, m.upper(), m.title())})
    chosen = [*src.feature_names, src.target_name]
    co = pacsv.ConvertOptions(
        include_columns=chosen,
        column_types={c: pa.float64() for c in chosen},
        null_values=missing,
        quoted_strings_can_be_null=True,
    )
    return po, co


def _block_size(src: ChunkSource) -> int:
    """Bytes a block: ``chunk_rows`` rows of the file's first lines' width, within
    ``[MIN_BLOCK, MAX_BLOCK]``."""
    with open(src.files[0], "rb") as fh:
        head = fh.read(MIN_BLOCK)
    lines = max(1, head.count(b"\n"))
    return int(min(MAX_BLOCK, max(MIN_BLOCK, src.chunk_rows * (len(head) / lines) * 1.05)))


def csv_block_chunks(src: ChunkSource, check: bool = True) -> Iterator[tuple[Array, Array]]:
    """``src``'s ``(X, y)`` chunks, its blocks parsed on every core (see the module)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from descend.data._mapped import drop
    from descend.data._parallel import ordered_map, reader_threads

    path = src.files[0]
    po, co = _options(src)
    names = list(src.columns)

    def parse(block: tuple[Any, bool, Any]) -> list[tuple[Array, Array]]:
        text, first, span = block
        ro = pacsv.ReadOptions(
            column_names=names, skip_rows=1 if first and src._csv_header else 0,
            use_threads=False, block_size=len(text) + 1,
        )
        try:
            table = pacsv.read_csv(pa.py_buffer(text), read_options=ro, parse_options=po,
                                   convert_options=co)
        finally:
            if span is not None:  # parsed (numbers in new buffers): the map forgets the text
                drop(text.obj, *span)
        out = []
        for batch in table.combine_chunks().to_batches(max_chunksize=src.chunk_rows):
            if batch.num_rows:
                out.append(src._to_numpy(batch, path, check))
        return out

    workers = reader_threads()
    try:
        for chunks in ordered_map(parse, _blocks(path, src._csv_header, _block_size(src)),
                                  workers, max(workers + 1, AHEAD)):
            yield from chunks
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError) as exc:
        src.explain()  # the in-memory reader's words for the first bad line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as numbers ({first})") from None
