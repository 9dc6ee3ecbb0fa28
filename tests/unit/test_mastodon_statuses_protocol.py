"""Instance limits, status length and the status request for Mastodon, without a network."""

from __future__ import annotations

import json
import logging

import pytest
from multidict import CIMultiDict

from asyncmedia import APIError, Post
from asyncmedia.protocols.http import HTTPResponse
from asyncmedia.protocols.mastodon import (
    InstanceLimits,
    MastodonProtocol,
    grapheme_count,
    limits_from_instance,
    reply_status_id,
    status_length,
)

PROTO = MastodonProtocol("https://mastodon.example/")


def response(status: int, body: object = b"") -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "", CIMultiDict({"Content-Type": "application/json"}), raw)


def test_instance_requests_are_public_and_unsigned() -> None:
    for version in (2, 1):
        request = PROTO.instance(version)
        assert request.method == "GET" and not request.signed and request.retry_safe
        assert str(request.url) == f"https://mastodon.example/api/v{version}/instance"
    with pytest.raises(ValueError, match="1 or 2"):
        PROTO.instance(3)


def test_limits_from_a_partial_document_keep_the_defaults_for_the_rest() -> None:
    doc = {
        "version": "4.2.0",
        "configuration": {
            "statuses": {"max_characters": 5000, "characters_reserved_per_url": 30},
            "media_attachments": {
                "description_limit": 1500,
                "supported_mime_types": ["image/png", "Video/MP4"],
            },
        },
    }
    limits = limits_from_instance(doc, "v2")
    assert (limits.max_characters, limits.characters_reserved_per_url) == (5000, 30)
    assert limits.max_media_attachments == 4  # not given: the default
    assert limits.supported_mime_types == frozenset({"image/png", "video/mp4"})
    assert limits.accepts_type("video/mp4; codecs=avc1") and not limits.accepts_type("image/gif")
    assert limits.image_size_limit is None and limits.size_limit("image/png") is None
    assert (limits.source, limits.version) == ("v2", "4.2.0")


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        "<html>",
        {"version": "4.0"},
        {"configuration": "nope"},
        {"configuration": {"statuses": [], "media_attachments": None}},
    ],
)
def test_missing_or_malformed_documents_give_the_defaults_with_a_debug_line(
    document: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="asyncmedia"):
        limits = limits_from_instance(document)
    defaults = InstanceLimits()
    assert (limits.max_characters, limits.max_media_attachments) == (500, 4)
    assert limits.description_limit == defaults.description_limit == 1500
    assert limits.supported_mime_types is None  # nothing refused client-side
    assert any(r.levelno == logging.DEBUG for r in caplog.records)


def test_malformed_values_are_skipped_one_by_one(caplog: pytest.LogCaptureFixture) -> None:
    doc = {
        "configuration": {
            "statuses": {"max_characters": "500", "max_media_attachments": True},
            "media_attachments": {
                "description_limit": -3,
                "video_size_limit": 1000,
                "supported_mime_types": ["image/png", 7],
            },
        }
    }
    with caplog.at_level(logging.DEBUG, logger="asyncmedia"):
        limits = limits_from_instance(doc)
    assert (limits.max_characters, limits.max_media_attachments) == (500, 4)
    assert limits.description_limit == 1500 and limits.video_size_limit == 1000
    assert limits.supported_mime_types is None
    assert len(caplog.records) == 4


def test_read_instance_404_means_try_v1_and_errors_mean_defaults() -> None:
    assert PROTO.read_instance(response(404, {"error": "Record not found"})) is None
    assert PROTO.read_instance(response(500, b"oops")) == InstanceLimits()
    private = response(401, {"error": "This method requires an authenticated user"})
    assert PROTO.read_instance(private) == InstanceLimits()
    doc = {"configuration": {"statuses": {"max_characters": 11}}}
    assert PROTO.read_instance(response(200, doc), 1).max_characters == 11  # type: ignore[union-attr]


def test_override_lets_explicit_values_win() -> None:
    limits = InstanceLimits(max_characters=5000, description_limit=10000)
    assert limits.override(max_characters=None, description_limit=42) == InstanceLimits(
        max_characters=5000, description_limit=42
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("https://example.com", 23),
        ("read https://example.com/a/b?c=d#e.", 5 + 23 + 1),  # the final "." is not the URL's
        ("(see https://en.wikipedia.org/wiki/Cat_(disambiguation))", 1 + 4 + 23 + 1),
        ("www.example.com is not linked without a scheme", 46),
        ("x" * 10 + "https://glued.example", 10 + 21),  # glued to a word: not a URL
        ("@alice@social.example hi", 6 + 3),
        ("@alice hi", 9),
        ("mail bob@example.com", 20),
        ("e\u0301", 1),  # e + combining acute: one grapheme
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", 1),  # family (ZWJ)
        ("\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 2),  # two flags
        ("\U0001f44d\U0001f3fd", 1),  # thumbs up + skin tone
        ("a\r\nb", 3),
        ("\u1100\u1161\u11a8", 1),  # Hangul L V T jamo: one syllable
        ("1\ufe0f\u20e3", 1),  # keycap
    ],
)
def test_status_length_counts_as_mastodon_does(text: str, expected: int) -> None:
    assert status_length(text) == expected


def test_spoiler_text_counts_and_the_url_weight_comes_from_the_instance() -> None:
    assert status_length("body", "CW: cats") == 12
    assert status_length("https://example.com/x", characters_reserved_per_url=30) == 30
    assert grapheme_count("naïve") == 5


def test_status_request_sends_only_what_was_given() -> None:
    request = PROTO.status("Hello", ["1", "2"], idempotency_key="k-1")
    assert request.method == "POST" and str(request.url).endswith("/api/v1/statuses")
    assert request.form == (("status", "Hello"), ("media_ids[]", "1"), ("media_ids[]", "2"))
    assert request.headers == (("Idempotency-Key", "k-1"),)
    assert request.retry_safe and request.signed
    full = PROTO.status(
        "",
        ["9"],
        idempotency_key="k-2",
        in_reply_to_id=Post("mastodon", "77", None),
        sensitive=True,
        spoiler_text="CW",
        visibility="unlisted",
        language="fr",
    )
    assert dict(full.form or ()) == {
        "status": "",
        "media_ids[]": "9",
        "in_reply_to_id": "77",
        "sensitive": "true",
        "spoiler_text": "CW",
        "visibility": "unlisted",
        "language": "fr",
    }
    with pytest.raises(ValueError, match="visibility"):
        PROTO.status("x", idempotency_key="k", visibility="everyone")
    with pytest.raises(ValueError, match="Idempotency-Key"):
        PROTO.status("x", idempotency_key="")


def test_reply_status_id_takes_posts_and_ids() -> None:
    assert reply_status_id("109348752103465132") == "109348752103465132"
    assert reply_status_id(42) == "42"
    assert reply_status_id(Post("mastodon", "5", "https://m.example/@a/5")) == "5"
    bluesky = Post("bluesky", "at://did:plc:x/app.bsky.feed.post/1", None)
    for bad in ("", "../1", None, 1.5, bluesky):
        with pytest.raises(ValueError, match="reply_to"):
            reply_status_id(bad)


def test_read_status() -> None:
    status = {"id": "11", "url": "https://m.example/@a/11", "content": "<p>hi</p>"}
    assert PROTO.read_status(response(200, status)) == ("11", "https://m.example/@a/11", status)
    not_ready = "Cannot attach files that have not finished processing. Try again in a moment!"
    with pytest.raises(APIError) as refused:
        PROTO.read_status(response(422, {"error": not_ready}))
    assert refused.value.status == 422 and "finished processing" in refused.value.message
    with pytest.raises(APIError) as malformed:
        PROTO.read_status(response(200, {"url": "x"}))
    assert malformed.value.status == 502


ODD_STATUS_IDS = ["", "../x", "a b", "²", "é1", "1" * 65, True, 1.5, None]


@pytest.mark.parametrize("odd", ODD_STATUS_IDS)
def test_odd_status_ids_are_refused_everywhere(odd: object) -> None:
    # Status and media ids go through the shared opaque_id (ASCII letters and digits), as
    # attachment ids do: str.isalnum() took "²" and "é1".
    protocol = MastodonProtocol("https://mastodon.example")
    with pytest.raises(APIError) as caught:
        protocol.read_status(response(200, {"id": odd, "url": "https://x"}))
    assert caught.value.status == 502
    with pytest.raises(ValueError, match="status id"):
        reply_status_id(odd)
    if isinstance(odd, str):
        with pytest.raises(ValueError, match="alphanumeric"):
            protocol.media_url(odd)
