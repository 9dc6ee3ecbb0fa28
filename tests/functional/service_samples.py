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
import pytest
from aiohttp import web
from yarl import URL

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


class MediaServer:
    """Serves registered bytes at ``/<name>`` with a Content-Type and Content-Length."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.url = URL("http://127.0.0.1/")

    def serve(self, name: str, data: bytes, content_type: str) -> URL:
        self.files[name] = (data, content_type)
        return self.url / name

    async def handle(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="nope")
        return web.Response(body=found[0], content_type=found[1])


@pytest.fixture
async def media_server() -> AsyncIterator[MediaServer]:
    server = MediaServer()
    app = web.Application()
    app.router.add_get("/{name}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = URL(f"http://127.0.0.1:{runner.addresses[0][1]}/")
    try:
        yield server
    finally:
        await runner.cleanup()


@asynccontextmanager
async def source_of(
    kind: str,
    data: bytes,
    *,
    tmp_path: Path,
    media_server: MediaServer,
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
