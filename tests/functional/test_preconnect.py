"""Connections opened ahead of a chunked upload's APPENDs (``Transport.preconnect``), against
real servers on 127.0.0.1: as many as asked, none twice, nothing sent on them, nothing at all
behind a test double's back, through a proxy, past the connector's limits or to a closed port;
and an upload whose connections opened ahead are cut (at once, or once APPENDs are on them)
still completes byte-exact."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from asyncmedia import MediaClient
from asyncmedia.auth import BearerToken
from asyncmedia.config import UploadConfig
from asyncmedia.sandbox import Sandbox
from asyncmedia.transport import Transport


class CountingServer:
    """Accepts TCP connections on 127.0.0.1 and records what arrives on each."""

    def __init__(self) -> None:
        self.accepted = 0
        self.received = b""
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.writers.append(writer)
        self.received += await reader.read()

    @property
    def url(self) -> URL:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return URL(f"http://127.0.0.1:{port}/1.1/media/upload.json")


@pytest.fixture
async def counting() -> AsyncIterator[CountingServer]:
    server = CountingServer()
    server.server = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    yield server
    for writer in server.writers:
        writer.close()
    server.server.close()
    await server.server.wait_closed()


def transport(session: aiohttp.ClientSession) -> Transport:
    return Transport(session, BearerToken("tok-SECRET"), UploadConfig(request_timeout=2.0))


async def settle(server: CountingServer, accepted: int) -> None:
    for _ in range(100):
        if server.accepted >= accepted:
            return
        await asyncio.sleep(0.01)


async def test_opens_as_many_as_asked_and_none_twice(counting: CountingServer) -> None:
    async with aiohttp.ClientSession() as session:
        assert await transport(session).preconnect(counting.url, 3) == 3
        await settle(counting, 3)
        # Idle in the pool now: asking again opens nothing new.
        assert await transport(session).preconnect(counting.url, 3) == 3
        await asyncio.sleep(0.05)
    assert counting.accepted == 3
    assert counting.received == b""  # no request was sent on them


async def test_stays_below_the_connectors_limit(counting: CountingServer) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4)) as session:
        assert await transport(session).preconnect(counting.url, 15) == 3


async def test_opens_nothing_behind_a_test_doubles_back(counting: CountingServer) -> None:
    async with aiohttp.ClientSession() as session:
        with aioresponses():
            assert await transport(session).preconnect(counting.url, 3) == 0
        await asyncio.sleep(0.05)
    assert counting.accepted == 0


async def test_opens_nothing_when_the_session_may_use_a_proxy(counting: CountingServer) -> None:
    async with aiohttp.ClientSession(trust_env=True) as session:
        assert await transport(session).preconnect(counting.url, 3) == 0
    assert counting.accepted == 0


async def test_a_closed_port_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    caplog.set_level("DEBUG", logger="asyncmedia")
    async with aiohttp.ClientSession() as session:
        url = URL(f"http://127.0.0.1:{port}/upload")
        assert await transport(session).preconnect(url, 2) == 0
    assert "preconnect to http://127.0.0.1:" in caplog.text


async def test_stays_below_the_connectors_limit_per_host(counting: CountingServer) -> None:
    connector = aiohttp.TCPConnector(limit_per_host=3)
    async with aiohttp.ClientSession(connector=connector) as session:
        assert await transport(session).preconnect(counting.url, 15) == 2


class CuttingForwarder:
    """A TCP forwarder to the sandbox that cuts (RST) the connections numbered in ``cut``
    (1-based, in accept order) ``after`` seconds, whatever they carry, and pipes the rest."""

    def __init__(self, target: URL, cut: set[int], after: float) -> None:
        self.target, self.cut, self.after = target, cut, after
        self.accepted = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.accepted in self.cut:
            await asyncio.sleep(self.after)
            writer.transport.abort()
            return
        assert self.target.host is not None and self.target.port is not None
        up_reader, up_writer = await asyncio.open_connection(self.target.host, self.target.port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/1.1/"


@pytest.mark.parametrize("after", [0.0, 0.05], ids=["at-once", "later"])
async def test_upload_completes_when_the_connections_opened_ahead_are_cut(
    sandbox: Sandbox, after: float
) -> None:
    # Connection 1 carries INIT; 2-4 are the ones opened ahead for the APPENDs: cut them.
    forwarder = CuttingForwarder(URL(sandbox.url), cut={2, 3, 4}, after=after)
    forwarder.server = await asyncio.start_server(forwarder.handle, "127.0.0.1", 0)
    data = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * (6 * 4096 + 7)
    try:
        async with MediaClient(
            **sandbox.credentials,
            upload_url=forwarder.url,
            api_url=sandbox.url,
            max_in_flight=4,
            chunk_size=1024 * 1024,
            backoff=0.01,
        ) as client:
            media = await client.upload_media(data, chunked=True, media_type="video/mp4")
    finally:
        forwarder.server.close()
        await forwarder.server.wait_closed()
    assert sandbox.uploads[media.media_id].sha256 == hashlib.sha256(data).hexdigest()
    assert forwarder.accepted > 4  # the cut ones were replaced
