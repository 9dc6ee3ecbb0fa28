"""Rules shared by the Twitter/X media endpoints (v1.1 and v2), as pure functions.

Which uploader to use, which ``media_category`` to send, per-type size limits, chunk-size
clamping and the reading of ``processing_info`` (PROTOCOLS.md §1.1, §1.2, §2.2, §2.4, §2.5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from ..config import MAX_CHUNK_SIZE
from ..errors import MediaTooLarge, ProcessingError, UnsupportedMediaType
from ..media import Media
from .http import HTTPRequest, HTTPResponse

__all__ = [
    "ALT_TEXT_LIMIT",
    "MAX_POST_IMAGES",
    "SIMPLE_UPLOAD_LIMIT",
    "ChunkedUploadProtocol",
    "after_processing",
    "check_alt_text",
    "check_post_media",
    "check_size",
    "choose_chunked",
    "default_category",
    "effective_chunk_size",
    "processing_delay",
    "size_limit",
]

SIMPLE_UPLOAD_LIMIT = 5 * 1024 * 1024  # 5 242 880: over this, chunked is required
IMAGE_LIMIT = 5_242_880
GIF_LIMIT = 15_728_640
VIDEO_LIMIT = 536_870_912
MAX_SEGMENTS = 1000
ALT_TEXT_LIMIT = 1000
#: A Tweet carries up to 4 images, or 1 GIF, or 1 video, never mixed (PROTOCOLS.md §1.1).
MAX_POST_IMAGES = 4
_VIDEO_CATEGORIES = frozenset({"tweet_video", "amplify_video", "dm_video"})
_GIF_CATEGORIES = frozenset({"tweet_gif", "dm_gif"})


def choose_chunked(media_type: str, size: int | None, chunked: bool | None) -> bool:
    """Decide between chunked and simple upload (PROTOCOLS.md §1.2).

    Chunked for video, for anything over 5 MiB and when the size is unknown; simple otherwise.
    ``chunked=False`` for a video raises :class:`UnsupportedMediaType` before any request.
    """
    if chunked is False:
        if media_type.startswith("video/"):
            raise UnsupportedMediaType(
                f"{media_type} can only be sent with the chunked uploader; "
                "drop chunked=False (or pass chunked=True)"
            )
        return False
    if chunked:
        return True
    return media_type.startswith("video/") or size is None or size > SIMPLE_UPLOAD_LIMIT


def default_category(media_type: str) -> str:
    """The ``media_category`` a chunked upload sends when the caller gave none."""
    if media_type.startswith("video/"):
        return "tweet_video"
    if media_type == "image/gif":
        return "tweet_gif"
    return "tweet_image"


def size_limit(media_type: str, category: str | None, *, chunked: bool) -> int:
    """The largest size the service accepts for this type, category and upload path."""
    if media_type.startswith("video/"):
        return VIDEO_LIMIT if category in _VIDEO_CATEGORIES else GIF_LIMIT
    if media_type == "image/gif":
        return GIF_LIMIT if chunked and category in _GIF_CATEGORIES else IMAGE_LIMIT
    if media_type.startswith("image/"):
        return IMAGE_LIMIT
    if category == "subtitles" or media_type in ("text/srt", "text/vtt"):
        return IMAGE_LIMIT
    raise UnsupportedMediaType(
        f"media type {media_type!r} is not accepted; send an image, GIF or video "
        "(or pass media_type= if it was guessed wrong)"
    )


def check_size(media_type: str, category: str | None, size: int, *, chunked: bool) -> None:
    """Raise :class:`MediaTooLarge` before any byte is sent when ``size`` is over the limit."""
    limit = size_limit(media_type, category, chunked=chunked)
    if size > limit:
        hint = ""
        if media_type == "image/gif" and limit == IMAGE_LIMIT:
            hint = "; animated GIFs up to 15 MB need chunked=True with media_category='tweet_gif'"
        raise MediaTooLarge(
            f"{media_type} of {size} bytes is over the service limit of {limit} bytes{hint}",
            size=size,
            limit=limit,
        )


def effective_chunk_size(requested: int, total: int) -> int:
    """Clamp the chunk size so the segment count stays within 1000 (PROTOCOLS.md §2.2)."""
    if requested > MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be at most 5 MiB ({MAX_CHUNK_SIZE} bytes)")
    smallest = math.ceil(total / MAX_SEGMENTS)
    return max(requested, smallest)


def check_alt_text(alt_text: str | None, limit: int = ALT_TEXT_LIMIT) -> None:
    """Reject alt text over the limit before the upload starts."""
    if alt_text is not None and len(alt_text) > limit:
        raise ValueError(
            f"alt_text is {len(alt_text)} characters; the limit is {limit}: shorten it"
        )


def check_post_media(media_types: Sequence[str | None]) -> None:
    """Raise ``ValueError`` unless ``media_types`` fit in one Tweet: up to 4 images, or one
    GIF, or one video, not mixed.  Every ``image/gif`` counts as a GIF (X treats it as one
    when it is animated, and a static GIF is better sent as PNG).  ``None`` is media whose
    type is unknown (an upload result without ``media_type``): it counts as an image.
    """
    kinds = [
        "video" if (kind or "").startswith("video/") else "gif" if kind == "image/gif" else "image"
        for kind in media_types
    ]
    single = [kind for kind in kinds if kind != "image"]
    if single and len(kinds) > 1:
        what = "a video" if single[0] == "video" else "a GIF"
        raise ValueError(
            f"a Tweet takes {what} alone: got {len(kinds)} media items "
            f"({', '.join(kinds)}); post {what} on its own, or up to "
            f"{MAX_POST_IMAGES} images without it"
        )
    if len(kinds) > MAX_POST_IMAGES:
        raise ValueError(
            f"a Tweet takes at most {MAX_POST_IMAGES} images, got {len(kinds)}; "
            "split them over several Tweets (e.g. a reply thread)"
        )


def after_processing(finalized: Media, status: Media) -> Media:
    """The media as returned after STATUS polling: what FINALIZE (or INIT) said —
    ``media_key``, ``size``, ``expires_after_secs``, ``media_type`` — with the final
    ``processing_info`` and ``raw`` of the last STATUS answer.

    The documented STATUS answers leave out ``media_key`` and ``size``; a value FINALIZE
    lacked is taken from STATUS.
    """
    return replace(
        status,
        media_key=finalized.media_key or status.media_key,
        size=finalized.size if finalized.size is not None else status.size,
        expires_after_secs=(
            finalized.expires_after_secs
            if finalized.expires_after_secs is not None
            else status.expires_after_secs
        ),
        media_type=finalized.media_type or status.media_type,
    )


def processing_delay(
    info: dict[str, Any] | None, *, media_id: str, max_interval: float
) -> float | None:
    """Read ``processing_info``: seconds to wait before the next STATUS, or ``None`` when done.

    ``failed`` raises :class:`ProcessingError` with the service's error name and message.
    """
    if not info or not isinstance(info, dict):
        return None  # no (usable) processing_info: nothing to wait for
    state = info.get("state")
    if state == "succeeded":
        return None
    if state == "failed":
        error = info.get("error")
        if not isinstance(error, dict):  # {"error": "x"}, a list, nothing…
            error = {"message": error} if isinstance(error, str) and error else {}
        name = error.get("name")
        code = error.get("code")
        raise ProcessingError(
            name if isinstance(name, str) else None,
            str(error.get("message") or "processing failed"),
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            media_id=media_id,
        )
    after = info.get("check_after_secs")
    delay = 1.0
    if isinstance(after, int | float) and not isinstance(after, bool) and 0 < after < 1e9:
        delay = float(after)
    return min(delay, max_interval)


class ChunkedUploadProtocol(Protocol):
    """What the chunked uploader needs from a service's sans-I/O protocol module."""

    def init(
        self,
        *,
        total_bytes: int,
        media_type: str,
        media_category: str | None,
        additional_owners: tuple[str, ...],
    ) -> HTTPRequest: ...

    def append(self, media_id: str, segment_index: int, filename: str) -> HTTPRequest: ...

    def finalize(self, media_id: str) -> HTTPRequest: ...

    def status(self, media_id: str) -> HTTPRequest: ...

    def simple_upload(
        self,
        *,
        filename: str,
        media_type: str,
        media_category: str | None,
        additional_owners: tuple[str, ...],
    ) -> HTTPRequest: ...

    def metadata(self, media_id: str, alt_text: str) -> HTTPRequest: ...

    def read_media(self, response: HTTPResponse) -> Media:
        """Return the media object of a 2xx answer, or raise the typed error."""
        ...

    def check(self, response: HTTPResponse) -> None:
        """Raise the typed error for a non-2xx answer; accept any 2xx, empty or not."""
        ...
