"""S3 downloads under the same rules as HTTP's: a minimum rate and progress lines.

botocore's read timeout ends a read that gets *nothing* for ``timeout`` seconds, but a server
sending a byte every 2 s never lets it pass. As over HTTP (:mod:`descend.io._rate`), the
object's body is read as it arrives (aiobotocore's streaming body, 64 KiB at a time) through a
:class:`~descend.io._rate.Meter`: under ``min_rate`` bytes a second over the last ``timeout``
seconds the download stops in one line, and a long one prints a progress line every
:data:`~descend.io._rate.PROGRESS_EVERY` seconds. The stream engine's blocks (ranged GETs of
4 MiB) each get a meter of their own, so the time the reader spends between two blocks is not
counted against the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descend.io._rate import Meter, meter_fetches, read_metered

__all__ = ["MAX_ATTEMPTS", "is_s3", "meter_blocks", "read_s3", "s3_config"]

#: Tries of one S3 request (the first and the retries).
MAX_ATTEMPTS = 2
_CHUNK = 1 << 16


def s3_config(config_kwargs: Mapping[str, Any] | None, timeout: float) -> dict[str, Any]:
    """botocore's ``Config`` arguments with a connect and a read timeout and
    :data:`MAX_ATTEMPTS` tries; the user's own ``config_kwargs`` win.

    botocore's ``max_attempts`` counts the retries, not the tries: ``MAX_ATTEMPTS`` there meant
    3 tries and up to 1 + 2 s of back-off, and an HTTP 500 was retried past a 2-s deadline
    ("no answer within 2 s" instead of "server error (HTTP 500)").
    """
    config = dict(config_kwargs or {})
    config.setdefault("connect_timeout", timeout)
    config.setdefault("read_timeout", timeout)
    config.setdefault("retries", {"max_attempts": MAX_ATTEMPTS - 1, "mode": "standard"})
    return config


def is_s3(fs: Any) -> bool:
    """Whether ``fs`` is s3fs's (an async filesystem that calls S3 by ``_call_s3``)."""
    return bool(getattr(fs, "async_impl", False) and hasattr(fs, "_call_s3")
                and getattr(fs, "loop", None) is not None)


async def _body(fs: Any, path: str, meter: Meter, byte_range: str | None = None) -> bytes:
    bucket, key, version = fs.split_path(path)
    kw: dict[str, Any] = {"VersionId": version} if version else {}
    if byte_range is not None:
        kw["Range"] = byte_range
    resp = await fs._call_s3("get_object", Bucket=bucket, Key=key, **kw)
    body = resp["Body"]
    parts = []
    try:
        while chunk := await body.read(_CHUNK):
            parts.append(chunk)
            meter.add(len(chunk))
    finally:
        body.close()
    return b"".join(parts)


def read_s3(fs: Any, path: str, url: str, timeout: float, min_rate: float) -> bytes:
    """The whole object at ``path``, read as it arrives under the minimum rate."""
    return read_metered(_body, fs, path, url, timeout, min_rate)


def meter_blocks(raw: Any, fs: Any, path: str, url: str, timeout: float, min_rate: float
                 ) -> None:
    """Read each block of an S3 file as it arrives, under the minimum rate (a meter a block)."""
    if is_s3(fs):
        meter_fetches(_body, raw, fs, path, url, timeout, min_rate)
