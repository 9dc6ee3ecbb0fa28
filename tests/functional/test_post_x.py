"""MediaClient.post against the sandbox, X API v2 (``POST /2/tweets``) and v1.1
(``statuses/update.json``): the sandbox received the exact media (sha256) and the exact Tweet
fields, bad arguments fail before any request, and a lost answer never makes a second Tweet."""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from png_files import GRAY, png_file
from yarl import URL

from asyncmedia import (
    APIError,
    AuthenticationError,
    Media,
    MediaClient,
    Post,
    PostingClient,
    PostMayExist,
    ServiceUnavailable,
)
from asyncmedia.auth import OAuth1
from asyncmedia.sandbox import Fault, Sandbox


def png(seed: int = 0, width: int = 40, height: int = 30) -> bytes:
    rows = (bytes((x * y + seed) % 256 for x in range(width)) for y in range(height))
    return png_file(width, height, rows, colour=GRAY)


def mp4(size: int = 1_200_000) -> bytes:
    head = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    return head + (hashlib.sha256(b"clip").digest() * (size // 32 + 1))[: size - len(head)]


def gif(size: int = 50_000) -> bytes:
    head = b"GIF89a" + struct.pack("<HH", 32, 32) + b"\x00\x00\x00"
    return head + bytes(size - len(head))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=[2, 1], ids=["v2", "v1.1"])
async def client(request: pytest.FixtureRequest, sandbox: Sandbox) -> AsyncIterator[MediaClient]:
    version = request.param
    urls = (
        {"upload_url": sandbox.x2_url}
        if version == 2
        else {"upload_url": sandbox.url, "api_url": sandbox.url}
    )
    async with MediaClient(**sandbox.credentials, api_version=version, **urls) as c:
        yield c


def upload_record(sandbox: Sandbox, client: MediaClient, media_id: str) -> Any:
    if client.api_version == 2:
        assert sandbox.twitter_v2 is not None
        return sandbox.twitter_v2.uploads[media_id]
    return sandbox.uploads[int(media_id)]


def sent_fields(client: MediaClient, raw: Any) -> dict[str, Any]:
    """The Tweet fields as the sandbox received them, in one shape for both versions."""
    if client.api_version == 2:
        fields = {"text": raw.get("text", "")}
        if "media" in raw:
            fields["media_ids"] = raw["media"]["media_ids"]
        if "reply" in raw:
            fields["reply_to"] = raw["reply"]["in_reply_to_tweet_id"]
        return fields
    fields = {"text": raw["status"]}
    if "media_ids" in raw:
        fields["media_ids"] = raw["media_ids"].split(",")
    if "in_reply_to_status_id" in raw:
        fields["reply_to"] = raw["in_reply_to_status_id"]
    return fields


def tweet_requests(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.command == "TWEET"]


async def test_client_is_a_posting_client(client: MediaClient) -> None:
    assert isinstance(client, PostingClient) and MediaClient.service == "x"


async def test_text_only(client: MediaClient, sandbox: Sandbox) -> None:
    post = await client.post("Hello from asyncmedia")
    assert isinstance(post, Post) and post.service == "x" and post.media == ()
    assert post.url == f"https://x.com/i/web/status/{post.id}"
    (record,) = sandbox.posts
    assert record.service == "x" and record.text == "Hello from asyncmedia"
    assert list(record.media_ids) == [] and list(record.alt_texts) == []
    assert sent_fields(client, record.raw) == {"text": "Hello from asyncmedia"}
    if client.api_version == 2:
        assert post.raw["data"]["id"] == post.id and post.raw["data"]["text"] == record.text
        assert post.raw["data"]["edit_history_tweet_ids"] == [post.id]
    else:
        assert post.raw["id_str"] == post.id and post.raw["text"] == record.text
    (request,) = tweet_requests(sandbox)
    assert request.authenticated and request.status in (200, 201)
    assert request.path == ("/2/tweets" if client.api_version == 2 else "/1.1/statuses/update.json")


async def test_one_image_with_alt_text(client: MediaClient, sandbox: Sandbox) -> None:
    data = png(1)
    post = await client.post("Our cat, today", [data], alt_texts=["A cat on a sofa"])
    (media,) = post.media
    assert isinstance(media, Media) and media.media_type == "image/png"
    assert upload_record(sandbox, client, media.media_id_string).sha256 == sha(data)
    (record,) = sandbox.posts
    assert list(record.media_ids) == [media.media_id_string]
    assert list(record.alt_texts) == ["A cat on a sofa"]
    assert sent_fields(client, record.raw) == {
        "text": "Our cat, today",
        "media_ids": [media.media_id_string],
    }


async def test_four_images_in_order(client: MediaClient, sandbox: Sandbox) -> None:
    images = [png(seed) for seed in range(4)]
    alts = ["first", None, "third", None]
    post = await client.post("Four", images, alt_texts=alts)
    ids = [m.media_id_string for m in post.media]
    assert [upload_record(sandbox, client, i).sha256 for i in ids] == [sha(d) for d in images]
    (record,) = sandbox.posts
    assert list(record.media_ids) == ids and list(record.alt_texts) == alts
    assert sent_fields(client, record.raw)["media_ids"] == ids


async def test_one_video_after_processing(client: MediaClient, sandbox: Sandbox) -> None:
    data = mp4()
    post = await client.post("A clip", [data], chunk_size=512 * 1024)
    (media,) = post.media
    record = upload_record(sandbox, client, media.media_id_string)
    assert record.sha256 == sha(data) and record.chunked and record.state == "succeeded"
    assert media.processing_info == {"state": "succeeded", "progress_percent": 100}
    assert media.media_key and media.size == len(data)
    # Processing had finished before the Tweet was sent: STATUS polls, then the Tweet.
    commands = [r.command for r in sandbox.requests]
    assert commands[-1] == "TWEET" and "STATUS" in commands
    assert list(sandbox.posts[0].media_ids) == [media.media_id_string]


async def test_reply_to_a_post_and_to_an_id(client: MediaClient, sandbox: Sandbox) -> None:
    first = await client.post("Thread start")
    second = await client.post("Second", reply_to=first)
    third = await client.post("Third", [png(7)], reply_to=int(second.id))
    assert [sent_fields(client, p.raw).get("reply_to") for p in sandbox.posts] == [
        None,
        first.id,
        second.id,
    ]
    if client.api_version == 1:
        assert sandbox.posts[1].raw["auto_populate_reply_metadata"] == "true"
        assert third.raw["in_reply_to_status_id_str"] == second.id
    else:
        assert third.raw["data"]["id"] == third.id


async def test_gif_alone(client: MediaClient, sandbox: Sandbox) -> None:
    data = gif()
    post = await client.post("", [data])
    assert upload_record(sandbox, client, post.media[0].media_id_string).sha256 == sha(data)
    assert sandbox.posts[0].text == ""


@pytest.mark.parametrize(
    ("text", "media", "kwargs", "words"),
    [
        ("five", [png(i) for i in range(5)], {}, "at most 4 images"),
        ("mixed", [mp4(), png()], {}, "a video alone"),
        ("two videos", [mp4(), mp4()], {}, "a video alone"),
        ("gif and png", [gif(), png()], {}, "a GIF alone"),
        ("alts", [png()], {"alt_texts": ["a", "b"]}, "alt_texts has 2 entries"),
        ("long alt", [png()], {"alt_texts": ["x" * 1001]}, "alt_text is 1001"),
        ("video alt", [mp4()], {"alt_texts": ["a clip"]}, "images and GIFs only"),
        ("a" * 281, [], {}, "281 characters as X counts them"),
        ("日" * 141, [], {}, "282 characters"),
        ("look " + "https://example.com/x " * 12, [], {}, "characters as X counts them"),
        ("", [], {}, "nothing to post"),
        ("bad reply", [], {"reply_to": "abc"}, "Tweet id"),
        (
            "not a tweet",
            [],
            {"reply_to": Post(service="mastodon", id="1", url=None)},
            "mastodon post",
        ),
        ("chunks", [png()], {"chunk_size": 10}, "chunk_size"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    client: MediaClient,
    sandbox: Sandbox,
    text: str,
    media: list[bytes],
    kwargs: dict[str, Any],
    words: str,
) -> None:
    with pytest.raises(ValueError, match=words):
        await client.post(text, media, **kwargs)
    assert sandbox.requests == [] and sandbox.posts == []


@pytest.mark.parametrize(
    ("text", "media", "kwargs", "tail"),
    [
        (
            "five",
            [png(i) for i in range(5)],
            {},
            "split them over several Tweets (e.g. a reply thread)",
        ),
        ("gif and png", [gif(), png()], {}, "post a GIF on its own, or up to 4 images without it"),
        ("long alt", [png()], {"alt_texts": ["x" * 1001]}, "the limit is 1000: shorten it"),
        ("video alt", [mp4()], {"alt_texts": ["a clip"]}, "give None as the alt text of a video"),
        ("a" * 281, [], {}, "shorten it, or split it over several Tweets (e.g. a reply thread)"),
    ],
)
async def test_every_post_limit_says_what_to_do(
    client: MediaClient,
    sandbox: Sandbox,
    text: str,
    media: list[bytes],
    kwargs: dict[str, Any],
    tail: str,
) -> None:
    with pytest.raises(ValueError, match=re.escape(tail) + "$"):
        await client.post(text, media, **kwargs)
    assert sandbox.posts == []


async def test_unknown_upload_option_is_a_type_error(client: MediaClient, sandbox: Sandbox) -> None:
    with pytest.raises(TypeError, match="unexpected keyword"):
        await client.post("hi", [png()], sensitive=True)
    assert sandbox.requests == []


async def test_url_heavy_text_within_280_is_accepted(client: MediaClient, sandbox: Sandbox) -> None:
    # 300 characters by len(), 11 + 23 + 1 by X's count.
    text = "Read this: https://example.com/" + "a" * 269 + " !"
    assert len(text) > 280
    await client.post(text)
    assert sandbox.posts[0].text == text


# --- never a double post ---------------------------------------------------------------------


async def test_timeout_after_sending_raises_post_may_exist_and_posts_once(
    sandbox: Sandbox,
) -> None:
    sandbox.inject(Fault(command="TWEET", delay=0.8))
    async with MediaClient(
        **sandbox.credentials, api_version=2, upload_url=sandbox.x2_url, request_timeout=0.3
    ) as client:
        with pytest.raises(PostMayExist) as caught:
            await client.post("Did it post?", [png(1), png(2)], alt_texts=["one", None])
    error = caught.value
    assert error.service == "x" and error.request_sent
    assert error.media_ids == tuple(m.media_id_string for m in error.media)
    assert len(error.media_ids) == 2 and "post(text, media=exc.media)" in str(error)
    for _ in range(100):  # the sandbox finishes the delayed request on its own time
        if tweet_requests(sandbox):
            break
        await asyncio.sleep(0.05)
    # One Tweet request only (no retry after it may have arrived), so one Tweet at most.
    assert len(tweet_requests(sandbox)) == 1
    assert len(sandbox.posts) == 1 and list(sandbox.posts[0].media_ids) == list(error.media_ids)


async def test_dropped_answer_then_retry_with_the_same_media(
    client: MediaClient, sandbox: Sandbox
) -> None:
    sandbox.inject(Fault(command="TWEET", drop=True))
    images = [png(3), png(4)]
    with pytest.raises(PostMayExist) as caught:
        await client.post("Second try", images, alt_texts=["three", "four"])
    assert sandbox.posts == [] and len(tweet_requests(sandbox)) == 1
    uploads_before = [r for r in sandbox.requests if r.command != "TWEET"]
    # Retry the Tweet alone: the uploaded Media objects are not uploaded again.
    post = await client.post("Second try", caught.value.media)
    assert [m.media_id_string for m in post.media] == list(caught.value.media_ids)
    assert [r for r in sandbox.requests if r.command != "TWEET"] == uploads_before
    (record,) = sandbox.posts
    assert list(record.media_ids) == list(caught.value.media_ids)
    assert list(record.alt_texts) == ["three", "four"]  # set by the first call's metadata


async def test_over_capacity_503_is_retried_once_posted(
    client: MediaClient, sandbox: Sandbox
) -> None:
    sandbox.inject(Fault(command="TWEET", status=503))
    await client.post("Busy day")
    assert [r.status for r in tweet_requests(sandbox)] == [503, post_status(client)]
    assert len(sandbox.posts) == 1


async def test_rate_limited_tweet_is_waited_out(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="TWEET", status=429, reset_in=0))
    await client.post("Patient")
    assert [r.status for r in tweet_requests(sandbox)] == [429, post_status(client)]
    assert len(sandbox.posts) == 1


async def test_500_is_not_retried(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="TWEET", status=500))
    with pytest.raises(APIError) as caught:
        await client.post("Maybe")
    assert caught.value.status == 500 and not isinstance(caught.value, ServiceUnavailable)
    assert len(tweet_requests(sandbox)) == 1


def post_status(client: MediaClient) -> int:
    return 201 if client.api_version == 2 else 200


# --- the sandbox's own checks ----------------------------------------------------------------


async def raw_post(
    client: MediaClient, text: str, ids: tuple[str, ...], reply: str | None = None
) -> APIError:
    request = client.protocol.create_post(text, ids, reply)
    response = await client.transport.send(request)
    with pytest.raises(APIError) as caught:
        client.protocol.read_post(response)
    return caught.value


async def test_sandbox_refuses_unknown_and_unprocessed_media(
    client: MediaClient, sandbox: Sandbox
) -> None:
    unknown = await raw_post(client, "x", ("1234567890",))
    assert unknown.status == 400
    if client.api_version == 1:
        assert unknown.code == 324
    # A video whose processing has not finished: INIT only.
    init = client.protocol.init(
        total_bytes=1000, media_type="video/mp4", media_category="tweet_video", additional_owners=()
    )
    media = client.protocol.read_media(await client.transport.send(init))
    unprocessed = await raw_post(client, "x", (media.media_id_string,))
    assert unprocessed.status == 400
    assert sandbox.posts == []


async def test_sandbox_refuses_too_many_mixed_and_long(
    client: MediaClient, sandbox: Sandbox
) -> None:
    images = [await client.upload_media(png(seed)) for seed in range(5)]
    ids = tuple(m.media_id_string for m in images)
    assert (await raw_post(client, "five", ids)).status == 400
    clip = await client.upload_media(mp4(300_000))
    assert (await raw_post(client, "mixed", (ids[0], clip.media_id_string))).status == 400
    too_long = await raw_post(client, "日" * 141, ())
    assert too_long.status in (400, 403)
    assert sandbox.posts == []


async def test_sandbox_refuses_duplicate_content(client: MediaClient, sandbox: Sandbox) -> None:
    await client.post("Same words")
    with pytest.raises(APIError, match="uplicate") as caught:
        await client.post("Same words")
    assert caught.value.status == 403
    if client.api_version == 1:
        assert caught.value.code == 187
    assert len(sandbox.posts) == 1


async def test_v1_update_signature_covers_the_form_fields(sandbox: Sandbox) -> None:
    """statuses/update.json is urlencoded: a signature made without its fields is refused."""
    url = sandbox.url + "statuses/update.json"
    signer = OAuth1(**sandbox.credentials)
    form = "status=Signed%20wrongly"
    async with aiohttp.ClientSession() as session:
        headers = dict(signer.sign("POST", URL(url), form=None))  # the fields left out
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        async with session.post(url, data=form, headers=headers) as response:
            assert response.status == 401
            body = await response.json()
    assert body["errors"][0]["code"] == 32 and sandbox.posts == []
    async with MediaClient(**sandbox.credentials, api_url=sandbox.url, upload_url=sandbox.url) as c:
        await c.post("Signed rightly")
    assert [p.text for p in sandbox.posts] == ["Signed rightly"]


async def test_bad_credentials_on_the_tweet(sandbox: Sandbox) -> None:
    async with MediaClient(
        bearer_token="not-the-token", api_version=2, upload_url=sandbox.x2_url
    ) as client:
        with pytest.raises(AuthenticationError):
            await client.post("Who am I")
    assert sandbox.posts == []
