"""Valid PNG files for tests: signature, IHDR, optional ancillary chunks, one IDAT, IEND, every
CRC right.  Each caller draws its own rows of pixels, so each keeps its own bytes (and so the
hashes and blob CIDs its tests expect)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAY, RGB = 0, 2  # IHDR colour types


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC-32 of type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_file(
    width: int,
    height: int,
    rows: Iterable[bytes],
    *,
    colour: int = RGB,
    ancillary: Iterable[tuple[bytes, bytes]] = (),
) -> bytes:
    """An 8-bit PNG of ``rows`` (each row's pixel bytes, without the filter byte, which is 0),
    with the ``ancillary`` ``(type, body)`` chunks before its IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    data = b"".join(b"\x00" + row for row in rows)
    return (
        SIGNATURE
        + chunk(b"IHDR", ihdr)
        + b"".join(chunk(kind, body) for kind, body in ancillary)
        + chunk(b"IDAT", zlib.compress(data))
        + chunk(b"IEND", b"")
    )
