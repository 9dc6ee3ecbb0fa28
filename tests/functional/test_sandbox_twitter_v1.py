"""The Twitter v1.1 sandbox, driven with plain aiohttp and oauthlib signing.

These tests pin the emulator's behaviour (status codes, bodies, quirks, limits, OAuth rules of
PROTOCOLS.md §1-§5) independently of the asyncmedia client.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from multidict import CIMultiDictProxy
from oauthlib.oauth1 import Client

from asyncmedia.sandbox import (
    AuthenticationFailed,
    MissingAuthorization,
    NonceRegistry,
    Sandbox,
    verify_oauth1,
)

FORM = "application/x-www-form-urlencoded"
MiB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------


def png_bytes(width: int = 1252, height: int = 626, extra: int = 3000) -> bytes:
    """A PNG signature and IHDR followed by filler: enough for sniffing and dimensions."""
    ihdr = struct.pack(">II5B", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0" * 4 + b"x" * extra


def mp4_bytes(size: int) -> bytes:
    head = struct.pack(">I", 24) + b"ftypisom" + b"\0\0\x02\0" + b"isomiso2"
    body = bytes(range(256)) * (size // 256 + 1)
    return (head + body)[:size]


def auth_headers(
    credentials: Mapping[str, str],
    method: str,
    url: str,
    form: str | None = None,
    **client_kwargs: Any,
) -> dict[str, str]:
    """Authorization header from oauthlib; ``form`` is a urlencoded body to include."""
    client = Client(
        credentials["consumer_key"],
        client_secret=credentials["consumer_secret"],
        resource_owner_key=credentials["access_token"],
        resource_owner_secret=credentials["access_token_secret"],
        **client_kwargs,
    )
    headers = {"Content-Type": FORM} if form is not None else None
    _, signed, _ = client.sign(url, method, body=form, headers=headers)
    return {"Authorization": signed["Authorization"]}


@dataclass
class Reply:
    """What a test needs of a response once the connection is released."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @classmethod
    async def of(cls, response: aiohttp.ClientResponse) -> Reply:
        return cls(response.status, response.headers, await response.read())

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def upload_url(sb: Sandbox) -> str:
    return sb.url + "media/upload.json"


async def post_form(
    session: aiohttp.ClientSession,
    sb: Sandbox,
    params: Mapping[str, str],
    *,
    credentials: Mapping[str, str] | None = None,
) -> Reply:
    url = upload_url(sb)
    body = urlencode(params)
    headers = auth_headers(credentials or sb.credentials, "POST", url, form=body)
    headers["Content-Type"] = FORM
    async with session.post(url, data=body, headers=headers) as response:
        return await Reply.of(response)


async def post_multipart(
    session: aiohttp.ClientSession,
    sb: Sandbox,
    fields: Mapping[str, str],
    media: bytes | None,
    *,
    sign_fields: bool = False,
    media_name: str = "media",
) -> Reply:
    url = upload_url(sb)
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        form.add_field(name, value)
    if media is not None:
        form.add_field(media_name, io.BytesIO(media), filename="blob")
    signed_form = urlencode(fields) if sign_fields else None
    headers = auth_headers(sb.credentials, "POST", url, form=signed_form)
    async with session.post(url, data=form, headers=headers) as response:
        return await Reply.of(response)


async def init(
    session: aiohttp.ClientSession,
    sb: Sandbox,
    total_bytes: int,
    media_type: str,
    category: str | None = None,
) -> Reply:
    params = {"command": "INIT", "total_bytes": str(total_bytes), "media_type": media_type}
    if category is not None:
        params["media_category"] = category
    return await post_form(session, sb, params)


async def append(
    session: aiohttp.ClientSession, sb: Sandbox, media_id: str, index: int | str, data: bytes
) -> Reply:
    fields = {"command": "APPEND", "media_id": media_id, "segment_index": str(index)}
    return await post_multipart(session, sb, fields, data)


async def finalize(session: aiohttp.ClientSession, sb: Sandbox, media_id: str) -> Reply:
    return await post_form(session, sb, {"command": "FINALIZE", "media_id": media_id})


async def status(session: aiohttp.ClientSession, sb: Sandbox, media_id: str) -> Reply:
    url = f"{upload_url(sb)}?command=STATUS&media_id={media_id}"
    headers = auth_headers(sb.credentials, "GET", url)
    async with session.get(url, headers=headers) as response:
        return await Reply.of(response)


async def body_json(response: Reply) -> Any:
    return response.json()


async def chunked_upload(
    session: aiohttp.ClientSession,
    sb: Sandbox,
    data: bytes,
    media_type: str,
    category: str | None,
    chunk: int = MiB,
) -> tuple[str, dict[str, Any]]:
    response = await init(session, sb, len(data), media_type, category)
    assert response.status == 202, response.text
    media_id = (await body_json(response))["media_id_string"]
    for index, start in enumerate(range(0, len(data), chunk)):
        response = await append(session, sb, media_id, index, data[start : start + chunk])
        assert response.status == 204, response.text
    response = await finalize(session, sb, media_id)
    body = await body_json(response)
    # As recorded: 200 when processing_info follows (testvideoupload.yaml), else 201.
    assert response.status == (200 if "processing_info" in body else 201), response.text
    return media_id, body


# --- simple upload -------------------------------------------------------------------------


async def test_simple_upload_answers_200_json_and_records_sha256(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    data = png_bytes()
    response = await post_multipart(session, sandbox, {}, data)

    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    raw = response.text
    body = json.loads(raw)
    assert set(body) == {"media_id", "media_id_string", "size", "expires_after_secs", "image"}
    assert body["image"] == {"image_type": "image/png", "w": 1252, "h": 626}
    assert body["size"] == len(data)
    assert body["expires_after_secs"] == 86400
    media_id = int(body["media_id_string"])
    assert media_id > 2**53
    assert f'"media_id":{media_id},' in raw  # an exact integer on the wire, not a float
    record = sandbox.uploads[media_id]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.chunked is False
    assert record.state == "succeeded"
    assert record.media_type == "image/png"


async def test_simple_upload_accepts_media_data_and_category_adds_media_key(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    import base64

    data = png_bytes(10, 20)
    response = await post_multipart(
        session,
        sandbox,
        {"media_category": "tweet_image"},
        base64.b64encode(data),
        media_name="media_data",
    )
    assert response.status == 200, response.text
    body = await body_json(response)
    assert body["media_key"] == f"3_{body['media_id_string']}"
    record = sandbox.uploads[int(body["media_id_string"])]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.media_category == "tweet_image"


async def test_simple_upload_refuses_video_and_oversize_with_shape_b(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await post_multipart(session, sandbox, {}, mp4_bytes(4096))
    assert response.status == 400
    assert (await body_json(response))["request"] == "/1.1/media/upload.json"

    response = await post_multipart(session, sandbox, {}, png_bytes(extra=5 * MiB))
    assert response.status == 400
    assert await body_json(response) == {
        "request": "/1.1/media/upload.json",
        "error": "File size exceeds 5242880 bytes.",
    }
    assert sandbox.uploads == {}


async def test_simple_upload_without_media_is_400(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await post_multipart(session, sandbox, {"media_category": "tweet_image"}, None)
    assert response.status == 400


# --- chunked upload ------------------------------------------------------------------------


async def test_chunked_video_with_category_processes_to_succeeded(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    data = mp4_bytes(MiB + 529387)
    response = await init(session, sandbox, len(data), "video/mp4", "tweet_video")
    assert response.status == 202
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = await body_json(response)
    media_id = body["media_id_string"]
    assert body["media_id"] == int(media_id)
    assert body["expires_after_secs"] == 86400
    assert response.headers["x-mediaid"] == media_id

    for index, start in enumerate(range(0, len(data), MiB)):
        response = await append(session, sandbox, media_id, index, data[start : start + MiB])
        assert response.status == 204
        assert response.body == b""
        assert response.headers["Content-Type"] == "text/html;charset=utf-8"
        assert response.headers["x-mediaid"] == media_id
        assert response.headers["x-segmentcount"] == "0"
        assert response.headers["x-totalbytes"] == "0"

    response = await finalize(session, sandbox, media_id)
    # Recorded (tweepy testvideoupload.yaml): 200, not 201, when processing_info follows.
    assert response.status == 200
    body = await body_json(response)
    assert body["size"] == len(data) and body["media_key"] == f"7_{media_id}"
    assert body["processing_info"] == {"state": "pending", "check_after_secs": 0.05}

    states = []
    for _ in range(5):
        response = await status(session, sandbox, media_id)
        assert response.status == 200
        body = await body_json(response)
        states.append(body["processing_info"]["state"])
        # The documented STATUS shape: no media_key, no size.
        assert "media_key" not in body and "size" not in body
        assert body["media_id_string"] == media_id and body["expires_after_secs"] > 0
        if states[-1] in ("succeeded", "failed"):
            break
    assert states == ["pending", "in_progress", "succeeded"]
    assert body["video"] == {"video_type": "video/mp4"}
    assert body["processing_info"] == {"state": "succeeded", "progress_percent": 100}

    record = sandbox.uploads[int(media_id)]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.total_bytes == len(data)
    assert record.segments == {0: 1, 1: 1}
    assert record.media_category == "tweet_video"
    assert record.state == "succeeded"
    assert len(record.status_polls) == 3
    assert record.finalized_at is not None
    assert record.status_polls[0] >= record.finalized_at


async def test_processing_outcome_failed_is_reported_in_a_2xx(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.processing_outcome = "failed"
    sandbox.processing_steps = 0
    media_id, finalized = await chunked_upload(
        session, sandbox, mp4_bytes(1000), "video/mp4", "tweet_video"
    )
    assert finalized["processing_info"]["state"] == "pending"
    response = await status(session, sandbox, media_id)
    assert response.status == 200
    info = (await body_json(response))["processing_info"]
    assert info["state"] == "failed"
    assert info["error"] == {
        "code": 1,
        "name": "InvalidMedia",
        "message": "Unsupported video format",
    }
    assert "check_after_secs" not in info
    assert sandbox.uploads[int(media_id)].state == "failed"


async def test_without_category_finalize_succeeds_at_once_and_status_is_400(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    media_id, body = await chunked_upload(session, sandbox, mp4_bytes(5000), "video/mp4", None)
    assert "processing_info" not in body
    assert body["video"] == {"video_type": "video/mp4"}
    assert sandbox.uploads[int(media_id)].state == "succeeded"
    response = await status(session, sandbox, media_id)
    assert response.status == 400
    assert set(await body_json(response)) == {"request", "error"}


async def test_out_of_order_and_resent_segments_hash_in_segment_order(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    data = mp4_bytes(3000)
    parts = [data[0:1000], data[1000:2000], data[2000:3000]]
    response = await init(session, sandbox, len(data), "video/mp4", "tweet_video")
    media_id = (await body_json(response))["media_id_string"]
    record = sandbox.uploads[int(media_id)]
    for index in (2, 1, 1):
        assert (await append(session, sandbox, media_id, index, parts[index])).status == 204
    assert record.pending_bytes == 2000  # waiting for segment 0
    assert (await append(session, sandbox, media_id, 0, parts[0])).status == 204
    assert record.pending_bytes == 0  # the contiguous prefix is hashed and dropped
    assert (await finalize(session, sandbox, media_id)).status == 200  # processing follows
    assert record.segments == {0: 1, 1: 2, 2: 1}
    assert record.sha256 == hashlib.sha256(data).hexdigest()


async def test_finalize_with_missing_bytes_is_400(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await init(session, sandbox, 3000, "video/mp4", "tweet_video")
    media_id = (await body_json(response))["media_id_string"]
    await append(session, sandbox, media_id, 0, mp4_bytes(1000))
    await append(session, sandbox, media_id, 2, b"z" * 1000)  # gap at 1
    response = await finalize(session, sandbox, media_id)
    assert response.status == 400
    assert await body_json(response) == {
        "request": "/1.1/media/upload.json",
        "error": "Segments do not add up to provided total file size.",
    }
    assert sandbox.uploads[int(media_id)].state == "uploading"


async def test_chunk_over_5_mib_and_bad_segment_index_are_400(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await init(session, sandbox, 20 * MiB, "video/mp4", "tweet_video")
    media_id = (await body_json(response))["media_id_string"]
    response = await append(session, sandbox, media_id, 0, b"v" * (5 * MiB + 1))
    assert response.status == 400
    assert "request" in await body_json(response)
    for index in ("1000", "-1", "x"):
        response = await append(session, sandbox, media_id, index, b"v")
        assert response.status == 400, index
    response = await append(session, sandbox, "1234", 0, b"v")
    assert response.status == 400
    assert sandbox.uploads[int(media_id)].segments == {}


@pytest.mark.parametrize(
    ("total", "media_type", "category", "limit"),
    [
        (5242881, "image/png", None, 5242880),
        (5242881, "image/gif", None, 5242880),
        (15728641, "image/gif", "tweet_gif", 15728640),
        (15728641, "video/mp4", None, 15728640),
        (536870913, "video/mp4", "tweet_video", 536870912),
    ],
)
async def test_init_enforces_size_limits_with_shape_b(
    sandbox: Sandbox,
    session: aiohttp.ClientSession,
    total: int,
    media_type: str,
    category: str | None,
    limit: int,
) -> None:
    response = await init(session, sandbox, total, media_type, category)
    assert response.status == 400
    assert await body_json(response) == {
        "request": "/1.1/media/upload.json",
        "error": f"File size exceeds {limit} bytes.",
    }
    assert (await init(session, sandbox, total - 1, media_type, category)).status == 202


async def test_init_as_text_plain_is_rejected(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    url = upload_url(sandbox)
    body = urlencode({"command": "INIT", "total_bytes": "1000", "media_type": "video/mp4"})
    # Signed with the form parameters, but aiohttp labels a str body text/plain: the server
    # does not see the parameters, so the signature cannot match.
    headers = auth_headers(sandbox.credentials, "POST", url, form=body)
    async with session.post(url, data=body, headers=headers) as response:
        assert response.headers["Content-Type"] == "application/json;charset=utf-8"
        assert response.status == 401
    # Signed without them: authenticated, but the INIT parameters are missing.
    headers = auth_headers(sandbox.credentials, "POST", url)
    async with session.post(url, data=body, headers=headers) as response:
        assert response.status == 400
    assert sandbox.uploads == {}


async def test_init_validates_parameters(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    bad = [
        {"command": "INIT", "media_type": "video/mp4"},
        {"command": "INIT", "total_bytes": "0", "media_type": "video/mp4"},
        {"command": "INIT", "total_bytes": "10"},
        {"command": "INIT", "total_bytes": "10", "media_type": "video/mp4", "media_category": "x"},
        {"command": "INIT", "total_bytes": "10", "media_type": "application/pdf"},
    ]
    for params in bad:
        assert (await post_form(session, sandbox, params)).status == 400, params


# --- OAuth ---------------------------------------------------------------------------------


async def test_wrong_signature_is_401_code_32(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    wrong = dict(sandbox.credentials, consumer_secret="not-the-secret")
    response = await post_form(
        session,
        sandbox,
        {"command": "INIT", "total_bytes": "10", "media_type": "video/mp4"},
        credentials=wrong,
    )
    assert response.status == 401
    assert await body_json(response) == {
        "errors": [{"code": 32, "message": "Could not authenticate you."}]
    }
    assert sandbox.requests[-1].authenticated is False
    assert sandbox.uploads == {}


async def test_unknown_token_is_401(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    other = dict(sandbox.credentials, access_token="1-unknown")
    response = await post_form(
        session, sandbox, {"command": "FINALIZE", "media_id": "1"}, credentials=other
    )
    assert response.status == 401


async def test_missing_authorization_is_400_code_215(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("media", png_bytes(), filename="a.png")
    async with session.post(upload_url(sandbox), data=form) as response:
        assert response.status == 400
        assert await response.json(content_type=None) == {
            "errors": [{"code": 215, "message": "Bad Authentication data."}]
        }


async def test_replayed_nonce_is_401(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    url = upload_url(sandbox)
    body = urlencode({"command": "INIT", "total_bytes": "10", "media_type": "video/mp4"})
    headers = auth_headers(sandbox.credentials, "POST", url, form=body)
    headers["Content-Type"] = FORM
    async with session.post(url, data=body, headers=headers) as response:
        assert response.status == 202
    async with session.post(url, data=body, headers=headers) as response:
        assert response.status == 401
        assert (await response.json(content_type=None))["errors"][0]["code"] == 32
    assert len(sandbox.uploads) == 1


async def test_stale_timestamp_is_401(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    url = upload_url(sandbox)
    body = urlencode({"command": "INIT", "total_bytes": "10", "media_type": "video/mp4"})
    stale = str(int(time.time()) - 301)
    headers = auth_headers(sandbox.credentials, "POST", url, form=body, timestamp=stale)
    headers["Content-Type"] = FORM
    async with session.post(url, data=body, headers=headers) as response:
        assert response.status == 401


async def test_signing_multipart_fields_is_rejected_and_not_signing_them_passes(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await init(session, sandbox, 2000, "video/mp4", "tweet_video")
    media_id = (await body_json(response))["media_id_string"]
    fields = {"command": "APPEND", "media_id": media_id, "segment_index": "0"}

    response = await post_multipart(session, sandbox, fields, b"a" * 1000, sign_fields=True)
    assert response.status == 401
    assert (await body_json(response))["errors"][0]["code"] == 32

    response = await post_multipart(session, sandbox, fields, b"a" * 1000)
    assert response.status == 204
    assert sandbox.uploads[int(media_id)].segments == {0: 1}


async def test_requests_are_logged_with_command_status_and_headers(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    media_id, _ = await chunked_upload(session, sandbox, mp4_bytes(100), "video/mp4", None)
    assert [(r.method, r.command, r.status) for r in sandbox.requests] == [
        ("POST", "INIT", 202),
        ("POST", "APPEND", 204),
        ("POST", "FINALIZE", 201),
    ]
    assert all(r.headers["authorization"].startswith("OAuth ") for r in sandbox.requests)
    assert all("Authorization" in r.headers for r in sandbox.requests)
    assert all(r.authenticated for r in sandbox.requests)
    await status(session, sandbox, media_id)
    assert sandbox.requests[-1].query == {"command": "STATUS", "media_id": media_id}


# --- alt text ------------------------------------------------------------------------------


async def post_metadata(
    session: aiohttp.ClientSession, sb: Sandbox, payload: Any, *, as_form: bool = False
) -> Reply:
    url = sb.url + "media/metadata/create.json"
    if as_form:
        body = urlencode({"media_id": payload["media_id"], "alt_text": payload["alt_text"]["text"]})
        headers = auth_headers(sb.credentials, "POST", url, form=body)
        headers["Content-Type"] = FORM
        async with session.post(url, data=body, headers=headers) as response:
            return await Reply.of(response)
    headers = auth_headers(sb.credentials, "POST", url)
    async with session.post(url, json=payload, headers=headers) as response:
        return await Reply.of(response)


async def test_alt_text_is_stored_and_answered_with_an_empty_200(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await post_multipart(session, sandbox, {}, png_bytes())
    media_id = (await body_json(response))["media_id_string"]

    response = await post_metadata(
        session, sandbox, {"media_id": media_id, "alt_text": {"text": "x" * 1001}}
    )
    assert response.status == 400
    assert sandbox.uploads[int(media_id)].alt_text is None

    response = await post_metadata(
        session, sandbox, {"media_id": media_id, "alt_text": {"text": "dancing cat"}}, as_form=True
    )
    assert response.status == 400

    response = await post_metadata(
        session, sandbox, {"media_id": "1234", "alt_text": {"text": "dancing cat"}}
    )
    assert response.status == 400

    response = await post_metadata(
        session, sandbox, {"media_id": media_id, "alt_text": {"text": "dancing cat"}}
    )
    assert response.status == 200
    assert response.body == b""
    assert response.headers["Content-Length"] == "0"
    assert sandbox.uploads[int(media_id)].alt_text == "dancing cat"

    response = await post_metadata(
        session, sandbox, {"media_id": int(media_id), "alt_text": {"text": "y" * 1000}}
    )
    assert response.status == 200
    assert sandbox.uploads[int(media_id)].alt_text == "y" * 1000


# --- commands, methods, rate limits --------------------------------------------------------


async def test_status_sent_by_post_is_400_code_38_as_the_real_host_answered(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    media_id, _ = await chunked_upload(
        session, sandbox, mp4_bytes(1000), "video/mp4", "tweet_video"
    )
    response = await post_form(session, sandbox, {"command": "STATUS", "media_id": media_id})
    assert response.status == 400
    assert await body_json(response) == {
        "errors": [{"code": 38, "message": "media parameter is missing."}]
    }
    assert not sandbox.uploads[int(media_id)].status_polls


async def test_unknown_command_is_400_and_wrong_method_405(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    assert (await post_form(session, sandbox, {"command": "DELETE"})).status == 400
    url = upload_url(sandbox)
    async with session.put(url, headers=auth_headers(sandbox.credentials, "PUT", url)) as resp:
        assert resp.status == 405
        assert "x-rate-limit-limit" in resp.headers
    meta = sandbox.url + "media/metadata/create.json"
    async with session.get(meta, headers=auth_headers(sandbox.credentials, "GET", meta)) as resp:
        assert resp.status == 405
    status_url = url + "?command=INIT"
    headers = auth_headers(sandbox.credentials, "GET", status_url)
    async with session.get(status_url, headers=headers) as resp:
        assert resp.status == 405


async def test_rate_limit_headers_per_command(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    responses = [await post_multipart(session, sandbox, {}, png_bytes()) for _ in range(2)]
    init_response = await init(session, sandbox, 100, "video/mp4")
    media_id = (await body_json(init_response))["media_id_string"]
    append_response = await append(session, sandbox, media_id, 0, mp4_bytes(100))
    finalize_response = await finalize(session, sandbox, media_id)
    async with session.post(upload_url(sandbox)) as raw_response:
        unauthenticated = await Reply.of(raw_response)

    assert [r.headers["x-rate-limit-remaining"] for r in responses] == ["414", "413"]
    assert responses[0].headers["x-rate-limit-limit"] == "415"
    assert init_response.headers["x-rate-limit-limit"] == "200"
    assert append_response.headers["x-rate-limit-limit"] == "20000"
    assert finalize_response.headers["x-rate-limit-limit"] == "615"
    assert finalize_response.headers["x-rate-limit-remaining"] == "614"
    for response in [*responses, init_response, append_response, unauthenticated]:
        reset = int(response.headers["x-rate-limit-reset"])
        assert time.time() < reset < time.time() + 3600


# --- lifecycle and the OAuth helper --------------------------------------------------------


async def test_sandbox_addresses_credentials_and_fixed_port() -> None:
    async with Sandbox() as first, Sandbox() as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url.endswith("/1.1/")
        assert first.url == first.base_url + "1.1/"
        assert first.credentials != second.credentials
        assert set(first.credentials) == {
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_token_secret",
        }
        port = int(first.base_url.rsplit(":", 1)[1].rstrip("/"))
    async with Sandbox(port=port, credentials=first.credentials) as again:
        assert again.base_url == f"http://127.0.0.1:{port}/"
        assert again.credentials == first.credentials


def test_sandbox_fixture_credentials(sandbox_credentials: dict[str, str]) -> None:
    assert sandbox_credentials["access_token"].split("-", 1)[0].isdigit()


VECTOR_CREDENTIALS = {
    "consumer_key": "xvz1evFS4wEEPTGEFPHBog",
    "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "access_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "access_token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
}
VECTOR_URL = "https://upload.twitter.com/1.1/media/upload.json"
VECTOR_TIME = 1318622958


def vector_header(signature: str) -> str:
    params = {
        "oauth_consumer_key": VECTOR_CREDENTIALS["consumer_key"],
        "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        "oauth_signature": signature,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(VECTOR_TIME),
        "oauth_token": VECTOR_CREDENTIALS["access_token"],
        "oauth_version": "1.0",
    }
    return "OAuth " + ", ".join(f'{k}="{quote(v, safe="~")}"' for k, v in params.items())


@pytest.mark.parametrize(
    ("method", "url", "form", "signature"),
    [
        ("POST", VECTOR_URL, None, "NMzR2ONZg7LB8GenCn/47b0dz4A="),
        (
            "POST",
            VECTOR_URL,
            "command=INIT&total_bytes=1577963&media_type=video%2Fmp4",
            "7c+3iUfSVTMUIFhEPZqpIm/25Jw=",
        ),
        (
            "GET",
            VECTOR_URL + "?command=STATUS&media_id=1349803915521482754",
            None,
            "BMicHmrtfzbI/mo0x0lLhhurwls=",
        ),
    ],
)
def test_verify_oauth1_accepts_protocol_test_vectors(
    method: str, url: str, form: str | None, signature: str
) -> None:
    verify_oauth1(
        method, url, vector_header(signature), form, VECTOR_CREDENTIALS, now=lambda: VECTOR_TIME
    )
    # The same header against the real clock is stale.
    with pytest.raises(AuthenticationFailed, match="timestamp"):
        verify_oauth1(method, url, vector_header(signature), form, VECTOR_CREDENTIALS)


def test_verify_oauth1_rejects_mismatch_replay_and_missing_header() -> None:
    header = vector_header("NMzR2ONZg7LB8GenCn/47b0dz4A=")
    now = lambda: VECTOR_TIME + 299  # noqa: E731
    # The multipart vector does not verify once form fields are claimed to be in the body.
    with pytest.raises(AuthenticationFailed, match="signature"):
        verify_oauth1("POST", VECTOR_URL, header, "command=APPEND", VECTOR_CREDENTIALS, now=now)
    nonces = NonceRegistry()
    headers = {"authorization": header}  # any mapping, case-insensitive
    verify_oauth1("POST", VECTOR_URL, headers, None, VECTOR_CREDENTIALS, nonces=nonces, now=now)
    with pytest.raises(AuthenticationFailed, match="nonce"):
        verify_oauth1("POST", VECTOR_URL, headers, None, VECTOR_CREDENTIALS, nonces=nonces, now=now)
    missing_values: list[str | dict[str, str] | None] = [None, "", {}, "Bearer abc"]
    for missing in missing_values:
        with pytest.raises(MissingAuthorization):
            verify_oauth1("POST", VECTOR_URL, missing, None, VECTOR_CREDENTIALS, now=now)


async def test_large_gif_in_order_is_hashed_as_it_arrives(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    data = b"GIF89a\x40\x01\xf0\x00" + bytes(range(256)) * (12 * MiB // 256)
    response = await init(session, sandbox, len(data), "image/gif", "tweet_gif")
    assert response.status == 202
    media_id = response.json()["media_id_string"]
    record = sandbox.uploads[int(media_id)]
    chunk = 4 * MiB
    for index, start in enumerate(range(0, len(data), chunk)):
        assert (
            await append(session, sandbox, media_id, index, data[start : start + chunk])
        ).status == 204
        assert record.pending_bytes == 0
    response = await finalize(session, sandbox, media_id)
    assert response.json()["processing_info"]["state"] == "pending"  # GIF with a category
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert (record.sniffed_type, record.width, record.height) == ("image/gif", 320, 240)


async def test_resending_a_hashed_segment_with_other_bytes_fails_finalize(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    response = await init(session, sandbox, 2000, "video/mp4", "tweet_video")
    media_id = response.json()["media_id_string"]
    await append(session, sandbox, media_id, 0, b"a" * 1000)
    await append(session, sandbox, media_id, 1, b"b" * 1000)
    await append(session, sandbox, media_id, 0, b"c" * 1000)
    response = await finalize(session, sandbox, media_id)
    assert response.status == 400
    assert "Segment 0" in response.json()["error"]
