"""BlueskyClient against the sandbox's Bluesky (XRPC) routes, byte-exact (sha256)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from service_samples import (  # noqa: F401 - media_server is a fixture
    SOURCE_KINDS,
    MediaServer,
    media_server,
    mp4_bytes,
    png_bytes,
    sha,
    source_of,
)

from asyncmedia import (
    AuthenticationError,
    Blob,
    BlueskyClient,
    MediaTooLarge,
    RateLimitError,
    RejectedMediaSize,
)
from asyncmedia.sandbox import BlueskyService, Sandbox


def service(sandbox: Sandbox) -> BlueskyService:
    assert sandbox.bluesky is not None
    return sandbox.bluesky


def cid_of(data: bytes) -> str:
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[BlueskyClient]:
    async with BlueskyClient(
        sandbox.bluesky_url,
        identifier=sandbox.bluesky_identifier,
        password=sandbox.bluesky_password,
    ) as c:
        yield c


@pytest.mark.parametrize("kind", SOURCE_KINDS)
async def test_every_source_kind_streamed_raw_byte_exact(
    kind: str,
    client: BlueskyClient,
    sandbox: Sandbox,
    tmp_path: Path,
    media_server: MediaServer,  # noqa: F811
) -> None:
    data = png_bytes(seed=len(kind))
    async with source_of(kind, data, tmp_path=tmp_path, media_server=media_server) as source:
        blob = await client.upload_blob(source)
    assert blob.ref == cid_of(data)
    record = service(sandbox).blobs[blob.ref]
    assert record.sha256 == sha(data) and record.size == len(data)
    assert record.declared_type == "image/png"
    assert (blob.mime_type, blob.size) == ("image/png", len(data))
    assert blob.as_dict() == {
        "$type": "blob",
        "ref": {"$link": blob.ref},
        "mimeType": "image/png",
        "size": len(data),
    }
    upload = sandbox.requests[-1]
    assert upload.path == "/bluesky/xrpc/com.atproto.repo.uploadBlob"
    assert upload.headers["content-type"] == "image/png"  # raw body, not multipart
    assert upload.headers["content-length"] == str(len(data))
    assert upload.headers["authorization"] == f"Bearer {sandbox.bluesky_token}"


async def test_logs_in_once_then_reuses_the_session(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    for seed in range(3):
        await client.upload_blob(png_bytes(seed=seed))
    assert service(sandbox).sessions == 1
    login = sandbox.requests[0]
    assert login.path.endswith("com.atproto.server.createSession")
    assert "authorization" not in login.headers


async def test_access_jwt_skips_create_session(sandbox: Sandbox) -> None:
    async with BlueskyClient(sandbox.bluesky_url, access_jwt=sandbox.bluesky_token) as client:
        blob = await client.upload_blob(mp4_bytes(200_000), progress=None)
    assert isinstance(blob, Blob) and blob.mime_type == "video/mp4"
    assert service(sandbox).sessions == 0
    assert service(sandbox).blobs[blob.ref].sha256 == sha(mp4_bytes(200_000))


async def test_progress_reaches_the_total(client: BlueskyClient) -> None:
    seen: list[tuple[int, int]] = []
    data = png_bytes(900_000)
    await client.upload_blob(data, progress=lambda sent, total: seen.append((sent, total)))
    assert seen[-1] == (len(data), len(data))


async def test_wrong_password_and_bad_token_are_authentication_errors(sandbox: Sandbox) -> None:
    async with BlueskyClient(
        sandbox.bluesky_url, identifier=sandbox.bluesky_identifier, password="wrong"
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_blob(png_bytes())
    assert caught.value.code == "AuthenticationRequired"
    assert caught.value.message == "Invalid identifier or password"
    async with BlueskyClient(sandbox.bluesky_url, access_jwt="a.b.c") as client:
        with pytest.raises(AuthenticationError) as bad_token:
            await client.upload_blob(png_bytes())
    assert bad_token.value.code == "InvalidToken"
    assert service(sandbox).blobs == {}


async def test_image_limit_is_client_side(client: BlueskyClient, sandbox: Sandbox) -> None:
    with pytest.raises(MediaTooLarge, match="1000000") as caught:
        await client.upload_blob(png_bytes(1_000_001))
    assert caught.value.limit == 1_000_000
    assert sandbox.requests == []


async def test_server_blob_limit_is_rejected_media_size(sandbox: Sandbox) -> None:
    service(sandbox).max_blob_size = 100_000
    async with BlueskyClient(
        sandbox.bluesky_url, access_jwt=sandbox.bluesky_token, image_size_limit=None
    ) as client:
        with pytest.raises(RejectedMediaSize) as caught:
            await client.upload_blob(png_bytes(150_000))
    assert isinstance(caught.value, MediaTooLarge)
    # The reference PDS refuses from the Content-Length: 413 PayloadTooLarge.
    assert caught.value.code == "PayloadTooLarge" and caught.value.status == 413
    assert caught.value.message == "request entity too large"
    assert caught.value.size == 150_000
    assert service(sandbox).blobs == {}


async def test_rate_limit_is_raised_with_reset(sandbox: Sandbox) -> None:
    service(sandbox).throttle.count = 1
    async with BlueskyClient(sandbox.bluesky_url, access_jwt=sandbox.bluesky_token) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.upload_blob(png_bytes())
    assert caught.value.code == "RateLimitExceeded"
    assert caught.value.reset is not None and caught.value.reset > time.time() + 3000


def test_credentials_are_required() -> None:
    with pytest.raises(ValueError, match="identifier"):
        BlueskyClient()
    with pytest.raises(ValueError, match="password"):
        BlueskyClient(identifier="me.bsky.social")
