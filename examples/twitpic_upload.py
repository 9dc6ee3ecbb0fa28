"""Upload a photo to TwitPic (API v2, OAuth Echo) and print the photo TwitPic describes.

Environment (all five for the real service; with none set, the script starts the embedded
sandbox and runs against it):

    TWITPIC_API_KEY
    ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET,
    ASYNCMEDIA_ACCESS_TOKEN, ASYNCMEDIA_ACCESS_TOKEN_SECRET
    TWITPIC_URL           optional API root (default https://api.twitpic.com/2/)
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
from asyncmedia.sandbox import Sandbox

NAMES = {
    "api_key": "TWITPIC_API_KEY",
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}


async def upload(client: TwitPicClient, image: Path, message: str) -> None:
    photo = await client.upload(image, message=message)
    print(f"TwitPic photo {photo.id}: {photo.url}")
    print(f"  {photo.width}x{photo.height} {photo.type}, {photo.size} bytes, {photo.timestamp}")
    print(f"  by @{photo.user.screen_name}: {photo.text!r}")


async def main(image: Path) -> int:
    message = sys.argv[2] if len(sys.argv) > 2 else "A generated test card"
    fmt = os.environ.get("TWITPIC_FORMAT", "json")
    given = {key: os.environ.get(name, "") for key, name in NAMES.items()}
    try:
        if any(given.values()):
            missing = [NAMES[key] for key, value in given.items() if not value]
            if missing:
                print(f"set {', '.join(missing)} too", file=sys.stderr)
                return 2
            base_url = os.environ.get("TWITPIC_URL", "https://api.twitpic.com/2/")
            async with TwitPicClient(**given, base_url=base_url, response_format=fmt) as client:
                await upload(client, image, message)
        else:
            async with Sandbox() as sb:
                print(
                    f"no credentials set; using the embedded sandbox at {sb.twitpic_url}",
                    file=sys.stderr,
                )
                async with TwitPicClient(
                    sb.twitpic_api_key,
                    **sb.credentials,
                    base_url=sb.twitpic_url,
                    response_format=fmt,
                ) as client:
                    await upload(client, image, message)
    except AsyncMediaError as exc:
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
