"""In-memory media: ``bytes``, ``bytearray`` and contiguous ``memoryview`` objects."""

from __future__ import annotations

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
