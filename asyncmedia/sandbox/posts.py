"""The sandbox's shared log of posts: every status, Tweet or record a service accepted.

Each posting route appends one :class:`PostRecord` to :attr:`Sandbox.posts
<asyncmedia.sandbox.Sandbox.posts>` when it creates a post (never for a refused one), so a
test can check what was published, on which service, with which media and alt texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PostRecord"]


@dataclass
class PostRecord:
    """One post as the sandbox received it.

    ``service`` is ``"x"``, ``"mastodon"`` or ``"bluesky"``; ``text`` the text as received;
    ``media_ids`` the media ids (or blob refs) it referenced, in order; ``alt_texts`` the alt
    text each of them carried (``None`` for none), in the same order; ``raw`` the request as
    the service decoded it (a JSON body, or the form fields).
    """

    service: str
    text: str
    media_ids: list[str]
    alt_texts: list[str | None]
    raw: Any
