"""Upload a photo to TwitPic (API v2, OAuth Echo) and print the photo TwitPic describes.

Environment (all five for the real service; with none set, the script starts the embedded
sandbox and runs against it):

    ASYNCMEDIA_TWITPIC_API_KEY
    ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET,
    ASYNCMEDIA_ACCESS_TOKEN, ASYNCMEDIA_ACCESS_TOKEN_SECRET
    ASYNCMEDIA_TWITPIC_URL  optional API root (default https://api.twitpic.com/2/)
    TWITPIC_FORMAT        optional "json" (default) or "xml"

The Twitter secrets never leave this process: TwitPic only gets an OAuth Echo header signed
for Twitter's verify_credentials URL.

Usage: python examples/twitpic_upload.py [IMAGE] [MESSAGE]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from make_samples import png

from asyncmedia import AsyncMediaError, TwitPicClient
from asyncmedia.environment import client_from_env


async def upload(client: TwitPicClient, image: Path, message: str) -> None:
    photo = await client.upload(image, message=message)
    print(f"TwitPic photo {photo.id}: {photo.url}")
    print(f"  {photo.width}x{photo.height} {photo.type}, {photo.size} bytes, {photo.timestamp}")
    print(f"  by @{photo.user.screen_name}: {photo.text!r}")


async def main(image: Path) -> int:
    message = sys.argv[2] if len(sys.argv) > 2 else "A generated test card"
    fmt = os.environ.get("TWITPIC_FORMAT", "json")
    try:
        async with client_from_env("twitpic", response_format=fmt) as client:
            await upload(client, image, message)
    except (AsyncMediaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(asyncio.run(main(Path(sys.argv[1]))))
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card.png"
        card.write_bytes(png(320, 200))
        sys.exit(asyncio.run(main(card)))
