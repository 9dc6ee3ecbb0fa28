"""A client that goes away mid-body (Ctrl-C in ``asyncmedia upload``) is not a sandbox bug.

Found by the usability review: interrupting an upload to the embedded sandbox printed one
``sandbox handler failed`` traceback per open request (``asyncmedia/sandbox/server.py``,
``_middleware``: ``except Exception`` also catches the ``ConnectionResetError`` raised while
reading the body, logs it with ``_log.exception`` and records the request as answered 500).
The sandbox's middleware now tells a dropped request from a handler failure: a one-line
note, no ERROR record, no 500 in the request log.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from yarl import URL

from asyncmedia.sandbox import Sandbox


async def test_a_client_hanging_up_mid_body_is_no_handler_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncmedia")
    async with Sandbox() as sb:
        entry = sb.describe()["mastodon"]
        url = URL(entry["instance_url"])
        assert url.host is not None and url.port is not None
        _reader, writer = await asyncio.open_connection(url.host, url.port)
        head = (
            f"POST {url.path}api/v2/media HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
            f"Authorization: Bearer {entry['access_token']}\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n"
            "Content-Length: 10000000\r\n\r\n"
            '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="cat.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        )
        writer.write(head.encode() + b"\x89PNG\r\n\x1a\n" + bytes(200_000))
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler is reading the media part
        writer.close()
        await writer.wait_closed()
        for _ in range(100):
            if sb.requests:
                break
            await asyncio.sleep(0.02)
        (record,) = sb.requests
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], [r.getMessage() for r in failures]
    assert record.status != 500  # nobody was answered: not an internal error
