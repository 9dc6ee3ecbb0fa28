"""The :class:`MediaSource` base: the read / peek / seek / aclose contract every source keeps.

Subclasses provide ``_read_raw`` (and ``_seek_raw`` / ``_close`` when they can); this class
accumulates short reads, buffers what :meth:`MediaSource.peek` took, checks the declared size
and the byte cap, and refuses a one-pass source going backwards.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Awaitable
from types import TracebackType
from typing import Self, TypeVar

from ..errors import AsyncMediaError, MediaSourceError
from ..sniff import SNIFF_BYTES
from .checks import _check_size, _declared_type, _safe_filename, _too_large

_T = TypeVar("_T")

DEFAULT_MAX_DOWNLOAD_SIZE = 512 * 1024 * 1024 + 1
"""Default cap on bytes taken from the network or any one-pass stream (512 MiB + 1)."""

FINGERPRINT_BYTES = 64 * 1024
SPOOL_CHUNK_SIZE = 1024 * 1024
"""Chunk size used when copying a stream of unknown size to the spool file."""

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
        self.size = _check_size(size)
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
        # Whether the media must end exactly at ``size`` (a measured file, an async iterable):
        # then one more byte after the last is an error, not silently left out.
        self._exact_size = False

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
        chunk = await self._guarded_read(n)
        if len(chunk) > n:  # a misbehaving object; never hand out more than asked
            raise MediaSourceError(f"{self.describe()} returned more bytes than requested")
        await self._accept(len(chunk))
        return chunk

    async def _next_raw_into(self, view: memoryview) -> int:
        """Like :meth:`_next_raw`, into ``view``: the number of bytes written to it."""
        n = view.nbytes
        if self.size is not None:
            n = min(n, self.size - self._raw_pos)
            if n <= 0:
                return 0
        got = await self._guarded(self._read_raw_into(view[:n]))
        if not isinstance(got, int) or not 0 <= got <= n:
            raise MediaSourceError(f"{self.describe()} returned a bad read count {got!r}")
        await self._accept(got)
        return got

    async def _read_raw_into(self, view: memoryview) -> int:
        """Fill the start of ``view`` from the underlying object; the default goes through
        :meth:`_read_raw` (sources that can read without the copy override it)."""
        chunk = await self._guarded_read(view.nbytes)
        if len(chunk) > view.nbytes:
            raise MediaSourceError(f"{self.describe()} returned more bytes than requested")
        view[: len(chunk)] = chunk
        return len(chunk)

    async def _accept(self, got: int) -> None:
        """Account for ``got`` bytes just taken from the underlying object (0: its end),
        checking the declared size, the cap and that the media did not grow."""
        if not got:
            if self.size is not None and self._raw_pos < self.size:
                raise MediaSourceError(
                    f"{self.describe()} ended after {self._raw_pos} bytes, "
                    f"{self.size} expected; refusing to upload truncated media"
                )
            return
        self._raw_pos += got
        if self._max_bytes is not None and self._raw_pos > self._max_bytes:
            raise _too_large(self.describe(), self._max_bytes, None)
        exact_end = self._exact_size and self._raw_pos == self.size
        if exact_end and await self._guarded_read(1):
            raise MediaSourceError(
                f"{self.describe()} has more than the {self.size} bytes it started with "
                "(it grew during the upload, or yielded more than size=); refusing to "
                "upload part of it"
            )

    async def _guarded(self, read: Awaitable[_T]) -> _T:
        """Await one read of the underlying object; anything it raises, but our own errors,
        becomes a MediaSourceError (with the original as its cause)."""
        try:
            return await read
        except AsyncMediaError:
            raise
        except Exception as exc:  # OSError(EIO), "read of closed file", a bad iterator...
            raise MediaSourceError(
                f"reading {self.describe()} failed after {self._raw_pos} bytes: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    async def _guarded_read(self, n: int) -> bytes:
        """``_read_raw`` through :meth:`_guarded`, its answer checked to be bytes."""
        chunk: object = await self._guarded(self._read_raw(n))
        if not isinstance(chunk, bytes):
            if not isinstance(chunk, bytearray | memoryview):
                raise MediaSourceError(
                    f"{self.describe()} returned {type(chunk).__name__}, not bytes"
                )
            chunk = bytes(chunk)
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

    async def readinto(self, buffer: memoryview | bytearray) -> int:
        """Fill ``buffer`` with the next bytes (what :meth:`read` would return) and return
        how many; fewer than its length only at the end of the media.

        Files are read straight into ``buffer``, without an intermediate ``bytes`` object
        (the chunked uploader reads its parts this way, into memory it reuses).
        """
        self._check_open()
        view = memoryview(buffer).cast("B")
        want = view.nbytes
        filled = 0
        if self._buffer:
            filled = min(len(self._buffer), want)
            view[:filled] = self._buffer[:filled]
            del self._buffer[:filled]
        while filled < want:
            got = await self._next_raw_into(view[filled:])
            if not got:
                break
            filled += got
        self._pos += filled
        return filled

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
            try:
                await self._seek_raw(offset)
            except AsyncMediaError:
                raise
            except Exception as exc:  # a file closed under us, OSError...
                raise MediaSourceError(
                    f"cannot seek {self.describe()} to {offset}: {type(exc).__name__}: {exc}"
                ) from exc
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
        # Every _close() that releases a resource does it without suspending (files are
        # closed inline, responses released): a cancellation cannot drop it half-way.
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
