"""``TwitrPixClient`` against the sandbox's TwitrPix route: both formats, every error code."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from local_servers import serving

from asyncmedia import (
    APIError,
    AuthenticationError,
    MediaTooLarge,
    RejectedMediaSize,
    RejectedMediaType,
    ServiceUnavailable,
    TwitrPixClient,
)
from asyncmedia.protocols.http import HTTPRequest
from asyncmedia.sandbox import Sandbox


def gif_bytes(size: int = 20_000) -> bytes:
    header = b"GIF89a" + (64).to_bytes(2, "little") + (48).to_bytes(2, "little")
    return header + bytes((i * 17) % 256 for i in range(size - len(header)))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def client_for(sandbox: Sandbox, fmt: str = "json", **overrides: str) -> TwitrPixClient:
    credentials = dict(sandbox.credentials, **overrides)
    api_key = credentials.pop("api_key", sandbox.twitrpix_api_key)
    return TwitrPixClient(
        api_key, **credentials, base_url=sandbox.twitrpix_url, response_format=fmt
    )


@pytest.fixture(params=["json", "xml"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def image_url() -> AsyncIterator[str]:
    """A second local server serving a GIF, for the URL source kind."""
    data = gif_bytes(30_000)

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=data, content_type="image/gif")

    app = web.Application()
    app.router.add_get("/pic.gif", image)
    async with serving(app, access_log=None) as url:
        yield str(url / "pic.gif")


async def test_upload_from_a_url_with_tags_and_coordinates(
    sandbox: Sandbox, image_url: str, fmt: str
) -> None:
    async with client_for(sandbox, fmt) as client:
        media = await client.upload(
            image_url, message="Ünïcödé & co", tags="cats, sofa", latitude=-33.86, longitude=151.2
        )
    record = sandbox.twitrpix.uploads[-1]
    assert record.response_format == fmt
    assert record.sha256 == sha(gif_bytes(30_000))
    assert record.media_type == "image/gif"
    assert record.message == "Ünïcödé & co"
    assert record.tags == ["cats", "sofa"]
    assert (record.latitude, record.longitude) == (-33.86, 151.2)
    assert record.posted is False
    assert sandbox.twitrpix.tweets == []
    assert media.id == record.id
    assert media.page_url == f"http://twitrpix.com/{record.id}"
    assert media.text == f"http://twitrpix.com/{record.id} [pic] Ünïcödé & co"
    assert media.thumb_url == f"http://img.twitrpix.com/thumb/{record.id}"
    assert media.full_url == f"http://img.twitrpix.com/{record.id}"  # the server's, as sent
    assert media.user is not None and media.user.screen_name == "sandbox"


async def test_upload_and_post_posts_the_tweet(sandbox: Sandbox, fmt: str) -> None:
    data = gif_bytes()
    async with client_for(sandbox, fmt) as client:
        media = await client.upload_and_post(data, message="posted", tags=["one"])
    record = sandbox.twitrpix.uploads[-1]
    assert (record.posted, record.sha256, record.tags) == (True, sha(data), ["one"])
    assert sandbox.twitrpix.tweets == [media.text]


async def test_ping_pong_and_maintenance(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        assert await client.ping() == "pong"
        sandbox.twitrpix.maintenance = True
        with pytest.raises(ServiceUnavailable, match="maintenance"):
            await client.ping()


async def test_wrong_api_key_is_999(sandbox: Sandbox, fmt: str) -> None:
    async with client_for(sandbox, fmt, api_key="nope") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload(gif_bytes())
    assert (caught.value.status, caught.value.code) == (400, 999)
    assert "API key" in caught.value.message


async def test_wrong_twitter_secret_is_1001(sandbox: Sandbox, fmt: str) -> None:
    async with client_for(sandbox, fmt, consumer_secret="wrong") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload(gif_bytes())
    assert (caught.value.status, caught.value.code) == (400, 1001)
    assert "Unable to authenticate" in caught.value.message
    assert sandbox.twitrpix.uploads == []


async def test_no_media_is_1002(sandbox: Sandbox, fmt: str) -> None:
    async with client_for(sandbox, fmt) as client:
        # Built by hand with an empty file part: the client never sends one.
        request = client.protocol.upload(
            api_key=sandbox.twitrpix_api_key,
            **sandbox.credentials,
            filename="empty.gif",
            media_type="image/gif",
        )
        response = await client.transport.send(request, b"")
        with pytest.raises(APIError) as caught:
            client.protocol.read_media(response)
    assert type(caught.value) is APIError
    assert caught.value.code == 1002
    assert "media not attached" in caught.value.message.lower()


async def test_unsupported_media_is_1003(sandbox: Sandbox, fmt: str) -> None:
    async with client_for(sandbox, fmt) as client:
        with pytest.raises(RejectedMediaType) as caught:
            await client.upload(b"just some text", media_type="image/gif")
    assert caught.value.code == 1003
    assert isinstance(caught.value, APIError)


async def test_too_large_is_1004(sandbox: Sandbox, fmt: str) -> None:
    sandbox.twitrpix.max_media_bytes = 10_000
    async with client_for(sandbox, fmt) as client:
        with pytest.raises(MediaTooLarge) as caught:
            await client.upload(gif_bytes(10_001))
    assert isinstance(caught.value, RejectedMediaSize)
    assert (caught.value.status, caught.value.code) == (400, 1004)


async def test_unknown_error_is_1000(sandbox: Sandbox, fmt: str) -> None:
    sandbox.twitrpix.fail_with = 1000
    async with client_for(sandbox, fmt) as client:
        with pytest.raises(APIError) as caught:
            await client.upload(gif_bytes())
    assert type(caught.value) is APIError
    assert caught.value.code == 1000
    assert caught.value.message == "TwitrPix: Unknown error"  # the service's msg, verbatim


async def test_bad_tags_and_coordinates_are_refused_before_sending(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(ValueError, match="latitude"):
            await client.upload(gif_bytes(), latitude=95.0, longitude=0.0)
        with pytest.raises(ValueError, match="longitude"):
            await client.upload_and_post(gif_bytes(), latitude=0.0, longitude=-180.5)
        with pytest.raises(ValueError, match="comma"):
            await client.upload(gif_bytes(), tags=["a,b"])
        with pytest.raises(ValueError, match="whitespace"):
            await client.upload(gif_bytes(), tags="a, ,b")
    assert sandbox.requests == []


def test_plain_http_to_another_host_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="asyncmedia"):
        TwitrPixClient("k", "ck", "cs", "at", "ats")  # the documented http:// default
    assert any("plain HTTP" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="asyncmedia"):
        TwitrPixClient("k", "ck", "cs", "at", "ats", base_url="http://127.0.0.1:9/1/")
        TwitrPixClient("k", "ck", "cs", "at", "ats", base_url="https://api.example/1/")
    assert caplog.records == []
    assert "SECRET" not in repr(TwitrPixClient("k", "ck", "SECRET1", "at", "SECRET2"))


async def test_sandbox_answers_non_post_in_the_service_shape(sandbox: Sandbox) -> None:
    async with client_for(sandbox, "xml") as client:
        wrong = HTTPRequest("GET", client.protocol.base_url / "upload.xml", signed=False)
        response = await client.transport.send(wrong)
        with pytest.raises(APIError) as caught:
            client.protocol.read_media(response)
    assert (caught.value.status, caught.value.code) == (400, 1000)
    assert "POST" in caught.value.message
