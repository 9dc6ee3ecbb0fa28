"""Request building and response deciphering for Bluesky blobs, without a network."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from asyncmedia.errors import (
    APIError,
    AuthenticationError,
    MediaTooLarge,
    RateLimitError,
    RejectedMediaSize,
)
from asyncmedia.media import Blob
from asyncmedia.protocols.bluesky import BlueskyProtocol, check_size
from asyncmedia.protocols.http import HTTPResponse

PROTO = BlueskyProtocol("https://pds.example")
BLOB = {
    "$type": "blob",
    "ref": {"$link": "bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa"},
    "mimeType": "image/png",
    "size": 760898,
}


def response(status: int, body: object = b"", **headers: str) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "", CIMultiDict(headers), raw)


def test_create_session_is_unsigned_json() -> None:
    request = PROTO.create_session("me.bsky.social", "app-pass")
    assert str(request.url) == "https://pds.example/xrpc/com.atproto.server.createSession"
    assert request.json == {"identifier": "me.bsky.social", "password": "app-pass"}
    assert request.signed is False
    assert PROTO.read_session(response(200, {"accessJwt": "jwt", "did": "did:plc:x"})) == "jwt"
    with pytest.raises(APIError, match="accessJwt"):
        PROTO.read_session(response(200, {"did": "did:plc:x"}))


def test_upload_blob_is_a_raw_body_never_multipart() -> None:
    request = PROTO.upload_blob("image/webp")
    assert str(request.url) == "https://pds.example/xrpc/com.atproto.repo.uploadBlob"
    assert request.raw == "image/webp"
    assert not request.is_multipart and request.file is None and request.json is None
    assert request.signed and request.retry_safe


def test_read_blob() -> None:
    blob = PROTO.read_blob(response(200, {"blob": BLOB}))
    assert blob == Blob(ref=BLOB["ref"]["$link"], mime_type="image/png", size=760898, raw=BLOB)
    assert blob.as_dict() == BLOB
    assert str(blob) == BLOB["ref"]["$link"]
    with pytest.raises(APIError, match="ref"):
        PROTO.read_blob(response(200, {"blob": {"mimeType": "image/png"}}))


def test_xrpc_errors_are_typed() -> None:
    with pytest.raises(RejectedMediaSize) as too_big:
        PROTO.read_blob(
            response(400, {"error": "BlobTooLarge", "message": "This file is too large."}),
            size=2_000_000,
        )
    assert isinstance(too_big.value, MediaTooLarge) and too_big.value.size == 2_000_000
    assert (too_big.value.code, too_big.value.message) == (
        "BlobTooLarge",
        "This file is too large.",
    )
    with pytest.raises(AuthenticationError) as expired:
        PROTO.read_blob(response(400, {"error": "ExpiredToken", "message": "Token has expired"}))
    assert expired.value.code == "ExpiredToken" and expired.value.status == 400
    with pytest.raises(AuthenticationError):
        PROTO.read_session(response(401, {"error": "AuthenticationRequired", "message": "no"}))
    with pytest.raises(RateLimitError) as limited:
        PROTO.read_blob(
            response(
                429,
                {"error": "RateLimitExceeded", "message": "slow"},
                **{"ratelimit-reset": "1900000000"},
            )
        )
    assert limited.value.reset == 1900000000
    with pytest.raises(RejectedMediaSize):
        PROTO.read_blob(response(413, b"<html>too large</html>"))


def test_image_limit_is_a_parameter() -> None:
    check_size("image/png", 1_000_000)
    with pytest.raises(MediaTooLarge) as caught:
        check_size("image/png", 1_000_001)
    assert caught.value.limit == 1_000_000 and caught.value.size == 1_000_001
    check_size("image/png", 5_000_000, image_limit=None)
    check_size("video/mp4", 5_000_000)  # not an image: the PDS decides
    with pytest.raises(MediaTooLarge):
        check_size("image/jpeg", 600, image_limit=500)
