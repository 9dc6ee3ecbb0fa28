"""The X v2, Mastodon and Bluesky sandbox routes judged with raw aiohttp (no client code)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from service_samples import mp4_bytes, png_bytes, sha

from asyncmedia.sandbox import Sandbox


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def x2_auth(sb: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sb.x_bearer_token}"}


async def test_x2_finalize_needs_a_json_object_and_all_bytes(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    data = mp4_bytes(10_000)
    init = {"media_type": "video/mp4", "total_bytes": len(data), "media_category": "tweet_video"}
    async with http.post(
        sandbox.x2_url + "media/upload/initialize", json=init, headers=x2_auth(sandbox)
    ) as r:
        assert r.status == 200
        media_id = (await r.json())["data"]["id"]
    finalize = sandbox.x2_url + f"media/upload/{media_id}/finalize"
    async with http.post(finalize, headers=x2_auth(sandbox)) as r:
        body = await r.json(content_type=None)
        assert r.status == 400 and r.content_type == "application/problem+json"
        assert "JSON object" in body["errors"][0]["message"]
    async with http.post(finalize, json={}, headers=x2_auth(sandbox)) as r:
        assert r.status == 400  # nothing appended yet
    form = aiohttp.FormData()
    form.add_field("segment_index", "0")
    form.add_field("media", data, filename="clip.mp4", content_type="application/octet-stream")
    append = sandbox.x2_url + f"media/upload/{media_id}/append"
    async with http.post(append, data=form, headers=x2_auth(sandbox)) as r:
        assert r.status == 200 and "expires_at" in (await r.json())["data"]
    async with http.post(finalize, json={}, headers=x2_auth(sandbox)) as r:
        data_obj = (await r.json())["data"]
        assert data_obj["processing_info"]["state"] == "pending"
    assert sandbox.twitter_v2 is not None
    assert sandbox.twitter_v2.uploads[media_id].sha256 == sha(data)


async def test_x2_one_shot_requires_a_category_and_auth(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("media", png_bytes(), filename="a.png", content_type="image/png")
    async with http.post(sandbox.x2_url + "media/upload", data=form, headers=x2_auth(sandbox)) as r:
        assert r.status == 400
        assert "media_category" in (await r.json(content_type=None))["errors"][0]["message"]
    async with http.post(sandbox.x2_url + "media/upload", data=b"x") as r:
        assert r.status == 401
        assert (await r.json(content_type=None))["title"] == "Unauthorized"


async def test_mastodon_file_part_must_carry_its_real_type(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {sandbox.mastodon_token}"}
    for content_type in ("application/octet-stream", "image/jpeg"):
        form = aiohttp.FormData()
        form.add_field("file", png_bytes(), filename="a.png", content_type=content_type)
        async with http.post(
            sandbox.mastodon_url + "api/v2/media", data=form, headers=headers
        ) as r:
            assert r.status == 422
            assert "content type is invalid" in (await r.json())["error"]
    form = aiohttp.FormData()
    form.add_field("file", png_bytes(), filename="a.png", content_type="image/png")
    form.add_field("focus", "2,0")
    async with http.post(sandbox.mastodon_url + "api/v2/media", data=form, headers=headers) as r:
        assert r.status == 422 and "Focus" in (await r.json())["error"]
    async with http.get(sandbox.mastodon_url + "api/v1/media/1", headers=headers) as r:
        assert r.status == 404 and (await r.json()) == {"error": "Record not found"}
        assert "T" in r.headers["X-RateLimit-Reset"]
        assert "x-rate-limit-reset" not in r.headers


async def test_bluesky_refuses_multipart_and_unauthenticated_blobs(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    url = sandbox.bluesky_url + "xrpc/com.atproto.repo.uploadBlob"
    async with http.post(url, data=png_bytes(), headers={"Content-Type": "image/png"}) as r:
        assert r.status == 401 and (await r.json())["error"] == "AuthMissing"
    form = aiohttp.FormData()
    form.add_field("file", png_bytes(), filename="a.png", content_type="image/png")
    headers = {"Authorization": f"Bearer {sandbox.bluesky_token}"}
    async with http.post(url, data=form, headers=headers) as r:
        assert r.status == 400 and (await r.json())["error"] == "InvalidRequest"
    login = sandbox.bluesky_url + "xrpc/com.atproto.server.createSession"
    creds = {"identifier": sandbox.bluesky_identifier, "password": sandbox.bluesky_password}
    async with http.post(login, data=json.dumps(creds)) as r:
        assert r.status == 400  # text/plain is not a JSON request
    async with http.post(login, json=creds) as r:
        assert r.status == 200 and (await r.json())["accessJwt"] == sandbox.bluesky_token
