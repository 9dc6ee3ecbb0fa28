"""Result types returned by uploads (Twitter/X, Mastodon, Bluesky).  Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Blob", "MastodonMedia", "Media"]


@dataclass(frozen=True)
class Media:
    """An uploaded media object, ready to attach to a post.

    ``media_id`` is ``int(media_id_string)``: ids exceed 2**53, so always keep the string when
    passing ids to JavaScript or JSON tools.  ``processing_info`` is the *final* processing state
    (``None`` when the service did no asynchronous processing) and ``raw`` is the service's last
    JSON object (STATUS, FINALIZE or the simple upload answer).
    """

    media_id: int
    media_id_string: str
    size: int | None = None
    expires_after_secs: int | None = None
    processing_info: dict[str, Any] | None = None
    media_key: str | None = None
    media_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return self.media_id_string


@dataclass(frozen=True)
class MastodonMedia:
    """A Mastodon media attachment, ready to attach to a status (``media_ids[]``).

    ``id`` is a string (Mastodon ids are strings on the wire); ``type`` is ``image``,
    ``gifv``, ``video``, ``audio`` or ``unknown``; ``url`` is set once processing finished;
    ``meta`` holds sizes and ``focus``; ``raw`` is the last MediaAttachment JSON received.
    """

    id: str
    type: str
    url: str | None
    preview_url: str | None
    description: str | None
    meta: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Blob:
    """A Bluesky (AT Protocol) blob reference, to embed in a record such as a post's images.

    ``ref`` is the CID string (the ``$link``), ``mime_type`` and ``size`` as the PDS reported
    them; ``raw`` is the ``blob`` object received.  :meth:`as_dict` gives the JSON form a
    record embeds::

        {"$type": "blob", "ref": {"$link": "bafkrei…"}, "mimeType": "image/png", "size": 1234}
    """

    ref: str
    mime_type: str
    size: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The blob as a record embeds it (AT Protocol ``blob`` type)."""
        return {
            "$type": "blob",
            "ref": {"$link": self.ref},
            "mimeType": self.mime_type,
            "size": self.size,
        }

    def __str__(self) -> str:
        return self.ref
