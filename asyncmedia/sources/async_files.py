"""Async binary files: ``aiofiles.open(path, 'rb')`` or anything with an async ``read``."""

from __future__ import annotations

import contextlib
import inspect
import io
from typing import Any

from ..errors import MediaSourceError
from .base import MediaSource
from .fileobjects import _TEXT_MODE_ASYNC, _check_async_binary, _describe_file, _file_name


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
