"""Media type detection from magic bytes and from file names.

Pure functions over ``bytes`` and ``str``: this module does no I/O (it never opens, reads or
downloads anything) and imports nothing from the rest of asyncmedia.  Callers peek at the
first :data:`SNIFF_BYTES` bytes of a source and pass them to :func:`sniff_media_type`; when
the bytes say nothing, :func:`media_type_from_name` guesses from the extension.

>>> sniff_media_type(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
'image/png'
>>> media_type_from_name("clip.MOV")
'video/quicktime'
>>> extension_for("image/jpeg")
'.jpg'
"""

from __future__ import annotations

import mimetypes

__all__ = [
    "DIMENSION_BYTES",
    "SNIFF_BYTES",
    "extension_for",
    "image_dimensions",
    "media_dimensions",
    "media_type_from_name",
    "sniff_media_type",
    "video_dimensions",
]

SNIFF_BYTES = 64
"""How many leading bytes :func:`sniff_media_type` needs at most."""

DIMENSION_BYTES = 512 * 1024
"""How many leading bytes :func:`media_dimensions` looks at (a JPEG's EXIF block or an MP4's
``moov`` box can come before the size; past this the dimensions are reported unknown)."""

# ISO base media file format (``ftyp`` box) brands, by the type they announce.
_MP4_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
        b"mp41", b"mp42", b"mp71", b"avc1", b"dash", b"M4V ", b"M4VP", b"M4VH", b"MSNV",
        b"NDAS", b"NDSC", b"NDSH", b"NDSM", b"NDSP", b"NDSS", b"NDXC", b"NDXH", b"NDXM",
        b"NDXP", b"NDXS", b"mmp4", b"f4v ", b"cmfc", b"cmf2", b"hvc1", b"av01", b"XAVC",
    }
)  # fmt: skip
_QUICKTIME_BRAND = b"qt  "
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})
# Classic QuickTime files may start with one of these atoms instead of ``ftyp``.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free"})
# Sizes of the BMP DIB headers that exist (BITMAPCOREHEADER ... BITMAPV5HEADER).
_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

_TYPES_BY_EXTENSION: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "srt": "text/srt",
    "vtt": "text/vtt",
}

_EXTENSIONS_BY_TYPE: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/avif": ".avif",
    "image/heic": ".heic",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/mp2t": ".ts",
    "text/srt": ".srt",
    "text/vtt": ".vtt",
}


def _sniff_iso_bmff(head: bytes) -> str | None:
    """Classify an ISO BMFF / QuickTime file from its ``ftyp`` box brands."""
    box_size = int.from_bytes(head[0:4], "big")
    end = min(len(head), box_size) if box_size >= 16 else len(head)
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    major = brands[0]
    if major == _QUICKTIME_BRAND:
        return "video/quicktime"
    if major in _AVIF_BRANDS:
        return "image/avif"
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major in _MP4_BRANDS:
        return "video/mp4"
    # Unknown major brand: trust a compatible brand we know.
    for brand in brands[1:]:
        if brand in _MP4_BRANDS:
            return "video/mp4"
        if brand == _QUICKTIME_BRAND:
            return "video/quicktime"
    return None


def sniff_media_type(head: bytes) -> str | None:
    """Return the media type announced by the leading bytes of a file, or ``None``.

    ``head`` should be the first :data:`SNIFF_BYTES` bytes (fewer is fine for short files;
    more is ignored).  Recognises PNG, JPEG, GIF, WebP, BMP, TIFF, AVIF/HEIC, MP4 (ISO BMFF),
    QuickTime, WebM and Matroska.

    >>> sniff_media_type(b"GIF89a" + bytes(10))
    'image/gif'
    >>> sniff_media_type(b"hello") is None
    True
    """
    head = bytes(head[:SNIFF_BYTES])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "image/tiff"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: the DocType element near the start says webm or matroska.
        if b"matroska" in head and b"webm" not in head:
            return "video/x-matroska"
        return "video/webm"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _sniff_iso_bmff(head)
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    # "BM" alone is too weak (plain text can start with it): check the DIB header size.
    if (
        head.startswith(b"BM")
        and len(head) >= 14
        and (len(head) < 18 or int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES)
    ):
        return "image/bmp"
    return None


def media_type_from_name(name: str) -> str | None:
    """Guess the media type from a file name's extension, or ``None``.

    Uses a small explicit table (png, jpg, jpeg, gif, webp, bmp, tif, tiff, mp4, m4v, mov,
    webm, srt, vtt) and falls back to :func:`mimetypes.guess_type`, keeping only ``image/*``
    and ``video/*`` answers.

    >>> media_type_from_name("/tmp/Cat.JPG")
    'image/jpeg'
    >>> media_type_from_name("notes.txt") is None
    True
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base:
        return None
    extension = base.rsplit(".", 1)[1].lower()
    known = _TYPES_BY_EXTENSION.get(extension)
    if known is not None:
        return known
    guessed, _encoding = mimetypes.guess_type("media." + extension, strict=False)
    if guessed is not None and guessed.startswith(("image/", "video/")):
        return guessed
    return None


def extension_for(media_type: str | None) -> str:
    """Return a file extension with its dot (``".png"``) for ``media_type``, or ``""``.

    Parameters after ``;`` and letter case are ignored.  Used to make file names such as
    ``"media.mp4"`` for sources that have none.

    >>> extension_for("video/quicktime")
    '.mov'
    >>> extension_for(None)
    ''
    """
    if not media_type:
        return ""
    bare = media_type.split(";", 1)[0].strip().lower()
    known = _EXTENSIONS_BY_TYPE.get(bare)
    if known is not None:
        return known
    return mimetypes.guess_extension(bare, strict=False) or ""


# --- dimensions -----------------------------------------------------------------------------

#: JPEG start-of-frame markers (SOF0…SOF15 except DHT 0xC4, JPG 0xC8 and DAC 0xCC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _png_dimensions(head: bytes) -> tuple[int, int] | None:
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _gif_dimensions(head: bytes) -> tuple[int, int] | None:
    if len(head) < 10:
        return None
    return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")


def _webp_dimensions(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        return width, int.from_bytes(head[27:30], "little") + 1
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(head[26:28], "little") & 0x3FFF
        return width, int.from_bytes(head[28:30], "little") & 0x3FFF
    return None


def _jpeg_dimensions(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            i += 2
            continue
        length = int.from_bytes(head[i + 2 : i + 4], "big")
        if marker in _JPEG_SOF:
            if i + 9 > len(head):
                return None
            height = int.from_bytes(head[i + 5 : i + 7], "big")
            return int.from_bytes(head[i + 7 : i + 9], "big"), height
        if marker == 0xDA or length < 2:  # start of scan before any frame: give up
            return None
        i += 2 + length
    return None


def image_dimensions(head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` in pixels read from the leading bytes of a PNG, JPEG, GIF or WebP
    image, or ``None`` when the type is another or the size is not within ``head``.

    The JPEG size is the stored frame's (an EXIF orientation that rotates it is not applied).

    >>> image_dimensions(b"GIF89a" + (640).to_bytes(2, "little") + (480).to_bytes(2, "little"))
    (640, 480)
    >>> image_dimensions(b"not an image") is None
    True
    """
    head = bytes(head)
    found: tuple[int, int] | None = None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = _png_dimensions(head)
    elif head.startswith(b"\xff\xd8\xff"):
        found = _jpeg_dimensions(head)
    elif head.startswith((b"GIF87a", b"GIF89a")):
        found = _gif_dimensions(head)
    elif head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        found = _webp_dimensions(head)
    if found is None or found[0] <= 0 or found[1] <= 0:
        return None
    return found


_MP4_CONTAINERS = frozenset({b"moov", b"trak"})


def _mp4_boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """``(type, payload start, payload end)`` of the boxes in ``data[start:end]`` (cut at
    ``end``: a box running past the data is returned truncated)."""
    boxes = []
    i = start
    while i + 8 <= end:
        size = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        header = 8
        if size == 1 and i + 16 <= end:
            size, header = int.from_bytes(data[i + 8 : i + 16], "big"), 16
        elif size == 0:
            size = end - i
        if size < header:
            break
        boxes.append((kind, i + header, min(i + size, end)))
        i += size
    return boxes


def _tkhd_dimensions(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    version = data[start] if start < end else 0
    # version 0: 4 flags/version + 20 bytes of times/ids + 52 before width, 1: 32 bytes of times.
    offset = start + (88 if version == 1 else 76)
    if offset + 8 > end:
        return None
    width = int.from_bytes(data[offset : offset + 4], "big") >> 16
    height = int.from_bytes(data[offset + 4 : offset + 8], "big") >> 16
    return (width, height) if width > 0 and height > 0 else None


def video_dimensions(head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of the first visual track of an MP4/QuickTime file, from its
    ``moov/trak/tkhd`` box, or ``None`` when ``head`` does not hold it (the ``moov`` box may
    come after the media data, as in files not made "fast start").

    >>> video_dimensions(b"plain text") is None
    True
    """
    head = bytes(head)
    if len(head) < 12 or head[4:8] not in (b"ftyp", *_QUICKTIME_ATOMS):
        return None

    def walk(start: int, end: int) -> tuple[int, int] | None:
        for kind, payload_start, payload_end in _mp4_boxes(head, start, end):
            if kind == b"tkhd":
                found = _tkhd_dimensions(head, payload_start, payload_end)
                if found is not None:
                    return found
            elif kind in _MP4_CONTAINERS:
                found = walk(payload_start, payload_end)
                if found is not None:
                    return found
        return None

    return walk(0, len(head))


def media_dimensions(head: bytes) -> tuple[int, int] | None:
    """:func:`image_dimensions` or :func:`video_dimensions`, whichever applies to ``head``
    (pass up to :data:`DIMENSION_BYTES` leading bytes)."""
    return image_dimensions(head) or video_dimensions(head)
