"""Upload an image (with a description and a focal point) and a video to Mastodon.

Credentials: ``ASYNCMEDIA_MASTODON_URL`` (the instance, e.g. ``https://mastodon.social``) and
``ASYNCMEDIA_MASTODON_TOKEN`` (a user token with ``write:media``).  With neither set, it runs
against the embedded sandbox.

Usage: python examples/mastodon_upload.py [IMAGE_PATH]
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from make_samples import mp4, png

from asyncmedia import MastodonClient
from asyncmedia.environment import client_from_env


async def upload(client: MastodonClient, image: Any) -> None:
    media = await client.upload_media(
        image, description="A colour gradient test card", focus=(0.0, 0.5)
    )
    print(f"image: id={media.id} type={media.type} url={media.url}")
    # Video is processed in the background: 202, then polled until ready (or a timeout).
    video = await client.upload_media(mp4(512 * 1024), thumbnail=png(64, 40))
    print(f"video: id={video.id} type={video.type} url={video.url}")
    # Attach them with POST /api/v1/statuses and media_ids[]=<id>.


async def main() -> None:
    image: Any = sys.argv[1] if len(sys.argv) > 1 else png(320, 200)
    async with client_from_env("mastodon") as client:
        await upload(client, image)


if __name__ == "__main__":
    asyncio.run(main())
