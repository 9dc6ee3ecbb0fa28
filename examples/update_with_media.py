"""Tweet a status with one image through the legacy ``statuses/update_with_media`` call.

Environment (all four for a real, compatible server; with none set, the script starts the
embedded sandbox and runs against it):

    ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET,
    ASYNCMEDIA_ACCESS_TOKEN, ASYNCMEDIA_ACCESS_TOKEN_SECRET
    ASYNCMEDIA_API_URL    optional API root (default https://api.twitter.com/1.1/)

Twitter retired this endpoint; it is kept for servers that still speak it.

Usage: python examples/update_with_media.py [IMAGE] [STATUS]
"""

from __future__ import annotations

import asyncio
import sys

from make_samples import png

from asyncmedia import AsyncMediaError, MediaClient
from asyncmedia.environment import client_from_env


async def tweet(client: MediaClient, image: str | bytes, status: str) -> None:
    result = await client.update_with_media(image, status=status)
    media = result["entities"]["media"][0]
    print(f"tweet {result['id_str']}: {result['text']}")
    print(f"image {media['media_url_https']}")


async def main() -> int:
    image: str | bytes = sys.argv[1] if len(sys.argv) > 1 else png(320, 200)
    status = sys.argv[2] if len(sys.argv) > 2 else "Hello from asyncmedia ✓ — a & b = c + 100%"
    try:
        async with client_from_env("twitter") as client:
            await tweet(client, image, status)
    except (AsyncMediaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
