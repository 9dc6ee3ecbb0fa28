"""In-memory media: ``bytes``, ``bytearray`` and contiguous ``memoryview`` objects."""

from __future__ import annotations

import contextlib

from ..errors import MediaSourceError
from .base import MediaSource


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
        try:
            view = memoryview(data)
            contiguous = view.c_contiguous
        except (TypeError, ValueError) as exc:  # a released memoryview, not a buffer at all
            raise MediaSourceError(f"cannot read media from {type(data).__name__}: {exc}") from exc
        if not contiguous:
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
        with contextlib.suppress(BufferError):  # still exported somewhere: the GC frees it
            self._view.release()

    def describe(self) -> str:
        return f"bytes ({self.size} bytes)"
