"""peony-twitter 2.1.2 (``PeonyClient.upload_media``, the API style asyncmedia follows)
uploading to the sandbox.

``PeonyClient`` starts a lookup of its own when created (``account/verify_credentials`` on
``https://api.twitter.com``, whatever ``base_url`` says).  It runs on a session whose resolver
answers only for loopback: the lookup fails at DNS, nothing leaves 127.0.0.1, and the test
checks that the name was refused.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from twitter_peer_media import assert_all_signed, gif_bytes, mp4_bytes, png_bytes, sha, write

from asyncmedia.sandbox import Sandbox

peony = pytest.importorskip(
    "peony", reason="the peers extra: pip install -e '.[peers]' (make test installs it)"
)

# peony hands aiohttp the chunks as bytes, which aiohttp 3.x warns will change in v4.
pytestmark = pytest.mark.filterwarnings("ignore:In v4, passing bytes:DeprecationWarning")


class LoopbackResolver(AbstractResolver):
    """Resolves ``localhost`` only; every other name fails, and is remembered."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host == "localhost":
            return [
                ResolveResult(
                    hostname=host,
                    host="127.0.0.1",
                    port=port,
                    family=socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        self.refused.append(host)
        raise OSError(f"name resolution is disabled in the tests: {host}")

    async def close(self) -> None:
        return None


@pytest.fixture
async def peony_client(sandbox: Sandbox) -> AsyncIterator[tuple[Any, LoopbackResolver]]:
    resolver = LoopbackResolver()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
    creds = sandbox.credentials
    client = peony.PeonyClient(
        consumer_key=creds["consumer_key"],
        consumer_secret=creds["consumer_secret"],
        access_token=creds["access_token"],
        access_token_secret=creds["access_token_secret"],
        base_url=sandbox.base_url + "{version}",
        session=session,
    )
    try:
        # The client's own user lookup went for api.twitter.com and failed at DNS.
        with pytest.raises(Exception):  # noqa: B017, PT011 - peony wraps it in its own errors
            await client.user
        assert set(resolver.refused) == {"api.twitter.com"}  # peony retries it
        yield client, resolver
    finally:
        await client.close()
        await session.close()


async def test_upload_media_image_chunked_and_simple(
    peony_client: tuple[Any, LoopbackResolver], sandbox: Sandbox, tmp_path: Path
) -> None:
    client, resolver = peony_client
    data = png_bytes(seed=11)
    path = str(write(tmp_path, "cat.png", data))
    chunked = await client.upload_media(path)  # peony's default: chunked=True
    simple = await client.upload_media(path, chunked=False)
    for response in (chunked, simple):
        record = sandbox.uploads[response["media_id"]]
        assert record.sha256 == sha(data) and record.media_type == "image/png"
    assert sandbox.uploads[chunked["media_id"]].chunked
    assert sandbox.uploads[chunked["media_id"]].media_category == "tweet_image"
    assert not sandbox.uploads[simple["media_id"]].chunked
    assert_all_signed(sandbox.requests)
    assert set(resolver.refused) == {"api.twitter.com"}  # nothing else was looked up


async def test_upload_media_video_and_gif_poll_status(
    peony_client: tuple[Any, LoopbackResolver], sandbox: Sandbox, tmp_path: Path
) -> None:
    client, _ = peony_client
    video = mp4_bytes(2_300_000)
    gif = gif_bytes(300_000)
    video_answer = await client.upload_media(str(write(tmp_path, "clip.mp4", video)))
    gif_answer = await client.upload_media(str(write(tmp_path, "a.gif", gif)))
    video_record = sandbox.uploads[video_answer["media_id"]]
    gif_record = sandbox.uploads[gif_answer["media_id"]]
    assert video_record.sha256 == sha(video) and video_record.media_category == "tweet_video"
    assert gif_record.sha256 == sha(gif) and gif_record.media_category == "tweet_gif"
    # peony polled STATUS until succeeded (it returns the INIT answer, not the last one).
    for record in (video_record, gif_record):
        assert record.state == "succeeded"
        assert len(record.status_polls) == sandbox.processing_steps + 1
    assert_all_signed(sandbox.requests)
