"""One-pass streams: an ``aiohttp.StreamReader``, a ``web.Request`` body, a multipart field,
or an async iterable of bytes chunks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator

import aiohttp
from aiohttp import hdrs, web

from ..errors import MediaSourceError
from .base import MediaSource

_PART_CHUNK_SIZE = 64 * 1024  # minimum read_chunk() size for multipart fields


class StreamSource(MediaSource):
    """An ``aiohttp.StreamReader`` (e.g. ``request.content``) or a multipart ``BodyPartReader``.

    Never closed by asyncmedia.  Use :meth:`from_request` / :meth:`from_part` for a
    ``web.Request`` body or a multipart field (``await request.multipart()``).
    """

    def __init__(
        self,
        stream: aiohttp.StreamReader | aiohttp.BodyPartReader,
        *,
        size: int | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        label: str | None = None,
        max_bytes: int | None = None,
    ) -> None:
        super().__init__(
            size=size,
            filename=filename,
            content_type=content_type,
            seekable=False,
            max_bytes=max_bytes,
        )
        self._stream = stream
        self._pending = memoryview(b"")
        if label is None:
            label = "multipart field" if isinstance(stream, aiohttp.BodyPartReader) else "stream"
        self._label = label

    @classmethod
    def from_request(
        cls,
        request: web.BaseRequest,
        *,
        size: int | None = None,
        filename: str | None = None,
        max_bytes: int | None = None,
    ) -> StreamSource:
        """The body of an incoming ``aiohttp.web`` request (size from its Content-Length)."""
        return cls(
            request.content,
            size=size if size is not None else request.content_length,
            filename=filename,
            content_type=request.headers.get(hdrs.CONTENT_TYPE),
            label=f"request body ({request.method} {request.path})",
            max_bytes=max_bytes,
        )

    @classmethod
    def from_part(
        cls,
        part: aiohttp.BodyPartReader,
        *,
        size: int | None = None,
        filename: str | None = None,
        max_bytes: int | None = None,
    ) -> StreamSource:
        """A multipart field; file name and type come from the part headers."""
        field = f" {part.name!r}" if part.name else ""
        return cls(
            part,
            size=size,
            filename=filename if filename is not None else part.filename,
            content_type=part.headers.get(hdrs.CONTENT_TYPE),
            label=f"multipart field{field}",
            max_bytes=max_bytes,
        )

    async def _read_raw(self, n: int) -> bytes:
        if not isinstance(self._stream, aiohttp.BodyPartReader):
            return await self._stream.read(n)
        # read_chunk() needs a size of at least the boundary length and may hand back a
        # little more than asked: read bounded pieces and keep what is left over.
        while not self._pending:
            chunk = await self._stream.read_chunk(max(n, _PART_CHUNK_SIZE))
            if not chunk:
                return b""
            self._pending = memoryview(chunk)
        out = bytes(self._pending[:n])
        self._pending = self._pending[n:]
        return out

    def describe(self) -> str:
        return self._label


class AsyncIterableSource(MediaSource):
    """An async iterable of bytes chunks (e.g. an async generator).

    With ``size`` the chunks are streamed; ending early, or yielding more than ``size``
    bytes, raises :class:`MediaSourceError`.  Without ``size``, :func:`open_source` spools.
    The caller's iterator is not closed (only an iterator this source made from an iterable).
    """

    def __init__(
        self,
        iterable: AsyncIterable[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> None:
        super().__init__(
            size=size,
            filename=filename,
            content_type=content_type,
            seekable=False,
            max_bytes=max_bytes,
        )
        try:
            self._iterator: AsyncIterator[bytes] = aiter(iterable)
        except TypeError as exc:
            raise MediaSourceError(f"cannot iterate {type(iterable).__name__}: {exc}") from exc
        self._own_iterator = self._iterator is not iterable
        self._pending = memoryview(b"")
        self._received = 0
        self._exact_size = True  # yielding more than size= is an error, never cut off

    async def _read_raw(self, n: int) -> bytes:
        while not self._pending:
            try:
                chunk = await anext(self._iterator)
            except StopAsyncIteration:
                return b""
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise MediaSourceError(
                    f"{self.describe()} yielded {type(chunk).__name__}; yield bytes chunks"
                )
            view = memoryview(chunk).cast("B")
            self._received += view.nbytes
            if self.size is not None and self._received > self.size:
                raise MediaSourceError(
                    f"{self.describe()} yielded more than size={self.size} bytes"
                )
            self._pending = view
        out = bytes(self._pending[:n])
        self._pending = self._pending[n:]
        return out

    async def _close(self) -> None:
        self._pending = memoryview(b"")
        closer = getattr(self._iterator, "aclose", None)
        if self._own_iterator and callable(closer):
            # Shielded: cancelled meanwhile, the iterator still finishes closing.
            closing = asyncio.ensure_future(closer())
            closing.add_done_callback(lambda done: done.cancelled() or done.exception())
            await asyncio.shield(closing)

    def describe(self) -> str:
        return "async iterable"
