"""Upload a photo to TwitrPix (API 1.0), check it is up first, and print the image URLs.

.. warning:: TwitrPix authenticates by *pass-through*: your Twitter consumer secret and token
   secret are sent to TwitrPix, and its documented URL is plain http://.  Only use it with a
   host you trust, over HTTPS.

Environment (all five for the real service; with none set, the script starts the embedded
sandbox and runs against it):

    ASYNCMEDIA_TWITRPIX_API_KEY
    ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET,
    ASYNCMEDIA_ACCESS_TOKEN, ASYNCMEDIA_ACCESS_TOKEN_SECRET
    ASYNCMEDIA_TWITRPIX_URL optional API root (default http://api.twitrpix.com/1/)
    TWITRPIX_FORMAT       optional "json" (default) or "xml"

Usage: python examples/twitrpix_upload.py [IMAGE] [MESSAGE]
"""

from __future__ import annotations

import asyncio
import os
import sys

from make_samples import png

from asyncmedia import AsyncMediaError, ServiceUnavailable, TwitrPixClient
from asyncmedia.environment import client_from_env


async def upload(client: TwitrPixClient, image: str | bytes, message: str) -> None:
    try:
        print(f"ping: {await client.ping()}")
    except ServiceUnavailable:
        print("TwitrPix is down for maintenance; try later", file=sys.stderr)
        raise
    media = await client.upload(
        image, message=message, tags=["asyncmedia", "test"], latitude=48.8584, longitude=2.2945
    )
    print(f"TwitrPix media {media.id}: {media.page_url}")
    print(f"  thumb {media.thumb_url}")
    print(f"  full  {media.full_url}")
    print(f"  tweet text: {media.text}")


async def main() -> int:
    image: str | bytes = sys.argv[1] if len(sys.argv) > 1 else png(320, 200)
    message = sys.argv[2] if len(sys.argv) > 2 else "A generated test card"
    fmt = os.environ.get("TWITRPIX_FORMAT", "json")
    try:
        async with client_from_env("twitrpix", response_format=fmt) as client:
            await upload(client, image, message)
    except (AsyncMediaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
