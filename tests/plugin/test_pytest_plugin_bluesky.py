"""The pytest plugin's Bluesky fixture: a logged-in client whose posts the sandbox records."""

from __future__ import annotations

import hashlib
import struct

from asyncmedia import BlueskyClient
from asyncmedia.sandbox import Sandbox

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 30, 20) + b"\x02" * 2000


async def test_bluesky_fixture_posts_into_sandbox_posts(
    asyncmedia_bluesky: BlueskyClient, asyncmedia_sandbox: Sandbox
) -> None:
    post = await asyncmedia_bluesky.post("from a fixture", media=[PNG], alt_texts=["plugin"])
    (published,) = asyncmedia_sandbox.posts
    assert (published.service, published.text, published.alt_texts) == (
        "bluesky",
        "from a fixture",
        ("plugin",),
    )
    assert published.media_ids == (post.media[0].ref,)
    assert asyncmedia_sandbox.bluesky is not None
    blob = asyncmedia_sandbox.bluesky.blobs[post.media[0].ref]
    assert blob.sha256 == hashlib.sha256(PNG).hexdigest()
    assert published.raw["embed"]["images"][0]["aspectRatio"] == {"width": 30, "height": 20}
