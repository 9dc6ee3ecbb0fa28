"""Media files for the Mastodon peer-client tests, and a requests session that stays local.

The files are built, not shipped: a PNG and a JPEG with real headers (so the sandbox reads
their sizes), and an MP4 with a real ``moov`` box (``mvhd``, a video ``trak`` with ``tkhd``,
``mdhd``, ``hdlr`` and ``stts``) so the sandbox can tell its duration, frame rate and bitrate
as Mastodon does.
"""

from __future__ import annotations

import hashlib
import ipaddress
import struct
from typing import Any
from urllib.parse import urlsplit

import requests
from png_files import png_file


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_bytes(width: int = 600, height: int = 400) -> bytes:
    row = bytes(x % 256 for x in range(width * 3))
    return png_file(width, height, (row[y % 7 :] + row[: y % 7] for y in range(height)))


def jpeg_bytes(width: int = 400, height: int = 400, filler: int = 20_000) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(9)
    scan = b"\xff\xda" + struct.pack(">H", 12) + bytes(10) + bytes(i % 255 for i in range(filler))
    return b"\xff\xd8" + app0 + sof0 + scan + b"\xff\xd9"


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_bytes(
    *, width: int = 640, height: int = 640, fps: int = 30, seconds: float = 2.0, size: int = 300_000
) -> bytes:
    """An MP4 whose ``moov`` says ``width`` x ``height``, ``fps`` frames per second for
    ``seconds``; an ``mdat`` of filler brings it to about ``size`` bytes."""
    timescale = fps * 512
    frames = round(fps * seconds)
    movie_scale = 1000
    mvhd = _box(
        b"mvhd",
        bytes(4),  # version 0, flags
        bytes(8),  # creation, modification
        struct.pack(">II", movie_scale, round(seconds * movie_scale)),
        struct.pack(">IH", 0x00010000, 0x0100) + bytes(10),
        bytes(36),  # matrix
        bytes(24),  # pre_defined
        struct.pack(">I", 2),  # next_track_ID
    )
    tkhd = _box(
        b"tkhd",
        b"\x00\x00\x00\x03",
        bytes(8),
        struct.pack(">II", 1, 0),
        struct.pack(">I", round(seconds * movie_scale)),
        bytes(8),
        bytes(8),  # layer, alternate group, volume, reserved
        bytes(36),  # matrix
        struct.pack(">II", width << 16, height << 16),
    )
    mdhd = _box(
        b"mdhd", bytes(4), bytes(8), struct.pack(">II", timescale, frames * 512), bytes(4)
    )
    hdlr = _box(b"hdlr", bytes(4), bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
    stts = _box(b"stts", bytes(4), struct.pack(">III", 1, frames, 512))
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, _box(b"minf", _box(b"stbl", stts))))
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    head = ftyp + _box(b"moov", mvhd, trak)
    filler = hashlib.sha256(b"video").digest() * (size // 32 + 1)
    return head + _box(b"mdat", filler[: max(0, size - len(head) - 8)])


class LoopbackOnlySession(requests.Session):
    """A requests session that refuses any host but this machine's loopback."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        if not _loopback(urlsplit(text).hostname or ""):
            raise AssertionError(f"a peer client tried to leave 127.0.0.1: {text}")
        self.sent.append((str(method), text))
        return super().request(method, url, *args, **kwargs)


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
