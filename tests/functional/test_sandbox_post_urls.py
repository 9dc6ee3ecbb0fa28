"""Posts on the embedded sandbox: X and Bluesky give the real services' URL patterns (the
client builds them from the id), Mastodon the sandbox's own URL — as the docs say."""

from __future__ import annotations

from pathlib import Path

from asyncmedia import Post
from asyncmedia.environment import clients_from_env

DOCS = Path(__file__).resolve().parents[2] / "docs"


async def test_sandbox_posts_show_the_url_patterns_the_docs_describe() -> None:
    async with clients_from_env(["x2", "mastodon", "bluesky"], {}) as (x, mastodon, bluesky):
        assert x.sandbox is not None
        sandbox_url = x.sandbox.base_url
        tweet, status, record = [await c.post("Hello, sandbox") for c in (x, mastodon, bluesky)]
    assert all(isinstance(post, Post) for post in (tweet, status, record))
    assert tweet.url == f"https://x.com/i/web/status/{tweet.id}"
    assert record.url is not None and record.url.startswith("https://bsky.app/profile/did:")
    assert status.url is not None and status.url.startswith(sandbox_url)
    for page in ("cli.rst", "posting.rst"):
        text = " ".join((DOCS / page).read_text("utf-8").split())
        assert "``https://x.com/i/web/status/<id>``" in text, page
        assert "lead nowhere" in text, page  # ... for a sandbox post
