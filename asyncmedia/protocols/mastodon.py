"""Mastodon media attachments, sans-I/O (PROTOCOLS.md §10).

Builds ``POST /api/v2/media`` (multipart ``file`` with its real MIME type, ``description``,
``focus``), ``GET /api/v1/media/{id}`` (polling) and ``PUT /api/v1/media/{id}`` (update,
and the thumbnail), and reads the answers: the status code decides (200 ready, 202 accepted
and processing, 206 still processing, 422 refused or failed), the body only describes.

Decisions isolated here:

- the thumbnail is sent by a follow-up ``PUT`` (one file part per request keeps the I/O
  layer simple; Mastodon ≥ 3.2 accepts ``thumbnail`` on both calls);
- a 422 on upload is classified by its message: "content type" / "file type" →
  :class:`~asyncmedia.errors.RejectedMediaType`, "size" / "too large" / "must be less than"
  → :class:`~asyncmedia.errors.RejectedMediaSize`, anything else → ``APIError``.  [UNCERTAIN]
  Mastodon words these through Rails validations; its own messages are the evidence.  A 413
  (a proxy refusing the body, often as HTML) is a size refusal too.

This module does no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from yarl import URL

from ..errors import APIError, ProcessingError, RejectedMediaSize, RejectedMediaType
from ..media import MastodonMedia
from .http import (
    FilePart,
    HTTPRequest,
    HTTPResponse,
    error_from_response,
    malformed_answer,
    opaque_id,
)
from .twitter_v1 import _as_base

__all__ = [
    "DESCRIPTION_LIMIT",
    "MastodonProtocol",
    "check_description",
    "format_focus",
    "media_from_json",
    "poll_delays",
]

#: Mastodon's default ``configuration.media_attachments.description_limit``.
DESCRIPTION_LIMIT = 1500

_TYPE_WORDS = ("content type", "file type", "mime type", "not supported", "unsupported")
_SIZE_WORDS = ("size", "too large", "too big", "must be less than")


def check_description(description: str | None, limit: int = DESCRIPTION_LIMIT) -> None:
    """Reject a description (alt text) over ``limit`` characters before any request."""
    if description is not None and len(description) > limit:
        raise ValueError(f"description is {len(description)} characters; the limit is {limit}")


def format_focus(focus: tuple[float, float] | None) -> str | None:
    """``(x, y)`` → ``"x,y"``; both must be finite numbers in −1.0…1.0 (else ``ValueError``).

    >>> format_focus((0.5, -0.25))
    '0.5,-0.25'
    """
    if focus is None:
        return None
    try:
        x, y = focus
        values = (float(x), float(y))
    except (TypeError, ValueError):
        raise ValueError(f"focus must be an (x, y) pair of numbers, got {focus!r}") from None
    for value in values:
        if not math.isfinite(value) or not -1.0 <= value <= 1.0:
            raise ValueError(f"focus values must be between -1.0 and 1.0, got {focus!r}")
    return ",".join(f"{value:g}" for value in values)


def poll_delays(first: float = 1.0, cap: float = 5.0) -> Iterator[float]:
    """Seconds to wait before each poll: ``first``, doubling, capped at ``cap`` (1, 2, 4, 5, 5…).

    Mastodon sends no ``check_after_secs``; Mastodon.py re-fetches every 5 s.
    """
    delay = first
    while True:
        yield min(delay, cap)
        delay *= 2


def media_from_json(obj: Any) -> MastodonMedia:
    """Build a :class:`MastodonMedia` from a MediaAttachment JSON object."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), (str, int)):
        raise ValueError("not a media attachment")
    meta = obj.get("meta")
    return MastodonMedia(
        id=opaque_id(obj["id"]),
        type=str(obj.get("type") or "unknown"),
        url=obj.get("url") if isinstance(obj.get("url"), str) else None,
        preview_url=obj.get("preview_url") if isinstance(obj.get("preview_url"), str) else None,
        description=obj.get("description") if isinstance(obj.get("description"), str) else None,
        meta=meta if isinstance(meta, dict) else {},
        raw=obj,
    )


class MastodonProtocol:
    """Request builders and response readers for one Mastodon instance.

    >>> str(MastodonProtocol("https://mastodon.example").get("42").url)
    'https://mastodon.example/api/v1/media/42'
    """

    def __init__(self, instance_url: URL | str) -> None:
        self.instance_url = _as_base(instance_url)
        self.upload_url = self.instance_url.join(URL("api/v2/media"))

    def media_url(self, media_id: str) -> URL:
        if not media_id or not media_id.isalnum():
            raise ValueError(f"media id must be alphanumeric, got {media_id!r}")
        return self.instance_url.join(URL(f"api/v1/media/{media_id}"))

    # -- requests ---------------------------------------------------------------------------

    def upload(
        self,
        *,
        filename: str,
        media_type: str,
        description: str | None = None,
        focus: str | None = None,
    ) -> HTTPRequest:
        """``POST /api/v2/media``; the ``file`` part carries the real MIME type (required)."""
        fields: list[tuple[str, str]] = []
        if description is not None:
            fields.append(("description", description))
        if focus is not None:
            fields.append(("focus", focus))
        # Not retry_safe: a lost answer after the server stored the file would duplicate it.
        part = FilePart("file", filename, media_type)
        return HTTPRequest("POST", self.upload_url, fields=tuple(fields), file=part)

    def get(self, media_id: str) -> HTTPRequest:
        """``GET /api/v1/media/{id}`` (polling)."""
        return HTTPRequest("GET", self.media_url(media_id), retry_safe=True)

    def update(
        self,
        media_id: str,
        *,
        description: str | None = None,
        focus: str | None = None,
        thumbnail: FilePart | None = None,
    ) -> HTTPRequest:
        """``PUT /api/v1/media/{id}`` with the fields to change (multipart)."""
        fields: list[tuple[str, str]] = []
        if description is not None:
            fields.append(("description", description))
        if focus is not None:
            fields.append(("focus", focus))
        if not fields and thumbnail is None:
            raise ValueError("nothing to update: pass description, focus or thumbnail")
        return HTTPRequest(
            "PUT", self.media_url(media_id), fields=tuple(fields), file=thumbnail, retry_safe=True
        )

    # -- responses --------------------------------------------------------------------------

    def error(self, response: HTTPResponse) -> APIError:
        """The typed error of a non-2xx answer to an upload or update."""
        body = response.json()
        base = error_from_response(response, body)
        message = base.message
        words = message.lower()
        kwargs: dict[str, Any] = {"code": base.code, "body": body, "headers": base.headers}
        if response.status == 413:
            return RejectedMediaSize(413, message, **kwargs)
        if response.status == 422:
            if any(word in words for word in _SIZE_WORDS):
                return RejectedMediaSize(422, message, **kwargs)
            if any(word in words for word in _TYPE_WORDS):
                return RejectedMediaType(422, message, **kwargs)
        return base

    def read_upload(self, response: HTTPResponse) -> tuple[MastodonMedia, bool]:
        """``(media, ready)`` from the upload answer: 200 → ready, 202 → still processing."""
        if not response.ok:
            raise self.error(response)
        media = self._media(response)
        return media, response.status != 202

    def read_update(self, response: HTTPResponse) -> tuple[MastodonMedia, bool]:
        """``(media, ready)`` from a PUT answer: 200 ready, 206 still processing."""
        if not response.ok:
            raise self.error(response)
        return self._media(response), response.status != 206

    def read_poll(self, response: HTTPResponse, media_id: str) -> MastodonMedia | None:
        """The ready media (200), ``None`` while processing (206), or the typed error.

        422 on a poll means processing failed → :class:`~asyncmedia.errors.ProcessingError`.
        """
        if response.status == 206:
            return None
        if response.status == 422:
            body = response.json()
            message = body.get("error") if isinstance(body, dict) else None
            raise ProcessingError(
                None, str(message or response.text() or "processing failed"), media_id=media_id
            )
        if not response.ok:
            raise error_from_response(response)
        return self._media(response)

    def _media(self, response: HTTPResponse) -> MastodonMedia:
        try:
            return media_from_json(response.json())
        except ValueError as exc:
            raise malformed_answer(response, "unexpected answer without a media id") from exc
