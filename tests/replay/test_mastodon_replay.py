"""MastodonClient against the real Mastodon 4.6.4 answers on record, replayed by a loopback server.

The server (aiohttp on 127.0.0.1) expects a script of requests (method and path) and answers
each with its recorded answer (status, reason, headers and body as recorded: see
``recorded_mastodon.py`` for where each came from), keeping what the client sent.  Each test
checks both sides: the client reads the real answers right (200 image, 202 → 206 → 200 video,
401, 422, 404, the v2 and v1 instance documents), and sends what the recording client
(Mastodon.py) sent where it matters — multipart part names and order, the ``file`` part with
its MIME type and a file name, the description and focus values, an urlencoded status with
repeated ``media_ids[]``, the instance document without the token.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from aiohttp import BodyPartReader, web
from local_servers import serving
from recorded_mastodon import (
    ERROR_401,
    IMAGE_200,
    IMAGE_DESC_FOCUS_200,
    INSTANCE_V1,
    INSTANCE_V2,
    RECORD_NOT_FOUND_404,
    STATUS_CONTENT_TYPE,
    STATUS_FORM,
    STATUS_MEDIA_GONE_422,
    STATUS_WITH_MEDIA_200,
    UPLOAD_DESCRIPTION,
    UPLOAD_FOCUS,
    UPLOAD_PARTS,
    VIDEO_202,
    VIDEO_GET_200,
    VIDEO_PUT_206,
    Answer,
)

from asyncmedia import APIError, AuthenticationError, MastodonClient

TOKEN = "replay-token-0123456789"
# A JPEG header then filler: what the client sends is judged by parts, not by these bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00H" + bytes(range(256)) * 40
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(200_000)


@dataclass
class Part:
    name: str | None
    filename: str | None
    content_type: str | None
    size: int
    value: str | None  # text parts only


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    content_type: str
    form: list[tuple[str, str]] | None = None
    parts: list[Part] = field(default_factory=list)


class ReplayServer:
    """Answers the expected requests, in order, with recorded answers; keeps what came in."""

    def __init__(self) -> None:
        self.script: list[tuple[str, str, Answer]] = []
        self.received: list[Received] = []
        self.base = ""

    def expect(self, method: str, path: str, answer: Answer) -> None:
        self.script.append((method, path, answer))

    async def handle(self, request: web.Request) -> web.Response:
        got = Received(
            request.method,
            request.path,
            {k.lower(): v for k, v in request.headers.items()},
            request.content_type,
        )
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                data = await part.read()
                text = None if part.filename is not None else data.decode()
                got.parts.append(
                    Part(
                        part.name,
                        part.filename,
                        part.headers.get("Content-Type"),
                        len(data),
                        text,
                    )
                )
        elif request.content_type == "application/x-www-form-urlencoded":
            got.form = parse_qsl(await request.text(), keep_blank_values=True)
        self.received.append(got)
        if not self.script:
            return web.Response(status=599, text=f"unexpected {request.method} {request.path}")
        method, path, answer = self.script.pop(0)
        if (method, path) != (request.method, request.path):
            return web.Response(
                status=599, text=f"expected {method} {path}, got {request.method} {request.path}"
            )
        return web.Response(
            status=answer.status,
            reason=answer.reason,
            headers=answer.headers,
            body=answer.body.encode(),
        )


@pytest.fixture
async def server() -> AsyncIterator[ReplayServer]:
    replay = ReplayServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", replay.handle)
    async with serving(app, access_log=None) as url:
        replay.base = str(url)
        yield replay
    assert replay.script == [], "the client did not make every expected request"


def client_for(server: ReplayServer) -> MastodonClient:
    return MastodonClient(server.base, TOKEN, poll_interval=0.01, max_poll_interval=0.01)


def sent_parts(received: Received) -> tuple[tuple[str | None, str | None], ...]:
    """(name, Content-Type of file parts) in order.  Text parts are plain form fields: no file
    name; aiohttp labels them ``text/plain`` where requests sends no type, which Rails reads
    the same (a part without a file name is a parameter)."""
    for part in received.parts:
        if part.content_type is None or part.content_type.startswith("text/plain"):
            assert part.filename is None, part
    return tuple(
        (p.name, p.content_type if p.filename is not None else None) for p in received.parts
    )


def body(answer: Answer) -> dict[str, object]:
    parsed = json.loads(answer.body)
    assert isinstance(parsed, dict)
    return parsed


async def test_instance_v2_document_gives_the_limits_and_is_fetched_unsigned(
    server: ReplayServer,
) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    async with client_for(server) as client:
        limits = await client.instance_limits()
        again = await client.instance_limits()
    assert again is limits  # once per client
    assert (limits.source, limits.version) == ("v2", "4.6.4")
    assert limits.description_limit == 10_000  # not the 1500 assumed before
    assert (limits.max_characters, limits.max_media_attachments) == (500, 4)
    assert limits.characters_reserved_per_url == 23
    assert (limits.image_size_limit, limits.video_size_limit) == (16_777_216, 103_809_024)
    assert (limits.image_matrix_limit, limits.video_matrix_limit) == (33_177_600, 8_294_400)
    assert limits.video_frame_rate_limit == 120
    assert limits.supported_mime_types is not None and len(limits.supported_mime_types) == 28
    for kind in ("video/webm", "audio/mpeg", "image/heic", "image/heif", "image/avif"):
        assert limits.accepts_type(kind)
    assert not limits.accepts_type("image/bmp")
    [request] = server.received
    assert "authorization" not in request.headers  # public: sent without the token


async def test_v1_instance_document_when_v2_is_404(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", RECORD_NOT_FOUND_404)
    server.expect("GET", "/api/v1/instance", INSTANCE_V1)
    async with client_for(server) as client:
        limits = await client.instance_limits()
    assert limits.source == "v1"
    assert limits.description_limit == 1500  # v1 does not say; the old default holds
    assert limits.max_characters == 500 and limits.video_size_limit == 103_809_024
    assert limits.supported_mime_types is not None and "video/webm" in limits.supported_mime_types
    assert all("authorization" not in r.headers for r in server.received)


async def test_image_upload_200_and_the_parts_mastodonpy_sent(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("POST", "/api/v2/media", IMAGE_DESC_FOCUS_200)
    async with client_for(server) as client:
        media = await client.upload_media(
            JPEG, description=UPLOAD_DESCRIPTION, focus=(-0.5, 0.3), filename="walk.jpg"
        )
    recorded = body(IMAGE_DESC_FOCUS_200)
    assert media.id == recorded["id"] == "117020576646493592"
    assert (media.type, media.url) == ("image", recorded["url"])
    assert media.preview_url == recorded["preview_url"]
    assert media.description == UPLOAD_DESCRIPTION
    assert media.meta["focus"] == {"x": -0.5, "y": 0.3}
    assert media.meta["original"]["width"] == 600 and media.meta["small"]["width"] == 480
    upload = server.received[-1]
    assert upload.headers["authorization"] == f"Bearer {TOKEN}"
    assert upload.content_type == "multipart/form-data"
    assert sent_parts(upload) == UPLOAD_PARTS
    description, focus, file = upload.parts
    assert (description.value, focus.value) == (UPLOAD_DESCRIPTION, UPLOAD_FOCUS)
    assert file.filename == "walk.jpg" and file.size == len(JPEG)


async def test_bare_image_upload_200_is_ready_at_once(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("POST", "/api/v2/media", IMAGE_200)
    async with client_for(server) as client:
        media = await client.upload_media(JPEG)
    assert media.id == "117020576894251992" and media.description is None
    assert media.url is not None and media.url.endswith("/original/7d7d7696bb9ee509.jpg")
    [file] = server.received[-1].parts  # only the file: no empty description/focus parts
    assert (file.name, file.content_type) == ("file", "image/jpeg")
    assert file.filename is not None


async def test_video_202_then_206_then_200(server: ReplayServer) -> None:
    media_id = body(VIDEO_202)["id"]
    # The one recorded 206 is a PUT's; served here as a poll's, with this upload's id.
    processing = body(VIDEO_PUT_206) | {"id": media_id}
    poll_206 = Answer(206, VIDEO_PUT_206.reason, VIDEO_PUT_206.headers, json.dumps(processing))
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("POST", "/api/v2/media", VIDEO_202)
    server.expect("GET", f"/api/v1/media/{media_id}", poll_206)
    server.expect("GET", f"/api/v1/media/{media_id}", VIDEO_GET_200)
    async with client_for(server) as client:
        media = await client.upload_media(MP4, description="me when a cat", focus=(-0.5, 0.3))
    assert media.id == media_id and media.type == "video"
    assert media.url == body(VIDEO_GET_200)["url"]
    original = media.meta["original"]
    assert (original["frame_rate"], original["duration"], original["bitrate"]) == (
        "30/1",
        7.3,
        2191346,
    )
    upload = server.received[1]
    assert sent_parts(upload) == (("description", None), ("focus", None), ("file", "video/mp4"))
    assert all("authorization" in r.headers for r in server.received[1:])


async def test_401_is_authentication_error_with_the_server_message(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("POST", "/api/v2/media", ERROR_401)
    async with client_for(server) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_media(JPEG)
    assert caught.value.status == 401
    assert caught.value.message == "The access token is invalid"


async def test_404_on_update_is_api_error_record_not_found(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("PUT", "/api/v1/media/117020606379845323", RECORD_NOT_FOUND_404)
    async with client_for(server) as client:
        with pytest.raises(APIError) as caught:
            await client.update_media("117020606379845323", description="x")
    assert (caught.value.status, caught.value.message) == (404, "Record not found")


async def test_post_sends_the_recorded_form_and_reads_the_status(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("POST", "/api/v2/media", IMAGE_200)
    server.expect("POST", "/api/v1/statuses", STATUS_WITH_MEDIA_200)
    async with client_for(server) as client:
        post = await client.post("Status with media", media=[JPEG])
    recorded = body(STATUS_WITH_MEDIA_200)
    assert (post.service, post.id) == ("mastodon", "117020606035908211")
    assert post.url == "http://localhost:3000/@mastodonpy_test/117020606035908211"
    assert [m.id for m in post.media] == ["117020576894251992"]
    assert post.raw == recorded
    status = server.received[-1]
    assert status.content_type == STATUS_CONTENT_TYPE
    # The recorded form with this upload's id: status, then the id as a repeated media_ids[];
    # no visibility or sensitive unasked.
    assert status.form == [STATUS_FORM[0], ("media_ids[]", "117020576894251992")]
    assert [name for name, _ in status.form] == [name for name, _ in STATUS_FORM]
    assert status.headers["authorization"] == f"Bearer {TOKEN}"
    assert len(status.headers["idempotency-key"]) >= 16


async def test_post_422_is_api_error_with_the_server_message(server: ReplayServer) -> None:
    server.expect("GET", "/api/v2/instance", INSTANCE_V2)
    server.expect("POST", "/api/v2/media", IMAGE_200)
    server.expect("POST", "/api/v1/statuses", STATUS_MEDIA_GONE_422)
    async with client_for(server) as client:
        with pytest.raises(APIError) as caught:
            await client.post("Trying to repost deleted media", media=[JPEG])
    assert caught.value.status == 422
    assert caught.value.message == body(STATUS_MEDIA_GONE_422)["error"]
    assert len([r for r in server.received if r.path == "/api/v1/statuses"]) == 1  # no retry
