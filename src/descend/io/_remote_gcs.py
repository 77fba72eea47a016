"""GCS downloads under the same rules as HTTP's and S3's: a minimum rate and progress lines.

gcsfs reads an object's bytes whole (``cat_file``: one GET, ``await response.read()``), so a
server sending a byte every 2 s holds the read for as long as it likes. As for S3
(:mod:`descend.io._remote_s3`), the body is read here as it arrives, 64 KiB at a time, from
the same GET gcsfs would send (its download URL, its headers and credentials, its aiohttp
session) through a :class:`~descend.io._rate.Meter`: under ``min_rate`` bytes a second over the
last ``timeout`` seconds the download stops in one line, and a long one prints a progress line
every :data:`~descend.io._rate.PROGRESS_EVERY` seconds. The stream engine's blocks (ranged GETs)
each get a meter of their own. An answer of 400 or more is gcsfs's own error
(``validate_response``), whose status :func:`gcs_status` reads back for the messages:
403 -> access denied, 404 -> no such object, 5xx -> server error.
"""

from __future__ import annotations

from typing import Any

from descend.io._rate import Meter, meter_fetches, read_metered

__all__ = ["gcs_status", "gcs_timeout", "is_gcs", "meter_gcs_blocks", "read_gcs"]

_CHUNK = 1 << 16


def gcs_status(exc: BaseException) -> int | None:
    """The HTTP status in gcsfs's error, if it is one: its ``HttpError`` (5xx...) carries
    ``code``; a 403 is an ``OSError`` whose text starts with ``Forbidden:``."""
    code = getattr(exc, "code", None)
    if type(exc).__name__ == "HttpError" and isinstance(code, int):
        return code
    if isinstance(exc, OSError) and str(exc).startswith("Forbidden: "):
        return 403
    return None


def gcs_timeout(timeout: float) -> Any:
    """gcsfs's ``requests_timeout`` (handed to aiohttp as is): ``timeout`` seconds to connect
    and between two reads, no total (a long download is judged by its rate)."""
    import aiohttp

    return aiohttp.ClientTimeout(total=None, connect=timeout, sock_connect=timeout,
                                 sock_read=timeout)


def is_gcs(fs: Any) -> bool:
    """Whether ``fs`` is gcsfs's (an async filesystem with a download ``url`` and a session)."""
    return bool(getattr(fs, "async_impl", False) and hasattr(fs, "_set_session")
                and hasattr(fs, "_get_headers") and callable(getattr(fs, "url", None))
                and type(fs).__module__.split(".")[0] == "gcsfs")


async def _body(fs: Any, path: str, meter: Meter, byte_range: str | None = None) -> bytes:
    from gcsfs.retry import validate_response

    await fs._set_session()
    url = fs.url(path)
    headers = fs._get_headers({"Range": byte_range} if byte_range else None)
    parts = []
    async with fs.session.get(url=url, headers=headers, timeout=fs.requests_timeout) as r:
        if r.status >= 400:
            validate_response(r.status, await r.read(), path)
        while chunk := await r.content.read(_CHUNK):
            parts.append(chunk)
            meter.add(len(chunk))
    return b"".join(parts)


def read_gcs(fs: Any, path: str, url: str, timeout: float, min_rate: float) -> bytes:
    """The whole object at ``path``, read as it arrives under the minimum rate."""
    return read_metered(_body, fs, path, url, timeout, min_rate)


def meter_gcs_blocks(raw: Any, fs: Any, path: str, url: str, timeout: float, min_rate: float
                     ) -> None:
    """Read each block of a GCS file as it arrives, under the minimum rate (a meter a block)."""
    if is_gcs(fs):
        meter_fetches(_body, raw, fs, path, url, timeout, min_rate)
