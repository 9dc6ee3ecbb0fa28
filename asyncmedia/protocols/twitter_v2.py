"""X API v2 media upload, sans-I/O (PROTOCOLS.md §9).

Builds the requests of the one-shot upload (``POST media/upload``), the chunked
``initialize`` / ``{id}/append`` / ``{id}/finalize`` calls, STATUS polling, alt text
(``POST media/metadata``) and the Tweet (``POST tweets``, PROTOCOLS.md §13.1), and reads
the ``{"data": {...}}`` answers into :class:`Media`.
It implements :class:`~asyncmedia.protocols.media_rules.ChunkedUploadProtocol`, so the
uploaders of :mod:`asyncmedia.uploaders` drive it exactly like
:class:`~asyncmedia.protocols.twitter_v1.TwitterV1Protocol`.

Signing: JSON bodies (initialize, finalize, metadata) and multipart bodies (append, one-shot)
never enter an OAuth 1.0a signature; the STATUS query does.  With a bearer token nothing is
signed at all.

Every wire detail PROTOCOLS.md marks [UNCERTAIN] or only [OBS] is isolated here and tagged
``[UNCERTAIN]`` in a comment, so a change on X's side is a change in this one module.
This module does no I/O.
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from ..media import Media
from .http import (
    FilePart,
    HTTPRequest,
    HTTPResponse,
    error_from_response,
    malformed_answer,
    numeric_id,
)
from .twitter_v1 import POST_RETRY_STATUSES, _as_base

__all__ = ["DEFAULT_V2_URL", "SIMPLE_CATEGORIES", "TwitterV2Protocol", "media_from_v2_json"]

#: Root of the v2 API; ``media/upload…`` and ``media/metadata`` are joined onto it.
DEFAULT_V2_URL = "https://api.x.com/2/"

#: ``media_category`` values the one-shot ``POST media/upload`` accepts (OpenAPI spec).  It is
#: *required* there, unlike v1.1.  GIFs and video must go through the chunked path.
SIMPLE_CATEGORIES = frozenset({"tweet_image", "dm_image", "subtitles"})

#: INIT ``media_type`` values the spec enumerates; the one-shot call takes only the image and
#: subtitle ones.
_SIMPLE_MEDIA_TYPE_PREFIXES = ("image/", "text/")


def media_from_v2_json(obj: Any, *, media_type: str | None = None) -> Media:
    """Build a :class:`Media` from a v2 answer ``{"data": {"id": …, "media_key": …, …}}``.

    ``media_id_string`` is ``data.id``; ``raw`` is the ``data`` object (so ``raw`` has the same
    shape as a v1.1 answer's: ``processing_info``, ``size``, ``expires_after_secs`` at the top).
    """
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), (str, int)):
        raise ValueError("not a v2 media object")
    id_string = numeric_id(data["id"])
    size = data.get("size")
    expires = data.get("expires_after_secs")
    info = data.get("processing_info")
    key = data.get("media_key")
    return Media(
        media_id=int(id_string),
        media_id_string=id_string,
        size=size if isinstance(size, int) else None,
        expires_after_secs=expires if isinstance(expires, int) else None,
        processing_info=info if isinstance(info, dict) else None,
        media_key=key if isinstance(key, str) else None,
        media_type=media_type,
        raw=data,
    )


class TwitterV2Protocol:
    """Request builders and response readers for the X API v2 media endpoints.

    >>> proto = TwitterV2Protocol("https://api.x.com/2/")
    >>> str(proto.append("1880028106020515840", 0, "clip.mp4").url)
    'https://api.x.com/2/media/upload/1880028106020515840/append'
    """

    def __init__(self, base_url: URL | str = DEFAULT_V2_URL) -> None:
        self.base_url = _as_base(base_url)
        self.upload_url = self.base_url.join(URL("media/upload"))
        self.metadata_url = self.base_url.join(URL("media/metadata"))

    def _media_path(self, media_id: str, action: str) -> URL:
        # Ids are digit strings; anything else would let a crafted id change the path.
        try:
            numeric_id(media_id)
        except ValueError:
            raise ValueError(f"media id must be a digit string, got {media_id!r}") from None
        return self.base_url.join(URL(f"media/upload/{media_id}/{action}"))

    # -- requests ---------------------------------------------------------------------------

    def simple_upload(
        self,
        *,
        filename: str,
        media_type: str,
        media_category: str | None,
        additional_owners: tuple[str, ...],
    ) -> HTTPRequest:
        """One-shot multipart upload; ``media_category`` defaults to ``tweet_image``.

        [UNCERTAIN] the spec requires ``media_category`` and lists only ``tweet_image``,
        ``dm_image`` and ``subtitles``; a static GIF is sent as ``tweet_image``.  ``media_type``
        is sent for image and subtitle types only, as the spec allows.
        """
        category = media_category or (
            "subtitles" if media_type.startswith("text/") else "tweet_image"
        )
        fields: list[tuple[str, str]] = [("media_category", category)]
        if media_type.startswith(_SIMPLE_MEDIA_TYPE_PREFIXES):
            fields.append(("media_type", media_type))
        if additional_owners:
            # [UNCERTAIN] the spec types additional_owners as an array; in a multipart body
            # it is sent comma-separated, as v1.1 did.
            fields.append(("additional_owners", ",".join(additional_owners)))
        return HTTPRequest(
            "POST",
            self.upload_url,
            fields=tuple(fields),
            file=FilePart("media", filename, media_type),
            retry_safe=True,
        )

    def init(
        self,
        *,
        total_bytes: int,
        media_type: str,
        media_category: str | None,
        additional_owners: tuple[str, ...],
    ) -> HTTPRequest:
        """``POST media/upload/initialize`` with a JSON body (never signed)."""
        body: dict[str, Any] = {"media_type": media_type, "total_bytes": total_bytes}
        if media_category:
            body["media_category"] = media_category
        if additional_owners:
            body["additional_owners"] = list(additional_owners)
        # Retrying is safe for the upload: a lost first answer leaves an unused id behind,
        # which the service expires (as for v1.1 INIT).
        return HTTPRequest(
            "POST", self.base_url.join(URL("media/upload/initialize")), json=body, retry_safe=True
        )

    def append(self, media_id: str, segment_index: int, filename: str) -> HTTPRequest:
        """``POST media/upload/{id}/append``: multipart ``segment_index`` and ``media``.

        The ``media`` part gets a file name and ``application/octet-stream`` (PROTOCOLS.md §9).
        """
        return HTTPRequest(
            "POST",
            self._media_path(media_id, "append"),
            fields=(("segment_index", str(segment_index)),),
            file=FilePart("media", filename),
            retry_safe=True,
        )

    def finalize(self, media_id: str) -> HTTPRequest:
        """``POST media/upload/{id}/finalize`` with ``{}`` as a JSON body.

        [UNCERTAIN] the spec has no body; a client reported 400 "Request body must be a JSON
        object" until it sent ``{}`` as ``application/json`` [OBS], so ``{}`` is always sent.
        """
        return HTTPRequest("POST", self._media_path(media_id, "finalize"), json={}, retry_safe=True)

    def status(self, media_id: str) -> HTTPRequest:
        """``GET media/upload?media_id=…&command=STATUS`` (the query is signed under OAuth 1.0a).

        [UNCERTAIN] ``command=STATUS`` is optional in the spec; it is sent because older
        deployments of the same path required it.
        """
        url = self.upload_url.with_query({"media_id": media_id, "command": "STATUS"})
        return HTTPRequest("GET", url, retry_safe=True)

    def metadata(self, media_id: str, alt_text: str) -> HTTPRequest:
        """``POST media/metadata`` with the v2 shape (the v1.1 shape is reported to give 500)."""
        return HTTPRequest(
            "POST",
            self.metadata_url,
            json={"id": media_id, "metadata": {"alt_text": {"text": alt_text}}},
            retry_safe=True,
        )

    def create_post(
        self, text: str, media_ids: tuple[str, ...], reply_to: str | None
    ) -> HTTPRequest:
        """``POST tweets`` with a JSON body (never signed): ``text`` (left out when empty and
        media is given), ``media.media_ids`` as strings, ``reply.in_reply_to_tweet_id``.

        Not retry-safe: it is repeated only when the service cannot have acted (no
        connection, 429, 503 over capacity).
        """
        body: dict[str, Any] = {}
        if text or not media_ids:
            body["text"] = text
        if media_ids:
            body["media"] = {"media_ids": list(media_ids)}
        if reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        return HTTPRequest(
            "POST",
            self.base_url.join(URL("tweets")),
            json=body,
            retry_statuses=POST_RETRY_STATUSES,
        )

    def read_post(self, response: HTTPResponse) -> tuple[str, dict[str, Any]]:
        """The Tweet id and the whole answer of a 2xx ``{"data": {"id": …}}``, or the typed
        error (problem objects, and a 2xx carrying only ``errors``)."""
        self.check(response)
        obj = response.json()
        data = obj.get("data") if isinstance(obj, dict) else None
        if isinstance(data, dict):
            try:
                return numeric_id(data.get("id")), obj
            except ValueError:
                pass  # a malformed id: below
        if isinstance(obj, dict) and obj.get("errors"):
            raise error_from_response(
                HTTPResponse(400, "Bad Request", response.headers, response.body), obj
            )
        raise malformed_answer(response, "unexpected answer without data.id")

    # -- responses --------------------------------------------------------------------------

    def check(self, response: HTTPResponse) -> None:
        """Raise the typed error for a non-2xx answer.

        [UNCERTAIN] the spec answers append with ``{"data": {"expires_at": …}}``; any 2xx,
        empty or not, is accepted, and the body is never required to be JSON.
        """
        if not response.ok:
            raise error_from_response(response)

    def read_media(self, response: HTTPResponse) -> Media:
        """The :class:`Media` of a 2xx ``{"data": …}`` answer, or the typed error.

        A 2xx carrying ``errors`` but no ``data`` (v2 reports some failures that way) is an
        :class:`~asyncmedia.errors.APIError` too.
        """
        self.check(response)
        obj = response.json()
        try:
            return media_from_v2_json(obj)
        except (ValueError, KeyError) as exc:
            if isinstance(obj, dict) and obj.get("errors"):
                raise error_from_response(
                    HTTPResponse(400, "Bad Request", response.headers, response.body), obj
                ) from exc
            raise malformed_answer(response, "unexpected answer without data.id") from exc
