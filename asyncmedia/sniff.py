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

__all__ = ["SNIFF_BYTES", "extension_for", "media_type_from_name", "sniff_media_type"]

SNIFF_BYTES = 64
"""How many leading bytes :func:`sniff_media_type` needs at most."""

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
