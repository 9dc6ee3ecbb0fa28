"""What X checks when a Tweet is created, shared by the v1.1 and v2 emulators.

The sandbox judges the client on its own, so this counts text independently of the client's
:mod:`asyncmedia.protocols.tweet_text` (and more simply): NFC, every ``http(s)://`` URL
counts 23, an emoji (with its modifiers and ZWJ partners) counts 2, other code points 1 in
twitter-text v3's light ranges and 2 elsewhere; at most 280.  Media: up to 4 images, or one
GIF, or one video, not mixed.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_TWEET_LENGTH", "media_problem", "tweet_length"]

MAX_TWEET_LENGTH = 280
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def _emoji(cp: int) -> bool:
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF


def _joiner(cp: int) -> bool:
    # ZWJ, VS16, skin tones, tags, keycap: part of the emoji before them.
    return cp in (0x200D, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def tweet_length(text: str) -> int:
    """The length X gives ``text`` (see the module documentation)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    rest = text
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?'\"")
        total += 23
        rest = rest.replace(url, " ", 1)
        total -= 1  # the space put in its place
    previous_emoji = False
    joined = False
    for char in rest:
        cp = ord(char)
        if previous_emoji and _joiner(cp):
            joined = cp == 0x200D
            continue
        if _emoji(cp):
            if not (previous_emoji and joined):
                total += 2
            previous_emoji, joined = True, False
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:  # regional indicators: a flag is two of them, counts 2
            total += 1
            previous_emoji = joined = False
            continue
        previous_emoji = joined = False
        total += 1 if any(low <= cp <= high for low, high in _LIGHT) else 2
    return total


def media_problem(media_types: list[str]) -> str | None:
    """Why these media cannot go in one Tweet, or ``None`` when they can."""
    videos = [kind for kind in media_types if kind.startswith("video/")]
    gifs = [kind for kind in media_types if kind == "image/gif"]
    if (videos or gifs) and len(media_types) > 1:
        return "A Tweet takes one video or one GIF on its own, or up to 4 images."
    if len(media_types) > 4:
        return "A Tweet takes at most 4 images."
    return None
