"""MediaClient against the real Twitter/X answers on record, replayed by a loopback server.

The server (aiohttp on 127.0.0.1) answers each request with the next recorded answer of a
script (status, reason, headers and body as recorded: see ``recorded_twitter.py`` for where
each came from) and keeps what the client sent, so each test checks both sides: the client
reads the real answers right, and sends what the recording client (tweepy) sent where it
matters — urlencoded INIT/FINALIZE fields (signed), multipart part names and order, a file
name on the ``media`` part, the command values, STATUS in the query of a GET.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from aiohttp import BodyPartReader, web
from local_servers import serving
from recorded_twitter import (
    APPEND_PART_ORDER,
    ERROR_400_MEDIA_TYPE,
    ERROR_401_CODE_32,
    MP4_SEGMENTS,
    MP4_SIZE,
    NOCATEGORY_FINALIZE,
    NOCATEGORY_INIT,
    SIMPLE_GIF,
    SIMPLE_GIF_SIZE,
    SIMPLE_PNG,
    SIMPLE_PNG_SIZE,
    STATUS_FAILED,
    STATUS_IN_PROGRESS,
    STATUS_SUCCEEDED,
    UPDATE_WITH_MEDIA,
    V2_FINALIZE_IMAGE,
    V2_IMAGE_SIZE,
    V2_INITIALIZE,
    VIDEO_FINALIZE,
    VIDEO_INIT,
    Answer,
    append_answer,
)

from asyncmedia import APIError, AuthenticationError, MediaClient, ProcessingError
from asyncmedia.auth import OAuth1Credentials
from asyncmedia.sandbox import NonceRegistry, random_credentials, verify_oauth1


@dataclass
class Part:
    name: str | None
    filename: str | None
    content_type: str | None
    size: int
    sha256: str
    value: str | None  # text parts only


@dataclass
class Received:
    method: str
    path: str
    query: list[tuple[str, str]]
    content_type: str
    form: list[tuple[str, str]] | None = None
    parts: list[Part] = field(default_factory=list)
    json: bytes | None = None
    signature_ok: bool = False


class ReplayServer:
    """Answers requests, in order, with a script of recorded answers; keeps what came in."""

    def __init__(self, credentials: OAuth1Credentials) -> None:
        self.credentials = credentials
        self.script: list[Answer] = []
        self.received: list[Received] = []
        self.base = ""
        self._nonces = NonceRegistry()

    async def handle(self, request: web.Request) -> web.Response:
        got = Received(
            request.method, request.path, list(request.query.items()), request.content_type
        )
        form_body = None
        if request.content_type == "application/x-www-form-urlencoded":
            form_body = await request.text()
            got.form = parse_qsl(form_body, keep_blank_values=True)
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                data = bytes(await part.read())
                text = data.decode() if part.filename is None else None
                got.parts.append(
                    Part(
                        part.name,
                        part.filename,
                        part.headers.get("Content-Type"),
                        len(data),
                        hashlib.sha256(data).hexdigest(),
                        text,
                    )
                )
        elif request.can_read_body:
            got.json = await request.read()
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        try:
            verify_oauth1(
                request.method,
                url,
                request.headers.get("Authorization"),
                form_body,
                self.credentials,
                nonces=self._nonces,
            )
            got.signature_ok = True
        except Exception:
            got.signature_ok = False
        self.received.append(got)
        if not self.script:
            return web.Response(status=599, text="replay script exhausted")
        answer = self.script.pop(0)
        return web.Response(
            status=answer.status,
            reason=answer.reason,
            headers=answer.headers,
            body=answer.body.encode(),
        )


@pytest.fixture
async def replay() -> AsyncIterator[ReplayServer]:
    server = ReplayServer(random_credentials())
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", server.handle)
    async with serving(app, access_log=None) as url:
        server.base = str(url)
        yield server


def client_for(server: ReplayServer, **kwargs: object) -> MediaClient:
    base = server.base + "1.1/"
    kwargs.setdefault("upload_url", base)
    kwargs.setdefault("api_url", base)
    return MediaClient(**server.credentials, max_status_interval=0.01, retries=0, **kwargs)  # type: ignore[arg-type]


def png(size: int) -> bytes:
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 1252, 626)
    return head + bytes(i % 251 for i in range(size - len(head)))


def gif(size: int) -> bytes:
    head = b"GIF89a" + struct.pack("<HH", 320, 240)
    return head + bytes(i % 249 for i in range(size - len(head)))


def mp4(size: int) -> bytes:
    head = struct.pack(">I", 20) + b"ftypisom" + struct.pack(">I", 512) + b"isom"
    return head + bytes(i % 247 for i in range(size - len(head)))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("answer", "data", "image_type"),
    [
        (SIMPLE_PNG, png(SIMPLE_PNG_SIZE), "image/png"),
        (SIMPLE_GIF, gif(SIMPLE_GIF_SIZE), "image/gif"),
    ],
    ids=["png", "gif"],
)
async def test_simple_upload_reads_the_recorded_200(
    replay: ReplayServer, answer: Answer, data: bytes, image_type: str
) -> None:
    replay.script = [answer]
    async with client_for(replay) as client:
        media = await client.upload_media(data, filename="banner.png")
    recorded = answer.body
    assert media.media_id_string in recorded
    assert media.media_id == int(media.media_id_string)
    assert media.size == len(data) and media.expires_after_secs == 86400
    assert media.raw["image"]["image_type"].replace("\\", "") == image_type
    assert media.processing_info is None and media.media_type == image_type
    (sent,) = replay.received
    # As tweepy sent it: one multipart part named media, with a file name; signed without it.
    assert sent.method == "POST" and sent.path == "/1.1/media/upload.json" and not sent.query
    assert [p.name for p in sent.parts] == ["media"]
    assert sent.parts[0].filename and sent.parts[0].sha256 == sha(data)
    assert sent.signature_ok


async def test_chunked_without_processing_reads_202_204_201(replay: ReplayServer) -> None:
    media_id = "1349803915521482754"
    replay.script = [
        NOCATEGORY_INIT,
        append_answer(media_id, 19994),
        append_answer(media_id, 19993),
        NOCATEGORY_FINALIZE,
    ]
    data = mp4(MP4_SIZE)
    async with client_for(replay, max_in_flight=1) as client:
        media = await client.upload_media(data, filename="video.mp4", chunk_size=1 << 20)
    assert media.media_id_string == media_id and media.size == MP4_SIZE
    assert media.processing_info is None and media.raw["video"]["video_type"] == "video/mp4"
    init, first, second, finalize = replay.received
    # INIT: urlencoded, signed, the recorded fields first and in the recorded order.
    assert init.content_type == "application/x-www-form-urlencoded" and init.signature_ok
    assert init.form is not None
    assert init.form[:3] == [
        ("command", "INIT"),
        ("total_bytes", str(MP4_SIZE)),
        ("media_type", "video/mp4"),
    ]
    assert dict(init.form).get("media_category", "tweet_video") == "tweet_video"
    # APPEND: multipart parts in tweepy's order, media with a file name; 1 MiB segments.
    offset = 0
    for index, (append, size) in enumerate(zip((first, second), MP4_SEGMENTS, strict=True)):
        assert tuple(p.name for p in append.parts) == APPEND_PART_ORDER
        assert [p.value for p in append.parts[:3]] == ["APPEND", media_id, str(index)]
        assert append.parts[3].filename and append.parts[3].size == size
        # tweepy sent no part Content-Type (testmediauploadmp4) or video/mp4
        # (testvideoupload); both were accepted, as is the documented fallback sent here.
        assert append.parts[3].content_type in (None, "application/octet-stream", "video/mp4")
        # Text fields: tweepy (requests) sent no Content-Type; aiohttp labels them text/plain,
        # as peony's did against the real service for years.
        assert all(
            p.filename is None and (p.content_type or "text/plain").startswith("text/plain")
            for p in append.parts[:3]
        )
        assert append.parts[3].sha256 == sha(data[offset : offset + size])
        assert append.signature_ok and not append.query
        offset += size
    assert finalize.form == [("command", "FINALIZE"), ("media_id", media_id)]
    assert finalize.signature_ok


async def test_processing_keeps_finalize_media_key_and_size(replay: ReplayServer) -> None:
    media_id = "1302644179944734720"
    replay.script = [
        VIDEO_INIT,
        append_answer(media_id, 19987),
        append_answer(media_id, 19986),
        VIDEO_FINALIZE,  # 200 (not 201) with processing_info pending
        STATUS_IN_PROGRESS,
        STATUS_SUCCEEDED,  # documented shape: no media_key, no size
    ]
    data = mp4(MP4_SIZE)
    async with client_for(replay, max_in_flight=1) as client:
        media = await client.upload_media(
            data, filename="video.mp4", media_category="tweet_video", chunk_size=1 << 20
        )
    assert media.media_id_string == media_id
    assert media.media_key == "7_1302644179944734720"  # from FINALIZE: STATUS has none
    assert media.size == MP4_SIZE and media.expires_after_secs == 86400
    assert media.processing_info == {"state": "succeeded", "progress_percent": 100}
    assert media.raw["processing_info"]["state"] == "succeeded"
    init = replay.received[0]
    assert init.form is not None and ("media_category", "tweet_video") in init.form
    statuses = replay.received[4:]
    assert len(statuses) == 2
    for status in statuses:
        # STATUS: a GET with the command in the (signed) query, no body.
        assert status.method == "GET" and status.form is None and not status.parts
        assert dict(status.query) == {"command": "STATUS", "media_id": media_id}
        assert status.signature_ok


async def test_documented_failed_status_is_a_processing_error(replay: ReplayServer) -> None:
    media_id = "1302644179944734720"
    replay.script = [
        VIDEO_INIT,
        append_answer(media_id, 19987),
        VIDEO_FINALIZE,
        STATUS_FAILED,
    ]
    async with client_for(replay) as client:
        with pytest.raises(ProcessingError) as caught:
            await client.upload_media(mp4(400_000), media_category="tweet_video")
    assert caught.value.name == "InvalidMedia"
    assert caught.value.message == "Unsupported video format"
    assert caught.value.media_id == media_id


async def test_update_with_media_reads_the_recorded_tweet(replay: ReplayServer) -> None:
    replay.script = [UPDATE_WITH_MEDIA]
    data = png(3844)
    async with client_for(replay) as client:
        tweet = await client.update_with_media(data, "testing 1000", filename="banner.png")
    assert tweet["id_str"] == "1149914662164684800"
    assert tweet["entities"]["media"][0]["type"] == "photo"
    (sent,) = replay.received
    assert sent.path == "/1.1/statuses/update_with_media.json" and sent.signature_ok
    media_parts = [p for p in sent.parts if p.name == "media[]"]
    assert len(media_parts) == 1 and media_parts[0].sha256 == sha(data)
    assert media_parts[0].filename and media_parts[0].content_type == "image/png"
    # tweepy put status in the (signed) query; asyncmedia sends it as an unsigned multipart
    # field.  Either way the service got exactly one status.
    statuses = [v for k, v in sent.query if k == "status"] + [
        p.value for p in sent.parts if p.name == "status"
    ]
    assert statuses == ["testing 1000"]


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (ERROR_401_CODE_32, AuthenticationError, "Could not authenticate you."),
        (ERROR_400_MEDIA_TYPE, APIError, "media type unrecognized."),
    ],
)
async def test_recorded_error_bodies(
    replay: ReplayServer, answer: Answer, error: type[APIError], message: str
) -> None:
    replay.script = [answer]
    async with client_for(replay) as client:
        with pytest.raises(error) as caught:
            await client.upload_media(png(2000))
    assert caught.value.status == answer.status and caught.value.message == message


async def test_v2_finalize_201_with_image(replay: ReplayServer) -> None:
    replay.script = [
        V2_INITIALIZE,
        Answer(204, "No Content"),  # append: any 2xx, empty or not
        V2_FINALIZE_IMAGE,
    ]
    data = b"\xff\xd8\xff\xe0" + bytes(i % 253 for i in range(V2_IMAGE_SIZE - 4))
    async with client_for(replay, api_version=2, upload_url=replay.base + "2/") as client:
        media = await client.upload_media(data, chunked=True)
    assert media.media_id_string == "1920164881153900544"
    assert media.media_key == "3_1920164881153900544"
    assert media.size == V2_IMAGE_SIZE and media.processing_info is None
    assert media.raw["image"] == {"image_type": "image/jpeg", "w": 682, "h": 1024}
    paths = [(r.method, r.path) for r in replay.received]
    assert paths == [
        ("POST", "/2/media/upload/initialize"),
        ("POST", "/2/media/upload/1920164881153900544/append"),
        ("POST", "/2/media/upload/1920164881153900544/finalize"),
    ]
    assert all(r.signature_ok for r in replay.received)
