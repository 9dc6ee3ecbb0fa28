"""Upload an image with alt text and a short video to X through API v2.

X reports the v1.1 media upload as retired, so pass ``api_version=2``.  Credentials come from
``ASYNCMEDIA_X_BEARER_TOKEN`` (an OAuth 2.0 *user* token with ``media.write``) or from the four
OAuth 1.0a keys ``ASYNCMEDIA_CONSUMER_KEY``, ``ASYNCMEDIA_CONSUMER_SECRET``,
``ASYNCMEDIA_ACCESS_TOKEN``, ``ASYNCMEDIA_ACCESS_TOKEN_SECRET`` (the token wins when both are
set); ``ASYNCMEDIA_X2_UPLOAD_URL`` overrides the upload root.  With none set, it runs against
the embedded sandbox.

Usage: python examples/x_v2_upload.py [IMAGE_PATH]
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from make_samples import mp4, png

from asyncmedia import MediaClient
from asyncmedia.environment import client_from_env


async def upload(client: MediaClient, image: Any) -> None:
    media = await client.upload_media(image, alt_text="A colour gradient test card")
    print(f"image: media_id={media.media_id_string} media_key={media.media_key}")
    video = await client.upload_media(
        mp4(2 * 1024 * 1024), progress=lambda sent, total: None, chunk_size=1024 * 1024
    )
    print(f"video: media_id={video.media_id_string} state={video.processing_info}")
    # Post them with POST /2/tweets {"text": ..., "media": {"media_ids": [...]}}.


async def main() -> None:
    image: Any = sys.argv[1] if len(sys.argv) > 1 else png(320, 200)
    async with client_from_env("x2") as client:
        await upload(client, image)


if __name__ == "__main__":
    asyncio.run(main())
