"""Media files and checks shared by the Twitter/X peer-client tests (tweepy, python-twitter,
peony).  Real client libraries run against the sandbox on 127.0.0.1; the sandbox verifies
every OAuth signature and hashes every byte, and these helpers read its verdicts."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from png_files import GRAY, png_file


def png_bytes(width: int = 64, height: int = 48, extra: int = 20_000, seed: int = 0) -> bytes:
    """A valid PNG (IHDR, one IDAT, IEND) padded with an ancillary chunk to a given size."""
    rows = (bytes((x + y + seed) % 256 for x in range(width)) for y in range(height))
    padding = bytes((i * 31 + seed) % 256 for i in range(extra))
    return png_file(width, height, rows, colour=GRAY, ancillary=[(b"teXt", b"pad\x00" + padding)])


def gif_bytes(size: int = 60_000, width: int = 320, height: int = 240) -> bytes:
    """GIF89a magic and a logical screen of ``width``×``height``, padded to ``size``."""
    head = b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00"
    return head + bytes(i % 251 for i in range(size - len(head) - 1)) + b";"


def mp4_bytes(size: int) -> bytes:
    """An ``ftyp`` box then filler: what the sandbox sniffs as video/mp4."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    pattern = hashlib.sha256(b"peer video").digest() * (size // 32 + 1)
    return ftyp + pattern[: size - len(ftyp)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


class LoopbackSession(requests.Session):
    """A ``requests`` session that only talks to 127.0.0.1, over plain HTTP.

    tweepy builds ``https://{host}/1.1/…`` URLs (and ``tweepy.Client`` always
    ``https://api.twitter.com/2/…``); the sandbox speaks plain HTTP on loopback.  The scheme
    is swapped, and the real host names in ``hosts`` are mapped to the sandbox's
    ``127.0.0.1:PORT``, *before* requests prepares and OAuth-signs the request, so the
    signature covers the URL actually sent.  Any other host is refused: nothing leaves the
    machine.
    """

    def __init__(self, hosts: dict[str, str] | None = None) -> None:
        super().__init__()
        self.hosts = hosts or {}

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        text = url.decode() if isinstance(url, bytes) else url
        parts = urlsplit(text)
        netloc = self.hosts.get(parts.netloc, parts.netloc)
        text = urlunsplit(("http", netloc, parts.path, parts.query, parts.fragment))
        host = urlsplit(text).hostname
        if host != "127.0.0.1":
            raise requests.ConnectionError(f"refused to leave loopback: {host}")
        return super().request(method, text, *args, **kwargs)


def assert_all_signed(requests_seen: list[Any]) -> None:
    """Every request the sandbox received passed its OAuth 1.0a check and was answered 2xx."""
    assert requests_seen
    for record in requests_seen:
        assert record.authenticated is True, (record.method, record.path, record.status)
        assert 200 <= record.status < 300, (
            record.method,
            record.path,
            record.command,
            record.status,
        )
