"""``TwitPicClient`` against the sandbox's TwitPic route: OAuth Echo, both formats, errors."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiofiles
import pytest

from asyncmedia import APIError, AuthenticationError, OAuth1, TwitPicClient
from asyncmedia.sandbox import Sandbox


def png_bytes(size: int = 25_000) -> bytes:
    header = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (320).to_bytes(4, "big") + (200).to_bytes(4, "big")
    )
    body = bytes((i * 31 + i // 101) % 256 for i in range(size - len(header)))
    return header + body


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["json", "xml"])
async def twitpic(request: pytest.FixtureRequest, sandbox: Sandbox) -> AsyncIterator[TwitPicClient]:
    async with TwitPicClient(
        sandbox.twitpic_api_key,
        **sandbox.credentials,
        base_url=sandbox.twitpic_url,
        response_format=request.param,
    ) as client:
        yield client


async def test_upload_bytes_in_each_format(sandbox: Sandbox, twitpic: TwitPicClient) -> None:
    data = png_bytes()
    photo = await twitpic.upload(data, message="Ünïcödé caption & more ✓")
    record = sandbox.twitpic.uploads[-1]
    assert record.response_format == twitpic.protocol.response_format
    assert record.sha256 == sha(data)
    assert record.message == "Ünïcödé caption & more ✓"
    assert photo.id == record.id
    assert photo.text == "Ünïcödé caption & more ✓"
    assert photo.url == f"http://twitpic.com/{record.id}"
    assert (photo.width, photo.height, photo.size, photo.type) == (320, 200, len(data), "png")
    assert photo.timestamp and photo.timestamp.endswith("+0000")
    expected_user = int(sandbox.credentials["access_token"].split("-")[0])
    assert photo.user.id == expected_user
    assert photo.user.screen_name == "sandbox"


async def test_aiofiles_source_and_no_secret_ever_reaches_twitpic(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    data = png_bytes(40_000)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    async with TwitPicClient(
        sandbox.twitpic_api_key, **sandbox.credentials, base_url=sandbox.twitpic_url
    ) as client:
        async with aiofiles.open(path, "rb") as handle:
            await client.upload(handle, message="from aiofiles")
        await client.upload(data)  # message defaults to "" and is still sent
    assert [u.sha256 for u in sandbox.twitpic.uploads] == [sha(data), sha(data)]
    assert sandbox.twitpic.uploads[1].fields["message"] == ""
    secrets = (sandbox.credentials["consumer_secret"], sandbox.credentials["access_token_secret"])
    twitpic_requests = [r for r in sandbox.requests if r.path.startswith("/twitpic/")]
    assert len(twitpic_requests) == 2
    for request in twitpic_requests:
        assert "authorization" not in request.headers
        for name, value in request.headers.items():
            assert all(secret not in value for secret in secrets), name
        assert request.headers["x-auth-service-provider"] == (
            "https://api.twitter.com/1.1/account/verify_credentials.json"
        )
        assert request.headers["x-verify-credentials-authorization"].startswith("OAuth ")
    for upload in sandbox.twitpic.uploads:
        assert set(upload.fields) == {"key", "message"}
        for value in upload.fields.values():
            assert all(secret not in value for secret in secrets)


async def test_bad_echo_signature_is_an_authentication_error(
    sandbox: Sandbox, twitpic: TwitPicClient
) -> None:
    creds = dict(sandbox.credentials, access_token_secret="not-the-secret")
    async with TwitPicClient(
        sandbox.twitpic_api_key,
        **creds,
        base_url=sandbox.twitpic_url,
        response_format=twitpic.protocol.response_format,
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload(png_bytes())
    assert caught.value.status == 401
    assert "Could not authenticate you" in caught.value.message
    assert sandbox.twitpic.uploads == []


async def test_replayed_echo_header_is_refused(sandbox: Sandbox) -> None:
    # One frozen timestamp too: a nonce is unique per timestamp, so two uploads that straddle
    # a second boundary would otherwise both be accepted (a flaky test under load).
    now = sandbox.clock()
    fixed = OAuth1(**sandbox.credentials, nonce_factory=lambda: "samenonce", clock=lambda: now)
    async with TwitPicClient(
        sandbox.twitpic_api_key,
        **sandbox.credentials,
        base_url=sandbox.twitpic_url,
        echo_signer=fixed,
    ) as client:
        await client.upload(png_bytes())
        with pytest.raises(AuthenticationError, match="nonce already used"):
            await client.upload(png_bytes())
    assert len(sandbox.twitpic.uploads) == 1


async def test_unknown_service_provider_and_wrong_key_are_refused(sandbox: Sandbox) -> None:
    async with TwitPicClient(
        sandbox.twitpic_api_key,
        **sandbox.credentials,
        base_url=sandbox.twitpic_url,
        service_provider="https://example.com/verify.json",
    ) as client:
        with pytest.raises(AuthenticationError, match="unknown service provider"):
            await client.upload(png_bytes())
    async with TwitPicClient(
        "wrong-key", **sandbox.credentials, base_url=sandbox.twitpic_url, response_format="xml"
    ) as client:
        with pytest.raises(AuthenticationError, match="Invalid API key"):
            await client.upload(png_bytes())
    assert sandbox.twitpic.uploads == []


async def test_bad_requests_are_api_errors_with_the_service_message(
    sandbox: Sandbox, twitpic: TwitPicClient
) -> None:
    with pytest.raises(APIError) as caught:
        await twitpic.upload(b"plain text, not a picture", media_type="image/png")
    assert type(caught.value) is APIError
    assert caught.value.status == 400
    assert "Invalid file type" in caught.value.message
    # A request without the API key (built by hand: the client always sends it).
    request = twitpic.protocol.upload(
        api_key="",
        message="",
        filename="a.png",
        media_type="image/png",
        echo_authorization=twitpic.echo_authorization(),
    )
    response = await twitpic.transport.send(request, png_bytes())
    with pytest.raises(APIError, match="Missing API key") as missing:
        twitpic.protocol.read_photo(response)
    assert missing.value.status == 400
    assert sandbox.twitpic.uploads == []
