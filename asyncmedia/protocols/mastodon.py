"""Mastodon media attachments and statuses, sans-I/O (PROTOCOLS.md §10, §13.3).

Builds ``POST /api/v2/media`` (multipart ``file`` with its real MIME type, ``description``,
``focus``), ``GET /api/v1/media/{id}`` (polling) and ``PUT /api/v1/media/{id}`` (update,
and the thumbnail), and reads the answers: the status code decides (200 ready, 202 accepted
and processing, 206 still processing, 422 refused or failed), the body only describes.

Also the instance document (``GET /api/v2/instance``, ``/api/v1/instance`` on older servers;
public, sent unsigned) read into :class:`InstanceLimits`, the status request
(``POST /api/v1/statuses``: form fields, ids as repeated ``media_ids[]``, an
``Idempotency-Key`` header) and :func:`status_length`, the text length as Mastodon counts it.

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

import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from yarl import URL

from ..errors import APIError, ProcessingError, RejectedMediaSize, RejectedMediaType
from ..media import MastodonMedia
from .graphemes import grapheme_count
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
    "VISIBILITIES",
    "InstanceLimits",
    "MastodonProtocol",
    "check_description",
    "format_focus",
    "grapheme_count",
    "limits_from_instance",
    "media_from_json",
    "poll_delays",
    "reply_status_id",
    "status_length",
]

log = logging.getLogger("asyncmedia")

#: The ``description_limit`` assumed when the instance does not say (Mastodon before 4.0 and
#: its ``/api/v1/instance``; 4.6.4's ``/api/v2/instance`` says 10 000).
DESCRIPTION_LIMIT = 1500

#: The values ``visibility`` takes on ``POST /api/v1/statuses``.
VISIBILITIES = ("public", "unlisted", "private", "direct")

_TYPE_WORDS = ("content type", "file type", "mime type", "not supported", "unsupported")
_SIZE_WORDS = ("size", "too large", "too big", "must be less than")


def check_description(description: str | None, limit: int = DESCRIPTION_LIMIT) -> None:
    """Reject a description (alt text) over ``limit`` characters before any request."""
    if description is not None and len(description) > limit:
        raise ValueError(
            f"description is {len(description)} characters; the limit is {limit}: shorten it"
        )


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


@dataclass(frozen=True)
class InstanceLimits:
    """What an instance accepts, from its ``configuration`` (PROTOCOLS.md §10, §13.3).

    ``statuses``: ``max_characters``, ``max_media_attachments``,
    ``characters_reserved_per_url`` (what one URL counts in the text).
    ``media_attachments``: ``description_limit``, ``supported_mime_types`` (``None`` when the
    instance did not say: nothing is refused client-side then), ``image_size_limit`` and
    ``video_size_limit`` in bytes (video also covers audio, as Mastodon does),
    ``image_matrix_limit`` / ``video_matrix_limit`` (pixels), ``video_frame_rate_limit``;
    ``None`` for what the instance did not say.  ``source`` is where the values came from:
    ``"v2"``, ``"v1"`` (``/api/v1/instance``) or ``"defaults"``; ``version`` the instance's
    ``version`` string when given.

    >>> InstanceLimits().max_characters, InstanceLimits().description_limit
    (500, 1500)
    """

    max_characters: int = 500
    max_media_attachments: int = 4
    characters_reserved_per_url: int = 23
    description_limit: int = DESCRIPTION_LIMIT
    supported_mime_types: frozenset[str] | None = None
    image_size_limit: int | None = None
    video_size_limit: int | None = None
    image_matrix_limit: int | None = None
    video_matrix_limit: int | None = None
    video_frame_rate_limit: int | None = None
    source: str = "defaults"
    version: str | None = None

    def accepts_type(self, media_type: str) -> bool:
        """Whether ``media_type`` is allowed (always True when the instance did not list)."""
        types = self.supported_mime_types
        return types is None or media_type.split(";")[0].strip().lower() in types

    def size_limit(self, media_type: str) -> int | None:
        """The byte limit for ``media_type``: video and audio use ``video_size_limit``."""
        if media_type.startswith(("video/", "audio/")):
            return self.video_size_limit
        return self.image_size_limit

    def override(self, **values: Any) -> InstanceLimits:
        """A copy with the values that are not ``None`` replaced (explicit arguments win)."""
        given: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
        return replace(self, **given)


_INT_FIELDS = {
    "statuses": ("max_characters", "max_media_attachments", "characters_reserved_per_url"),
    "media_attachments": (
        "description_limit",
        "image_size_limit",
        "video_size_limit",
        "image_matrix_limit",
        "video_matrix_limit",
        "video_frame_rate_limit",
    ),
}


def limits_from_instance(document: Any, source: str = "v2") -> InstanceLimits:
    """:class:`InstanceLimits` from an instance document (the JSON of ``/api/v2/instance``
    or ``/api/v1/instance``; both keep them under ``configuration``).

    Never raises: what is missing or malformed keeps its default, with a debug log line.

    >>> doc = {"configuration": {"statuses": {"max_characters": 5000}}}
    >>> limits_from_instance(doc).max_characters
    5000
    """
    defaults = InstanceLimits()
    if not isinstance(document, Mapping):
        log.debug("mastodon instance document (%s) is not a JSON object; using defaults", source)
        return defaults
    config = document.get("configuration")
    if not isinstance(config, Mapping):
        log.debug("mastodon instance document (%s) has no configuration; using defaults", source)
        return InstanceLimits(source=source, version=_text(document.get("version")))
    values: dict[str, Any] = {}
    for section, names in _INT_FIELDS.items():
        block = config.get(section)
        if not isinstance(block, Mapping):
            log.debug("mastodon instance (%s): no configuration.%s; defaults", source, section)
            continue
        for name in names:
            if name not in block:
                continue
            value = block[name]
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                values[name] = value
            else:
                log.debug(
                    "mastodon instance (%s): configuration.%s.%s=%r is not a positive integer; "
                    "using the default",
                    source,
                    section,
                    name,
                    value,
                )
    media = config.get("media_attachments")
    types = media.get("supported_mime_types") if isinstance(media, Mapping) else None
    if isinstance(types, list) and types and all(isinstance(t, str) for t in types):
        values["supported_mime_types"] = frozenset(t.strip().lower() for t in types)
    elif types is not None:
        log.debug("mastodon instance (%s): supported_mime_types=%r ignored", source, types)
    known = {f.name for f in fields(InstanceLimits)}
    assert set(values) <= known
    return InstanceLimits(**values, source=source, version=_text(document.get("version")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# -- text length as Mastodon counts it ----------------------------------------------------------

# twitter-text's URL extraction with ``extract_url_without_protocol: false``: only http(s) URLs,
# not glued to a preceding word character, ending before trailing punctuation.
_URL_RE = re.compile(r"(?<![\w@$#/.\-])https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\"»”’"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# ``@user@domain`` counts as ``@user`` (Mastodon's StatusLengthValidator).
_MENTION_RE = re.compile(r"(?<![=/\w])@(\w+(?:[.\-]+\w+)*)@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)


def _url_end(url: str) -> str:
    """Trim trailing punctuation and unbalanced closing brackets, as twitter-text does."""
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last not in _URL_TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url




def status_length(
    text: str, spoiler_text: str | None = None, *, characters_reserved_per_url: int = 23
) -> int:
    """The length Mastodon checks against ``max_characters``: the spoiler text plus the text,
    each http(s) URL counting ``characters_reserved_per_url``, ``@user@domain`` counting as
    ``@user``, in extended grapheme clusters (:func:`grapheme_count`).

    >>> status_length("see https://example.com/a/very/long/path/indeed.html")
    27
    >>> status_length("hi @alice@mastodon.example")
    9
    """

    def countable(value: str) -> str:
        def url(match: re.Match[str]) -> str:
            found = _url_end(match.group(0))
            return "x" * characters_reserved_per_url + match.group(0)[len(found) :]

        value = _URL_RE.sub(url, value)
        return _MENTION_RE.sub(lambda m: "@" + m.group(1), value)

    return grapheme_count((spoiler_text or "") + countable(text))


def reply_status_id(value: Any) -> str:
    """The status id ``value`` names: a Mastodon :class:`~asyncmedia.Post` (anything with
    ``.id``) or an id (``str``/``int``); ``ValueError`` for anything else."""
    service = getattr(value, "service", None)
    if service is not None and service != "mastodon":
        raise ValueError(f"reply_to is a {service} post; a Mastodon status can only reply to one")
    try:
        return opaque_id(getattr(value, "id", value))
    except ValueError:
        raise ValueError(
            f"reply_to must be a Post or a Mastodon status id, got {value!r}"
        ) from None


class MastodonProtocol:
    """Request builders and response readers for one Mastodon instance.

    >>> str(MastodonProtocol("https://mastodon.example").get("42").url)
    'https://mastodon.example/api/v1/media/42'
    """

    def __init__(self, instance_url: URL | str) -> None:
        self.instance_url = _as_base(instance_url)
        self.upload_url = self.instance_url.join(URL("api/v2/media"))
        self.statuses_url = self.instance_url.join(URL("api/v1/statuses"))

    def media_url(self, media_id: str) -> URL:
        try:
            opaque_id(media_id)
        except ValueError:
            raise ValueError(f"media id must be alphanumeric, got {media_id!r}") from None
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

    def instance(self, version: int = 2) -> HTTPRequest:
        """``GET /api/v{version}/instance``: public, so sent without the token (unsigned)."""
        if version not in (1, 2):
            raise ValueError(f"instance API version must be 1 or 2, got {version!r}")
        url = self.instance_url.join(URL(f"api/v{version}/instance"))
        return HTTPRequest("GET", url, retry_safe=True, signed=False, max_retries=1)

    def status(
        self,
        text: str,
        media_ids: Iterable[str] = (),
        *,
        idempotency_key: str,
        in_reply_to_id: Any = None,
        sensitive: bool = False,
        spoiler_text: str | None = None,
        visibility: str | None = None,
        language: str | None = None,
    ) -> HTTPRequest:
        """``POST /api/v1/statuses`` (urlencoded, as Mastodon.py sends it).

        The ids go as repeated ``media_ids[]`` fields (a bare ``media_ids`` is silently
        dropped by the server); only the options given are sent, so the account's defaults
        (visibility, sensitivity, language) apply otherwise.  ``Idempotency-Key`` makes the
        request safe to repeat: the instance answers a repeated key with the first status.
        """
        if not idempotency_key:
            raise ValueError("a status request needs an Idempotency-Key")
        if visibility is not None and visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        form: list[tuple[str, str]] = [("status", text)]
        form += [("media_ids[]", str(media_id)) for media_id in media_ids]
        if in_reply_to_id is not None:
            form.append(("in_reply_to_id", reply_status_id(in_reply_to_id)))
        if sensitive:
            form.append(("sensitive", "true"))
        if spoiler_text:
            form.append(("spoiler_text", spoiler_text))
        if visibility is not None:
            form.append(("visibility", visibility))
        if language is not None:
            form.append(("language", language))
        return HTTPRequest(
            "POST",
            self.statuses_url,
            form=tuple(form),
            headers=(("Idempotency-Key", idempotency_key),),
            retry_safe=True,
        )

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

    def read_instance(self, response: HTTPResponse, version: int = 2) -> InstanceLimits | None:
        """The limits from an instance answer; ``None`` for a 404 (try the older version).

        Any other failure (an error status, a body that is not an instance document) gives
        the defaults with a debug log line, never an error: the limits only sharpen
        client-side checks, the instance still judges.
        """
        if response.status == 404:
            return None
        if not response.ok:
            log.debug(
                "mastodon instance document v%d answered %d; using defaults",
                version,
                response.status,
            )
            return InstanceLimits()
        return limits_from_instance(response.json(), f"v{version}")

    def read_status(self, response: HTTPResponse) -> tuple[str, str | None, dict[str, Any]]:
        """``(id, url, status JSON)`` from the answer to ``POST /api/v1/statuses``.

        422 (unknown or unprocessed media, text too long…) and the rest are the typed error
        with the server's message.
        """
        if not response.ok:
            raise error_from_response(response)
        body = response.json()
        try:
            status_id = opaque_id(body.get("id") if isinstance(body, dict) else None)
        except ValueError:
            raise malformed_answer(response, "status answer without an id") from None
        url = body.get("url") if isinstance(body.get("url"), str) else None
        return status_id, url, body

    def _media(self, response: HTTPResponse) -> MastodonMedia:
        try:
            return media_from_json(response.json())
        except ValueError as exc:
            raise malformed_answer(response, "unexpected answer without a media id") from exc
