"""Checks and names for file objects: closed and text-mode files refused, sync and async told
apart."""

from __future__ import annotations

import inspect
import io
import os
from typing import Any

from aiofiles.threadpool.text import AsyncTextIndirectIOWrapper, AsyncTextIOWrapper

from ..errors import MediaSourceError
from .checks import _safe_filename

_TEXT_MODE_SYNC = "open it with 'rb' (e.g. open(path, 'rb'))"
_TEXT_MODE_ASYNC = "open it with 'rb' (e.g. aiofiles.open(path, 'rb'))"


def _file_name(file: object) -> str | None:
    name = getattr(file, "name", None)
    return _safe_filename(name) if isinstance(name, str | bytes | os.PathLike) else None


def _describe_file(file: object) -> str:
    name = getattr(file, "name", None)
    if isinstance(name, str | bytes | os.PathLike):
        return f"file {os.fsdecode(name)!r}"
    return f"file object {type(file).__name__}"


def _is_closed(file: object) -> bool:
    try:
        return bool(getattr(file, "closed", False))
    except (OSError, ValueError):
        return True


def _check_sync_binary(file: object) -> None:
    """Refuse closed and text-mode sync files with a message saying what to do."""
    what = _describe_file(file)
    if _is_closed(file):
        raise MediaSourceError(f"{what} is closed; pass an open file")
    if isinstance(file, io.TextIOBase):
        raise MediaSourceError(f"{what} was opened in text mode; {_TEXT_MODE_SYNC}")
    if isinstance(file, io.BufferedIOBase | io.RawIOBase):
        return  # binary by type, whatever its ``mode`` says (zipfile uses mode "r")
    mode = getattr(file, "mode", None)
    if isinstance(mode, str) and "b" not in mode:
        raise MediaSourceError(f"{what} was opened in text mode; {_TEXT_MODE_SYNC}")


async def _check_async_binary(file: object) -> None:
    """Refuse closed and text-mode async (aiofiles) files."""
    what = _describe_file(file)
    if _is_closed(file):
        raise MediaSourceError(f"{what} is closed; pass an open file")
    mode = getattr(file, "mode", None)
    if isinstance(file, AsyncTextIOWrapper | AsyncTextIndirectIOWrapper) or (
        isinstance(mode, str) and "b" not in mode
    ):
        raise MediaSourceError(f"{what} was opened in text mode; {_TEXT_MODE_ASYNC}")


async def _probe_file(file: Any) -> bool:
    """Return True for an async file, False for a sync one; refuse text mode and closed files.

    A ``read`` that is a coroutine function, or whose ``read(0)`` returns an awaitable, is async.
    """
    read = file.read
    if inspect.iscoroutinefunction(read):
        return True
    if _is_closed(file):
        raise MediaSourceError(f"{_describe_file(file)} is closed; pass an open file")
    if isinstance(file, io.TextIOBase):
        _check_sync_binary(file)
    try:
        probe = read(0)
    except ValueError as exc:  # "I/O operation on closed file" and friends
        raise MediaSourceError(f"{_describe_file(file)} cannot be read: {exc}") from exc
    if inspect.isawaitable(probe):
        probe = await probe
        if isinstance(probe, str):
            raise MediaSourceError(
                f"{_describe_file(file)} was opened in text mode; {_TEXT_MODE_ASYNC}"
            )
        return True
    if isinstance(probe, str):
        raise MediaSourceError(f"{_describe_file(file)} was opened in text mode; {_TEXT_MODE_SYNC}")
    return False
