"""How long X says a Tweet's text is: twitter-text's v3 weighted counting, sans-I/O.

X does not count characters the way ``len()`` does.  The rules (twitter-text, configuration
``v3``, the one X uses since 2019) are:

1. the text is NFC-normalised first;
2. every URL counts as ``transformedURLLength`` = 23 characters, whatever its length (X wraps
   it in a ``t.co`` link);
3. every emoji — a whole sequence: skin tones, ZWJ families, flags, keycaps — counts as 2;
4. every other code point (not UTF-16 unit) weighs 100 if it is in one of the v3 ranges
   (``U+0000–U+10FF``: Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari…; general
   punctuation ``U+2000–U+200D``, ``U+2010–U+201F``, ``U+2032–U+2037``) and 200 otherwise
   (CJK, Hangul, most symbols), with ``scale`` = 100, so a CJK character counts as 2;
5. the weighted sum divided by the scale must be at most ``maxWeightedTweetLength`` = 280.

Two parts of twitter-text are approximated here, and said so in the docs: emoji are found
from the Unicode emoji blocks (twitter-text uses Twemoji's list, which is built from the same
blocks), and URLs are what twitter-text's extractor finds in ordinary text: ``http(s)://``
links, ``www.`` hosts, and bare ``host.tld`` names for the common generic TLDs (or any TLD
followed by a path).  This module does no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "MAX_WEIGHTED_LENGTH",
    "TRANSFORMED_URL_LENGTH",
    "TweetLength",
    "find_urls",
    "weighted_length",
]

#: ``maxWeightedTweetLength`` of twitter-text's v3 configuration.
MAX_WEIGHTED_LENGTH = 280
#: ``transformedURLLength``: every URL counts this much, as its ``t.co`` link does.
TRANSFORMED_URL_LENGTH = 23
SCALE = 100
DEFAULT_WEIGHT = 200
#: The v3 ``ranges`` (inclusive) whose code points weigh 100; everything else weighs 200.
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

_ZWJ = 0x200D
_VS16 = 0xFE0F
_KEYCAP = 0x20E3

# Bare-domain TLDs twitter-text links without a scheme (a selection of its generic list).
_GENERIC_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|name|pro|mobi|app|dev|io|co|me|tv|ly|xyz|online|"
    "site|tech|blog|news|shop|store|club|live|social|art|page|link|cloud|ai"
)
_URL = re.compile(
    r"""(?ix)
    (?<![\w@.\-/])                       # not inside a word, an e-mail or another URL
    (?:
        https?://[^\s<>"]+               # with a scheme: up to the next space
      | www\.[a-z0-9\-]+(?:\.[a-z0-9\-]+)+(?:[/?\#][^\s<>"]*)?
      | [a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*
        \.(?:"""
    + _GENERIC_TLDS
    + r""")\b(?![.\-][a-z0-9])(?:[/?\#][^\s<>"]*)?
      | [a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*
        \.[a-z]{2,}/[^\s<>"]*            # any other TLD only with a path
    )
    """
)
_TRAILING = ".,;:!?'\"*"


def find_urls(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` code point offsets of the URLs twitter-text would link in ``text``.

    Trailing punctuation (``.``, ``,``, ``!``…) and an unbalanced closing parenthesis are not
    part of a URL, as in twitter-text.

    >>> text = "see https://example.com/a, then www.python.org."
    >>> [text[s:e] for s, e in find_urls(text)]
    ['https://example.com/a', 'www.python.org']
    """
    found: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            unbalanced = last == ")" and text.count("(", start, end) < text.count(")", start, end)
            if last in _TRAILING or unbalanced:
                end -= 1
            else:
                break
        if end - start > len("http://") or not text[start:end].lower().startswith("http"):
            found.append((start, end))
    return found


def _is_emoji_base(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF  # pictographs, emoticons, transport, supplemental symbols
        or 0x2600 <= cp <= 0x27BF  # miscellaneous symbols, dingbats
        or 0x2300 <= cp <= 0x23FF  # watch, hourglass, media controls
        or 0x2B05 <= cp <= 0x2B55  # arrows, star, circle
        or cp in (0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x2194 <= cp <= 0x21AA
        or cp in (0x00A9, 0x00AE)
    )


def _is_modifier(cp: int) -> bool:
    return 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or cp == _VS16


def _emoji_end(text: str, i: int) -> int | None:
    """End of the emoji sequence starting at ``i``, or ``None`` when none starts there."""
    cp = ord(text[i])
    n = len(text)
    # Keycap: [0-9#*] FE0F? 20E3
    if text[i] in "0123456789#*":
        j = i + 1
        if j < n and ord(text[j]) == _VS16:
            j += 1
        return j + 1 if j < n and ord(text[j]) == _KEYCAP else None
    # Flag: two regional indicators.
    if 0x1F1E6 <= cp <= 0x1F1FF:
        if i + 1 < n and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF:
            return i + 2
        return i + 1
    if not _is_emoji_base(cp):
        return None
    light = cp < 0x1100
    j = i + 1
    while j < n:
        nxt = ord(text[j])
        if _is_modifier(nxt):
            light = light and nxt != _VS16
            j += 1
        elif nxt == _ZWJ and j + 1 < n and _is_emoji_base(ord(text[j + 1])):
            j += 2
            light = False
        else:
            break
    # (c) and (R) without VS16 are ordinary Latin-1 characters, not emoji.
    return None if light else j


def _weight(cp: int) -> int:
    for low, high in LIGHT_RANGES:
        if low <= cp <= high:
            return 100
    return DEFAULT_WEIGHT


@dataclass(frozen=True)
class TweetLength:
    """The outcome of counting: ``weighted`` characters (X's count), ``valid`` when it is
    between 1 and :data:`MAX_WEIGHTED_LENGTH` (an empty text is not a valid Tweet on its own),
    and the ``urls`` found (code point offsets)."""

    weighted: int
    valid: bool
    urls: tuple[tuple[int, int], ...]


def weighted_length(text: str) -> TweetLength:
    """Count ``text`` as X does (twitter-text v3; see the module documentation).

    >>> weighted_length("hello").weighted
    5
    >>> weighted_length("日本語").weighted
    6
    >>> weighted_length("look https://example.com/a/very/long/path/indeed").weighted
    28
    """
    text = unicodedata.normalize("NFC", text)
    urls = find_urls(text)
    total = 0
    i = 0
    url_iter = iter(urls)
    next_url = next(url_iter, None)
    n = len(text)
    while i < n:
        if next_url is not None and i == next_url[0]:
            total += TRANSFORMED_URL_LENGTH * SCALE
            i = next_url[1]
            next_url = next(url_iter, None)
            continue
        end = _emoji_end(text, i)
        if end is not None:
            total += DEFAULT_WEIGHT
            i = end
            continue
        total += _weight(ord(text[i]))
        i += 1
    weighted = -(-total // SCALE)
    return TweetLength(weighted, 0 < weighted <= MAX_WEIGHTED_LENGTH, tuple(urls))
