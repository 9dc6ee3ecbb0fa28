"""An answer that arrives before the request body was all sent (an early 413 or 401).

Found against the real reference PDS (tests/real): it answers an over-limit ``uploadBlob``
413 from the Content-Length, before reading the body.  The client used to close such a
connection gracefully, i.e. with the unsent part of the body still in the transport's write
buffer; the socket then stayed open (``<_SelectorSocketTransport closing>``) until that buffer
drained, and when the event loop ended first Python warned "unclosed transport" (3 times in 16
over-limit uploads).  The connection must instead be aborted at once and never reused.

The server here is a bare socket in a thread that reads the request head only, answers 413,
and then reads nothing more: with a graceful close the client's socket would never close.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import threading
import time
import warnings

import pytest

from asyncmedia import BlueskyClient
from asyncmedia.errors import RejectedMediaSize

#: A token shaped like the PDS's (the client reads ``exp`` from it; nothing verifies it here).
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6ImRpZDpwbGM6eCJ9.c2ln"
BODY = 8 * 1024 * 1024  # far more than the socket buffers of loopback hold


class EarlyAnswerServer(threading.Thread):
    """Accepts one connection, reads the head, answers 413, then only waits for the client
    to go away (recording how long that took after the answer)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.head = b""
        self.closed_after: float | None = None

    def run(self) -> None:
        self.listener.settimeout(10)
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(10)
            while b"\r\n\r\n" not in self.head:
                piece = conn.recv(4096)
                if not piece:
                    return
                self.head += piece
            body = json.dumps(
                {"error": "PayloadTooLarge", "message": "request entity too large"}
            ).encode()
            conn.sendall(
                b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            answered = time.monotonic()
            # Read nothing more for a while: the client's unsent body stays unsent.  Then see
            # whether the client's socket is gone (a reset or an end of stream, after what the
            # kernel had buffered).
            time.sleep(0.5)
            conn.settimeout(2)
            try:
                while conn.recv(1 << 20):
                    pass
            except ConnectionResetError:
                pass
            except TimeoutError:
                return  # the client kept its socket open
            self.closed_after = time.monotonic() - answered
        self.listener.close()


def test_an_early_413_aborts_the_connection_without_a_resource_warning() -> None:
    server = EarlyAnswerServer()
    server.start()

    async def upload() -> RejectedMediaSize:
        async with BlueskyClient(
            f"http://127.0.0.1:{server.port}/", access_jwt=TOKEN, retries=0
        ) as client:
            with pytest.raises(RejectedMediaSize) as caught:
                await client.upload_blob(bytes(BODY), "application/octet-stream")
            return caught.value

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        # A loop of its own, closed right after the upload (what made the warning appear).
        error = asyncio.run(upload())
        gc.collect()
    server.join(15)
    assert (error.status, error.code, error.size) == (413, "PayloadTooLarge", BODY)
    assert b"POST /xrpc/com.atproto.repo.uploadBlob" in server.head
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []
    # The client did not leave the socket half-open: the server saw it go.
    assert server.closed_after is not None
