"""MastodonClient.post and the instance limits against the sandbox's Mastodon, over real HTTP:
the sandbox checks what arrived (sha256 of every file, the exact status fields)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from service_samples import mp4_bytes, png_bytes, sha

from asyncmedia import (
    APIError,
    MastodonClient,
    MastodonMedia,
    MediaTooLarge,
    Post,
    PostingClient,
    UnsupportedMediaType,
    crosspost,
)
from asyncmedia.sandbox import Fault, MastodonService, RequestRecord, Sandbox
from asyncmedia.services.mastodon import StatusMayExist


def service(sandbox: Sandbox) -> MastodonService:
    assert sandbox.mastodon is not None
    return sandbox.mastodon


def is_instance(record: RequestRecord) -> bool:
    return record.path.rstrip("/").endswith("/instance")


def status_requests(sandbox: Sandbox) -> list[RequestRecord]:
    return [r for r in sandbox.requests if r.path.endswith("/api/v1/statuses")]


def jpeg_bytes(width: int = 320, height: int = 240, seed: int = 0) -> bytes:
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(9)
    filler = hashlib.sha256(bytes([seed])).digest() * 300
    return b"\xff\xd8" + sof0 + b"\xff\xda\x00\x0c" + bytes(10) + filler + b"\xff\xd9"


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[MastodonClient]:
    async with MastodonClient(
        sandbox.mastodon_url, sandbox.mastodon_token, poll_interval=0.01, max_poll_interval=0.02
    ) as c:
        yield c


async def test_text_only_sends_only_the_status(client: MastodonClient, sandbox: Sandbox) -> None:
    post = await client.post("Hello from asyncmedia")
    [status] = service(sandbox).statuses.values()
    assert isinstance(post, Post) and (post.service, post.id) == ("mastodon", status.id)
    assert post.url == f"{sandbox.mastodon_url}@sandbox/{status.id}" and post.media == ()
    assert post.raw["content"] == "<p>Hello from asyncmedia</p>"
    # Nothing unasked: the account's defaults (visibility, sensitive, language) apply.
    assert status.fields == [("status", "Hello from asyncmedia")]
    assert (status.visibility, status.sensitive, status.language) == ("public", False, "en")
    [record] = sandbox.posts
    assert (record.service, record.text, record.media_ids, record.alt_texts) == (
        "mastodon",
        "Hello from asyncmedia",
        (),
        (),
    )
    [sent] = status_requests(sandbox)
    assert len(sent.headers["Idempotency-Key"]) == 32


async def test_one_image_with_alt_text(client: MastodonClient, sandbox: Sandbox) -> None:
    data = png_bytes(seed=3)
    post = await client.post("Our cat, today", media=[data], alt_texts=["A cat on a sofa"])
    [media] = post.media
    assert isinstance(media, MastodonMedia) and media.description == "A cat on a sofa"
    record = service(sandbox).media[media.id]
    assert record.sha256 == sha(data) and record.description == "A cat on a sofa"
    status = service(sandbox).statuses[post.id]
    assert status.fields == [("status", "Our cat, today"), ("media_ids[]", media.id)]
    assert record.status_id == post.id
    assert [a["id"] for a in post.raw["media_attachments"]] == [media.id]
    assert sandbox.posts[0].alt_texts == ("A cat on a sofa",)


async def test_four_images_in_order(client: MastodonClient, sandbox: Sandbox) -> None:
    files = [png_bytes(seed=i) for i in range(2)] + [jpeg_bytes(seed=i) for i in range(2)]
    alts = ["first", None, "third", "fourth"]
    post = await client.post("Four", media=files, alt_texts=alts)
    ids = [m.id for m in post.media]
    assert [service(sandbox).media[i].sha256 for i in ids] == [sha(f) for f in files]
    assert [service(sandbox).media[i].description for i in ids] == alts
    status = service(sandbox).statuses[post.id]
    assert status.media_ids == tuple(ids)
    assert [value for name, value in status.fields if name == "media_ids[]"] == ids
    assert sandbox.posts[0].alt_texts == tuple(alts)


async def test_video_is_posted_only_once_processed(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    service(sandbox).processing_steps = 3
    data = mp4_bytes(400_000)
    post = await client.post("A clip", media=[data], alt_texts=["A clip of the cat"])
    [media] = post.media
    record = service(sandbox).media[media.id]
    assert record.sha256 == sha(data) and record.state == "done" and record.polls == 4
    assert media.url is not None and media.type == "video"
    # The status went out after the last poll, and no 422 ever came back.
    order = [(r.method, r.status) for r in sandbox.requests if not is_instance(r)]
    polls = [("GET", 206)] * 3 + [("GET", 200)]
    assert order == [("POST", 202), *polls, ("POST", 200)]
    assert all(r.status != 422 for r in sandbox.requests)


async def test_crosspost_and_the_posting_interface(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    assert isinstance(client, PostingClient) and client.service == "mastodon"
    single = await client.upload_one(png_bytes(seed=9), alt_text="one alt")
    assert service(sandbox).media[single.id].description == "one alt"
    data = png_bytes(seed=8)
    [post] = await crosspost("Everywhere", media=[data], alt_texts=["alt"], clients=[client])
    assert isinstance(post, Post) and post.service == "mastodon"
    [media] = post.media
    assert service(sandbox).media[media.id].sha256 == sha(data)
    assert sandbox.posts[-1].alt_texts == ("alt",)


async def test_a_reply_to_a_post_and_to_an_id(client: MastodonClient, sandbox: Sandbox) -> None:
    first = await client.post("Thread start")
    second = await client.post("A reply", reply_to=first)
    third = await client.post("Another", reply_to=second.id, visibility="unlisted")
    statuses = service(sandbox).statuses
    assert statuses[second.id].in_reply_to_id == first.id
    assert statuses[third.id].in_reply_to_id == second.id
    assert statuses[third.id].fields == [
        ("status", "Another"),
        ("in_reply_to_id", second.id),
        ("visibility", "unlisted"),
    ]
    assert second.raw["in_reply_to_id"] == first.id
    with pytest.raises(APIError) as unknown:
        await client.post("To nothing", reply_to="1234")
    assert (unknown.value.status, unknown.value.message) == (404, "Record not found")


async def test_every_option_given_is_sent(client: MastodonClient, sandbox: Sandbox) -> None:
    post = await client.post(
        "Spoilers",
        media=[png_bytes()],
        sensitive=True,
        spoiler_text="CW: the ending",
        visibility="private",
        language="fr",
    )
    status = service(sandbox).statuses[post.id]
    assert dict(status.fields) == {
        "status": "Spoilers",
        "media_ids[]": post.media[0].id,
        "sensitive": "true",
        "spoiler_text": "CW: the ending",
        "visibility": "private",
        "language": "fr",
    }
    assert (status.sensitive, status.visibility, status.language) == (True, "private", "fr")
    assert post.raw["spoiler_text"] == "CW: the ending"


async def test_bad_arguments_raise_before_any_upload(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    image = png_bytes()
    with pytest.raises(ValueError, match="alt_texts has 2 entries"):
        await client.post("x", media=[image], alt_texts=["a", "b"])
    with pytest.raises(ValueError, match="nothing to post"):
        await client.post("   ")
    with pytest.raises(ValueError, match="visibility"):
        await client.post("x", visibility="everyone")
    assert sandbox.requests == []  # decided without asking anything
    with pytest.raises(ValueError, match="at most 4"):
        await client.post("x", media=[image] * 5)
    with pytest.raises(ValueError, match="501 characters"):
        await client.post("x" * 501)
    with pytest.raises(ValueError, match="characters"):
        await client.post("x" * 480, spoiler_text="y" * 21)
    service(sandbox).description_limit = 1500  # (read by the client only once, below)
    with pytest.raises(ValueError, match="description is 10001 characters"):
        await client.post("x", media=[image], alt_texts=["a" * 10_001])
    with pytest.raises(ValueError, match="one video or audio file alone"):
        await client.post("x", media=[image, mp4_bytes(50_000)])
    # Only the public instance document was read (once), nothing uploaded or posted.
    assert [(r.method, r.path) for r in sandbox.requests] == [("GET", "/mastodon/api/v2/instance")]
    assert service(sandbox).media == {} and service(sandbox).statuses == {}


@pytest.mark.parametrize(
    ("text", "media", "kwargs", "tail"),
    [
        ("x", 5, {}, "in one status: split them over several statuses (e.g. a reply thread)"),
        (
            "x" * 501,
            0,
            {},
            "at most 500: shorten it, or split it over several statuses (e.g. a reply thread)",
        ),
        ("x", 1, {"alt_texts": ["a" * 1501]}, "the limit is 1500: shorten it"),
        ("x", -1, {}, "not with other media: post it separately"),
    ],
)
async def test_every_post_limit_says_what_to_do(
    client: MastodonClient,
    sandbox: Sandbox,
    text: str,
    media: int,
    kwargs: dict[str, Any],
    tail: str,
) -> None:
    service(sandbox).description_limit = 1500
    items = [png_bytes(), mp4_bytes(50_000)] if media < 0 else [png_bytes()] * media
    with pytest.raises(ValueError, match=re.escape(tail) + "$"):
        await client.post(text, media=items, **kwargs)
    assert service(sandbox).media == {} and service(sandbox).statuses == {}


async def test_urls_count_as_the_instance_says(client: MastodonClient, sandbox: Sandbox) -> None:
    url = "https://example.com/" + "a" * 200
    text = "x" * (500 - 24) + " " + url  # 476 + 1 + 23 = 500 as Mastodon counts
    post = await client.post(text)
    assert service(sandbox).statuses[post.id].text == text
    assert f'href="{url}"' in post.raw["content"]


async def test_explicit_limits_win_over_the_instance(sandbox: Sandbox) -> None:
    service(sandbox).max_characters = 5000
    async with MastodonClient(
        sandbox.mastodon_url, sandbox.mastodon_token, max_characters=10, max_media_attachments=1
    ) as client:
        limits = await client.instance_limits()
        assert (limits.max_characters, limits.max_media_attachments) == (10, 1)
        assert limits.description_limit == 10_000  # the instance's, not given
        with pytest.raises(ValueError, match="at most 10"):
            await client.post("eleven char")
        with pytest.raises(ValueError, match="at most 1 in one status"):
            await client.post("x", media=[png_bytes(), png_bytes()])


async def test_limits_are_read_once_for_concurrent_uploads(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    await asyncio.gather(*(client.upload_media(png_bytes(seed=i)) for i in range(5)))
    assert [r.path for r in sandbox.requests if is_instance(r)] == ["/mastodon/api/v2/instance"]
    assert "authorization" not in sandbox.requests[0].headers  # public: no token sent
    assert len(service(sandbox).media) == 5


async def test_an_old_instance_is_read_from_v1(sandbox: Sandbox) -> None:
    service(sandbox).instance_v2 = False
    service(sandbox).max_characters = 1000
    async with MastodonClient(sandbox.mastodon_url, sandbox.mastodon_token) as client:
        limits = await client.instance_limits()
    assert limits.source == "v1" and limits.max_characters == 1000
    assert limits.description_limit == 1500  # v1 does not say
    assert [(r.path, r.status) for r in sandbox.requests] == [
        ("/mastodon/api/v2/instance", 404),
        ("/mastodon/api/v1/instance", 200),
    ]


async def test_an_instance_without_documents_keeps_the_defaults(sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="INSTANCE", status=404, times=2, body={"error": "nope"}))
    async with MastodonClient(sandbox.mastodon_url, sandbox.mastodon_token) as client:
        limits = await client.instance_limits()
        media = await client.upload_media(png_bytes(), description="d" * 1500)
    assert limits.source == "defaults" and limits.supported_mime_types is None
    assert (limits.max_characters, limits.description_limit) == (500, 1500)
    assert service(sandbox).media[media.id].description == "d" * 1500


async def test_a_failing_instance_document_is_asked_again_later(sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="INSTANCE", status=503, times=2))  # the first try and its retry
    async with MastodonClient(sandbox.mastodon_url, sandbox.mastodon_token, backoff=0.01) as client:
        first = await client.instance_limits()
        assert first.source == "defaults" and client.limits is None  # not kept
        second = await client.instance_limits()
    assert second.source == "v2" and client.limits is second
    assert [r.status for r in sandbox.requests] == [503, 503, 200]


async def test_a_throttled_instance_document_does_not_stop_the_upload(sandbox: Sandbox) -> None:
    service(sandbox).throttle.count = 1  # the instance document is answered 429 (an hour)
    async with MastodonClient(sandbox.mastodon_url, sandbox.mastodon_token) as client:
        media = await client.upload_media(png_bytes())
        assert client.limits is None  # defaults were used for that upload, not kept
    assert service(sandbox).media[media.id].sha256 == sha(png_bytes())
    assert [r.status for r in sandbox.requests] == [429, 200]


async def test_client_refuses_what_the_instance_says_it_does_not_take(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    service(sandbox).supported_types = frozenset({"image/jpeg"})
    service(sandbox).image_size_limit = 20_000
    with pytest.raises(UnsupportedMediaType, match="does not accept"):
        await client.upload_media(png_bytes())
    with pytest.raises(MediaTooLarge) as too_big:
        await client.post("x", media=[jpeg_bytes(), jpeg_bytes() * 3])
    assert too_big.value.limit == 20_000
    assert service(sandbox).media == {}  # refused before anything was uploaded


def _ftyp(brand: bytes, *compatible: bytes) -> bytes:
    body = brand + bytes(4) + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + bytes(2000)


ADVERTISED_SAMPLES = {
    "image/heic": _ftyp(b"heic", b"mif1heic"),
    "image/heif": _ftyp(b"mif1", b"mif1heic"),
    "image/avif": _ftyp(b"avif", b"mif1avif"),
    "video/webm": b"\x1a\x45\xdf\xa3" + bytes(2000),
    "video/ogg": b"OggS\x00\x02" + bytes(2000),
    "video/x-ms-asf": bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(2000),
    "audio/wav": b"RIFF\x00\x10\x00\x00WAVEfmt " + bytes(2000),
    "audio/mpeg": b"ID3\x04\x00\x00" + bytes(2000),
    "audio/flac": b"fLaC\x00\x00\x00\x22" + bytes(2000),
    "audio/aac": b"\xff\xf1\x50\x80" + bytes(2000),
    "audio/m4a": _ftyp(b"M4A ", b"M4A mp42isom"),
    "audio/3gpp": _ftyp(b"3gp5", b"3gp5isom"),
    "audio/ogg": b"OggS\x00\x02" + bytes(2000),
    "audio/webm": b"\x1a\x45\xdf\xa3" + bytes(2000),
}


@pytest.mark.parametrize("media_type", sorted(ADVERTISED_SAMPLES))
async def test_the_sandbox_takes_every_type_it_advertises(
    media_type: str, client: MastodonClient, sandbox: Sandbox
) -> None:
    data = ADVERTISED_SAMPLES[media_type]
    media = await client.upload_media(data, media_type=media_type)
    record = service(sandbox).media[media.id]
    assert (record.sha256, record.declared_type) == (sha(data), media_type)
    assert media.type == media_type.split("/")[0]
    assert (await client.instance_limits()).accepts_type(media_type)


async def test_timeout_after_the_status_was_sent_is_retried_with_the_same_key(
    sandbox: Sandbox,
) -> None:
    # The status is created, then its answer is held past the client's timeout: the retry
    # carries the same Idempotency-Key and gets the first status back.
    sandbox.inject(Fault(command="STATUS_ANSWER", delay=1.0))
    async with MastodonClient(
        sandbox.mastodon_url, sandbox.mastodon_token, request_timeout=0.4, backoff=0.01
    ) as client:
        post = await client.post("Only once", media=[png_bytes()])
    assert list(service(sandbox).statuses) == [post.id]
    assert len(sandbox.posts) == 1
    for _ in range(100):  # the held first attempt is logged when its handler ends
        if len(status_requests(sandbox)) == 2:
            break
        await asyncio.sleep(0.05)
    attempts = status_requests(sandbox)
    assert len(attempts) == 2
    assert len({r.headers["Idempotency-Key"] for r in attempts}) == 1
    assert service(sandbox).statuses[post.id].attempts == 2


async def test_dropped_answer_and_503_are_retried_without_a_second_status(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    sandbox.inject(
        Fault(command="STATUS_POST", status=503),
        Fault(command="STATUS_ANSWER", drop=True),
    )
    client.transport.sleep = _no_sleep
    post = await client.post("Still only once")
    assert list(service(sandbox).statuses) == [post.id]
    assert status_requests(sandbox)[0].status == 503
    assert len({r.headers["Idempotency-Key"] for r in status_requests(sandbox)}) == 1


async def test_when_every_attempt_is_lost_the_error_lets_the_caller_finish_it(
    sandbox: Sandbox,
) -> None:
    sandbox.inject(Fault(command="STATUS_ANSWER", drop=True, times=3))
    async with MastodonClient(
        sandbox.mastodon_url, sandbox.mastodon_token, retries=2, backoff=0.01
    ) as client:
        with pytest.raises(StatusMayExist) as lost:
            await client.post("Lost answers", media=[png_bytes()], alt_texts=["alt"])
        error = lost.value
        assert error.service == "mastodon" and error.request_sent
        assert error.media_ids == (error.media[0].id,)
        assert error.idempotency_key in str(error)
        uploads = len(service(sandbox).media)
        # Repeating with the same key and the same uploads gives the status, not a second one.
        again = await client.post(
            "Lost answers",
            media=list(error.media),
            alt_texts=["alt"],
            idempotency_key=error.idempotency_key,
        )
    assert list(service(sandbox).statuses) == [again.id]
    assert len(service(sandbox).media) == uploads  # nothing uploaded again
    assert again.media == error.media


async def _no_sleep(seconds: float) -> None:
    return None


# --- the sandbox's statuses route, judged with raw requests -----------------------------------


async def _raw(sandbox: Sandbox, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {sandbox.mastodon_token}", **kwargs.pop("headers", {})}
    url = sandbox.mastodon_url + path
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=headers, **kwargs) as resp,
    ):
        return resp.status, await resp.json()


async def test_sandbox_drops_a_bare_media_ids_and_judges_ids(
    client: MastodonClient, sandbox: Sandbox
) -> None:
    media = await client.upload_media(png_bytes())
    status, body = await _raw(
        sandbox, "POST", "api/v1/statuses", data={"status": "bare", "media_ids": media.id}
    )
    assert status == 200 and body["media_attachments"] == []  # silently dropped
    status, body = await _raw(
        sandbox, "POST", "api/v1/statuses", data=[("status", "x"), ("media_ids[]", "42")]
    )
    not_found = "Media 42 not found or already attached to another post"
    assert (status, body) == (422, {"error": not_found})
    status, body = await _raw(
        sandbox, "POST", "api/v1/statuses", json={"status": "json", "media_ids": [media.id]}
    )
    assert status == 200 and [a["id"] for a in body["media_attachments"]] == [media.id]
    status, body = await _raw(
        sandbox, "POST", "api/v1/statuses", data=[("status", "again"), ("media_ids[]", media.id)]
    )
    assert status == 422 and "already attached" in str(body["error"])


async def test_sandbox_refuses_unprocessed_media_with_the_real_message(
    sandbox: Sandbox,
) -> None:
    service(sandbox).processing_steps = 5
    form = aiohttp.FormData()
    form.add_field("file", mp4_bytes(50_000), filename="clip.mp4", content_type="video/mp4")
    status, body = await _raw(sandbox, "POST", "api/v2/media", data=form)
    assert status == 202 and body["url"] is None
    status, body = await _raw(
        sandbox, "POST", "api/v1/statuses", data=[("status", "x"), ("media_ids[]", body["id"])]
    )
    assert (status, body) == (
        422,
        {"error": "Cannot attach files that have not finished processing. Try again in a moment!"},
    )


async def test_sandbox_answers_a_repeated_key_with_the_first_status(sandbox: Sandbox) -> None:
    key = {"Idempotency-Key": "same-key"}
    first = await _raw(sandbox, "POST", "api/v1/statuses", data={"status": "a"}, headers=key)
    second = await _raw(sandbox, "POST", "api/v1/statuses", data={"status": "b"}, headers=key)
    third = await _raw(sandbox, "POST", "api/v1/statuses", data={"status": "c"})
    assert first == second and first[1]["content"] == "<p>a</p>"
    assert third[1]["id"] != first[1]["id"]
    assert len(service(sandbox).statuses) == 2 and len(sandbox.posts) == 2
    status, body = await _raw(sandbox, "GET", f"api/v1/statuses/{first[1]['id']}")
    assert status == 200 and body["id"] == first[1]["id"]
    too_long = await _raw(sandbox, "POST", "api/v1/statuses", data={"status": "x" * 501})
    assert too_long == (422, {"error": "Validation failed: Text character limit of 500 exceeded"})
    blank = await _raw(sandbox, "POST", "api/v1/statuses", data={"status": ""})
    assert blank == (422, {"error": "Validation failed: Text can't be blank"})
