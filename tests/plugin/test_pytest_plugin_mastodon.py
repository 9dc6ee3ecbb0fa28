"""The pytest plugin's Mastodon fixture: a client whose statuses the sandbox records."""

from __future__ import annotations

import hashlib
import struct

from asyncmedia import MastodonClient
from asyncmedia.sandbox import Sandbox

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 30, 20) + b"\x02" * 2000


async def test_mastodon_fixture_posts_into_sandbox_posts(
    asyncmedia_mastodon: MastodonClient, asyncmedia_sandbox: Sandbox
) -> None:
    post = await asyncmedia_mastodon.post("from a fixture", media=[PNG], alt_texts=["plugin"])
    (published,) = asyncmedia_sandbox.posts
    assert (published.service, published.text, published.alt_texts) == (
        "mastodon",
        "from a fixture",
        ("plugin",),
    )
    assert published.media_ids == (post.media[0].id,)
    assert asyncmedia_sandbox.mastodon is not None
    record = asyncmedia_sandbox.mastodon.media[post.media[0].id]
    assert record.sha256 == hashlib.sha256(PNG).hexdigest()
    assert asyncmedia_sandbox.mastodon.statuses[post.id].fields == [
        ("status", "from a fixture"),
        ("media_ids[]", post.media[0].id),
    ]
