"""The exception tree of asyncmedia: every error the library raises on purpose.

::

    AsyncMediaError
    ├── MediaSourceError (ValueError)        the thing passed as ``source`` cannot be read
    │   └── UnsupportedMediaType             media type unknown or not accepted here
    │       └── RejectedMediaType            … said by the service (also an APIError)
    ├── MediaTooLarge (ValueError)           over a per-type or download size limit
    │   └── RejectedMediaSize                … said by the service (also an APIError)
    ├── APIError                             the service answered with an error
    │   ├── AuthenticationError              401 / bad credentials (any status)
    │   ├── RateLimitError                   429 / 420, with ``reset``
    │   ├── ServiceUnavailable               maintenance / 503-style answers
    │   ├── RejectedMediaType                refused type (also UnsupportedMediaType)
    │   └── RejectedMediaSize                refused size (also MediaTooLarge)
    ├── ProcessingError                      server-side processing ended ``failed``
    ├── ProcessingTimeout (TimeoutError)     processing did not finish in time
    └── TransportError (ConnectionError)     the connection failed (after retries)
        ├── PostMayExist                     a post request may have reached the service
        └── RedirectRefused                  a redirect that is not followed (POST → GET…)
            └── CrossOriginRedirect          … to another origin, for a credential-bearing request

The two ``Rejected…`` classes inherit from both :class:`APIError` and the matching client-side
error, so ``except MediaTooLarge`` catches a size refusal whether the client or the service
noticed it, and ``except APIError`` still catches everything a service answered.

This module holds no I/O and imports nothing from the rest of the package, so every other
module (sans-I/O protocols included) can raise from it.  Messages say what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AsyncMediaError",
    "AuthenticationError",
    "CrossOriginRedirect",
    "MediaSourceError",
    "MediaTooLarge",
    "PostMayExist",
    "ProcessingError",
    "ProcessingTimeout",
    "RateLimitError",
    "RedirectRefused",
    "RejectedMediaSize",
    "RejectedMediaType",
    "ServiceUnavailable",
    "TransportError",
    "UnsupportedMediaType",
]


class AsyncMediaError(Exception):
    """Root of every exception asyncmedia raises on purpose."""


class MediaSourceError(AsyncMediaError, ValueError):
    """The media source cannot be used (wrong kind, text mode, missing, empty, bad URL...)."""


class UnsupportedMediaType(MediaSourceError):
    """The media type could not be determined or is not accepted by this upload path."""


class MediaTooLarge(AsyncMediaError, ValueError):
    """The media is over a size limit (per media type, per service, or the download cap).

    ``size`` is the size seen (``None`` when the limit tripped while streaming) and
    ``limit`` the limit in bytes.
    """

    def __init__(self, message: str, *, size: int | None = None, limit: int | None = None):
        super().__init__(message)
        self.size = size
        self.limit = limit


class APIError(AsyncMediaError):
    """The service answered with an error status or an error body.

    Attributes: ``status`` (HTTP status), ``code`` (the service's numeric or string error code,
    or ``None``), ``message`` (the service's message, or the reason phrase), ``body`` (the parsed
    JSON/XML body when there was one) and ``headers``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        code = f" (code {self.code})" if self.code is not None else ""
        return f"HTTP {self.status}{code}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class AuthenticationError(APIError):
    """The service refused the credentials (HTTP 401, or a service's own auth error code).

    Check the four keys, the system clock (OAuth timestamps) and the app's permissions.
    """


class RateLimitError(APIError):
    """The service throttled the client (HTTP 429/420).

    ``reset`` is the UNIX time (seconds) when the window resets, or ``None`` if unknown.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reset: float | None = None,
        code: int | str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.reset = reset
        super().__init__(status, message, code=code, body=body, headers=headers)


class ServiceUnavailable(APIError):
    """The service is down for maintenance or over capacity; try again later."""


class RejectedMediaType(APIError, UnsupportedMediaType):
    """The service refused the media's type (e.g. Mastodon's 422 "File content type is invalid").

    Both an :class:`APIError` (``status``, ``message`` — the server's words — ``body``) and an
    :class:`UnsupportedMediaType`, so one ``except UnsupportedMediaType`` catches the refusal
    whether it was decided client-side or by the service.
    """


class RejectedMediaSize(APIError, MediaTooLarge):
    """The service refused the media's size (Mastodon 422/413, Bluesky ``BlobTooLarge``).

    Both an :class:`APIError` and a :class:`MediaTooLarge`; ``size`` and ``limit`` are set when
    known (usually only ``size``, the bytes sent).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        size: int | None = None,
        limit: int | None = None,
        code: int | str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, code=code, body=body, headers=headers)
        self.size = size
        self.limit = limit


class ProcessingError(AsyncMediaError):
    """Server-side processing of uploaded media ended in state ``failed``.

    ``name`` and ``message`` are the service's (e.g. ``InvalidMedia`` / ``Unsupported video
    format``); ``code`` its numeric code when given; ``media_id`` the media concerned.
    """

    def __init__(
        self,
        name: str | None,
        message: str,
        *,
        code: int | None = None,
        media_id: str | None = None,
    ) -> None:
        self.name = name
        self.message = message
        self.code = code
        self.media_id = media_id
        label = f"{name}: " if name else ""
        super().__init__(f"media {media_id} failed processing: {label}{message}")


class ProcessingTimeout(AsyncMediaError, TimeoutError):
    """Server-side processing did not finish before the deadline; ``media_id`` may still finish."""

    def __init__(self, message: str, *, media_id: str | None = None) -> None:
        self.media_id = media_id
        super().__init__(message)


class TransportError(AsyncMediaError, ConnectionError):
    """The connection to the service failed (refused, reset, timed out), retries exhausted.

    ``request_sent`` is False when the request cannot have reached the service (the connection
    was never established), True when it may have (the connection failed while sending or
    while waiting for the answer): a request that is not safe to repeat must then not be
    repeated blindly.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class PostMayExist(TransportError):
    """A post (status, Tweet, record) was sent, but its answer was lost: it may exist.

    Raised instead of repeating a request that is not idempotent, so nothing is posted twice.
    ``service`` names the service (``"x"``, ``"bluesky"``…); ``media`` holds the upload
    results the post referred to (:class:`~asyncmedia.Media` or :class:`~asyncmedia.Blob`)
    and ``media_ids`` their ids (or blob CIDs), so the caller can check the account and, if
    the post is missing, send the post again with the same media instead of uploading anew.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        media: tuple[Any, ...] = (),
        media_ids: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, request_sent=True)
        self.service = service
        self.media = media
        self.media_ids = media_ids


class RedirectRefused(TransportError):
    """The service answered with a redirect the transport does not follow.

    Raised for an upload or post (any method but GET/HEAD) redirected with 301/302/303 —
    following it would turn the upload into a body-less GET whose answer is not the upload's
    result — for a malformed or non-http(s) ``Location``, for a redirect loop, and for a
    one-pass body that cannot be sent twice.  ``status`` is the redirect status (``None`` for a
    loop) and ``location`` the ``Location`` header as received.  The request reached the
    service (``request_sent`` is True): check the service's URL (``base_url=``, ``api_url=``…).
    """

    def __init__(self, message: str, *, status: int | None = None, location: str | None = None):
        super().__init__(message, request_sent=True)
        self.status = status
        self.location = location


class CrossOriginRedirect(RedirectRefused):
    """A request carrying credentials (in its body or a credential header) was redirected to
    another origin; it is never sent there.  ``host`` names the target host.

    A request whose credentials are only in headers is followed elsewhere without them; this
    is raised when the credentials are in the body (TwitPic / TwitrPix API keys, Bluesky's
    createSession password) or in headers the protocol marks as secret and the request could
    not go without.
    """

    def __init__(
        self, message: str, *, host: str | None, status: int | None = None, location: str | None
    ) -> None:
        super().__init__(message, status=status, location=location)
        self.host = host
