"""A multipart body whose bytes arrive so that a read ends just short of a boundary.

aiohttp's part reader then gives the extra bytes back with ``StreamReader.unread_data()``,
which aiohttp deprecated: under ``filterwarnings = error`` that warning was an exception in
the sandbox's handler and a 500 (seen once in a full run, on the TwitrPix docs example).
The sandbox reads every multipart body through ``forms.open_multipart`` now.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import aiohttp

from asyncmedia.sandbox import Sandbox

BOUNDARY = "pieces0boundary0for0the0sandbox0test"


def _png(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(8) + bytes(size)


async def test_a_read_ending_short_of_a_boundary_is_served_not_a_500() -> None:
    media = _png(200_000)
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="cat.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        # The part's first bytes, then alone fewer bytes than the boundary is long, then a
        # burst larger than the reader's chunk: the reader reads past its chunk, gives back.
        yield head + media[:10]
        await asyncio.sleep(0.05)
        yield media[10:13]
        await asyncio.sleep(0.05)
        yield media[13:]
        yield tail

    async with Sandbox() as sb, aiohttp.ClientSession() as http:
        entry = sb.describe()["mastodon"]
        async with http.post(
            entry["instance_url"] + "api/v2/media",
            data=body(),
            headers={
                "Authorization": f"Bearer {entry['access_token']}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
        ) as resp:
            answer = await resp.json()
            assert resp.status in (200, 202), answer
        (record,) = sb.mastodon.media.values()
    assert record.sha256 == hashlib.sha256(media).hexdigest()
