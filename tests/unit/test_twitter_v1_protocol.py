"""Request building and response deciphering for Twitter v1.1, without a network."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict
from yarl import URL

from asyncmedia.errors import (
    APIError,
    AuthenticationError,
    MediaTooLarge,
    ProcessingError,
    RateLimitError,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from asyncmedia.protocols import media_rules
from asyncmedia.protocols.http import HTTPResponse, error_from_response, parse_reset
from asyncmedia.protocols.twitter_v1 import TwitterV1Protocol

PROTO = TwitterV1Protocol("https://upload.twitter.com/1.1/", "https://api.twitter.com/1.1")


def response(status: int, body: object = b"", reason: str = "", **headers: str) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, reason, CIMultiDict(headers), raw)


def test_urls_are_joined_onto_the_configured_roots() -> None:
    assert str(PROTO.media_upload_url) == "https://upload.twitter.com/1.1/media/upload.json"
    meta = PROTO.metadata("1", "x")
    assert str(meta.url) == "https://upload.twitter.com/1.1/media/metadata/create.json"
    legacy = PROTO.update_with_media("hi", "a.png", "image/png", {})
    assert str(legacy.url) == "https://api.twitter.com/1.1/statuses/update_with_media.json"


def test_init_is_urlencoded_and_finalize_too() -> None:
    init = PROTO.init(
        total_bytes=10, media_type="video/mp4", media_category="tweet_video", additional_owners=()
    )
    assert init.form == (
        ("command", "INIT"),
        ("total_bytes", "10"),
        ("media_type", "video/mp4"),
        ("media_category", "tweet_video"),
    )
    assert not init.is_multipart and init.retry_safe
    assert PROTO.finalize("5").form == (("command", "FINALIZE"), ("media_id", "5"))


def test_append_and_simple_are_multipart_so_never_signed() -> None:
    append = PROTO.append("77", 3, "clip.mp4")
    assert append.is_multipart and append.form is None
    assert dict(append.fields) == {"command": "APPEND", "media_id": "77", "segment_index": "3"}
    assert append.file is not None and append.file.name == "media"
    simple = PROTO.simple_upload(
        filename="a.png", media_type="image/png", media_category=None, additional_owners=("1", "2")
    )
    assert simple.is_multipart and dict(simple.fields) == {"additional_owners": "1,2"}


def test_status_puts_params_in_the_query() -> None:
    status = PROTO.status("1349803915521482754")
    assert status.method == "GET"
    assert status.url.query == {"command": "STATUS", "media_id": "1349803915521482754"}


def test_metadata_is_json_with_a_string_id() -> None:
    meta = PROTO.metadata("692797692624265216", "dancing cat")
    assert meta.json == {"media_id": "692797692624265216", "alt_text": {"text": "dancing cat"}}


def test_append_204_empty_text_html_is_success() -> None:
    PROTO.check(response(204, b"", **{"content-type": "text/html;charset=utf-8"}))


def test_big_ids_stay_exact() -> None:
    body = b'{"media_id":1349803915521482754,"media_id_string":"1349803915521482754"}'
    media = PROTO.read_media(response(202, body))
    assert media.media_id == 1349803915521482754
    assert media.media_id_string == "1349803915521482754"


def test_finalize_processing_info_is_kept() -> None:
    body = {
        "media_id": 7,
        "media_id_string": "7",
        "size": 10,
        "expires_after_secs": 86400,
        "processing_info": {"state": "pending", "check_after_secs": 5},
    }
    media = PROTO.read_media(response(201, body))
    assert media.processing_info == {"state": "pending", "check_after_secs": 5}
    assert media.size == 10 and media.expires_after_secs == 86400


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "message"),
    [
        (
            401,
            {"errors": [{"code": 32, "message": "Could not authenticate you."}]},
            AuthenticationError,
            32,
            "Could not authenticate you.",
        ),
        (
            400,
            {"request": "/1.1/media/upload.json", "error": "File size exceeds 15728640 bytes."},
            APIError,
            None,
            "File size exceeds 15728640 bytes.",
        ),
        (
            400,
            {
                "title": "Invalid Request",
                "detail": "One or more parameters are invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
                "status": 400,
            },
            APIError,
            None,
            "One or more parameters are invalid.",
        ),
        (400, {"errors": ["plain string error"]}, APIError, None, "plain string error"),
        (
            413,
            b"<html><body>Request Entity Too Large</body></html>",
            APIError,
            None,
            "Request Entity Too Large",
        ),
        (
            503,
            {"errors": [{"code": 130, "message": "Over capacity"}]},
            ServiceUnavailable,
            130,
            "Over capacity",
        ),
    ],
)
def test_error_bodies_become_typed_errors(
    status: int, body: object, kind: type[APIError], code: int | None, message: str
) -> None:
    reason = "Request Entity Too Large" if status == 413 else "Bad"
    with pytest.raises(kind) as caught:
        PROTO.check(response(status, body, reason=reason))
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.message == message


def test_rate_limit_carries_reset() -> None:
    err = error_from_response(
        response(
            429,
            {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
            **{"x-rate-limit-reset": "1610467320"},
        )
    )
    assert isinstance(err, RateLimitError)
    assert err.reset == 1610467320 and err.code == 88


def test_parse_reset_handles_iso_and_epoch() -> None:
    assert parse_reset("1610467320") == 1610467320
    assert parse_reset("2021-01-12T16:02:00.000Z") == 1610467320
    assert parse_reset("30", now=100.0) == 130.0
    assert parse_reset("soon") is None


@pytest.mark.parametrize(
    ("media_type", "size", "chunked", "expected"),
    [
        ("image/png", 1000, None, False),
        ("image/png", 5 * 1024 * 1024 + 1, None, True),
        ("image/gif", 1_000_000, None, False),
        ("video/mp4", 1000, None, True),
        ("image/png", None, None, True),
        ("image/png", 1000, True, True),
        ("image/png", 1000, False, False),
    ],
)
def test_choose_chunked(
    media_type: str, size: int | None, chunked: bool | None, expected: bool
) -> None:
    assert media_rules.choose_chunked(media_type, size, chunked) is expected


def test_simple_video_is_refused_before_any_request() -> None:
    with pytest.raises(UnsupportedMediaType, match="chunked"):
        media_rules.choose_chunked("video/mp4", 10, False)


def test_default_categories() -> None:
    assert media_rules.default_category("video/mp4") == "tweet_video"
    assert media_rules.default_category("image/gif") == "tweet_gif"
    assert media_rules.default_category("image/png") == "tweet_image"


def test_size_limits() -> None:
    media_rules.check_size("image/gif", "tweet_gif", 15_728_640, chunked=True)
    with pytest.raises(MediaTooLarge, match="tweet_gif") as caught:
        media_rules.check_size("image/gif", None, 6_000_000, chunked=False)
    assert caught.value.limit == 5_242_880 and caught.value.size == 6_000_000
    with pytest.raises(MediaTooLarge):
        media_rules.check_size("image/png", "tweet_image", 5_242_881, chunked=True)
    with pytest.raises(MediaTooLarge):
        media_rules.check_size("video/mp4", "tweet_video", 536_870_913, chunked=True)
    with pytest.raises(UnsupportedMediaType):
        media_rules.check_size("application/pdf", None, 10, chunked=False)


def test_chunk_size_clamps_to_1000_segments() -> None:
    assert media_rules.effective_chunk_size(1024 * 1024, 12 * 1024 * 1024) == 1024 * 1024
    assert media_rules.effective_chunk_size(1024, 500 * 1024 * 1024 + 1) == 524_289
    with pytest.raises(ValueError, match="5 MiB"):
        media_rules.effective_chunk_size(6 * 1024 * 1024, 10)


def test_processing_info_reading() -> None:
    assert media_rules.processing_delay(None, media_id="1", max_interval=60) is None
    assert (
        media_rules.processing_delay({"state": "succeeded"}, media_id="1", max_interval=60) is None
    )
    pending = {"state": "pending", "check_after_secs": 5}
    assert media_rules.processing_delay(pending, media_id="1", max_interval=60) == 5
    assert media_rules.processing_delay(pending, media_id="1", max_interval=2) == 2
    assert (
        media_rules.processing_delay({"state": "in_progress"}, media_id="1", max_interval=60) == 1
    )
    failed = {
        "state": "failed",
        "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"},
    }
    with pytest.raises(ProcessingError) as caught:
        media_rules.processing_delay(failed, media_id="9", max_interval=60)
    assert caught.value.name == "InvalidMedia"
    assert caught.value.message == "Unsupported video format"
    assert caught.value.media_id == "9" and caught.value.code == 1


def test_alt_text_limit() -> None:
    media_rules.check_alt_text("x" * 1000)
    with pytest.raises(ValueError, match="1001 characters"):
        media_rules.check_alt_text("x" * 1001)


def test_base_urls_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="absolute"):
        TwitterV1Protocol("upload.twitter.com/1.1/", "https://api.twitter.com/1.1/")
    assert str(TwitterV1Protocol(URL("http://h/1.1"), "http://h/").media_upload_url) == (
        "http://h/1.1/media/upload.json"
    )
