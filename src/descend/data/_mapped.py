"""A local Parquet file's row groups read through a memory map, each dropped once decoded.

pyarrow's buffered reader copies every page twice: out of the page cache into its buffer,
then from the buffer into the column's array. Through a read-only memory map the decoder
reads the page cache directly, one copy fewer (measured on a 2.7 GB uncompressed file, one
thread: 2.1-2.6 s -> 1.6 s of CPU). A plain map, though, counts every page it touched in the
process's resident memory, up to the whole file (``memory_map=True`` did that); here each row
group's pages are handed back (``madvise(MADV_DONTNEED)``: the map forgets them, the page
cache keeps them) as soon as the batches have moved past them, so a reader holds a few pages
of each column of the map at a time, whatever the row groups' size.

Batches are the same as the buffered reader's (the same ``iter_batches`` call on the same
file), so a pass's chunks and sums are the same bits either way.

A map has one hazard reading cannot have: a file that another program shortens while descend
reads it ends the process with ``SIGBUS`` (a page past the new end has nothing behind it, and
no exception can be raised for it). ``DESCEND_NO_MMAP=1`` turns maps off: every file is then
read the buffered way, with the same chunks and sums.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["MAX_GROUP_BYTES", "close", "drop", "map_file", "mapped_batches"]

#: Largest row group (bytes in the file) read through the map: a reader thread holds about
#: one such group of the map at a time, on top of its chunks (four readers: ~0.5 GB at most).
MAX_GROUP_BYTES = 128 << 20
#: Bytes of a column chunk kept behind the decoder's estimated position (a page in use).
MARGIN = 2 << 20


def _group_spans(meta: Any, groups: Sequence[int]) -> list[tuple[int, list[tuple[int, int]]]]:
    """``(rows, [(first byte, end byte) of each column chunk])`` of each row group in
    ``groups`` (a column chunk's dictionary page included)."""
    out = []
    for g in groups:
        rg = meta.row_group(g)
        cols = []
        for j in range(rg.num_columns):
            c = rg.column(j)
            start = c.data_page_offset
            if c.has_dictionary_page and c.dictionary_page_offset is not None:
                start = min(start, c.dictionary_page_offset)
            cols.append((start, start + c.total_compressed_size))
        out.append((rg.num_rows, cols))
    return out


def _group_bytes(cols: list[tuple[int, int]]) -> int:
    return max(hi for _, hi in cols) - min(lo for lo, _ in cols) if cols else 0


def map_file(path: str) -> mmap.mmap | None:
    """A read-only map of the whole file ``path``, or ``None``: an empty or special file, no
    ``madvise``, or an address-space limit (``ulimit -v``: a map of the file counts against
    it whole, and the stream engine's own check of its headroom,
    :func:`descend.data.memory.check_stream_fits`, does not count it), or
    ``DESCEND_NO_MMAP`` set (the files are then read, not mapped)."""
    if not hasattr(mmap, "MADV_DONTNEED") or os.environ.get("DESCEND_NO_MMAP"):
        return None
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
            return None
    except (ImportError, OSError, ValueError):  # pragma: no cover - no resource module
        return None
    try:
        with open(path, "rb") as fh:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # an empty file, a special file, no address space
        return None


def mapped_batches(path: str, row_groups: Sequence[int] | None, columns: list[str],
                   batch_size: int) -> Iterator[Any] | None:
    """The record batches of ``row_groups`` (all when ``None``) of the local Parquet file
    ``path``, read through a memory map; ``None`` where the map cannot be used (no
    ``madvise`` on this platform, a row group over :data:`MAX_GROUP_BYTES`, the file cannot
    be mapped, see :func:`map_file`): the caller then reads it the buffered way."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    mm = map_file(path)
    if mm is None:
        return None
    try:
        pf = pq.ParquetFile(pa.BufferReader(pa.py_buffer(mm)), pre_buffer=False)
        groups = list(range(pf.metadata.num_row_groups)) if row_groups is None else list(row_groups)
        spans = _group_spans(pf.metadata, groups)
    except (pa.ArrowException, OSError):  # the buffered reader words what is wrong
        close(mm)
        return None
    if any(_group_bytes(cols) > MAX_GROUP_BYTES for _, cols in spans):
        close(mm)
        return None
    return _batches(mm, pf, groups, spans, columns, batch_size)


def _batches(mm: mmap.mmap, pf: Any, groups: list[int],
             spans: list[tuple[int, list[tuple[int, int]]]], columns: list[str],
             batch_size: int) -> Iterator[Any]:
    """The batches; after each one (the caller has copied its rows), the pages of the row
    group being read that lie before the decoders' position (estimated from the rows read,
    less :data:`MARGIN`) are dropped from the map, and a whole row group once all its rows
    are read (a batch may run across a row-group boundary). A page dropped too early is only
    read again from the page cache: the values cannot change, only the time."""
    try:
        k, start, done = 0, 0, 0  # the row group being read, its first row, rows read
        freed = [lo for lo, _ in spans[0][1]] if spans else []
        for batch in pf.iter_batches(batch_size=batch_size, row_groups=groups, columns=columns,
                                     use_threads=True):
            done += batch.num_rows
            yield batch
            while k < len(spans) and done >= start + spans[k][0]:
                for (_, hi), lo in zip(spans[k][1], freed, strict=True):
                    drop(mm, lo, hi)
                start += spans[k][0]
                k += 1
                freed = [lo for lo, _ in spans[k][1]] if k < len(spans) else []
            if k < len(spans) and done > start:  # part of group k read: its columns' heads
                frac = (done - start) / spans[k][0]
                for j, (lo, hi) in enumerate(spans[k][1]):
                    upto = lo + int(frac * (hi - lo)) - MARGIN
                    if upto > freed[j]:
                        drop(mm, freed[j], upto)
                        freed[j] = upto
    finally:
        close(mm)


def drop(mm: mmap.mmap, lo: int, hi: int) -> None:
    """Forget the map's pages of bytes ``[lo, hi)`` (whole pages inside it; the file and the
    page cache are untouched, a later read would fault them back in)."""
    start = -(-lo // mmap.PAGESIZE) * mmap.PAGESIZE
    end = min(hi, len(mm)) // mmap.PAGESIZE * mmap.PAGESIZE
    if end > start:
        try:
            mm.madvise(mmap.MADV_DONTNEED, start, end - start)
        except OSError:  # pragma: no cover - advice only
            pass


def close(mm: mmap.mmap) -> None:
    try:
        mm.close()
    except BufferError:  # an Arrow buffer still views it: closed when that one goes
        pass
