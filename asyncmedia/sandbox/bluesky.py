"""Bluesky / AT Protocol sessions, blobs and posts, emulated strictly.

Routes, under ``/bluesky/`` (the emulated PDS root):

- ``POST xrpc/com.atproto.server.createSession`` — JSON ``{"identifier", "password"}`` →
  ``{"accessJwt", "refreshJwt", "handle", "did", "active"}``; wrong credentials → 401
  ``{"error": "AuthenticationRequired", "message": "Invalid identifier or password"}``.
  Tokens are real HS256 JWTs (``header.payload.signature``) as the reference PDS issues
  them: the access token has ``scope`` ``com.atproto.access``, ``sub`` (the DID), ``aud``,
  ``iat`` and ``exp`` = now + :attr:`BlueskyService.token_lifetime`; the refresh token has
  ``scope`` ``com.atproto.refresh``, a ``jti`` and a 90-day ``exp``;
- ``POST xrpc/com.atproto.server.refreshSession`` — ``Authorization: Bearer <refreshJwt>`` →
  a new pair.  As on the reference PDS a refresh token is rotated: after use it stays valid for
  :attr:`BlueskyService.refresh_grace` seconds (a repeat gets the same next token id), then
  answers 400 ``ExpiredToken`` "Token has been revoked";
- ``GET xrpc/com.atproto.server.getSession`` → ``{"handle", "did", "active"}``;
- ``POST xrpc/com.atproto.server.deleteSession`` — ``Authorization: Bearer <refreshJwt>``
  (expired or not) → 200, and that refresh token is revoked (a later refreshSession with it
  answers 400 ``ExpiredToken`` "Token has been revoked");
- ``POST xrpc/com.atproto.repo.uploadBlob`` — the raw bytes as the body (never multipart) with
  their ``Content-Type`` → ``{"blob": {"$type": "blob", "ref": {"$link": CID}, "mimeType",
  "size"}}``.  The CID is a real CIDv1 (raw codec, sha2-256, base32); ``mimeType`` is the
  sniffed type, else the declared one (bytes no sniffer knows keep the declared type); an
  empty body is a blob of size 0; no Content-Type → 400 ``InvalidRequest`` "Request encoding
  (Content-Type) required but not provided".  Over
  :attr:`BlueskyService.max_blob_size` → 413 ``{"error": "PayloadTooLarge"}`` (decided from the
  Content-Length before reading, as the reference PDS does, or while reading a chunked body);
- ``POST xrpc/com.atproto.repo.createRecord`` — an ``app.bsky.feed.post`` record, validated
  (required fields, ``$type`` values, text ≤ 3000 bytes and 300 graphemes, ``createdAt``
  format, facet byte ranges inside the text, ≤ 4 images each with ``alt``, blob refs) →
  ``{"uri", "cid", "commit": {"cid", "rev"}, "validationStatus": "valid"}``; a record that
  does not fit → 400 ``InvalidRequest`` worded as the reference PDS's lexicon validator
  words it, "Invalid app.bsky.feed.post record: <issue> at <JSON path>" (``Missing required
  key "alt" at $.record.embed.images[0]``, ``grapheme too big (maximum 300, got 301) at
  $.record.text``, ``array too big (maximum 4, got 5) at $.record.embed.images``).  Then each
  blob ref is compared with the stored blob: unknown → 400 ``BlobNotFound`` "Could not find
  blob: <cid>", another ``mimeType`` → 400 ``InvalidMimeType``, another ``size`` → 400
  ``InvalidSize`` ("Referenced Size does not match stored blob. Expected: 268, Got: 269").
  Every post is kept in :attr:`BlueskyService.repo_records` and appended to ``Sandbox.posts``;
- ``GET xrpc/com.atproto.repo.getRecord?repo&collection&rkey`` → ``{"uri", "cid", "value"}``
  or 400 ``RecordNotFound``;
- ``GET xrpc/com.atproto.sync.getBlob?did&cid`` → the blob's bytes with its ``mimeType``,
  once a record references it; before (an upload only) → 400 ``InvalidRequest`` "Blob not
  found", as on the reference PDS.  Both are public; getBlob verifies a token that is there,
  getRecord ignores one.

Authenticated routes check the access token as the reference PDS does: no header → 401
``AuthMissing`` "Authentication Required"; bad signature, not a JWT at all, or a refresh
token where an access token belongs (or the reverse) → 400 ``InvalidToken`` "Token could not
be verified" — except a token that is not a JWT on ``uploadBlob``: **500**
``InternalServerError`` "Internal Server Error"; past ``exp`` → 400 ``ExpiredToken`` "Token
has expired".  (Facts recorded against the real PDS, checked on both sides from
``tests/bluesky_conformance.py``.)

Errors are XRPC-shaped ``{"error": <name>, "message": <text>}``.  Rate-limit headers are
``ratelimit-limit/remaining/reset`` (epoch seconds); :attr:`throttle` injects 429
``RateLimitExceeded``; injected :class:`~asyncmedia.sandbox.Fault` objects match the method name as
``command`` (``"createSession"``, ``"refreshSession"``, ``"uploadBlob"``, ``"createRecord"``,
``"getRecord"``…) and strike once the request is authenticated and parsed, before the PDS
acts.  Every blob is recorded (sha256, size, declared and sniffed type).

Like every sandbox module this one must not import the client side of :mod:`asyncmedia`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import regex
from aiohttp import web

from .forms import read_json
from .media_inspection import sniff_media_type
from .oauth import same_secret
from .posts import PostRecord
from .server import BoundService, Throttle, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["BlobRecord", "BlueskyService", "StoredRecord", "cid_for"]

_JSON_TYPE = "application/json; charset=utf-8"
_XRPC = "xrpc/"
_ACCESS_SCOPE = "com.atproto.access"
_REFRESH_SCOPE = "com.atproto.refresh"
_POST = "app.bsky.feed.post"
#: ``maxSize`` of the blobs in the lexicons the reference PDS 0.5.35 validates with
#: (app.bsky.embed.images: 2000000, app.bsky.embed.video: 300000000).
_IMAGE_LIMIT = 2_000_000
_VIDEO_LIMIT = 300_000_000
_MAX_GRAPHEMES = 300
_MAX_TEXT_BYTES = 3000
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_GRAPHEME = regex.compile(r"\X")
_FACET_FEATURES = {
    "app.bsky.richtext.facet#link": "uri",
    "app.bsky.richtext.facet#mention": "did",
    "app.bsky.richtext.facet#tag": "tag",
}
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def cid_for(digest: bytes, codec: int = 0x55) -> str:
    """The CIDv1 (``codec``: raw 0x55 by default, dag-cbor 0x71; sha2-256 multihash) of
    content whose sha256 is ``digest``, base32 multibase (``bafkrei…`` for raw)."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BlobRecord:
    """One uploaded blob: ``cid`` (its ``ref.$link``), ``sha256`` (hex), ``size``,
    ``declared_type`` (the request's Content-Type) and ``sniffed_type`` (from the bytes)."""

    cid: str
    sha256: str
    size: int
    declared_type: str
    sniffed_type: str | None
    #: The bytes (served by ``com.atproto.sync.getBlob`` once a record references the blob).
    data: bytes = field(default=b"", repr=False)
    #: Whether a record references it (the reference PDS keeps an unreferenced blob as a
    #: temporary upload that getBlob does not serve).
    referenced: bool = False

    @property
    def mime_type(self) -> str:
        """The ``mimeType`` the PDS answered (and a record must repeat)."""
        return self.sniffed_type or self.declared_type


@dataclass
class StoredRecord:
    """A record created with createRecord: its ``uri``, ``cid`` and ``value``."""

    uri: str
    cid: str
    value: dict[str, Any]


@dataclass
class _RefreshGrant:
    expires_at: float
    next_jti: str | None = None
    rotated_at: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class _Refusal(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class _BadRecord(Exception):
    """A record that does not fit the lexicon; the message names the field."""


class BlueskyService(BoundService):
    """The ``/bluesky/`` XRPC routes, the sessions, blobs and records they hold.

    Knobs: ``token_lifetime`` (seconds an access token lives; the reference PDS: 7200),
    ``refresh_lifetime`` (90 days), ``refresh_grace`` (seconds a used refresh token still
    works; the reference PDS: 7200), ``max_blob_size`` (bytes; larger uploads answer 413),
    ``throttle`` (next ``count`` requests answer 429).  Records: ``blobs`` by CID,
    ``repo_records`` (:class:`StoredRecord` by ``at://`` URI), ``sessions`` (createSession
    calls that succeeded), ``refreshes`` (refreshSession calls that succeeded).
    :meth:`revoke_sessions` revokes every refresh token (a password change).
    """

    name = "bluesky"
    title = "Bluesky"
    prefix = "/bluesky/"
    url_keys = ("service_url",)

    def __init__(self) -> None:
        self.blobs: dict[str, BlobRecord] = {}
        self.repo_records: dict[str, StoredRecord] = {}
        self.sessions = 0
        self.refreshes = 0
        self.max_blob_size = 5_000_000
        self.token_lifetime = 7200.0
        self.refresh_lifetime = 90 * 86400.0
        self.refresh_grace = 7200.0
        self.throttle = Throttle()
        self._secret = secrets.token_bytes(32)
        self._grants: dict[str, _RefreshGrant] = {}
        self._last_tid = 0

    def credentials(self) -> dict[str, str]:
        """The identifier and app password createSession accepts."""
        return {
            "identifier": self.sandbox.bluesky_identifier,
            "password": self.sandbox.bluesky_password,
        }

    def records(self) -> dict[str, Any]:
        """``blobs`` by CID, ``repo_records`` by URI, ``sessions`` and ``refreshes``."""
        return {
            "blobs": self.blobs,
            "repo_records": self.repo_records,
            "sessions": self.sessions,
            "refreshes": self.refreshes,
        }

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the ``/bluesky/xrpc/…`` routes on ``app``."""
        self.bind(sandbox)
        xrpc = self.prefix + _XRPC
        routes = (
            ("POST", "com.atproto.server.createSession", self._create_session),
            ("POST", "com.atproto.server.refreshSession", self._refresh_session),
            ("GET", "com.atproto.server.getSession", self._get_session),
            ("POST", "com.atproto.server.deleteSession", self._delete_session),
            ("POST", "com.atproto.repo.uploadBlob", self._upload_blob),
            ("POST", "com.atproto.repo.createRecord", self._create_record),
            ("GET", "com.atproto.repo.getRecord", self._get_record),
            ("GET", "com.atproto.sync.getBlob", self._get_blob),
        )
        for method, name, handler in routes:
            app.router.add_route(method, xrpc + name, self._wrap(handler))
        # A token issued up front, so ``access_jwt=sandbox.bluesky_token`` works at once.
        sandbox.bluesky_token = self.issue_access_token()

    @property
    def did(self) -> str:
        """The account's DID (derived from the identifier so it is stable per sandbox)."""
        digest = hashlib.sha256(self.sandbox.bluesky_identifier.encode()).digest()
        return "did:plc:" + base64.b32encode(digest).decode("ascii").lower()[:24]

    @property
    def posts(self) -> list[PostRecord]:
        """The Bluesky posts among ``Sandbox.posts``."""
        return [post for post in self.sandbox.posts if post.service == "bluesky"]

    # -- tokens -------------------------------------------------------------------------------

    def _sign(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        head = _b64url(json.dumps(header, separators=(",", ":")).encode())
        body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
        signature = hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64url(signature)}"

    @property
    def service_did(self) -> str:
        """The PDS's own DID: the ``aud`` of its tokens."""
        return "did:web:sandbox.pds.test"

    def issue_access_token(
        self, lifetime: float | None = None, *, issued_at: float | None = None
    ) -> str:
        """A new access JWT for the account (``lifetime`` seconds; :attr:`token_lifetime`).

        ``issued_at`` (epoch seconds) back-dates it, e.g. to have an expired token as the
        PDS would have issued it earlier; such a token does not become
        ``Sandbox.bluesky_token``.
        """
        now = int(self.sandbox.clock() if issued_at is None else issued_at)
        life = self.token_lifetime if lifetime is None else lifetime
        payload = {
            "scope": _ACCESS_SCOPE,
            "sub": self.did,
            "aud": self.service_did,
            "iat": now,
            "exp": now + max(1, int(life)),
        }
        token = self._sign({"typ": "at+jwt", "alg": "HS256"}, payload)
        if issued_at is None:
            self.sandbox.bluesky_token = token
        return token

    def _issue_refresh_token(self, jti: str | None = None) -> str:
        now = int(self.sandbox.clock())
        jti = jti or _b64url(secrets.token_bytes(24))
        exp = now + int(self.refresh_lifetime)
        payload = {
            "scope": _REFRESH_SCOPE,
            "sub": self.did,
            "aud": self.service_did,
            "jti": jti,
            "iat": now,
            "exp": exp,
        }
        self._grants.setdefault(jti, _RefreshGrant(expires_at=exp))
        return self._sign({"typ": "refresh+jwt", "alg": "HS256"}, payload)

    def revoke_sessions(self) -> None:
        """Revoke every refresh token issued so far (access tokens live until their exp)."""
        self._grants.clear()

    def _verify(
        self,
        request: web.Request,
        scope: str,
        *,
        malformed_crashes: bool = False,
        allow_expired: bool = False,
    ) -> dict[str, Any]:
        """The claims of the request's bearer token, or the refusal the reference PDS gives.

        ``malformed_crashes``: a token that is not a JWT at all is a 500 (uploadBlob, whose
        auth also accepts service tokens and fails to decode it), not 400 InvalidToken."""
        context = service_context(request)
        context.authenticated = False
        header = request.headers.get("Authorization", "")
        kind, _, token = header.strip().partition(" ")
        if not header or kind.lower() != "bearer" or not token.strip():
            raise _Refusal(401, "AuthMissing", "Authentication Required")
        parts = token.strip().split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not a JWT")
            decoded = [json.loads(_unb64url(part)) for part in parts[:2]]
            if not all(isinstance(item, dict) for item in decoded):
                raise ValueError("not a JWT")
        except ValueError:
            if malformed_crashes:
                # The reference PDS fails to parse the token outside its error mapping.
                raise _Refusal(500, "InternalServerError", "Internal Server Error") from None
            raise _Refusal(400, "InvalidToken", "Token could not be verified") from None
        claims: dict[str, Any] = decoded[1]
        expected = hmac.new(
            self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
        ).digest()
        try:
            good = hmac.compare_digest(expected, _unb64url(parts[2]))
        except ValueError:
            good = False
        if not good:
            raise _Refusal(400, "InvalidToken", "Token could not be verified")
        exp = claims.get("exp")
        if not isinstance(exp, int) or (exp <= self.sandbox.clock() and not allow_expired):
            raise _Refusal(400, "ExpiredToken", "Token has expired")
        if claims.get("scope") != scope:
            raise _Refusal(400, "InvalidToken", "Token could not be verified")
        context.authenticated = True
        return claims

    # -- plumbing -----------------------------------------------------------------------------

    def _wrap(self, handler: Any) -> Any:
        async def route(request: web.Request) -> web.StreamResponse:
            context = service_context(request)
            context.twitter_rate_headers = False
            context.command = request.path.rpartition("/")[2].rpartition(".")[2]
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
                response: web.StreamResponse = await handler(request)
            except _Refusal as refusal:
                response = _answer(
                    refusal.status, {"error": refusal.error, "message": refusal.message}
                )
            response.headers.update(headers)
            return response

        return route

    async def _strike(self, request: web.Request) -> web.Response | None:
        """An injected fault for this request (matched by method name), before acting."""
        return await self.sandbox.strike(request, service_context(request).command)

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise _Refusal(400, "InvalidRequest", "Request encoding (Content-Type) required")
        try:
            payload = await read_json(request)
        except (ValueError, UnicodeDecodeError):
            raise _Refusal(400, "InvalidRequest", "Request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise _Refusal(400, "InvalidRequest", "Input must be an object")
        return payload

    def _session_answer(self, refresh_jti: str | None = None) -> web.Response:
        return _answer(
            200,
            {
                "accessJwt": self.issue_access_token(),
                "refreshJwt": self._issue_refresh_token(refresh_jti),
                "handle": self.sandbox.bluesky_identifier,
                "did": self.did,
                "active": True,
            },
        )

    # -- sessions -----------------------------------------------------------------------------

    async def _create_session(self, request: web.Request) -> web.Response:
        context = service_context(request)
        payload = await self._json_body(request)
        if not all(isinstance(payload.get(key), str) for key in ("identifier", "password")):
            raise _Refusal(400, "InvalidRequest", "identifier and password are required")
        sandbox = self.sandbox
        ok = same_secret(payload["identifier"], sandbox.bluesky_identifier) & same_secret(
            payload["password"], sandbox.bluesky_password
        )
        context.authenticated = ok
        if not ok:
            raise _Refusal(401, "AuthenticationRequired", "Invalid identifier or password")
        fault = await self._strike(request)
        if fault is not None:
            return fault
        self.sessions += 1
        return self._session_answer()

    async def _refresh_session(self, request: web.Request) -> web.Response:
        claims = self._verify(request, _REFRESH_SCOPE)
        fault = await self._strike(request)
        if fault is not None:
            return fault
        now = self.sandbox.clock()
        grant = self._grants.get(str(claims.get("jti")))
        if grant is not None and grant.next_jti is not None:
            assert grant.rotated_at is not None
            if now > grant.rotated_at + self.refresh_grace:
                del self._grants[str(claims.get("jti"))]
                grant = None
        if grant is None:
            raise _Refusal(400, "ExpiredToken", "Token has been revoked")
        if grant.next_jti is None:
            grant.next_jti = _b64url(secrets.token_bytes(24))
            grant.rotated_at = now
        self.refreshes += 1
        return self._session_answer(grant.next_jti)

    async def _delete_session(self, request: web.Request) -> web.Response:
        claims = self._verify(request, _REFRESH_SCOPE, allow_expired=True)
        fault = await self._strike(request)
        if fault is not None:
            return fault
        self._grants.pop(str(claims.get("jti")), None)
        return web.Response(status=200)

    async def _get_session(self, request: web.Request) -> web.Response:
        self._verify(request, _ACCESS_SCOPE)
        fault = await self._strike(request)
        if fault is not None:
            return fault
        return _answer(
            200, {"handle": self.sandbox.bluesky_identifier, "did": self.did, "active": True}
        )

    # -- blobs --------------------------------------------------------------------------------

    async def _upload_blob(self, request: web.Request) -> web.Response:
        self._verify(request, _ACCESS_SCOPE, malformed_crashes=True)
        declared = request.headers.get("Content-Type", "").strip()
        if not declared:
            raise _Refusal(
                400, "InvalidRequest", "Request encoding (Content-Type) required but not provided"
            )
        if declared.startswith("multipart/"):
            # A sandbox strictness: the reference PDS would store the form itself as the blob.
            raise _Refusal(
                400, "InvalidRequest", "uploadBlob takes the raw bytes with their Content-Type"
            )
        limit = self.max_blob_size
        if request.content_length is not None and request.content_length > limit:
            raise _Refusal(413, "PayloadTooLarge", "request entity too large")
        fault = await self._strike(request)
        if fault is not None:
            return fault
        hasher = hashlib.sha256()
        parts: list[bytes] = []
        size = 0
        while chunk := await request.content.readany():
            size += len(chunk)
            if size > limit:
                raise _Refusal(413, "PayloadTooLarge", "request entity too large")
            hasher.update(chunk)
            parts.append(chunk)
        # An empty body is a blob like any other (the reference PDS stores it, size 0).
        data = b"".join(parts)
        digest = hasher.digest()
        record = BlobRecord(
            cid=cid_for(digest),
            sha256=digest.hex(),
            size=size,
            declared_type=declared.split(";")[0].strip(),
            sniffed_type=sniff_media_type(data[:65536]),
            data=data,
        )
        known = self.blobs.get(record.cid)
        if known is not None:
            record.referenced = known.referenced
        self.blobs[record.cid] = record
        return _answer(
            200,
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": record.cid},
                    "mimeType": record.mime_type,
                    "size": size,
                }
            },
        )

    # -- records ------------------------------------------------------------------------------

    def _next_tid(self) -> str:
        """A record key in the TID format (13 base32-sortable characters, microseconds)."""
        micros = max(int(self.sandbox.clock() * 1_000_000), self._last_tid + 1)
        self._last_tid = micros
        value = (micros << 10) | 0x1F
        chars = []
        for _ in range(13):
            chars.append(_TID_ALPHABET[value & 31])
            value >>= 5
        return "".join(reversed(chars))

    async def _create_record(self, request: web.Request) -> web.Response:
        claims = self._verify(request, _ACCESS_SCOPE)
        payload = await self._json_body(request)
        repo = payload.get("repo")
        if not isinstance(repo, str) or not repo:
            raise _Refusal(400, "InvalidRequest", 'Input must have the property "repo"')
        if repo not in (claims.get("sub"), self.sandbox.bluesky_identifier):
            # The reference PDS: another account's repo is an AuthRequiredError.
            raise _Refusal(401, "AuthenticationRequired", "Authentication Required")
        collection = payload.get("collection")
        if collection != _POST:
            raise _Refusal(
                400,
                "InvalidRequest",
                f"Input/collection must be {_POST} (the sandbox PDS only knows posts), "
                f"got {collection!r}",
            )
        record = payload.get("record")
        if not isinstance(record, dict):
            raise _Refusal(400, "InvalidRequest", 'Input must have the property "record"')
        if "$type" not in record:
            record = {"$type": _POST, **record}  # the reference PDS fills it in
        elif record["$type"] != _POST:
            raise _Refusal(
                400,
                "InvalidRequest",
                f"Invalid $type: expected {_POST}, got {record['$type']}",
            )
        try:
            media, alts, refs = self._check_post(record)
        except _BadRecord as bad:
            raise _Refusal(400, "InvalidRequest", f"Invalid {_POST} record: {bad}") from None
        self._verify_blobs(refs)
        fault = await self._strike(request)
        if fault is not None:
            return fault
        for cid in media:
            self.blobs[cid].referenced = True
        rkey = self._next_tid()
        uri = f"at://{self.did}/{_POST}/{rkey}"
        encoded = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        cid = cid_for(hashlib.sha256(encoded).digest(), codec=0x71)
        self.repo_records[uri] = StoredRecord(uri, cid, record)
        self.sandbox.posts.append(
            PostRecord("bluesky", record["text"], tuple(media), tuple(alts), record)
        )
        commit_cid = cid_for(hashlib.sha256(uri.encode() + encoded).digest(), codec=0x71)
        return _answer(
            200,
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": commit_cid, "rev": rkey},
                "validationStatus": "valid",
            },
        )

    async def _get_record(self, request: web.Request) -> web.Response:
        repo = request.query.get("repo", "")
        collection = request.query.get("collection", "")
        rkey = request.query.get("rkey", "")
        if not (repo and collection and rkey):
            raise _Refusal(
                400,
                "InvalidRequest",
                'Params must have the properties "repo", "collection", "rkey"',
            )
        fault = await self._strike(request)
        if fault is not None:
            return fault
        did = self.did if repo == self.sandbox.bluesky_identifier else repo
        uri = f"at://{did}/{collection}/{rkey}"
        stored = self.repo_records.get(uri)
        if stored is None:
            raise _Refusal(400, "RecordNotFound", f"Could not locate record: {uri}")
        return _answer(200, {"uri": stored.uri, "cid": stored.cid, "value": stored.value})

    async def _get_blob(self, request: web.Request) -> web.Response:
        if "Authorization" in request.headers:
            # Public, but a token that is there is verified (getRecord ignores one).
            self._verify(request, _ACCESS_SCOPE)
        did = request.query.get("did", "")
        cid = request.query.get("cid", "")
        if not (did and cid):
            raise _Refusal(400, "InvalidRequest", 'Params must have the properties "did", "cid"')
        if did not in (self.did, self.sandbox.bluesky_identifier):
            raise _Refusal(400, "RepoNotFound", f"Could not find repo for DID: {did}")
        fault = await self._strike(request)
        if fault is not None:
            return fault
        stored = self.blobs.get(cid)
        if stored is None or not stored.referenced:
            raise _Refusal(400, "InvalidRequest", "Blob not found")
        return web.Response(
            status=200,
            body=stored.data,
            headers={
                "Content-Type": stored.mime_type,
                "x-content-type-options": "nosniff",
                "content-disposition": f'attachment; filename="{cid}"',
                "content-security-policy": "default-src 'none'; sandbox",
            },
        )

    # -- record validation (the parts of the app.bsky.feed.post lexicon a post uses) ---------
    #
    # Messages as the reference PDS's lexicon validator words them: "<issue> at <JSON path>",
    # e.g. 'Missing required key "alt" at $.record.embed.images[0]'.  Blob refs are then
    # checked against the stored blobs (BlobNotFound / InvalidMimeType / InvalidSize).

    def _check_post(
        self, record: dict[str, Any]
    ) -> tuple[list[str], list[str | None], list[dict[str, Any]]]:
        """Validate ``record``; return the blob CIDs it embeds, their alt texts and the blob
        refs themselves (checked against the stored blobs afterwards)."""
        root = "$.record"
        text = record.get("text")
        _require(record, ("text",), root)
        if not isinstance(text, str):
            raise _BadRecord(_wrong_type("string", text, f"{root}.text"))
        text_bytes = len(text.encode("utf-8"))
        if text_bytes > _MAX_TEXT_BYTES:
            raise _BadRecord(
                f"string too big (maximum {_MAX_TEXT_BYTES}, got {text_bytes}) at {root}.text"
            )
        graphemes = len(_GRAPHEME.findall(text))
        if graphemes > _MAX_GRAPHEMES:
            raise _BadRecord(
                f"grapheme too big (maximum {_MAX_GRAPHEMES}, got {graphemes}) at {root}.text"
            )
        created = record.get("createdAt")
        _require(record, ("createdAt",), root)
        if not isinstance(created, str):
            raise _BadRecord(_wrong_type("string", created, f"{root}.createdAt"))
        if not _DATETIME.match(created):
            raise _BadRecord(f"Invalid datetime (got {json.dumps(created)}) at {root}.createdAt")
        langs = record.get("langs")
        if langs is not None:
            if not isinstance(langs, list):
                raise _BadRecord(_wrong_type("array", langs, f"{root}.langs"))
            if len(langs) > 3:
                raise _BadRecord(f"array too big (maximum 3, got {len(langs)}) at {root}.langs")
            for n, tag in enumerate(langs):
                if not isinstance(tag, str) or not tag:
                    raise _BadRecord(
                        f"Invalid language (got {json.dumps(tag)}) at {root}.langs[{n}]"
                    )
        self._check_facets(record.get("facets"), text_bytes)
        reply = record.get("reply")
        if reply is not None:
            if not isinstance(reply, dict):
                raise _BadRecord(_wrong_type("object", reply, f"{root}.reply"))
            for key in ("root", "parent"):
                _require(reply, (key,), f"{root}.reply")
                self._check_strong_ref(reply.get(key), f"{root}.reply.{key}")
        embed = record.get("embed")
        if embed is None:
            return [], [], []
        where = f"{root}.embed"
        if not isinstance(embed, dict):
            raise _BadRecord(_wrong_type("object", embed, where))
        kind = embed.get("$type")
        if kind == "app.bsky.embed.images":
            _require(embed, ("images",), where)
            images = embed["images"]
            if not isinstance(images, list):
                raise _BadRecord(_wrong_type("array", images, f"{where}.images"))
            if len(images) > 4:
                raise _BadRecord(f"array too big (maximum 4, got {len(images)}) at {where}.images")
            if not images:
                # Not in the lexicon (no minLength): a sandbox strictness, an empty gallery.
                raise _BadRecord(f"array too small (minimum 1, got 0) at {where}.images")
            media: list[str] = []
            alts: list[str | None] = []
            refs: list[dict[str, Any]] = []
            for n, image in enumerate(images):
                at = f"{where}.images[{n}]"
                if not isinstance(image, dict):
                    raise _BadRecord(_wrong_type("object", image, at))
                _require(image, ("image", "alt"), at)
                refs.append(self._check_blob(image["image"], f"{at}.image", "image/*"))
                if not isinstance(image["alt"], str):
                    raise _BadRecord(_wrong_type("string", image["alt"], f"{at}.alt"))
                media.append(refs[-1]["ref"]["$link"])
                alts.append(image["alt"])
                self._check_aspect(image.get("aspectRatio"), f"{at}.aspectRatio")
            return media, alts, refs
        if kind == "app.bsky.embed.video":
            _require(embed, ("video",), where)
            ref = self._check_blob(embed["video"], f"{where}.video", "video/mp4")
            alt = embed.get("alt")
            if alt is not None and not isinstance(alt, str):
                raise _BadRecord(_wrong_type("string", alt, f"{where}.alt"))
            if alt is not None:
                alt_bytes = len(alt.encode("utf-8"))
                if alt_bytes > 10000:
                    raise _BadRecord(
                        f"string too big (maximum 10000, got {alt_bytes}) at {where}.alt"
                    )
                alt_graphemes = len(_GRAPHEME.findall(alt))
                if alt_graphemes > 1000:
                    raise _BadRecord(
                        f"grapheme too big (maximum 1000, got {alt_graphemes}) at {where}.alt"
                    )
            self._check_aspect(embed.get("aspectRatio"), f"{where}.aspectRatio")
            return [ref["ref"]["$link"]], [alt], [ref]
        raise _BadRecord(
            f'Expected one of "app.bsky.embed.images" or "app.bsky.embed.video" '
            f"(the embeds the sandbox PDS checks; got {json.dumps(kind)}) at {where}.$type"
        )

    @staticmethod
    def _check_facets(facets: Any, text_bytes: int) -> None:
        if facets is None:
            return
        if not isinstance(facets, list):
            raise _BadRecord(_wrong_type("array", facets, "$.record.facets"))
        for n, facet in enumerate(facets):
            where = f"$.record.facets[{n}]"
            if not isinstance(facet, dict):
                raise _BadRecord(_wrong_type("object", facet, where))
            _require(facet, ("index", "features"), where)
            index = facet["index"]
            if not isinstance(index, dict):
                raise _BadRecord(_wrong_type("object", index, f"{where}.index"))
            for key in ("byteStart", "byteEnd"):
                value = index.get(key)
                _require(index, (key,), f"{where}.index")
                if not isinstance(value, int) or isinstance(value, bool):
                    raise _BadRecord(_wrong_type("integer", value, f"{where}.index.{key}"))
                if value < 0:
                    raise _BadRecord(
                        f"integer too small (minimum 0, got {value}) at {where}.index.{key}"
                    )
            start, end = index["byteStart"], index["byteEnd"]
            if not start <= end <= text_bytes:
                # Not checked by the lexicon: a sandbox strictness (the app view drops such
                # a facet; a client that sends one has its byte offsets wrong).
                raise _BadRecord(
                    f"byte range {start}..{end} is outside the text ({text_bytes} bytes) "
                    f"at {where}.index"
                )
            features = facet["features"]
            if not isinstance(features, list):
                raise _BadRecord(_wrong_type("array", features, f"{where}.features"))
            if not features:
                raise _BadRecord(f"array too small (minimum 1, got 0) at {where}.features")
            for m, feature in enumerate(features):
                at = f"{where}.features[{m}]"
                feature_type = feature.get("$type") if isinstance(feature, dict) else None
                wanted = (
                    _FACET_FEATURES.get(feature_type) if isinstance(feature_type, str) else None
                )
                if wanted is None:
                    raise _BadRecord(
                        f"Expected one of {', '.join(json.dumps(k) for k in _FACET_FEATURES)} "
                        f"(got {json.dumps(feature_type)}) at {at}.$type"
                    )
                assert isinstance(feature, dict)
                _require(feature, (wanted,), at)
                if not isinstance(feature[wanted], str) or not feature[wanted]:
                    raise _BadRecord(_wrong_type("string", feature[wanted], f"{at}.{wanted}"))

    @staticmethod
    def _check_strong_ref(ref: Any, where: str) -> None:
        if not isinstance(ref, dict):
            raise _BadRecord(_wrong_type("object", ref, where))
        _require(ref, ("uri", "cid"), where)
        uri, cid = ref["uri"], ref["cid"]
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise _BadRecord(f"Invalid at-uri (got {json.dumps(uri)}) at {where}.uri")
        if not isinstance(cid, str) or not cid:
            raise _BadRecord(f"Invalid CID string (got {json.dumps(cid)}) at {where}.cid")

    @staticmethod
    def _check_aspect(ratio: Any, where: str) -> None:
        if ratio is None:
            return
        if not isinstance(ratio, dict):
            raise _BadRecord(_wrong_type("object", ratio, where))
        for key in ("width", "height"):
            _require(ratio, (key,), where)
            value = ratio[key]
            if not isinstance(value, int) or isinstance(value, bool):
                raise _BadRecord(_wrong_type("integer", value, f"{where}.{key}"))
            if value < 1:
                raise _BadRecord(f"integer too small (minimum 1, got {value}) at {where}.{key}")

    @staticmethod
    def _check_blob(blob: Any, where: str, accept: str) -> dict[str, Any]:
        """The lexicon's checks of a blob ref (shape, ``accept``, ``maxSize``: on what the
        record says); the stored blob is compared in :meth:`_verify_blobs`."""
        ref = blob.get("ref") if isinstance(blob, dict) else None
        link = ref.get("$link") if isinstance(ref, dict) else None
        if (
            not isinstance(blob, dict)
            or blob.get("$type") != "blob"
            or not isinstance(link, str)
            or not isinstance(blob.get("mimeType"), str)
            or not isinstance(blob.get("size"), int)
        ):
            raise _BadRecord(_wrong_type("blob", blob, where))
        mime = blob["mimeType"]
        family = accept.removesuffix("*")
        if not (mime == accept or (accept.endswith("/*") and mime.startswith(family))):
            raise _BadRecord(
                f"Expected {json.dumps(accept)} (got {json.dumps(mime)}) at {where}.mimeType"
            )
        limit = _IMAGE_LIMIT if accept == "image/*" else _VIDEO_LIMIT
        if blob["size"] > limit:
            raise _BadRecord(f"blob too big (maximum {limit}, got {blob['size']}) at {where}")
        return blob

    def _verify_blobs(self, refs: list[dict[str, Any]]) -> None:
        """Each ref against the blob stored under its CID, as the reference PDS's
        ``verifyBlobAndMakePermanent``: unknown → BlobNotFound, then mimeType, then size."""
        for blob in refs:
            link = blob["ref"]["$link"]
            stored = self.blobs.get(link)
            if stored is None:
                raise _Refusal(400, "BlobNotFound", f"Could not find blob: {link}")
            if blob["mimeType"] != stored.mime_type:
                raise _Refusal(
                    400,
                    "InvalidMimeType",
                    "Referenced Mimetype does not match stored blob. "
                    f"Expected: {stored.mime_type}, Got: {blob['mimeType']}",
                )
            if blob["size"] != stored.size:
                raise _Refusal(
                    400,
                    "InvalidSize",
                    "Referenced Size does not match stored blob. "
                    f"Expected: {stored.size}, Got: {blob['size']}",
                )


def _require(value: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    """Raise the validator's error for the first of ``keys`` missing from ``value``."""
    for key in keys:
        if key not in value:
            raise _BadRecord(f'Missing required key "{key}" at {where}')


def _wrong_type(expected: str, value: Any, where: str) -> str:
    """The validator's words for a value of the wrong type at ``where``."""
    if isinstance(value, bool) or value is None:
        shown = json.dumps(value)
    elif isinstance(value, int | float):
        shown = str(value)
    elif isinstance(value, str):
        shown = json.dumps(value if len(value) < 256 else value[:255] + "\u2026")
    elif isinstance(value, list):
        shown = "array"
    else:
        shown = "object"
    return f"Expected {expected} value type (got {shown}) at {where}"


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": _JSON_TYPE}
    )
