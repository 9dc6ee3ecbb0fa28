"""MastodonClient against the sandbox's Mastodon routes, byte-exact (sha256)."""

from __future__ import annotations

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
    APIError,
    AuthenticationError,
    MastodonClient,
    MediaTooLarge,
    ProcessingError,
    ProcessingTimeout,
    RateLimitError,
    RejectedMediaSize,
    RejectedMediaType,
    UnsupportedMediaType,
)
from asyncmedia.sandbox import MastodonService, RequestRecord, Sandbox


def service(sandbox: Sandbox) -> MastodonService:
    assert sandbox.mastodon is not None
    return sandbox.mastodon


def media_requests(sandbox: Sandbox) -> list[RequestRecord]:
    """The requests after the (public, once per client) instance document reads."""
    return [r for r in sandbox.requests if not r.path.rstrip("/").endswith("/instance")]


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[MastodonClient]:
    async with MastodonClient(
        sandbox.mastodon_url, sandbox.mastodon_token, poll_interval=0.01, max_poll_interval=0.05
    ) as c:
        yield c


@pytest.mark.parametrize("kind", SOURCE_KINDS)
async def test_every_source_kind_ready_at_once_byte_exact(
    kind: str,
    client: MastodonClient,
    sandbox: Sandbox,
    tmp_path: Path,
    media_server: MediaServer,  # noqa: F811
) -> None:
    data = png_bytes(seed=len(kind))
    async with source_of(kind, data, tmp_path=tmp_path, media_server=media_server) as source:
        media = await client.upload_media(source, description="A cat", focus=(0.25, -1))
    record = service(sandbox).media[media.id]
    assert record.sha256 == sha(data)
    assert record.declared_type == "image/png"  # the file part carried the real MIME type
    assert record.polls == 0
    assert (media.type, media.description) == ("image", "A cat")
    assert media.url is not None and media.preview_url is not None
    assert media.meta["focus"] == {"x": 0.25, "y": -1.0}
    assert media.raw["id"] == media.id
    assert [r.status for r in media_requests(sandbox)] == [200]


async def test_video_is_accepted_then_polled_until_ready(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    data = mp4_bytes(300_000)
    slept: list[float] = []
    real_sleep = client.transport.sleep

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(seconds)

    client.transport.sleep = recording_sleep
    media = await client.upload_media(data)
    record = service(sandbox).media[media.id]
    assert record.sha256 == sha(data)
    assert media.type == "video" and media.url is not None
    assert [r.status for r in media_requests(sandbox)] == [202, 206, 206, 200]
    assert slept == [0.01, 0.02, 0.04]  # doubling from poll_interval, capped


async def test_backoff_is_one_second_to_five_by_default(sandbox: Sandbox) -> None:
    service(sandbox).processing_steps = 6
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async with MastodonClient(sandbox.mastodon_url, sandbox.mastodon_token) as client:
        client.transport.sleep = fake_sleep
        media = await client.upload_media(mp4_bytes(50_000))
    assert slept == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    assert media.url is not None


async def test_thumbnail_is_sent_by_a_follow_up_put(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    thumb = png_bytes(5_000, seed=9)
    media = await client.upload_media(mp4_bytes(100_000), thumbnail=thumb)
    record = service(sandbox).media[media.id]
    assert record.thumbnail_sha256 == sha(thumb) and record.thumbnail_type == "image/png"
    assert sandbox.requests[-1].method == "PUT"
    with pytest.raises(UnsupportedMediaType, match="thumbnail must be an image"):
        await client.upload_media(mp4_bytes(100_000), thumbnail=mp4_bytes(1000))


async def test_update_media(client: MastodonClient, sandbox: Sandbox) -> None:
    media = await client.upload_media(png_bytes())
    updated = await client.update_media(media.id, description="Now described", focus=(0, 0.5))
    record = service(sandbox).media[media.id]
    assert record.description == "Now described" and record.focus == (0.0, 0.5)
    assert updated.description == "Now described" and updated.id == media.id


async def test_processing_failure_is_processing_error(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    service(sandbox).outcome = "failed"
    with pytest.raises(ProcessingError) as caught:
        await client.upload_media(mp4_bytes(100_000))
    assert caught.value.message == "Error processing thumbnail for uploaded media"
    assert caught.value.media_id in service(sandbox).media


async def test_processing_timeout(sandbox: Sandbox) -> None:
    service(sandbox).processing_steps = 10_000
    async with MastodonClient(
        sandbox.mastodon_url,
        sandbox.mastodon_token,
        poll_interval=0.05,
        max_poll_interval=0.1,
        processing_timeout=0.3,
    ) as client:
        with pytest.raises(ProcessingTimeout, match="processing_timeout") as caught:
            await client.upload_media(mp4_bytes(100_000))
    assert caught.value.media_id in service(sandbox).media


async def test_processing_timeout_with_an_instant_injected_sleep(sandbox: Sandbox) -> None:
    service(sandbox).processing_steps = 10_000

    async def no_sleep(seconds: float) -> None:
        return None

    async with MastodonClient(
        sandbox.mastodon_url, sandbox.mastodon_token, processing_timeout=20
    ) as client:
        client.transport.sleep = no_sleep
        with pytest.raises(ProcessingTimeout):
            await client.upload_media(mp4_bytes(100_000))
    polls = [r for r in media_requests(sandbox) if r.method == "GET"]
    assert 3 <= len(polls) <= 6  # 1+2+4+5+5 = 17 s of scheduled waits fit in 20 s


async def test_wrong_token_is_authentication_error(sandbox: Sandbox) -> None:
    async with MastodonClient(sandbox.mastodon_url, "wrong-token") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_media(png_bytes())
    assert caught.value.status == 401
    assert caught.value.message == "The access token is invalid"


async def test_server_refusals_are_typed_with_the_server_message(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    await client.instance_limits()  # read before the instance lowers its limit below
    service(sandbox).image_size_limit = 10_000
    with pytest.raises(RejectedMediaSize) as too_big:
        await client.upload_media(png_bytes(20_000))
    assert isinstance(too_big.value, MediaTooLarge) and too_big.value.status == 422
    assert "file size must be less than 10000 bytes" in too_big.value.message
    # The declared type disagrees with the bytes: Mastodon refuses the content type.
    with pytest.raises(RejectedMediaType) as bad_type:
        await client.upload_media(png_bytes(), media_type="image/jpeg")
    assert isinstance(bad_type.value, UnsupportedMediaType)
    assert bad_type.value.message.startswith("Validation failed: File content type is invalid")
    with pytest.raises(APIError) as missing:
        await client.update_media("999", description="x")
    assert missing.value.status == 404


async def test_client_side_checks_send_nothing(client: MastodonClient, sandbox: Sandbox) -> None:
    service(sandbox).description_limit = 1500
    with pytest.raises(ValueError, match="1500"):
        await client.upload_media(png_bytes(), description="x" * 1501)
    for focus in ((1.5, 0), (0, -1.01), (float("nan"), 0)):
        with pytest.raises(ValueError, match="focus"):
            await client.upload_media(png_bytes(), focus=focus)
    assert media_requests(sandbox) == []


async def test_rate_limit_reset_comes_from_the_iso_header(sandbox: Sandbox) -> None:
    async with MastodonClient(sandbox.mastodon_url, sandbox.mastodon_token) as client:
        await client.instance_limits()
        service(sandbox).throttle.count = 1  # the upload, not the instance document
        with pytest.raises(RateLimitError) as caught:
            await client.upload_media(png_bytes())
    reset_header = caught.value.headers["X-RateLimit-Reset"]
    assert "T" in reset_header  # ISO 8601, as Mastodon sends it
    assert caught.value.reset is not None
    assert abs(caught.value.reset - (time.time() + 3600)) < 5
    assert caught.value.message == "Too many requests"
