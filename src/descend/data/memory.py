"""Whether a data set fits in memory: the in-memory engine's peak against what this process may use.

The in-memory engine (``engine='numpy'``) reads a file whole. Its resident peak is about
:data:`READ_FACTOR` times the data as float64 -- the reader's own columns, the float64 frame
and the design matrix (measured: 3.4x on a two-column Parquet file through ``descend fit``).
Under an address-space limit (``ulimit -v``, ``RLIMIT_AS``) every mapping counts, reserved or
not: the reader's threads and allocator reserve about :data:`ADDRESS_RESERVE` besides
:data:`ADDRESS_FACTOR` times the data (measured: 4.4x + 0.73 GiB). Past the limit polars does
not raise -- it aborts the process -- so the size is checked before reading, from what is
known without reading: the estimate of :func:`float64_bytes` (the one the automatic engine
chooses by, :mod:`descend.data.engine`).

The memory this process may use is the least of: the machine's available memory
(``MemAvailable``), the cgroup's limit less its use (a container), and, for address space,
``RLIMIT_AS`` less the process's current size. Where none is known nothing is refused.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ADDRESS_FACTOR", "ADDRESS_RESERVE", "READ_FACTOR", "STREAM_PER_CPU", "STREAM_RESERVE",
    "check_fits", "check_stream_fits", "float64_bytes", "memory_shortfall",
]

#: resident bytes the in-memory engine needs per byte of float64 data (measured 3.4)
READ_FACTOR = 3
#: address space per byte of float64 data under ``RLIMIT_AS`` (measured 4.4)
ADDRESS_FACTOR = 5
#: address space the reader reserves whatever the data (threads, allocator arenas)
ADDRESS_RESERVE = 3 << 29  # 1.5 GiB: the measure plus dlopen of the JIT (llvmlite)


#: the least address space a streamed fit needs, whatever the file: the reader's and the JIT's
#: libraries (llvmlite), besides :data:`STREAM_PER_CPU` per core (pool threads' stacks and
#: arenas). Below it pyarrow waits forever for a thread it could not start (measured, 2 cores,
#: ``ulimit -v`` counted from after the imports: +200 MiB hangs). Above it a limit still too
#: tight fails as an exception (MemoryError, llvmlite not loading), which the CLI words in one
#: line; how much more a file needs depends on it (a 4e6-row Parquet of 33 row groups fits in
#: +1000 MiB, a 1e7-row one of 10 row groups needs +1800).
STREAM_RESERVE = 1 << 29  # 512 MiB
STREAM_PER_CPU = 1 << 26  # 64 MiB


def _meminfo(key: str, path: str = "/proc/meminfo") -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_free() -> int | None:
    """The cgroup (v2) memory limit less its current use, or ``None`` without a limit."""
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((base / "memory.current").read_text()), 0)
    except (OSError, ValueError):
        return None


def available_memory() -> tuple[int, str] | None:
    """``(bytes, what)``: the physical memory this process may still take, and its name."""
    found: list[tuple[int, str]] = []
    avail = _meminfo("MemAvailable")
    if avail is not None:
        found.append((avail, "available memory"))
    cgroup = _cgroup_free()
    if cgroup is not None:
        found.append((cgroup, "the container's memory limit left"))
    return min(found) if found else None


def address_headroom() -> int | None:
    """The address space left under ``RLIMIT_AS`` (``ulimit -v``), or ``None`` when unlimited."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = _meminfo("VmSize", f"/proc/{os.getpid()}/status") or 0
    return max(soft - used, 0)


def _gib(n: float) -> str:
    return f"{n / 2**30:.2g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def memory_shortfall(estimate: int) -> str | None:
    """Why ``estimate`` bytes of float64 data would not fit when read whole, or ``None``.

    >>> memory_shortfall(0) is None
    True
    """
    if estimate <= 0:
        return None
    room = address_headroom()
    if room is not None and ADDRESS_FACTOR * estimate + ADDRESS_RESERVE > room:
        return (
            f"reading it whole needs about {_gib(ADDRESS_FACTOR * estimate + ADDRESS_RESERVE)} "
            f"of address space and the process limit (ulimit -v) leaves {_gib(room)}"
        )
    free = available_memory()
    if free is not None and READ_FACTOR * estimate > free[0]:
        return (
            f"reading it whole needs about {_gib(READ_FACTOR * estimate)} of memory and "
            f"{free[1]} is {_gib(free[0])}"
        )
    return None


def check_fits(path: str | os.PathLike[str]) -> None:
    """Refuse, in one line, a local file the in-memory engine could not hold (see the module
    docstring); a file that cannot be measured is left to the reader to explain."""
    from descend.errors import DataError

    try:
        estimate = float64_bytes([path])
    except (OSError, ValueError):
        return
    why = memory_shortfall(estimate)
    if why is not None:
        raise DataError(
            f"{path}: is about {_gib(estimate)} as float64 and would not fit in memory ({why}); "
            "stream it in chunks with engine='stream', or free memory"
        )


def check_stream_fits(data: str) -> None:
    """Refuse, in one line, to stream ``data`` under an address-space limit (``ulimit -v``)
    too tight for the reader's threads and the JIT: there the fit would not fail, it would
    hang (see :data:`STREAM_RESERVE`). No limit: no refusal.

    >>> check_stream_fits("d.csv") if address_headroom() is None else None
    """
    from descend.errors import DataError

    room = address_headroom()
    if room is None:
        return
    need = STREAM_RESERVE + STREAM_PER_CPU * (os.cpu_count() or 1)
    if room < need:
        raise DataError(
            f"{data}: streaming needs at least {_gib(need)} of address space (the reader's "
            f"threads and the JIT, whatever the chunk size) and the process limit (ulimit -v) "
            f"leaves {_gib(room)}; raise the limit by {_gib(need - room)} or more, or lift it"
        )


def float64_bytes(
    paths: Sequence[str | os.PathLike[str]], storage_options: dict[str, Any] | None = None
) -> int:
    """The estimated size of the data as a float64 array (the rules: :mod:`descend.data.engine`);
    a URL's from its Parquet footer or its size in the store."""
    from descend.data._parquet import is_parquet_name
    from descend.data.urls import is_url

    total = 0
    for path in paths:
        if is_url(path):
            total += _url_bytes(str(path), storage_options)
            continue
        p = Path(path)
        if is_parquet_name(p.suffix):
            try:
                import pyarrow.parquet as pq

                meta = pq.ParquetFile(p).metadata
                total += int(meta.num_rows) * int(meta.num_columns) * 8
                continue
            except Exception:  # noqa: BLE001 - unreadable metadata: the reader will explain
                pass
        total += p.stat().st_size
    return total


def _url_bytes(url: str, storage_options: dict[str, Any] | None) -> int:
    from descend.data._parquet import is_parquet_name
    from descend.data.urls import open_url, url_size

    if is_parquet_name(url):
        try:
            import pyarrow.parquet as pq

            with open_url(url, storage_options) as fh:
                meta = pq.ParquetFile(fh).metadata
            return int(meta.num_rows) * int(meta.num_columns) * 8
        except Exception:  # noqa: BLE001 - unreadable metadata: the reader will explain
            pass
    return url_size(url, storage_options)
