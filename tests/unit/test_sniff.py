"""Magic-byte and file-name media type detection (asyncmedia.sniff)."""

from __future__ import annotations

import pytest

from asyncmedia.sniff import SNIFF_BYTES, extension_for, media_type_from_name, sniff_media_type


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    box = (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body
    return box + b"\x00\x00\x00\x08free"


def _bmp() -> bytes:
    # "BM", file size, reserved, pixel offset, then a 40-byte BITMAPINFOHEADER.
    return (
        b"BM"
        + (70).to_bytes(4, "little")
        + bytes(4)
        + (54).to_bytes(4, "little")
        + (40).to_bytes(4, "little")
        + bytes(36)
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00", "image/jpeg"),
        (b"GIF87a\x01\x00\x01\x00", "image/gif"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (_bmp(), "image/bmp"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (_ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (_ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
        (_ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42"), "video/mp4"),
        (_ftyp(b"dash", b"iso6"), "video/mp4"),
        (_ftyp(b"avc1"), "video/mp4"),
        (_ftyp(b"XYZW", b"abcd", b"iso5"), "video/mp4"),  # unknown major, known compatible
        (_ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video/quicktime"),
        (b"\x00\x00\x01\x00moov\x00\x00\x00\x6cmvhd", "video/quicktime"),
        (b"\x00\x00\x00\x10mdat\x00\x00\x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x08free\x00\x00\x00\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (_ftyp(b"avif", b"mif1"), "image/avif"),
    ],
)
def test_magic_signatures(head: bytes, expected: str) -> None:
    assert sniff_media_type(head) == expected
    # Only the first SNIFF_BYTES bytes matter: trailing garbage changes nothing.
    assert sniff_media_type(head + b"\xaa" * 200) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello world, this is plain text",
        b"BM is also how a text file may start, with no DIB header",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        _ftyp(b"M4A ", b"M4A "),  # audio-only MP4
        b"%PDF-1.7\n",
        b"\x00" * 64,
    ],
)
def test_unknown_bytes_give_none(head: bytes) -> None:
    assert sniff_media_type(head) is None


def test_sniff_bytes_is_enough_for_every_signature() -> None:
    assert SNIFF_BYTES == 64
    # A signature placed past SNIFF_BYTES is not looked at.
    assert sniff_media_type(b"\x00" * SNIFF_BYTES + b"\x89PNG\r\n\x1a\n") is None


def test_sniff_accepts_short_heads() -> None:
    assert sniff_media_type(b"\xff\xd8\xff") == "image/jpeg"
    assert sniff_media_type(b"GIF8") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cat.png", "image/png"),
        ("CAT.JPG", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("anim.gif", "image/gif"),
        ("pic.webp", "image/webp"),
        ("old.bmp", "image/bmp"),
        ("scan.tif", "image/tiff"),
        ("scan.tiff", "image/tiff"),
        ("/videos/clip.mp4", "video/mp4"),
        ("clip.m4v", "video/mp4"),
        ("C:\\Users\\me\\clip.MOV", "video/quicktime"),
        ("clip.webm", "video/webm"),
        ("captions.srt", "text/srt"),
        ("captions.vtt", "text/vtt"),
        ("archive.tar.png", "image/png"),
    ],
)
def test_media_type_from_name_table(name: str, expected: str) -> None:
    assert media_type_from_name(name) == expected


def test_media_type_from_name_falls_back_to_mimetypes_for_media_only() -> None:
    assert media_type_from_name("clip.mpeg") == "video/mpeg"  # not in the table
    assert media_type_from_name("icon.ico") in ("image/vnd.microsoft.icon", "image/x-icon")
    # mimetypes knows these, but they are not images or videos.
    assert media_type_from_name("notes.txt") is None
    assert media_type_from_name("page.html") is None
    assert media_type_from_name("song.mp3") is None


@pytest.mark.parametrize("name", ["", "README", "dir.png/file", ".hidden", "file.unknownext"])
def test_media_type_from_name_unknown(name: str) -> None:
    assert media_type_from_name(name) is None


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("image/png", ".png"),
        ("image/jpeg", ".jpg"),
        ("IMAGE/GIF; charset=binary", ".gif"),
        ("image/webp", ".webp"),
        ("image/bmp", ".bmp"),
        ("image/tiff", ".tiff"),
        ("video/mp4", ".mp4"),
        ("video/quicktime", ".mov"),
        ("video/webm", ".webm"),
        ("text/srt", ".srt"),
        ("text/vtt", ".vtt"),
        ("video/mpeg", ".mpeg"),  # via mimetypes
        ("application/x-nothing-known", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_extension_for(media_type: str | None, expected: str) -> None:
    assert extension_for(media_type) == expected


def test_extension_round_trips_through_name() -> None:
    for media_type in ("image/png", "image/jpeg", "image/gif", "video/mp4", "video/webm"):
        assert media_type_from_name("media" + extension_for(media_type)) == media_type
