"""Async binary files: ``aiofiles.open(path, 'rb')`` or anything with an async ``read``.

aiofiles reads in the event loop's default executor, which ``asyncio.run`` waits for when it
returns.  A read that can block forever (an aiofiles file over a pipe, a socket or a
character device, whose writer never closes) would then hang the process after the upload
was given up; such reads go to a daemon thread of their own instead, on the file aiofiles
wraps, as for sync file objects (:mod:`.files`).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import stat
from typing import IO, Any

from ..errors import MediaSourceError
from .base import MediaSource
from .fileobjects import _TEXT_MODE_ASYNC, _check_async_binary, _describe_file, _file_name
from .files import _in_daemon_thread


def _may_block_forever(file: Any) -> IO[bytes] | None:
    """The sync file an aiofiles wrapper reads from, if that is a pipe, a socket or a
    character device (a read may wait forever); ``None`` for regular files, block devices
    and anything else."""
    wrapped = getattr(file, "_file", None)
    if not isinstance(wrapped, io.IOBase):
        return None
    try:
        mode = os.fstat(wrapped.fileno()).st_mode
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    if stat.S_ISREG(mode) or stat.S_ISBLK(mode):
        return None
    return wrapped  # type: ignore[return-value]


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
        self._blocking = _may_block_forever(file)

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
            try:
                start = await file.tell()
                end = await file.seek(0, io.SEEK_END)
                await file.seek(start)
            except Exception as exc:
                raise MediaSourceError(
                    f"cannot measure {_describe_file(file)}: {type(exc).__name__}: {exc}"
                ) from exc
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
                raise MediaSourceError(
                    f"{_describe_file(file)}: tell()/seek() returned {start!r}/{end!r}, not "
                    "byte offsets; pass an aiofiles file opened with 'rb'"
                )
            available = max(end - start, 0)
        if size is not None and available is not None and size > available:
            raise MediaSourceError(
                f"size={size} but {_describe_file(file)} has only {available} bytes left"
            )
        source = cls(
            file,
            start=start,
            size=size if size is not None else available,
            seekable=seekable,
            filename=filename,
        )
        source._exact_size = size is None  # measured: a file that grows meanwhile is an error
        return source

    async def _read_raw(self, n: int) -> bytes:
        if self._blocking is not None:
            data = await _in_daemon_thread(self._blocking.read, n)
        else:
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
