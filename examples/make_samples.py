"""Write the demo's sample media: a small PNG test card and a 12 MB synthetic MP4.

The "video" is an ISO-BMFF container (``ftyp`` + ``mdat`` boxes) filled with random bytes: enough
for type sniffing and for exercising the chunked uploader and processing against the sandbox,
not a playable clip (a real service would fail to process it).

Usage: python examples/make_samples.py OUTPUT_DIR
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from pathlib import Path


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG with a colour gradient."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def mp4(size: int) -> bytes:
    """An ``ftyp`` box (brand isom) followed by an ``mdat`` box of random bytes."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    payload = os.urandom(size - len(ftyp) - 8)
    return ftyp + struct.pack(">I", len(payload) + 8) + b"mdat" + payload


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/samples")
    out.mkdir(parents=True, exist_ok=True)
    (out / "cat.png").write_bytes(png(320, 200))
    (out / "clip.mp4").write_bytes(mp4(12 * 1024 * 1024))
    print(f"wrote {out / 'cat.png'} and {out / 'clip.mp4'}")


if __name__ == "__main__":
    main()
