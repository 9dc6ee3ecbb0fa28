"""Upload an image blob to Bluesky and print the image embed a post would carry.

Credentials: ``ASYNCMEDIA_BLUESKY_IDENTIFIER`` and ``ASYNCMEDIA_BLUESKY_PASSWORD`` (an app
password), or ``ASYNCMEDIA_BLUESKY_JWT``; ``ASYNCMEDIA_BLUESKY_URL`` picks another PDS than
``https://bsky.social``.  With none set, it runs against the embedded sandbox.

Usage: python examples/bluesky_upload.py [IMAGE_PATH]
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from make_samples import png

from asyncmedia import BlueskyClient
from asyncmedia.environment import client_from_env


async def upload(client: BlueskyClient, image: Any) -> None:
    blob = await client.upload_blob(image)  # images over 1,000,000 bytes raise MediaTooLarge
    embed = {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "A colour gradient test card", "image": blob.as_dict()}],
    }
    # Put it in a post with com.atproto.repo.createRecord (collection app.bsky.feed.post).
    print(json.dumps(embed, indent=2))


async def main() -> None:
    image: Any = sys.argv[1] if len(sys.argv) > 1 else png(320, 200)
    async with client_from_env("bluesky") as client:
        await upload(client, image)


if __name__ == "__main__":
    asyncio.run(main())
