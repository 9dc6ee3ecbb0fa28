"""``StatusNetClient``: post notices (optionally with media) to Identi.ca / StatusNet.

Credentials: HTTP Basic, sent pre-emptively by :class:`~asyncmedia.auth.BasicAuth` (no
challenge round trip, no body sent twice).  The transport attaches ``Authorization`` only to
URLs of the configured origin: a redirect to another host is followed without it (or, for a
body that cannot be replayed, not followed at all).  Since credentials go with the
first request, a 401 means they are wrong: it is raised as :class:`AuthenticationError` at
once, never answered again.  A warning is logged when ``base_url`` is plain HTTP to anything
but this machine (Basic sends the password in clear base64).

Wire details: :mod:`asyncmedia.protocols.statusnet`.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from yarl import URL

from ..auth import BasicAuth
from ..config import UploadConfig
from ..protocols.statusnet import (
    DEFAULT_STATUS_LIMIT,
    StatusNetProtocol,
    StatusNetStatus,
    check_status,
)
from ..service import ServiceClient, warn_if_cleartext
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["DEFAULT_BASE_URL", "StatusNetClient"]

DEFAULT_BASE_URL = "https://identi.ca/api/"


class StatusNetClient(ServiceClient):
    """Post to a StatusNet / GNU social API (Identi.ca's by default).

    >>> async def main():                                                 # doctest: +SKIP
    ...     async with StatusNetClient("alice", "s3cret") as statusnet:
    ...         notice = await statusnet.update("Hello from asyncmedia")
    ...         print(notice.id, notice.text)

    :param username, password: HTTP Basic credentials (only ever sent to ``base_url``'s origin).
    :param base_url: API root; ``statuses/update.json``/``.xml`` is joined onto it.
    :param response_format: ``"json"`` or ``"xml"``; the answer is a :class:`StatusNetStatus`
        either way (``.raw`` holds the whole object).
    :param status_limit: longest status accepted, in characters (140, StatusNet's default;
        set the server's own limit if it differs).
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        base_url: str | URL = DEFAULT_BASE_URL,
        response_format: str = "json",
        session: aiohttp.ClientSession | None = None,
        status_limit: int = DEFAULT_STATUS_LIMIT,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        **config_overrides: Any,
    ) -> None:
        if status_limit < 1:
            raise ValueError(f"status_limit must be positive, got {status_limit}")
        self.protocol = StatusNetProtocol(base_url, response_format)
        super().__init__(
            BasicAuth(username, password),
            session=session,
            config=config,
            verify_ssl=verify_ssl,
            **config_overrides,
        )
        self.username = username
        self.status_limit = status_limit
        warn_if_cleartext(self.protocol.base_url, "HTTP Basic credentials")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(username={self.username!r}, password=***, "
            f"base_url={str(self.protocol.base_url)!r})"
        )

    async def update(
        self,
        status: str,
        *,
        in_reply_to_status_id: int | str | None = None,
        source: str | None = None,
    ) -> StatusNetStatus:
        """Post ``status`` (urlencoded) and return the notice.

        :raises ValueError: empty, or longer than ``status_limit`` characters (nothing sent).
        :raises AuthenticationError: wrong username or password (401).
        :raises APIError: any other refusal (e.g. 406 over the server's own limit).
        """
        check_status(status, self.status_limit)
        request = self.protocol.update(
            status, in_reply_to_status_id=in_reply_to_status_id, source=source
        )
        return self.protocol.read_status(await self.transport.send(request))

    async def update_with_media(
        self,
        media_source: Any,
        status: str = "",
        *,
        in_reply_to_status_id: int | str | None = None,
        source: str | None = None,
        media_type: str | None = None,
        size: int | None = None,
        filename: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> StatusNetStatus:
        """Post ``status`` with ``media_source`` attached (multipart ``media`` part).

        The server appends the attachment's URL to the text; if that makes it too long it
        answers 400 (:class:`APIError`).  ``status`` may be empty here.

        :raises ValueError: ``status`` longer than ``status_limit`` (nothing opened or sent).
        """
        check_status(status, self.status_limit, allow_empty=True)
        async with self.prepared(
            media_source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            request = self.protocol.update_with_media(
                status,
                filename=prepared.filename,
                media_type=prepared.media_type,
                in_reply_to_status_id=in_reply_to_status_id,
                source=source,
            )
            response = await self.transport.send(
                request, prepared.source, progress=ProgressReporter(progress, prepared.size)
            )
        return self.protocol.read_status(response)
