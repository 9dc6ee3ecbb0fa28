"""Every kind of media source reads back byte-exact, and every misuse fails clearly.

A real ``aiohttp.web`` server on 127.0.0.1 (port 0) serves downloads and receives uploads;
fixtures are local to this module (tests/conftest.py belongs to the shared test setup).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import pathlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiofiles
import aiohttp
import pytest
import yarl
from aiohttp import web
from aiohttp.test_utils import TestServer

from asyncmedia.errors import MediaSourceError, MediaTooLarge
from asyncmedia.sources import (
    AsyncFileSource,
    AsyncIterableSource,
    BytesSource,
    MediaSource,
    PathSource,
    ResponseSource,
    SpooledSource,
    StreamSource,
    SyncFileSource,
    open_source,
)

MiB = 1024 * 1024
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PAYLOAD = PNG_HEAD + os.urandom(3 * MiB + 4321)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
PIECE = 256 * 1024
SEEN_HEADERS = web.AppKey("seen_headers", list[dict[str, str]])


async def read_all(source: MediaSource, n: int = MiB) -> str:
    """Read ``source`` in ``n``-byte pieces; every piece but the last must be full."""
    digest = hashlib.sha256()
    total = 0
    while True:
        chunk = await source.read(n)
        if not chunk:
            break
        total += len(chunk)
        digest.update(chunk)
        if len(chunk) < n:
            assert await source.read(n) == b"", "a short read happened before EOF"
            break
    assert total == source.size
    return digest.hexdigest()


def spool_fds(spool_dir: pathlib.Path) -> list[str]:
    """Open file descriptors of this process that point into ``spool_dir`` (or at a file)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(spool_dir)):
            found.append(target)
    return found


async def chunks(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0)


# -- the local web server ---------------------------------------------------------------------


async def _serve_png(request: web.Request) -> web.Response:
    request.app[SEEN_HEADERS].append(dict(request.headers))
    return web.Response(body=PAYLOAD, content_type="image/png")


async def _serve_octet(request: web.Request) -> web.Response:
    return web.Response(body=PAYLOAD, content_type="application/octet-stream")


async def _serve_chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for start in range(0, len(PAYLOAD), PIECE):
        await resp.write(PAYLOAD[start : start + PIECE])
    await resp.write_eof()
    return resp


async def _serve_trickle(request: web.Request) -> web.StreamResponse:
    """Content-Length known, body in small pieces: resp.content.read(n) returns short."""
    resp = web.StreamResponse()
    resp.content_length = len(PAYLOAD)
    resp.content_type = "image/png"
    await resp.prepare(request)
    for start in range(0, len(PAYLOAD), 7_000):
        await resp.write(PAYLOAD[start : start + 7_000])
        if start % 70_000 == 0:
            await asyncio.sleep(0.001)
    await resp.write_eof()
    return resp


async def _serve_empty(request: web.Request) -> web.Response:
    return web.Response(body=b"", content_type="image/png")


async def _serve_empty_chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    await resp.write_eof()
    return resp


async def _serve_missing(request: web.Request) -> web.Response:
    return web.Response(status=404, text="nothing here")


async def _upload_body(request: web.Request) -> web.Response:
    async with await open_source(request) as source:
        kind = type(source).__name__
        sha = await read_all(source)
        info = {"sha": sha, "size": source.size, "kind": kind, "type": source.content_type}
    return web.json_response(info)


async def _upload_multipart(request: web.Request) -> web.Response:
    reader = await request.multipart()
    part = await reader.next()
    assert isinstance(part, aiohttp.BodyPartReader)
    async with await open_source(part) as source:
        info = {
            "sha": await read_all(source),
            "size": source.size,
            "kind": type(source).__name__,
            "filename": source.filename,
            "type": source.content_type,
        }
    return web.json_response(info)


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application()
    app[SEEN_HEADERS] = []
    app.router.add_get("/media/cat.png", _serve_png)
    app.router.add_get("/media/blob.bin", _serve_octet)
    app.router.add_get("/media/clip.mp4", _serve_chunked)
    app.router.add_get("/media/trickle.png", _serve_trickle)
    app.router.add_get("/media/empty.png", _serve_empty)
    app.router.add_get("/media/empty-chunked", _serve_empty_chunked)
    app.router.add_get("/media/", _serve_png)
    app.router.add_get("/missing.png", _serve_missing)
    app.router.add_post("/upload", _upload_body)
    app.router.add_post("/multipart", _upload_multipart)
    test_server = TestServer(app, host="127.0.0.1", port=0)
    async with test_server:
        yield test_server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def payload_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "cat.png"
    path.write_bytes(PAYLOAD)
    return path


@pytest.fixture
def spool_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    directory = tmp_path / "spool"
    directory.mkdir()
    return directory


# -- every kind reads back byte-exact ---------------------------------------------------------


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
async def test_bytes_like(wrap: Callable[[bytes], Any]) -> None:
    async with await open_source(wrap(PAYLOAD)) as source:
        assert isinstance(source, BytesSource)
        assert source.size == len(PAYLOAD)
        assert source.seekable
        assert source.filename == "media.png"  # nothing declared: "media" + sniffed extension
        assert source.describe() == f"bytes ({len(PAYLOAD)} bytes)"
        assert await read_all(source) == PAYLOAD_SHA


async def test_memoryview_of_other_format_is_read_as_bytes() -> None:
    words = memoryview(bytearray(PAYLOAD[:4096])).cast("I")
    async with await open_source(words) as source:
        assert source.size == 4096
        assert await source.read(5000) == PAYLOAD[:4096]


async def test_non_contiguous_memoryview_is_refused() -> None:
    with pytest.raises(MediaSourceError, match="not C-contiguous"):
        await open_source(memoryview(PAYLOAD)[::2])


@pytest.mark.parametrize("as_path", [str, pathlib.Path])
async def test_path(payload_file: pathlib.Path, as_path: Callable[[pathlib.Path], Any]) -> None:
    source = await open_source(as_path(payload_file))
    assert isinstance(source, PathSource)
    assert source.size == len(PAYLOAD)
    assert source.filename == "cat.png"
    assert source.content_type is None
    assert source.describe() == f"file {str(payload_file)!r}"
    assert await read_all(source) == PAYLOAD_SHA
    await source.aclose()
    assert source._file.closed, "a file asyncmedia opened must be closed by aclose"
    await source.aclose()  # idempotent
    with pytest.raises(MediaSourceError, match="closed"):
        await source.read(1)


async def test_sync_file_stays_open(payload_file: pathlib.Path) -> None:
    with open(payload_file, "rb") as file:  # noqa: ASYNC230 - test input
        async with await open_source(file) as source:
            assert isinstance(source, SyncFileSource)
            assert source.filename == "cat.png"
            assert await read_all(source) == PAYLOAD_SHA
        assert not file.closed, "the caller's file must stay open"
        file.seek(0)
        assert file.read(8) == PAYLOAD[:8]


async def test_sync_file_from_its_current_position(payload_file: pathlib.Path) -> None:
    with open(payload_file, "rb") as file:  # noqa: ASYNC230 - test input
        file.seek(1000)
        async with await open_source(file) as source:
            assert source.size == len(PAYLOAD) - 1000
            assert await source.read(10) == PAYLOAD[1000:1010]
            await source.rewind()
            assert await source.read(10) == PAYLOAD[1000:1010]


async def test_bytesio_is_read_inline() -> None:
    buffer = io.BytesIO(PAYLOAD)
    async with await open_source(buffer, filename="dir/sub/upload.png") as source:
        assert source.filename == "upload.png"  # never a directory
        assert await read_all(source) == PAYLOAD_SHA
    assert not buffer.closed


class OnePassFile(io.RawIOBase):
    """A binary, non-seekable file whose reads come back short (like a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), 50_000, len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


async def test_non_seekable_sync_file_is_spooled(spool_dir: pathlib.Path) -> None:
    pipe = OnePassFile(PAYLOAD)
    source = await open_source(pipe, spool_dir=str(spool_dir))
    assert isinstance(source, SpooledSource)
    assert source.seekable
    assert len(spool_fds(spool_dir)) == 1
    assert await read_all(source) == PAYLOAD_SHA
    await source.aclose()
    assert spool_fds(spool_dir) == []
    assert os.listdir(spool_dir) == []
    assert not pipe.closed


async def test_non_seekable_sync_file_with_size_streams() -> None:
    pipe = OnePassFile(PAYLOAD)
    async with await open_source(pipe, size=len(PAYLOAD)) as source:
        assert isinstance(source, SyncFileSource)
        assert not source.seekable
        assert await read_all(source) == PAYLOAD_SHA


async def test_aiofiles_file_stays_open(payload_file: pathlib.Path) -> None:
    async with aiofiles.open(payload_file, "rb") as file:
        async with await open_source(file) as source:
            assert isinstance(source, AsyncFileSource)
            assert source.size == len(PAYLOAD)
            assert source.filename == "cat.png"
            assert await source.peek(8) == PAYLOAD[:8]
            assert await read_all(source) == PAYLOAD_SHA
            await source.seek(3)
            assert await source.read(5) == PAYLOAD[3:8]
        assert not file.closed
        await file.seek(0)
        assert await file.read(4) == PAYLOAD[:4]


async def test_aiofiles_unbuffered(payload_file: pathlib.Path) -> None:
    async with (
        aiofiles.open(payload_file, "rb", buffering=0) as file,
        await open_source(file) as source,
    ):
        assert await read_all(source) == PAYLOAD_SHA


async def test_url_with_content_length_streams(
    server: TestServer, session: aiohttp.ClientSession, spool_dir: pathlib.Path
) -> None:
    url = server.make_url("/media/cat.png")
    source = await open_source(str(url), session=session, spool_dir=str(spool_dir))
    assert isinstance(source, ResponseSource)
    assert spool_fds(spool_dir) == [], "a download with Content-Length is not spooled"
    assert source.size == len(PAYLOAD)
    assert source.filename == "cat.png"
    assert source.content_type == "image/png"
    assert source.describe() == f"URL {url}"
    assert await read_all(source) == PAYLOAD_SHA
    await source.aclose()
    assert source._response.closed, "the response asyncmedia fetched must be released"
    # Nothing but the plain GET: no Authorization, no Cookie, no custom headers.
    (headers,) = server.app[SEEN_HEADERS]
    assert "Authorization" not in headers
    assert "Cookie" not in headers


async def test_yarl_url_and_octet_stream_is_not_a_declared_type(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async with await open_source(server.make_url("/media/blob.bin"), session=session) as source:
        assert source.content_type is None
        assert source.filename == "blob.bin"
        assert await read_all(source) == PAYLOAD_SHA


async def test_url_without_last_segment_gets_a_made_up_name(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async with await open_source(server.make_url("/media/"), session=session) as source:
        assert source.filename == "media.png"


async def test_url_without_content_length_is_spooled(
    server: TestServer, session: aiohttp.ClientSession, spool_dir: pathlib.Path
) -> None:
    url = server.make_url("/media/clip.mp4")
    source = await open_source(str(url), session=session, spool_dir=str(spool_dir))
    assert isinstance(source, SpooledSource)
    assert source.size == len(PAYLOAD)
    assert source.filename == "clip.mp4"
    assert source.content_type == "video/mp4"
    assert "(spooled)" in source.describe()
    assert len(spool_fds(spool_dir)) == 1
    assert await read_all(source) == PAYLOAD_SHA
    await source.rewind()
    assert await read_all(source) == PAYLOAD_SHA
    await source.aclose()
    assert spool_fds(spool_dir) == []


async def test_short_reads_of_a_response_are_accumulated(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(server.make_url("/media/trickle.png")) as resp:
        source = await open_source(resp)
        assert isinstance(source, ResponseSource)
        assert source.size == len(PAYLOAD)
        # read_all asserts every 64 KiB piece but the last is full although the server
        # sends 7000-byte pieces and StreamReader.read(n) hands back what has arrived.
        assert await read_all(source, 64 * 1024) == PAYLOAD_SHA
        await source.aclose()


async def test_caller_response_is_left_open(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(server.make_url("/media/cat.png")) as resp:
        async with await open_source(resp) as source:
            assert source.content_type == "image/png"
            assert source.filename == "cat.png"
            assert await source.read(16) == PAYLOAD[:16]
        assert not resp.closed
        assert await resp.content.read(16) == PAYLOAD[16:32]


async def test_caller_response_without_length_is_spooled(
    server: TestServer, session: aiohttp.ClientSession, spool_dir: pathlib.Path
) -> None:
    async with (
        session.get(server.make_url("/media/clip.mp4")) as resp,
        await open_source(resp, spool_dir=str(spool_dir)) as source,
    ):
        assert isinstance(source, SpooledSource)
        assert await read_all(source) == PAYLOAD_SHA
    assert spool_fds(spool_dir) == []


async def test_stream_reader(server: TestServer, session: aiohttp.ClientSession) -> None:
    async with (
        session.get(server.make_url("/media/cat.png")) as resp,
        await open_source(resp.content, size=len(PAYLOAD)) as source,
    ):
        assert isinstance(source, StreamSource)
        assert not source.seekable
        assert await read_all(source) == PAYLOAD_SHA


async def test_stream_reader_without_size_is_spooled(
    server: TestServer, session: aiohttp.ClientSession, spool_dir: pathlib.Path
) -> None:
    async with (
        session.get(server.make_url("/media/cat.png")) as resp,
        await open_source(resp.content, spool_dir=str(spool_dir)) as source,
    ):
        assert isinstance(source, SpooledSource)
        assert source.size == len(PAYLOAD)
        assert await read_all(source) == PAYLOAD_SHA
    assert spool_fds(spool_dir) == []


async def test_web_request_with_content_length(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    headers = {"Content-Type": "image/png"}
    async with session.post(
        server.make_url("/upload"), data=io.BytesIO(PAYLOAD), headers=headers
    ) as resp:
        assert resp.status == 200
        info = await resp.json()
    assert info == {"sha": PAYLOAD_SHA, "size": len(PAYLOAD), "kind": "StreamSource",
                    "type": "image/png"}  # fmt: skip


async def test_web_request_chunked_is_spooled(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async with session.post(server.make_url("/upload"), data=chunks(PAYLOAD)) as resp:
        assert resp.status == 200
        info = await resp.json()
    assert info["sha"] == PAYLOAD_SHA
    assert info["size"] == len(PAYLOAD)
    assert info["kind"] == "SpooledSource"


async def test_multipart_field(server: TestServer, session: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("media", io.BytesIO(PAYLOAD), filename="banner.png", content_type="image/png")
    async with session.post(server.make_url("/multipart"), data=form) as resp:
        assert resp.status == 200
        info = json.loads(await resp.text())
    assert info == {"sha": PAYLOAD_SHA, "size": len(PAYLOAD), "kind": "SpooledSource",
                    "filename": "banner.png", "type": "image/png"}  # fmt: skip


async def test_async_iterable_with_size_streams() -> None:
    async with await open_source(chunks(PAYLOAD), size=len(PAYLOAD)) as source:
        assert isinstance(source, AsyncIterableSource)
        assert source.size == len(PAYLOAD)
        assert await read_all(source) == PAYLOAD_SHA


async def test_async_iterable_without_size_is_spooled(spool_dir: pathlib.Path) -> None:
    async with await open_source(chunks(PAYLOAD), spool_dir=str(spool_dir)) as source:
        assert isinstance(source, SpooledSource)
        assert source.size == len(PAYLOAD)
        assert await read_all(source) == PAYLOAD_SHA
    assert spool_fds(spool_dir) == []


async def test_async_iterable_shorter_than_size_is_an_error() -> None:
    source = await open_source(chunks(PAYLOAD[:1000]), size=5000)
    with pytest.raises(MediaSourceError, match=r"ended after 1000 bytes, 5000 expected"):
        await read_all(source)
    await source.aclose()


async def test_async_iterable_longer_than_size_is_an_error() -> None:
    with pytest.raises(MediaSourceError, match="more than size=500"):
        async with await open_source(chunks(PAYLOAD[:1000], 1000), size=500) as source:
            await source.read(500)


async def test_async_iterable_of_str_is_an_error() -> None:
    async def text() -> AsyncIterator[str]:
        yield "not bytes"

    with pytest.raises(MediaSourceError, match="yielded str"):
        await open_source(text())


# -- peek and seek ----------------------------------------------------------------------------


async def test_peek_does_not_consume_one_pass_source() -> None:
    source = AsyncIterableSource(chunks(PAYLOAD, 10), size=len(PAYLOAD))
    assert await source.peek(64) == PAYLOAD[:64]
    assert await source.peek(16) == PAYLOAD[:16]
    assert await source.read(100) == PAYLOAD[:100]
    with pytest.raises(MediaSourceError, match="peek"):
        await source.peek(8)
    await source.aclose()


async def test_peek_on_seekable_source_after_reading() -> None:
    async with BytesSource(PAYLOAD) as source:
        assert await source.read(1000) == PAYLOAD[:1000]
        assert await source.peek(32) == PAYLOAD[:32]
        assert await source.read(10) == PAYLOAD[1000:1010]


async def test_peek_at_eof_of_a_short_source() -> None:
    async with await open_source(b"GIF89a") as source:
        assert await source.peek(64) == b"GIF89a"
        assert source.filename == "media.gif"
        assert await source.read(100) == b"GIF89a"
        assert await source.read(100) == b""


async def test_seek_forward_on_one_pass_source_and_not_back() -> None:
    source = AsyncIterableSource(chunks(PAYLOAD, 333), size=len(PAYLOAD))
    await source.peek(10)
    await source.seek(2 * MiB)
    assert await source.read(10) == PAYLOAD[2 * MiB : 2 * MiB + 10]
    with pytest.raises(MediaSourceError, match="cannot seek back"):
        await source.seek(0)
    await source.aclose()


async def test_seek_on_seekable_sources(payload_file: pathlib.Path) -> None:
    async with await open_source(payload_file) as source:
        await source.seek(MiB)
        assert await source.read(100) == PAYLOAD[MiB : MiB + 100]
        await source.seek(5)
        assert await source.read(5) == PAYLOAD[5:10]
        with pytest.raises(MediaSourceError, match="it has"):
            await source.seek(len(PAYLOAD) + 1)


async def test_size_limits_a_file_to_its_first_bytes(payload_file: pathlib.Path) -> None:
    async with await open_source(payload_file, size=1000) as source:
        assert source.size == 1000
        assert await source.read(5000) == PAYLOAD[:1000]
    with pytest.raises(MediaSourceError, match="has only"):
        await open_source(payload_file, size=len(PAYLOAD) + 1)
    assert spool_fds(payload_file) == [], "the factory must close the file it opened"


# -- misuse fails with the right error --------------------------------------------------------


async def test_text_mode_sync_file(payload_file: pathlib.Path) -> None:
    with open(payload_file, encoding="latin-1") as file:  # noqa: ASYNC230 - test input
        with pytest.raises(MediaSourceError, match=r"text mode; open it with 'rb'") as info:
            await open_source(file)
        assert "cat.png" in str(info.value)
        assert not file.closed


async def test_text_mode_stringio_and_str_returning_read() -> None:
    with pytest.raises(MediaSourceError, match="text mode"):
        await open_source(io.StringIO("GIF89a"))

    class StrReader:
        def read(self, n: int = -1) -> str:
            return "x" * max(n, 0)

    with pytest.raises(MediaSourceError, match=r"text mode; open it with 'rb'"):
        await open_source(StrReader())


async def test_text_mode_aiofiles(payload_file: pathlib.Path) -> None:
    async with aiofiles.open(payload_file, encoding="latin-1") as file:
        with pytest.raises(MediaSourceError, match=r"aiofiles\.open\(path, 'rb'\)") as info:
            await open_source(file)
        assert "text mode" in str(info.value)
        assert not file.closed


async def test_missing_path(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(MediaSourceError, match="no such file") as info:
        await open_source(missing)
    assert repr(str(missing)) in str(info.value)


async def test_directory(tmp_path: pathlib.Path) -> None:
    with pytest.raises(MediaSourceError, match="is a directory"):
        await open_source(str(tmp_path))


@pytest.mark.parametrize("empty", [b"", bytearray(), memoryview(b"")])
async def test_empty_bytes(empty: Any) -> None:
    with pytest.raises(MediaSourceError, match=r"bytes \(0 bytes\) is empty"):
        await open_source(empty)


async def test_empty_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(MediaSourceError, match="is empty"):
        await open_source(path)
    assert spool_fds(path) == [], "the factory must close the file it opened"


async def test_empty_stream_is_an_error_and_leaves_no_spool(spool_dir: pathlib.Path) -> None:
    async def nothing() -> AsyncIterator[bytes]:
        for _ in ():
            yield b""

    with pytest.raises(MediaSourceError, match="is empty"):
        await open_source(nothing(), spool_dir=str(spool_dir))
    assert spool_fds(spool_dir) == []


@pytest.mark.parametrize("obj", [42, {"path": "cat.png"}, None, 1.5, ["a"]])
async def test_unsupported_object(obj: object) -> None:
    with pytest.raises(MediaSourceError, match="cannot read media from") as info:
        await open_source(obj)
    message = str(info.value)
    for kind in ("file path", "http(s) URL", "bytes", "binary file object", "aiofiles",
                 "ClientResponse", "StreamReader", "web.Request", "BodyPartReader",
                 "async iterable"):  # fmt: skip
        assert kind in message


async def test_closed_sync_file(payload_file: pathlib.Path) -> None:
    file = open(payload_file, "rb")  # noqa: ASYNC230, SIM115 - test input
    file.close()
    with pytest.raises(MediaSourceError, match="is closed"):
        await open_source(file)


async def test_closed_aiofiles_file(payload_file: pathlib.Path) -> None:
    async with aiofiles.open(payload_file, "rb") as file:
        pass
    with pytest.raises(MediaSourceError, match="is closed"):
        await open_source(file)


async def test_url_needs_a_session() -> None:
    with pytest.raises(MediaSourceError, match="pass session="):
        await open_source("https://example.invalid/cat.png")


async def test_other_url_schemes_are_refused() -> None:
    with pytest.raises(MediaSourceError, match="unsupported URL scheme 'ftp'"):
        await open_source("ftp://example.invalid/cat.png")


async def test_url_404_mentions_status_and_masks_password(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    url = server.make_url("/missing.png")
    url = url.with_user("alice").with_password("s3cret")
    with pytest.raises(MediaSourceError, match="404") as info:
        await open_source(str(url), session=session)
    message = str(info.value)
    assert "/missing.png" in message
    assert "s3cret" not in message
    assert "alice" not in message


async def test_url_empty_body(server: TestServer, session: aiohttp.ClientSession) -> None:
    with pytest.raises(MediaSourceError, match="is empty"):
        await open_source(server.make_url("/media/empty.png"), session=session)
    with pytest.raises(MediaSourceError, match="is empty"):
        await open_source(server.make_url("/media/empty-chunked"), session=session)


async def test_url_over_cap_with_content_length(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    cap = MiB
    with pytest.raises(MediaTooLarge, match="download cap") as info:
        await open_source(
            str(server.make_url("/media/cat.png")), session=session, max_download_size=cap
        )
    assert info.value.size == len(PAYLOAD)
    assert info.value.limit == cap


async def test_url_over_cap_while_streaming(
    server: TestServer, session: aiohttp.ClientSession, spool_dir: pathlib.Path
) -> None:
    cap = MiB + 1
    with pytest.raises(MediaTooLarge, match="download cap") as info:
        await open_source(
            str(server.make_url("/media/clip.mp4")),
            session=session,
            max_download_size=cap,
            spool_dir=str(spool_dir),
        )
    assert info.value.size is None
    assert info.value.limit == cap
    assert spool_fds(spool_dir) == [], "the spool file must be closed when spooling fails"


async def test_cancelled_spool_closes_its_temp_file(spool_dir: pathlib.Path) -> None:
    stalled = asyncio.Event()

    async def stalling() -> AsyncIterator[bytes]:
        yield PAYLOAD[:MiB]
        yield PAYLOAD[MiB : 2 * MiB]
        stalled.set()
        await asyncio.Event().wait()  # never set
        yield b""  # pragma: no cover

    task = asyncio.create_task(open_source(stalling(), spool_dir=str(spool_dir)))
    await stalled.wait()
    assert len(spool_fds(spool_dir)) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert spool_fds(spool_dir) == []


async def test_yarl_url_passed_as_object_with_other_scheme() -> None:
    with pytest.raises(MediaSourceError, match="unsupported URL scheme"):
        await open_source(yarl.URL("file:///etc/passwd"))


async def test_media_source_passes_through() -> None:
    source = BytesSource(PAYLOAD)
    assert await open_source(source) is source
    await source.aclose()


async def test_caller_response_with_error_status(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(server.make_url("/missing.png")) as resp:
        with pytest.raises(MediaSourceError, match=r"HTTP 404 Not Found from URL .*/missing\.png"):
            await open_source(resp)
        assert await resp.text() == "nothing here", "the caller's response was left alone"
