"""Result types returned by uploads.  Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Media"]


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
