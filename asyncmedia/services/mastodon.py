"""``MastodonClient``: media attachments on a Mastodon instance (API v2 upload).

Session, config, transport and sources come from :class:`~asyncmedia.service.ServiceClient`;
wire details from :mod:`asyncmedia.protocols.mastodon`.  This module only sequences the calls:
upload, poll while the instance processes (1 s backing off to 5 s, within
``config.processing_timeout``), and the optional thumbnail ``PUT``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from yarl import URL

from ..auth import BearerToken
from ..config import UploadConfig
from ..errors import ProcessingTimeout, UnsupportedMediaType
from ..media import MastodonMedia
from ..protocols.http import FilePart
from ..protocols.mastodon import (
    DESCRIPTION_LIMIT,
    MastodonProtocol,
    check_description,
    format_focus,
    poll_delays,
)
from ..service import ServiceClient
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["MastodonClient"]


class MastodonClient(ServiceClient):
    """Upload media to a Mastodon instance with a user access token (scope ``write:media``).

    >>> async def main():                                                # doctest: +SKIP
    ...     async with MastodonClient("https://mastodon.social", token) as mastodon:
    ...         media = await mastodon.upload_media("cat.png", description="A cat", focus=(0, 0.5))
    ...         print(media.id, media.url)

    :param instance_url: the instance root, e.g. ``https://mastodon.social``.
    :param access_token: the user's OAuth token, sent as ``Authorization: Bearer``.
    :param session: an ``aiohttp.ClientSession`` to use; the client never closes it.
    :param config: an :class:`~asyncmedia.config.UploadConfig` (``processing_timeout``,
        ``retries``, ``max_rate_limit_wait``… apply); its fields may be overridden by keyword.
    :param poll_interval: first wait before polling a 202 upload (seconds); doubles per poll.
    :param max_poll_interval: cap of one wait between polls (seconds).
    :param description_limit: longest description accepted client-side (Mastodon's default
        ``description_limit`` is 1500; some instances configure another).
    """

    def __init__(
        self,
        instance_url: str | URL,
        access_token: str,
        *,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        poll_interval: float = 1.0,
        max_poll_interval: float = 5.0,
        description_limit: int = DESCRIPTION_LIMIT,
        **config_overrides: Any,
    ) -> None:
        if not access_token:
            raise ValueError("MastodonClient needs an access token (scope write:media)")
        if poll_interval <= 0 or max_poll_interval < poll_interval:
            raise ValueError("need 0 < poll_interval <= max_poll_interval")
        super().__init__(
            BearerToken(access_token),
            session=session,
            config=config,
            verify_ssl=verify_ssl,
            **config_overrides,
        )
        self.protocol = MastodonProtocol(instance_url)
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.description_limit = description_limit

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.protocol.instance_url)!r}, access_token=***)"

    async def upload_media(
        self,
        source: Any,
        *,
        description: str | None = None,
        focus: tuple[float, float] | None = None,
        thumbnail: Any = None,
        media_type: str | None = None,
        progress: ProgressCallback | None = None,
        size: int | None = None,
        filename: str | None = None,
    ) -> MastodonMedia:
        """Upload ``source`` and return the attachment once the instance has processed it.

        ``source`` and ``thumbnail`` accept everything :meth:`MediaClient.upload_media
        <asyncmedia.MediaClient.upload_media>` does.  ``description`` is the alt text
        (≤ ``description_limit`` characters); ``focus=(x, y)`` with both in −1.0…1.0.
        ``thumbnail`` (an image, for audio and video) is sent by a follow-up
        ``PUT /api/v1/media/{id}`` once processing finished.

        :raises ValueError: description too long, focus out of range.
        :raises RejectedMediaType: the instance refused the type (422); also
            :class:`UnsupportedMediaType`.
        :raises RejectedMediaSize: the instance refused the size (422/413); also
            :class:`MediaTooLarge`.
        :raises ProcessingError: the instance failed to process it (422 on a poll).
        :raises ProcessingTimeout: still processing after ``config.processing_timeout``.
        """
        check_description(description, self.description_limit)
        focus_text = format_focus(focus)
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            request = self.protocol.upload(
                filename=prepared.filename,
                media_type=prepared.media_type,
                description=description,
                focus=focus_text,
            )
            response = await self.transport.send(
                request, prepared.source, progress=ProgressReporter(progress, prepared.size)
            )
            media, ready = self.protocol.read_upload(response)
        if not ready:
            media = await self.wait_until_ready(media.id)
        if thumbnail is not None:
            media = await self.update_media(media.id, thumbnail=thumbnail)
        return media

    async def update_media(
        self,
        media_id: str,
        *,
        description: str | None = None,
        focus: tuple[float, float] | None = None,
        thumbnail: Any = None,
    ) -> MastodonMedia:
        """Change the description, focus or thumbnail of an unattached upload (``PUT``).

        Waits for processing when the instance answers 206.
        """
        check_description(description, self.description_limit)
        focus_text = format_focus(focus)
        if thumbnail is None:
            request = self.protocol.update(media_id, description=description, focus=focus_text)
            media, ready = self.protocol.read_update(await self.transport.send(request))
        else:
            async with self.prepared(thumbnail) as thumb:
                if not thumb.media_type.startswith("image/"):
                    raise UnsupportedMediaType(
                        f"a thumbnail must be an image, got {thumb.media_type}"
                    )
                request = self.protocol.update(
                    media_id,
                    description=description,
                    focus=focus_text,
                    thumbnail=FilePart("thumbnail", thumb.filename, thumb.media_type),
                )
                response = await self.transport.send(request, thumb.source)
                media, ready = self.protocol.read_update(response)
        return media if ready else await self.wait_until_ready(media.id)

    async def wait_until_ready(self, media_id: str) -> MastodonMedia:
        """Poll ``GET /api/v1/media/{id}`` until 200 (1 s backing off to 5 s).

        :raises ProcessingError: the instance answered 422 (processing failed).
        :raises ProcessingTimeout: not ready within ``config.processing_timeout``.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        slept = 0.0
        timeout = self.config.processing_timeout
        for delay in poll_delays(self.poll_interval, self.max_poll_interval):
            # Count both the clock and the sleeps asked for, so an injected sleep that
            # returns at once still reaches the deadline.
            elapsed = max(loop.time() - started, slept)
            if elapsed + delay > timeout:
                raise ProcessingTimeout(
                    f"media {media_id} was still processing after {elapsed:.1f}s "
                    f"(processing_timeout={timeout:g}s); raise processing_timeout or poll later "
                    "with wait_until_ready()",
                    media_id=media_id,
                )
            await self.transport.sleep(delay)
            slept += delay
            media = self.protocol.read_poll(
                await self.transport.send(self.protocol.get(media_id)), media_id
            )
            if media is not None:
                return media
        raise AssertionError("unreachable: poll_delays never ends")  # pragma: no cover
