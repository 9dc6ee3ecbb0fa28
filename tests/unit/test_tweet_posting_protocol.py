"""Sans-I/O parts of posting a Tweet: twitter-text v3 counting, the media-per-Tweet rule, the
v1.1/v2 Tweet requests and answers, and the Media kept after STATUS polling."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from asyncmedia.errors import APIError
from asyncmedia.media import Media
from asyncmedia.protocols.http import HTTPResponse
from asyncmedia.protocols.media_rules import after_processing, check_post_media
from asyncmedia.protocols.tweet_text import find_urls, weighted_length
from asyncmedia.protocols.twitter_v1 import TwitterV1Protocol
from asyncmedia.protocols.twitter_v2 import TwitterV2Protocol


def answer(status: int, body: object) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "", CIMultiDict({"Content-Type": "application/json"}), raw)


# --- twitter-text v3 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("a" * 280, 280),
        ("café", 4),  # NFC: one code point
        ("cafe\u0301", 4),  # NFD input is normalised first
        ("Привет", 6),  # Cyrillic is in the 0-4351 range: weight 1
        ("日本語", 6),  # CJK weighs 2
        ("한국어", 6),  # Hangul too
        ("“quotes” – dash…", 17),  # U+2010-201F weigh 1; the ellipsis U+2026 is outside: 2
        ("😀", 2),
        ("👍🏽", 2),  # emoji + skin tone: one emoji
        ("👨\u200d👩\u200d👧", 2),  # ZWJ family: one emoji
        ("🇫🇷", 2),  # a flag: two regional indicators, one emoji
        ("1\ufe0f\u20e3", 2),  # keycap
        ("©", 1),  # (c) without VS16 is Latin-1
        ("https://example.com/a/very/long/path/that/goes/on?and=on#x", 23),
        ("see example.com", 4 + 23),
        ("two http://a.io/x http://b.io/y", 4 + 23 + 1 + 23),
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text).weighted == expected


def test_limits_and_validity() -> None:
    assert weighted_length("a" * 280).valid
    assert not weighted_length("a" * 281).valid
    assert weighted_length("日" * 140).valid
    assert not weighted_length("日" * 141).valid
    assert not weighted_length("").valid
    # Twelve long URLs count 23 each: 12*23 + 11 spaces = 287, too long however short the text.
    assert not weighted_length(" ".join(["https://x.co/a"] * 12)).valid
    long_url = "https://example.com/" + "a" * 400
    assert weighted_length(long_url).valid and weighted_length(long_url).weighted == 23


def test_urls_lose_trailing_punctuation() -> None:
    text = "Read https://example.com/page. Or (see https://en.wikipedia.org/wiki/A_(b))!"
    assert [text[s:e] for s, e in find_urls(text)] == [
        "https://example.com/page",
        "https://en.wikipedia.org/wiki/A_(b)",
    ]
    assert find_urls("mail me at someone@example.com") == []
    assert find_urls("no url here.") == []


# --- media per Tweet -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kinds",
    [
        [],
        ["image/png"],
        ["image/png", "image/jpeg", "image/webp", "image/png"],
        ["video/mp4"],
        ["image/gif"],
        [None, "image/png"],
    ],
)
def test_media_that_fits(kinds: list[str | None]) -> None:
    check_post_media(kinds)


@pytest.mark.parametrize(
    ("kinds", "words"),
    [
        (["image/png"] * 5, "at most 4 images"),
        (["video/mp4", "video/mp4"], "a video alone"),
        (["video/mp4", "image/png"], "a video alone"),
        (["image/gif", "image/png"], "a GIF alone"),
        (["image/gif", "image/gif"], "a GIF alone"),
    ],
)
def test_media_that_does_not_fit(kinds: list[str | None], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_post_media(kinds)


# --- requests and answers --------------------------------------------------------------------


def test_v2_tweet_request() -> None:
    proto = TwitterV2Protocol("https://api.x.com/2/")
    request = proto.create_post("Our cat", ("1455952740635586573", "2"), "1234")
    assert request.method == "POST" and str(request.url) == "https://api.x.com/2/tweets"
    assert request.json == {
        "text": "Our cat",
        "media": {"media_ids": ["1455952740635586573", "2"]},
        "reply": {"in_reply_to_tweet_id": "1234"},
    }
    # Not idempotent: never retried after it may have arrived; 503 means X refused first.
    assert not request.retry_safe and request.retry_statuses == frozenset({503})
    assert request.form is None and not request.is_multipart
    assert proto.create_post("", ("9",), None).json == {"media": {"media_ids": ["9"]}}
    assert proto.create_post("hi", (), None).json == {"text": "hi"}


def test_v2_tweet_answers() -> None:
    proto = TwitterV2Protocol()
    body = {"data": {"id": "1445880548472328192", "text": "hi", "edit_history_tweet_ids": ["1"]}}
    tweet_id, raw = proto.read_post(answer(201, body))
    assert tweet_id == "1445880548472328192" and raw == body
    duplicate = {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "status": 403,
        "title": "Forbidden",
        "type": "about:blank",
    }
    with pytest.raises(APIError, match="duplicate content") as caught:
        proto.read_post(answer(403, duplicate))
    assert caught.value.status == 403
    invalid = {
        "errors": [{"parameters": {"media.media_ids": ["1"]}, "message": "Bad media id"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    with pytest.raises(APIError, match="Bad media id"):
        proto.read_post(answer(400, invalid))
    with pytest.raises(APIError):
        proto.read_post(answer(200, {"errors": [{"message": "nope"}]}))
    with pytest.raises(APIError) as malformed:
        proto.read_post(answer(201, {"data": {}}))
    assert malformed.value.status == 502


def test_v1_update_request_is_urlencoded_and_so_signed() -> None:
    proto = TwitterV1Protocol("https://upload.twitter.com/1.1/", "https://api.twitter.com/1.1/")
    request = proto.create_post("Our cat", ("11", "22"), "33")
    assert str(request.url) == "https://api.twitter.com/1.1/statuses/update.json"
    assert request.form == (
        ("status", "Our cat"),
        ("media_ids", "11,22"),
        ("in_reply_to_status_id", "33"),
        ("auto_populate_reply_metadata", "true"),
    )
    assert not request.is_multipart and request.json is None
    assert not request.retry_safe and request.retry_statuses == frozenset({503})
    assert proto.create_post("hi", (), None).form == (("status", "hi"),)


def test_v1_update_answers() -> None:
    proto = TwitterV1Protocol("https://upload.twitter.com/1.1/", "https://api.twitter.com/1.1/")
    tweet_id, tweet = proto.read_post(
        answer(200, {"id": 1149914662164684800, "id_str": "1149914662164684800"})
    )
    assert tweet_id == "1149914662164684800" and tweet["id"] == 1149914662164684800
    with pytest.raises(APIError) as duplicate:
        proto.read_post(
            answer(403, {"errors": [{"code": 187, "message": "Status is a duplicate."}]})
        )
    assert duplicate.value.code == 187


def test_media_after_processing_keeps_finalize_fields() -> None:
    finalized = Media(
        media_id=7,
        media_id_string="7",
        size=1577963,
        expires_after_secs=86400,
        processing_info={"state": "pending", "check_after_secs": 1},
        media_key="7_7",
        media_type="video/mp4",
    )
    status = Media(
        media_id=7,
        media_id_string="7",
        expires_after_secs=3593,
        processing_info={"state": "succeeded", "progress_percent": 100},
        raw={"processing_info": {"state": "succeeded"}},
    )
    final = after_processing(finalized, status)
    assert final.media_key == "7_7" and final.size == 1577963
    assert final.expires_after_secs == 86400 and final.media_type == "video/mp4"
    assert final.processing_info == {"state": "succeeded", "progress_percent": 100}
    assert final.raw == {"processing_info": {"state": "succeeded"}}
    bare = Media(media_id=7, media_id_string="7")
    assert after_processing(bare, status).expires_after_secs == 3593


ODD_TWEET_IDS = ["²", "١٢", " 12", "12 ", "-1", "1_000", "", "1" * 21, True, 1.5, None]


@pytest.mark.parametrize("odd", ODD_TWEET_IDS)
def test_odd_tweet_ids_in_answers_are_malformed_answers(odd: object) -> None:
    # Ids go through the shared numeric_id, as media ids do: str.isdigit() took "²" and "١٢".
    v2 = TwitterV2Protocol()
    with pytest.raises(APIError) as caught:
        v2.read_post(answer(201, {"data": {"id": odd, "text": "hi"}}))
    assert caught.value.status == 502
    v1 = TwitterV1Protocol("https://upload.twitter.com/1.1/", "https://api.twitter.com/1.1/")
    with pytest.raises(APIError) as caught:
        v1.read_post(answer(200, {"id_str": odd}))
    assert caught.value.status == 502


@pytest.mark.parametrize("odd", ["²", "١٢", " 12", "-1", "1_000", "1" * 21])
def test_odd_reply_ids_and_media_ids_are_refused(odd: str) -> None:
    from asyncmedia.client import _tweet_id

    with pytest.raises(ValueError, match="Tweet id"):
        _tweet_id(odd)
    with pytest.raises(ValueError, match="digit string"):
        TwitterV2Protocol().finalize(odd)
