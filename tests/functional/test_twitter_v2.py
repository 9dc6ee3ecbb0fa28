"""MediaClient(api_version=2) against the sandbox's X API v2 routes, byte-exact (sha256)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from service_samples import (  # noqa: F401 - media_server is a fixture
    MIB,
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
    MediaClient,
    MediaTooLarge,
    ProcessingError,
    ProcessingTimeout,
    RateLimitError,
)
from asyncmedia.sandbox import Sandbox


@pytest.fixture
async def oauth_client(sandbox: Sandbox) -> AsyncIterator[MediaClient]:
    async with MediaClient(**sandbox.credentials, api_version=2, upload_url=sandbox.x2_url) as c:
        yield c


@pytest.fixture
async def bearer_client(sandbox: Sandbox) -> AsyncIterator[MediaClient]:
    async with MediaClient(
        bearer_token=sandbox.x_bearer_token, api_version=2, upload_url=sandbox.x2_url
    ) as c:
        yield c


def v2(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    assert sandbox.twitter_v2 is not None
    return sandbox.twitter_v2


@pytest.mark.parametrize("kind", SOURCE_KINDS)
async def test_every_source_kind_one_shot_byte_exact(
    kind: str,
    oauth_client: MediaClient,
    sandbox: Sandbox,
    tmp_path: Path,
    media_server: MediaServer,  # noqa: F811
) -> None:
    data = png_bytes(seed=len(kind))
    async with source_of(kind, data, tmp_path=tmp_path, media_server=media_server) as source:
        media = await oauth_client.upload_media(source)
    record = v2(sandbox).uploads[media.media_id_string]
    assert record.sha256 == sha(data)
    assert record.chunked is False and record.media_category == "tweet_image"
    assert media.media_key == f"3_{media.media_id_string}"
    assert media.media_id == int(media.media_id_string)
    assert media.size == len(data) and media.media_type == "image/png"
    assert v2(sandbox).auth_schemes and set(v2(sandbox).auth_schemes) == {"oauth1"}


async def test_bearer_token_alt_text_and_wire_shape(
    bearer_client: MediaClient, sandbox: Sandbox
) -> None:
    media = await bearer_client.upload_media(png_bytes(), alt_text="A cat on a sofa")
    record = v2(sandbox).uploads[media.media_id_string]
    assert record.alt_text == "A cat on a sofa"
    assert set(v2(sandbox).auth_schemes) == {"bearer"}
    paths = [(r.method, r.path) for r in sandbox.requests]
    assert paths == [("POST", "/2/media/upload"), ("POST", "/2/media/metadata")]
    assert all(r.headers["authorization"].startswith("Bearer ") for r in sandbox.requests)


async def test_chunked_video_polls_status_until_succeeded(
    oauth_client: MediaClient, sandbox: Sandbox
) -> None:
    data = mp4_bytes(3 * MIB + 17)
    seen: list[int] = []
    media = await oauth_client.upload_media(
        data, chunk_size=MIB, progress=lambda sent, total: seen.append(sent)
    )
    record = v2(sandbox).uploads[media.media_id_string]
    assert record.sha256 == sha(data)
    assert record.chunked and record.media_category == "tweet_video"
    assert sorted(record.segments) == [0, 1, 2, 3]
    assert len(record.status_polls) == sandbox.processing_steps + 1
    assert media.processing_info == {"state": "succeeded", "progress_percent": 100}
    assert media.media_key == f"7_{media.media_id_string}"
    assert seen[-1] == len(data)
    calls = [(r.method, r.path.replace(media.media_id_string, "ID")) for r in sandbox.requests]
    assert calls[0] == ("POST", "/2/media/upload/initialize")
    assert calls.count(("POST", "/2/media/upload/ID/append")) == 4
    assert ("POST", "/2/media/upload/ID/finalize") in calls
    status = [r for r in sandbox.requests if r.method == "GET"]
    assert status and status[0].query == {"media_id": media.media_id_string, "command": "STATUS"}


async def test_forced_chunked_image_is_ready_at_finalize(
    bearer_client: MediaClient, sandbox: Sandbox
) -> None:
    data = png_bytes(2 * MIB + 3)
    media = await bearer_client.upload_media(data, chunked=True, chunk_size=MIB)
    assert v2(sandbox).uploads[media.media_id_string].sha256 == sha(data)
    assert media.processing_info is None
    assert not [r for r in sandbox.requests if r.method == "GET"]


async def test_gif_category_goes_chunked_because_one_shot_refuses_it(
    bearer_client: MediaClient, sandbox: Sandbox
) -> None:
    gif = b"GIF89a" + bytes(range(256)) * 40
    media = await bearer_client.upload_media(gif, media_category="tweet_gif")
    record = v2(sandbox).uploads[media.media_id_string]
    assert record.chunked and record.media_category == "tweet_gif"
    assert record.sha256 == sha(gif)


async def test_processing_failure(bearer_client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.processing_outcome = "failed"
    with pytest.raises(ProcessingError) as caught:
        await bearer_client.upload_media(mp4_bytes(MIB))
    assert caught.value.name == "InvalidMedia"


async def test_processing_timeout(sandbox: Sandbox) -> None:
    sandbox.processing_steps = 1000
    async with MediaClient(
        bearer_token=sandbox.x_bearer_token,
        api_version=2,
        upload_url=sandbox.x2_url,
        processing_timeout=0.3,
    ) as client:
        with pytest.raises(ProcessingTimeout):
            await client.upload_media(mp4_bytes(MIB))


async def test_wrong_bearer_token_and_wrong_oauth_keys_are_authentication_errors(
    sandbox: Sandbox,
) -> None:
    async with MediaClient(
        bearer_token="not-the-token", api_version=2, upload_url=sandbox.x2_url
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_media(png_bytes())
    assert caught.value.status == 401 and caught.value.message == "Unauthorized"
    keys = dict(sandbox.credentials, access_token_secret="wrong")
    async with MediaClient(**keys, api_version=2, upload_url=sandbox.x2_url) as client:
        with pytest.raises(AuthenticationError):
            await client.upload_media(png_bytes())


async def test_limits_client_side_and_server_problem_objects(
    bearer_client: MediaClient, sandbox: Sandbox
) -> None:
    with pytest.raises(MediaTooLarge):
        await bearer_client.upload_media(png_bytes(5 * MIB + 1))
    assert sandbox.requests == []
    # A limit only the server knows: alt text on a video is refused with a problem object.
    media = await bearer_client.upload_media(mp4_bytes(MIB))
    with pytest.raises(APIError) as caught:
        await bearer_client.create_metadata(media.media_id_string, "a video")
    assert caught.value.status == 400
    assert caught.value.message == "Alt text is for images and GIFs only."
    assert caught.value.body["title"] == "Invalid Request"


async def test_rate_limit_is_raised_with_reset(sandbox: Sandbox) -> None:
    v2(sandbox).throttle.count = 1
    async with MediaClient(
        bearer_token=sandbox.x_bearer_token,
        api_version=2,
        upload_url=sandbox.x2_url,
        max_rate_limit_wait=10,
    ) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.upload_media(png_bytes())
    assert caught.value.status == 429
    assert caught.value.reset is not None and caught.value.reset > time.time() + 3000


async def test_short_rate_limit_is_waited_out(sandbox: Sandbox) -> None:
    v2(sandbox).throttle.count = 1
    v2(sandbox).throttle.reset_in = 0
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async with MediaClient(
        bearer_token=sandbox.x_bearer_token, api_version=2, upload_url=sandbox.x2_url
    ) as client:
        client.transport.sleep = fake_sleep
        media = await client.upload_media(png_bytes())
    assert slept and slept[0] <= 2.0
    assert v2(sandbox).uploads[media.media_id_string].sha256 == sha(png_bytes())


async def test_finalize_answers_201_with_image_as_the_real_service(
    oauth_client: MediaClient, sandbox: Sandbox
) -> None:
    """The one real v2 FINALIZE on record (an image): 201 with data.image {image_type, w, h};
    with processing to follow, 200 (as v1.1 answers).  The client reads both."""
    image = await oauth_client.upload_media(png_bytes(), chunked=True)
    clip = await oauth_client.upload_media(mp4_bytes(300_000))
    finalizes = [(r.path, r.status) for r in sandbox.requests if r.command == "FINALIZE"]
    assert finalizes == [
        (f"/2/media/upload/{image.media_id_string}/finalize", 201),
        (f"/2/media/upload/{clip.media_id_string}/finalize", 200),
    ]
    assert image.raw["image"] == {"image_type": "image/png", "w": 64, "h": 48}
    assert image.processing_info is None and image.media_key == f"3_{image.media_id_string}"
    assert clip.processing_info == {"state": "succeeded", "progress_percent": 100}
    assert clip.media_key == f"7_{clip.media_id_string}" and clip.size == 300_000
