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
- ``POST xrpc/com.atproto.repo.uploadBlob`` — the raw bytes as the body (never multipart) with
  their ``Content-Type`` → ``{"blob": {"$type": "blob", "ref": {"$link": CID}, "mimeType",
  "size"}}``.  The CID is a real CIDv1 (raw codec, sha2-256, base32).  Over
  :attr:`BlueskyService.max_blob_size` → 413 ``{"error": "PayloadTooLarge"}`` (decided from the
  Content-Length before reading, as the reference PDS does, or while reading a chunked body);
- ``POST xrpc/com.atproto.repo.createRecord`` — an ``app.bsky.feed.post`` record, validated
  (required fields, ``$type`` values, text ≤ 300 graphemes and 3000 bytes, ``createdAt`` format,
  facet byte ranges inside the text, ≤ 4 images each with ``alt``, blob refs this PDS issued
  with their ``mimeType`` and ``size``) → ``{"uri", "cid", "commit": {"cid", "rev"},
  "validationStatus": "valid"}``; a record that does not fit → 400 ``InvalidRequest``
  "Invalid app.bsky.feed.post record: Record/<field> …" naming the field.  Every post is
  kept in :attr:`BlueskyService.repo_records` and appended to ``Sandbox.posts``;
- ``GET xrpc/com.atproto.repo.getRecord?repo&collection&rkey`` → ``{"uri", "cid", "value"}``
  or 400 ``RecordNotFound``.

Authenticated routes check the access token as the reference PDS does: no header → 401
``AuthenticationRequired``; not a JWT at all → **500** ``InternalServerError``; bad signature →
400 ``InvalidToken`` "Token could not be verified"; past ``exp`` → 400 ``ExpiredToken``
"Token has expired"; a refresh token where an access token belongs (or the reverse) → 400
``InvalidToken`` "Bad token scope".

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
_IMAGE_LIMIT = 1_000_000
_VIDEO_LIMIT = 100_000_000
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
            ("POST", "com.atproto.repo.uploadBlob", self._upload_blob),
            ("POST", "com.atproto.repo.createRecord", self._create_record),
            ("GET", "com.atproto.repo.getRecord", self._get_record),
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

    def issue_access_token(self, lifetime: float | None = None) -> str:
        """A new access JWT for the account (``lifetime`` seconds; :attr:`token_lifetime`)."""
        now = int(self.sandbox.clock())
        life = self.token_lifetime if lifetime is None else lifetime
        payload = {
            "scope": _ACCESS_SCOPE,
            "sub": self.did,
            "aud": "did:web:sandbox.pds.test",
            "iat": now,
            "exp": now + max(1, int(life)),
        }
        token = self._sign({"typ": "at+jwt", "alg": "HS256"}, payload)
        self.sandbox.bluesky_token = token
        return token

    def _issue_refresh_token(self, jti: str | None = None) -> str:
        now = int(self.sandbox.clock())
        jti = jti or _b64url(secrets.token_bytes(24))
        exp = now + int(self.refresh_lifetime)
        payload = {
            "scope": _REFRESH_SCOPE,
            "sub": self.did,
            "aud": "did:web:sandbox.pds.test",
            "jti": jti,
            "iat": now,
            "exp": exp,
        }
        self._grants.setdefault(jti, _RefreshGrant(expires_at=exp))
        return self._sign({"typ": "refresh+jwt", "alg": "HS256"}, payload)

    def revoke_sessions(self) -> None:
        """Revoke every refresh token issued so far (access tokens live until their exp)."""
        self._grants.clear()

    def _verify(self, request: web.Request, scope: str) -> dict[str, Any]:
        """The claims of the request's bearer token, or the refusal the reference PDS gives."""
        context = service_context(request)
        context.authenticated = False
        header = request.headers.get("Authorization", "")
        kind, _, token = header.strip().partition(" ")
        if not header or kind.lower() != "bearer" or not token.strip():
            raise _Refusal(401, "AuthenticationRequired", "Authentication Required")
        parts = token.strip().split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not a JWT")
            decoded = [json.loads(_unb64url(part)) for part in parts[:2]]
            if not all(isinstance(item, dict) for item in decoded):
                raise ValueError("not a JWT")
        except ValueError:
            # The reference PDS fails to parse the token outside its error mapping.
            raise _Refusal(500, "InternalServerError", "Internal Server Error") from None
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
        if not isinstance(exp, int) or exp <= self.sandbox.clock():
            raise _Refusal(400, "ExpiredToken", "Token has expired")
        if claims.get("scope") != scope:
            raise _Refusal(400, "InvalidToken", "Bad token scope")
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
        self._verify(request, _ACCESS_SCOPE)
        declared = request.headers.get("Content-Type", "")
        if not declared or declared.startswith("multipart/"):
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
        head = b""
        size = 0
        while chunk := await request.content.readany():
            size += len(chunk)
            if size > limit:
                raise _Refusal(413, "PayloadTooLarge", "request entity too large")
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
        try:
            media, alts = self._check_post(record)
        except _BadRecord as bad:
            raise _Refusal(400, "InvalidRequest", f"Invalid {_POST} record: {bad}") from None
        fault = await self._strike(request)
        if fault is not None:
            return fault
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

    # -- record validation (the parts of the app.bsky.feed.post lexicon a post uses) ---------

    def _check_post(self, record: dict[str, Any]) -> tuple[list[str], list[str | None]]:
        """Validate ``record``; return the blob CIDs it embeds and their alt texts."""
        if record.get("$type") != _POST:
            raise _BadRecord(f'Record/$type must be "{_POST}"')
        text = record.get("text")
        if not isinstance(text, str):
            raise _BadRecord('Record must have the property "text"')
        if len(_GRAPHEME.findall(text)) > _MAX_GRAPHEMES:
            raise _BadRecord(f"Record/text must not be longer than {_MAX_GRAPHEMES} graphemes")
        text_bytes = len(text.encode("utf-8"))
        if text_bytes > _MAX_TEXT_BYTES:
            raise _BadRecord(f"Record/text must not be longer than {_MAX_TEXT_BYTES} characters")
        created = record.get("createdAt")
        if not isinstance(created, str):
            raise _BadRecord('Record must have the property "createdAt"')
        if not _DATETIME.match(created):
            raise _BadRecord("Record/createdAt must be an valid atproto datetime (RFC 3339)")
        langs = record.get("langs")
        if langs is not None and (
            not isinstance(langs, list)
            or len(langs) > 3
            or not all(isinstance(tag, str) and tag for tag in langs)
        ):
            raise _BadRecord("Record/langs must be an array of at most 3 language tags")
        self._check_facets(record.get("facets"), text_bytes)
        reply = record.get("reply")
        if reply is not None:
            if not isinstance(reply, dict):
                raise _BadRecord("Record/reply must be an object")
            for key in ("root", "parent"):
                self._check_strong_ref(reply.get(key), f"Record/reply/{key}")
        embed = record.get("embed")
        if embed is None:
            return [], []
        if not isinstance(embed, dict):
            raise _BadRecord("Record/embed must be an object")
        kind = embed.get("$type")
        if kind == "app.bsky.embed.images":
            images = embed.get("images")
            if not isinstance(images, list):
                raise _BadRecord('Record/embed must have the property "images"')
            if not images or len(images) > 4:
                raise _BadRecord("Record/embed/images must contain 1 to 4 items")
            media, alts = [], []
            for n, image in enumerate(images):
                where = f"Record/embed/images/{n}"
                if not isinstance(image, dict):
                    raise _BadRecord(f"{where} must be an object")
                if not isinstance(image.get("alt"), str):
                    raise _BadRecord(f'{where} must have the property "alt"')
                media.append(self._check_blob(image.get("image"), f"{where}/image", "image/"))
                alts.append(image["alt"])
                self._check_aspect(image.get("aspectRatio"), f"{where}/aspectRatio")
            return media, alts
        if kind == "app.bsky.embed.video":
            cid = self._check_blob(embed.get("video"), "Record/embed/video", "video/")
            alt = embed.get("alt")
            if alt is not None and not isinstance(alt, str):
                raise _BadRecord("Record/embed/alt must be a string")
            if alt is not None and len(_GRAPHEME.findall(alt)) > 1000:
                raise _BadRecord("Record/embed/alt must not be longer than 1000 graphemes")
            self._check_aspect(embed.get("aspectRatio"), "Record/embed/aspectRatio")
            return [cid], [alt]
        raise _BadRecord(
            "Record/embed/$type must be app.bsky.embed.images or app.bsky.embed.video "
            f"(the embeds the sandbox PDS checks), got {kind!r}"
        )

    @staticmethod
    def _check_facets(facets: Any, text_bytes: int) -> None:
        if facets is None:
            return
        if not isinstance(facets, list):
            raise _BadRecord("Record/facets must be an array")
        for n, facet in enumerate(facets):
            where = f"Record/facets/{n}"
            index = facet.get("index") if isinstance(facet, dict) else None
            if not isinstance(index, dict):
                raise _BadRecord(f'{where} must have the property "index"')
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
                raise _BadRecord(f"{where}/index must have integer byteStart and byteEnd")
            assert isinstance(start, int) and isinstance(end, int)
            if not 0 <= start <= end <= text_bytes:
                raise _BadRecord(
                    f"{where}/index byte range {start}..{end} is outside the text "
                    f"({text_bytes} bytes)"
                )
            features = facet.get("features")
            if not isinstance(features, list) or not features:
                raise _BadRecord(f'{where} must have the property "features"')
            for m, feature in enumerate(features):
                kind = feature.get("$type") if isinstance(feature, dict) else None
                key = _FACET_FEATURES.get(kind) if isinstance(kind, str) else None
                if key is None:
                    raise _BadRecord(f"{where}/features/{m} has an unknown $type {kind!r}")
                if not isinstance(feature.get(key), str) or not feature[key]:
                    raise _BadRecord(f'{where}/features/{m} must have the property "{key}"')

    @staticmethod
    def _check_strong_ref(ref: Any, where: str) -> None:
        if not isinstance(ref, dict):
            raise _BadRecord(f"{where} must be an object")
        uri, cid = ref.get("uri"), ref.get("cid")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise _BadRecord(f'{where} must have the property "uri" (an at:// URI)')
        if not isinstance(cid, str) or not cid:
            raise _BadRecord(f'{where} must have the property "cid"')

    @staticmethod
    def _check_aspect(ratio: Any, where: str) -> None:
        if ratio is None:
            return
        if not isinstance(ratio, dict) or not all(
            isinstance(ratio.get(key), int) and ratio[key] >= 1 for key in ("width", "height")
        ):
            raise _BadRecord(f"{where} must have integer width and height of at least 1")

    def _check_blob(self, blob: Any, where: str, prefix: str) -> str:
        """Check a blob ref against the blobs this PDS stored; return its CID."""
        if not isinstance(blob, dict):
            raise _BadRecord(f'{where} must be a blob (an object with "$type": "blob")')
        ref = blob.get("ref")
        link = ref.get("$link") if isinstance(ref, dict) else None
        if blob.get("$type") != "blob" or not isinstance(link, str):
            raise _BadRecord(f'{where} should be a blob ref ({{"$type": "blob", "ref": ...}})')
        stored = self.blobs.get(link)
        if stored is None:
            raise _BadRecord(f"{where} refers to a blob this PDS does not have: {link}")
        if blob.get("mimeType") != stored.mime_type:
            raise _BadRecord(
                f"{where}/mimeType {blob.get('mimeType')!r} does not match the stored blob "
                f"({stored.mime_type})"
            )
        if blob.get("size") != stored.size:
            raise _BadRecord(
                f"{where}/size {blob.get('size')!r} does not match the stored blob "
                f"({stored.size} bytes)"
            )
        if not stored.mime_type.startswith(prefix):
            raise _BadRecord(f"{where} must be {prefix}*, the blob is {stored.mime_type}")
        limit = _IMAGE_LIMIT if prefix == "image/" else _VIDEO_LIMIT
        if stored.size > limit:
            raise _BadRecord(f"{where} file too big (max {limit} bytes)")
        return link


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": _JSON_TYPE}
    )
