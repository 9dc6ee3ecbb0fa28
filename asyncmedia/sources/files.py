"""Files read with blocking calls in a worker thread: binary file objects, paths, spool files.

Real files are read with :func:`asyncio.to_thread`; ``io.BytesIO`` is read directly.  Only
the files asyncmedia opened itself (paths, spool files) are closed by ``aclose``.
"""

from __future__ import annotations

import asyncio
import io
import os
import stat
import tempfile
from collections.abc import Callable
from typing import IO, Self, TypeVar

from ..errors import MediaSourceError
from .base import SPOOL_CHUNK_SIZE, MediaSource, _too_large
from .fileobjects import _TEXT_MODE_SYNC, _check_sync_binary, _describe_file, _file_name

_T = TypeVar("_T")


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
