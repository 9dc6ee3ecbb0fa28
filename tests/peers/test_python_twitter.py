"""python-twitter 3.5 (``twitter.Api``) uploading to the sandbox: simple, chunked, alt text.

python-twitter 3.5 installs on Python 3.11 (it pulls in ``future`` 1.0, which installs
there); it takes ``base_url``/``upload_url`` so it talks plain HTTP to 127.0.0.1 directly.
"""

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

twitter = pytest.importorskip(
    "twitter", reason="the peers extra: pip install -e '.[peers]' (make test installs it)"
)

# python-twitter and ``future`` still use APIs deprecated on Python 3.11.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def sandbox_thread() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox() as sb:
        yield sb


@pytest.fixture
def api(sandbox_thread: ThreadedSandbox) -> twitter.Api:
    creds = sandbox_thread.credentials
    root = sandbox_thread.url.rstrip("/")  # "http://127.0.0.1:PORT/1.1"
    client = twitter.Api(
        consumer_key=creds["consumer_key"],
        consumer_secret=creds["consumer_secret"],
        access_token_key=creds["access_token"],
        access_token_secret=creds["access_token_secret"],
        base_url=root,
        upload_url=root,
    )
    client._session = LoopbackSession()
    return client


def test_upload_media_simple(
    api: twitter.Api, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    data = png_bytes(seed=5)
    # python-twitter leaves a file it opened from a path unclosed: hand it an open file.
    with write(tmp_path, "cat.png", data).open("rb") as file:
        media_id = api.UploadMediaSimple(file)
    record = sandbox_thread.uploads[media_id]
    assert record.sha256 == sha(data) and not record.chunked
    assert (record.width, record.height) == (64, 48)
    assert_all_signed(sandbox_thread.requests)


def test_upload_media_chunked_video_and_gif(
    api: twitter.Api, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    video = mp4_bytes(1_500_000)
    video_id = api.UploadMediaChunked(
        str(write(tmp_path, "clip.mp4", video)), media_category="tweet_video"
    )
    gif = gif_bytes(200_000)
    gif_id = api.UploadMediaChunked(str(write(tmp_path, "a.gif", gif)))
    assert sandbox_thread.uploads[video_id].sha256 == sha(video)
    assert sandbox_thread.uploads[video_id].media_category == "tweet_video"
    assert sandbox_thread.uploads[gif_id].sha256 == sha(gif)
    # python-twitter 3.5 never polls STATUS: it returns the id after FINALIZE.
    assert not sandbox_thread.uploads[video_id].status_polls
    assert_all_signed(sandbox_thread.requests)


def test_media_metadata(api: twitter.Api, sandbox_thread: ThreadedSandbox, tmp_path: Path) -> None:
    with write(tmp_path, "cat.png", png_bytes(seed=9)).open("rb") as file:
        media_id = api.UploadMediaSimple(file)
    api.PostMediaMetadata(media_id, "A cat on a sofa")
    assert sandbox_thread.uploads[media_id].alt_text == "A cat on a sofa"
    assert_all_signed(sandbox_thread.requests)


def test_post_update_uploads_then_tweets(
    api: twitter.Api, sandbox_thread: ThreadedSandbox, tmp_path: Path
) -> None:
    """``PostUpdate(status, media=…)``: python-twitter uploads each file, then sends
    statuses/update.json with ``media_ids`` both in the query and in the (signed) form."""
    images = [png_bytes(seed=20), png_bytes(seed=21)]
    with (
        write(tmp_path, "a.png", images[0]).open("rb") as first,
        write(tmp_path, "b.png", images[1]).open("rb") as second,
    ):
        status = api.PostUpdate("Two from python-twitter", media=[first, second])
    (post,) = sandbox_thread.posts
    assert post.text == "Two from python-twitter"
    assert status.text.startswith("Two from python-twitter https://t.co/")
    (tweet_request,) = [r for r in sandbox_thread.requests if r.command == "TWEET"]
    assert tweet_request.query["media_ids"] == ",".join(post.media_ids)
    assert [sandbox_thread.uploads[int(i)].sha256 for i in post.media_ids] == [
        sha(data) for data in images
    ]
    assert str(status.id) in sandbox_thread.twitter_v1.tweets
    assert_all_signed(sandbox_thread.requests)
