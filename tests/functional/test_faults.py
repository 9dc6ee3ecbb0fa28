"""The fault matrix: each injected fault × where it strikes, each ending byte-exact or in its
documented typed error, with a check for leaked tasks, file descriptors and sessions after
every case.  Faults come from the sandbox's own injection knobs (``Sandbox.inject``)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import struct
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from local_servers import serving
from yarl import URL

from asyncmedia import (
    APIError,
    AuthenticationError,
    MediaClient,
    ProcessingError,
    RateLimitError,
    ServiceUnavailable,
    TransportError,
)
from asyncmedia.sandbox import Fault, Sandbox

MIB = 1024 * 1024


def png(size: int = 300_000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"png").digest() * (size // 32)


def mp4(size: int) -> bytes:
    head = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    return head + (hashlib.sha256(b"mp4").digest() * (size // 32 + 1))[: size - len(head)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


class LeakCheck:
    """Snapshot of tasks and descriptors; ``verify()`` waits briefly for sockets to settle."""

    def __init__(self) -> None:
        self.fds = open_fds()

    async def verify(self) -> None:
        current = asyncio.current_task()
        for _ in range(100):
            tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
            # Sandbox/server housekeeping tasks are not ours: only count client-side ones.
            ours = [
                t
                for t in tasks
                if "asyncmedia" in repr(t.get_coro()) and "sandbox" not in repr(t.get_coro())
            ]
            leaked_fds = open_fds() - self.fds
            if not ours and not leaked_fds:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"leaked tasks {ours} or descriptors {leaked_fds}")


@pytest.fixture
async def leak_check(sandbox: Sandbox) -> AsyncIterator[LeakCheck]:
    check = LeakCheck()
    yield check
    await check.verify()


@pytest.fixture
async def client(sandbox: Sandbox, leak_check: LeakCheck) -> AsyncIterator[MediaClient]:
    client = MediaClient(
        **sandbox.credentials,
        upload_url=sandbox.url,
        api_url=sandbox.url,
        chunk_size=MIB,
        max_in_flight=3,
        request_timeout=1.0,
        backoff=0.01,
        max_rate_limit_wait=5.0,
    )
    async with client:
        yield client
    assert client._session is None or client._session.closed


def appends(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.command == "APPEND"]


def count(sandbox: Sandbox, command: str) -> int:
    if command == "METADATA":
        return sum(1 for r in sandbox.requests if r.path.endswith("metadata/create.json"))
    if command == "SIMPLE":
        return sum(
            1
            for r in sandbox.requests
            if r.path.endswith("upload.json") and r.method == "POST" and r.command is None
        )
    return sum(1 for r in sandbox.requests if r.command == command)


# -- faults that are retried: the upload ends byte-exact ------------------------------------

RECOVERABLE = [
    pytest.param("APPEND", {"status": 503}, id="append-503"),
    pytest.param("APPEND", {"status": 500, "times": 2}, id="append-500-twice"),
    pytest.param("APPEND", {"status": 502}, id="append-502"),
    pytest.param("APPEND", {"drop": True}, id="append-drop"),
    pytest.param("APPEND", {"delay": 1.5}, id="append-timeout"),
    pytest.param("APPEND", {"status": 429, "reset_in": 0}, id="append-429-short"),
    pytest.param("INIT", {"status": 503}, id="init-503"),
    pytest.param("INIT", {"drop": True}, id="init-drop"),
    pytest.param("INIT", {"status": 429, "reset_in": 0}, id="init-429-short"),
    pytest.param("FINALIZE", {"status": 500}, id="finalize-500"),
    pytest.param("FINALIZE", {"drop": True}, id="finalize-drop"),
    pytest.param("STATUS", {"status": 503}, id="status-503"),
    pytest.param("STATUS", {"drop": True}, id="status-drop"),
    pytest.param("STATUS", {"status": 429, "reset_in": 0}, id="status-429-short"),
]


@pytest.mark.parametrize(("command", "fault"), RECOVERABLE)
async def test_chunked_recovers(
    client: MediaClient, sandbox: Sandbox, command: str, fault: dict[str, Any]
) -> None:
    sandbox.inject(Fault(command=command, nth=2 if command == "APPEND" else 1, **fault))
    data = mp4(4 * MIB + 123)
    progress: list[int] = []
    media = await client.upload_media(data, progress=lambda s, t: progress.append(s))
    record = sandbox.uploads[media.media_id]
    assert record.sha256 == sha(data)
    assert sandbox.faults[0].struck == fault.get("times", 1)
    assert set(record.segments.values()) == {1}  # struck before acting: stored once
    assert progress[-1] == len(data)
    if command == "APPEND" and "delay" not in fault:  # a timed-out one is logged when it ends
        assert len(appends(sandbox)) == 5 + fault.get("times", 1)
    if command == "APPEND":
        assert any(b < a for a, b in itertools.pairwise(progress)), "no negative step"
    assert media.processing_info is not None and media.processing_info["state"] == "succeeded"


@pytest.mark.parametrize(
    "fault",
    [{"status": 503}, {"drop": True}, {"status": 429, "reset_in": 0}],
    ids=["503", "drop", "429"],
)
@pytest.mark.parametrize("command", ["SIMPLE", "METADATA"])
async def test_simple_and_metadata_recover(
    client: MediaClient, sandbox: Sandbox, command: str, fault: dict[str, Any]
) -> None:
    sandbox.inject(Fault(command=command, **fault))
    data = png()
    media = await client.upload_media(data, alt_text="A test card")
    record = sandbox.uploads[media.media_id]
    assert record.sha256 == sha(data)
    assert record.alt_text == "A test card"
    assert sandbox.faults[0].struck == 1
    assert count(sandbox, command) == 2


# -- faults that end in a typed error --------------------------------------------------------


async def test_append_400_is_not_retried(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="APPEND", nth=2, status=400))
    with pytest.raises(APIError) as caught:
        await client.upload_media(mp4(4 * MIB))
    assert caught.value.status == 400
    assert "Injected fault 400" in caught.value.message
    assert sandbox.faults[0].struck == 1
    assert count(sandbox, "FINALIZE") == 0


async def test_append_5xx_exhausts_retries(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="APPEND", status=503, times=100))
    with pytest.raises(ServiceUnavailable) as caught:
        await client.upload_media(mp4(2 * MIB))
    assert caught.value.status == 503 and caught.value.code == 130
    assert count(sandbox, "FINALIZE") == 0


async def test_drops_exhaust_retries(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="INIT", drop=True, times=100))
    with pytest.raises(TransportError, match="failed"):
        await client.upload_media(mp4(2 * MIB))
    assert count(sandbox, "INIT") == client.config.retries + 1


async def test_long_rate_limit_raises_at_once(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(command="INIT", status=429, reset_in=3600))
    with pytest.raises(RateLimitError) as caught:
        await client.upload_media(mp4(MIB))
    assert caught.value.code == 88
    assert caught.value.reset is not None and caught.value.reset > sandbox.clock() + 3000
    assert count(sandbox, "INIT") == 1


async def test_401_is_not_retried(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.inject(
        Fault(
            command="FINALIZE",
            status=401,
            body={"errors": [{"code": 89, "message": "Invalid or expired token."}]},
        )
    )
    with pytest.raises(AuthenticationError) as caught:
        await client.upload_media(mp4(MIB))
    assert caught.value.code == 89
    assert count(sandbox, "FINALIZE") == 1


async def test_status_reports_failure(client: MediaClient, sandbox: Sandbox) -> None:
    sandbox.processing_outcome = "failed"
    with pytest.raises(ProcessingError, match="Unsupported video format"):
        await client.upload_media(mp4(MIB))


# -- redirects never carry credentials off-host ----------------------------------------------


@pytest.fixture
async def other_host() -> AsyncIterator[tuple[URL, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    async def anything(request: web.Request) -> web.Response:
        await request.read()
        seen.append(dict(request.headers))
        return web.json_response({"errors": [{"code": 34, "message": "not here"}]}, status=404)

    app = web.Application(client_max_size=16 * MIB)
    app.router.add_route("*", "/{tail:.*}", anything)
    async with serving(app) as url:
        yield url / "elsewhere", seen


@pytest.mark.parametrize("command", ["SIMPLE", "INIT", "APPEND", "STATUS", "METADATA"])
async def test_redirect_to_another_host_drops_authorization(
    client: MediaClient,
    sandbox: Sandbox,
    other_host: tuple[URL, list[dict[str, str]]],
    command: str,
) -> None:
    target, seen = other_host
    sandbox.inject(Fault(command=command, redirect_to=str(target)))
    data = mp4(MIB) if command in ("INIT", "APPEND", "STATUS") else png()
    with pytest.raises(APIError) as caught:
        await client.upload_media(data, alt_text="x" if command == "METADATA" else None)
    assert caught.value.status == 404
    assert len(seen) == 1
    assert "Authorization" not in seen[0]
    assert not any(sandbox.credentials["consumer_key"] in v for v in seen[0].values())


# -- cancellation and timeouts at every stage ------------------------------------------------


@pytest.fixture
async def slow_media_server() -> AsyncIterator[URL]:
    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "image/png"})
        resp.content_length = 2 * MIB
        await resp.prepare(request)
        await resp.write(b"\x89PNG\r\n\x1a\n")
        await asyncio.sleep(30)
        return resp

    app = web.Application()
    app.router.add_get("/slow.png", slow)
    async with serving(app, shutdown_timeout=0.1) as url:
        yield url / "slow.png"


STAGES: list[Any] = [
    pytest.param("INIT", lambda sb: Fault(command="INIT", delay=30), id="init"),
    pytest.param("APPEND", lambda sb: Fault(command="APPEND", nth=3, delay=30), id="mid-append"),
    pytest.param("FINALIZE", lambda sb: Fault(command="FINALIZE", delay=30), id="finalize"),
    pytest.param("STATUS", lambda sb: Fault(command="STATUS", nth=2, delay=30), id="status-poll"),
]


async def wait_until(predicate: Callable[[], bool]) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


@pytest.mark.parametrize("stop", ["cancel", "timeout"])
@pytest.mark.parametrize(("command", "make_fault"), STAGES)
async def test_cancel_at_every_stage(
    sandbox: Sandbox,
    leak_check: LeakCheck,
    tmp_path: Path,
    command: str,
    make_fault: Callable[[Sandbox], Fault],
    stop: str,
) -> None:
    fault = make_fault(sandbox)
    sandbox.inject(fault)
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4(4 * MIB))
    client = MediaClient(
        **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url, chunk_size=MIB
    )
    if stop == "cancel":
        task = asyncio.create_task(client.upload_media(path))
        await wait_until(lambda: fault.struck > 0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5 if command != "STATUS" else 0.8):
                await client.upload_media(path)
        assert fault.struck > 0
    await client.close()
    assert client._session is not None and client._session.closed


@pytest.mark.parametrize("stop", ["cancel", "timeout"])
async def test_cancel_while_downloading(
    sandbox: Sandbox, leak_check: LeakCheck, slow_media_server: URL, stop: str
) -> None:
    async with MediaClient(
        **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url
    ) as client:
        if stop == "cancel":
            task = asyncio.create_task(client.upload_media(slow_media_server))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await client.upload_media(str(slow_media_server))
    assert sandbox.requests == []


# -- many uploads at once from one client ----------------------------------------------------


async def test_200_concurrent_uploads_share_a_bounded_pool(
    sandbox: Sandbox, leak_check: LeakCheck
) -> None:
    images = [png(2000 + i) for i in range(200)]
    before = len(open_fds())
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, len(open_fds()) - before)
            await asyncio.sleep(0.005)

    async with MediaClient(
        **sandbox.credentials,
        upload_url=sandbox.url,
        api_url=sandbox.url,
        max_concurrent_requests=8,
    ) as client:
        watcher = asyncio.create_task(watch())
        try:
            results = await asyncio.gather(*(client.upload_media(img) for img in images))
        finally:
            watcher.cancel()
            with pytest.raises(asyncio.CancelledError):
                await watcher
    for media, img in zip(results, images, strict=True):
        assert sandbox.uploads[media.media_id].sha256 == sha(img)
    # 8 client sockets + the sandbox's 8 server-side ends, plus slack for accept races.
    assert peak <= 8 * 2 + 4, peak


async def test_endless_throttling_gives_up(client: MediaClient, sandbox: Sandbox) -> None:
    waits: list[float] = []

    async def no_wait(delay: float) -> None:
        waits.append(delay)

    client.transport.sleep = no_wait
    sandbox.inject(Fault(command="INIT", status=429, reset_in=0, times=100))
    with pytest.raises(RateLimitError):
        await client.upload_media(mp4(MIB))
    assert count(sandbox, "INIT") == max(3, client.config.retries) + 1
    assert len(waits) == max(3, client.config.retries)
