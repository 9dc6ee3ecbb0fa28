"""tweepy 4.17 (``tweepy.API``, API v1.1) uploading to the sandbox: what a real client does
must be accepted, byte-exact and with valid signatures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from twitter_peer_media import (
    LoopbackSession,
    assert_all_signed,
    gif_bytes,
    mp4_bytes,
    png_bytes,
    sha,
    write,
)

from asyncmedia.sandbox import ThreadedSandbox

tweepy = pytest.importorskip(
    "tweepy", reason="the peers extra: pip install -e '.[peers]' (make test installs it)"
)

# tweepy imports imghdr inside media_upload, deprecated since Python 3.11.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture
def sandbox_thread() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox() as sb:
        yield sb


@pytest.fixture
def api(sandbox_thread: ThreadedSandbox) -> tweepy.API:
    creds = sandbox_thread.credentials
    auth = tweepy.OAuth1UserHandler(
        creds["consumer_key"],
        creds["consumer_secret"],
        creds["access_token"],
        creds["access_token_secret"],
    )
    host = sandbox_thread.url.split("/")[2]  # "127.0.0.1:PORT"
    client = tweepy.API(auth, host=host, upload_host=host)
    client.session = LoopbackSession()
    return client


def test_simple_upload(api: tweepy.API, sandbox_thread: ThreadedSandbox, tmp_path: Path) -> None:
    data = png_bytes()
    media = api.media_upload(str(write(tmp_path, "banner.png", data)))
    record = sandbox_thread.uploads[media.media_id]
    assert record.sha256 == sha(data) and record.media_type == "image/png"
    assert not record.chunked and media.media_id_string == record.media_id_string
    assert media.size == len(data) and media.image["w"] == 64
    assert_all_signed(sandbox_thread.requests)


def test_metadata_alt_text(
    api: tweepy.API, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    media = api.media_upload(str(write(tmp_path, "cat.png", png_bytes(seed=3))))
    api.create_media_metadata(media.media_id, "A cat on a sofa")
    assert sandbox_thread.uploads[media.media_id].alt_text == "A cat on a sofa"
    assert [r.path for r in sandbox_thread.requests] == [
        "/1.1/media/upload.json",
        "/1.1/media/metadata/create.json",
    ]
    assert_all_signed(sandbox_thread.requests)


def test_chunked_video_polls_status(
    api: tweepy.API, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    data = mp4_bytes(2_500_000)
    media = api.media_upload(
        str(write(tmp_path, "clip.mp4", data)), media_category="tweet_video", chunk_size=1 << 20
    )
    record = sandbox_thread.uploads[media.media_id]
    assert record.sha256 == sha(data) and record.chunked
    assert record.segments == {0: 1, 1: 1, 2: 1}
    assert record.state == "succeeded" and media.processing_info["state"] == "succeeded"
    assert len(record.status_polls) == sandbox_thread.processing_steps + 1
    commands = [r.command for r in sandbox_thread.requests]
    assert commands[:5] == ["INIT", "APPEND", "APPEND", "APPEND", "FINALIZE"]
    assert set(commands[5:]) == {"STATUS"}
    assert_all_signed(sandbox_thread.requests)


def test_gif_simple_and_chunked(
    api: tweepy.API, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    data = gif_bytes()
    path = str(write(tmp_path, "animated.gif", data))
    simple = api.media_upload(path)
    chunked = api.media_upload(path, chunked=True, media_category="tweet_gif")
    assert sandbox_thread.uploads[simple.media_id].sha256 == sha(data)
    gif = sandbox_thread.uploads[chunked.media_id]
    assert gif.sha256 == sha(data) and gif.chunked and gif.media_category == "tweet_gif"
    assert gif.state == "succeeded" and (simple.image["w"], simple.image["h"]) == (320, 240)
    assert_all_signed(sandbox_thread.requests)


def test_update_status_with_media_ids(
    api: tweepy.API, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    """API v1.1 ``update_status``: tweepy sends every field in the (signed) query."""
    first = api.media_upload(str(write(tmp_path, "a.png", png_bytes(seed=1))))
    second = api.media_upload(str(write(tmp_path, "b.png", png_bytes(seed=2))))
    api.create_media_metadata(first.media_id, "first picture")
    status = api.update_status(
        "Two pictures", media_ids=[first.media_id_string, second.media_id_string]
    )
    reply = api.update_status("A reply", in_reply_to_status_id=status.id)
    (post, answer) = sandbox_thread.posts
    assert post.service == "x" and post.text == "Two pictures"
    assert list(post.media_ids) == [first.media_id_string, second.media_id_string]
    assert list(post.alt_texts) == ["first picture", None]
    assert status.id_str in sandbox_thread.twitter_v1.tweets
    assert len(status.extended_entities["media"]) == 2
    assert answer.text == "A reply" and reply.in_reply_to_status_id_str == status.id_str
    assert_all_signed(sandbox_thread.requests)


def test_client_create_tweet_v2(
    api: tweepy.API, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    """``tweepy.Client.create_tweet`` (X API v2 ``POST /2/tweets``, OAuth 1.0a user context)
    with media uploaded through v1.1, as tweepy's own documentation does it."""
    media = api.media_upload(str(write(tmp_path, "a.png", png_bytes(seed=4))))
    creds = sandbox_thread.credentials
    client = tweepy.Client(
        consumer_key=creds["consumer_key"],
        consumer_secret=creds["consumer_secret"],
        access_token=creds["access_token"],
        access_token_secret=creds["access_token_secret"],
    )
    client.session = LoopbackSession({"api.twitter.com": sandbox_thread.url.split("/")[2]})
    response = client.create_tweet(text="From tweepy.Client", media_ids=[media.media_id])
    created = client.create_tweet(text="Its reply", in_reply_to_tweet_id=response.data["id"])
    (post, reply) = sandbox_thread.posts
    assert post.raw == {
        "text": "From tweepy.Client",
        "media": {"media_ids": [media.media_id_string]},
    }
    assert reply.raw["reply"] == {"in_reply_to_tweet_id": response.data["id"]}
    assert response.data["edit_history_tweet_ids"] == [response.data["id"]]
    assert created.data["text"] == "Its reply"
    assert_all_signed(sandbox_thread.requests)
