"""``TwitrPixClient``: upload photos to TwitrPix API 1.0 and optionally have it post the Tweet.

.. warning::

   TwitrPix authenticates by **pass-through**: the Twitter consumer secret and the user's
   access token secret are sent to TwitrPix in the form, with the API key.  Whoever runs that
   host can act as the user on Twitter.  The documented URL is plain ``http://``, so the
   secrets also cross the network unencrypted; the client logs a warning when ``base_url`` is
   plain HTTP to anything but this machine.  Use it only with a host you trust, over HTTPS.

Error codes (every error is HTTP 400) map to the exception tree as tabulated in
:mod:`asyncmedia.protocols.twitrpix`: 999 and 1001 → :class:`AuthenticationError`, 1003 →
:class:`RejectedMediaType`, 1004 → :class:`RejectedMediaSize`, 1000/1002 →
:class:`APIError`; all of them are :class:`APIError` with ``.code``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiohttp
from yarl import URL

from ..auth import NoAuth, mask
from ..config import UploadConfig
from ..protocols.twitrpix import TwitrPixMedia, TwitrPixProtocol, check_coordinates, format_tags
from ..service import ServiceClient, warn_if_cleartext
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["DEFAULT_BASE_URL", "TwitrPixClient"]

DEFAULT_BASE_URL = "http://api.twitrpix.com/1/"


class TwitrPixClient(ServiceClient):
    """Upload photos to TwitrPix (see the module warning about pass-through credentials).

    >>> async def main():                                                 # doctest: +SKIP
    ...     async with TwitrPixClient(api_key, ck, cs, at, ats) as twitrpix:
    ...         media = await twitrpix.upload("cat.jpg", message="My cat", tags=["cats"])
    ...         print(media.page_url, media.thumb_url)

    :param api_key: the TwitrPix API key.
    :param consumer_key, consumer_secret, access_token, access_token_secret: Twitter OAuth
        1.0a credentials, **handed to TwitrPix** (fields ``consumer_token``,
        ``consumer_secret``, ``oauth_token``, ``oauth_secret``).
    :param base_url: API root.
    :param response_format: ``"json"`` or ``"xml"`` for the upload methods.
    """

    def __init__(
        self,
        api_key: str,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        base_url: str | URL = DEFAULT_BASE_URL,
        response_format: str = "json",
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        **config_overrides: Any,
    ) -> None:
        if not api_key:
            raise ValueError("TwitrPix needs an API key")
        for name, value in (
            ("consumer_key", consumer_key),
            ("consumer_secret", consumer_secret),
            ("access_token", access_token),
            ("access_token_secret", access_token_secret),
        ):
            if not value:
                raise ValueError(f"TwitrPix needs {name}")
        self.protocol = TwitrPixProtocol(base_url, response_format)
        super().__init__(
            NoAuth(), session=session, config=config, verify_ssl=verify_ssl, **config_overrides
        )
        self._api_key = api_key
        self._credentials = (consumer_key, consumer_secret, access_token, access_token_secret)
        warn_if_cleartext(
            self.protocol.base_url, "TwitrPix pass-through credentials (OAuth secrets)"
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={mask(self._api_key)}, consumer_secret=***, "
            f"access_token_secret=***, base_url={str(self.protocol.base_url)!r})"
        )

    async def upload(
        self,
        source: Any,
        message: str | None = None,
        tags: str | Iterable[str] | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        *,
        media_type: str | None = None,
        size: int | None = None,
        filename: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> TwitrPixMedia:
        """Store ``source`` on TwitrPix (the Tweet is yours to post: ``media.text`` is ready).

        ``tags`` is a comma-separated string or an iterable of tags; ``latitude`` and
        ``longitude`` go together.

        :raises ValueError: bad tags or coordinates (checked before anything is opened/sent).
        :raises APIError: the service refused (see the module docstring for the subclasses).
        """
        return await self._upload(
            source,
            message,
            tags,
            latitude,
            longitude,
            media_type,
            size,
            filename,
            progress,
            post=False,
        )

    async def upload_and_post(
        self,
        source: Any,
        message: str | None = None,
        tags: str | Iterable[str] | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        *,
        media_type: str | None = None,
        size: int | None = None,
        filename: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> TwitrPixMedia:
        """Like :meth:`upload`, and TwitrPix posts the Tweet for the user (``uploadAndPost``)."""
        return await self._upload(
            source,
            message,
            tags,
            latitude,
            longitude,
            media_type,
            size,
            filename,
            progress,
            post=True,
        )

    async def ping(self) -> str:
        """Return ``"pong"`` when TwitrPix is up.

        :raises ServiceUnavailable: it answered ``maintenance`` (its status is still ``ok``
            then, so a status value would be easy to miss; an exception is not).
        """
        response = await self.transport.send(self.protocol.ping())
        return self.protocol.read_ping(response)

    async def _upload(
        self,
        source: Any,
        message: str | None,
        tags: str | Iterable[str] | None,
        latitude: float | None,
        longitude: float | None,
        media_type: str | None,
        size: int | None,
        filename: str | None,
        progress: ProgressCallback | None,
        *,
        post: bool,
    ) -> TwitrPixMedia:
        # Validate before opening the source (a URL source would be downloaded for nothing).
        check_coordinates(latitude, longitude)
        tag_list = None if tags is None else format_tags(tags)
        consumer_key, consumer_secret, access_token, access_token_secret = self._credentials
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            request = self.protocol.upload(
                api_key=self._api_key,
                consumer_key=consumer_key,
                consumer_secret=consumer_secret,
                access_token=access_token,
                access_token_secret=access_token_secret,
                filename=prepared.filename,
                media_type=prepared.media_type,
                message=message,
                tags=tag_list,
                latitude=latitude,
                longitude=longitude,
                post=post,
            )
            response = await self.transport.send(
                request, prepared.source, progress=ProgressReporter(progress, prepared.size)
            )
        return self.protocol.read_media(response)
