"""Bluesky sessions that outlive the access token, against the sandbox PDS's expiring JWTs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from service_samples import png_bytes

from asyncmedia import AuthenticationError, BlueskyClient
from asyncmedia.protocols.bluesky import jwt_claims
from asyncmedia.sandbox import BlueskyService, Sandbox


class Clock:
    """Real time plus an offset a test moves forward (no sleeping)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def pds_clock() -> Clock:
    return Clock()


@pytest.fixture
async def pds(pds_clock: Clock) -> AsyncIterator[Sandbox]:
    async with Sandbox(clock=pds_clock) as sandbox:
        yield sandbox


def service(sandbox: Sandbox) -> BlueskyService:
    assert sandbox.bluesky is not None
    return sandbox.bluesky


def calls(sandbox: Sandbox) -> list[tuple[str, int]]:
    return [(r.path.rsplit(".", 1)[1], r.status) for r in sandbox.requests]


def password_client(sandbox: Sandbox, **kwargs: object) -> BlueskyClient:
    return BlueskyClient(
        sandbox.bluesky_url,
        identifier=sandbox.bluesky_identifier,
        password=sandbox.bluesky_password,
        backoff=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


async def session_tokens(sandbox: Sandbox) -> dict[str, str]:
    url = sandbox.bluesky_url + "xrpc/com.atproto.server.createSession"
    body = {"identifier": sandbox.bluesky_identifier, "password": sandbox.bluesky_password}
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as r:
        assert r.status == 200
        answer: dict[str, str] = await r.json()
        return answer


async def test_the_sandbox_issues_real_looking_expiring_jwts(pds: Sandbox) -> None:
    service(pds).token_lifetime = 900
    tokens = await session_tokens(pds)
    access, refresh = jwt_claims(tokens["accessJwt"]), jwt_claims(tokens["refreshJwt"])
    assert access is not None and refresh is not None
    assert access["scope"] == "com.atproto.access" and access["sub"] == service(pds).did
    assert access["exp"] - access["iat"] == 900
    assert refresh["scope"] == "com.atproto.refresh" and refresh["jti"]
    assert refresh["exp"] - refresh["iat"] == 90 * 86400


async def test_expired_token_is_refreshed_and_the_request_repeated_once(
    pds: Sandbox, pds_clock: Clock
) -> None:
    async with password_client(pds) as client:
        await client.upload_blob(png_bytes(seed=1))
        first = client.access_jwt
        pds_clock.offset += 7201  # the PDS now sees the access token as expired
        blob = await client.upload_blob(png_bytes(seed=2))
    assert blob.ref in service(pds).blobs
    assert calls(pds) == [
        ("createSession", 200),
        ("uploadBlob", 200),
        ("uploadBlob", 400),
        ("refreshSession", 200),
        ("uploadBlob", 200),
    ]
    refresh = pds.requests[3]
    assert refresh.headers["authorization"] != f"Bearer {first}"  # the refresh token
    assert pds.requests[4].headers["authorization"] == f"Bearer {client.access_jwt}"
    assert client.access_jwt != first and client.renewals == 1
    assert service(pds).sessions == 1 and service(pds).refreshes == 1


async def test_refresh_before_exp_without_an_error_first(pds: Sandbox) -> None:
    service(pds).token_lifetime = 600
    client_clock = Clock()
    async with password_client(pds, clock=client_clock) as client:
        await client.upload_blob(png_bytes(seed=1))
        assert client.expires_at is not None
        client_clock.offset += 400  # 200 s left; margin is min(300, 600 / 2)
        await client.upload_blob(png_bytes(seed=2))
        await client.upload_blob(png_bytes(seed=3))  # the new token is good for 600 s
    assert calls(pds) == [
        ("createSession", 200),
        ("uploadBlob", 200),
        ("refreshSession", 200),
        ("uploadBlob", 200),
        ("uploadBlob", 200),
    ]


async def test_concurrent_uploads_share_one_refresh(pds: Sandbox, pds_clock: Clock) -> None:
    async with password_client(pds) as client:
        await client.upload_blob(png_bytes(seed=0))
        pds_clock.offset += 7201
        blobs = await asyncio.gather(*(client.upload_blob(png_bytes(seed=n)) for n in range(1, 6)))
    assert len({blob.ref for blob in blobs}) == 5
    assert service(pds).refreshes == 1 and service(pds).sessions == 1
    assert [name for name, _ in calls(pds)].count("refreshSession") == 1


async def test_concurrent_proactive_refresh_is_one_refresh(pds: Sandbox) -> None:
    client_clock = Clock()
    async with password_client(pds, clock=client_clock) as client:
        await client.upload_blob(png_bytes(seed=0))
        client_clock.offset += 7000
        await asyncio.gather(*(client.upload_blob(png_bytes(seed=n)) for n in range(1, 5)))
    assert service(pds).refreshes == 1
    assert all(status == 200 for _, status in calls(pds))


async def test_failed_refresh_logs_in_again_when_the_password_is_known(
    pds: Sandbox, pds_clock: Clock
) -> None:
    async with password_client(pds) as client:
        await client.upload_blob(png_bytes(seed=1))
        service(pds).revoke_sessions()
        pds_clock.offset += 7201
        await client.upload_blob(png_bytes(seed=2))
    assert calls(pds) == [
        ("createSession", 200),
        ("uploadBlob", 200),
        ("uploadBlob", 400),
        ("refreshSession", 400),
        ("createSession", 200),
        ("uploadBlob", 200),
    ]
    assert service(pds).sessions == 2


async def test_failed_refresh_without_password_is_an_authentication_error(
    pds: Sandbox, pds_clock: Clock
) -> None:
    tokens = await session_tokens(pds)
    async with BlueskyClient(
        pds.bluesky_url, access_jwt=tokens["accessJwt"], refresh_jwt=tokens["refreshJwt"]
    ) as client:
        assert client.did == service(pds).did  # read from the token's sub
        await client.upload_blob(png_bytes(seed=1))
        pds_clock.offset += 7201
        second = await client.upload_blob(png_bytes(seed=2))  # refreshed with refresh_jwt
        assert second.ref in service(pds).blobs and service(pds).refreshes == 1
        service(pds).revoke_sessions()
        pds_clock.offset += 7201
        with pytest.raises(AuthenticationError, match="no password") as caught:
            await client.upload_blob(png_bytes(seed=3))
    assert caught.value.code == "ExpiredToken"
    assert "Token has been revoked" in caught.value.message
    assert len(service(pds).blobs) == 2


async def test_expired_token_without_refresh_token_or_password(
    pds: Sandbox, pds_clock: Clock
) -> None:
    async with BlueskyClient(pds.bluesky_url, access_jwt=pds.bluesky_token) as client:
        pds_clock.offset += 7201
        with pytest.raises(AuthenticationError, match="neither a refresh token nor a password"):
            await client.upload_blob(png_bytes())
    assert calls(pds) == [("uploadBlob", 400)]


async def test_a_token_that_is_not_a_jwt_is_retried_at_most_once(pds: Sandbox) -> None:
    async with BlueskyClient(pds.bluesky_url, access_jwt="opaque-not-a-jwt", retries=4) as client:
        with pytest.raises(AuthenticationError, match="not a JWT") as caught:
            await client.upload_blob(png_bytes())
    assert caught.value.status == 500
    # The reference PDS answers 500 InternalServerError; one retry, not four.
    assert calls(pds) == [("uploadBlob", 500), ("uploadBlob", 500)]


async def test_a_bad_given_token_logs_in_when_the_password_is_known(pds: Sandbox) -> None:
    async with password_client(pds, access_jwt="opaque-not-a-jwt") as client:
        blob = await client.upload_blob(png_bytes())
    assert blob.ref in service(pds).blobs
    assert calls(pds) == [
        ("uploadBlob", 500),
        ("uploadBlob", 500),
        ("createSession", 200),
        ("uploadBlob", 200),
    ]


async def test_a_token_that_is_not_a_jwt_elsewhere_than_upload_blob(pds: Sandbox) -> None:
    """Everywhere but uploadBlob the reference PDS answers such a token 400 InvalidToken:
    without a password that is an AuthenticationError at once, with one the client logs in."""
    async with BlueskyClient(pds.bluesky_url, access_jwt="opaque-not-a-jwt", retries=4) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.post("only words")
    assert (caught.value.status, caught.value.code) == (400, "InvalidToken")
    assert caught.value.message == "Token could not be verified"
    assert [call for call in calls(pds) if call[0] != "createSession"] == [("getSession", 400)]
    assert service(pds).posts == []
    async with password_client(pds, access_jwt="opaque-not-a-jwt") as client:
        post = await client.post("only words")
    assert post.id in service(pds).repo_records and len(service(pds).posts) == 1
    # The refused getSession (for the DID), the login, that getSession repeated once, the post.
    assert calls(pds)[1:] == [
        ("getSession", 400),
        ("createSession", 200),
        ("getSession", 200),
        ("createRecord", 200),
    ]


async def test_forged_and_misused_tokens_are_refused(pds: Sandbox) -> None:
    tokens = await session_tokens(pds)
    head, body, _signature = tokens["accessJwt"].split(".")
    url = pds.bluesky_url + "xrpc/com.atproto.repo.uploadBlob"
    refresh_url = pds.bluesky_url + "xrpc/com.atproto.server.refreshSession"

    async def post(target: str, token: str) -> tuple[int, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(target, data=png_bytes(), headers=headers) as r,
        ):
            return r.status, await r.json()

    assert await post(url, f"{head}.{body}.AAAA") == (
        400,
        {"error": "InvalidToken", "message": "Token could not be verified"},
    )
    # As the reference PDS: a token of the wrong kind is just "could not be verified".
    assert await post(url, tokens["refreshJwt"]) == (
        400,
        {"error": "InvalidToken", "message": "Token could not be verified"},
    )
    assert await post(refresh_url, tokens["accessJwt"]) == (
        400,
        {"error": "InvalidToken", "message": "Token could not be verified"},
    )
    # Not a JWT: a crash on uploadBlob only, "could not be verified" elsewhere.
    assert await post(url, "no-dots") == (
        500,
        {"error": "InternalServerError", "message": "Internal Server Error"},
    )
    assert await post(refresh_url, "no-dots") == (
        400,
        {"error": "InvalidToken", "message": "Token could not be verified"},
    )


async def test_refresh_tokens_rotate_with_a_grace_period(pds: Sandbox, pds_clock: Clock) -> None:
    service(pds).refresh_grace = 60
    tokens = await session_tokens(pds)
    url = pds.bluesky_url + "xrpc/com.atproto.server.refreshSession"

    async def refresh(token: str) -> tuple[int, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as http, http.post(url, headers=headers) as r:
            return r.status, await r.json()

    status, first = await refresh(tokens["refreshJwt"])
    assert status == 200 and set(first) >= {"accessJwt", "refreshJwt", "did", "handle"}
    status, again = await refresh(tokens["refreshJwt"])  # a lost answer, repeated: same next
    assert status == 200
    assert jwt_claims(again["refreshJwt"])["jti"] == jwt_claims(first["refreshJwt"])["jti"]  # type: ignore[index]
    pds_clock.offset += 61
    assert await refresh(tokens["refreshJwt"]) == (
        400,
        {"error": "ExpiredToken", "message": "Token has been revoked"},
    )
    status, _ = await refresh(first["refreshJwt"])  # the rotated-to token works
    assert status == 200


async def test_did_from_get_session_when_the_token_does_not_tell(pds: Sandbox) -> None:
    async with BlueskyClient(pds.bluesky_url, access_jwt=pds.bluesky_token) as client:
        assert client.did == service(pds).did  # the JWT's sub
        client._did = None  # as for a token that is not a JWT: the client must ask
        post = await client.post("who am I")
    assert post.id.startswith(f"at://{service(pds).did}/")
    assert calls(pds) == [("getSession", 200), ("createRecord", 200)]
