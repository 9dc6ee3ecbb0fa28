"""``BlueskyClient``: blobs on a Bluesky PDS (AT Protocol ``com.atproto.repo.uploadBlob``).

Session, config, transport and sources come from :class:`~asyncmedia.service.ServiceClient`;
wire details from :mod:`asyncmedia.protocols.bluesky`.  This module logs in when needed
(``createSession``) and streams the media as the raw request body.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from yarl import URL

from ..config import UploadConfig
from ..media import Blob
from ..protocols.bluesky import (
    DEFAULT_SERVICE_URL,
    IMAGE_SIZE_LIMIT,
    BlueskyProtocol,
    check_size,
)
from ..service import ServiceClient
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["BlueskyClient"]


class _SessionToken:
    """Bearer signer whose token arrives later (from createSession); signs nothing before."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def __repr__(self) -> str:
        return "_SessionToken(token=***)"


class BlueskyClient(ServiceClient):
    """Upload blobs to Bluesky, to embed in posts (``app.bsky.embed.images``) and records.

    >>> async def main():                                                  # doctest: +SKIP
    ...     async with BlueskyClient(identifier="me.bsky.social", password=app_password) as bsky:
    ...         blob = await bsky.upload_blob("cat.png")
    ...         image = {"image": blob.as_dict(), "alt": "A cat"}

    :param service_url: the PDS root (``https://bsky.social`` by default).
    :param access_jwt: an ``accessJwt`` you already have; else ``identifier`` and ``password``
        (an app password) are used to log in with ``createSession`` on first upload.
    :param image_size_limit: images over this many bytes raise :class:`MediaTooLarge` before
        any request (Bluesky's image embeds take at most 1,000,000 bytes); ``None`` disables
        the check (the PDS still applies its own blob limit).
    :param session, config, verify_ssl: as for every :class:`~asyncmedia.service.ServiceClient`.

    An ``accessJwt`` expires after a couple of hours; a client created from
    ``identifier``/``password`` logs in once, so make a new client (or call :meth:`login`)
    for long-running jobs.
    """

    def __init__(
        self,
        service_url: str | URL = DEFAULT_SERVICE_URL,
        *,
        access_jwt: str | None = None,
        identifier: str | None = None,
        password: str | None = None,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        image_size_limit: int | None = IMAGE_SIZE_LIMIT,
        **config_overrides: Any,
    ) -> None:
        if not access_jwt and not (identifier and password):
            raise ValueError(
                "BlueskyClient needs access_jwt=..., or identifier=... and password=... "
                "(an app password) to log in"
            )
        self._token = _SessionToken(access_jwt)
        super().__init__(
            self._token, session=session, config=config, verify_ssl=verify_ssl, **config_overrides
        )
        self.protocol = BlueskyProtocol(service_url)
        self.identifier = identifier
        self._password = password
        self.image_size_limit = image_size_limit
        self._login_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.protocol.service_url)!r}, "
            f"identifier={self.identifier!r})"
        )

    async def login(self) -> str:
        """Create a session with ``identifier``/``password``; returns (and uses) the accessJwt."""
        if not (self.identifier and self._password):
            raise ValueError("login needs identifier and password")
        request = self.protocol.create_session(self.identifier, self._password)
        self._token.token = self.protocol.read_session(await self.transport.send(request))
        return self._token.token

    async def _ensure_session(self) -> None:
        if self._token.token:
            return
        if self._login_lock is None:
            self._login_lock = asyncio.Lock()
        async with self._login_lock:
            if not self._token.token:
                await self.login()

    async def upload_blob(
        self,
        source: Any,
        media_type: str | None = None,
        progress: ProgressCallback | None = None,
        *,
        size: int | None = None,
        filename: str | None = None,
    ) -> Blob:
        """Upload ``source`` (streamed as the raw body) and return its :class:`Blob` reference.

        ``source`` accepts everything :meth:`MediaClient.upload_media
        <asyncmedia.MediaClient.upload_media>` does.

        :raises MediaTooLarge: an image over ``image_size_limit`` (before any request), or
            :class:`RejectedMediaSize` when the PDS refuses the size (``BlobTooLarge``).
        :raises AuthenticationError: bad identifier/password or an invalid/expired token.
        """
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            check_size(prepared.media_type, prepared.size, self.image_size_limit)
            await self._ensure_session()
            response = await self.transport.send(
                self.protocol.upload_blob(prepared.media_type),
                prepared.source,
                progress=ProgressReporter(progress, prepared.size),
            )
            return self.protocol.read_blob(response, size=prepared.size)
