"""``BlueskyClient.post`` and long-lived sessions against the real reference PDS.

Issue 12: posts are accepted by the real PDS (``com.atproto.repo.getRecord`` returns the
record with its embed), not only by the sandbox.  Issue 11: sessions outlive the access token
(``refreshSession`` before ``exp`` and on ``ExpiredToken``, a new login when the refresh
fails and the password is known, one refresh shared by concurrent uploads).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiofiles
import aiohttp
import pytest
from bluesky_conformance import blob_cid
from pds_helpers import (
    MediaServer,
    RealPDS,
    get_blob,
    get_record,
    jwt_claims,
    login,
    real_png,
    small_mp4,
    xrpc,
)

from asyncmedia import BlueskyClient, Post
from asyncmedia.errors import APIError, AuthenticationError
from asyncmedia.media import Blob

pytestmark = pytest.mark.real

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 18 UTF-8 bytes


async def stored(http: aiohttp.ClientSession, pds: RealPDS, post: Post) -> dict[str, object]:
    """The record as the real PDS stores it (``getRecord``), checked against ``post``."""
    answer = await get_record(http, pds, post.id)
    assert answer.status == 200, answer
    assert answer.body["uri"] == post.id
    assert answer.body["cid"] == post.raw["cid"]
    value = answer.body["value"]
    assert value["$type"] == "app.bsky.feed.post"
    datetime.fromisoformat(value["createdAt"])  # RFC 3339 the PDS accepted
    assert value["createdAt"].endswith("Z")
    return value  # type: ignore[no-any-return]


def check_post_identity(pds: RealPDS, post: Post) -> None:
    assert post.service == "bluesky"
    prefix = f"at://{pds.did}/app.bsky.feed.post/"
    assert post.id.startswith(prefix)
    rkey = post.id.removeprefix(prefix)
    assert post.url == f"https://bsky.app/profile/{pds.did}/post/{rkey}"


# -- posts -----------------------------------------------------------------------------------


async def test_a_post_with_one_image_and_its_alt_text(
    real_pds: RealPDS, bsky: BlueskyClient, http: aiohttp.ClientSession
) -> None:
    png = real_png(64, 48, seed=7)
    post = await bsky.post("Our cat, today", media=[png], alt_texts=["A cat on a sofa"])
    check_post_identity(real_pds, post)
    value = await stored(http, real_pds, post)
    assert value["text"] == "Our cat, today"
    embed = value["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == "A cat on a sofa"
    assert image["aspectRatio"] == {"width": 64, "height": 48}
    assert image["image"]["ref"]["$link"] == blob_cid(png) == post.media[0].ref
    assert image["image"]["mimeType"] == "image/png"
    assert image["image"]["size"] == len(png)
    served = await get_blob(http, real_pds, blob_cid(png))
    assert served.status == 200 and served.data == png


async def test_a_post_with_four_images_from_four_kinds_of_source(
    real_pds: RealPDS,
    bsky: BlueskyClient,
    http: aiohttp.ClientSession,
    media_server: MediaServer,
    tmp_path: Path,
) -> None:
    pngs = [real_png(30 + 10 * i, 20 + 5 * i, seed=20 + i) for i in range(4)]
    path = tmp_path / "one.png"
    path.write_bytes(pngs[0])
    (tmp_path / "three.png").write_bytes(pngs[2])
    url = str(media_server.serve("four.png", pngs[3]))
    async with aiofiles.open(tmp_path / "three.png", "rb") as afh:
        post = await bsky.post(
            "Four of them",
            media=[path, pngs[1], afh, url],
            alt_texts=["first", None, "third", "fourth"],
        )
    value = await stored(http, real_pds, post)
    images = value["embed"]["images"]
    assert [image["alt"] for image in images] == ["first", "", "third", "fourth"]
    assert [image["aspectRatio"] for image in images] == [
        {"width": 30 + 10 * i, "height": 20 + 5 * i} for i in range(4)
    ]
    assert [image["image"]["ref"]["$link"] for image in images] == [blob_cid(p) for p in pngs]
    for png in pngs:
        served = await get_blob(http, real_pds, blob_cid(png))
        assert served.status == 200 and served.data == png


async def test_a_post_with_a_video(
    real_pds: RealPDS, bsky: BlueskyClient, http: aiohttp.ClientSession
) -> None:
    mp4 = small_mp4(1280, 720)
    post = await bsky.post("A short clip", media=[mp4], alt_texts=["Waves on a beach"])
    check_post_identity(real_pds, post)
    value = await stored(http, real_pds, post)
    embed = value["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "Waves on a beach"
    assert embed["aspectRatio"] == {"width": 1280, "height": 720}
    assert embed["video"]["ref"]["$link"] == blob_cid(mp4)
    assert embed["video"]["mimeType"] == "video/mp4"
    served = await get_blob(http, real_pds, blob_cid(mp4))
    assert served.status == 200 and served.data == mp4


async def test_links_become_facets_with_utf8_byte_offsets(
    real_pds: RealPDS, bsky: BlueskyClient, http: aiohttp.ClientSession
) -> None:
    text = f"{FAMILY} café: see https://example.com/cat?x=1. And more"
    post = await bsky.post(text, langs=["en"])
    value = await stored(http, real_pds, post)
    assert value["text"] == text
    assert value["langs"] == ["en"]
    assert "embed" not in value
    (facet,) = value["facets"]
    link = "https://example.com/cat?x=1"
    start = text.encode().index(link.encode())
    assert facet["index"] == {"byteStart": start, "byteEnd": start + len(link.encode())}
    assert facet["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": link}]


async def test_graphemes_are_counted_as_the_real_pds_counts_them(
    real_pds: RealPDS, bsky: BlueskyClient, http: aiohttp.ClientSession
) -> None:
    """300 graphemes (100 ZWJ families + 200 letters, 2000 bytes): both accept; 301: both
    refuse — the client before any request, the PDS with 400 ``InvalidRequest``."""
    text = FAMILY * 100 + "a" * 200
    post = await bsky.post(text)
    assert (await stored(http, real_pds, post))["text"] == text
    too_long = text + "b"
    with pytest.raises(ValueError, match="300"):
        await bsky.post(too_long)
    session = await login(http, real_pds)
    raw = await xrpc(
        http,
        real_pds,
        "com.atproto.repo.createRecord",
        token=session["accessJwt"],
        json_body={
            "repo": real_pds.did,
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": too_long,
                "createdAt": "2026-01-01T00:00:00.000Z",
            },
        },
    )
    assert (raw.status, raw.error, raw.message) == (
        400,
        "InvalidRequest",
        "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) "
        "at $.record.text",
    )


async def test_replies_reference_the_parent_and_the_thread_root(
    real_pds: RealPDS, bsky: BlueskyClient, http: aiohttp.ClientSession
) -> None:
    root = await bsky.post("The first post")
    reply = await bsky.post("A reply", reply_to=root)
    deeper = await bsky.post("A reply to the reply", reply_to=reply.id)
    root_ref = {"uri": root.id, "cid": root.raw["cid"]}
    assert (await stored(http, real_pds, reply))["reply"] == {
        "root": root_ref,
        "parent": root_ref,
    }
    assert (await stored(http, real_pds, deeper))["reply"] == {
        "root": root_ref,
        "parent": {"uri": reply.id, "cid": reply.raw["cid"]},
    }


# -- sessions --------------------------------------------------------------------------------


async def test_refresh_renews_both_tokens(real_pds: RealPDS, bsky: BlueskyClient) -> None:
    await bsky.login()
    access, refresh = bsky.access_jwt, bsky.refresh_jwt
    assert refresh is not None and jwt_claims(refresh)["scope"] == "com.atproto.refresh"
    renewed = await bsky.refresh()
    assert renewed == bsky.access_jwt and bsky.renewals == 1
    # The refresh token rotates; an access token has no jti, so one issued in the same second
    # as the last is the same string: compare what it says instead.
    assert bsky.refresh_jwt not in (None, refresh)
    assert jwt_claims(renewed)["iat"] >= jwt_claims(access or "")["iat"]
    png = real_png(10, 10, seed=40)
    assert (await bsky.upload_blob(png)).ref == blob_cid(png)


async def expired_access(
    http: aiohttp.ClientSession, pds: RealPDS, **options: Any
) -> BlueskyClient:
    """A client holding the PDS's own expired access token and a live refresh token."""
    session = await login(http, pds)
    return BlueskyClient(
        str(pds.url),
        access_jwt=pds.expired_access_jwt,
        refresh_jwt=session["refreshJwt"],
        **options,
    )


async def test_an_expired_access_token_is_refreshed_before_use(
    real_pds: RealPDS, http: aiohttp.ClientSession
) -> None:
    async with await expired_access(http, real_pds) as client:
        png = real_png(10, 10, seed=41)
        assert (await client.upload_blob(png)).ref == blob_cid(png)
        assert client.renewals == 1
        assert client.access_jwt != real_pds.expired_access_jwt
        assert jwt_claims(client.access_jwt or "")["exp"] > time.time() + 3600


async def test_an_expired_token_answer_refreshes_and_repeats_the_request_once(
    real_pds: RealPDS, http: aiohttp.ClientSession
) -> None:
    """The client's clock says the token is fresh; the real PDS answers 400 ExpiredToken."""
    async with await expired_access(http, real_pds, clock=lambda: 0.0) as client:
        png = real_png(10, 10, seed=42)
        assert (await client.upload_blob(png)).ref == blob_cid(png)
        assert client.renewals == 1


async def test_concurrent_uploads_share_one_refresh(
    real_pds: RealPDS, http: aiohttp.ClientSession
) -> None:
    async with await expired_access(http, real_pds, clock=lambda: 0.0) as client:
        pngs = [real_png(12, 12, seed=50 + i) for i in range(4)]
        blobs = await asyncio.gather(*(client.upload_blob(png) for png in pngs))
        assert [blob.ref for blob in blobs] == [blob_cid(png) for png in pngs]
        assert client.renewals == 1


async def revoked_refresh_token(http: aiohttp.ClientSession, pds: RealPDS) -> str:
    """A refresh token the real PDS revoked (``deleteSession``), and what it then answers."""
    session = await login(http, pds)
    refresh = session["refreshJwt"]
    deleted = await xrpc(http, pds, "com.atproto.server.deleteSession", token=refresh)
    assert deleted.status == 200, deleted
    again = await xrpc(http, pds, "com.atproto.server.refreshSession", token=refresh)
    assert (again.status, again.error, again.message) == (
        400,
        "ExpiredToken",
        "Token has been revoked",
    )
    return str(refresh)


async def test_a_failed_refresh_logs_in_again_when_the_password_is_known(
    real_pds: RealPDS, http: aiohttp.ClientSession
) -> None:
    refresh = await revoked_refresh_token(http, real_pds)
    async with BlueskyClient(
        str(real_pds.url),
        access_jwt=real_pds.expired_access_jwt,
        refresh_jwt=refresh,
        identifier=real_pds.handle,
        password=real_pds.password,
    ) as client:
        png = real_png(10, 10, seed=43)
        assert (await client.upload_blob(png)).ref == blob_cid(png)
        assert client.refresh_jwt != refresh


async def test_a_failed_refresh_without_password_is_an_authentication_error(
    real_pds: RealPDS, http: aiohttp.ClientSession
) -> None:
    refresh = await revoked_refresh_token(http, real_pds)
    async with BlueskyClient(
        str(real_pds.url), access_jwt=real_pds.expired_access_jwt, refresh_jwt=refresh
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_blob(real_png(10, 10, seed=44))
    assert "Token has been revoked" in str(caught.value)


async def test_a_token_that_is_not_a_jwt(real_pds: RealPDS) -> None:
    """The real PDS answers it 500 InternalServerError: with the password the client logs in
    instead; without, it fails fast with AuthenticationError (no retries spent on it)."""
    async with BlueskyClient(
        str(real_pds.url),
        access_jwt="this-is-not-a-jwt",
        identifier=real_pds.handle,
        password=real_pds.password,
    ) as client:
        png = real_png(10, 10, seed=45)
        assert (await client.upload_blob(png)).ref == blob_cid(png)
        assert client.access_jwt != "this-is-not-a-jwt"
    async with BlueskyClient(str(real_pds.url), access_jwt="this-is-not-a-jwt") as client:
        started = time.monotonic()
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_blob(real_png(10, 10, seed=46))
        assert time.monotonic() - started < 5.0
    assert caught.value.status == 500


async def test_what_the_real_pds_answers_records_it_refuses(
    real_pds: RealPDS, bsky: BlueskyClient, http: aiohttp.ClientSession
) -> None:
    """The record checks the sandbox's createRecord follows, as the real PDS words them."""
    png = real_png(8, 8, seed=60)
    blob = (await bsky.upload_blob(png)).as_dict()
    token = str(bsky.access_jwt)

    async def create(record: dict[str, object]) -> tuple[int, object, object]:
        answer = await xrpc(
            http,
            real_pds,
            "com.atproto.repo.createRecord",
            token=token,
            json_body={"repo": real_pds.did, "collection": "app.bsky.feed.post", "record": record},
        )
        return answer.status, answer.error, answer.message

    def post(**embed: object) -> dict[str, object]:
        return {
            "$type": "app.bsky.feed.post",
            "text": "refused",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "embed": {"$type": "app.bsky.embed.images", **embed},
        }

    unknown = "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
    prefix = "Invalid app.bsky.feed.post record: "
    assert await create(post(images=[{"image": blob}])) == (
        400,
        "InvalidRequest",
        prefix + 'Missing required key "alt" at $.record.embed.images[0]',
    )
    assert await create(post(images=[{"image": blob, "alt": ""}] * 5)) == (
        400,
        "InvalidRequest",
        prefix + "array too big (maximum 4, got 5) at $.record.embed.images",
    )
    assert await create({"$type": "app.bsky.feed.post", "text": "no date"}) == (
        400,
        "InvalidRequest",
        prefix + 'Missing required key "createdAt" at $.record',
    )
    assert await create(
        post(images=[{"image": {**blob, "ref": {"$link": unknown}}, "alt": ""}])
    ) == (
        400,
        "BlobNotFound",
        f"Could not find blob: {unknown}",
    )
    assert await create(post(images=[{"image": {**blob, "size": len(png) + 1}, "alt": ""}])) == (
        400,
        "InvalidSize",
        f"Referenced Size does not match stored blob. Expected: {len(png)}, Got: {len(png) + 1}",
    )
    assert await create(
        post(images=[{"image": {**blob, "mimeType": "image/jpeg"}, "alt": ""}])
    ) == (
        400,
        "InvalidMimeType",
        "Referenced Mimetype does not match stored blob. Expected: image/png, Got: image/jpeg",
    )
    # Through the client: a blob ref the PDS does not have is an APIError with its words.
    with pytest.raises(APIError) as caught:
        await bsky.post("ghost", media=[Blob(ref=unknown, mime_type="image/png", size=8)])
    assert (caught.value.status, caught.value.code) == (400, "BlobNotFound")
    assert caught.value.message == f"Could not find blob: {unknown}"
