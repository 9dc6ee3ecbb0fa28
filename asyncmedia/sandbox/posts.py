"""The posts the sandbox's services received, in one list shared by every service.

Each service that publishes (X, Mastodon, Bluesky) appends a :class:`PostRecord` to
:attr:`Sandbox.posts <asyncmedia.sandbox.Sandbox.posts>` when it accepted a post, so a test
can check what was published without knowing which service it went to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PostRecord"]


@dataclass
class PostRecord:
    """One accepted post: ``service`` (``"x"``, ``"mastodon"``, ``"bluesky"``), its ``text``,
    ``media_ids`` (media ids, or blob CIDs for Bluesky) and ``alt_texts`` in the order posted
    (``None`` where none was given), and ``raw``: the post as the service received it (the
    JSON body, form fields or AT Protocol record)."""

    service: str
    text: str
    media_ids: tuple[str, ...] = ()
    alt_texts: tuple[str | None, ...] = ()
    raw: Any = field(default=None, repr=False)
