"""The :class:`MediaSource` base: the read / peek / seek / aclose contract every source keeps.

Subclasses provide ``_read_raw`` (and ``_seek_raw`` / ``_close`` when they can); this class
accumulates short reads, buffers what :meth:`MediaSource.peek` took, checks the declared size
and the byte cap, and refuses a one-pass source going backwards.
"""

from __future__ import annotations

import abc
import hashlib
import os
from types import TracebackType
from typing import Self

from ..errors import MediaSourceError, MediaTooLarge
from ..sniff import SNIFF_BYTES

DEFAULT_MAX_DOWNLOAD_SIZE = 512 * 1024 * 1024 + 1
"""Default cap on bytes taken from the network or any one-pass stream (512 MiB + 1)."""

FINGERPRINT_BYTES = 64 * 1024
SPOOL_CHUNK_SIZE = 1024 * 1024
"""Chunk size used when copying a stream of unknown size to the spool file."""

_UNDECLARED_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "text/plain"})


def _declared_type(value: str | None) -> str | None:
    """Normalise a declared Content-Type; generic declarations say nothing, so ``None``."""
    if not value:
        return None
    bare = value.split(";", 1)[0].strip().lower()
    if not bare or bare in _UNDECLARED_TYPES:
        return None
    return bare


def _safe_filename(name: object) -> str | None:
    """Return the last path component of ``name`` if it is a usable file name, else ``None``."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if not isinstance(name, str):
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", ".."):
        return None
    return base


def _too_large(what: str, limit: int, size: int | None) -> MediaTooLarge:
    seen = f" ({size} bytes)" if size is not None else ""
    return MediaTooLarge(
        f"{what} is larger than the download cap of {limit} bytes{seen}; "
        "raise max_download_size= if this is intended",
        size=size,
        limit=limit,
    )


class MediaSource(abc.ABC):
    """Async, chunked access to the bytes of one piece of media.

    Attributes:

    ``size``
        total bytes of the media (``None`` only for sources built by hand over a stream of
        unknown length; :func:`open_source` always returns a known size).
    ``filename``
        best-effort file name, never containing a directory (``"media"`` plus an extension
        when nothing better is known).
    ``content_type``
        the type *declared* by the input (a response's or multipart field's Content-Type),
        parameters stripped; ``None`` when nothing, or only a generic type such as
        ``application/octet-stream`` or ``text/plain``, was declared.
    ``seekable``
        whether :meth:`seek` can go backwards (otherwise the source is one-pass).

    Use as ``async with``; :meth:`aclose` closes only what asyncmedia itself opened.
    """

    size: int | None
    filename: str
    content_type: str | None
    seekable: bool

    def __init__(
        self,
        *,
        size: int | None,
        filename: str | None,
        content_type: str | None,
        seekable: bool,
        max_bytes: int | None = None,
    ) -> None:
        if size is not None and size < 0:
            raise MediaSourceError(f"size must be >= 0, got {size}")
        self.size = size
        safe = _safe_filename(filename)
        self.filename = safe or "media"
        self._filename_known = safe is not None
        self.content_type = _declared_type(content_type)
        self.seekable = seekable
        # Bytes taken from the underlying object but not yet returned by read() (peek).
        self._buffer = bytearray()
        self._pos = 0  # position of the next read(), relative to the start of the media
        self._raw_pos = 0  # position of the underlying object, relative to the start
        self._max_bytes = max_bytes
        self._closed = False

    # -- what subclasses provide -------------------------------------------------------

    @abc.abstractmethod
    async def _read_raw(self, n: int) -> bytes:
        """Return between 1 and ``n`` bytes from the underlying object, ``b""`` at its end."""

    async def _seek_raw(self, offset: int) -> None:
        """Move the underlying object to ``offset`` bytes after the start (seekable only)."""
        raise MediaSourceError(f"{self.describe()} cannot seek")

    async def _close(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Close what this source owns (nothing by default)."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Short human label used in messages, e.g. ``"file 'cat.png'"``."""

    # -- the public interface ----------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise MediaSourceError(f"{self.describe()} is closed")

    async def _next_raw(self, n: int) -> bytes:
        """One bounded read from the underlying object, with size and cap checks."""
        if self.size is not None:
            n = min(n, self.size - self._raw_pos)
            if n <= 0:
                return b""
        chunk = await self._read_raw(n)
        if len(chunk) > n:  # a misbehaving object; never hand out more than asked
            raise MediaSourceError(f"{self.describe()} returned more bytes than requested")
        if not chunk:
            if self.size is not None and self._raw_pos < self.size:
                raise MediaSourceError(
                    f"{self.describe()} ended after {self._raw_pos} bytes, "
                    f"{self.size} expected; refusing to upload truncated media"
                )
            return b""
        self._raw_pos += len(chunk)
        if self._max_bytes is not None and self._raw_pos > self._max_bytes:
            raise _too_large(self.describe(), self._max_bytes, None)
        return chunk

    async def read(self, n: int) -> bytes:
        """Return the next ``n`` bytes; fewer only at the end of the media, ``b""`` at EOF.

        Short reads of the underlying object are accumulated, so a caller cutting the media
        into segments gets full segments.
        """
        self._check_open()
        if n < 0:
            raise ValueError(f"read() needs n >= 0, got {n}")
        if n == 0:
            return b""
        if self._buffer:
            out = bytearray(self._buffer[:n])
            del self._buffer[:n]
        else:
            first = await self._next_raw(n)
            if len(first) == n or not first:
                self._pos += len(first)
                return first
            out = bytearray(first)
        while len(out) < n:
            chunk = await self._next_raw(n - len(out))
            if not chunk:
                break
            out += chunk
        self._pos += len(out)
        return bytes(out)

    async def _peek_here(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = await self._next_raw(n - len(self._buffer))
            if not chunk:
                break
            self._buffer += chunk
        return bytes(self._buffer[:n])

    async def peek(self, n: int = SNIFF_BYTES) -> bytes:
        """Return the first ``n`` bytes of the media (fewer if shorter) without consuming them.

        One-pass sources buffer what they had to read.  After reading has started, only
        seekable sources can still peek (a one-pass source raises :class:`MediaSourceError`).
        """
        self._check_open()
        if n < 0:
            raise ValueError(f"peek() needs n >= 0, got {n}")
        if self._pos == 0:
            return await self._peek_here(n)
        if not self.seekable:
            raise MediaSourceError(
                f"{self.describe()} is one-pass: peek() must come before the first read()"
            )
        position = self._pos
        await self.seek(0)
        try:
            return await self._peek_here(n)
        finally:
            await self.seek(position)

    async def seek(self, offset: int) -> None:
        """Move to ``offset`` bytes after the start of the media.

        One-pass sources only move forwards (skipped bytes are read and discarded); going
        backwards raises :class:`MediaSourceError`.
        """
        self._check_open()
        if offset < 0:
            raise MediaSourceError(f"cannot seek {self.describe()} to negative offset {offset}")
        if self.size is not None and offset > self.size:
            raise MediaSourceError(
                f"cannot seek {self.describe()} to {offset}: it has {self.size} bytes"
            )
        if self.seekable:
            await self._seek_raw(offset)
            self._buffer.clear()
            self._pos = self._raw_pos = offset
            return
        if offset < self._pos:
            raise MediaSourceError(
                f"{self.describe()} is one-pass: cannot seek back to {offset} "
                f"(already at {self._pos})"
            )
        while self._pos < offset:
            if not await self.read(min(offset - self._pos, SPOOL_CHUNK_SIZE)):
                break

    async def fingerprint(self) -> str | None:
        """A short digest identifying this media's content, or ``None`` if one-pass.

        Size, name and the first and last 64 KiB: cheap, and enough to tell a resumed upload
        is of the same file.  The position is left unchanged.
        """
        if not self.seekable or self.size is None:
            return None
        position = self._pos
        digest = hashlib.sha256(f"{self.size}:{self.filename}:".encode())
        try:
            await self.seek(0)
            digest.update(await self.read(FINGERPRINT_BYTES))
            await self.seek(max(0, self.size - FINGERPRINT_BYTES))
            digest.update(await self.read(FINGERPRINT_BYTES))
        finally:
            await self.seek(position)
        return digest.hexdigest()

    async def rewind(self) -> None:
        """Go back to the start (``seek(0)``); only possible for seekable sources."""
        await self.seek(0)

    @property
    def position(self) -> int:
        """Offset of the next :meth:`read`, relative to the start of the media."""
        return self._pos

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def aclose(self) -> None:
        """Release what asyncmedia opened for this source; idempotent.

        Caller-owned objects (files, responses, streams) are left open.
        """
        if self._closed:
            return
        self._closed = True
        self._buffer.clear()
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.describe()} size={self.size} "
            f"filename={self.filename!r} content_type={self.content_type!r}>"
        )
