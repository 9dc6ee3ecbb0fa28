"""Request building and response deciphering for Mastodon media, without a network."""

from __future__ import annotations

import itertools
import json

import pytest
from multidict import CIMultiDict

from asyncmedia.errors import (
    APIError,
    AuthenticationError,
    MediaTooLarge,
    ProcessingError,
    RateLimitError,
    RejectedMediaSize,
    RejectedMediaType,
    UnsupportedMediaType,
)
from asyncmedia.protocols.http import FilePart, HTTPResponse
from asyncmedia.protocols.mastodon import (
    MastodonProtocol,
    check_description,
    format_focus,
    poll_delays,
)

PROTO = MastodonProtocol("https://mastodon.example")
ATTACHMENT = {
    "id": "22345792",
    "type": "image",
    "url": None,
    "preview_url": "https://files.example/small/x.png",
    "remote_url": None,
    "text_url": None,
    "meta": {"focus": {"x": -0.69, "y": 0.42}},
    "description": "test uploaded via api",
    "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
}


def response(status: int, body: object = b"", **headers: str) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "", CIMultiDict(headers), raw)


def test_upload_is_multipart_with_the_real_type_on_file() -> None:
    request = PROTO.upload(
        filename="cat.png", media_type="image/png", description="A cat", focus="0.5,-0.25"
    )
    assert request.method == "POST" and str(request.url) == "https://mastodon.example/api/v2/media"
    assert request.file == FilePart("file", "cat.png", "image/png")
    assert request.fields == (("description", "A cat"), ("focus", "0.5,-0.25"))
    assert request.is_multipart and not request.retry_safe


def test_get_and_update() -> None:
    assert str(PROTO.get("42").url) == "https://mastodon.example/api/v1/media/42"
    update = PROTO.update(
        "42", description="d", thumbnail=FilePart("thumbnail", "t.png", "image/png")
    )
    assert update.method == "PUT" and update.fields == (("description", "d"),)
    assert update.file is not None and update.file.name == "thumbnail"
    with pytest.raises(ValueError, match="nothing to update"):
        PROTO.update("42")
    with pytest.raises(ValueError, match="alphanumeric"):
        PROTO.get("../statuses")


def test_focus_and_description_rules() -> None:
    assert format_focus(None) is None
    assert format_focus((0, 0)) == "0,0"
    assert format_focus((-1, 1)) == "-1,1"
    for bad in ((1.01, 0), (0, -2), (float("inf"), 0)):
        with pytest.raises(ValueError, match=r"between -1\.0 and 1\.0"):
            format_focus(bad)
    with pytest.raises(ValueError, match="pair"):
        format_focus((1,))  # type: ignore[arg-type]
    check_description("x" * 1500)
    with pytest.raises(ValueError, match="1501 characters; the limit is 1500"):
        check_description("x" * 1501)


def test_poll_delays_back_off_from_one_to_five_seconds() -> None:
    assert list(itertools.islice(poll_delays(), 6)) == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_status_code_decides_readiness() -> None:
    media, ready = PROTO.read_upload(response(202, ATTACHMENT))
    assert not ready and media.id == "22345792" and media.url is None
    assert media.meta["focus"] == {"x": -0.69, "y": 0.42}
    done = dict(ATTACHMENT, url="https://files.example/original/x.png")
    media, ready = PROTO.read_upload(response(200, done))
    assert ready and media.url == done["url"] and media.raw == done
    assert PROTO.read_poll(response(206, ATTACHMENT), "22345792") is None
    # A 200 decides even if url were still null: the status code comes first.
    polled = PROTO.read_poll(response(200, ATTACHMENT), "22345792")
    assert polled is not None and polled.id == "22345792"


def test_failed_processing_is_processing_error() -> None:
    with pytest.raises(ProcessingError, match="Error processing thumbnail") as caught:
        PROTO.read_poll(
            response(422, {"error": "Error processing thumbnail for uploaded media"}), "7"
        )
    assert caught.value.media_id == "7"
    with pytest.raises(APIError) as missing:
        PROTO.read_poll(response(404, {"error": "Record not found"}), "7")
    assert missing.value.message == "Record not found"


@pytest.mark.parametrize(
    ("status", "body", "kinds", "message"),
    [
        (
            422,
            {"error": "Validation failed: File content type is invalid, File is invalid"},
            (RejectedMediaType, UnsupportedMediaType),
            "Validation failed: File content type is invalid, File is invalid",
        ),
        (
            422,
            {"error": "Validation failed: File file size must be less than 16 MB"},
            (RejectedMediaSize, MediaTooLarge),
            "Validation failed: File file size must be less than 16 MB",
        ),
        (413, b"<html>413 Request Entity Too Large</html>", (RejectedMediaSize,), ""),
        (401, {"error": "The access token is invalid"}, (AuthenticationError,), None),
        (422, {"error": "Validation failed: Description is too long"}, (APIError,), None),
    ],
)
def test_upload_errors_are_typed(
    status: int, body: object, kinds: tuple[type[Exception], ...], message: str | None
) -> None:
    with pytest.raises(kinds[0]) as caught:
        PROTO.read_upload(response(status, body))
    assert all(isinstance(caught.value, kind) for kind in kinds)
    assert isinstance(caught.value, APIError) and caught.value.status == status
    if message:
        assert caught.value.message == message
    if kinds == (APIError,):
        assert type(caught.value) is APIError


def test_429_reset_is_read_from_the_iso_header() -> None:
    with pytest.raises(RateLimitError) as caught:
        PROTO.read_upload(
            response(
                429,
                {"error": "Too many requests"},
                **{"X-RateLimit-Reset": "2030-01-01T00:00:00.000Z"},
            )
        )
    assert caught.value.reset == 1893456000.0
