"""Helpers for the tests against the real PDS: real PNGs, CIDs, raw XRPC calls, JWTs, a media
server on 127.0.0.1.  Nothing here talks to anything but loopback.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

import aiohttp
from bluesky_conformance import Answer, sign_hs256, xrpc  # noqa: F401 - for the tests
from local_servers import MediaServer  # noqa: F401 - the tests' type
from png_files import png_file
from yarl import URL


@dataclass(frozen=True)
class RealPDS:
    """A running reference PDS and the account ``server.mjs`` created on it."""

    url: URL
    handle: str
    password: str
    did: str
    #: The HS256 secret dev-env's PDS signs its tokens with (``jwt-secret``).
    jwt_secret: str
    #: The PDS's own DID (``aud`` of its access tokens).
    service_did: str
    #: An access token as the PDS would have issued it two hours ago (``exp`` passed).
    expired_access_jwt: str
    #: The PDS's ``blobUploadLimit`` (bytes).
    blob_upload_limit: int
    #: Versions of node, @atproto/pds, @atproto/dev-env, better-sqlite3 actually running.
    versions: dict[str, str]
    raw: dict[str, Any]

    def xrpc(self, method: str) -> URL:
        """The URL of XRPC ``method`` on this PDS."""
        return self.url / "xrpc" / method


def real_png(width: int, height: int, seed: int) -> bytes:
    """A valid RGB PNG (decodable, CRCs right) whose pixels depend on ``seed`` (not the
    conformance table's: the PDS keeps blobs by content, so their images must differ)."""

    def row(y: int) -> bytes:
        return bytes(
            (x * 7 + y * 13 + seed * 31 + (x * y) % (seed + 3)) % 256 for x in range(width * 3)
        )

    return png_file(width, height, (row(y) for y in range(height)))


def small_mp4(width: int, height: int, payload: int = 50_000) -> bytes:
    """An MP4 container (``ftyp``, ``moov/trak/tkhd`` saying ``width``×``height``, ``mdat``):
    enough for a type sniffer and a dimension reader, not a playable video."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    tkhd = (
        b"\x00\x00\x00\x03"  # version 0, flags: enabled, in movie
        + struct.pack(">IIIII", 0, 0, 1, 0, 1000)  # times, track id, reserved, duration
        + b"\x00" * 8
        + struct.pack(">hhhH", 0, 0, 0, 0)  # layer, group, volume, reserved
        + matrix
        + struct.pack(">II", width << 16, height << 16)
    )
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    moov = box(b"moov", box(b"trak", box(b"tkhd", tkhd)))
    mdat = box(b"mdat", hashlib.sha256(b"frames").digest() * (payload // 32))
    return ftyp + moov + mdat


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(claims, dict)
    return claims


async def login(session: aiohttp.ClientSession, pds: RealPDS) -> dict[str, Any]:
    """A fresh ``createSession`` answer for the test account."""
    answer = await xrpc(
        session,
        pds,
        "com.atproto.server.createSession",
        json_body={"identifier": pds.handle, "password": pds.password},
    )
    assert answer.status == 200, answer
    assert isinstance(answer.body, dict)
    return answer.body


async def get_blob(session: aiohttp.ClientSession, pds: RealPDS, cid: str) -> Answer:
    """``com.atproto.sync.getBlob`` of the test account's blob ``cid`` (public, no token)."""
    return await xrpc(
        session, pds, "com.atproto.sync.getBlob", get=True, params={"did": pds.did, "cid": cid}
    )


async def get_record(session: aiohttp.ClientSession, pds: RealPDS, uri: str) -> Answer:
    """``com.atproto.repo.getRecord`` of an ``at://did/collection/rkey`` URI (public)."""
    did, collection, rkey = uri.removeprefix("at://").split("/")
    return await xrpc(
        session,
        pds,
        "com.atproto.repo.getRecord",
        get=True,
        params={"repo": did, "collection": collection, "rkey": rkey},
    )


async def raw_upload(
    pds: RealPDS,
    token: str,
    chunks: list[bytes],
    *,
    content_length: int | None,
    content_type: str = "application/octet-stream",
) -> Answer:
    """POST ``uploadBlob`` over a bare socket: the body written chunk by chunk (chunked
    transfer encoding when ``content_length`` is None) until the PDS answers, then the
    connection is aborted.  Used where the PDS answers before reading the whole body (aiohttp
    would leave such a connection half-written, a ResourceWarning under ``-W error``)."""
    host, port = pds.url.host, pds.url.port
    assert host is not None and port is not None
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = [
            "POST /xrpc/com.atproto.repo.uploadBlob HTTP/1.1",
            f"Host: {host}:{port}",
            f"Authorization: Bearer {token}",
            f"Content-Type: {content_type}",
            # No "Connection: close": Node would then close the socket right after its early
            # answer, with our unread body in its buffer, i.e. reset it, and the answer could
            # be lost; on a keep-alive connection it reads and drops the rest of the body.
        ]
        head.append(
            f"Content-Length: {content_length}"
            if content_length is not None
            else "Transfer-Encoding: chunked"
        )
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

        async def send_body() -> None:
            for chunk in chunks:
                if content_length is None:
                    writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    writer.write(chunk)
                await writer.drain()
            if content_length is None:
                writer.write(b"0\r\n\r\n")
                await writer.drain()

        sender = asyncio.ensure_future(send_body())
        try:
            status_line = await reader.readline()
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().title()] = value.strip()
            length = int(headers.get("Content-Length", "0"))
            data = await reader.readexactly(length) if length else b""
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sender
    finally:
        writer.transport.abort()
    status = int(status_line.split()[1])
    try:
        body = json.loads(data) if data else None
    except ValueError:
        body = None
    return Answer(status, body, data, headers)
