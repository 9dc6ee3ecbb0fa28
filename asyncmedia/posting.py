"""Posting with media: the :class:`Post` result, the one interface every posting client offers
(:class:`PostingClient`), and :func:`crosspost`, which posts to several services at once.

Each service's ``post`` lives with its client (:meth:`MediaClient.post
<asyncmedia.MediaClient.post>`, :meth:`MastodonClient.post
<asyncmedia.MastodonClient.post>`, :meth:`BlueskyClient.post <asyncmedia.BlueskyClient.post>`);
this module only holds what they share.  It must not know any service's wire format.

Posts are not idempotent: a client repeats a post request only when the service cannot have
acted on it (see :class:`~asyncmedia.errors.PostMayExist`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import yarl

from .errors import AsyncMediaError
from .sources import MediaSource, open_source

__all__ = ["Post", "PostingClient", "check_alt_texts", "crosspost"]


@dataclass(frozen=True)
class Post:
    """A published post.

    ``service`` is ``"x"``, ``"mastodon"`` or ``"bluesky"``; ``id`` the tweet id, the status
    id or the record's ``at://`` URI; ``url`` the post's public web page (``None`` when it
    cannot be known); ``media`` the upload results, in the order given; ``raw`` the
    service's answer to the post request.
    """

    service: str
    id: str
    url: str | None
    media: tuple[Any, ...] = ()
    raw: Any = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.url or self.id


@runtime_checkable
class PostingClient(Protocol):
    """What the CLI and :func:`crosspost` need from a service client.

    ``service`` is the name :attr:`Post.service` carries.  ``upload_one`` uploads one source
    with its alt text (``None``: none) and returns the service's upload result;
    ``post`` uploads ``media`` and publishes ``text`` with it.
    """

    service: ClassVar[str]

    async def upload_one(
        self,
        source: Any,
        *,
        alt_text: str | None = None,
        media_type: str | None = None,
        progress: Any = None,
    ) -> Any:
        """Upload one ``source`` (with ``alt_text``) and return the upload result."""

    async def post(
        self,
        text: str,
        media: Sequence[Any] = (),
        *,
        alt_texts: Sequence[str | None] | None = None,
        reply_to: Any = None,
    ) -> Post:
        """Upload ``media`` and publish ``text`` with it; return the :class:`Post`."""


def check_alt_texts(
    media: Sequence[Any], alt_texts: Sequence[str | None] | None
) -> list[str | None]:
    """``alt_texts`` as a list as long as ``media`` (``None`` → no alt text for any).

    :raises ValueError: ``alt_texts`` has another length than ``media``, or ``media`` is a
        single ``str``/``bytes`` (pass a list of sources).
    """
    if isinstance(media, str | bytes | bytearray | memoryview | os.PathLike):
        raise ValueError("media must be a list of sources, e.g. media=['cat.png']")
    if alt_texts is None:
        return [None] * len(media)
    if isinstance(alt_texts, str):
        raise ValueError("alt_texts must be a list with one entry per media item, not a str")
    texts = list(alt_texts)
    if len(texts) != len(media):
        raise ValueError(
            f"alt_texts has {len(texts)} entries but media has {len(media)} items; give one "
            "alt text (or None) per media item"
        )
    return texts


def _rereadable(item: Any) -> bool:
    """Whether every service can open ``item`` on its own (a path, URL or bytes)."""
    return isinstance(item, str | os.PathLike | bytes | yarl.URL)


#: ``progress(sent, total)``: bytes of media read so far by every service, out of the total.
Progress = Callable[[int, int], None]


async def crosspost(
    text: str,
    media: Sequence[Any] = (),
    *,
    alt_texts: Sequence[str | None] | None = None,
    clients: Sequence[PostingClient],
    progress: Progress | None = None,
) -> list[Post | AsyncMediaError | ValueError]:
    """Post ``text`` with ``media`` on every client at once; one result per client, in order.

    Each result is the client's :class:`Post`, or the :class:`~asyncmedia.AsyncMediaError`
    it raised, or the ``ValueError`` with which it refused the arguments (too many media for
    that service, text too long for it) before uploading anything: one service failing does
    not cancel the others.  Paths, URLs and bytes are
    read by each service itself; a one-pass source (a file object, a stream, an async
    iterable) is first copied once to a temporary file, which each service then reads.
    ``alt_texts`` of another length than ``media`` raises ``ValueError`` before anything.

    ``progress(sent, total)``, when given, is called as the services read the media: bytes
    read by all of them together, out of the media's size times the number of clients
    (URLs, which each service downloads itself, are not counted).
    """
    if not clients:
        raise ValueError("crosspost needs at least one client")
    texts = check_alt_texts(media, alt_texts)
    async with AsyncExitStack() as stack:
        items: list[Any] = []
        for item in media:
            if _rereadable(item):
                items.append(item)
                continue
            source = await stack.enter_async_context(await open_source(item))
            spool = stack.enter_context(tempfile.TemporaryDirectory(prefix="asyncmedia-"))
            path = os.path.join(spool, source.filename)
            await asyncio.to_thread(_create_empty, path)
            while chunk := await source.read(1 << 20):
                await asyncio.to_thread(_append, path, chunk)
            items.append(path)
        meter = None if progress is None else _Meter(progress)

        async def one(index: int, client: PostingClient) -> Post | AsyncMediaError | ValueError:
            try:
                async with AsyncExitStack() as sources:
                    given = items
                    if meter is not None:
                        given = [
                            await meter.wrap(sources, (index, position), item)
                            for position, item in enumerate(items)
                        ]
                    return await client.post(text, given, alt_texts=texts)
            except (AsyncMediaError, ValueError) as exc:
                return exc

        return list(await asyncio.gather(*(one(i, c) for i, c in enumerate(clients))))


class _Meter:
    """Adds up how far every service has read each item, for one ``progress`` callback."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._seen: dict[tuple[int, int], tuple[int, int]] = {}

    async def wrap(self, stack: AsyncExitStack, key: tuple[int, int], item: Any) -> Any:
        if isinstance(item, yarl.URL) or (
            isinstance(item, str) and item.lower().startswith(("http://", "https://"))
        ):
            return item  # each service downloads a URL with its own session and rules
        inner = await stack.enter_async_context(await open_source(item))
        assert inner.size is not None, "open_source always knows the size"
        self.report(key, 0, inner.size)
        return _Counted(inner, key, self)

    def report(self, key: tuple[int, int], sent: int, total: int) -> None:
        before = self._seen.get(key, (0, total))[0]
        self._seen[key] = (max(before, min(sent, total)), total)
        self._progress(
            sum(done for done, _ in self._seen.values()),
            sum(size for _, size in self._seen.values()),
        )


class _Counted(MediaSource):
    """A :class:`MediaSource` reading another one and reporting how far it got."""

    def __init__(self, inner: MediaSource, key: tuple[int, int], meter: _Meter) -> None:
        super().__init__(
            size=inner.size,
            filename=inner.filename,
            content_type=inner.content_type,
            seekable=inner.seekable,
        )
        self._inner, self._key, self._meter = inner, key, meter
        self._offset = 0

    async def _read_raw(self, n: int) -> bytes:
        chunk = await self._inner.read(n)
        self._offset += len(chunk)
        self._meter.report(self._key, self._offset, self.size or 0)
        return chunk

    async def _seek_raw(self, offset: int) -> None:
        await self._inner.seek(offset)
        self._offset = offset

    async def _close(self) -> None:
        await self._inner.aclose()

    def describe(self) -> str:
        return self._inner.describe()


def _create_empty(path: str) -> None:
    with open(path, "wb"):
        pass


def _append(path: str, chunk: bytes) -> None:
    with open(path, "ab") as file:
        file.write(chunk)
