"""Adaptive chunked uploads against the sandbox: parts of differing sizes arrive byte-exact
(sha256 checked by the service), on v1.1 and v2, and an interrupted adaptive upload resumes
with a different part size."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
from pathlib import Path

import pytest

import asyncmedia.uploaders as uploaders
from asyncmedia import MediaClient
from asyncmedia.sandbox import Fault, Sandbox

MIB = 1024 * 1024


def mp4(size: int) -> bytes:
    head = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    return head + (hashlib.sha256(b"adaptive").digest() * (size // 32 + 1))[: size - len(head)]


@pytest.fixture
def remote_looking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make loopback look like a long path, so the tuner climbs (and mixes part sizes)."""
    monkeypatch.setattr(uploaders, "LOCAL_ROUND_TRIP", 0.0)
    monkeypatch.setattr(uploaders, "LOCAL_TCP_ROUND_TRIP", 0.0)
    monkeypatch.setattr(uploaders, "QUEUE_RATIO", float("inf"))  # loopback's RTT jitters


def client(sandbox: Sandbox, api_version: int, **extra: object) -> MediaClient:
    url = sandbox.x2_url if api_version == 2 else sandbox.url
    return MediaClient(
        **sandbox.credentials,
        api_version=api_version,
        upload_url=url,
        api_url=sandbox.url,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("api_version", [1, 2])
async def test_parts_of_differing_sizes_arrive_byte_exact(
    sandbox: Sandbox, tmp_path: Path, remote_looking: None, api_version: int
) -> None:
    data = mp4(12 * MIB + 4321)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    # 4 MiB budget, remote: 1 x 4 MiB, then probes at 2 x 2 MiB, 4 x 1 MiB...
    async with client(sandbox, api_version, memory_budget=4 * MIB) as c:
        media = await c.upload_media(path)
    assert sandbox.twitter_v2 is not None
    uploads = sandbox.twitter_v2.uploads if api_version == 2 else sandbox.uploads
    record = uploads[media.media_id_string if api_version == 2 else media.media_id]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    # 12 MiB in 4 MiB parts would be 4 segments; more means smaller ones were mixed in.
    assert len(record.segments) > 4
    assert all(n == 1 for n in record.segments.values())


async def test_explicit_chunk_size_is_kept_exactly(sandbox: Sandbox, tmp_path: Path) -> None:
    data = mp4(5 * MIB + 1)
    async with client(sandbox, 1, chunk_size=MIB) as c:
        media = await c.upload_media(data, chunked=True)
    record = sandbox.uploads[media.media_id]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert sorted(record.segments) == list(range(6))


async def test_adaptive_upload_resumes_with_another_part_size(
    sandbox: Sandbox, tmp_path: Path, remote_looking: None
) -> None:
    data = mp4(10 * MIB + 99)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    journals = tmp_path / "journals"
    stall = Fault(command="APPEND", nth=6, delay=30)  # that APPEND never comes back
    sandbox.inject(stall)
    first = client(sandbox, 1, memory_budget=2 * MIB, resume_dir=str(journals))
    task = asyncio.create_task(first.upload_media(path, resume=True))
    for _ in range(500):
        if stall.struck:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # let the other in-flight APPENDs land
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await first.close()
    sandbox.clear_faults()

    (journal_file,) = journals.glob("*.json")
    journal = json.loads(journal_file.read_text())
    ranges = {int(i): tuple(r) for i, r in journal["segments"].items()}
    # Every segment sent is recorded before it goes out, acknowledged or not.
    assert len(journal["acknowledged"]) >= 4 and set(journal["acknowledged"]) < set(ranges)
    assert len({length for _, length in ranges.values()}) >= 2, "parts of differing sizes"

    # The second client sends what is missing in 1 MiB parts (a size the first never used).
    async with client(sandbox, 1, chunk_size=MIB, resume_dir=str(journals)) as second:
        media = await second.upload_media(path, resume=True)
    assert media.media_id_string == journal["media_id"]
    record = sandbox.uploads[media.media_id]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert len([r for r in sandbox.requests if r.command == "INIT"]) == 1
    assert not list(journals.glob("*.json")), "journal removed after success"


async def test_kernel_round_trip_of_a_loopback_connection_is_read() -> None:
    from asyncmedia.transport import tcp_round_trip

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readexactly(5))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello")
        assert await reader.readexactly(5) == b"hello"
        rtt = tcp_round_trip(writer)  # asyncio's StreamWriter has .transport, like aiohttp's
        writer.close()
        await writer.wait_closed()
    assert rtt is not None and 0 < rtt < 0.05
    assert tcp_round_trip(object()) is None  # type: ignore[arg-type]


async def test_append_connections_are_opened_while_init_is_in_flight(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    import aiohttp

    opened: list[str] = []
    reused: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_open(_s: object, _ctx: object, _p: object) -> None:
        opened.append("open")

    async def on_reuse(_s: object, _ctx: object, _p: object) -> None:
        reused.append("reuse")

    trace.on_connection_create_end.append(on_open)
    trace.on_connection_reuseconn.append(on_reuse)
    data = mp4(6 * MIB + 5)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        client(sandbox, 1, session=session, max_in_flight=4, chunk_size=MIB) as c,
    ):
        media = await c.upload_media(data, chunked=True)
    assert sandbox.uploads[media.media_id].sha256 == hashlib.sha256(data).hexdigest()
    # Only INIT had to open a connection; every APPEND found one ready (opened meanwhile).
    assert opened == ["open"]
    appends = [r for r in sandbox.requests if r.command == "APPEND"]
    assert len(appends) == 7 and len(reused) >= 7
    # ... and they ran over the four connections the window needs (INIT's and three more).
    peers = {r.peer for r in sandbox.requests if r.method == "POST"}
    assert None not in peers and len(peers) == 4
