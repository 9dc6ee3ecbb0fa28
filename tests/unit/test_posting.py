"""crosspost over fake PostingClient objects: order, isolation of failures, spooling, progress."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from asyncmedia import APIError, Post, PostingClient, crosspost
from asyncmedia.sources import open_source


class FakeClient:
    """Reads every media item to the end (as a real client uploads it), then posts."""

    service: ClassVar[str] = "fake"

    def __init__(self, name: str, *, fail: Exception | None = None, delay: float = 0) -> None:
        self.name, self.fail, self.delay = name, fail, delay
        self.posted: list[tuple[str, list[bytes], list[str | None]]] = []

    async def upload_one(
        self,
        source: Any,
        *,
        alt_text: str | None = None,
        media_type: str | None = None,
        progress: Any = None,
    ) -> bytes:
        async with await open_source(source) as opened:
            data = b""
            while chunk := await opened.read(1000):
                data += chunk
            return data

    async def post(
        self,
        text: str,
        media: Sequence[Any] = (),
        *,
        alt_texts: Sequence[str | None] | None = None,
        reply_to: Any = None,
    ) -> Post:
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        uploaded = [await self.upload_one(item) for item in media]
        self.posted.append((text, uploaded, list(alt_texts or [None] * len(media))))
        return Post(self.name, f"{self.name}-1", f"https://{self.name}.example/1", tuple(uploaded))


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def test_the_fake_is_a_posting_client() -> None:
    assert isinstance(FakeClient("a"), PostingClient)


async def test_every_client_posts_once_and_results_keep_the_clients_order() -> None:
    clients = [FakeClient("a", delay=0.05), FakeClient("b"), FakeClient("c", delay=0.01)]
    results = await crosspost("Hello", [PNG], alt_texts=["A card"], clients=clients)
    assert [r.id for r in results if isinstance(r, Post)] == ["a-1", "b-1", "c-1"]
    for client in clients:
        assert client.posted == [("Hello", [PNG], ["A card"])]


async def test_one_failing_service_does_not_stop_the_others() -> None:
    refusal = APIError(503, "over capacity")
    clients = [FakeClient("a"), FakeClient("b", fail=refusal), FakeClient("c")]
    results = await crosspost("Hello", [PNG], clients=clients)
    assert results[1] is refusal
    assert [type(r) for r in results] == [Post, APIError, Post]
    assert clients[0].posted and clients[2].posted and not clients[1].posted


async def test_a_refused_argument_is_that_service_s_result() -> None:
    too_long = ValueError("text has 301 graphemes; Bluesky takes 300")
    results = await crosspost("x" * 301, clients=[FakeClient("a"), FakeClient("b", fail=too_long)])
    assert isinstance(results[0], Post) and results[1] is too_long


async def test_a_one_pass_source_is_read_once_and_every_service_gets_all_of_it() -> None:
    clients = [FakeClient("a"), FakeClient("b")]
    stream = io.BytesIO(PNG)
    await crosspost("Hello", [stream], clients=clients)
    assert [client.posted[0][1] for client in clients] == [[PNG], [PNG]]


async def test_progress_adds_up_every_service_s_reading() -> None:
    seen: list[tuple[int, int]] = []
    clients = [FakeClient("a"), FakeClient("b"), FakeClient("c")]
    await crosspost("Hello", [PNG, PNG[:500]], clients=clients, progress=lambda *a: seen.append(a))
    total = 3 * (len(PNG) + 500)
    assert seen[-1] == (total, total)
    sent = [done for done, _ in seen]
    assert sent == sorted(sent) and sent[0] < total  # it moves, never backwards
    for client in clients:  # the counting wrapper hands on the exact bytes
        assert client.posted[0][1] == [PNG, PNG[:500]]


async def test_bad_arguments_are_refused_before_any_client_is_called() -> None:
    client = FakeClient("a")
    with pytest.raises(ValueError, match="alt_texts has 2 entries"):
        await crosspost("Hello", [PNG], alt_texts=["a", "b"], clients=[client])
    with pytest.raises(ValueError, match="at least one client"):
        await crosspost("Hello", [PNG], clients=[])
    assert client.posted == []
