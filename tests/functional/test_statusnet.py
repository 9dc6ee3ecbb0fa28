"""``StatusNetClient`` against the sandbox's StatusNet route: Basic auth, both formats, leaks."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from local_servers import serving

from asyncmedia import APIError, AuthenticationError, StatusNetClient
from asyncmedia.sandbox import Sandbox

STATUS_PATH = "/statusnet/api/statuses/update"


def jpeg_bytes(size: int = 18_000) -> bytes:
    sof = b"\xff\xc0\x00\x11\x08" + (90).to_bytes(2, "big") + (160).to_bytes(2, "big")
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof
    return head + bytes((i * 7) % 256 for i in range(size - len(head)))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def client_for(sandbox: Sandbox, fmt: str = "json", **kwargs: object) -> StatusNetClient:
    credentials = sandbox.statusnet_credentials
    return StatusNetClient(
        credentials["username"],
        str(kwargs.pop("password", credentials["password"])),
        base_url=sandbox.statusnet_url,
        response_format=fmt,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["json", "xml"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Elsewhere:
    """A second local server on 127.0.0.1 (another origin) that records what it receives."""

    url: str
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    box = Elsewhere("")

    async def anything(request: web.Request) -> web.Response:
        box.headers.append(dict(request.headers))
        box.bodies.append(await request.read())
        status = {"id": 1, "text": "elsewhere", "user": {"id": 9, "screen_name": "mallory"}}
        return web.Response(body=json.dumps(status).encode(), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    async with serving(app, access_log=None) as url:
        box.url = str(url / "collect")
        yield box


async def test_update_in_each_format(sandbox: Sandbox, fmt: str) -> None:
    async with client_for(sandbox, fmt) as client:
        status = await client.update(
            "Ünïcödé & = + % 🎉", in_reply_to_status_id=5131000, source="asyncmedia"
        )
    notice = sandbox.statusnet.notices[-1]
    assert (notice.status, notice.source, notice.response_format) == (
        "Ünïcödé & = + % 🎉",
        "asyncmedia",
        fmt,
    )
    assert notice.in_reply_to_status_id == 5131000
    assert notice.multipart is False
    assert notice.headers["authorization"].startswith("Basic ")
    assert status.id == str(notice.id)
    assert status.text == "Ünïcödé & = + % 🎉"
    assert status.source == "asyncmedia"
    assert status.in_reply_to_status_id == "5131000"
    assert status.created_at is not None
    assert status.user is not None and status.user.screen_name == "sandbox"
    assert status.raw["favorited"] in (False, "false")


async def test_update_with_media_from_a_sync_file(
    sandbox: Sandbox, fmt: str, tmp_path: Path
) -> None:
    data = jpeg_bytes()
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    async with client_for(sandbox, fmt) as client:
        with path.open("rb") as handle:
            status = await client.update_with_media(handle, status="look")
    notice = sandbox.statusnet.notices[-1]
    assert (notice.sha256, notice.size, notice.media_type) == (sha(data), len(data), "image/jpeg")
    assert notice.multipart is True
    assert status.text == f"look {notice.attachment_url}"


async def test_wrong_password_is_one_request_and_an_authentication_error(
    sandbox: Sandbox, fmt: str
) -> None:
    async with client_for(sandbox, fmt, password="wrong") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.update("hello")
    assert caught.value.status == 401
    assert caught.value.message == "Could not authenticate you."
    # Sent pre-emptively once; the 401 challenge is not answered again (no loop).
    attempts = [r for r in sandbox.requests if r.path.startswith(STATUS_PATH)]
    assert len(attempts) == 1
    assert attempts[0].headers["authorization"].startswith("Basic ")
    assert attempts[0].authenticated is False
    assert sandbox.statusnet.notices == []


async def test_status_limit_is_checked_before_sending(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(ValueError, match="141 characters"):
            await client.update("x" * 141)
        with pytest.raises(ValueError, match="empty"):
            await client.update("   ")
        with pytest.raises(ValueError, match="over the limit"):
            await client.update_with_media(jpeg_bytes(), status="y" * 141)
    assert sandbox.requests == []


async def test_server_limits_still_map_to_api_errors(sandbox: Sandbox, fmt: str) -> None:
    async with client_for(sandbox, fmt, status_limit=200) as client:
        with pytest.raises(APIError) as too_long:
            await client.update("z" * 150)
        assert type(too_long.value) is APIError
        assert too_long.value.status == 406
        assert "Max notice size is 140 chars" in too_long.value.message
        with pytest.raises(APIError) as with_url:
            await client.update_with_media(jpeg_bytes(), status="w" * 135)
        assert with_url.value.status == 400
        assert "including attachment URL" in with_url.value.message
        with pytest.raises(APIError, match="Unsupported file type"):
            await client.update_with_media(b"not an image at all", media_type="image/jpeg")


async def test_redirect_to_another_host_carries_no_credentials(
    sandbox: Sandbox, elsewhere: Elsewhere
) -> None:
    sandbox.statusnet.redirect_to = elsewhere.url
    async with client_for(sandbox) as client:
        await client.update("follow me")
    first = next(r for r in sandbox.requests if r.path.startswith(STATUS_PATH))
    assert first.status == 307
    assert first.headers["authorization"].startswith("Basic ")
    assert len(elsewhere.headers) == 1
    assert not any(name.lower() == "authorization" for name in elsewhere.headers[0])
    password = sandbox.statusnet_credentials["password"]
    assert all(password not in value for value in elsewhere.headers[0].values())
    assert password.encode() not in elsewhere.bodies[0]


async def test_multipart_redirect_never_carries_credentials(
    sandbox: Sandbox, elsewhere: Elsewhere
) -> None:
    sandbox.statusnet.redirect_to = elsewhere.url
    async with client_for(sandbox) as client:
        # Whether the transport replays the (seekable) body or hands back the 307 is its
        # business; either way the other host must not see the credentials.
        refused: APIError | None = None
        try:
            await client.update_with_media(jpeg_bytes(), status="pic")
        except APIError as exc:
            refused = exc
    if refused is not None:
        assert refused.status == 307
        assert elsewhere.headers == []
    else:
        assert len(elsewhere.headers) == 1
    for headers in elsewhere.headers:
        assert not any(name.lower() == "authorization" for name in headers)
    first = next(r for r in sandbox.requests if r.path.startswith(STATUS_PATH))
    assert first.headers["authorization"].startswith("Basic ")


def test_basic_over_plain_http_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="asyncmedia"):
        StatusNetClient("u", "p", base_url="http://identi.ca/api/")
    assert any("Basic" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="asyncmedia"):
        StatusNetClient("u", "p")
        StatusNetClient("u", "p", base_url="http://localhost:8080/api/")
    assert caplog.records == []
