"""Bluesky post parts without a network: facets, graphemes, limits, embeds, tokens, refs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from multidict import CIMultiDict

from asyncmedia.errors import AuthenticationError, RejectedMediaSize
from asyncmedia.media import Blob
from asyncmedia.protocols.bluesky import (
    BlueskyProtocol,
    check_alt_lengths,
    check_post_media,
    check_post_text,
    created_at,
    grapheme_count,
    images_embed,
    jwt_claims,
    link_facets,
    parse_at_uri,
    post_record,
    post_web_url,
    video_embed,
)
from asyncmedia.protocols.http import HTTPResponse

PROTO = BlueskyProtocol("https://pds.example")
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦


def response(status: int, body: object) -> HTTPResponse:
    return HTTPResponse(status, "", CIMultiDict(), json.dumps(body).encode())


def span(text: str, facet: dict[str, object]) -> str:
    index = facet["index"]
    assert isinstance(index, dict)
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def uris(text: str) -> list[str]:
    return [facet["features"][0]["uri"] for facet in link_facets(text)]


# -- facets ---------------------------------------------------------------------------------


def test_link_facet_offsets_are_utf8_bytes() -> None:
    text = "Café ☕ → https://example.com/ç?q=1 fin"
    (facet,) = link_facets(text)
    start = len("Café ☕ → ".encode())
    assert facet["index"] == {
        "byteStart": start,
        "byteEnd": start + len("https://example.com/ç?q=1".encode()),
    }
    assert start != len("Café ☕ → ")  # character offsets would be wrong
    assert facet["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/ç?q=1"}
    ]
    assert span(text, facet) == "https://example.com/ç?q=1"


def test_trailing_punctuation_is_not_part_of_the_link() -> None:
    for mark in ".,;:!?":
        text = f"Read https://example.com/a{mark}"
        (facet,) = link_facets(text)
        assert span(text, facet) == "https://example.com/a"
    # Only one mark is dropped, as in the official app.
    assert uris("see https://example.com/a..") == ["https://example.com/a."]
    # A closing parenthesis goes when the link has no opening one, stays when it has.
    assert uris("(see https://example.com/a)") == ["https://example.com/a"]
    assert uris("https://en.wikipedia.org/wiki/Cat_(disambiguation)") == [
        "https://en.wikipedia.org/wiki/Cat_(disambiguation)"
    ]


def test_several_links_each_get_a_facet_in_order() -> None:
    text = f"{FAMILY} http://a.example/1, then HTTPS://b.example/2 and https://c.example."
    facets = link_facets(text)
    assert [span(text, facet) for facet in facets] == [
        "http://a.example/1",
        "HTTPS://b.example/2",
        "https://c.example",
    ]
    starts = [facet["index"]["byteStart"] for facet in facets]
    assert starts == sorted(starts) and starts[0] == len(FAMILY.encode()) + 1


def test_what_is_not_a_link() -> None:
    assert link_facets("no links here, example.com is bare") == []
    assert link_facets("mailto:someone@example.com ftp://example.com") == []
    assert link_facets("word:https://example.com") == []  # not after whitespace or "("
    assert link_facets("https://") == []


# -- graphemes and limits -------------------------------------------------------------------


def test_graphemes_counted_as_the_pds_counts() -> None:
    assert grapheme_count(FAMILY) == 1 and len(FAMILY) == 7
    assert grapheme_count("\U0001f1eb\U0001f1f7") == 1  # a flag: two regional indicators
    assert grapheme_count("e\u0301") == 1  # e + combining acute
    assert grapheme_count("\U0001f44d\U0001f3fd") == 1  # thumbs up + skin tone
    assert grapheme_count("한국어") == 3
    assert grapheme_count("") == 0


def test_text_limits() -> None:
    check_post_text("e\u0301" * 300, has_media=False)  # 600 code points, 300 graphemes
    with pytest.raises(ValueError, match="301 graphemes"):
        check_post_text("e\u0301" * 301, has_media=False)
    heavy = ("e" + "\u0301" * 20) * 100  # 100 graphemes, 4100 bytes
    with pytest.raises(ValueError, match="4100 bytes"):
        check_post_text(heavy, has_media=False)
    check_post_text(FAMILY * 120, has_media=False)  # 120 graphemes, exactly 3000 bytes
    with pytest.raises(ValueError, match="text or media"):
        check_post_text("", has_media=False)
    check_post_text("", has_media=True)


def test_media_mix_rules() -> None:
    assert check_post_media([]) is None
    assert check_post_media(["image/png"] * 4) == "images"
    assert check_post_media(["video/mp4"]) == "video"
    with pytest.raises(ValueError, match="at most 4 images"):
        check_post_media(["image/png"] * 5)
    with pytest.raises(ValueError, match="one video"):
        check_post_media(["video/mp4", "video/mp4"])
    with pytest.raises(ValueError, match="not both"):
        check_post_media(["image/png", "video/mp4"])
    with pytest.raises(ValueError, match="neither"):
        check_post_media(["text/vtt"])


def test_alt_text_rules() -> None:
    check_alt_lengths([None, "", "x" * 5000])  # image alt texts: no lexicon limit
    check_alt_lengths([FAMILY * 1000], video=True)  # 1000 graphemes
    with pytest.raises(ValueError, match="1001 graphemes"):
        check_alt_lengths([FAMILY * 1001], video=True)
    with pytest.raises(ValueError, match=r"alt_texts\[1\] must be a str"):
        check_alt_lengths(["ok", b"bytes"])  # type: ignore[list-item]


def test_created_at_is_rfc3339_utc_with_milliseconds() -> None:
    moment = datetime(2026, 12, 1, 13, 0, 0, 5000, tzinfo=timezone(timedelta(hours=1)))
    assert created_at(moment) == "2026-12-01T12:00:00.005Z"
    now = created_at()
    assert now.endswith("Z") and len(now) == len("2026-12-01T12:00:00.000Z")
    parsed = datetime.fromisoformat(now.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5


# -- embeds and records ---------------------------------------------------------------------

BLOB = Blob("bafkreiaaa", "image/png", 10)


def test_images_embed_always_has_alt_and_aspect_ratio_where_known() -> None:
    embed = images_embed([BLOB, BLOB], ["A cat", None], [(640, 480), None])
    assert embed == {
        "$type": "app.bsky.embed.images",
        "images": [
            {"alt": "A cat", "image": BLOB.as_dict(), "aspectRatio": {"width": 640, "height": 480}},
            {"alt": "", "image": BLOB.as_dict()},
        ],
    }
    video = Blob("bafkreivid", "video/mp4", 99)
    assert video_embed(video, None, (1920, 1080)) == {
        "$type": "app.bsky.embed.video",
        "video": video.as_dict(),
        "alt": "",
        "aspectRatio": {"width": 1920, "height": 1080},
    }


def test_post_record_has_only_what_was_given() -> None:
    assert post_record("hi", created="2026-12-01T12:00:00.000Z") == {
        "$type": "app.bsky.feed.post",
        "text": "hi",
        "createdAt": "2026-12-01T12:00:00.000Z",
    }
    full = post_record(
        "hi https://x.example",
        created="2026-12-01T12:00:00.000Z",
        langs=["en"],
        facets=link_facets("hi https://x.example"),
        embed={"$type": "app.bsky.embed.images", "images": []},
        reply={
            "root": {"uri": "at://a/b/c", "cid": "x"},
            "parent": {"uri": "at://a/b/c", "cid": "x"},
        },
    )
    assert set(full) == {"$type", "text", "createdAt", "langs", "facets", "embed", "reply"}


def test_at_uris_and_web_urls() -> None:
    uri = "at://did:plc:abc123/app.bsky.feed.post/3l5bq6yyyyc2a"
    assert parse_at_uri(uri) == ("did:plc:abc123", "app.bsky.feed.post", "3l5bq6yyyyc2a")
    assert post_web_url(uri) == "https://bsky.app/profile/did:plc:abc123/post/3l5bq6yyyyc2a"
    for bad in ("https://bsky.app/profile/x/post/y", "at://did:plc:abc", "3l5bq6yyyyc2a"):
        with pytest.raises(ValueError, match="at://"):
            parse_at_uri(bad)


def test_reply_refs_take_the_parents_root() -> None:
    top = PROTO.reply_refs("at://d/app.bsky.feed.post/1", "cid1", {"text": "top"})
    assert top == {
        "root": {"uri": "at://d/app.bsky.feed.post/1", "cid": "cid1"},
        "parent": {"uri": "at://d/app.bsky.feed.post/1", "cid": "cid1"},
    }
    nested = PROTO.reply_refs("at://d/app.bsky.feed.post/2", "cid2", {"reply": top})
    assert nested["root"] == top["root"]
    assert nested["parent"] == {"uri": "at://d/app.bsky.feed.post/2", "cid": "cid2"}


# -- requests and answers -------------------------------------------------------------------


def test_refresh_session_sends_the_refresh_token_not_the_access_token() -> None:
    request = PROTO.refresh_session("refresh.jwt.here")
    assert str(request.url) == "https://pds.example/xrpc/com.atproto.server.refreshSession"
    assert request.headers == (("Authorization", "Bearer refresh.jwt.here"),)
    assert request.signed is False and request.json is None
    session = PROTO.read_session_info(
        response(200, {"accessJwt": "a", "refreshJwt": "r", "did": "did:plc:x", "handle": "h"})
    )
    assert (session.access_jwt, session.refresh_jwt, session.did, session.handle) == (
        "a",
        "r",
        "did:plc:x",
        "h",
    )


def test_create_and_get_record_requests() -> None:
    create = PROTO.create_record("did:plc:x", {"text": "hi"})
    assert str(create.url) == "https://pds.example/xrpc/com.atproto.repo.createRecord"
    assert create.json == {
        "repo": "did:plc:x",
        "collection": "app.bsky.feed.post",
        "record": {"text": "hi"},
    }
    assert create.retry_safe is False and create.signed
    get = PROTO.get_record("at://did:plc:x/app.bsky.feed.post/3kabc")
    assert get.method == "GET" and get.retry_safe
    assert dict(get.url.query) == {
        "repo": "did:plc:x",
        "collection": "app.bsky.feed.post",
        "rkey": "3kabc",
    }
    uri = "at://did:plc:x/app.bsky.feed.post/3kabc"
    assert PROTO.read_created(response(200, {"uri": uri, "cid": "bafy"})) == (uri, "bafy")
    assert PROTO.read_record(response(200, {"uri": uri, "cid": "c", "value": {"text": "t"}})) == (
        uri,
        "c",
        {"text": "t"},
    )


def test_payload_too_large_is_rejected_media_size_and_expired_token_auth() -> None:
    with pytest.raises(RejectedMediaSize) as caught:
        PROTO.read_blob(
            response(413, {"error": "PayloadTooLarge", "message": "request entity too large"}),
            size=6_000_000,
        )
    assert caught.value.status == 413 and caught.value.size == 6_000_000
    with pytest.raises(AuthenticationError):
        PROTO.read_created(response(400, {"error": "ExpiredToken", "message": "Token has expired"}))


def jwt(payload: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'at+jwt'})}.{part(payload)}.c2lnbmF0dXJl"


def test_jwt_claims_are_read_without_verifying() -> None:
    claims = {"scope": "com.atproto.access", "sub": "did:plc:x", "iat": 1, "exp": 7201}
    assert jwt_claims(jwt(claims)) == claims
    for not_jwt in ("opaque-token", "a.b.c", "", None, "e30.W10.x"):  # W10 is "[]"
        assert jwt_claims(not_jwt) is None
