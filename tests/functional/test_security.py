"""Security by default: TLS verified, secrets never in reprs or logs, private networks
refusable, downloads carry nothing meant for the service."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from local_servers import serving

from asyncmedia import (
    APIError,
    AuthenticationError,
    MediaClient,
    MediaSourceError,
    TransportError,
    UploadConfig,
)
from asyncmedia.auth import BearerToken
from asyncmedia.netguard import is_public_address
from asyncmedia.sandbox import Fault, Sandbox
from asyncmedia.transport import Transport

PNG = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"sec").digest() * 300


def secrets_of(sandbox: Sandbox) -> list[str]:
    creds = sandbox.credentials
    return [creds["consumer_secret"], creds["access_token_secret"], creds["access_token"]]


async def test_reprs_and_logs_never_show_secrets(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.inject(
        Fault(command="APPEND", status=503),
        Fault(command="FINALIZE", status=401),
    )
    client = MediaClient(
        **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url, backoff=0.01
    )
    async with client:
        with pytest.raises(AuthenticationError) as caught:
            await client.upload_media(b"\x00\x00\x00\x18ftypisom" + b"\0" * 5000)
    texts = [
        repr(client),
        str(client),
        repr(client.signer),
        repr(client.config),
        repr(caught.value),
        str(caught.value),
        caplog.text,
    ]
    assert "retrying" in caplog.text  # the APPEND retry was logged ...
    for secret in secrets_of(sandbox):
        for text in texts:
            assert secret not in text  # ... without any secret


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_private_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


def test_public_addresses_are_public() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_block_private_networks(sandbox: Sandbox, host: str) -> None:
    async with MediaClient(
        **sandbox.credentials,
        upload_url=sandbox.url,
        api_url=sandbox.url,
        block_private_networks=True,
    ) as client:
        with pytest.raises(MediaSourceError, match="private, loopback or link-local"):
            await client.upload_media(f"http://{host}:9/cat.png")
    assert sandbox.requests == []


def test_tls_verification_is_on_by_default() -> None:
    assert UploadConfig().block_private_networks is False  # opt-in, documented
    client = MediaClient("ck", "cs", "at", "ats")
    assert client._verify_ssl is True


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_side(self_signed: tuple[Path, Path]) -> ssl.SSLContext:
    """A server's TLS context with the self-signed certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed)
    return context


@pytest.fixture
async def tls_service(self_signed: tuple[Path, Path]) -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []

    async def upload(request: web.Request) -> web.Response:
        await request.read()
        seen.append(request.path)
        return web.json_response({"media_id": 5, "media_id_string": "5", "size": 1})

    app = web.Application()
    app.router.add_post("/1.1/media/upload.json", upload)
    async with serving(app, ssl_context=server_side(self_signed)) as base:
        yield f"{base}1.1/", seen


async def test_untrusted_certificate_is_refused(tls_service: tuple[str, list[str]]) -> None:
    url, seen = tls_service
    async with MediaClient("ck", "cs", "at", "ats", upload_url=url, retries=0) as client:
        with pytest.raises(TransportError, match=r"(?i)certificate"):
            await client.upload_media(PNG)
    assert seen == []
    async with MediaClient("ck", "cs", "at", "ats", upload_url=url, verify_ssl=False) as client:
        media = await client.upload_media(PNG)
    assert media.media_id == 5 and seen == ["/1.1/media/upload.json"]


async def test_connections_opened_ahead_verify_tls_and_serve_the_requests(
    self_signed: tuple[Path, Path],
) -> None:
    peers: list[int] = []

    async def upload(request: web.Request) -> web.Response:
        await request.read()
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername")[1])
        await asyncio.sleep(0.05)  # keep them concurrent
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/1.1/media/upload.json", upload)
    trusting = ssl.create_default_context(cafile=str(self_signed[0]))
    opened: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_open(_s: object, _c: object, _p: object) -> None:
        opened.append("open")

    trace.on_connection_create_end.append(on_open)
    async with serving(app, ssl_context=server_side(self_signed)) as base:
        url = base / "1.1/media/upload.json"
        # An untrusted certificate: nothing is opened (and nothing could have been sent).
        async with aiohttp.ClientSession() as session:
            transport = Transport(session, BearerToken("tok"), UploadConfig(request_timeout=2))
            assert await transport.preconnect(url, 3) == 0
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=trusting), trace_configs=[trace]
        ) as session:
            transport = Transport(session, BearerToken("tok"), UploadConfig(request_timeout=2))
            assert await transport.preconnect(url, 3) == 3
            answers = await asyncio.gather(*(session.post(url, data=b"x") for _ in range(3)))
            for answer in answers:
                answer.release()
    # The three requests ran over the three TLS connections opened ahead: none of their own.
    assert opened == [] and len(set(peers)) == 3


async def test_service_cookies_never_reach_media_hosts(sandbox: Sandbox) -> None:
    seen: list[str | None] = []

    async def media(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        return web.Response(body=PNG, content_type="image/png")

    async def set_cookie(request: web.Request) -> web.Response:
        resp = web.Response(status=400, text="{}")
        resp.set_cookie("session", "service-secret")
        return resp

    app = web.Application()
    app.router.add_get("/cat.png", media)
    app.router.add_post("/1.1/media/upload.json", set_cookie)
    async with (
        serving(app) as url,
        MediaClient("ck", "cs", "at", "ats", upload_url=f"{url}1.1/") as client,
    ):
        with pytest.raises(APIError):
            await client.upload_media(PNG)  # the "service" sets a cookie
        with pytest.raises(APIError):
            await client.upload_media(f"{url}cat.png")  # same host, another path
    assert seen == [None]
