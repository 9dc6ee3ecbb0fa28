"""Bluesky / AT Protocol blob upload, emulated strictly.

Routes, under ``/bluesky/`` (the emulated PDS root):

- ``POST xrpc/com.atproto.server.createSession`` — JSON ``{"identifier", "password"}`` →
  ``{"accessJwt", "refreshJwt", "handle", "did", "active"}``; wrong credentials → 401
  ``{"error": "AuthenticationRequired", "message": "Invalid identifier or password"}``;
- ``POST xrpc/com.atproto.repo.uploadBlob`` — the raw bytes as the body (never multipart) with
  their ``Content-Type``, ``Authorization: Bearer <accessJwt>`` → ``{"blob": {"$type": "blob",
  "ref": {"$link": CID}, "mimeType", "size"}}``.  The CID is a real CIDv1 (raw codec, sha2-256,
  base32), so it is computed from the bytes' sha256.  Over
  :attr:`BlueskyService.max_blob_size` → 400 ``{"error": "BlobTooLarge", "message": …}``.

Errors are XRPC-shaped ``{"error": <name>, "message": <text>}``.  Rate-limit headers are
``ratelimit-limit/remaining/reset`` (epoch seconds); :attr:`throttle` injects 429
``RateLimitExceeded``.  Every blob is recorded (sha256, size, declared and sniffed type).

Like every sandbox module this one must not import the client side of :mod:`asyncmedia`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .media_inspection import sniff_media_type
from .server import BoundService, Throttle, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["BlobRecord", "BlueskyService", "cid_for"]

_JSON_TYPE = "application/json; charset=utf-8"
_XRPC = "xrpc/"


def cid_for(digest: bytes) -> str:
    """The CIDv1 (raw codec 0x55, sha2-256 multihash) of a blob, base32 multibase (``bafkrei…``)."""
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


@dataclass
class BlobRecord:
    """One uploaded blob: ``cid`` (its ``ref.$link``), ``sha256`` (hex), ``size``,
    ``declared_type`` (the request's Content-Type) and ``sniffed_type`` (from the bytes)."""

    cid: str
    sha256: str
    size: int
    declared_type: str
    sniffed_type: str | None


class _Refusal(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class BlueskyService(BoundService):
    """The ``/bluesky/`` XRPC routes and the blobs they receive.

    Knobs: ``max_blob_size`` (bytes; the PDS refuses larger blobs with ``BlobTooLarge``),
    ``throttle`` (next ``count`` requests answer 429).  Records: ``blobs`` by CID,
    ``sessions`` (how many createSession calls succeeded).
    """

    name = "bluesky"
    title = "Bluesky"
    prefix = "/bluesky/"
    url_keys = ("service_url",)

    def __init__(self) -> None:
        self.blobs: dict[str, BlobRecord] = {}
        self.sessions = 0
        self.max_blob_size = 5_000_000
        self.throttle = Throttle()

    def credentials(self) -> dict[str, str]:
        """The identifier and app password createSession accepts."""
        return {
            "identifier": self.sandbox.bluesky_identifier,
            "password": self.sandbox.bluesky_password,
        }

    def records(self) -> dict[str, Any]:
        """``blobs`` by CID and ``sessions`` (how many createSession calls succeeded)."""
        return {"blobs": self.blobs, "sessions": self.sessions}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the ``/bluesky/xrpc/…`` routes on ``app``."""
        self.bind(sandbox)
        xrpc = self.prefix + _XRPC
        app.router.add_route(
            "POST", xrpc + "com.atproto.server.createSession", self._wrap(self._create_session)
        )
        app.router.add_route(
            "POST", xrpc + "com.atproto.repo.uploadBlob", self._wrap(self._upload_blob)
        )

    @property
    def did(self) -> str:
        """The account's DID (derived from the identifier so it is stable per sandbox)."""
        digest = hashlib.sha256(self.sandbox.bluesky_identifier.encode()).digest()
        return "did:plc:" + base64.b32encode(digest).decode("ascii").lower()[:24]

    def _wrap(self, handler: Any) -> Any:
        async def route(request: web.Request) -> web.Response:
            context = service_context(request)
            context.twitter_rate_headers = False
            context.command = request.path.rpartition("/")[2]
            context.rate_limit = (f"bluesky:{context.command}", 3000)
            taken = self.sandbox.rate_limits.take(*context.rate_limit)
            headers = {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": taken["x-rate-limit-remaining"],
                "ratelimit-reset": taken["x-rate-limit-reset"],
                "ratelimit-policy": "3000;w=300",
            }
            try:
                if self.throttle.take():
                    headers["ratelimit-remaining"] = "0"
                    headers["ratelimit-reset"] = str(
                        int(self.sandbox.clock() + self.throttle.reset_in)
                    )
                    raise _Refusal(429, "RateLimitExceeded", "Rate Limit Exceeded")
                response: web.Response = await handler(request)
            except _Refusal as refusal:
                response = _answer(
                    refusal.status, {"error": refusal.error, "message": refusal.message}
                )
            response.headers.update(headers)
            return response

        return route

    async def _create_session(self, request: web.Request) -> web.Response:
        context = service_context(request)
        if request.content_type != "application/json":
            raise _Refusal(400, "InvalidRequest", "Request encoding (Content-Type) required")
        try:
            payload = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            raise _Refusal(400, "InvalidRequest", "Request body is not valid JSON") from None
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(key), str) for key in ("identifier", "password")
        ):
            raise _Refusal(400, "InvalidRequest", "identifier and password are required")
        sandbox = self.sandbox
        ok = secrets.compare_digest(
            payload["identifier"].encode(), sandbox.bluesky_identifier.encode()
        ) & secrets.compare_digest(payload["password"].encode(), sandbox.bluesky_password.encode())
        context.authenticated = ok
        if not ok:
            raise _Refusal(401, "AuthenticationRequired", "Invalid identifier or password")
        self.sessions += 1
        return _answer(
            200,
            {
                "accessJwt": sandbox.bluesky_token,
                "refreshJwt": "refresh." + sandbox.bluesky_token,
                "handle": sandbox.bluesky_identifier,
                "did": self.did,
                "active": True,
            },
        )

    async def _upload_blob(self, request: web.Request) -> web.Response:
        context = service_context(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        context.authenticated = scheme.lower() == "bearer" and secrets.compare_digest(
            token.strip().encode(), self.sandbox.bluesky_token.encode()
        )
        if not context.authenticated:
            if not header:
                raise _Refusal(401, "AuthenticationRequired", "Authentication Required")
            raise _Refusal(400, "InvalidToken", "Token could not be verified")
        declared = request.headers.get("Content-Type", "")
        if not declared or declared.startswith("multipart/"):
            raise _Refusal(
                400, "InvalidRequest", "uploadBlob takes the raw bytes with their Content-Type"
            )
        hasher = hashlib.sha256()
        head = b""
        size = 0
        limit = self.max_blob_size
        while chunk := await request.content.readany():
            size += len(chunk)
            if size > limit:
                raise _Refusal(
                    400,
                    "BlobTooLarge",
                    f"This file is too large. It is {size} bytes or more; "
                    f"the maximum size is {limit} bytes.",
                )
            hasher.update(chunk)
            if len(head) < 65536:
                head += chunk[: 65536 - len(head)]
        if size == 0:
            raise _Refusal(400, "InvalidRequest", "Empty blob")
        digest = hasher.digest()
        record = BlobRecord(
            cid=cid_for(digest),
            sha256=digest.hex(),
            size=size,
            declared_type=declared.split(";")[0].strip(),
            sniffed_type=sniff_media_type(head),
        )
        self.blobs[record.cid] = record
        return _answer(
            200,
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": record.cid},
                    "mimeType": record.sniffed_type or record.declared_type,
                    "size": size,
                }
            },
        )


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": _JSON_TYPE}
    )
