""":func:`open_source`: which source class each kind of input gets, spooling, naming."""

from __future__ import annotations

import os

import aiohttp
import yarl
from aiohttp import web

from ..errors import MediaSourceError
from ..sniff import SNIFF_BYTES, extension_for, sniff_media_type
from .async_files import AsyncFileSource
from .base import DEFAULT_MAX_DOWNLOAD_SIZE, MediaSource
from .checks import _check_size
from .fileobjects import _probe_file
from .files import PathSource, SpooledSource, SyncFileSource
from .memory import BytesSource
from .network import ResponseSource, _fetch, _http_url
from .streams import AsyncIterableSource, StreamSource

_ACCEPTED_KINDS = (
    "a file path (str or pathlib.Path), an http(s) URL (str or yarl.URL, with session=), "
    "bytes / bytearray / memoryview, a binary file object (open(path, 'rb')), an aiofiles "
    "file (aiofiles.open(path, 'rb')), an aiohttp.ClientResponse, an aiohttp.StreamReader, "
    "an aiohttp.web.Request, an aiohttp.BodyPartReader (multipart field), or an async "
    "iterable of bytes"
)


async def _dispatch(
    obj: object,
    *,
    session: aiohttp.ClientSession | None,
    max_download_size: int,
    size: int | None,
    filename: str | None,
    block_private_networks: bool = False,
) -> MediaSource:
    """Build the source for ``obj`` (maybe of unknown size; the caller spools)."""
    cap = max_download_size
    if isinstance(obj, bytes | bytearray | memoryview):
        return BytesSource(obj, filename=filename, size=size)
    if isinstance(obj, str | yarl.URL):
        url = _http_url(obj)
        if url is not None:
            return await _fetch(
                url,
                session,
                max_download_size=cap,
                size=size,
                filename=filename,
                block_private_networks=block_private_networks,
            )
    if isinstance(obj, str | os.PathLike):
        path = os.fspath(obj)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        source = await PathSource.open(path, filename=filename)
        if size is not None:
            if size > source.size:  # type: ignore[operator]  # PathSource size is an int
                await source.aclose()
                raise MediaSourceError(
                    f"size={size} but {source.describe()} has only {source.size} bytes"
                )
            source.size = size
            source._exact_size = False  # the first ``size`` bytes, whatever follows
        return source
    if isinstance(obj, aiohttp.ClientResponse):
        return ResponseSource(obj, size=size, filename=filename, max_bytes=cap)
    if isinstance(obj, web.BaseRequest):
        return StreamSource.from_request(obj, size=size, filename=filename, max_bytes=cap)
    if isinstance(obj, aiohttp.BodyPartReader):
        return StreamSource.from_part(obj, size=size, filename=filename, max_bytes=cap)
    if isinstance(obj, aiohttp.StreamReader):
        return StreamSource(obj, size=size, filename=filename, max_bytes=cap)
    if callable(getattr(obj, "read", None)):
        if await _probe_file(obj):
            return await AsyncFileSource.create(obj, size=size, filename=filename)
        return await SyncFileSource.create(obj, size=size, filename=filename)  # type: ignore[arg-type]
    if hasattr(obj, "__aiter__"):
        return AsyncIterableSource(obj, size=size, filename=filename, max_bytes=cap)
    raise MediaSourceError(f"cannot read media from {type(obj).__name__}; pass {_ACCEPTED_KINDS}")


async def open_source(
    obj: object,
    *,
    session: aiohttp.ClientSession | None = None,
    max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
    size: int | None = None,
    filename: str | None = None,
    spool_dir: str | None = None,
    block_private_networks: bool = False,
) -> MediaSource:
    """Open ``obj`` as a :class:`MediaSource` with a known, non-zero ``size``.

    Accepts a path (``str`` / ``os.PathLike``), an http(s) URL (``str`` / ``yarl.URL``,
    fetched with ``session.get(url)`` and nothing else), ``bytes`` / ``bytearray`` /
    ``memoryview``, a binary file object, an aiofiles file, an ``aiohttp.ClientResponse``,
    an ``aiohttp.StreamReader``, an ``aiohttp.web.Request``, an ``aiohttp.BodyPartReader`` or
    an async iterable of bytes.  Anything else, text-mode files, closed files, missing paths,
    directories, non-2xx responses and empty media raise :class:`MediaSourceError`.

    ``size`` declares the length of a stream (a stream ending early is an error) or limits a
    file or bytes to their first ``size`` bytes.  Inputs still of unknown size are spooled to
    an anonymous temporary file in ``spool_dir``.  Bytes taken from the network or any other
    one-pass stream are capped at ``max_download_size`` (:class:`MediaTooLarge`, checked
    against ``Content-Length`` first, then while reading).  ``filename`` overrides the name.

    The result must be closed (``async with``); it closes only what it opened.  If this
    function fails or is cancelled, whatever it opened is closed again.

    ``block_private_networks`` refuses URLs (and redirect hops) whose host resolves to a
    loopback, private or link-local address (see :mod:`asyncmedia.netguard`).
    """
    size = _check_size(size)
    if isinstance(obj, MediaSource):
        return obj
    source = await _dispatch(
        obj,
        session=session,
        max_download_size=max_download_size,
        size=size,
        filename=filename,
        block_private_networks=block_private_networks,
    )
    try:
        if source.size is None:
            inner = source
            try:
                source = await SpooledSource.spool(
                    inner, max_bytes=max_download_size, spool_dir=spool_dir
                )
            finally:
                await inner.aclose()
        if source.size == 0:
            raise MediaSourceError(f"{source.describe()} is empty")
        if not source._filename_known:
            head = await source.peek(SNIFF_BYTES)
            media_type = sniff_media_type(head) or source.content_type
            source.filename = "media" + extension_for(media_type)
    except BaseException:
        await source.aclose()
        raise
    return source
