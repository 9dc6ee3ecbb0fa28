"""BlueskyClient.post against the sandbox PDS: what arrived, byte-exact, and never twice."""

from __future__ import annotations

import asyncio
import re
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from service_samples import png_bytes, sha

from asyncmedia import APIError, Blob, BlueskyClient, Post, PostMayExist
from asyncmedia.sandbox import BlueskyService, Fault, Sandbox

CREATED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def service(sandbox: Sandbox) -> BlueskyService:
    assert sandbox.bluesky is not None
    return sandbox.bluesky


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[BlueskyClient]:
    async with BlueskyClient(
        sandbox.bluesky_url,
        identifier=sandbox.bluesky_identifier,
        password=sandbox.bluesky_password,
        backoff=0.01,
    ) as c:
        yield c


def gif_bytes(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + bytes(3) + b"\x00" * 40 + b";"


def jpeg_bytes(width: int, height: int) -> bytes:
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes(9)
    return (
        b"\xff\xd8\xff\xe0"
        + struct.pack(">H", 16)
        + b"JFIF\x00"
        + bytes(9)
        + b"\xff\xc0"
        + struct.pack(">H", len(frame) + 2)
        + frame
        + b"\xff\xda"
        + bytes(500)
        + b"\xff\xd9"
    )


def webp_bytes(width: int, height: int) -> bytes:
    vp8x = bytes(4) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x + bytes(200)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_with_size(width: int, height: int, size: int = 300_000) -> bytes:
    """A fast-start MP4 skeleton: ftyp, moov/trak/tkhd with the frame size, then mdat."""
    tkhd = box(
        b"tkhd", bytes(4) + bytes(20) + bytes(52) + struct.pack(">II", width << 16, height << 16)
    )
    head = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2")
    head += box(b"moov", box(b"mvhd", bytes(100)) + box(b"trak", tkhd))
    return head + box(b"mdat", bytes((i * 31) % 251 for i in range(size - len(head) - 8)))


def record_of(sandbox: Sandbox, post: Post) -> dict[str, Any]:
    return service(sandbox).repo_records[post.id].value


async def test_text_only_with_links(client: BlueskyClient, sandbox: Sandbox) -> None:
    text = "Démo ✨ https://example.com/chat. And (https://b.example/x)"
    post = await client.post(text, langs=["fr", "en"])
    assert post.service == "bluesky" and post.media == ()
    did = service(sandbox).did
    assert re.fullmatch(rf"at://{re.escape(did)}/app\.bsky\.feed\.post/[2-7a-z]{{13}}", post.id)
    rkey = post.id.rsplit("/", 1)[1]
    assert post.url == f"https://bsky.app/profile/{did}/post/{rkey}"
    assert post.raw["validationStatus"] == "valid" and post.raw["uri"] == post.id
    record = record_of(sandbox, post)
    first = len("Démo ✨ ".encode())
    second = len("Démo ✨ https://example.com/chat. And (".encode())
    assert record == {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": record["createdAt"],
        "langs": ["fr", "en"],
        "facets": [
            {
                "index": {"byteStart": first, "byteEnd": first + len("https://example.com/chat")},
                "features": [
                    {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/chat"}
                ],
            },
            {
                "index": {"byteStart": second, "byteEnd": second + len("https://b.example/x")},
                "features": [
                    {"$type": "app.bsky.richtext.facet#link", "uri": "https://b.example/x"}
                ],
            },
        ],
    }
    assert CREATED_AT.match(record["createdAt"])
    (published,) = sandbox.posts
    assert (published.service, published.text, published.media_ids) == ("bluesky", text, ())
    assert published.raw == record
    create = [r for r in sandbox.requests if r.path.endswith("createRecord")]
    assert len(create) == 1 and create[0].headers["authorization"].startswith("Bearer ey")


async def test_one_image_with_alt_text(client: BlueskyClient, sandbox: Sandbox) -> None:
    data = png_bytes(seed=3)
    post = await client.post("Our cat, today", media=[data], alt_texts=["A cat on a sofa"])
    (blob,) = post.media
    assert isinstance(blob, Blob)
    assert service(sandbox).blobs[blob.ref].sha256 == sha(data)
    assert record_of(sandbox, post)["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": "A cat on a sofa",
                "image": {
                    "$type": "blob",
                    "ref": {"$link": blob.ref},
                    "mimeType": "image/png",
                    "size": len(data),
                },
                "aspectRatio": {"width": 64, "height": 48},
            }
        ],
    }
    (published,) = sandbox.posts
    assert published.media_ids == (blob.ref,) and published.alt_texts == ("A cat on a sofa",)


async def test_four_images_of_four_formats(
    client: BlueskyClient, sandbox: Sandbox, tmp_path: Any
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg_bytes(1024, 768))
    media = [png_bytes(seed=1), str(path), gif_bytes(320, 200), webp_bytes(2000, 1000)]
    post = await client.post("Four", media=media, alt_texts=["png", None, "gif", "webp"])
    images = record_of(sandbox, post)["embed"]["images"]
    assert [image["alt"] for image in images] == ["png", "", "gif", "webp"]
    assert [image["image"]["mimeType"] for image in images] == [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    ]
    assert [image["aspectRatio"] for image in images] == [
        {"width": 64, "height": 48},
        {"width": 1024, "height": 768},
        {"width": 320, "height": 200},
        {"width": 2000, "height": 1000},
    ]
    sent = [png_bytes(seed=1), path.read_bytes(), gif_bytes(320, 200), webp_bytes(2000, 1000)]
    blobs = service(sandbox).blobs
    assert [blobs[blob.ref].sha256 for blob in post.media] == [sha(d) for d in sent]
    assert sandbox.posts[0].alt_texts == ("png", "", "gif", "webp")


async def test_one_video(client: BlueskyClient, sandbox: Sandbox) -> None:
    data = mp4_with_size(1280, 720)
    post = await client.post("", media=[data], alt_texts=["A clip"])
    (blob,) = post.media
    assert service(sandbox).blobs[blob.ref].sha256 == sha(data)
    record = record_of(sandbox, post)
    assert record["text"] == "" and "facets" not in record
    assert record["embed"] == {
        "$type": "app.bsky.embed.video",
        "video": blob.as_dict(),
        "alt": "A clip",
        "aspectRatio": {"width": 1280, "height": 720},
    }


async def test_reply_to_a_post_and_to_a_uri(client: BlueskyClient, sandbox: Sandbox) -> None:
    top = await client.post("top")
    answer = await client.post("answer", reply_to=top)
    deeper = await client.post("deeper", reply_to=answer.id)
    records = service(sandbox).repo_records
    top_ref = {"uri": top.id, "cid": records[top.id].cid}
    answer_ref = {"uri": answer.id, "cid": records[answer.id].cid}
    assert records[answer.id].value["reply"] == {"root": top_ref, "parent": top_ref}
    assert records[deeper.id].value["reply"] == {"root": top_ref, "parent": answer_ref}
    reads = [r for r in sandbox.requests if r.path.endswith("getRecord")]
    assert [r.query["rkey"] for r in reads] == [
        top.id.rsplit("/", 1)[1],
        answer.id.rsplit("/", 1)[1],
    ]


async def test_reply_to_a_missing_post_is_an_api_error(client: BlueskyClient) -> None:
    with pytest.raises(APIError) as caught:
        await client.post("hi", reply_to="at://did:plc:nobody/app.bsky.feed.post/3kxxxxxxxxxxx")
    assert caught.value.code == "RecordNotFound"


@pytest.mark.parametrize(
    ("media", "alt_texts", "text", "message"),
    [
        ([png_bytes(seed=n) for n in range(5)], None, "five", "at most 4"),
        ([mp4_with_size(64, 64, 5000), mp4_with_size(64, 48, 5000)], None, "two", "one video"),
        ([png_bytes(), mp4_with_size(64, 64, 5000)], None, "mixed", "not both"),
        ([png_bytes()], ["a", "b"], "alts", "alt_texts has 2 entries"),
        ([], None, "e\u0301" * 301, "301 graphemes"),
        ([], None, ("e" + "\u0301" * 20) * 100, "4100 bytes"),
        ([], None, "", "text or media"),
        ([png_bytes()], "one alt", "str alt", "not a str"),
        ([png_bytes()], [42], "int alt", "must be a str or None"),
        ([mp4_with_size(64, 48, 5000)], ["x" * 1001], "long", "1001 graphemes"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    client: BlueskyClient,
    sandbox: Sandbox,
    media: list[bytes],
    alt_texts: Any,
    text: str,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.post(text, media=media, alt_texts=alt_texts)
    assert sandbox.requests == []


async def test_bad_reply_to_and_langs_raise_before_any_request(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    with pytest.raises(ValueError, match="at://"):
        await client.post("hi", reply_to="https://bsky.app/profile/x/post/y")
    with pytest.raises(ValueError, match="mastodon post"):
        await client.post("hi", reply_to=Post("mastodon", "1", None))
    with pytest.raises(ValueError, match="at most 3"):
        await client.post("hi", langs=["en", "fr", "de", "es"])
    assert sandbox.requests == []


async def test_image_alt_texts_have_no_length_limit(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    alt = "A very detailed description. " * 100  # 2900 characters
    post = await client.post("long alt", media=[png_bytes()], alt_texts=[alt])
    assert record_of(sandbox, post)["embed"]["images"][0]["alt"] == alt


async def test_graphemes_not_code_points(client: BlueskyClient, sandbox: Sandbox) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    text = family * 120  # 120 graphemes, 840 code points, exactly 3000 bytes
    post = await client.post(text)
    assert record_of(sandbox, post)["text"] == text


async def test_timeout_after_create_record_was_sent_never_posts_twice(sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="createRecord", delay=1.0))
    async with BlueskyClient(
        sandbox.bluesky_url,
        identifier=sandbox.bluesky_identifier,
        password=sandbox.bluesky_password,
        request_timeout=0.4,
    ) as client:
        data = png_bytes(seed=9)
        with pytest.raises(PostMayExist) as caught:
            await client.post("slow", media=[data], alt_texts=["alt"])
    error = caught.value
    assert error.service == "bluesky" and error.request_sent
    (blob,) = error.media
    assert isinstance(blob, Blob) and error.media_ids == (blob.ref,)
    assert service(sandbox).blobs[blob.ref].sha256 == sha(data)
    assert "may exist" in str(error)
    creates = [r for r in sandbox.requests if r.path.endswith("createRecord")]
    deadline = time.monotonic() + 3
    while not creates and time.monotonic() < deadline:  # the PDS acted after the client left
        await asyncio.sleep(0.05)
        creates = [r for r in sandbox.requests if r.path.endswith("createRecord")]
    assert len(creates) == 1
    assert len(sandbox.posts) == 1  # the post exists once; the client did not repeat it


async def test_lost_answer_then_post_again_with_the_same_blobs(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    sandbox.inject(Fault(command="createRecord", drop=True))
    data = png_bytes(seed=11)
    with pytest.raises(PostMayExist) as caught:
        await client.post("dropped", media=[data], alt_texts=["A dropped cat"])
    assert sandbox.posts == []  # the PDS did not act: the caller checks and posts again
    uploads = len([r for r in sandbox.requests if r.path.endswith("uploadBlob")])
    post = await client.post("dropped", media=list(caught.value.media))
    assert len(sandbox.posts) == 1
    assert len([r for r in sandbox.requests if r.path.endswith("uploadBlob")]) == uploads
    (image,) = record_of(sandbox, post)["embed"]["images"]
    # The alt text and aspect ratio this client learnt at upload time are kept.
    assert image["alt"] == "A dropped cat"
    assert image["aspectRatio"] == {"width": 64, "height": 48}
    assert image["image"] == caught.value.media[0].as_dict()


async def test_server_error_on_create_record_is_not_repeated(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    await client.post("warm up")  # a proven token: normal retry rules apply
    sandbox.inject(Fault(command="createRecord", status=502))
    with pytest.raises(APIError) as caught:
        await client.post("once")
    assert caught.value.status == 502
    creates = [r for r in sandbox.requests if r.path.endswith("createRecord")]
    assert len(creates) == 2 and len(sandbox.posts) == 1


async def test_rate_limited_create_record_is_repeated(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    sandbox.inject(Fault(command="createRecord", status=429, reset_in=0))
    post = await client.post("throttled once")
    assert [p.text for p in sandbox.posts] == ["throttled once"]
    assert service(sandbox).repo_records[post.id].value["text"] == "throttled once"


async def test_upload_one_keeps_alt_text_for_post(client: BlueskyClient, sandbox: Sandbox) -> None:
    blob = await client.upload_one(gif_bytes(10, 20), alt_text="tiny")
    assert client.service == "bluesky"
    post = await client.post("later", media=[blob])
    (image,) = record_of(sandbox, post)["embed"]["images"]
    assert image == {
        "alt": "tiny",
        "image": blob.as_dict(),
        "aspectRatio": {"width": 10, "height": 20},
    }
    # An alt text given to post() wins.
    again = await client.post("again", media=[blob], alt_texts=["bigger"])
    assert record_of(sandbox, again)["embed"]["images"][0]["alt"] == "bigger"


# -- the sandbox judges records on its own ------------------------------------------------


async def create(sandbox: Sandbox, record: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    url = sandbox.bluesky_url + "xrpc/com.atproto.repo.createRecord"
    body = {"repo": service(sandbox).did, "collection": "app.bsky.feed.post", "record": record}
    headers = {"Authorization": f"Bearer {sandbox.bluesky_token}"}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        return r.status, await r.json()


async def test_sandbox_refuses_records_that_do_not_fit(
    client: BlueskyClient, sandbox: Sandbox
) -> None:
    blob = (await client.upload_blob(png_bytes(seed=5))).as_dict()
    base = {"$type": "app.bsky.feed.post", "text": "t", "createdAt": "2026-12-01T12:00:00.000Z"}
    images = {"$type": "app.bsky.embed.images"}
    prefix = "Invalid app.bsky.feed.post record: "
    # What the real PDS was seen answering is in tests/bluesky_conformance.py (checked on both
    # sides); these are further cases in the same words (the sandbox's own judgement).
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {**base, "createdAt": "yesterday"},
            prefix + 'Invalid datetime (got "yesterday") at $.record.createdAt',
        ),
        (
            {**base, "$type": "app.bsky.feed.like"},
            "Invalid $type: expected app.bsky.feed.post, got app.bsky.feed.like",
        ),
        (
            {**base, "text": 5},
            prefix + "Expected string value type (got 5) at $.record.text",
        ),
        (
            {**base, "embed": {**images, "images": []}},
            prefix + "array too small (minimum 1, got 0) at $.record.embed.images",
        ),
        (
            {
                **base,
                "embed": {
                    **images,
                    "images": [{"image": {**blob, "mimeType": "video/mp4"}, "alt": ""}],
                },
            },
            prefix
            + 'Expected "image/*" (got "video/mp4") at $.record.embed.images[0].image.mimeType',
        ),
        (
            {
                **base,
                "facets": [
                    {
                        "index": {"byteStart": 0, "byteEnd": 2},
                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://a"}],
                    }
                ],
            },
            prefix + "byte range 0..2 is outside the text (1 bytes) at $.record.facets[0].index",
        ),
        (
            {**base, "reply": {"root": {"uri": "at://x/y/z"}}},
            prefix + 'Missing required key "cid" at $.record.reply.root',
        ),
    ]
    for record, message in cases:
        status, body = await create(sandbox, record)
        assert (status, body["error"], body["message"]) == (400, "InvalidRequest", message)
    video = (await client.upload_blob(mp4_with_size(64, 48, 5000))).as_dict()
    embed = {"$type": "app.bsky.embed.video", "video": video, "alt": "x" * 1001}
    status, body = await create(sandbox, {**base, "embed": embed})
    assert (status, body["message"]) == (
        400,
        prefix + "grapheme too big (maximum 1000, got 1001) at $.record.embed.alt",
    )
    status, body = await create(sandbox, {**base, "embed": {**embed, "video": blob}})
    assert (status, body["message"]) == (
        400,
        prefix + 'Expected "video/mp4" (got "image/png") at $.record.embed.video.mimeType',
    )
    assert sandbox.posts == []
    status, body = await create(sandbox, base)
    assert status == 200 and set(body) == {"uri", "cid", "commit", "validationStatus"}
    assert body["cid"].startswith("bafyrei") and set(body["commit"]) == {"cid", "rev"}
