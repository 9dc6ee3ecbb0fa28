"""Media sources: one async read interface over every kind of input asyncmedia accepts.

:func:`open_source` turns what the caller passed (a path, an http(s) URL, bytes, a binary file
object, an aiofiles file, an ``aiohttp`` response / stream / request / multipart part, or an
async iterable of bytes) into a :class:`MediaSource` with a known ``size``, a best-effort
``filename``, the *declared* ``content_type`` and ``read`` / ``peek`` / ``seek`` / ``aclose``.

What this package must not do:

* read a whole file or stream into memory (chunks are bounded by the ``n`` asked for; inputs
  of unknown size are spooled to an anonymous temporary file, 1 MiB at a time);
* block the event loop on file I/O (real files are read in a worker thread);
* close anything the caller owns: only paths it opened, responses it fetched and its spool
  files are closed by :meth:`MediaSource.aclose`;
* send anything but a plain ``session.get(url)`` when downloading (no extra headers, but
  ``Accept-Encoding: identity`` from a session that does not decode content encodings).

It does not decide the media type (see :mod:`asyncmedia.sniff`) nor enforce per-type limits.

>>> async def example(session):
...     async with await open_source("https://example.com/cat.png", session=session) as src:
...         head = await src.peek(64)
...         while chunk := await src.read(1 << 20):
...             ...


Where each kind lives: :mod:`.base` (the :class:`MediaSource` contract), :mod:`.memory`
(bytes), :mod:`.files` (binary file objects, paths, spool files), :mod:`.async_files`
(aiofiles), :mod:`.fileobjects` (closed / text-mode checks), :mod:`.network` (responses, URL
downloads), :mod:`.streams` (``StreamReader``, requests, multipart fields, async iterables),
:mod:`.dispatch` (:func:`open_source`), :mod:`.checks` (size, cap, names).
"""

from __future__ import annotations

from .async_files import AsyncFileSource
from .base import DEFAULT_MAX_DOWNLOAD_SIZE, SPOOL_CHUNK_SIZE, MediaSource
from .dispatch import open_source
from .files import PathSource, SpooledSource, SyncFileSource
from .memory import BytesSource
from .network import ResponseSource
from .streams import AsyncIterableSource, StreamSource

__all__ = [
    "DEFAULT_MAX_DOWNLOAD_SIZE",
    "SPOOL_CHUNK_SIZE",
    "AsyncFileSource",
    "AsyncIterableSource",
    "BytesSource",
    "MediaSource",
    "PathSource",
    "ResponseSource",
    "SpooledSource",
    "StreamSource",
    "SyncFileSource",
    "open_source",
]
