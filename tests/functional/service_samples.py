"""Shared by the X v2, Mastodon and Bluesky functional tests: sample media, every source kind.

``media_server`` is a second local aiohttp server (not the sandbox) serving whatever bytes a
test registers, so URL and ``ClientResponse`` sources are real downloads.  Test modules import
the fixture by name.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiofiles
import aiohttp
from local_servers import MediaServer, media_server  # noqa: F401 - re-exported fixture

MIB = 1024 * 1024
#: Every kind of source the clients must accept; each service's tests run them all once.
SOURCE_KINDS = ("path", "bytes", "sync_file", "aiofiles", "url", "client_response")


def png_bytes(size: int = 40_000, seed: int = 0) -> bytes:
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 64, 48)
    body = bytes((i * 7 + i // 251 + seed) % 256 for i in range(size - len(header)))
    return header + body


def mp4_bytes(size: int) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    pattern = hashlib.sha256(b"video").digest() * (size // 32 + 1)
    return ftyp + pattern[: size - len(ftyp)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@asynccontextmanager
async def source_of(
    kind: str,
    data: bytes,
    *,
    tmp_path: Path,
    media_server: MediaServer,  # noqa: F811 - the fixture's value
    name: str = "cat.png",
    content_type: str = "image/png",
) -> AsyncIterator[Any]:
    """Yield ``data`` as a source of ``kind`` (see :data:`SOURCE_KINDS`); close it after."""
    path = tmp_path / name
    if kind == "path":
        path.write_bytes(data)
        yield path
    elif kind == "bytes":
        yield data
    elif kind == "sync_file":
        path.write_bytes(data)
        with open(path, "rb") as fh:  # noqa: ASYNC230 - the sync file object is the point
            yield fh
            assert not fh.closed, "a caller's file must stay open"
    elif kind == "aiofiles":
        path.write_bytes(data)
        async with aiofiles.open(path, "rb") as afh:
            yield afh
            assert not afh.closed, "a caller's file must stay open"
    elif kind == "url":
        yield str(media_server.serve(name, data, content_type))
    elif kind == "client_response":
        url = media_server.serve(name, data, content_type)
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            yield response
    else:  # pragma: no cover
        raise AssertionError(kind)
