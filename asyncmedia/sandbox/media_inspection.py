"""Media inspection for the sandbox: what a file is and how large its picture is.

The sandbox decides for itself what it received, from magic bytes, independently of
:mod:`asyncmedia.sniff` on purpose (the client and its judge must not share a bug).
:func:`sniff_media_type` names PNG, JPEG, GIF, WEBP, MP4 and MOV from the first bytes of a
file; :func:`image_dimensions` reads width and height from an image's header.  Every service
module uses these; like the rest of the sandbox, this module must not import the client side
of :mod:`asyncmedia`.
"""

from __future__ import annotations

__all__ = ["image_dimensions", "sniff_media_type"]


def sniff_media_type(head: bytes) -> str | None:
    """MIME type from the first bytes: PNG, JPEG, GIF, WEBP, MP4, MOV; None otherwise."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    box = head[4:8]
    if box == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if box in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video/quicktime"
    return None


def image_dimensions(media_type: str | None, head: bytes) -> tuple[int, int]:
    """Width and height when cheaply readable from the header, else (0, 0)."""
    try:
        if media_type == "image/png" and len(head) >= 24:
            return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if media_type == "image/gif" and len(head) >= 10:
            return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
        if media_type == "image/webp":
            return _webp_dimensions(head)
        if media_type == "image/jpeg":
            return _jpeg_dimensions(head)
    except IndexError:
        pass
    return 0, 0


def _webp_dimensions(head: bytes) -> tuple[int, int]:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        return (
            1 + int.from_bytes(head[24:27], "little"),
            1 + int.from_bytes(head[27:30], "little"),
        )
    if chunk == b"VP8 " and len(head) >= 30:
        return (
            int.from_bytes(head[26:28], "little") & 0x3FFF,
            int.from_bytes(head[28:30], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return 0, 0


def _jpeg_dimensions(head: bytes) -> tuple[int, int]:
    sof = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
    i = 2
    while i + 9 <= len(head):
        if head[i] != 0xFF:
            return 0, 0
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in sof:
            height = int.from_bytes(head[i + 5 : i + 7], "big")
            width = int.from_bytes(head[i + 7 : i + 9], "big")
            return width, height
        i += 2 + int.from_bytes(head[i + 2 : i + 4], "big")
    return 0, 0
