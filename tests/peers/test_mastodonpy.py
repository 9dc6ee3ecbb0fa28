"""Mastodon.py 2.3 (synchronous, requests) against the sandbox's Mastodon: what a real client
does must be accepted, byte-exact.

Mastodon.py detects the instance's version from ``GET /api/v1/instance/`` and
``/api/v2/instance/`` before choosing the upload route (without them it used to end in a
``RecursionError``), uploads with ``POST /api/v2/media`` (``POST /api/v1/media`` for servers
older than 3.1.4), polls ``GET /api/v1/media/:id`` with ``synchronous=True`` and updates with
``PUT /api/v1/media/:id``.  The sandbox runs in a thread; the client's requests session
refuses any host but loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mastodon_peer_media import LoopbackOnlySession, jpeg_bytes, mp4_bytes, png_bytes, sha

from asyncmedia.sandbox import MastodonService, ThreadedSandbox

mastodon = pytest.importorskip("mastodon")
mastodon_media = pytest.importorskip("mastodon.media")

# Mastodon.py opens a file given by path and leaves it to the garbage collector to close
# (a ResourceWarning, reported as unraisable); that is the peer's habit, not the sandbox's.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def sandbox_thread() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox() as sb:
        yield sb


@pytest.fixture
def session() -> LoopbackOnlySession:
    return LoopbackOnlySession()


def service(sb: ThreadedSandbox) -> MastodonService:
    found = sb.mastodon
    assert isinstance(found, MastodonService)
    return found


def client(sb: ThreadedSandbox, session: LoopbackOnlySession, **options: Any) -> Any:
    """Mastodon.py's constructor as a user writes it (version detection as configured)."""
    return mastodon.Mastodon(
        access_token=sb.mastodon_token,
        api_base_url=sb.mastodon_url,
        session=session,
        **options,
    )


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Mastodon.py's synchronous mode sleeps 5 s after each poll; record the sleeps instead."""
    slept: list[float] = []

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)

    monkeypatch.setattr(mastodon_media, "time", Clock)
    return slept


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("check_mode", ["none", "created"])
def test_image_media_post_detects_the_version_and_uploads_byte_exact(
    sandbox_thread: ThreadedSandbox, session: LoopbackOnlySession, tmp_path: Path, check_mode: str
) -> None:
    api = client(sandbox_thread, session, version_check_mode=check_mode)
    data = png_bytes(600, 400)
    media = api.media_post(
        write(tmp_path, "cat.png", data), description="A cat on a sofa", focus=(-0.5, 0.3)
    )
    record = service(sandbox_thread).media[str(media.id)]
    assert record.sha256 == sha(data) and record.size == len(data)
    assert (record.declared_type, record.description, record.focus) == (
        "image/png",
        "A cat on a sofa",
        (-0.5, 0.3),
    )
    assert media.type == "image" and media.url is not None
    assert media.meta.original.width == 600 and media.meta.small.width == 588  # 230 400 px
    assert (api.mastodon_major, api.mastodon_minor, api.mastodon_patch) == (4, 6, 4)
    assert api.mastodon_api_version == 11
    paths = [r.path for r in sandbox_thread.requests]
    assert "/mastodon/api/v1/instance/" in paths and "/mastodon/api/v2/instance/" in paths
    assert paths[-1] == "/mastodon/api/v2/media"
    assert all(url.startswith(sandbox_thread.base_url) for _, url in session.sent)


def test_video_media_post_synchronous_polls_until_processed(
    sandbox_thread: ThreadedSandbox,
    session: LoopbackOnlySession,
    tmp_path: Path,
    no_waiting: list[float],
) -> None:
    service(sandbox_thread).processing_steps = 1
    api = client(sandbox_thread, session)
    data = mp4_bytes(width=640, height=640, fps=30, seconds=2.0, size=400_000)
    thumbnail = jpeg_bytes(400, 400)
    media = api.media_post(
        write(tmp_path, "clip.mp4", data),
        description="me when a cat",
        thumbnail=write(tmp_path, "thumb.jpg", thumbnail),
        synchronous=True,
    )
    record = service(sandbox_thread).media[str(media.id)]
    assert record.sha256 == sha(data) and record.declared_type == "video/mp4"
    assert record.thumbnail_sha256 == sha(thumbnail)
    assert record.state == "done" and record.polls == 2  # one 206, then 200
    assert no_waiting == [5.0, 5.0]
    assert media.type == "video" and media.url is not None
    original = media.meta.original
    assert (original.width, original.height, original.frame_rate) == (640, 640, "30/1")
    assert original.duration == 2.0 and original.bitrate == len(data) * 8 // 2
    assert (media.meta.small.width, media.meta.small.height) == (400, 400)  # the thumbnail
    polls = [r.status for r in sandbox_thread.requests if r.method == "GET" and "/media/" in r.path]
    assert polls == [206, 200]


def test_media_update_changes_description_focus_and_thumbnail(
    sandbox_thread: ThreadedSandbox, session: LoopbackOnlySession, tmp_path: Path
) -> None:
    api = client(sandbox_thread, session)
    media = api.media_post(write(tmp_path, "clip.mp4", mp4_bytes()), description="first")
    thumbnail = jpeg_bytes(320, 240)
    updated = api.media_update(
        media,
        description="John Lennon doing a cool walk",
        focus=(0.69, 0.69),
        thumbnail=write(tmp_path, "walk.jpg", thumbnail),
    )
    record = service(sandbox_thread).media[str(media.id)]
    assert (record.description, record.focus) == ("John Lennon doing a cool walk", (0.69, 0.69))
    assert record.thumbnail_sha256 == sha(thumbnail) and record.updates == 1
    assert updated.description == "John Lennon doing a cool walk"
    assert updated.url is None  # still processing: the recorded real answer was 206 too
    assert sandbox_thread.requests[-1].method == "PUT"
    assert sandbox_thread.requests[-1].status == 206


def test_old_server_version_uses_the_legacy_synchronous_upload(
    sandbox_thread: ThreadedSandbox, session: LoopbackOnlySession, tmp_path: Path
) -> None:
    api = client(sandbox_thread, session, mastodon_version="3.0.0", version_check_mode="created")
    data = mp4_bytes()
    media = api.media_post(write(tmp_path, "clip.mp4", data), synchronous=True)
    record = service(sandbox_thread).media[str(media.id)]
    assert record.legacy and record.sha256 == sha(data)
    assert media.url is not None  # /api/v1/media answers once processed
    # (synchronous=True then re-reads the version, uncached, from the instance documents.)
    media_calls = [r for r in sandbox_thread.requests if "/instance" not in r.path]
    assert [(r.method, r.path, r.status) for r in media_calls] == [
        ("POST", "/mastodon/api/v1/media", 200)
    ]


def test_status_post_with_media_is_one_post_in_the_log(
    sandbox_thread: ThreadedSandbox, session: LoopbackOnlySession, tmp_path: Path
) -> None:
    api = client(sandbox_thread, session)
    first = api.media_post(write(tmp_path, "a.png", png_bytes(64, 48)), description="one")
    second = api.media_post(write(tmp_path, "b.jpg", jpeg_bytes()), description=None)
    status = api.status_post("Two pictures https://example.com/a", media_ids=[first, second])
    kept = service(sandbox_thread).statuses[str(status.id)]
    assert kept.media_ids == (str(first.id), str(second.id))
    assert [m.id for m in status.media_attachments] == [first.id, second.id]
    [post] = sandbox_thread.posts
    assert (post.service, post.text, post.alt_texts) == (
        "mastodon",
        "Two pictures https://example.com/a",
        ("one", None),
    )
    assert 'href="https://example.com/a"' in status.content
