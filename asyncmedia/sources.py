"""Media sources: one async read interface over every kind of input asyncmedia accepts.

:func:`open_source` turns what the caller passed (a path, an http(s) URL, bytes, a binary file
object, an aiofiles file, an ``aiohttp`` response / stream / request / multipart part, or an
async iterable of bytes) into a :class:`MediaSource` with a known ``size``, a best-effort
``filename``, the *declared* ``content_type`` and ``read`` / ``peek`` / ``seek`` / ``aclose``.

What this module must not do:

* read a whole file or stream into memory (chunks are bounded by the ``n`` asked for; inputs
  of unknown size are spooled to an anonymous temporary file, 1 MiB at a time);
* block the event loop on file I/O (real files are read in a worker thread);
* close anything the caller owns: only paths it opened, responses it fetched and its spool
  files are closed by :meth:`MediaSource.aclose`;
* send anything but a plain ``session.get(url)`` when downloading (no extra headers).

It does not decide the media type (see :mod:`asyncmedia.sniff`) nor enforce per-type limits.

>>> async def example(session):
...     async with await open_source("https://example.com/cat.png", session=session) as src:
...         head = await src.peek(64)
...         while chunk := await src.read(1 << 20):
...             ...
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import hashlib
import inspect
import io
import os
import stat
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import aiohttp
import yarl
from aiofiles.threadpool.text import AsyncTextIndirectIOWrapper, AsyncTextIOWrapper
from aiohttp import hdrs, web

from .errors import MediaSourceError, MediaTooLarge
from .netguard import check_public_url
from .sniff import SNIFF_BYTES, extension_for, sniff_media_type

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

DEFAULT_MAX_DOWNLOAD_SIZE = 512 * 1024 * 1024 + 1
"""Default cap on bytes taken from the network or any one-pass stream (512 MiB + 1)."""

FINGERPRINT_BYTES = 64 * 1024
SPOOL_CHUNK_SIZE = 1024 * 1024
"""Chunk size used when copying a stream of unknown size to the spool file."""

_T = TypeVar("_T")

_PART_CHUNK_SIZE = 64 * 1024  # minimum read_chunk() size for multipart fields

_UNDECLARED_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "text/plain"})

_ACCEPTED_KINDS = (
    "a file path (str or pathlib.Path), an http(s) URL (str or yarl.URL, with session=), "
    "bytes / bytearray / memoryview, a binary file object (open(path, 'rb')), an aiofiles "
    "file (aiofiles.open(path, 'rb')), an aiohttp.ClientResponse, an aiohttp.StreamReader, "
    "an aiohttp.web.Request, an aiohttp.BodyPartReader (multipart field), or an async "
    "iterable of bytes"
)

_TEXT_MODE_SYNC = "open it with 'rb' (e.g. open(path, 'rb'))"
_TEXT_MODE_ASYNC = "open it with 'rb' (e.g. aiofiles.open(path, 'rb'))"


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


def _mask_url(url: yarl.URL) -> str:
    """Render ``url`` for messages with any user name / password hidden."""
    if url.user is not None or url.password is not None:
        url = url.with_password(None).with_user("***")
    return str(url)


def _too_large(what: str, limit: int, size: int | None) -> MediaTooLarge:
    seen = f" ({size} bytes)" if size is not None else ""
    return MediaTooLarge(
        f"{what} is larger than the download cap of {limit} bytes{seen}; "
        "raise max_download_size= if this is intended",
        size=size,
        limit=limit,
    )


async def _open_in_thread(opener: Callable[[], _T], close: Callable[[_T], None]) -> _T:
    """Run ``opener`` in a worker thread; if we are cancelled meanwhile, close what it opens.

    Without this, a cancellation while the thread is opening a file would leave the file to
    the garbage collector (and a ResourceWarning).
    """
    future = asyncio.ensure_future(asyncio.to_thread(opener))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:

        def close_late(done: asyncio.Future[_T]) -> None:
            if not done.cancelled() and done.exception() is None:
                close(done.result())

        future.add_done_callback(close_late)
        raise


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

    async def readinto(self, buffer: memoryview | bytearray) -> int:
        """Fill ``buffer`` with the next bytes (what :meth:`read` would return) and return
        how many; fewer than its length only at the end of the media.

        Files are read straight into ``buffer``, without an intermediate ``bytes`` object
        (the chunked uploader reads its parts this way, into memory it unmaps afterwards).
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

    async def _next_raw_into(self, view: memoryview) -> int:
        """Like :meth:`_next_raw`, into ``view``; sources that can avoid the copy override it."""
        chunk = await self._next_raw(view.nbytes)
        view[: len(chunk)] = chunk
        return len(chunk)

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


class BytesSource(MediaSource):
    """Media already in memory (``bytes``, ``bytearray`` or a contiguous ``memoryview``).

    The data is not copied up front; a ``bytearray`` must not change during the upload.
    """

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        size: int | None = None,
    ) -> None:
        view = memoryview(data)
        if not view.c_contiguous:
            raise MediaSourceError(
                "memoryview is not C-contiguous; pass bytes(view) or a contiguous buffer"
            )
        self._view = view.cast("B") if view.format != "B" or view.ndim != 1 else view
        available = self._view.nbytes
        if size is not None and size > available:
            raise MediaSourceError(f"size={size} but the bytes hold only {available} bytes")
        super().__init__(
            size=available if size is None else size,
            filename=filename,
            content_type=content_type,
            seekable=True,
        )

    async def _read_raw(self, n: int) -> bytes:
        chunk = bytes(self._view[self._raw_pos : self._raw_pos + n])
        return chunk

    async def _seek_raw(self, offset: int) -> None:
        pass  # _raw_pos is the only position there is

    async def _close(self) -> None:
        self._view.release()

    def describe(self) -> str:
        return f"bytes ({self.size} bytes)"


def _is_in_memory(file: object) -> bool:
    return isinstance(file, io.BytesIO)


class SyncFileSource(MediaSource):
    """A binary file object with a blocking ``read`` (``open(path, 'rb')``, ``io.BytesIO``...).

    Real files are read in a worker thread; ``io.BytesIO`` is read directly.  Seekable files
    are read from their current position to the end (or ``size`` bytes); a non-seekable one
    needs ``size`` (else :func:`open_source` spools it).  The file is closed only when
    ``owned`` (paths asyncmedia opened, spool files).  Build it with :meth:`create`.
    """

    def __init__(
        self,
        file: IO[bytes],
        *,
        start: int,
        size: int | None,
        seekable: bool,
        owned: bool = False,
        filename: str | None = None,
        content_type: str | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(
            size=size,
            filename=filename if filename is not None else _file_name(file),
            content_type=content_type,
            seekable=seekable,
        )
        self._file = file
        self._start = start
        self._owned = owned
        self._inline = _is_in_memory(file)
        self._label = label

    @classmethod
    async def create(
        cls,
        file: IO[bytes],
        *,
        size: int | None = None,
        owned: bool = False,
        filename: str | None = None,
        content_type: str | None = None,
        label: str | None = None,
    ) -> SyncFileSource:
        """Check ``file`` is an open binary file and measure it; see the class docstring."""
        _check_sync_binary(file)
        inline = _is_in_memory(file)

        def measure() -> tuple[bool, int, int | None]:
            try:
                seekable = bool(file.seekable())
            except (AttributeError, OSError, ValueError):
                seekable = False
            if not seekable:
                return False, 0, None
            start = file.tell()
            end = file.seek(0, io.SEEK_END)
            file.seek(start)
            return True, start, max(end - start, 0)

        seekable, start, available = measure() if inline else await asyncio.to_thread(measure)
        if size is not None and available is not None and size > available:
            name = _describe_file(file)
            raise MediaSourceError(f"size={size} but {name} has only {available} bytes left")
        return cls(
            file,
            start=start,
            size=size if size is not None else available,
            seekable=seekable,
            owned=owned,
            filename=filename,
            content_type=content_type,
            label=label,
        )

    async def _read_raw(self, n: int) -> bytes:
        data = self._file.read(n) if self._inline else await asyncio.to_thread(self._file.read, n)
        if data is None:  # non-blocking raw file with nothing available
            raise MediaSourceError(f"{self.describe()} is non-blocking; pass a blocking file")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise MediaSourceError(
                f"{self.describe()} returned {type(data).__name__}, not bytes; {_TEXT_MODE_SYNC}"
            )
        return bytes(data)

    async def _next_raw_into(self, view: memoryview) -> int:
        readinto = getattr(self._file, "readinto", None)
        if self._inline or self.size is None or readinto is None:
            return await super()._next_raw_into(view)
        n = min(view.nbytes, self.size - self._raw_pos)
        if n <= 0:
            return 0
        got = await asyncio.to_thread(readinto, view[:n])
        if not isinstance(got, int) or got <= 0:  # EOF, non-blocking: let read() explain
            return await super()._next_raw_into(view)
        self._raw_pos += got
        return got

    async def _seek_raw(self, offset: int) -> None:
        if self._inline:
            self._file.seek(self._start + offset)
        else:
            await asyncio.to_thread(self._file.seek, self._start + offset)

    async def _close(self) -> None:
        if self._owned:
            if self._inline:
                self._file.close()
            else:
                await asyncio.to_thread(self._file.close)

    def describe(self) -> str:
        return self._label or _describe_file(self._file)


class PathSource(SyncFileSource):
    """A file named by a path (``str`` or ``os.PathLike``); asyncmedia opens and closes it."""

    def __init__(self, file: IO[bytes], *, path: str, size: int, filename: str | None) -> None:
        super().__init__(
            file,
            start=0,
            size=size,
            seekable=True,
            owned=True,
            filename=filename or os.path.basename(path),
            label=f"file {path!r}",
        )
        self.path = path

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, filename: str | None = None) -> Self:
        """Open ``path`` for reading (in a worker thread) and take its size from ``fstat``."""
        name = os.fspath(path)

        def open_file() -> tuple[IO[bytes], int]:
            try:
                file = open(name, "rb")  # noqa: SIM115 - the source owns and closes it
            except FileNotFoundError:
                raise MediaSourceError(f"no such file: {name!r}") from None
            except IsADirectoryError:
                raise MediaSourceError(f"{name!r} is a directory, not a file") from None
            except PermissionError:
                raise MediaSourceError(f"permission denied reading {name!r}") from None
            except OSError as exc:
                raise MediaSourceError(f"cannot open {name!r}: {exc.strerror or exc}") from exc
            try:
                info = os.fstat(file.fileno())
                if stat.S_ISDIR(info.st_mode):
                    raise MediaSourceError(f"{name!r} is a directory, not a file")
                if not stat.S_ISREG(info.st_mode):
                    raise MediaSourceError(f"{name!r} is not a regular file")
            except BaseException:
                file.close()
                raise
            return file, info.st_size

        file, size = await _open_in_thread(open_file, lambda opened: opened[0].close())
        return cls(file, path=name, size=size, filename=filename)


class SpooledSource(SyncFileSource):
    """Media copied to an anonymous temporary file that this source owns and closes.

    Made by :meth:`spool` from any source of unknown size (a stream, a chunked response, a
    non-seekable file); the file disappears when closed, and at the latest when the process
    exits.
    """

    @classmethod
    async def spool(
        cls,
        source: MediaSource,
        *,
        max_bytes: int | None = None,
        spool_dir: str | None = None,
    ) -> SpooledSource:
        """Copy ``source`` (from its current position) to a temporary file, 1 MiB at a time.

        Raises :class:`~asyncmedia.errors.MediaTooLarge` as soon as more than ``max_bytes``
        were copied.  ``source`` is not closed; the temporary file is closed on any failure
        or cancellation.
        """
        spool: IO[bytes] = await _open_in_thread(
            lambda: tempfile.TemporaryFile(dir=spool_dir),  # noqa: SIM115 - closed in aclose
            lambda opened: opened.close(),
        )
        try:
            total = 0
            while True:
                want = SPOOL_CHUNK_SIZE
                if max_bytes is not None:
                    want = min(want, max_bytes + 1 - total)
                chunk = await source.read(want)
                if not chunk:
                    break
                total += len(chunk)
                if max_bytes is not None and total > max_bytes:
                    raise _too_large(source.describe(), max_bytes, None)
                await asyncio.to_thread(spool.write, chunk)
            await asyncio.to_thread(spool.seek, 0)
        except BaseException:
            spool.close()  # local, quick; must happen even when cancelled
            raise
        result = cls(
            spool,
            start=0,
            size=total,
            seekable=True,
            owned=True,
            filename=source.filename if source._filename_known else None,
            content_type=source.content_type,
            label=f"{source.describe()} (spooled)",
        )
        return result


class AsyncFileSource(MediaSource):
    """An async binary file (``aiofiles.open(path, 'rb')`` or anything with an async ``read``).

    Never closed by asyncmedia.  Build it with :meth:`create`.
    """

    def __init__(
        self,
        file: Any,
        *,
        start: int,
        size: int | None,
        seekable: bool,
        filename: str | None = None,
    ) -> None:
        super().__init__(
            size=size,
            filename=filename if filename is not None else _file_name(file),
            content_type=None,
            seekable=seekable,
        )
        self._file = file
        self._start = start

    @classmethod
    async def create(
        cls, file: Any, *, size: int | None = None, filename: str | None = None
    ) -> AsyncFileSource:
        """Check ``file`` is an open binary async file and measure it with ``seek``/``tell``."""
        await _check_async_binary(file)
        seekable = False
        start = 0
        available: int | None = None
        seekable_method = getattr(file, "seekable", None)
        if callable(seekable_method):
            with contextlib.suppress(OSError, ValueError):
                answer = seekable_method()
                seekable = bool(await answer if inspect.isawaitable(answer) else answer)
        if seekable:
            start = await file.tell()
            end = await file.seek(0, io.SEEK_END)
            await file.seek(start)
            available = max(end - start, 0)
        if size is not None and available is not None and size > available:
            raise MediaSourceError(
                f"size={size} but {_describe_file(file)} has only {available} bytes left"
            )
        return cls(
            file,
            start=start,
            size=size if size is not None else available,
            seekable=seekable,
            filename=filename,
        )

    async def _read_raw(self, n: int) -> bytes:
        data = await self._file.read(n)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise MediaSourceError(
                f"{self.describe()} returned {type(data).__name__}, not bytes; {_TEXT_MODE_ASYNC}"
            )
        return bytes(data)

    async def _seek_raw(self, offset: int) -> None:
        await self._file.seek(self._start + offset)

    def describe(self) -> str:
        return _describe_file(self._file)


class ResponseSource(MediaSource):
    """The body of an ``aiohttp.ClientResponse``, streamed from ``resp.content``.

    ``owned=True`` (responses :func:`open_source` fetched itself) releases the response in
    :meth:`aclose`; a caller's response is left alone.  A non-2xx status raises
    :class:`MediaSourceError`; a ``Content-Length`` over ``max_bytes`` raises
    :class:`~asyncmedia.errors.MediaTooLarge` before any of the body is read.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        *,
        owned: bool = False,
        size: int | None = None,
        filename: str | None = None,
        max_bytes: int | None = None,
        url: yarl.URL | None = None,
    ) -> None:
        self._response = response
        self._owned = owned
        self._url = _mask_url(url if url is not None else response.url)
        if not 200 <= response.status < 300:
            reason = f" {response.reason}" if response.reason else ""
            raise MediaSourceError(f"HTTP {response.status}{reason} from URL {self._url}")
        length = response.content_length
        if max_bytes is not None and length is not None and length > max_bytes:
            raise _too_large(f"URL {self._url}", max_bytes, length)
        super().__init__(
            size=size if size is not None else length,
            filename=filename if filename is not None else response.url.name,
            content_type=response.headers.get(hdrs.CONTENT_TYPE),
            seekable=False,
            max_bytes=max_bytes,
        )

    async def _read_raw(self, n: int) -> bytes:
        try:
            return await self._response.content.read(n)
        except aiohttp.ClientError as exc:
            raise MediaSourceError(
                f"download of URL {self._url} failed after {self._raw_pos} bytes: {exc}"
            ) from exc

    async def _close(self) -> None:
        if self._owned:
            self._response.release()

    def describe(self) -> str:
        return f"URL {self._url}"


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
        self._iterator: AsyncIterator[bytes] = aiter(iterable)
        self._own_iterator = self._iterator is not iterable
        self._pending = memoryview(b"")
        self._received = 0

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
            await closer()

    def describe(self) -> str:
        return "async iterable"


# -- checks and names for file objects ------------------------------------------------------


def _file_name(file: object) -> str | None:
    name = getattr(file, "name", None)
    return _safe_filename(name) if isinstance(name, str | bytes | os.PathLike) else None


def _describe_file(file: object) -> str:
    name = getattr(file, "name", None)
    if isinstance(name, str | bytes | os.PathLike):
        return f"file {os.fsdecode(name)!r}"
    return f"file object {type(file).__name__}"


def _is_closed(file: object) -> bool:
    try:
        return bool(getattr(file, "closed", False))
    except (OSError, ValueError):
        return True


def _check_sync_binary(file: object) -> None:
    """Refuse closed and text-mode sync files with a message saying what to do."""
    what = _describe_file(file)
    if _is_closed(file):
        raise MediaSourceError(f"{what} is closed; pass an open file")
    if isinstance(file, io.TextIOBase):
        raise MediaSourceError(f"{what} was opened in text mode; {_TEXT_MODE_SYNC}")
    if isinstance(file, io.BufferedIOBase | io.RawIOBase):
        return  # binary by type, whatever its ``mode`` says (zipfile uses mode "r")
    mode = getattr(file, "mode", None)
    if isinstance(mode, str) and "b" not in mode:
        raise MediaSourceError(f"{what} was opened in text mode; {_TEXT_MODE_SYNC}")


async def _check_async_binary(file: object) -> None:
    """Refuse closed and text-mode async (aiofiles) files."""
    what = _describe_file(file)
    if _is_closed(file):
        raise MediaSourceError(f"{what} is closed; pass an open file")
    mode = getattr(file, "mode", None)
    if isinstance(file, AsyncTextIOWrapper | AsyncTextIndirectIOWrapper) or (
        isinstance(mode, str) and "b" not in mode
    ):
        raise MediaSourceError(f"{what} was opened in text mode; {_TEXT_MODE_ASYNC}")


async def _probe_file(file: Any) -> bool:
    """Return True for an async file, False for a sync one; refuse text mode and closed files.

    A ``read`` that is a coroutine function, or whose ``read(0)`` returns an awaitable, is async.
    """
    read = file.read
    if inspect.iscoroutinefunction(read):
        return True
    if _is_closed(file):
        raise MediaSourceError(f"{_describe_file(file)} is closed; pass an open file")
    if isinstance(file, io.TextIOBase):
        _check_sync_binary(file)
    try:
        probe = read(0)
    except ValueError as exc:  # "I/O operation on closed file" and friends
        raise MediaSourceError(f"{_describe_file(file)} cannot be read: {exc}") from exc
    if inspect.isawaitable(probe):
        probe = await probe
        if isinstance(probe, str):
            raise MediaSourceError(
                f"{_describe_file(file)} was opened in text mode; {_TEXT_MODE_ASYNC}"
            )
        return True
    if isinstance(probe, str):
        raise MediaSourceError(f"{_describe_file(file)} was opened in text mode; {_TEXT_MODE_SYNC}")
    return False


# -- the factory ----------------------------------------------------------------------------


def _http_url(obj: object) -> yarl.URL | None:
    """Return ``obj`` as an http(s) URL, ``None`` if it is a path; refuse other schemes."""
    if isinstance(obj, yarl.URL):
        url = obj
    elif isinstance(obj, str) and "://" in obj:
        scheme = obj.split("://", 1)[0]
        if not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
            return None  # "://" somewhere inside a path
        try:
            url = yarl.URL(obj)
        except ValueError as exc:
            raise MediaSourceError(f"invalid URL: {exc}") from None
    else:
        return None
    if url.scheme.lower() not in ("http", "https"):
        raise MediaSourceError(
            f"unsupported URL scheme {url.scheme!r} in {_mask_url(url)}; "
            "only http:// and https:// URLs are downloaded"
        )
    if not url.host:
        raise MediaSourceError(f"URL without a host: {_mask_url(url)}")
    return url


async def _fetch(
    url: yarl.URL,
    session: aiohttp.ClientSession | None,
    *,
    max_download_size: int,
    size: int | None,
    filename: str | None,
    block_private_networks: bool = False,
) -> ResponseSource:
    masked = _mask_url(url)
    if session is None:
        raise MediaSourceError(
            f"downloading URL {masked} needs an aiohttp.ClientSession: pass session="
        )
    try:
        if block_private_networks:
            response = await _get_public(session, url)
        else:
            response = await session.get(url)
    except aiohttp.ClientError as exc:
        raise MediaSourceError(f"cannot download URL {masked}: {exc}") from exc
    except TimeoutError as exc:
        raise MediaSourceError(f"timed out downloading URL {masked}") from exc
    try:
        return ResponseSource(
            response,
            owned=True,
            size=size,
            filename=filename if filename is not None else url.name,
            max_bytes=max_download_size,
            url=url,
        )
    except BaseException:
        response.release()
        raise


async def _get_public(session: aiohttp.ClientSession, url: yarl.URL) -> aiohttp.ClientResponse:
    """GET ``url`` following redirects by hand, checking every hop is a public address."""
    for _ in range(10):
        await check_public_url(url)
        response = await session.get(url, allow_redirects=False)
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        response.release()
        url = url.join(yarl.URL(location))
        if url.scheme not in ("http", "https"):
            raise MediaSourceError(f"refusing redirect to a {url.scheme}: URL")
    raise MediaSourceError(f"too many redirects downloading {_mask_url(url)}")


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
    if size is not None and size < 0:
        raise MediaSourceError(f"size must be >= 0, got {size}")
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
