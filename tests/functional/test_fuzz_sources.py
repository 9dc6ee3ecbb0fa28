"""Sources under attack: hypothesis-generated inputs that misbehave, read in random ways and
cancelled at random points.

Every kind ``open_source`` accepts (bytes and friends, BytesIO, paths, real files, file
objects and async files that misbehave, async iterables, aiohttp StreamReaders) with a
declared ``size`` that may be right, short, long or zero; the reader peeks, reads in random
sizes, seeks back when it can, and may be cancelled after any step.  For every case: the
bytes read are exactly the media, or an ``AsyncMediaError`` was raised (or the cancellation
we asked for); no descriptor, spool file, task or ResourceWarning is left.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import io
import os
import tempfile
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp.base_protocol import BaseProtocol
from fuzzing import COUNTS, fuzz_settings
from hostile import client_fds
from hypothesis import given
from hypothesis import strategies as st

from asyncmedia.errors import AsyncMediaError
from asyncmedia.sources import open_source

KINDS = ["bytes", "bytearray", "memoryview", "bytesio", "path", "file", "odd-file",
         "async-file", "async-iterable", "stream"]
FAULTS = ["none", "none", "none", "oserror", "valueerror", "str", "too-many", "none-result",
          "short", "grows", "not-bytes", "bad-tell"]


class OddFile(io.RawIOBase):
    """A file object that misbehaves (``fault``) at its ``at``-th read."""

    def __init__(self, data: bytes, fault: str, at: int) -> None:
        self.data, self.fault, self.at, self.pos, self.calls = data, fault, at, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.fault != "short"

    def tell(self) -> Any:
        return "0" if self.fault == "bad-tell" else self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: len(self.data) + offset}[whence]
        return self.pos

    def read(self, n: int = -1) -> Any:
        self.calls += 1
        if n and self.calls >= self.at:
            fault = self.fault
            if fault == "oserror":
                raise OSError(errno.EIO, "Input/output error")
            if fault == "valueerror":
                raise ValueError("read of closed file")
            if fault == "str":
                return "text"
            if fault == "too-many":
                return b"x" * (n + 5)
            if fault == "none-result":
                return None
            if fault == "grows":
                self.data += b"more"
        n = len(self.data) - self.pos if n is None or n < 0 else n
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class AsyncOddFile:
    """The async counterpart (an aiofiles-like object)."""

    mode = "rb"

    def __init__(self, data: bytes, fault: str, at: int) -> None:
        self._file = OddFile(data, fault, at)
        self.name = "odd.bin"

    async def read(self, n: int = -1) -> Any:
        await asyncio.sleep(0)
        return self._file.read(n)

    async def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    async def tell(self) -> Any:
        return self._file.tell()

    def seekable(self) -> bool:
        return self._file.seekable()


async def odd_chunks(data: bytes, cuts: list[int], fault: str, at: int) -> AsyncIterator[Any]:
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    for index, piece in enumerate(pieces):
        await asyncio.sleep(0)
        if index + 1 >= at:
            if fault == "oserror":
                raise OSError(errno.EIO, "Input/output error")
            if fault == "valueerror":
                raise ValueError("bad chunk")
            if fault in ("str", "not-bytes"):
                yield "text" if fault == "str" else 42
            if fault == "short":
                return
        yield piece
    if fault in ("grows", "too-many"):
        yield b"excess"


def make_stream(data: bytes, cuts: list[int], fault: str) -> aiohttp.StreamReader:
    protocol = BaseProtocol(asyncio.get_running_loop())
    stream = aiohttp.StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
        stream.feed_data(data[a:b])
    if fault == "oserror":
        stream.set_exception(aiohttp.ClientPayloadError("connection lost"))
    else:
        stream.feed_eof()
    return stream


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(st.binary(min_size=0, max_size=3000))
    size_choice = draw(st.sampled_from(["none", "none", "exact", "smaller", "larger", "zero"]))
    size = {"none": None, "exact": len(data), "smaller": max(0, len(data) - 7),
            "larger": len(data) + 9, "zero": 0}[size_choice]
    cuts = sorted(set(draw(st.lists(st.integers(0, max(0, len(data))), max_size=5))))
    return {
        "kind": draw(st.sampled_from(KINDS)),
        "data": data,
        "size": size,
        "size_choice": size_choice,
        "fault": draw(st.sampled_from(FAULTS)),
        "at": draw(st.integers(1, 6)),
        "cuts": cuts,
        "reads": draw(st.lists(st.integers(1, 2000), min_size=1, max_size=8)),
        "peek": draw(st.sampled_from([None, 0, 16, 64, 5000])),
        "reread": draw(st.booleans()),
        "cancel_after": draw(st.one_of(st.none(), st.integers(0, 12))),
    }


async def build(case: dict[str, Any], tmp: str) -> Any:
    kind, data, fault, at = case["kind"], case["data"], case["fault"], case["at"]
    if kind == "bytes":
        return data
    if kind == "bytearray":
        return bytearray(data)
    if kind == "memoryview":
        return memoryview(data)
    if kind == "bytesio":
        return io.BytesIO(data)
    if kind in ("path", "file"):
        path = os.path.join(tmp, "media.bin")
        with open(path, "wb") as out:  # noqa: ASYNC230 - a small test file
            out.write(data)
        return path
    if kind == "odd-file":
        return OddFile(data, fault, at)
    if kind == "async-file":
        return AsyncOddFile(data, fault, at)
    if kind == "async-iterable":
        return odd_chunks(data, case["cuts"], fault, at)
    return make_stream(data, case["cuts"], fault)


def expected(case: dict[str, Any]) -> bytes | None:
    """The bytes a correct source must give, or ``None`` when an error is the right answer."""
    kind, data, size = case["kind"], case["data"], case["size"]
    misbehaves = case["fault"] != "none" and kind in ("odd-file", "async-file",
                                                     "async-iterable", "stream")
    if misbehaves or size == 0 or not data:
        return None
    if size is None or size == len(data):
        return data
    if size < len(data) and kind not in ("async-iterable", "stream"):
        return data[:size]
    return None


async def consume(case: dict[str, Any], tmp: str) -> bytes:
    obj = await build(case, tmp)
    opened = open(obj, "rb") if case["kind"] == "file" else None  # noqa: ASYNC230, SIM115
    try:
        source = await open_source(opened or obj, size=case["size"], spool_dir=tmp)
        async with source:
            if case["peek"] is not None:
                await source.peek(case["peek"])
            out = b""
            reads = iter(case["reads"] * 50)
            while chunk := await source.read(next(reads)):
                out += chunk
            if case["reread"] and source.seekable:
                await source.seek(0)
                again = b""
                while chunk := await source.read(next(reads)):
                    again += chunk
                assert again == out, "a second pass read other bytes"
            return out
    finally:
        if opened is not None:
            opened.close()


async def run(case: dict[str, Any], tmp: str) -> str:
    task = asyncio.ensure_future(consume(case, tmp))
    if case["cancel_after"] is not None:
        for _ in range(case["cancel_after"]):
            await asyncio.sleep(0)
        task.cancel()
    try:
        out = await asyncio.wait_for(task, 10)
    except asyncio.CancelledError:
        assert case["cancel_after"] is not None, "cancelled without being asked"
        outcome = "cancelled"
    except AsyncMediaError as exc:
        outcome = f"error {type(exc).__name__}"
    else:
        want = expected(case)
        if want is not None:
            assert out == want, f"read {len(out)} bytes, expected {len(want)}"
        else:
            # A misbehaving source that still succeeded: never invented bytes, and never
            # other than the declared size.
            media = case["data"]
            if case["kind"] == "async-iterable" and case["fault"] in ("grows", "too-many"):
                media += b"excess"  # without size=, what it yields is the media
            assert out == media[: len(out)], "succeeded with bytes that are not the media"
            if case["size"] is not None:
                assert len(out) == case["size"], "succeeded with other than size= bytes"
        outcome = "result"
    if case["cancel_after"] is None and expected(case) is not None:
        assert outcome == "result", f"a well-behaved source failed: {outcome}"
    current = asyncio.current_task()
    for _ in range(50):
        left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not left:
            break
        await asyncio.sleep(0.01)
    assert not left, f"tasks left behind: {left}"
    return outcome


@fuzz_settings(200)
@given(case=cases())
def test_sources_misbehaving_and_cancelled(case: dict[str, Any]) -> None:
    before = client_fds(set())
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = asyncio.run(run(case, tmp))
        gc.collect(1)  # the young generations: what this case made (a full collection is slow)
        leftovers = os.listdir(tmp)
    COUNTS[f"sources: {case['kind']}"] += 1
    COUNTS[f"sources: fault {case['fault']}"] += 1
    COUNTS[f"sources: size {case['size_choice']}"] += 1
    COUNTS[f"sources: outcome {outcome.split()[0]}"] += 1
    if case["cancel_after"] is not None:
        COUNTS["sources: cancelled at a random point"] += 1
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert set(leftovers) <= {"media.bin"}, leftovers  # spool files are anonymous
    assert client_fds(set()) - before == set(), "descriptors left open"
