"""Resume: an upload killed half way continues in a fresh client without resending parts."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
from pathlib import Path

import pytest

from asyncmedia import MediaClient
from asyncmedia.sandbox import Fault, Sandbox

MIB = 1024 * 1024


def mp4(size: int) -> bytes:
    head = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    return head + (hashlib.sha256(b"resume").digest() * (size // 32 + 1))[: size - len(head)]


def client_for(sandbox: Sandbox, journal_dir: Path, **extra: object) -> MediaClient:
    return MediaClient(
        **sandbox.credentials,
        upload_url=sandbox.url,
        api_url=sandbox.url,
        chunk_size=MIB,
        resume_dir=str(journal_dir),
        **extra,  # type: ignore[arg-type]
    )


async def interrupt(
    sandbox: Sandbox, path: Path, journals: Path, *, nth: int, in_flight: int = 1
) -> None:
    """Start a resumable upload of ``path``, stall its ``nth`` APPEND, and kill it there."""
    stall = Fault(command="APPEND", nth=nth, delay=30)  # that APPEND never comes back
    sandbox.inject(stall)
    client = client_for(sandbox, journals, max_in_flight=in_flight)
    task = asyncio.create_task(client.upload_media(path, resume=True))
    for _ in range(500):
        if stall.struck:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # let the other in-flight APPENDs land
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await client.close()
    sandbox.clear_faults()


@pytest.mark.parametrize("in_flight", [1, 3])
async def test_killed_upload_resumes_in_a_fresh_client(
    sandbox: Sandbox, tmp_path: Path, in_flight: int
) -> None:
    data = mp4(8 * MIB + 77)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    journals = tmp_path / "journals"
    await interrupt(sandbox, path, journals, nth=5, in_flight=in_flight)

    (journal_file,) = journals.glob("*.json")
    journal = json.loads(journal_file.read_text())
    assert len(journal["acknowledged"]) >= 4
    inits = [r for r in sandbox.requests if r.command == "INIT"]
    assert len(inits) == 1

    progress: list[int] = []
    async with client_for(sandbox, journals, max_in_flight=in_flight) as second:
        media = await second.upload_media(
            path, resume=True, progress=lambda s, t: progress.append(s)
        )
    record = sandbox.uploads[media.media_id]
    assert media.media_id_string == journal["media_id"]
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert len([r for r in sandbox.requests if r.command == "INIT"]) == 1
    # every segment arrived once; only those in flight at the kill may have arrived twice
    twice = [i for i, n in record.segments.items() if n > 1]
    assert len(record.segments) == 9
    assert len(twice) <= in_flight
    assert progress[-1] == len(data)
    assert not list(journals.glob("*.json")), "journal removed after success"


async def test_changed_file_starts_over(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4(3 * MIB))
    journals = tmp_path / "journals"
    await interrupt(sandbox, path, journals, nth=2)

    changed = mp4(3 * MIB)[:-1] + b"!"
    path.write_bytes(changed)
    async with client_for(sandbox, journals) as second:
        media = await second.upload_media(path, resume=True)
    assert sandbox.uploads[media.media_id].sha256 == hashlib.sha256(changed).hexdigest()
    assert len([r for r in sandbox.requests if r.command == "INIT"]) == 2


async def test_expired_media_on_the_service_starts_over(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    data = mp4(3 * MIB)
    path.write_bytes(data)
    journals = tmp_path / "journals"
    await interrupt(sandbox, path, journals, nth=2)
    sandbox.uploads.clear()  # the service forgot the media id

    async with client_for(sandbox, journals) as second:
        media = await second.upload_media(path, resume=True)
    assert sandbox.uploads[media.media_id].sha256 == hashlib.sha256(data).hexdigest()
