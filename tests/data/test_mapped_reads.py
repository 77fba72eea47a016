"""Local Parquet row groups read through a memory map (:mod:`descend.data._mapped`).

The mapped read must give the buffered reader's chunks bit for bit (the same rows, the same
boundaries, so a pass's sums are the same bits), on plain and on compressed, dictionary-encoded
files, with chunks that run across row-group boundaries; every row group's pages are handed
back once read; a row group over the limit, or a file that cannot be mapped, falls back to the
buffered read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend.data import _mapped
from descend.data.chunks import open_source
from descend.data.stream import stats_from_file


def _write(path, n, *, compression, group):
    rng = np.random.default_rng(7)
    cols = {f"x{j}": rng.standard_normal(n) for j in range(1, 4)}
    cols["k"] = np.round(rng.uniform(0, 5, n))  # few distinct values: dictionary pages
    cols["y"] = rng.standard_normal(n)
    pq.write_table(pa.table(cols), path, compression=compression, row_group_size=group,
                   use_dictionary=True)
    return cols


def _chunks(src, prefetch):
    return [(X.copy(), y.copy()) for X, y in src.chunks(prefetch=prefetch, check=False)]


@pytest.mark.parametrize("compression", ["none", "zstd"])
@pytest.mark.parametrize("chunk_rows", [977, 4000, 25_000])
def test_mapped_chunks_equal_the_buffered_reader(tmp_path, monkeypatch, compression, chunk_rows):
    path = tmp_path / "t.parquet"
    cols = _write(path, 20_011, compression=compression, group=3001)
    src = open_source(path, target="y", chunk_rows=chunk_rows)
    used, dropped = [], []
    monkeypatch.setattr(_mapped, "MARGIN", 0)  # pages handed back as early as estimated
    real_batches, real_drop = _mapped.mapped_batches, _mapped.drop
    monkeypatch.setattr(_mapped, "mapped_batches",
                        lambda *a: used.append(a[1]) or real_batches(*a))
    monkeypatch.setattr(_mapped, "drop", lambda mm, lo, hi: dropped.append((lo, hi))
                        or real_drop(mm, lo, hi))
    mapped = _chunks(src, prefetch=2)
    assert used and dropped
    meta = pq.ParquetFile(path).metadata
    for g in range(meta.num_row_groups):  # every column chunk handed back, in pieces
        for j in range(meta.num_columns):
            c = meta.row_group(g).column(j)
            lo = min(c.data_page_offset, c.dictionary_page_offset or c.data_page_offset)
            hi = lo + c.total_compressed_size
            pieces = sorted((a, b) for a, b in dropped if a < hi and b > lo)
            assert pieces[0][0] <= lo and pieces[-1][1] >= hi
            assert all(p[1] >= q[0] for p, q in zip(pieces[:-1], pieces[1:], strict=True))
    monkeypatch.setattr(_mapped, "MAX_GROUP_BYTES", 0)  # every group too big: buffered
    buffered = _chunks(src, prefetch=2)
    assert [X.shape for X, _ in mapped] == [X.shape for X, _ in buffered]
    for (Xa, ya), (Xb, yb) in zip(mapped, buffered, strict=True):
        assert np.array_equal(Xa, Xb) and np.array_equal(ya, yb)
    X = np.concatenate([X for X, _ in mapped])
    want = np.column_stack([cols[c] for c in ("x1", "x2", "x3", "k")])
    assert np.array_equal(X, want)
    assert np.array_equal(np.concatenate([y for _, y in mapped]), cols["y"])


def test_mapped_pass_gives_the_same_moments(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    cols = _write(path, 12_345, compression="none", group=1000)
    a, _, _ = stats_from_file(path, target="y", chunk_rows=700)
    monkeypatch.setattr(_mapped, "MAX_GROUP_BYTES", 0)
    b, _, _ = stats_from_file(path, target="y", chunk_rows=700)
    assert a.n == b.n == 12_345
    assert np.array_equal(a.cxx, b.cxx) and np.array_equal(a.mean_x, b.mean_x)
    X = np.column_stack([cols[c] for c in ("x1", "x2", "x3", "k")])
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(a.cxx, Xc.T @ Xc, rtol=1e-12)


def test_unmappable_file_falls_back(tmp_path):
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    assert _mapped.mapped_batches(str(empty), None, ["y"], 10) is None
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not a footer PAR1")
    assert _mapped.mapped_batches(str(bad), None, ["y"], 10) is None


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_mapped_csv_blocks_equal_the_read_blocks(tmp_path, monkeypatch, bom):
    """A CSV cut into blocks through the map gives the blocks that reading gives (quoted line
    breaks, CRLF, a line longer than a block, no final line end), and each is handed back."""
    from descend.data import _csv_blocks

    rng = np.random.default_rng(3)
    lines = [b"a,b,y"]
    for i in range(3000):
        a, b, y = (float(v) for v in rng.standard_normal(3))
        if i % 97 == 5:
            lines.append(b'"%r","%r",%r' % (a, b, y))
        elif i == 1500:
            lines.append(b"%s,%r,%r" % (b"0" * 9000 + b"1.5", b, y))  # longer than a block
        else:
            lines.append(b"%r,%r,%r" % (a, b, y))
    path = tmp_path / "t.csv"
    path.write_bytes(bom + b"\r\n".join(lines))  # no final line end
    mapped = [(bytes(t), f, s) for t, f, s in _csv_blocks._blocks(str(path), True, 4096)]
    read = [(bytes(t), f) for t, f, _ in _csv_blocks._read_blocks(str(path), 4096)]
    assert [(t, f) for t, f, _ in mapped] == read
    assert b"".join(t for t, _ in read) == bom.join([b"", b"\r\n".join(lines)])[len(bom):]
    assert all(s is not None for _, _, s in mapped) and len(mapped) > 20
    dropped = []
    monkeypatch.setattr(_mapped, "drop", lambda mm, lo, hi: dropped.append((lo, hi)))
    monkeypatch.setattr(_csv_blocks, "MIN_BLOCK", 4096)
    monkeypatch.setattr(_csv_blocks, "MAX_BLOCK", 4096)
    src = open_source(path, target="y", chunk_rows=500)
    X = np.concatenate([X for X, _ in src.chunks(check=False)])
    assert sorted(dropped) == [s for _, _, s in mapped]
    want = np.array([[float(v.strip(b'"')) for v in ln.split(b",")[:2]] for ln in lines[1:]])
    assert np.array_equal(X, want)


def test_no_map_under_an_address_space_limit(tmp_path, monkeypatch):
    """Under ``ulimit -v`` a map of the file would count whole against the limit the stream
    engine checked its headroom by: the files are read instead, with the same chunks."""
    import resource

    path = tmp_path / "t.parquet"
    _write(path, 5000, compression="none", group=1000)
    assert _mapped.map_file(str(path)) is not None
    src = open_source(path, target="y", chunk_rows=700)
    mapped = _chunks(src, prefetch=2)
    monkeypatch.setattr(resource, "getrlimit", lambda what: (8 << 30, 8 << 30))
    assert _mapped.map_file(str(path)) is None
    read = _chunks(src, prefetch=2)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(mapped, read, strict=True))


def test_descend_no_mmap_reads_instead_with_the_same_chunks(tmp_path, monkeypatch):
    """``DESCEND_NO_MMAP=1`` (a file another program may shorten while it is read: a map would
    end the process with SIGBUS): no map is made, for Parquet or CSV, and the chunks are the same."""
    from descend.data import _csv_blocks

    path = tmp_path / "t.parquet"
    _write(path, 5000, compression="none", group=1000)
    csv = tmp_path / "t.csv"
    csv.write_text("a,y\n" + "".join(f"{i * 0.5},{i % 7}\n" for i in range(3000)))
    src = open_source(path, target="y", chunk_rows=700)
    mapped = _chunks(src, prefetch=2)
    monkeypatch.setenv("DESCEND_NO_MMAP", "1")
    assert _mapped.map_file(str(path)) is None and _mapped.map_file(str(csv)) is None
    assert all(s is None for _, _, s in _csv_blocks._blocks(str(csv), True, 4096))
    read = _chunks(src, prefetch=2)
    assert len(read) == len(mapped) == 8
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
               for a, b in zip(mapped, read, strict=True))
