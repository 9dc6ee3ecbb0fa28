"""Request building and response deciphering for X API v2, and MediaClient's v2 wiring."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict
from yarl import URL

from asyncmedia import MediaClient
from asyncmedia.auth import BearerToken, OAuth1
from asyncmedia.errors import APIError, AuthenticationError, RateLimitError
from asyncmedia.protocols.http import HTTPResponse
from asyncmedia.protocols.twitter_v2 import DEFAULT_V2_URL, TwitterV2Protocol

PROTO = TwitterV2Protocol("https://api.x.com/2")


def response(status: int, body: object = b"", **headers: str) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "", CIMultiDict(headers), raw)


def test_paths_follow_the_openapi_spec() -> None:
    init = PROTO.init(
        total_bytes=1048576,
        media_type="video/mp4",
        media_category="amplify_video",
        additional_owners=("2244994945",),
    )
    assert str(init.url) == "https://api.x.com/2/media/upload/initialize"
    assert init.json == {
        "media_type": "video/mp4",
        "total_bytes": 1048576,
        "media_category": "amplify_video",
        "additional_owners": ["2244994945"],
    }
    assert init.form is None and not init.is_multipart and init.retry_safe
    append = PROTO.append("1880028106020515840", 3, "clip.mp4")
    assert str(append.url) == "https://api.x.com/2/media/upload/1880028106020515840/append"
    assert append.fields == (("segment_index", "3"),)
    assert append.file is not None and append.file.name == "media"
    assert append.file.content_type == "application/octet-stream" and append.retry_safe
    finalize = PROTO.finalize("1880028106020515840")
    assert str(finalize.url).endswith("/media/upload/1880028106020515840/finalize")
    assert finalize.json == {}  # an empty JSON object, not "no body"
    status = PROTO.status("1880028106020515840")
    assert status.method == "GET"
    assert status.url.path == "/2/media/upload"
    assert dict(status.url.query) == {"media_id": "1880028106020515840", "command": "STATUS"}
    meta = PROTO.metadata("5", "dancing cat")
    assert str(meta.url) == "https://api.x.com/2/media/metadata"
    assert meta.json == {"id": "5", "metadata": {"alt_text": {"text": "dancing cat"}}}


def test_one_shot_always_sends_a_category() -> None:
    simple = PROTO.simple_upload(
        filename="a.png", media_type="image/png", media_category=None, additional_owners=()
    )
    assert str(simple.url) == "https://api.x.com/2/media/upload"
    assert dict(simple.fields) == {"media_category": "tweet_image", "media_type": "image/png"}
    assert simple.file is not None and simple.file.content_type == "image/png"
    dm = PROTO.simple_upload(
        filename="a.png", media_type="image/png", media_category="dm_image", additional_owners=()
    )
    assert dict(dm.fields)["media_category"] == "dm_image"


def test_ids_that_are_not_digits_cannot_reach_the_path() -> None:
    with pytest.raises(ValueError, match="digit"):
        PROTO.append("../../tweets", 0, "x")


def test_read_media_from_data() -> None:
    media = PROTO.read_media(
        response(
            200,
            {
                "data": {
                    "id": "1880028106020515840",
                    "media_key": "13_1880028106020515840",
                    "size": 1048576,
                    "expires_after_secs": 86400,
                    "processing_info": {"state": "pending", "check_after_secs": 1},
                }
            },
        )
    )
    assert media.media_id == 1880028106020515840
    assert media.media_id_string == "1880028106020515840"
    assert media.media_key == "13_1880028106020515840"
    assert media.processing_info == {"state": "pending", "check_after_secs": 1}
    assert media.raw["size"] == 1048576


def test_append_accepts_any_2xx_even_empty() -> None:
    PROTO.check(response(200, {"data": {"expires_at": 1737000000}}))
    PROTO.check(response(204, b""))


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            400,
            {
                "errors": [{"message": "media_category is required"}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            APIError,
            "media_category is required",
        ),
        (
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
            AuthenticationError,
            "Unauthorized",
        ),
        (
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            RateLimitError,
            "Too Many Requests",
        ),
    ],
)
def test_problem_objects_map_onto_the_tree(
    status: int, body: object, kind: type[APIError], message: str
) -> None:
    with pytest.raises(kind) as caught:
        PROTO.read_media(response(status, body, **{"x-rate-limit-reset": "1900000000"}))
    assert type(caught.value) is kind and caught.value.message == message
    if isinstance(caught.value, RateLimitError):
        assert caught.value.reset == 1900000000


def test_a_2xx_with_errors_and_no_data_is_an_error() -> None:
    with pytest.raises(APIError, match="not found") as caught:
        PROTO.read_media(response(200, {"errors": [{"message": "media id not found"}]}))
    assert caught.value.status == 400
    with pytest.raises(APIError) as odd:
        PROTO.read_media(response(200, {"something": "else"}))
    assert odd.value.status == 502


def test_client_defaults_and_signers() -> None:
    v2 = MediaClient("ck", "cs", "at", "ats", api_version=2)
    assert isinstance(v2.protocol, TwitterV2Protocol)
    assert str(v2.protocol.base_url) == DEFAULT_V2_URL == "https://api.x.com/2/"
    assert isinstance(v2.signer, OAuth1)
    bearer = MediaClient(bearer_token="user-token", api_version=2)
    assert isinstance(bearer.signer, BearerToken)
    assert bearer.signer.sign("GET", URL("https://api.x.com/2/media/upload")) == {
        "Authorization": "Bearer user-token"
    }
    assert "api_version=2" in repr(bearer) and "user-token" not in repr(bearer)
    v1 = MediaClient("ck", "cs", "at", "ats")
    assert str(v1.protocol.upload_url) == "https://upload.twitter.com/1.1/"


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((), {}, "no credentials"),
        ((), {"api_version": 2}, "bearer_token"),
        ((), {"bearer_token": "t"}, "api_version=2 only"),
        (("ck", "cs", "at", "ats"), {"bearer_token": "t", "api_version": 2}, "not both"),
        (("ck", "cs"), {"api_version": 2}, "access_token, access_token_secret"),
        (("ck", "cs", "at", "ats"), {"api_version": 3}, "1 or 2"),
    ],
)
def test_credential_mistakes_are_clear_value_errors(
    args: tuple[str, ...], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        MediaClient(*args, **kwargs)  # type: ignore[arg-type]
