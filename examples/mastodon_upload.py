"""Upload an image (with a description and a focal point) and a video to Mastodon.

Credentials: ``ASYNCMEDIA_MASTODON_URL`` (the instance, e.g. ``https://mastodon.social``) and
``ASYNCMEDIA_MASTODON_TOKEN`` (a user token with ``write:media``).  With neither set, it runs
against the embedded sandbox.

Usage: python examples/mastodon_upload.py [IMAGE_PATH]
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from make_samples import mp4, png

from asyncmedia import MastodonClient
from asyncmedia.sandbox import Sandbox


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
    url = os.environ.get("ASYNCMEDIA_MASTODON_URL")
    token = os.environ.get("ASYNCMEDIA_MASTODON_TOKEN")
    if url and token:
        async with MastodonClient(url, token) as client:
            await upload(client, image)
    else:
        async with Sandbox() as sb:
            print(f"no credentials set: using the embedded sandbox at {sb.mastodon_url}")
            if sb.mastodon is not None:
                sb.mastodon.processing_steps = 1  # one 206 before 200: a 1 s wait
            async with MastodonClient(sb.mastodon_url, sb.mastodon_token) as client:
                await upload(client, image)


if __name__ == "__main__":
    asyncio.run(main())
