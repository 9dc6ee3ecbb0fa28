"""Post a notice, then a notice with a picture, to Identi.ca / a StatusNet server.

Environment (both for a real server; with neither set, the script starts the embedded sandbox
and runs against it):

    ASYNCMEDIA_STATUSNET_USERNAME, ASYNCMEDIA_STATUSNET_PASSWORD
    ASYNCMEDIA_STATUSNET_URL optional API root (default https://identi.ca/api/); use https://
    STATUSNET_FORMAT      optional "json" (default) or "xml"

Usage: python examples/statusnet_update.py [STATUS]
"""

from __future__ import annotations

import asyncio
import os
import sys

from make_samples import png

from asyncmedia import AsyncMediaError, StatusNetClient
from asyncmedia.environment import client_from_env


async def post(client: StatusNetClient, text: str) -> None:
    notice = await client.update(text, source="asyncmedia")
    author = notice.user.screen_name if notice.user else "?"
    print(f"notice {notice.id} by @{author}: {notice.text}")
    with_picture = await client.update_with_media(png(160, 100), status="…and a picture")
    print(f"notice {with_picture.id}: {with_picture.text}")


async def main() -> int:
    text = sys.argv[1] if len(sys.argv) > 1 else "Hello from asyncmedia — Ünïcödé & co ✓"
    fmt = os.environ.get("STATUSNET_FORMAT", "json")
    try:
        async with client_from_env("statusnet", response_format=fmt) as client:
            await post(client, text)
    except (AsyncMediaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
