"""The bad-input matrix: every unusable input ends in its typed error, with a message that
says what to do, before any request reaches the service — and leaves nothing open."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiofiles
import pytest
from aiohttp import web
from local_servers import serving
from test_faults import LeakCheck

from asyncmedia import (
    MediaClient,
    MediaSourceError,
    MediaTooLarge,
    UnsupportedMediaType,
)
from asyncmedia.sandbox import Sandbox

MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x07" * 4000
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x01" * 4000


@pytest.fixture
async def media_host() -> AsyncIterator[str]:
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="gone")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=PNG + bytes(3 * MIB), content_type="image/png")

    async def big_stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "image/png"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(PNG)
        for _ in range(3):
            await resp.write(bytes(MIB))
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/missing.png", missing)
    app.router.add_get("/big.png", big)
    app.router.add_get("/big-stream.png", big_stream)
    async with serving(app) as url:
        yield str(url)


async def short_stream() -> AsyncIterator[bytes]:
    yield PNG[:100]


Case = Callable[[Path, str], Any]

CASES: list[Any] = [
    pytest.param(
        lambda d, u: open(d / "cat.png"),  # noqa: SIM115 - closed by the test
        {},
        MediaSourceError,
        "open it with 'rb'",
        id="text-mode-file",
    ),
    pytest.param(
        lambda d, u: aiofiles.open(d / "cat.png"),
        {},
        MediaSourceError,
        "'rb'",
        id="text-mode-aiofiles",
    ),
    pytest.param(
        lambda d, u: str(d / "nope.png"), {}, MediaSourceError, "nope.png", id="missing-path"
    ),
    pytest.param(lambda d, u: d, {}, MediaSourceError, "directory", id="directory"),
    pytest.param(lambda d, u: b"", {}, MediaSourceError, "empty", id="empty-bytes"),
    pytest.param(lambda d, u: d / "empty.png", {}, MediaSourceError, "empty", id="empty-file"),
    pytest.param(lambda d, u: 42, {}, MediaSourceError, "bytes", id="unsupported-object"),
    pytest.param(
        lambda d, u: {"path": "cat.png"}, {}, MediaSourceError, "path", id="unsupported-dict"
    ),
    pytest.param(lambda d, u: u + "missing.png", {}, MediaSourceError, "404", id="url-404"),
    pytest.param(
        lambda d, u: "ftp://example.com/cat.png", {}, MediaSourceError, "ftp", id="url-scheme"
    ),
    pytest.param(
        lambda d, u: u + "big.png", {}, MediaTooLarge, "max_download_size", id="url-over-cap"
    ),
    pytest.param(
        lambda d, u: u + "big-stream.png",
        {},
        MediaTooLarge,
        "max_download_size",
        id="url-over-cap-streamed",
    ),
    pytest.param(
        lambda d, u: short_stream(),
        {"size": len(PNG)},
        MediaSourceError,
        "ended",
        id="stream-shorter-than-size",
    ),
    pytest.param(
        lambda d, u: b"plain words", {}, UnsupportedMediaType, "media_type=", id="unknown-type"
    ),
    pytest.param(
        lambda d, u: MP4,
        {"chunked": False},
        UnsupportedMediaType,
        "chunked",
        id="video-not-chunked",
    ),
    pytest.param(
        lambda d, u: PNG + bytes(5 * MIB), {}, MediaTooLarge, "5242880", id="image-over-limit"
    ),
    pytest.param(
        lambda d, u: PNG, {"alt_text": "x" * 1001}, ValueError, "1000", id="alt-text-too-long"
    ),
    pytest.param(
        lambda d, u: PNG, {"chunk_size": 6 * MIB}, ValueError, "5 MiB", id="chunk-too-large"
    ),
    pytest.param(lambda d, u: io.StringIO("text"), {}, MediaSourceError, "'rb'", id="stringio"),
]


@pytest.mark.parametrize(("make", "options", "error", "message"), CASES)
async def test_bad_input(
    sandbox: Sandbox,
    media_host: str,
    tmp_path: Path,
    make: Case,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    (tmp_path / "cat.png").write_bytes(PNG)
    (tmp_path / "empty.png").write_bytes(b"")
    check = LeakCheck()
    obj = make(tmp_path, media_host)
    async with MediaClient(
        **sandbox.credentials,
        upload_url=sandbox.url,
        api_url=sandbox.url,
        max_download_size=2 * MIB,
    ) as client:
        try:
            if hasattr(obj, "__aenter__") and not hasattr(obj, "__aiter__"):
                async with obj as opened:
                    with pytest.raises(error, match=message):
                        await client.upload_media(opened, **options)
            else:
                with pytest.raises(error, match=message):
                    await client.upload_media(obj, **options)
        finally:
            if isinstance(obj, io.IOBase):
                assert not obj.closed, "a caller's file must stay open"
                obj.close()
    if "size" in options:  # a stream is sent as it is read: the service sees a cut request
        assert sandbox.uploads == {}, "a truncated upload must never be stored"
    else:
        assert sandbox.requests == [], "nothing may reach the service"
    await check.verify()
    assert not [p for p in os.listdir(tmp_path) if p not in ("cat.png", "empty.png")]
