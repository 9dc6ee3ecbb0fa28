"""Twitter/X API v1.1 media upload, sans-I/O (PROTOCOLS.md §1–§5).

Builds the requests of the simple upload, the chunked INIT/APPEND/FINALIZE/STATUS commands,
alt text (``media/metadata/create.json``), the legacy ``statuses/update_with_media.json`` and
the Tweet itself (``statuses/update.json``, PROTOCOLS.md §13.2), and deciphers the answers.
What is signed follows §5.3: INIT and FINALIZE are urlencoded (signed), APPEND and the simple
upload are multipart (never signed), STATUS puts its parameters in the query (signed),
metadata is JSON (never signed), and ``statuses/update.json`` is urlencoded, so ``status``,
``media_ids`` and ``in_reply_to_status_id`` *are* signed — the opposite of multipart
``update_with_media``.
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

__all__ = ["POST_RETRY_STATUSES", "TwitterV1Protocol", "media_from_json"]

UPLOAD_PATH = "media/upload.json"
METADATA_PATH = "media/metadata/create.json"
UPDATE_WITH_MEDIA_PATH = "statuses/update_with_media.json"
UPDATE_PATH = "statuses/update.json"
#: Statuses with which X refuses a Tweet before acting on it ("over capacity", code 130): the
#: only answers after which a Tweet request is repeated (it is not idempotent otherwise).
POST_RETRY_STATUSES = frozenset({503})


def _join(base: URL, path: str) -> URL:
    return base.join(URL(path))


def media_from_json(obj: Any, *, media_type: str | None = None) -> Media:
    """Build a :class:`Media` from a v1.1 media object (ids kept as strings)."""
    if not isinstance(obj, dict) or not ("media_id_string" in obj or "media_id" in obj):
        raise ValueError("not a media object")
    id_string = numeric_id(obj.get("media_id_string") or obj["media_id"])
    size = obj.get("size")
    expires = obj.get("expires_after_secs")
    info = obj.get("processing_info")
    return Media(
        media_id=int(id_string),
        media_id_string=id_string,
        size=size if isinstance(size, int) else None,
        expires_after_secs=expires if isinstance(expires, int) else None,
        processing_info=info if isinstance(info, dict) else None,
        media_key=obj.get("media_key"),
        media_type=media_type,
        raw=obj,
    )


class TwitterV1Protocol:
    """Request builders and response readers for ``upload_url`` / ``api_url`` of API v1.1."""

    def __init__(self, upload_url: URL | str, api_url: URL | str) -> None:
        self.upload_url = _as_base(upload_url)
        self.api_url = _as_base(api_url)
        self.media_upload_url = _join(self.upload_url, UPLOAD_PATH)

    # -- requests ---------------------------------------------------------------------------

    def simple_upload(
        self,
        *,
        filename: str,
        media_type: str,
        media_category: str | None,
        additional_owners: tuple[str, ...],
    ) -> HTTPRequest:
        fields: list[tuple[str, str]] = []
        if media_category:
            fields.append(("media_category", media_category))
        if additional_owners:
            fields.append(("additional_owners", ",".join(additional_owners)))
        return HTTPRequest(
            "POST",
            self.media_upload_url,
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
        form = [("command", "INIT"), ("total_bytes", str(total_bytes)), ("media_type", media_type)]
        if media_category:
            form.append(("media_category", media_category))
        if additional_owners:
            form.append(("additional_owners", ",".join(additional_owners)))
        # Retrying INIT is safe for the upload: at worst the lost first answer leaves an unused
        # media id behind, which the service expires (expires_after_secs).
        return HTTPRequest("POST", self.media_upload_url, form=tuple(form), retry_safe=True)

    def append(self, media_id: str, segment_index: int, filename: str) -> HTTPRequest:
        return HTTPRequest(
            "POST",
            self.media_upload_url,
            fields=(
                ("command", "APPEND"),
                ("media_id", media_id),
                ("segment_index", str(segment_index)),
            ),
            file=FilePart("media", filename),
            retry_safe=True,  # re-sending a segment with the same index overwrites it (§2.2)
        )

    def finalize(self, media_id: str) -> HTTPRequest:
        return HTTPRequest(
            "POST",
            self.media_upload_url,
            form=(("command", "FINALIZE"), ("media_id", media_id)),
            retry_safe=True,
        )

    def status(self, media_id: str) -> HTTPRequest:
        url = self.media_upload_url.with_query({"command": "STATUS", "media_id": media_id})
        return HTTPRequest("GET", url, retry_safe=True)

    def metadata(self, media_id: str, alt_text: str) -> HTTPRequest:
        return HTTPRequest(
            "POST",
            _join(self.upload_url, METADATA_PATH),
            json={"media_id": media_id, "alt_text": {"text": alt_text}},
            retry_safe=True,
        )

    def update_with_media(
        self, status: str, filename: str, media_type: str, params: dict[str, str]
    ) -> HTTPRequest:
        """Legacy one-call tweet with media: multipart ``status`` and ``media[]``, unsigned."""
        fields = [("status", status), *params.items()]
        return HTTPRequest(
            "POST",
            _join(self.api_url, UPDATE_WITH_MEDIA_PATH),
            fields=tuple(fields),
            file=FilePart("media[]", filename, media_type),
        )

    def create_post(
        self, text: str, media_ids: tuple[str, ...], reply_to: str | None
    ) -> HTTPRequest:
        """``POST statuses/update.json``: urlencoded (signed) ``status``, ``media_ids``
        (comma-separated) and, for a reply, ``in_reply_to_status_id`` with
        ``auto_populate_reply_metadata=true`` (without it X ignores the reply id unless the
        text mentions the parent's author).

        Not retry-safe: a second attempt after a lost answer could post twice.  It is repeated
        only when the service cannot have acted (no connection, 429, 503 over capacity).
        """
        form: list[tuple[str, str]] = [("status", text)]
        if media_ids:
            form.append(("media_ids", ",".join(media_ids)))
        if reply_to is not None:
            form.append(("in_reply_to_status_id", reply_to))
            form.append(("auto_populate_reply_metadata", "true"))
        return HTTPRequest(
            "POST",
            _join(self.api_url, UPDATE_PATH),
            form=tuple(form),
            retry_statuses=POST_RETRY_STATUSES,
        )

    def read_post(self, response: HTTPResponse) -> tuple[str, dict[str, Any]]:
        """The Tweet id (``id_str``) and the Tweet object of a 2xx answer, or the typed error."""
        tweet = self.read_json(response)
        if isinstance(tweet, dict):
            try:
                return numeric_id(tweet.get("id_str") or tweet.get("id")), tweet
            except ValueError:
                pass  # a malformed id: below
        raise malformed_answer(response, "unexpected answer without a Tweet id")

    # -- responses --------------------------------------------------------------------------

    def check(self, response: HTTPResponse) -> None:
        if not response.ok:
            raise error_from_response(response)

    def read_json(self, response: HTTPResponse) -> Any:
        self.check(response)
        return response.json()

    def read_media(self, response: HTTPResponse) -> Media:
        obj = self.read_json(response)
        try:
            return media_from_json(obj)
        except (ValueError, KeyError) as exc:
            raise malformed_answer(response, "unexpected answer without a media id") from exc


def _as_base(url: URL | str) -> URL:
    """Make sure a base URL ends with a slash so relative joins keep its last segment."""
    base = URL(str(url))
    if not base.is_absolute():
        raise ValueError(f"expected an absolute http(s) URL, got {str(url)!r}")
    if not base.path.endswith("/"):
        base = base.with_path(base.path + "/")
    return base
