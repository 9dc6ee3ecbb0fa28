"""One regression test per defect of the "hostile networks, servers and sources" issue.

Numbered tests match the issue's numbered items; the rest are its "only typed errors" list.
The hostile server (tests/functional/hostile.py) plays the service where the sandbox cannot
misbehave the way a test needs.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import gzip
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hostile import (
    API_KEY,
    BLUESKY_PASSWORD,
    OAUTH,
    PNG,
    Answer,
    Hostile,
)
from local_servers import serving
from yarl import URL

from asyncmedia import (
    APIError,
    BlueskyClient,
    CrossOriginRedirect,
    MediaClient,
    MediaSourceError,
    MediaTooLarge,
    ProcessingError,
    RedirectRefused,
    TransportError,
    TwitPicClient,
    TwitrPixClient,
)
from asyncmedia.auth import BearerToken
from asyncmedia.config import UploadConfig
from asyncmedia.protocols.bluesky import BlueskyProtocol
from asyncmedia.protocols.http import HTTPRequest, HTTPResponse
from asyncmedia.protocols.mastodon import MastodonProtocol
from asyncmedia.protocols.media_rules import processing_delay
from asyncmedia.protocols.statusnet import StatusNetProtocol
from asyncmedia.protocols.twitpic import TwitPicProtocol
from asyncmedia.protocols.twitrpix import TwitrPixProtocol
from asyncmedia.protocols.twitter_v1 import TwitterV1Protocol
from asyncmedia.protocols.twitter_v2 import TwitterV2Protocol
from asyncmedia.sandbox import Sandbox
from asyncmedia.sources import open_source
from asyncmedia.transport import Transport

MEDIA = {"media_id": 710511363345354753, "media_id_string": "710511363345354753", "size": 1}


@pytest.fixture
async def hostile() -> AsyncIterator[Hostile]:
    server = Hostile()
    runners = await server.start()
    try:
        yield server
    finally:
        for runner in runners:
            await runner.cleanup()


def x_client(base: str, **overrides: Any) -> MediaClient:
    return MediaClient(**OAUTH, upload_url=base, api_url=base, retries=0, **overrides)


# -- 1. credentials stay with the service ------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
async def test_1_twitpic_secrets_never_follow_a_redirect_elsewhere(
    hostile: Hostile, status: int
) -> None:
    hostile.reset([Answer(status, mode="redirect", location="other")])
    async with TwitPicClient(API_KEY, **OAUTH, base_url=hostile.url) as client:
        with pytest.raises(CrossOriginRedirect) as caught:
            await client.upload(PNG, "hi")
    assert caught.value.host == "127.0.0.1" and "127.0.0.1" in str(caught.value)
    assert hostile.elsewhere == []
    sent = hostile.requests[0]
    assert API_KEY.encode() in sent.body and "X-Verify-Credentials-Authorization" in sent.headers


async def test_1_twitrpix_and_bluesky_bodies_never_go_elsewhere(hostile: Hostile) -> None:
    hostile.reset([Answer(307, mode="redirect", location="other")])
    async with TwitrPixClient(API_KEY, **OAUTH, base_url=hostile.url + "1/") as twitrpix:
        with pytest.raises(CrossOriginRedirect):
            await twitrpix.upload(PNG, "hi")
    async with BlueskyClient(
        hostile.url, identifier="me.test", password=BLUESKY_PASSWORD
    ) as bluesky:
        with pytest.raises(CrossOriginRedirect, match="another host"):
            await bluesky.upload_blob(PNG)
    assert hostile.elsewhere == []
    assert BLUESKY_PASSWORD.encode() in hostile.requests[-1].body


async def test_1_secret_headers_are_dropped_when_a_get_goes_elsewhere(hostile: Hostile) -> None:
    hostile.reset([Answer(301, mode="redirect", location="other")], Answer(200, b"{}"))
    request = HTTPRequest(
        "GET",
        URL(hostile.url + "status"),
        headers=(("X-Api-Key", "k-SECRET"), ("X-Plain", "visible")),
        secret_headers=frozenset({"x-api-key"}),
        retry_safe=True,
    )
    async with MediaClient(**OAUTH) as owner:
        transport = Transport(owner.session, BearerToken("tok-SECRET"), UploadConfig())
        answer = await transport.send(request)
    assert answer.status == 200
    assert hostile.requests[0].headers["X-Api-Key"] == "k-SECRET"
    (elsewhere,) = hostile.elsewhere
    assert "X-Api-Key" not in elsewhere.headers and "Authorization" not in elsewhere.headers
    assert elsewhere.headers["X-Plain"] == "visible"


# -- 2. a redirected upload never becomes a GET ------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_2_upload_redirected_to_a_get_fails_typed(hostile: Hostile, status: int) -> None:
    hostile.reset(
        [Answer(status, mode="redirect", location="/done"), Answer(200, json.dumps(MEDIA).encode())]
    )
    async with x_client(hostile.url) as client:
        with pytest.raises(RedirectRefused, match="GET") as caught:
            await client.upload_media(PNG)
    assert caught.value.status == status
    assert [seen.method for seen in hostile.requests] == ["POST"]


async def test_2_upload_307_same_origin_is_resent_whole(hostile: Hostile) -> None:
    hostile.reset(
        [Answer(307, mode="redirect", location="/again"), Answer(200, json.dumps(MEDIA).encode())]
    )
    async with x_client(hostile.url) as client:
        media = await client.upload_media(PNG)
    assert media.media_id_string == MEDIA["media_id_string"]
    first, second = hostile.requests
    assert (first.method, second.method, second.path) == ("POST", "POST", "/again")
    assert PNG in second.body and second.headers["Authorization"].startswith("OAuth ")


# -- 3. content encodings of media URLs are decoded ----------------------------------------------


@pytest.fixture
async def gzip_server() -> AsyncIterator[str]:
    big = PNG + os.urandom(80_000)

    async def serve(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(big),
            headers={"Content-Type": "image/png", "Content-Encoding": "gzip"},
        )

    app = web.Application()
    app.router.add_get("/cat.png", serve)
    async with serving(app) as url:
        yield str(url / "cat.png")


async def test_3_gzip_encoded_media_url_uploads_the_decoded_bytes(
    sandbox: Sandbox, gzip_server: str
) -> None:
    async with TwitPicClient(
        sandbox.twitpic_api_key, **sandbox.credentials, base_url=sandbox.twitpic_url
    ) as client:
        await client.upload(gzip_server, "decoded")
        record = sandbox.twitpic.uploads[-1]
        async with client.session.get(gzip_server) as resp:
            expected = await resp.read()
    assert len(expected) > 80_000
    assert record.sha256 == hashlib.sha256(expected).hexdigest()


async def test_3_the_download_cap_counts_decoded_bytes(gzip_server: str) -> None:
    async with MediaClient(**OAUTH, max_download_size=50_000) as client:
        with pytest.raises(MediaTooLarge):
            await client.open_source(gzip_server)


# -- 4. more bytes than promised is an error ---------------------------------------------------


async def read_all(source: Any, n: int) -> bytes:
    out = b""
    while chunk := await source.read(n):
        out += chunk
    return out


async def test_4_async_iterable_yielding_more_than_size_is_refused() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield PNG
        yield b"the excess starts a new chunk"

    source = await open_source(chunks(), size=len(PNG))
    with pytest.raises(MediaSourceError, match="more than"):
        await read_all(source, 1000)
    await source.aclose()


async def test_4_file_growing_during_the_upload_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "growing.png"
    path.write_bytes(PNG)
    source = await open_source(str(path))
    with path.open("ab") as more:
        more.write(b"appended while uploading")
    with pytest.raises(MediaSourceError, match="grew"):
        await read_all(source, 512)
    await source.aclose()


# -- 5. answers are read whole ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, json.dumps(MEDIA).encode(), mode="pieces", pieces=2, delay=0.05),
        Answer(200, json.dumps({**MEDIA, "pad": "x" * 200_000}).encode(), mode="pieces", pieces=4),
        Answer(200, json.dumps(MEDIA).encode(), mode="gzip"),
    ],
    ids=["two-pieces-50ms-apart", "200kB-in-pieces", "gzip"],
)
async def test_5_answers_in_pieces_are_read_whole(hostile: Hostile, answer: Answer) -> None:
    hostile.reset([answer])
    async with x_client(hostile.url) as client:
        media = await client.upload_media(PNG)
    assert media.media_id_string == MEDIA["media_id_string"]
    assert len(hostile.requests) == 1  # no retry that would duplicate the upload


# -- 6. FIFOs and pipes never hang the process -------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_6_fifo_path_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "media.fifo"
    os.mkfifo(fifo)
    done = run_python(f"""
        import asyncio
        from asyncmedia.errors import MediaSourceError
        from asyncmedia.sources import open_source
        try:
            asyncio.run(asyncio.wait_for(open_source({str(fifo)!r}), 5))
        except MediaSourceError as exc:
            print("refused:", exc)
    """)
    assert done.returncode == 0, done.stderr
    assert "refused:" in done.stdout and "FIFO" in done.stdout


# aiofiles reads in the loop's default executor, which asyncio.run waits for at exit: a read
# blocked on a pipe there would hang the process after the upload was given up.
@pytest.mark.parametrize(
    ("opened", "closed"),
    [
        ('open(read_end, "rb", buffering=0)', "pipe.close()"),
        ('await aiofiles.open(read_end, "rb", buffering=0)', "await pipe.close()"),
    ],
    ids=["file-object", "aiofiles"],
)
def test_6_a_pipe_whose_writer_never_closes_lets_asyncio_run_return(
    opened: str, closed: str
) -> None:
    done = run_python(f"""
        import asyncio, os
        import aiofiles
        from asyncmedia.sources import open_source

        read_end, write_end = os.pipe()
        os.write(write_end, b"\\x89PNG\\r\\n\\x1a\\n")   # and never closed

        async def main():
            pipe = {opened}
            try:
                await asyncio.wait_for(open_source(pipe), 0.3)
            except TimeoutError:
                print("timed out")
            finally:
                {closed}

        asyncio.run(main())
        print("returned")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["timed", "out", "returned"]


async def test_6_an_aiofiles_pipe_that_closes_uploads_byte_exact(sandbox: Sandbox) -> None:
    import threading

    import aiofiles

    data = b"\x00\x00\x00\x18ftypisom" + hashlib.sha256(b"pipe").digest() * 40000
    read_end, write_end = os.pipe()

    def writer() -> None:
        with open(write_end, "wb") as pipe:
            for at in range(0, len(data), 65536):
                pipe.write(data[at : at + 65536])

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    async with (
        aiofiles.open(read_end, "rb") as pipe,
        MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as client,
    ):
        media = await client.upload_media(pipe, media_type="video/mp4")
    thread.join(5)
    assert sandbox.uploads[media.media_id].sha256 == hashlib.sha256(data).hexdigest()


# -- 7. closing completes even when cancelled ----------------------------------------------------


async def test_7_cancelled_while_closing_still_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)

    async def chunks() -> AsyncIterator[bytes]:
        yield PNG

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for round_ in range(20):
            # A path (opened by asyncmedia) and a spool file (unknown size, copied first).
            source = await open_source(str(path) if round_ % 2 else chunks())
            file = source._file  # type: ignore[attr-defined]

            async def use(source: Any = source) -> None:
                async with source:
                    await asyncio.sleep(10)

            task = asyncio.create_task(use())
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.sleep(0)
            task.cancel()  # a second cancellation while it closes
            with pytest.raises(asyncio.CancelledError):
                await task
            assert file.closed and source.closed
            del source, file, task
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


# -- only typed errors: answers ----------------------------------------------------------------

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_XML = b"<a>" * 100_000 + b"</a>" * 100_000
BOGUS_XML = [
    b'<?xml version="1.0" encoding="x-bogus"?><rsp stat="ok"/>',
    b'<?xml version="1.0" encoding="utf-32"?><rsp stat="ok"/>',
]

READERS = {
    "x1": lambda r: TwitterV1Protocol("http://x/", "http://x/").read_media(r),
    "x2": lambda r: TwitterV2Protocol("http://x/").read_media(r),
    "mastodon": lambda r: MastodonProtocol("http://x/").read_upload(r),
    "bluesky-session": lambda r: BlueskyProtocol("http://x/").read_session(r),
    "bluesky-blob": lambda r: BlueskyProtocol("http://x/").read_blob(r),
    "twitpic-json": lambda r: TwitPicProtocol("http://x/").read_photo(r),
    "twitpic-xml": lambda r: TwitPicProtocol("http://x/", "xml").read_photo(r),
    "twitrpix-json": lambda r: TwitrPixProtocol("http://x/").read_media(r),
    "twitrpix-xml": lambda r: TwitrPixProtocol("http://x/", "xml").read_media(r),
    "statusnet-json": lambda r: StatusNetProtocol("http://x/").read_status(r),
    "statusnet-xml": lambda r: StatusNetProtocol("http://x/", "xml").read_status(r),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_XML, *BOGUS_XML], ids=["deep-json",
                         "deep-xml", "x-bogus", "utf-32"])
@pytest.mark.parametrize("status", [200, 400])
def test_deep_nesting_and_bogus_xml_encodings_are_api_errors(
    reader: str, body: bytes, status: int
) -> None:
    with pytest.raises(APIError):
        READERS[reader](HTTPResponse(status, "OK", {}, body))


@pytest.mark.parametrize("odd", ["-1", " 12", "1_000", "١٢", "", "1e3", 1.5, True, -3])
def test_odd_x_ids_are_malformed_answers(odd: object) -> None:
    v1 = json.dumps({"media_id_string": odd, "media_id": odd}).encode()
    v2 = json.dumps({"data": {"id": odd}}).encode()
    with pytest.raises(APIError, match="unexpected answer"):
        TwitterV1Protocol("http://x/", "http://x/").read_media(HTTPResponse(200, "OK", {}, v1))
    with pytest.raises(APIError, match="unexpected answer"):
        TwitterV2Protocol("http://x/").read_media(HTTPResponse(200, "OK", {}, v2))


@pytest.mark.parametrize("odd", ["", "../x", "a b", "12\r\n", -1])
def test_odd_mastodon_ids_are_malformed_answers(odd: object) -> None:
    body = json.dumps({"id": odd, "type": "image"}).encode()
    with pytest.raises(APIError, match="unexpected answer"):
        MastodonProtocol("http://x/").read_upload(HTTPResponse(200, "OK", {}, body))


@pytest.mark.parametrize(
    "info", [{"state": "failed", "error": "x"}, {"state": "failed", "error": ["x"]}]
)
def test_failed_processing_info_of_any_shape_is_a_processing_error(info: Any) -> None:
    with pytest.raises(ProcessingError, match="failed processing"):
        processing_delay(info, media_id="1", max_interval=1.0)


@pytest.mark.parametrize(
    "info", [["pending"], "pending", 7, {"state": "pending", "check_after_secs": True}]
)
def test_odd_processing_info_shapes_never_raise_bare(info: Any) -> None:
    delay = processing_delay(info, media_id="1", max_interval=1.0)
    assert delay is None or 0 < delay <= 1.0


@pytest.mark.parametrize("location", ["http://[::1", "http://h:99999/", "ftp://127.0.0.1/x"])
async def test_malformed_location_is_a_refused_redirect(hostile: Hostile, location: str) -> None:
    hostile.reset([Answer(307, mode="redirect", location=location)])
    async with x_client(hostile.url) as client:
        with pytest.raises(RedirectRefused) as caught:
            await client.upload_media(PNG)
    assert caught.value.location == location


def test_bluesky_access_jwt_with_a_line_break_is_refused() -> None:
    body = json.dumps({"accessJwt": "a.b\r\nX-Evil: 1", "did": "did:plc:x"}).encode()
    with pytest.raises(APIError, match="accessJwt"):
        BlueskyProtocol("http://x/").read_session(HTTPResponse(200, "OK", {}, body))


async def test_a_token_with_a_line_break_is_never_sent(hostile: Hostile) -> None:
    async with BlueskyClient(hostile.url, access_jwt="a.b\r\nX-Evil: 1") as client:
        with pytest.raises(TransportError, match="line break"):
            await client.upload_blob(PNG)
    assert hostile.requests == []


# -- only typed errors: sources ----------------------------------------------------------------


class Flaky(io.BytesIO):
    """A binary file whose ``read`` misbehaves from its ``fail_at``-th call on."""

    def __init__(self, data: bytes, fail_at: int, how: str) -> None:
        super().__init__(data)
        self.calls = 0
        self.fail_at = fail_at
        self.how = how

    def read(self, n: int | None = -1) -> bytes:
        self.calls += 1
        if self.calls >= self.fail_at and n:
            if self.how == "eio":
                raise OSError(errno.EIO, "Input/output error")
            self.close()
        return super().read(n)


class BadTell(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> Any:
        return "0"

    def seek(self, offset: int, whence: int = 0) -> Any:
        return 10.5

    def readinto(self, buffer: Any) -> int:
        return 0


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: "cat\x00.png", id="nul-in-path"),
        pytest.param(lambda: "cat\ud800.png", id="lone-surrogate"),
        pytest.param(lambda: _released(), id="released-memoryview"),
        pytest.param(lambda: BadTell(), id="tell-not-an-int"),
    ],
)
async def test_odd_sources_are_media_source_errors(make: Any) -> None:
    with pytest.raises(MediaSourceError):
        await open_source(make())


def _released() -> memoryview:
    view = memoryview(b"\x89PNG\r\n\x1a\n" * 10)
    view.release()
    return view


@pytest.mark.parametrize("size", [1.5, "10", True])
async def test_a_size_that_is_not_an_int_fails_at_the_call(size: Any) -> None:
    with pytest.raises(MediaSourceError, match="size must be an int") as caught:
        await open_source(PNG, size=size)
    assert isinstance(caught.value, ValueError)  # MediaSourceError is a ValueError


@pytest.mark.parametrize("how", ["eio", "closed"])
@pytest.mark.parametrize("chunked", [False, True], ids=["one-request", "chunked"])
async def test_a_source_failing_mid_upload_is_a_media_source_error_not_retried(
    sandbox: Sandbox, how: str, chunked: bool
) -> None:
    data = PNG + bytes(400_000)
    source = Flaky(data, fail_at=2 if chunked else 3, how=how)
    async with MediaClient(
        **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url, chunk_size=64 * 1024
    ) as client:
        with pytest.raises(MediaSourceError) as caught:
            await client.upload_media(source, media_type="image/png", chunked=chunked)
    cause = caught.value.__cause__
    assert isinstance(cause, OSError if how == "eio" else ValueError), repr(cause)
    uploads = [r for r in sandbox.requests if r.command in (None, "APPEND")]
    assert len([r for r in uploads if r.command is None]) <= 1  # the simple upload: not retried


# -- the sandbox answers 4xx, never 500 ------------------------------------------------------


def _multipart_body(boundary: str, *parts: bytes) -> bytes:
    return b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts) + (
        f"--{boundary}--\r\n".encode()
    )


TEXT_PART = b'Content-Disposition: form-data; name="status"\r\n\r\ncaf\xe9'
FILE_PART = b'Content-Disposition: form-data; name="media"; filename="a.png"\r\n\r\n' + PNG[:64]
MP = "multipart/form-data; boundary=xyz"
SANDBOX_CASES = [
    ("superscript-segment-index", "POST", "/1.1/media/upload.json", "valid", MP,
     _multipart_body("xyz", b'Content-Disposition: form-data; name="command"\r\n\r\nAPPEND',
                     b'Content-Disposition: form-data; name="media_id"\r\n\r\n1',
                     "Content-Disposition: form-data; name=\"segment_index\"\r\n\r\n²".encode(),
                     FILE_PART)),
    ("superscript-reply-id", "POST", "/statusnet/api/statuses/update.json", "basic",
     "application/x-www-form-urlencoded", "status=hi&in_reply_to_status_id=²".encode()),
    ("deep-json-v1", "POST", "/1.1/media/metadata/create.json", "valid", "application/json",
     DEEP_JSON),
    ("deep-json-v2", "POST", "/2/media/upload/initialize", "bearer-x", "application/json",
     DEEP_JSON),
    ("deep-json-bluesky", "POST", "/bluesky/xrpc/com.atproto.server.createSession", "none",
     "application/json", DEEP_JSON),
    ("non-utf8-field-twitpic", "POST", "/twitpic/2/upload.json", "valid", MP,
     _multipart_body("xyz", TEXT_PART, FILE_PART)),
    ("non-utf8-field-mastodon", "POST", "/mastodon/api/v2/media", "bearer", MP,
     _multipart_body("xyz", TEXT_PART, FILE_PART)),
    ("charset-bogus-form", "POST", "/1.1/statuses/update_with_media.json", "valid",
     "application/x-www-form-urlencoded; charset=bogus", b"status=hi"),
    ("charset-bogus-json", "POST", "/bluesky/xrpc/com.atproto.server.createSession", "none",
     "application/json; charset=bogus", b"{}"),
    ("non-utf8-bearer-mastodon", "POST", "/mastodon/api/v2/media", "bearer-binary", MP,
     _multipart_body("xyz", FILE_PART)),
    ("non-utf8-bearer-x2", "POST", "/2/media/upload", "bearer-binary", MP,
     _multipart_body("xyz", FILE_PART)),
    ("no-boundary", "POST", "/twitrpix/1/upload.json", "none", "multipart/form-data",
     _multipart_body("xyz", FILE_PART)),
    ("wrong-boundary", "POST", "/mastodon/api/v2/media", "bearer",
     "multipart/form-data; boundary=other", _multipart_body("xyz", FILE_PART)),
    ("unterminated", "POST", "/2/media/upload", "bearer-x", MP,
     b"--xyz\r\n" + FILE_PART),
    ("part-header-over-8k", "POST", "/1.1/media/upload.json", "valid", MP,
     _multipart_body("xyz", b"X-Pad: " + b"p" * 9000 + b"\r\n" + FILE_PART)),
]


async def _raw(sb: Sandbox, method: str, path: str, auth: str, content_type: str,
               body: bytes, *, cut: bool = False) -> tuple[int | None, bytes]:
    base = URL(sb.base_url)
    headers = [f"Host: {base.host}:{base.port}".encode(), b"Connection: close",
               f"Content-Type: {content_type}".encode(),
               f"Content-Length: {len(body) + (1000 if cut else 0)}".encode()]
    if auth == "valid":
        from asyncmedia.auth import OAuth1

        value = OAuth1(**sb.credentials).authorization(method, sb.base_url.rstrip("/") + path)
        headers += [f"Authorization: {value}".encode(),
                    f"X-Verify-Credentials-Authorization: {value}".encode(),
                    b"X-Auth-Service-Provider: "
                    b"https://api.twitter.com/1.1/account/verify_credentials.json"]
    elif auth == "basic":
        pair = "{username}:{password}".format(**sb.statusnet_credentials).encode()
        headers.append(b"Authorization: Basic " + __import__("base64").b64encode(pair))
    elif auth == "bearer":
        headers.append(f"Authorization: Bearer {sb.mastodon_token}".encode())
    elif auth == "bearer-x":
        headers.append(f"Authorization: Bearer {sb.x_bearer_token}".encode())
    elif auth == "bearer-binary":
        headers.append(b"Authorization: Bearer \xff\xfe\xc3(")
    reader, writer = await asyncio.open_connection(base.host, base.port)
    try:
        request_line = f"{method} {path} HTTP/1.1\r\n".encode()
        writer.write(request_line + b"\r\n".join(headers) + b"\r\n\r\n" + body)
        await writer.drain()
        if cut:
            return None, b""
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize(
    ("method", "path", "auth", "content_type", "body"),
    [pytest.param(*case[1:], id=case[0]) for case in SANDBOX_CASES],
)
async def test_sandbox_answers_malformed_requests_with_4xx(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, method: str, path: str, auth: str,
    content_type: str, body: bytes,
) -> None:
    with caplog.at_level(logging.INFO, logger="asyncmedia"):
        status, answer = await _raw(sandbox, method, path, auth, content_type, body)
    assert status is not None and 400 <= status < 500, answer[:300]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_sandbox_notes_a_client_that_goes_away_in_one_line(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="asyncmedia"):
        await _raw(sandbox, "POST", "/twitpic/2/upload.json", "valid", MP,
                   _multipart_body("xyz", FILE_PART)[:100], cut=True)
        for _ in range(100):
            if sandbox.requests:
                break
            await asyncio.sleep(0.02)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    notes = [r for r in caplog.records if "went away" in r.getMessage()]
    assert len(notes) == 1 and notes[0].exc_info is None
    assert "\n" not in notes[0].getMessage()
