"""Slow remote reads: one total deadline a step, a minimum download rate, progress lines.

A step that asks a store for metadata (an object's size, a listing) runs under one total
deadline, the storage option ``timeout`` (:func:`bounded`): fsspec's HTTP ``info`` tries a HEAD
and then a GET, and s3fs retries, so one call could otherwise wait several timeouts. A
download that goes on but too slowly to finish -- a byte every 2 s never lets a 30-s read
timeout pass -- is stopped by a minimum rate (``min_rate`` bytes a second, judged over the
last ``timeout`` seconds by :class:`Meter`, or, for one block of an HTTP file, as a deadline
of ``timeout`` + the block's bytes / ``min_rate``: :func:`bound_blocks`). A long download sends
a progress line every :data:`PROGRESS_EVERY` seconds to the printer the CLI set
(:func:`set_progress`); the library itself prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from descend.errors import DataError, InputError

__all__ = [
    "meter_fetches",
    "read_metered",
    "DEFAULT_MIN_RATE", "PROGRESS_EVERY", "Meter", "bound_blocks", "bounded", "min_rate_of",
    "set_progress",
]

#: Bytes a second below which a download is abandoned (storage option ``min_rate``; 0: none),
#: judged over the last ``timeout`` seconds once that long has passed.
DEFAULT_MIN_RATE = 1000.0
#: Seconds a download runs before its first progress line, and between two lines.
PROGRESS_EVERY = 10.0
#: Where progress lines go: the CLI sets a printer (:func:`set_progress`); the library is silent.
_PROGRESS: list[Callable[[str], None]] = []


def min_rate_of(storage_options: Mapping[str, Any] | None) -> float:
    """The least download rate in bytes a second that ``storage_options`` accept
    (``min_rate``; 0 turns the rule off), checked."""
    value = (storage_options or {}).get("min_rate", DEFAULT_MIN_RATE)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e12:
        raise InputError(
            f"--storage-option min_rate={value}: give the least download rate in bytes a "
            f"second, e.g. --storage-option min_rate=100, or 0 for none "
            f"(default {DEFAULT_MIN_RATE:g})"
        )
    return float(value)


def set_progress(show: Callable[[str], None] | None) -> None:
    """Send progress lines of slow downloads to ``show`` (``None``: nowhere, the default)."""
    _PROGRESS.clear()
    if show is not None:
        _PROGRESS.append(show)


def _size_text(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.3g} bytes" if n != int(n) else f"{int(n)} bytes"


def _too_slow(url: str, got: float, seconds: float, min_rate: float) -> DataError:
    return DataError(
        f"{url}: the download is too slow ({_size_text(got)} in the last {seconds:.3g} s: "
        f"{_size_text(got / seconds)}/s, below the minimum {_size_text(min_rate)}/s); try "
        "again later, or accept a slower server with --storage-option min_rate=BYTES_PER_SECOND "
        "(0 for no minimum)"
    )


class Meter:
    """A download's bytes over time: a progress line every :data:`PROGRESS_EVERY` seconds (to
    :func:`set_progress`'s printer), and the minimum-rate rule -- once ``window`` seconds
    have passed, fewer than ``min_rate * window`` bytes in the last ``window`` seconds stop it."""

    def __init__(self, url: str, window: float, min_rate: float):
        import time

        self.url, self.window, self.min_rate = url, window, min_rate
        self.start = time.monotonic()
        self.total = 0
        self.samples: list[tuple[float, int]] = [(self.start, 0)]
        self.next_line = self.start + PROGRESS_EVERY

    def add(self, n: int) -> None:
        import time

        now = time.monotonic()
        self.total += n
        self.samples.append((now, self.total))
        while len(self.samples) > 2 and self.samples[1][0] <= now - self.window:
            del self.samples[0]  # keep one sample at or before the window's start
        t0, b0 = self.samples[0]
        if self.min_rate > 0 and now - self.start >= self.window and now > t0:
            if (self.total - b0) / (now - t0) < self.min_rate:
                raise _too_slow(self.url, self.total - b0, now - t0, self.min_rate)
        if _PROGRESS and now >= self.next_line:
            rate = self.total / (now - self.start)
            _PROGRESS[0](f"{self.url}: {_size_text(self.total)} downloaded in "
                         f"{now - self.start:.0f} s ({_size_text(rate)}/s)")
            self.next_line = now + PROGRESS_EVERY


def bounded(fs: Any, method: str, *args: Any, timeout: float) -> Any:
    """``fs.method(*args)`` under one total deadline of ``timeout`` seconds.

    fsspec's HTTP ``info`` tries a HEAD and then a GET, and each waits up to the read timeout;
    s3fs retries: one call could take several timeouts. An async filesystem's coroutine runs
    under ``asyncio.wait_for`` (fsspec's ``sync(..., timeout=)``), cancelled at the deadline.
    """
    coro = getattr(fs, f"_{method}", None)
    if getattr(fs, "async_impl", False) and coro is not None and getattr(fs, "loop", None):
        from fsspec.asyn import sync

        return sync(fs.loop, coro, *args, timeout=timeout)
    return getattr(fs, method)(*args)


def bound_blocks(raw: Any, url: str, timeout: float, min_rate: float) -> None:
    """Give each block an HTTP file fetches a total deadline of ``timeout`` + its bytes /
    ``min_rate`` (a trickle faster than the read timeout would hold a block for hours)."""
    fetch_async = getattr(raw, "async_fetch_range", None)
    cache = getattr(raw, "cache", None)
    if fetch_async is None or cache is None or not hasattr(cache, "fetcher") or min_rate <= 0:
        return
    from fsspec.asyn import sync
    from fsspec.exceptions import FSTimeoutError

    def fetch(start: int, end: int) -> bytes:
        n = max(min(end, raw.size or end) - start, 0)
        deadline = timeout + n / min_rate
        try:
            return bytes(sync(raw.loop, fetch_async, start, end, timeout=deadline))
        except FSTimeoutError as exc:
            import aiohttp

            if isinstance(exc.__cause__, aiohttp.ServerTimeoutError):
                raise  # aiohttp's read timeout: the server went silent (no answer within T)
            raise DataError(
                f"{url}: the download is too slow (a block of {_size_text(n)} did not arrive "
                f"within {deadline:.3g} s, below the minimum {_size_text(min_rate)}/s); try "
                "again later, or accept a slower server with --storage-option "
                "min_rate=BYTES_PER_SECOND (0 for no minimum)"
            ) from None

    cache.fetcher = fetch


#: ``body(fs, path, meter, byte_range=None)``: an object's bytes, each chunk counted by ``meter``
#: as it arrives (:mod:`descend.io._remote_s3`'s and :mod:`descend.io._remote_gcs`'s ``_body``)
Body = Callable[..., Any]


def read_metered(body: Body, fs: Any, path: str, url: str, timeout: float,
                 min_rate: float) -> bytes:
    """The whole object at ``path`` by ``body`` on ``fs``'s event loop, under one meter."""
    from fsspec.asyn import sync

    return bytes(sync(fs.loop, body, fs, path, Meter(url, timeout, min_rate)))


def meter_fetches(body: Body, raw: Any, fs: Any, path: str, url: str, timeout: float,
                  min_rate: float) -> None:
    """Replace the block fetcher of the open file ``raw`` by ranged reads through ``body``,
    a meter a block (the reader's time between two blocks is not the server's); nothing
    where ``raw`` has no block cache or no minimum rate is set."""
    cache = getattr(raw, "cache", None)
    if cache is None or not hasattr(cache, "fetcher") or min_rate <= 0:
        return
    from fsspec.asyn import sync

    size = getattr(raw, "size", None)

    def fetch(start: int, end: int) -> bytes:
        end = min(end, size) if size is not None else end
        if end <= start:
            return b""
        meter = Meter(url, timeout, min_rate)
        return bytes(sync(fs.loop, body, fs, path, meter, f"bytes={start}-{end - 1}"))

    cache.fetcher = fetch
