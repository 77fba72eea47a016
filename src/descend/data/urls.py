"""Data at a URL (``s3://``, ``gs://``, ``https://``, ``memory://``...): the public face of
descend's fsspec layer (:mod:`descend.io._remote`), for every reader of rows.

A reader asks :func:`is_url` / :func:`is_remote` whether a name is a URL, :func:`url_files`
which objects a URL DATA argument names (one object, a folder of Parquet objects, a glob),
:func:`open_url` for a buffered, seekable file on one object (read in blocks on demand),
:class:`RemoteFile` for a URL standing where a :class:`~pathlib.Path` is expected, and
:func:`url_errors` to turn a store's failure into one :class:`~descend.errors.DataError`
naming the URL. ``storage_options`` (credentials, endpoint...) go to the fsspec filesystem;
:func:`parse_storage_options` reads them from ``--storage-option KEY=VALUE`` flags.

The protocol's package (``s3fs``, ``gcsfs``, ``aiohttp``, ``adlfs``) is imported only when a
URL of that protocol is opened.
"""

from __future__ import annotations

from descend.io._remote import (
    RemoteFile,
    arrow_dataset,
    is_remote,
    is_url,
    open_input,
    parse_storage_options,
    remote_errors,
    remote_files,
    remote_size,
)

#: A buffered, seekable binary file on the object at a URL (fsspec), closed by ``with``.
open_url = open_input
#: ``(urls, how)``: the objects a URL DATA argument names, and how (file, folder, glob).
url_files = remote_files
#: The size in bytes of the object at a URL.
url_size = remote_size
#: A context in which a store's failure becomes one DataError naming the URL.
url_errors = remote_errors

__all__ = [
    "RemoteFile",
    "arrow_dataset",
    "is_remote",
    "is_url",
    "open_url",
    "parse_storage_options",
    "url_errors",
    "url_files",
    "url_size",
]
