"""Counting text as people see it: extended grapheme clusters (Unicode UAX #29).

Mastodon (Ruby's ``each_grapheme_cluster``) and the Bluesky PDS both limit posts in
grapheme clusters: a combining accent, an emoji with its skin tone, a ZWJ family or a flag
count once.  The standard library cannot split text so; the ``regex`` package's ``\\X``
does.  This module does no I/O.
"""

from __future__ import annotations

import regex

__all__ = ["grapheme_count"]

_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """How many user-perceived characters (extended grapheme clusters) ``text`` holds.

    >>> family = "\\U0001F468\\u200d\\U0001F469\\u200d\\U0001F467"
    >>> grapheme_count("e\\u0301t\\u00e9"), grapheme_count(family), grapheme_count("👨‍👩‍👧‍👦 é")
    (3, 1, 3)
    """
    return len(_GRAPHEME.findall(text))
