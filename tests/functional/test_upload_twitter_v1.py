"""MediaClient against the sandbox: every source kind, both uploaders, byte-exact (sha256)."""

from __future__ import annotations

import hashlib
import io
import math
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiofiles
import aiohttp
import pytest
from aiohttp import web
from local_servers import serving
from yarl import URL

from asyncmedia import (
    AuthenticationError,
    MediaClient,
    MediaSourceError,
    MediaTooLarge,
    ProcessingError,
    ProcessingTimeout,
    UnsupportedMediaType,
)
from asyncmedia.sandbox import Sandbox

MIB = 1024 * 1024


def png_bytes(size: int = 40_000) -> bytes:
    body = bytes((i * 7 + i // 251) % 256 for i in range(size - 8))
    return b"\x89PNG\r\n\x1a\n" + body


def mp4_bytes(size: int) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    pattern = hashlib.sha256(b"video").digest() * (size // 32 + 1)
    return ftyp + pattern[: size - len(ftyp)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[MediaClient]:
    async with MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as c:
        yield c


@dataclass
class MediaServer:
    """A second local server (not the sandbox) serving media files by URL."""

    url: URL
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    def __truediv__(self, name: str) -> URL:
        return self.url / name


@pytest.fixture
async def media_server() -> AsyncIterator[MediaServer]:
    png = png_bytes()
    server = MediaServer(URL("http://127.0.0.1/"))

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=png, content_type="image/png")

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "image/png"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for start in range(0, len(png), 4096):
            await resp.write(png[start : start + 4096])
        await resp.write_eof()
        return resp

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="nope")

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * MIB), content_type="image/png")

    async def echo_headers(request: web.Request) -> web.Response:
        server.seen_headers.append(dict(request.headers))
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.router.add_get("/cat.png", image)
    app.router.add_get("/stream.png", chunked)
    app.router.add_get("/missing.png", missing)
    app.router.add_get("/huge.png", huge)
    app.router.add_get("/headers.png", echo_headers)
    async with serving(app) as url:
        server.url = url
        yield server


# -- every source kind, simple upload -------------------------------------------------------


async def test_path_str_and_pathlib(client: MediaClient, sandbox: Sandbox, tmp_path: Path) -> None:
    data = png_bytes()
    path = tmp_path / "cat.png"
    path.write_bytes(data)
    for source in (str(path), path):
        media = await client.upload_media(source, alt_text="A cat on a sofa")
        record = sandbox.uploads[media.media_id]
        assert record.sha256 == sha(data)
        assert record.chunked is False
        assert record.alt_text == "A cat on a sofa"
        assert media.media_type == "image/png"
        assert media.size == len(data)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
async def test_bytes_like(client: MediaClient, sandbox: Sandbox, kind: type) -> None:
    data = png_bytes()
    media = await client.upload_media(kind(data))
    assert sandbox.uploads[media.media_id].sha256 == sha(data)


async def test_sync_files_stay_open(client: MediaClient, sandbox: Sandbox, tmp_path: Path) -> None:
    data = png_bytes()
    path = tmp_path / "cat.png"
    path.write_bytes(data)
    with open(path, "rb") as fh:  # noqa: ASYNC230
        media = await client.upload_media(fh)
        assert not fh.closed
    assert sandbox.uploads[media.media_id].sha256 == sha(data)
    buffer = io.BytesIO(data)
    media = await client.upload_media(buffer)
    assert not buffer.closed
    assert sandbox.uploads[media.media_id].sha256 == sha(data)


async def test_aiofiles(client: MediaClient, sandbox: Sandbox, tmp_path: Path) -> None:
    data = png_bytes()
    path = tmp_path / "cat.png"
    path.write_bytes(data)
    async with aiofiles.open(path, "rb") as fh:
        media = await client.upload_media(fh)
        assert not fh.closed
    assert sandbox.uploads[media.media_id].sha256 == sha(data)


async def test_url_str_and_yarl(
    client: MediaClient, sandbox: Sandbox, media_server: MediaServer
) -> None:
    for source in (str(media_server / "cat.png"), media_server / "cat.png"):
        media = await client.upload_media(source)
        assert sandbox.uploads[media.media_id].sha256 == sha(png_bytes())


async def test_url_without_content_length_is_spooled(
    client: MediaClient, sandbox: Sandbox, media_server: MediaServer
) -> None:
    media = await client.upload_media(str(media_server / "stream.png"))
    assert sandbox.uploads[media.media_id].sha256 == sha(png_bytes())


async def test_client_response(
    client: MediaClient, sandbox: Sandbox, media_server: MediaServer
) -> None:
    async with aiohttp.ClientSession() as session, session.get(media_server / "cat.png") as resp:
        media = await client.upload_media(resp)
        assert not resp.closed or resp.connection is None  # ours to release, not the client's
    assert sandbox.uploads[media.media_id].sha256 == sha(png_bytes())


async def test_caller_session_is_used_and_left_open(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        async with MediaClient(
            **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url, session=session
        ) as client:
            media = await client.upload_media(png_bytes())
            assert client.session is session
        assert not session.closed
    assert sandbox.uploads[media.media_id].sha256 == sha(png_bytes())


async def test_own_session_is_closed(sandbox: Sandbox) -> None:
    client = MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url)
    await client.upload_media(png_bytes())
    session = client.session
    await client.close()
    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.upload_media(png_bytes())


# -- chunked ----------------------------------------------------------------------------------


async def test_video_12mb_chunked_with_status_polling(
    client: MediaClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    data = mp4_bytes(12 * MIB)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    seen: list[tuple[int, int]] = []
    media = await client.upload_media(
        path, chunk_size=MIB, progress=lambda s, t: seen.append((s, t))
    )
    record = sandbox.uploads[media.media_id]
    assert record.sha256 == sha(data)
    assert record.chunked is True
    assert record.media_type == "video/mp4"
    assert record.media_category == "tweet_video"
    assert len(record.segments) == 12 and set(record.segments.values()) == {1}
    assert media.processing_info is not None and media.processing_info["state"] == "succeeded"
    assert media.raw["processing_info"]["state"] == "succeeded"
    polls = record.status_polls
    assert len(polls) == sandbox.processing_steps + 1
    gaps = [b - a for a, b in zip([record.finalized_at, *polls], polls, strict=False)]
    assert all(gap >= sandbox.check_after_secs * 0.9 for gap in gaps), gaps
    assert seen[-1] == (len(data), len(data))
    assert max(s for s, _ in seen) == len(data)


async def test_forced_chunked_image(client: MediaClient, sandbox: Sandbox) -> None:
    data = png_bytes(3 * MIB + 5)
    media = await client.upload_media(data, chunked=True, chunk_size=MIB)
    record = sandbox.uploads[media.media_id]
    assert record.sha256 == sha(data)
    assert record.chunked and record.media_category == "tweet_image"
    assert len(record.segments) == math.ceil(len(data) / MIB)
    assert media.processing_info is None


async def test_async_progress_callback(client: MediaClient) -> None:
    seen: list[int] = []

    async def progress(sent: int, total: int) -> None:
        seen.append(sent)

    data = png_bytes(2 * MIB)
    await client.upload_media(data, chunked=True, chunk_size=MIB, progress=progress)
    assert seen[-1] == len(data)


async def test_processing_failure(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.processing_outcome = "failed"
    with pytest.raises(ProcessingError) as caught:
        await client.upload_media(mp4_bytes(2 * MIB))
    assert caught.value.name == "InvalidMedia"
    assert caught.value.message == "Unsupported video format"


async def test_processing_timeout(sandbox: Sandbox) -> None:
    sandbox.processing_steps = 1000
    async with MediaClient(
        **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url, processing_timeout=0.3
    ) as client:
        with pytest.raises(ProcessingTimeout, match="processing_timeout"):
            await client.upload_media(mp4_bytes(MIB))


# -- bad input: typed errors, no request sent -----------------------------------------------


async def test_wrong_credentials(sandbox: Sandbox) -> None:
    creds = dict(sandbox.credentials, consumer_secret="wrong")
    async with MediaClient(**creds, upload_url=sandbox.url, api_url=sandbox.url) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_media(png_bytes())
    assert caught.value.status == 401 and caught.value.code == 32


async def test_text_mode_file(client: MediaClient, tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(png_bytes())
    with open(path) as fh, pytest.raises(MediaSourceError, match="'rb'"):  # noqa: ASYNC230
        await client.upload_media(fh)
    async with aiofiles.open(path) as afh:
        with pytest.raises(MediaSourceError, match="'rb'"):
            await client.upload_media(afh)


async def test_bad_sources(
    client: MediaClient, sandbox: Sandbox, tmp_path: Path, media_server: MediaServer
) -> None:
    with pytest.raises(MediaSourceError, match=r"nope\.png"):
        await client.upload_media(str(tmp_path / "nope.png"))
    with pytest.raises(MediaSourceError, match="empty"):
        await client.upload_media(b"")
    with pytest.raises(MediaSourceError, match="404"):
        await client.upload_media(str(media_server / "missing.png"))
    with pytest.raises(MediaSourceError, match="bytes"):
        await client.upload_media(12345)
    with pytest.raises(UnsupportedMediaType, match="media_type="):
        await client.upload_media(b"just some text, no magic")
    assert sandbox.requests == []


async def test_download_cap(sandbox: Sandbox, media_server: MediaServer) -> None:
    async with MediaClient(
        **sandbox.credentials,
        upload_url=sandbox.url,
        api_url=sandbox.url,
        max_download_size=MIB,
    ) as client:
        with pytest.raises(MediaTooLarge):
            await client.upload_media(str(media_server / "huge.png"))
    assert sandbox.requests == []


async def test_limits_checked_before_any_request(client: MediaClient, sandbox: Sandbox) -> None:
    with pytest.raises(UnsupportedMediaType, match="chunked"):
        await client.upload_media(mp4_bytes(MIB), chunked=False)
    with pytest.raises(MediaTooLarge, match="5242880"):
        await client.upload_media(png_bytes(5 * MIB + 10))
    with pytest.raises(ValueError, match="1000"):
        await client.upload_media(png_bytes(), alt_text="x" * 1001)
    with pytest.raises(ValueError, match="5 MiB"):
        await client.upload_media(png_bytes(), chunk_size=6 * MIB)
    assert sandbox.requests == []


async def test_download_carries_no_service_credentials(
    client: MediaClient, media_server: MediaServer
) -> None:
    await client.upload_media(str(media_server / "headers.png"))
    assert len(media_server.seen_headers) == 1
    assert "Authorization" not in media_server.seen_headers[0]
