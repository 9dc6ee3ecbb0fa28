"""Image and video dimensions read from leading bytes (asyncmedia.sniff), for aspectRatio."""

from __future__ import annotations

import struct
import zlib

from asyncmedia.sniff import image_dimensions, media_dimensions, video_dimensions


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def jpeg(width: int, height: int, *, sof: int = 0xC0, exif: int = 0) -> bytes:
    out = b"\xff\xd8"
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    if exif:
        out += b"\xff\xe1" + struct.pack(">H", exif + 2) + b"Exif\x00\x00" + bytes(exif - 6)
    out += b"\xff\xc4" + struct.pack(">H", 4) + b"\x00\x00"  # a DHT before the frame
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes(9)
    out += bytes([0xFF, sof]) + struct.pack(">H", len(frame) + 2) + frame
    return out + b"\xff\xda" + bytes(20)


def test_png_gif_jpeg() -> None:
    assert image_dimensions(png(640, 480)) == (640, 480)
    gif = b"GIF89a" + struct.pack("<HH", 320, 200) + bytes(7)
    assert image_dimensions(gif) == (320, 200)
    assert image_dimensions(jpeg(1024, 768)) == (1024, 768)
    assert image_dimensions(jpeg(300, 4000, sof=0xC2)) == (300, 4000)  # progressive
    # A 60 kB EXIF block before the frame header: still found.
    assert image_dimensions(jpeg(4032, 3024, exif=60_000)) == (4032, 3024)


def test_webp_three_kinds() -> None:
    def riff(chunk: bytes, payload: bytes) -> bytes:
        body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
        return b"RIFF" + struct.pack("<I", len(body)) + body

    vp8x = bytes(4) + (1999).to_bytes(3, "little") + (999).to_bytes(3, "little")
    assert image_dimensions(riff(b"VP8X", vp8x)) == (2000, 1000)
    bits = (800 - 1) | ((600 - 1) << 14)
    assert image_dimensions(riff(b"VP8L", b"\x2f" + bits.to_bytes(4, "little"))) == (800, 600)
    vp8 = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", 1280, 720) + bytes(10)
    assert image_dimensions(riff(b"VP8 ", vp8)) == (1280, 720)


def test_unknown_or_cut_short_is_none() -> None:
    assert image_dimensions(b"") is None
    assert image_dimensions(b"hello world") is None
    assert image_dimensions(png(640, 480)[:20]) is None
    assert image_dimensions(jpeg(4032, 3024, exif=60_000)[:30_000]) is None
    assert image_dimensions(png(0, 480)) is None


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def tkhd(width: int, height: int, version: int = 0) -> bytes:
    times = bytes(20) if version == 0 else bytes(32)
    rest = bytes(16) + bytes(36) + struct.pack(">II", width << 16, height << 16)
    return box(b"tkhd", bytes([version, 0, 0, 3]) + times + rest)


def mp4(*tracks: bytes, moov_last: bool = False, mdat: int = 1000) -> bytes:
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    moov = box(b"moov", box(b"mvhd", bytes(100)) + b"".join(box(b"trak", t) for t in tracks))
    data = box(b"mdat", bytes(mdat))
    return ftyp + (data + moov if moov_last else moov + data)


def test_mp4_first_visual_track() -> None:
    sound = tkhd(0, 0)  # an audio track has no size
    assert video_dimensions(mp4(sound, tkhd(1920, 1080))) == (1920, 1080)
    assert video_dimensions(mp4(tkhd(720, 1280, version=1))) == (720, 1280)
    assert media_dimensions(mp4(tkhd(640, 360))) == (640, 360)
    assert media_dimensions(png(10, 20)) == (10, 20)


def test_mp4_without_moov_in_the_head_is_unknown() -> None:
    movie = mp4(tkhd(1920, 1080), moov_last=True, mdat=100_000)
    assert video_dimensions(movie) == (1920, 1080)  # the whole file
    assert video_dimensions(movie[:50_000]) is None  # only the media data
    assert video_dimensions(b"\x00\x00\x00\x18ftypisom") is None
    assert video_dimensions(png(10, 10)) is None
