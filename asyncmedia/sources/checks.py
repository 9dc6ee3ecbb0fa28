"""Checks every source shares: a declared ``size=``, the download cap, file names, types."""

from __future__ import annotations

import os

from ..errors import MediaSourceError, MediaTooLarge

_UNDECLARED_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "text/plain"})


def _declared_type(value: str | None) -> str | None:
    """Normalise a declared Content-Type; generic declarations say nothing, so ``None``."""
    if not value:
        return None
    bare = value.split(";", 1)[0].strip().lower()
    if not bare or bare in _UNDECLARED_TYPES:
        return None
    return bare


def _safe_filename(name: object) -> str | None:
    """Return the last path component of ``name`` if it is a usable file name, else ``None``."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if not isinstance(name, str):
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", ".."):
        return None
    return base


def _check_size(size: object) -> int | None:
    """``size=`` as given, checked: ``None`` or an ``int >= 0``, else :class:`MediaSourceError`.

    (``MediaSourceError`` is a ``ValueError``, so ``size=1.5`` or ``size="10"`` fail at the
    call, before anything is opened.)
    """
    if size is None:
        return None
    if not isinstance(size, int) or isinstance(size, bool):
        raise MediaSourceError(f"size must be an int (bytes) or None, got {size!r}")
    if size < 0:
        raise MediaSourceError(f"size must be >= 0, got {size}")
    return size


def _too_large(what: str, limit: int, size: int | None) -> MediaTooLarge:
    seen = f" ({size} bytes)" if size is not None else ""
    return MediaTooLarge(
        f"{what} is larger than the download cap of {limit} bytes{seen}; "
        "raise max_download_size= if this is intended",
        size=size,
        limit=limit,
    )
