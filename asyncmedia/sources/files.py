"""Files read with blocking calls in a worker thread: binary file objects, paths, spool files.

Regular files (and block devices) are read with :func:`asyncio.to_thread`; ``io.BytesIO`` is
read directly.  Anything else (a pipe, a socket, a file object of unknown kind) may block
forever, so its reads run in a daemon thread of their own: a cancelled upload never leaves a
thread that ``asyncio.run`` would wait for.  A path must name a regular file or a block device
(a FIFO is refused before it is opened, and it is opened with ``O_NONBLOCK`` so that a path
swapped for a FIFO meanwhile cannot block either).  Only the files asyncmedia opened itself
(paths, spool files) are closed by ``aclose``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from typing import IO, Any, Self, TypeVar

from ..errors import MediaSourceError
from .base import SPOOL_CHUNK_SIZE, MediaSource
from .checks import _too_large
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


def _is_disk_file(file: object) -> bool:
    """Whether ``file``'s descriptor is a regular file or block device (reads cannot hang)."""
    try:
        mode = os.fstat(file.fileno()).st_mode  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, TypeError, io.UnsupportedOperation):
        return False
    return stat.S_ISREG(mode) or stat.S_ISBLK(mode)


async def _in_daemon_thread(function: Callable[..., _T], *args: Any) -> _T:
    """Run a call that may block forever (a pipe read) in a daemon thread of its own.

    If we are cancelled, the thread is left to finish (or to die with the process): unlike
    the default executor's, nothing waits for it at ``asyncio.run``'s end.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = function(*args)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="asyncmedia-blocking-read", daemon=True).start()
    return await future


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
        self._disk = self._inline or _is_disk_file(file)
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
            if not _is_offset(start) or not _is_offset(end):
                raise MediaSourceError(
                    f"{_describe_file(file)}: tell()/seek() returned {start!r}/{end!r}, not "
                    "byte offsets; pass a real binary file"
                )
            return True, start, max(end - start, 0)

        try:
            if inline:
                seekable, start, available = measure()
            elif _is_disk_file(file):
                seekable, start, available = await asyncio.to_thread(measure)
            else:
                seekable, start, available = await _in_daemon_thread(measure)
        except MediaSourceError:
            raise
        except Exception as exc:
            raise MediaSourceError(
                f"cannot measure {_describe_file(file)}: {type(exc).__name__}: {exc}"
            ) from exc
        if size is not None and available is not None and size > available:
            name = _describe_file(file)
            raise MediaSourceError(f"size={size} but {name} has only {available} bytes left")
        source = cls(
            file,
            start=start,
            size=size if size is not None else available,
            seekable=seekable,
            owned=owned,
            filename=filename,
            content_type=content_type,
            label=label,
        )
        source._exact_size = size is None  # measured: a file that grows meanwhile is an error
        return source

    async def _call(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run one blocking file call: inline, in the default pool, or in a daemon thread."""
        if self._inline:
            return function(*args)
        if self._disk:
            return await asyncio.to_thread(function, *args)
        return await _in_daemon_thread(function, *args)

    async def _read_raw(self, n: int) -> bytes:
        data = await self._call(self._file.read, n)
        if data is None:  # non-blocking raw file with nothing available
            raise MediaSourceError(f"{self.describe()} is non-blocking; pass a blocking file")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise MediaSourceError(
                f"{self.describe()} returned {type(data).__name__}, not bytes; {_TEXT_MODE_SYNC}"
            )
        return bytes(data)

    async def _read_raw_into(self, view: memoryview) -> int:
        readinto = getattr(self._file, "readinto", None)
        if self._inline or readinto is None:
            return await super()._read_raw_into(view)
        got = await self._call(readinto, view)
        if got is None:  # non-blocking raw file with nothing available
            raise MediaSourceError(f"{self.describe()} is non-blocking; pass a blocking file")
        if not isinstance(got, int):
            raise MediaSourceError(f"{self.describe()} readinto() returned {got!r}, not a count")
        return got

    async def _seek_raw(self, offset: int) -> None:
        await self._call(self._file.seek, self._start + offset)

    async def _close(self) -> None:
        if self._owned:
            # Inline: closing a file opened for reading is quick, and a close handed to a
            # thread could be dropped if we were cancelled while it waits in the queue.
            self._file.close()

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
        self._exact_size = True  # the size fstat gave: growing meanwhile is an error

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, filename: str | None = None) -> Self:
        """Open ``path`` for reading (in a worker thread) and take its size from ``fstat``."""
        name = os.fspath(path)

        if not isinstance(name, str):
            raise MediaSourceError(f"a path must be str or os.PathLike[str], got {name!r}")

        def open_file() -> tuple[IO[bytes], int]:
            try:
                _check_kind(name, os.stat(name).st_mode)  # a FIFO is refused before open()
                # O_NONBLOCK: should the path have become a FIFO since, open() cannot block.
                fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            except FileNotFoundError:
                raise MediaSourceError(f"no such file: {name!r}") from None
            except IsADirectoryError:
                raise MediaSourceError(f"{name!r} is a directory, not a file") from None
            except PermissionError:
                raise MediaSourceError(f"permission denied reading {name!r}") from None
            except OSError as exc:
                raise MediaSourceError(f"cannot open {name!r}: {exc.strerror or exc}") from exc
            except (ValueError, UnicodeError) as exc:  # a NUL byte, a lone surrogate
                raise MediaSourceError(f"not a usable file path: {name!r} ({exc})") from None
            try:
                mode = os.fstat(fd).st_mode
                _check_kind(name, mode)
                os.set_blocking(fd, True)
                size = os.lseek(fd, 0, os.SEEK_END)  # st_size is 0 for a block device
                os.lseek(fd, 0, os.SEEK_SET)
                file = os.fdopen(fd, "rb")
            except BaseException:
                os.close(fd)
                raise
            return file, size

        file, size = await _open_in_thread(open_file, lambda opened: opened[0].close())
        return cls(file, path=name, size=size, filename=filename)


def _is_offset(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_kind(name: str, mode: int) -> None:
    """Refuse what is not a regular file or block device: reading it could block forever."""
    if stat.S_ISDIR(mode):
        raise MediaSourceError(f"{name!r} is a directory, not a file")
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket or character device"
        raise MediaSourceError(
            f"{name!r} is {kind}, not a regular file: its end cannot be known and reading it "
            "could block forever; pass its bytes, or an async iterable with size="
        )


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
