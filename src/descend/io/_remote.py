"""Data where it lives: ``s3://``, ``gs://``, ``https://``, ``memory://``, ``file://`` URLs.

A DATA argument that starts with ``PROTOCOL://`` is read through `fsspec
<https://filesystem-spec.readthedocs.io>`_, the layer pandas, polars, pyarrow and Dask share,
so every engine reads the same objects: the in-memory engine fetches the object's bytes, the
stream engine reads it in chunks through a buffered fsspec file (or ``pyarrow.dataset`` over
the fsspec filesystem, for Parquet), and Dask hands the URL and ``storage_options`` to
``dask.dataframe.read_csv``/``read_parquet``, so each worker reads its own partitions.

The rule for what a URL names is the local one (:func:`descend.io.data_files`): an object that
exists is that object, ``glob:URL`` or a missing URL holding ``*`` or ``?`` is a glob, and a
"folder" (a prefix) stands for the Parquet objects under it.

``storage_options`` are the keyword arguments of the fsspec filesystem (for S3, those of
``s3fs.S3FileSystem``: ``key``, ``secret``, ``endpoint_url``, ``anon``, ``client_kwargs``...).
On the command line each is ``--storage-option KEY=VALUE``; a dotted key nests
(``client_kwargs.region_name=eu-west-1``) and ``true``/``false``/``none`` and numbers are read
as such (:func:`parse_storage_options`).

Deadlines: every remote read has a connect and a read timeout, :data:`DEFAULT_TIMEOUT` (30 s)
unless the storage option ``timeout=SECONDS`` says otherwise (``--storage-option timeout=120``
for a slow link); a store that accepts and never answers, or sends a byte less often than
that, ends in one error naming the timeout. The timeout is also one step's total deadline
(HTTP's size probe tries HEAD then GET; S3 retries), and a host that let it pass is not asked
again for as long, so a silent server ends a command in about one timeout, not one per step
(the size probe, the sniffer, the read). A download that goes on too slowly to finish is
stopped by a minimum rate (:data:`DEFAULT_MIN_RATE`, storage option ``min_rate``; HTTP, S3
and GCS), and a long one shows progress lines where the CLI asked for them (:mod:`._rate`).
Retries are bounded (:data:`MAX_ATTEMPTS` tries for S3). The answer is named: HTTP 403 ->
access denied, 404 -> no such object, 5xx -> server error, a reset -> connection lost, a body
shorter than announced -> cut short, also in the reads of :func:`open_input`'s file.

fsspec and the protocol's package (s3fs, gcsfs, aiohttp...) are imported only when a URL is
given; a missing one is one :class:`~descend._optional.MissingExtraError` naming the extra.
Every failure of the store -- no bucket, no key, no permission, no connection -- is one
:class:`~descend.errors.DataError` naming the URL.
"""

from __future__ import annotations

import errno
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from descend.errors import DataError, InputError
from descend.io._input import PARQUET_SUFFIXES as _PARQUET  # the one list of suffixes
from descend.io._rate import (
    DEFAULT_MIN_RATE,
    Meter,
    bound_blocks,
    bounded,
    min_rate_of,
    set_progress,
)
from descend.io._remote_gcs import gcs_status, gcs_timeout, is_gcs, meter_gcs_blocks, read_gcs
from descend.io._remote_s3 import MAX_ATTEMPTS, is_s3, meter_blocks, read_s3, s3_config

__all__ = [
    "DEFAULT_MIN_RATE", "DEFAULT_TIMEOUT", "MAX_ATTEMPTS", "RemoteFile", "arrow_dataset",
    "is_remote", "is_url", "open_input", "parse_storage_options", "read_bytes", "remote_errors",
    "remote_files", "remote_size", "set_progress",
]

#: Seconds to connect, and between two reads of an answer (storage option ``timeout``).
DEFAULT_TIMEOUT = 30.0
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")

#: protocol -> (the package fsspec needs, the extra that installs it)
_PACKAGES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
    "http": ("aiohttp", "http"),
    "https": ("aiohttp", "http"),
    "az": ("adlfs", "azure"),
    "abfs": ("adlfs", "azure"),
    "abfss": ("adlfs", "azure"),
}


def is_url(text: Any) -> bool:
    """Whether ``text`` is a string naming a URL (``s3://b/k``, ``memory://x.csv``...).

    >>> is_url("s3://bucket/data.parquet"), is_url("data/part.parquet"), is_url("C:/d.csv")
    (True, False, False)
    """
    return isinstance(text, str) and _URL.match(text) is not None


def is_remote(obj: Any) -> bool:
    """Whether ``obj`` is a URL string or a :class:`RemoteFile`."""
    return isinstance(obj, RemoteFile) or is_url(obj)


def _scalar(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_storage_options(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``--storage-option KEY=VALUE`` (repeated) as fsspec's ``storage_options`` dict.

    A dotted key nests; ``true``/``false``/``none`` and numbers are typed; anything else stays
    a string. For S3 both ``endpoint_url=URL`` and ``client_kwargs.endpoint_url=URL`` work.

    >>> parse_storage_options(["anon=true", "client_kwargs.region_name=eu-west-1"])
    {'anon': True, 'client_kwargs': {'region_name': 'eu-west-1'}}
    """
    out: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise InputError(
                f"--storage-option {pair!r}: write KEY=VALUE, e.g. --storage-option "
                "endpoint_url=http://127.0.0.1:9000 or client_kwargs.region_name=eu-west-1"
            )
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InputError(f"--storage-option {pair!r}: {part!r} is already a value")
            node = child
        node[leaf] = _scalar(value.strip())
    return out


def _protocol(url: str) -> str:
    m = _URL.match(url)
    return m.group(1).lower() if m else "file"


def _filesystem(url: str, storage_options: Mapping[str, Any] | None) -> tuple[Any, str]:
    """``(fsspec filesystem, path inside it)`` for ``url``; a missing package is named."""
    from descend._optional import MissingExtraError

    proto = _protocol(url)
    try:
        from fsspec.core import url_to_fs
    except ModuleNotFoundError:
        raise MissingExtraError(
            "reading URLs needs fsspec, which is not installed; install it with: "
            "pip install 'descend[data]'"
        ) from None
    options = _with_deadlines(proto, storage_options)
    try:
        fs, path = url_to_fs(url, **options)
        if proto in ("s3", "s3a") and getattr(fs, "retries", 0) > MAX_ATTEMPTS:
            fs.retries = MAX_ATTEMPTS  # s3fs's own loop: 5 tries with back-off by default
        return fs, path
    except ImportError as exc:  # fsspec knows the protocol; its package is missing
        if proto not in _PACKAGES:
            raise MissingExtraError(
                f"reading {proto}:// URLs needs a package that is not installed "
                f"({str(exc)[:160]}); see fsspec's list of known implementations"
            ) from None
        package, extra = _PACKAGES[proto]
        raise MissingExtraError(
            f"reading {proto}:// URLs needs {package}, which is not installed; install it "
            f"with: pip install 'descend[{extra}]'"
        ) from None
    except OSError as exc:  # a filesystem whose native library is missing (hdfs://)
        raise DataError(f"{url}: the {proto}:// filesystem cannot start ({str(exc)[:160]})"
                        ) from None
    except ValueError as exc:
        if "protocol" in str(exc).lower():
            raise DataError(
                f"{url}: unknown protocol {proto!r}; descend reads fsspec's protocols (s3, gs, "
                "http, https, memory, file, az...) or a local path"
            ) from None
        raise DataError(f"{url}: {str(exc)[:200]}") from None
    except TypeError as exc:  # a storage option the filesystem does not take
        raise InputError(
            f"{url}: a storage option is not accepted by the {proto}:// filesystem "
            f"({str(exc)[:160]}); check --storage-option"
        ) from None


def timeout_of(storage_options: Mapping[str, Any] | None) -> float:
    """The deadline in seconds that ``storage_options`` ask for (``timeout``), checked."""
    value = (storage_options or {}).get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
        raise InputError(
            f"--storage-option timeout={value}: give the deadline as a positive number of "
            f"seconds, e.g. --storage-option timeout=120 (default {DEFAULT_TIMEOUT:g})"
        )
    return float(value)


def _with_deadlines(proto: str, storage_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """fsspec's options for ``proto`` with a connect and a read timeout and bounded retries;
    the user's own settings (``client_kwargs.timeout``, ``config_kwargs.*``) win."""
    options = dict(storage_options or {})
    t = timeout_of(options)
    min_rate_of(options)
    options.pop("timeout", None)
    options.pop("min_rate", None)
    if proto in ("http", "https"):
        import aiohttp

        client = dict(options.get("client_kwargs") or {})
        client.setdefault("timeout", aiohttp.ClientTimeout(total=None, connect=t,
                                                           sock_connect=t, sock_read=t))
        options["client_kwargs"] = client
    elif proto in ("s3", "s3a"):
        options["config_kwargs"] = s3_config(options.get("config_kwargs"), t)
    elif proto in ("gs", "gcs"):
        options.setdefault("requests_timeout", gcs_timeout(t))
    return options


#: host -> when it last let a deadline pass (time.monotonic()): for that long again it is not
#: asked (a command's next steps -- the engine's size probe, the sniffer, the read -- would
#: each wait the whole timeout: a silent server took 5x the timeout).
_STALLED: dict[str, float] = {}


def _host(url: str) -> str:
    return f"{_protocol(url)}://{_bucket(url)}"


def _check_stalled(url: str, timeout: float) -> None:
    import time

    since = _STALLED.get(_host(url))
    if since is not None and time.monotonic() - since < timeout:
        raise DataError(
            f"{url}: no answer within {timeout:g} s; check the address and the network, or "
            "allow longer with --storage-option timeout=SECONDS"
        )


def _is_timeout(exc: BaseException) -> bool:
    return any(isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in _chain(exc))


def _bucket(url: str) -> str:
    rest = _URL.sub("", url)
    return rest.split("/", 1)[0]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _is_reset(e: BaseException) -> bool:
    """A connection the server accepted and then reset (ECONNRESET, EPIPE), not a refusal."""
    name = type(e).__name__
    return isinstance(e, ConnectionResetError) or name == "ServerDisconnectedError" or (
        name == "ClientOSError" and getattr(e, "errno", None) in (errno.ECONNRESET, errno.EPIPE))


def _named(url: str, exc: BaseException, timeout: float | None) -> DataError | None:
    """The store's answer in ``exc`` (or what it was raised from) in words, if known."""
    t = f"{timeout:g}" if timeout is not None else f"{DEFAULT_TIMEOUT:g}"
    reset = any(_is_reset(e) for e in _chain(exc))  # botocore: "Could not connect" over a reset
    for e in _chain(exc):
        name = type(e).__name__
        status = getattr(e, "status", None)
        if status is None and isinstance(getattr(e, "response", None), dict):  # botocore's
            st = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")  # type: ignore[attr-defined]
            status = st if isinstance(st, int) and st >= 500 else None  # 403: S3's words below
        if isinstance(e, OSError) and e.errno == 121 and "Server Error" in str(e):
            status = 500  # s3fs's EREMOTEIO for a 5xx answer
        status = gcs_status(e) if status is None else status
        if isinstance(status, int) and status >= 400 and status != 404:
            reason = "" if gcs_status(e) else getattr(e, "message", "") or ""  # GCS: ", 500"
            if status in (401, 403):
                return DataError(
                    f"{url}: access denied (HTTP {status} {reason}); check the credentials "
                    "or the object's permissions".replace(" )", ")")
                )
            kind = "server error" if status >= 500 else "refused"
            return DataError(
                f"{url}: {kind} (HTTP {status} {reason}); try again later or check the URL"
                .replace(" )", ")")
            )
        if name in ("ClientPayloadError", "ContentLengthError", "TransferEncodingError",
                    "IncompleteReadError", "IncompleteRead", "ResponseStreamingError"):
            return DataError(
                f"{url}: the download was cut short (the server closed the connection before "
                "the whole object arrived); try again"
            )
        if isinstance(e, TimeoutError) or "Timeout" in name:
            return DataError(
                f"{url}: no answer within {t} s; check the address and the network, or allow "
                "longer with --storage-option timeout=SECONDS"
            )
        if _is_reset(e):
            return DataError(f"{url}: connection lost (the server reset it); try again")
        if not reset and (isinstance(e, ConnectionRefusedError) or name in (
                "ClientConnectorError", "EndpointConnectionError")):
            return DataError(
                f"{url}: cannot connect (refused); check the address (--storage-option "
                "endpoint_url=...) and that the server runs"
            )
    return None


@contextmanager
def remote_errors(url: str, timeout: float | None = None) -> Iterator[None]:
    """Turn a store's failure inside the block into one :class:`DataError` naming ``url``."""
    _check_stalled(url, DEFAULT_TIMEOUT if timeout is None else timeout)
    try:
        yield
    except DataError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception as exc:
        if _is_timeout(exc):
            import time

            _STALLED[_host(url)] = time.monotonic()
        named = _named(url, exc, timeout)
        if named is not None:
            raise named from None
        _classic(url, exc)


def _classic(url: str, exc: Exception) -> None:
    """What :func:`remote_errors` says when :func:`_named` knows no better."""
    try:
        raise exc
    except FileNotFoundError as exc:
        text = str(exc)
        if "bucket does not exist" in text.lower() or "NoSuchBucket" in text:
            raise DataError(
                f"{url}: the bucket {_bucket(url)!r} does not exist; check the URL (and "
                "--storage-option endpoint_url=... for a store other than AWS)"
            ) from None
        raise DataError(f"{url}: no such object; check the URL") from None
    except PermissionError as exc:
        raise DataError(
            f"{url}: access denied ({str(exc) or 'forbidden'}); check the credentials "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or --storage-option key=... "
            "secret=...) and the bucket's permissions"
        ) from None
    except TypeError as exc:  # s3fs passes unknown options on to its session: it fails here
        raise InputError(
            f"{url}: a storage option is not accepted by the filesystem ({str(exc)[:160]}); "
            "check --storage-option"
        ) from None
    except (ConnectionError, TimeoutError) as exc:
        raise DataError(
            f"{url}: cannot reach the store ({type(exc).__name__}: {str(exc)[:120]}); check "
            "the address and the network"
        ) from None
    except OSError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{url}: cannot be read ({first[:200]})") from None
    except Exception as exc:
        # botocore's and aiohttp's own exceptions (an endpoint that refuses, bad credentials
        # found before any request...) are not OSErrors; say which, in one line.
        name = type(exc).__name__
        if type(exc).__module__.split(".")[0] in ("botocore", "aiobotocore", "aiohttp", "gcsfs",
                                                   "s3fs", "fsspec", "google", "requests"):
            first = (str(exc).strip().splitlines() or [name])[0]
            if "Connect" in name or "Timeout" in name:
                raise DataError(
                    f"{url}: cannot reach the store ({first[:160]}); check the address "
                    "(--storage-option endpoint_url=...) and the network"
                ) from None
            if "credential" in first.lower():
                raise DataError(
                    f"{url}: no credentials ({first[:160]}); set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or --storage-option anon=true for a public bucket"
                ) from None
            raise DataError(f"{url}: cannot be read ({name}: {first[:200]})") from None
        raise


def remote_files(
    spec: str, storage_options: Mapping[str, Any] | None = None
) -> tuple[list[str], str]:
    """The objects behind a URL DATA argument and how it was read (``file``, ``folder``,
    ``glob``), as full URLs; the rule is :func:`descend.io.data_files`'s."""
    from descend.io._input import GLOB_PREFIX

    globbed = spec.startswith(GLOB_PREFIX)
    url = spec[len(GLOB_PREFIX):] if globbed else spec
    fs, path = _filesystem(url, storage_options)
    t = timeout_of(storage_options)
    with remote_errors(url, t):
        if not globbed:
            try:
                info = bounded(fs, "info", path, timeout=t)
            except FileNotFoundError:
                if not any(c in url for c in "*?"):
                    raise
                globbed = True
            else:
                if info.get("type") == "directory":
                    found = sorted(
                        p for p in bounded(fs, "find", path, timeout=t)
                        if p.lower().endswith(_PARQUET)
                    )
                    if not found:
                        raise DataError(f"{url}: folder holds no .parquet objects")
                    return [fs.unstrip_protocol(p) for p in found], "folder"
                if info.get("type") != "file":
                    raise DataError(f"{url}: is not a regular file; give a CSV or Parquet file")
                return [url], "file"
        found = sorted(bounded(fs, "glob", path, timeout=t))
        files = [p for p in found if bounded(fs, "isfile", p, timeout=t)]
        if not files:
            raise DataError(f"{spec}: no object matches this pattern; check the glob")
        return [fs.unstrip_protocol(p) for p in files], "glob"


def remote_size(url: str, storage_options: Mapping[str, Any] | None = None) -> int:
    """The object's size in bytes."""
    fs, path = _filesystem(url, storage_options)
    t = timeout_of(storage_options)
    with remote_errors(url, t):
        return int(bounded(fs, "size", path, timeout=t))


def read_bytes(url: str, storage_options: Mapping[str, Any] | None = None) -> bytes:
    """The whole object, in memory (the in-memory engine's read); over HTTP read as it comes,
    under the minimum rate and with progress lines (:class:`~descend.io._rate.Meter`)."""
    fs, path = _filesystem(url, storage_options)
    t = timeout_of(storage_options)
    with remote_errors(url, t):
        if _protocol(url) not in ("http", "https"):  # S3, GCS: as it arrives, under the min rate
            read = read_s3 if is_s3(fs) else read_gcs if is_gcs(fs) else None
            return (read(fs, path, url, t, min_rate_of(storage_options)) if read
                    else bytes(fs.cat_file(path)))
        meter = Meter(url, t, min_rate_of(storage_options))
        parts = []
        with fs.open(path, "rb", block_size=0) as body:  # one GET, the body as it arrives
            while chunk := body.read(1 << 20):
                parts.append(chunk)
                meter.add(len(chunk))
        return b"".join(parts)


def open_input(url: str, storage_options: Mapping[str, Any] | None = None) -> Any:
    """A buffered, seekable binary file object on the object (read in blocks on demand).

    Blocks of 4 MiB, the last 8 kept (32 MiB at most): Parquet's reader alternates between
    the column chunks of a row group, which a single read-ahead window re-fetches every time
    (a streamed statistics pass over a 44 MB Parquet object on the test S3 server: 1.94 s with
    fsspec's default read-ahead cache, 0.44 s with these blocks; one GET of it: 0.07 s).
    """
    fs, path = _filesystem(url, storage_options)
    t = timeout_of(storage_options)
    with remote_errors(url, t):
        # HTTP's open asks for the size by HEAD then GET, each up to the timeout: asked here
        # under one deadline instead
        size = ({"size": bounded(fs, "size", path, timeout=t)}
                if _protocol(url) in ("http", "https") else {})
        raw = fs.open(path, "rb", block_size=4 << 20, cache_type="blockcache",
                      cache_options={"maxblocks": 8}, **size)
        rate, blocks = min_rate_of(storage_options), meter_gcs_blocks if is_gcs(fs) else meter_blocks
        bound_blocks(raw, url, t, rate) if size else blocks(raw, fs, path, url, t, rate)  # S3, GCS
    return GuardedFile(raw, url, t)


class GuardedFile:
    """A remote file whose every read is inside :func:`remote_errors`: a body cut short, a
    reset or a stall met by a later read (the CSV sniffer's, the parser's) is one
    :class:`DataError` naming the URL, never aiohttp's traceback."""

    def __init__(self, raw: Any, url: str, timeout: float | None = None):
        self._raw = raw
        self.url = url
        self._timeout = timeout

    def _call(self, name: str, *args: Any) -> Any:
        with remote_errors(self.url, self._timeout):
            return getattr(self._raw, name)(*args)

    def read(self, size: int = -1) -> bytes:
        return self._call("read", size)  # type: ignore[no-any-return]

    def read1(self, size: int = -1) -> bytes:
        return self._call("read", size)  # type: ignore[no-any-return]

    def readinto(self, b: Any) -> int:
        return self._call("readinto", b)  # type: ignore[no-any-return]

    def readline(self, size: int = -1) -> bytes:
        return self._call("readline", size)  # type: ignore[no-any-return]

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._call("seek", offset, whence)  # type: ignore[no-any-return]

    def tell(self) -> int:
        return self._raw.tell()  # type: ignore[no-any-return]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(self._raw.closed)

    def close(self) -> None:
        self._raw.close()

    def flush(self) -> None:
        return None

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def __enter__(self) -> GuardedFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_raw", "url", "_timeout"):
            raise AttributeError(name)  # unpickling, copying: never recurse
        return getattr(self._raw, name)


def arrow_dataset(urls: Sequence[str], storage_options: Mapping[str, Any] | None = None) -> Any:
    """A ``pyarrow.dataset`` of Parquet objects over their fsspec filesystem."""
    import pyarrow.dataset as ds
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs, _ = _filesystem(urls[0], storage_options)
    paths = [_filesystem(u, storage_options)[1] for u in urls]
    with remote_errors(urls[0], timeout_of(storage_options)):
        return ds.dataset(paths, format="parquet", filesystem=PyFileSystem(FSSpecHandler(fs)))


class RemoteFile:
    """A URL standing where the CSV reader expects a :class:`~pathlib.Path`: ``open``,
    ``read_bytes``, ``name``, ``suffix``; ``str()`` is the URL, so messages name it."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None):
        self.url = url
        self.storage_options = dict(storage_options or {})

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemoteFile({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteFile) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    @property
    def name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        return name[name.rfind("."):] if "." in name else ""

    def read_bytes(self) -> bytes:
        return read_bytes(self.url, self.storage_options)

    def stat(self) -> Any:
        """Only ``st_size``, the object's size in the store."""
        from types import SimpleNamespace

        return SimpleNamespace(st_size=remote_size(self.url, self.storage_options))

    def open(self, mode: str = "rb", encoding: str | None = None, newline: str | None = None
             ) -> Any:
        raw = open_input(self.url, self.storage_options)
        if "b" in mode:
            return raw
        return io.TextIOWrapper(raw, encoding=encoding or "utf-8", newline=newline)
