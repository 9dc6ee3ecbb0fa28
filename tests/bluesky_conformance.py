"""What the real reference Bluesky PDS answers, as one table checked against both servers.

:data:`EXPECTED` holds the answers observed from ``@atproto/pds`` 0.5.35 (the versions in
``tests/real/pds/package.json``) to the requests :func:`observe` sends: refused tokens, missing
authentication, records the lexicon validator refuses, blob refs that do not match the stored
blob, odd uploads, ``getBlob`` of a blob no record references.  The same :func:`observe` runs

- against the sandbox in ``tests/functional/test_bluesky_conformance.py`` (``make test``), and
- against the real PDS in ``tests/real/test_bluesky_pds_conformance.py`` (``make test-real``),

and both assert ``observe(...) == EXPECTED``: where the sandbox and the real server differ, the
table (the real server's answer) decides, and neither can drift from it unnoticed.

Plain aiohttp only (no asyncmedia client code): the requests are what a client would send.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from png_files import png_file
from yarl import URL

#: One answer: ``(status, XRPC error name, message)`` (``None`` where the answer has none), or
#: for a success the facts that matter about it.
Seen = tuple[Any, ...]


@dataclass(frozen=True)
class Target:
    """A PDS to check: its root URL, the account, and two tokens only the server can mint."""

    url: URL
    identifier: str
    password: str
    did: str
    #: An access token signed with the server's own key whose ``exp`` has passed.
    expired_access_jwt: str
    #: The ``aud`` of the server's access tokens (for a forged token that differs only in key).
    service_did: str

    def xrpc(self, method: str) -> URL:
        """The URL of XRPC ``method``."""
        return self.url / "xrpc" / method


def png(width: int, height: int, seed: int) -> bytes:
    """A valid RGB PNG (CRCs right) whose pixels depend on ``seed``."""
    rows = (
        bytes((x * 7 + y * 13 + seed * 31) % 256 for x in range(width * 3)) for y in range(height)
    )
    return png_file(width, height, rows)


def blob_cid(data: bytes) -> str:
    """The CID the AT Protocol gives a blob: CIDv1, raw codec, sha2-256, base32."""
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def sign_hs256(claims: dict[str, Any], secret: str, *, typ: str = "at+jwt") -> str:
    """An HS256 JWT of ``claims`` signed with ``secret`` (the shape the PDS issues)."""
    header = _b64url(json.dumps({"typ": typ, "alg": "HS256"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(mac)}"


def forged_access_jwt(target: Target) -> str:
    """A well-formed, unexpired access token of the account, signed with another key."""
    now = int(time.time())
    claims = {
        "scope": "com.atproto.access",
        "aud": target.service_did,
        "sub": target.did,
        "iat": now,
        "exp": now + 7200,
    }
    return sign_hs256(claims, "not-the-key")


#: The image every record case refers to (a fixed PNG: its size is in the messages).
IMAGE = png(8, 8, seed=60)
#: A CID no PDS has a blob for.
UNKNOWN_CID = "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
NOT_A_PNG = b"plain text, not a PNG"
DATE = "2026-01-01T00:00:00.000Z"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 18 UTF-8 bytes

_RECORD = "Invalid app.bsky.feed.post record: "
_INVALID = (400, "InvalidToken", "Token could not be verified")
_EXPIRED = (400, "ExpiredToken", "Token has expired")
_CRASH = (500, "InternalServerError", "Internal Server Error")
_MISSING = (401, "AuthMissing", "Authentication Required")

#: What the real PDS answered (and so what the sandbox must answer), by case.
EXPECTED: dict[str, Seen] = {
    # -- tokens: every endpoint verifies them alike, except that uploadBlob (whose auth also
    # takes service tokens) crashes on one that is not a JWT at all.
    **{
        f"{kind} token on {method}": _EXPIRED if kind == "expired" else _INVALID
        for kind in ("expired", "forged", "not a JWT", "three dots")
        for method in ("getSession", "createRecord", "uploadBlob")
    },
    "not a JWT token on uploadBlob": _CRASH,
    "three dots token on uploadBlob": _CRASH,
    "not a JWT token on refreshSession": _INVALID,
    "not a JWT token on deleteSession": _INVALID,
    # getRecord does not look at a token at all (it answers as without one)...
    "not a JWT token on getRecord": (
        400,
        "RecordNotFound",
        "Could not locate record: at://{did}/app.bsky.feed.post/3zzzzzzzzzzzz",
    ),
    # ...getBlob verifies one when there is one.
    "not a JWT token on getBlob": _INVALID,
    "refresh token on getSession": _INVALID,
    "refresh token on uploadBlob": _INVALID,
    "access token on refreshSession": _INVALID,
    "no token on getSession": _MISSING,
    "no token on uploadBlob": _MISSING,
    "no token on createRecord": _MISSING,
    "deleteSession with the refresh token": (200,),
    "refreshSession with a revoked refresh token": (
        400,
        "ExpiredToken",
        "Token has been revoked",
    ),
    "wrong password": (401, "AuthenticationRequired", "Invalid identifier or password"),
    # -- uploads
    "empty body": (200, blob_cid(b""), "image/png", 0),
    "not a PNG declared image/png": (200, blob_cid(NOT_A_PNG), "image/png", len(NOT_A_PNG)),
    "no Content-Type": (
        400,
        "InvalidRequest",
        "Request encoding (Content-Type) required but not provided",
    ),
    # -- records the lexicon validator refuses
    "image without alt": (
        400,
        "InvalidRequest",
        _RECORD + 'Missing required key "alt" at $.record.embed.images[0]',
    ),
    "five images": (
        400,
        "InvalidRequest",
        _RECORD + "array too big (maximum 4, got 5) at $.record.embed.images",
    ),
    "no createdAt": (
        400,
        "InvalidRequest",
        _RECORD + 'Missing required key "createdAt" at $.record',
    ),
    "301 graphemes": (
        400,
        "InvalidRequest",
        _RECORD + "grapheme too big (maximum 300, got 301) at $.record.text",
    ),
    "3001 bytes of text": (
        400,
        "InvalidRequest",
        _RECORD + "string too big (maximum 3000, got 3001) at $.record.text",
    ),
    # -- blob refs compared with the stored blob
    "unknown blob": (400, "BlobNotFound", f"Could not find blob: {UNKNOWN_CID}"),
    "size mismatch": (
        400,
        "InvalidSize",
        "Referenced Size does not match stored blob. "
        f"Expected: {len(IMAGE)}, Got: {len(IMAGE) + 1}",
    ),
    "type mismatch": (
        400,
        "InvalidMimeType",
        "Referenced Mimetype does not match stored blob. Expected: image/png, Got: image/jpeg",
    ),
    "300 graphemes and a referenced image": (200,),
    # The lexicon's maxSize of an image (2000000), checked on the size the record states.
    "an image of 2000000 bytes": (200,),
    "an image of 2000001 bytes": (
        400,
        "InvalidRequest",
        _RECORD + "blob too big (maximum 2000000, got 2000001) at $.record.embed.images[0].image",
    ),
    "getRecord of a record that does not exist": (
        400,
        "RecordNotFound",
        "Could not locate record: at://{did}/app.bsky.feed.post/3zzzzzzzzzzzz",
    ),
    # -- getBlob serves a blob once a record references it, not before
    "getBlob of a blob no record references": (400, "InvalidRequest", "Blob not found"),
    "getBlob of a referenced blob": (200, "image/png", hashlib.sha256(IMAGE).hexdigest()),
}


@dataclass
class Answer:
    """A raw XRPC answer: status, JSON body (or None) and the raw bytes."""

    status: int
    body: Any
    data: bytes
    headers: dict[str, str]

    @property
    def error(self) -> Any:
        return self.body.get("error") if isinstance(self.body, dict) else None

    @property
    def message(self) -> Any:
        return self.body.get("message") if isinstance(self.body, dict) else None

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")


class _HasXrpc(Protocol):
    def xrpc(self, method: str) -> URL: ...


async def xrpc(
    session: aiohttp.ClientSession,
    pds: _HasXrpc,
    method: str,
    *,
    token: str | None = None,
    get: bool = False,
    params: dict[str, str] | None = None,
    json_body: Any = None,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Call XRPC ``method`` on ``pds`` (a :class:`Target`, the real PDS) with plain aiohttp
    (no asyncmedia code)."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    async with session.request(
        "GET" if get else "POST",
        pds.xrpc(method),
        params=params,
        json=json_body,
        data=data,
        headers=sent,
    ) as response:
        raw = await response.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return Answer(response.status, body, raw, dict(response.headers))


async def _call(
    http: aiohttp.ClientSession,
    target: Target,
    method: str,
    *,
    token: str | None = None,
    get: bool = False,
    json: Any = None,
    **kwargs: Any,
) -> tuple[int, Any, bytes, str]:
    answer = await xrpc(http, target, method, token=token, get=get, json_body=json, **kwargs)
    return answer.status, answer.body, answer.data, answer.content_type


def _refusal(status: int, body: Any) -> Seen:
    if status == 200:
        return (200,)
    body = body if isinstance(body, dict) else {}
    return (status, body.get("error"), body.get("message"))


async def observe(http: aiohttp.ClientSession, target: Target) -> dict[str, Seen]:
    """Send every case of :data:`EXPECTED` to ``target``; what it answered, by case."""
    seen: dict[str, Seen] = {}

    async def session() -> dict[str, Any]:
        status, body, _, _ = await _call(
            http,
            target,
            "com.atproto.server.createSession",
            json={"identifier": target.identifier, "password": target.password},
        )
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    login = await session()
    access, refresh = login["accessJwt"], login["refreshJwt"]

    def record(text: str = "refused", **fields: Any) -> dict[str, Any]:
        return {"$type": "app.bsky.feed.post", "text": text, "createdAt": DATE, **fields}

    def images(*items: dict[str, Any]) -> dict[str, Any]:
        return {"embed": {"$type": "app.bsky.embed.images", "images": list(items)}}

    async def create(value: dict[str, Any], token: str | None = access) -> tuple[int, Any]:
        status, body, _, _ = await _call(
            http,
            target,
            "com.atproto.repo.createRecord",
            token=token,
            json={"repo": target.did, "collection": "app.bsky.feed.post", "record": value},
        )
        return status, body

    async def upload(data: bytes, content_type: str | None, token: str | None) -> Seen:
        headers = {"Content-Type": content_type if content_type is not None else ""}
        status, body, _, _ = await _call(
            http,
            target,
            "com.atproto.repo.uploadBlob",
            token=token,
            data=io.BytesIO(data),  # raw bytes over 1 MiB make aiohttp warn
            headers=headers,
        )
        if status == 200:
            blob = body["blob"]
            return (200, blob["ref"]["$link"], blob["mimeType"], blob["size"])
        return _refusal(status, body)

    async def get_blob(cid: str) -> Seen:
        status, body, raw, kind = await _call(
            http,
            target,
            "com.atproto.sync.getBlob",
            get=True,
            params={"did": target.did, "cid": cid},
        )
        if status == 200:
            return (200, kind, hashlib.sha256(raw).hexdigest())
        return _refusal(status, body)

    # -- tokens
    tokens = {
        "expired": target.expired_access_jwt,
        "forged": forged_access_jwt(target),
        "not a JWT": "this-is-not-a-jwt",
        "three dots": "a.b.c",
    }
    for kind, token in tokens.items():
        status, body, _, _ = await _call(
            http, target, "com.atproto.server.getSession", token=token, get=True
        )
        seen[f"{kind} token on getSession"] = _refusal(status, body)
        seen[f"{kind} token on createRecord"] = _refusal(*await create(record(), token))
        seen[f"{kind} token on uploadBlob"] = await upload(png(4, 4, seed=1), "image/png", token)
    for method in ("refreshSession", "deleteSession"):
        status, body, _, _ = await _call(
            http, target, f"com.atproto.server.{method}", token="this-is-not-a-jwt"
        )
        seen[f"not a JWT token on {method}"] = _refusal(status, body)
    missing = {"repo": target.did, "collection": "app.bsky.feed.post", "rkey": "3zzzzzzzzzzzz"}
    status, body, _, _ = await _call(
        http,
        target,
        "com.atproto.repo.getRecord",
        token="this-is-not-a-jwt",
        get=True,
        params=missing,
    )
    seen["not a JWT token on getRecord"] = tuple(
        part.replace(target.did, "{did}") if isinstance(part, str) else part
        for part in _refusal(status, body)
    )
    status, body, _, _ = await _call(
        http,
        target,
        "com.atproto.sync.getBlob",
        token="this-is-not-a-jwt",
        get=True,
        params={"did": target.did, "cid": UNKNOWN_CID},
    )
    seen["not a JWT token on getBlob"] = _refusal(status, body)
    status, body, _, _ = await _call(
        http, target, "com.atproto.repo.getRecord", get=True, params=missing
    )
    seen["getRecord of a record that does not exist"] = tuple(
        part.replace(target.did, "{did}") if isinstance(part, str) else part
        for part in _refusal(status, body)
    )
    status, body, _, _ = await _call(
        http, target, "com.atproto.server.getSession", token=refresh, get=True
    )
    seen["refresh token on getSession"] = _refusal(status, body)
    seen["refresh token on uploadBlob"] = await upload(png(4, 4, seed=2), "image/png", refresh)
    status, body, _, _ = await _call(
        http, target, "com.atproto.server.refreshSession", token=access
    )
    seen["access token on refreshSession"] = _refusal(status, body)
    status, body, _, _ = await _call(http, target, "com.atproto.server.getSession", get=True)
    seen["no token on getSession"] = _refusal(status, body)
    seen["no token on uploadBlob"] = await upload(png(4, 4, seed=3), "image/png", None)
    seen["no token on createRecord"] = _refusal(*await create(record(), None))
    doomed = (await session())["refreshJwt"]
    status, body, _, _ = await _call(http, target, "com.atproto.server.deleteSession", token=doomed)
    seen["deleteSession with the refresh token"] = _refusal(status, body)
    status, body, _, _ = await _call(
        http, target, "com.atproto.server.refreshSession", token=doomed
    )
    seen["refreshSession with a revoked refresh token"] = _refusal(status, body)
    status, body, _, _ = await _call(
        http,
        target,
        "com.atproto.server.createSession",
        json={"identifier": target.identifier, "password": "not-the-password"},
    )
    seen["wrong password"] = _refusal(status, body)

    # -- uploads
    seen["empty body"] = await upload(b"", "image/png", access)
    seen["not a PNG declared image/png"] = await upload(NOT_A_PNG, "image/png", access)
    seen["no Content-Type"] = await upload(png(4, 4, seed=4), None, access)

    # -- records
    uploaded = await upload(IMAGE, "image/png", access)
    assert uploaded[:2] == (200, blob_cid(IMAGE)), uploaded
    blob = {
        "$type": "blob",
        "ref": {"$link": blob_cid(IMAGE)},
        "mimeType": "image/png",
        "size": len(IMAGE),
    }
    cases: dict[str, dict[str, Any]] = {
        "image without alt": record(**images({"image": blob})),
        "five images": record(**images(*[{"image": blob, "alt": ""}] * 5)),
        "no createdAt": {"$type": "app.bsky.feed.post", "text": "no date"},
        "301 graphemes": record(FAMILY * 100 + "a" * 201),
        "3001 bytes of text": record("a" * 3001),
        "unknown blob": record(
            **images({"image": {**blob, "ref": {"$link": UNKNOWN_CID}}, "alt": ""})
        ),
        "size mismatch": record(**images({"image": {**blob, "size": len(IMAGE) + 1}, "alt": ""})),
        "type mismatch": record(**images({"image": {**blob, "mimeType": "image/jpeg"}, "alt": ""})),
    }
    for size in (2_000_000, 2_000_001):
        big = bytes(size)  # no type a sniffer knows: the declared image/png stays
        assert (await upload(big, "image/png", access))[0] == 200
        ref = {**blob, "ref": {"$link": blob_cid(big)}, "size": size}
        cases[f"an image of {size} bytes"] = record(**images({"image": ref, "alt": ""}))
    for name, value in cases.items():
        seen[name] = _refusal(*await create(value))
    # getBlob before and after a record references the blob.
    seen["getBlob of a blob no record references"] = await get_blob(blob_cid(IMAGE))
    seen["300 graphemes and a referenced image"] = _refusal(
        *await create(record(FAMILY * 100 + "a" * 200, **images({"image": blob, "alt": "x"})))
    )
    seen["getBlob of a referenced blob"] = await get_blob(blob_cid(IMAGE))
    return seen
