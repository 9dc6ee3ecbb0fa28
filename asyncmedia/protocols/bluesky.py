"""Bluesky (AT Protocol) blob upload, sans-I/O.

Builds ``com.atproto.server.createSession`` (JSON identifier/password → ``accessJwt``) and
``com.atproto.repo.uploadBlob`` (the media bytes themselves as the body, with their
``Content-Type``; never multipart), and reads the answers into a :class:`~asyncmedia.media.Blob`.
XRPC errors are ``{"error": <Name>, "message": <text>}``: ``BlobTooLarge`` (and a proxy's 413)
→ :class:`~asyncmedia.errors.RejectedMediaSize`; 401 and ``InvalidToken``/``ExpiredToken``
→ :class:`~asyncmedia.errors.AuthenticationError`; 429 → ``RateLimitError``.

The image limit (1,000,000 bytes for ``app.bsky.embed.images``) is a *client-side* rule: the
PDS itself accepts larger blobs for other uses, so :func:`check_size` takes the limit as a
parameter.  This module does no I/O.
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from ..errors import APIError, AuthenticationError, MediaTooLarge, RejectedMediaSize
from ..media import Blob
from .http import HTTPRequest, HTTPResponse, error_from_response, malformed_answer
from .twitter_v1 import _as_base

__all__ = ["DEFAULT_SERVICE_URL", "IMAGE_SIZE_LIMIT", "BlueskyProtocol", "check_size"]

DEFAULT_SERVICE_URL = "https://bsky.social"
#: ``app.bsky.embed.images`` accepts images up to this many bytes.
IMAGE_SIZE_LIMIT = 1_000_000

_AUTH_ERRORS = frozenset({"InvalidToken", "ExpiredToken", "AuthenticationRequired", "AuthMissing"})


def check_size(media_type: str, size: int, image_limit: int | None = IMAGE_SIZE_LIMIT) -> None:
    """Raise :class:`MediaTooLarge` for an image over ``image_limit`` (``None``: no check)."""
    if image_limit is not None and media_type.startswith("image/") and size > image_limit:
        raise MediaTooLarge(
            f"{media_type} of {size} bytes is over Bluesky's image limit of {image_limit} "
            "bytes; shrink it (or pass image_size_limit=None to upload it as a plain blob)",
            size=size,
            limit=image_limit,
        )


class BlueskyProtocol:
    """Request builders and response readers for one PDS (``service_url``).

    >>> str(BlueskyProtocol("https://bsky.social").upload_blob("image/png").url)
    'https://bsky.social/xrpc/com.atproto.repo.uploadBlob'
    """

    def __init__(self, service_url: URL | str = DEFAULT_SERVICE_URL) -> None:
        self.service_url = _as_base(service_url)

    def _xrpc(self, method: str) -> URL:
        return self.service_url.join(URL(f"xrpc/{method}"))

    # -- requests ---------------------------------------------------------------------------

    def create_session(self, identifier: str, password: str) -> HTTPRequest:
        """``com.atproto.server.createSession``; sent without any Authorization header."""
        return HTTPRequest(
            "POST",
            self._xrpc("com.atproto.server.createSession"),
            json={"identifier": identifier, "password": password},
            signed=False,
            secret_body=True,  # the password never follows a redirect to another origin
        )

    def upload_blob(self, media_type: str) -> HTTPRequest:
        """``com.atproto.repo.uploadBlob``: the media as the raw body, typed ``media_type``.

        Retry-safe: blobs are content-addressed, so a repeat yields the same CID.
        """
        return HTTPRequest(
            "POST", self._xrpc("com.atproto.repo.uploadBlob"), raw=media_type, retry_safe=True
        )

    # -- responses --------------------------------------------------------------------------

    def error(self, response: HTTPResponse, *, size: int | None = None) -> APIError:
        """The typed error of a non-2xx XRPC answer."""
        body = response.json()
        base = error_from_response(response, body)
        name = body.get("error") if isinstance(body, dict) else None
        kwargs: dict[str, Any] = {"code": base.code, "body": body, "headers": base.headers}
        if name == "BlobTooLarge" or response.status == 413:
            return RejectedMediaSize(response.status, base.message, size=size, **kwargs)
        if name in _AUTH_ERRORS and not isinstance(base, AuthenticationError):
            return AuthenticationError(response.status, base.message, **kwargs)
        return base

    def read_session(self, response: HTTPResponse) -> str:
        """The ``accessJwt`` of a createSession answer."""
        if not response.ok:
            raise self.error(response)
        body = response.json()
        token = body.get("accessJwt") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise malformed_answer(response, "createSession answered without an accessJwt")
        if not all("!" <= ch <= "~" for ch in token):  # CR/LF would split the header
            raise malformed_answer(response, "createSession answered an unusable accessJwt")
        return token

    def read_blob(self, response: HTTPResponse, *, size: int | None = None) -> Blob:
        """The :class:`Blob` of an uploadBlob answer ``{"blob": {...}}``."""
        if not response.ok:
            raise self.error(response, size=size)
        body = response.json()
        blob = body.get("blob") if isinstance(body, dict) else None
        ref = blob.get("ref") if isinstance(blob, dict) else None
        link = ref.get("$link") if isinstance(ref, dict) else None
        if not isinstance(blob, dict) or not isinstance(link, str):
            raise malformed_answer(response, "unexpected answer without blob.ref.$link")
        blob_size = blob.get("size")
        return Blob(
            ref=link,
            mime_type=str(blob.get("mimeType") or ""),
            size=blob_size if isinstance(blob_size, int) else (size or 0),
            raw=blob,
        )
