"""``TwitPicClient``: upload a photo to TwitPic API v2, authenticated by OAuth Echo.

The OAuth secrets stay here: each upload signs a fresh ``GET`` of the provider's
``verify_credentials`` URL with :class:`~asyncmedia.auth.OAuth1` and sends only that header
value (``X-Verify-Credentials-Authorization``) and the URL (``X-Auth-Service-Provider``) to
TwitPic.  The transport's signer is :class:`~asyncmedia.auth.NoAuth`: TwitPic gets no
``Authorization`` header.  Wire details: :mod:`asyncmedia.protocols.twitpic`.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from yarl import URL

from ..auth import NoAuth, OAuth1, mask
from ..config import UploadConfig
from ..protocols.twitpic import DEFAULT_SERVICE_PROVIDER, TwitPicPhoto, TwitPicProtocol
from ..service import ServiceClient, warn_if_cleartext
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["DEFAULT_BASE_URL", "TwitPicClient"]

DEFAULT_BASE_URL = "https://api.twitpic.com/2/"


class TwitPicClient(ServiceClient):
    """Upload photos to TwitPic.

    >>> async def main():                                               # doctest: +SKIP
    ...     async with TwitPicClient(api_key, ck, cs, at, ats) as twitpic:
    ...         photo = await twitpic.upload("cat.jpg", message="My cat")
    ...         print(photo.url)

    :param api_key: the TwitPic API key (sent as the ``key`` field).
    :param consumer_key, consumer_secret, access_token, access_token_secret: the Twitter
        OAuth 1.0a user credentials the echo header is signed with (secrets never sent).
    :param base_url: API root; ``upload.json``/``upload.xml`` is joined onto it.
    :param response_format: ``"json"`` or ``"xml"``.
    :param service_provider: the URL the echo header is signed for (TwitPic replays it there).
    :param realm: optional ``realm`` in the echo header (e.g. ``"http://api.twitter.com/"``);
        never part of the signature.
    :param echo_signer: replace the OAuth 1.0a signer (e.g. a deterministic one in tests).

    ``session``, ``config``, ``verify_ssl`` and config overrides as for
    :class:`~asyncmedia.service.ServiceClient`.
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
        service_provider: str = DEFAULT_SERVICE_PROVIDER,
        realm: str | None = None,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        echo_signer: OAuth1 | None = None,
        **config_overrides: Any,
    ) -> None:
        if not api_key:
            raise ValueError("TwitPic needs an API key")
        self.protocol = TwitPicProtocol(base_url, response_format, service_provider)
        super().__init__(
            NoAuth(), session=session, config=config, verify_ssl=verify_ssl, **config_overrides
        )
        self._api_key = api_key
        self._echo = echo_signer or OAuth1(
            consumer_key, consumer_secret, access_token, access_token_secret, realm=realm
        )
        # Only the API key and the (signed, secret-free) echo header go to TwitPic.
        warn_if_cleartext(self.protocol.base_url, "the TwitPic API key and OAuth Echo header")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={mask(self._api_key)}, "
            f"base_url={str(self.protocol.base_url)!r})"
        )

    def echo_authorization(self) -> str:
        """A fresh ``OAuth …`` header value signed for ``GET`` of the service provider URL."""
        return self._echo.authorization("GET", self.protocol.service_provider)

    async def upload(
        self,
        source: Any,
        message: str = "",
        *,
        media_type: str | None = None,
        size: int | None = None,
        filename: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> TwitPicPhoto:
        """Upload ``source`` (any kind :meth:`MediaClient.upload_media` accepts) with
        ``message`` as its caption; return the :class:`TwitPicPhoto`.

        TwitPic does not post the Tweet, and the caption is public.

        :raises AuthenticationError: TwitPic (or the provider) refused the echo header or key.
        :raises APIError: any other refusal, with TwitPic's message.
        """
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            request = self.protocol.upload(
                api_key=self._api_key,
                message=message,
                filename=prepared.filename,
                media_type=prepared.media_type,
                echo_authorization=self.echo_authorization(),
            )
            response = await self.transport.send(
                request, prepared.source, progress=ProgressReporter(progress, prepared.size)
            )
        return self.protocol.read_photo(response)
