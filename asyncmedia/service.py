"""``ServiceClient``: what every service client shares.

Session lifecycle (a caller's ``aiohttp.ClientSession`` is used and never closed; otherwise one
is opened lazily inside the running loop and closed by :meth:`ServiceClient.close` or on
``async with`` exit), the validated :class:`~asyncmedia.config.UploadConfig`, the signer, the
I/O layer, and turning any accepted ``source`` into an open :class:`MediaSource` with its media
type and file name decided.  Adding a service means one protocol module, one subclass of this,
and one sandbox route module.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from yarl import URL

from .auth import Signer
from .config import UploadConfig
from .errors import PostMayExist, TransportError, UnsupportedMediaType
from .protocols.http import HTTPRequest, HTTPResponse
from .sniff import SNIFF_BYTES, extension_for, media_type_from_name, sniff_media_type
from .sources import MediaSource, open_source
from .transport import Transport

__all__ = [
    "PreparedMedia",
    "ServiceClient",
    "filename_for",
    "is_loopback",
    "resolve_media_type",
    "warn_if_cleartext",
]

_Kept = TypeVar("_Kept")
_Opened = TypeVar("_Opened")

log = logging.getLogger("asyncmedia")


async def resolve_media_type(source: MediaSource, media_type: str | None) -> str:
    """The media type: the argument, else the declared type, else magic bytes, else the name."""
    if media_type:
        return media_type
    if source.content_type:
        return source.content_type
    sniffed = sniff_media_type(await source.peek(SNIFF_BYTES))
    if sniffed:
        return sniffed
    guessed = media_type_from_name(source.filename)
    if guessed:
        return guessed
    raise UnsupportedMediaType(
        f"could not tell the media type of {source.describe()}; pass media_type= "
        "(e.g. media_type='image/png')"
    )


def filename_for(source: MediaSource, media_type: str) -> str:
    """The file name sent in multipart parts: the source's, with an extension if it had none."""
    name = source.filename or "media"
    if "." not in name:
        name += extension_for(media_type)
    return name


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_cleartext(url: URL, what: str) -> bool:
    """Log a warning when ``what`` (credentials) would go to ``url`` over plain HTTP to another
    machine; return whether it warned.  Loopback hosts (the sandbox) are exempt."""
    if url.scheme == "http" and not is_loopback(url.host):
        log.warning(
            "%s will be sent over plain HTTP to %s: anyone on the path can read them; "
            "use an https:// URL",
            what,
            url.host,
        )
        return True
    return False


@dataclass(frozen=True)
class PreparedMedia:
    """An open source with everything decided about it: type, size and part file name."""

    source: MediaSource
    media_type: str
    size: int
    filename: str


class ServiceClient:
    """Base of the service clients: session, config, signer, transport and sources.

    :param signer: how requests are authenticated (see :mod:`asyncmedia.auth`).
    :param session: an ``aiohttp.ClientSession`` to use; the client never closes it.
    :param config: an :class:`UploadConfig`; keyword arguments named like its fields override
        single fields (``chunk_size=…``, ``max_in_flight=…``).
    :param verify_ssl: TLS certificate verification for the session the client opens (on by
        default; turn it off only for a test server you control).
    """

    def __init__(
        self,
        signer: Signer,
        *,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        **config_overrides: Any,
    ) -> None:
        self.config = (config or UploadConfig()).evolve(**config_overrides)
        self.signer = signer
        self._session = session
        self._owns_session = session is None
        self._verify_ssl = verify_ssl
        self._closed = False
        self._limiter = asyncio.Semaphore(self.config.max_concurrent_requests)
        self._transport: Transport | None = None
        #: The embedded :class:`~asyncmedia.sandbox.Sandbox` this client talks to, when it was
        #: made by :mod:`asyncmedia.environment` without credentials; otherwise ``None``.
        self.sandbox: Any = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session in use (opened on first use when the caller gave none)."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed; create a new one")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                ssl=self._verify_ssl, limit=self.config.max_concurrent_requests
            )
            # No cookie jar: upload APIs need none, and cookies a service set must never ride
            # along to the hosts media URLs point at.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
            # aiohttp silently resends an idempotent request (GET STATUS) once when a kept-alive
            # connection drops, with the *same* OAuth nonce, which services reject as a replay.
            # Our transport retries itself, with a fresh signature, so turn that off.
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
        return self._session

    @property
    def transport(self) -> Transport:
        """The I/O layer bound to this client's session, signer and request cap."""
        if self._transport is None:
            self._transport = Transport(
                self.session, self.signer, self.config, limiter=self._limiter
            )
        return self._transport

    async def _publish(
        self, request: HTTPRequest, lost: Callable[[TransportError], PostMayExist]
    ) -> HTTPResponse:
        """Send a request that publishes (a Tweet, a status): not repeated blindly.

        When it fails after it may have reached the service (``request_sent``), ``lost(exc)``
        — the service's :class:`~asyncmedia.errors.PostMayExist`, saying what to do — is
        raised from the :class:`~asyncmedia.errors.TransportError` instead; one that cannot
        have reached it is raised as it is.
        """
        try:
            return await self.transport.send(request)
        except TransportError as exc:
            if not exc.request_sent:
                raise
            raise lost(exc) from exc

    async def close(self) -> None:
        """Close the session the client opened (a caller's session is left open)."""
        self._closed = True
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def __aenter__(self) -> Self:
        self.session  # noqa: B018 - open our session inside the running loop
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open_source(
        self, source: Any, *, size: int | None = None, filename: str | None = None
    ) -> MediaSource:
        """Turn any accepted ``source`` into a :class:`MediaSource` (the caller closes it).

        URLs are downloaded with this client's session, without any of its credentials, and
        capped at ``config.max_download_size``.
        """
        return await open_source(
            source,
            session=self.session,
            max_download_size=self.config.max_download_size,
            size=size,
            filename=filename,
            block_private_networks=self.config.block_private_networks,
        )

    @asynccontextmanager
    async def prepared(
        self,
        source: Any,
        *,
        media_type: str | None = None,
        size: int | None = None,
        filename: str | None = None,
    ) -> AsyncIterator[PreparedMedia]:
        """Open ``source``, decide its type and part name, and close what was opened after."""
        media_source = await self.open_source(source, size=size, filename=filename)
        try:
            kind = await resolve_media_type(media_source, media_type)
            assert media_source.size is not None, "open_source always knows the size"
            yield PreparedMedia(
                media_source, kind, media_source.size, filename_for(media_source, kind)
            )
        finally:
            await media_source.aclose()

    async def prepare_each(
        self,
        stack: AsyncExitStack,
        items: Sequence[Any],
        kept: type[_Kept],
        then: Callable[[PreparedMedia], _Opened],
    ) -> list[_Kept | _Opened]:
        """The items of a post, in order: a ``kept`` one (uploaded before) as it is, any other
        opened with :meth:`prepared` inside ``stack`` and passed through ``then`` (a check, or
        a plan), one after the other, so that a bad item fails before the next is opened."""
        out: list[_Kept | _Opened] = []
        for item in items:
            if isinstance(item, kept):
                out.append(item)
            else:
                out.append(then(await stack.enter_async_context(self.prepared(item))))
        return out
