"""Journals that let an interrupted chunked upload resume without resending acknowledged parts.

One small JSON file per upload, named by a key derived from the service URL, the account and
the source's fingerprint (never a secret in clear), holding: ``media_id``, ``total_bytes``,
``chunk_size``, ``media_type``, ``media_category``, ``fingerprint``, where every segment sent so
far lies in the media (``segments``: index → ``[offset, length]``, recorded *before* the
segment goes out, since parts may differ in size and the service may have received one whose
answer was lost), the acknowledged indexes and ``expires_at`` (epoch seconds, from INIT's
``expires_after_secs``).  Writes are atomic (temporary file + ``os.replace``) and done in a
worker thread.

A journal is used only while its media id has not expired (with a minute of margin), and only
when the fingerprint and size match (and, for journals written before segments were recorded,
the chunk size); otherwise the upload starts over.  Only seekable sources (paths, seekable
files, bytes, spooled streams) can resume.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["JournalStore", "ResumeTarget", "UploadJournal", "default_resume_dir", "journal_key"]

EXPIRY_MARGIN = 60.0


def default_resume_dir() -> Path:
    """``$XDG_CACHE_HOME/asyncmedia/resume`` (or ``~/.cache/asyncmedia/resume``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "asyncmedia" / "resume"


def journal_key(*parts: str) -> str:
    """A file-name-safe key from identifying parts (hashed: account ids never stored)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


@dataclass
class UploadJournal:
    """What is known about one chunked upload in progress.

    ``segments`` maps each ``segment_index`` sent so far to its ``(offset, length)`` in the
    media; ``acknowledged`` is the set of those the service confirmed.  ``chunk_size`` is the
    nominal part size: journals without ``segments`` (older ones) were cut in parts of it.
    """

    media_id: str
    total_bytes: int
    chunk_size: int
    media_type: str
    media_category: str | None
    fingerprint: str
    expires_at: float
    acknowledged: set[int] = field(default_factory=set)
    segments: dict[int, tuple[int, int]] = field(default_factory=dict)

    def sending(self, index: int, offset: int, length: int) -> None:
        """Record that segment ``index`` (``length`` bytes at ``offset``) is about to be sent."""
        self.segments[index] = (offset, length)

    def layout(self) -> dict[int, tuple[int, int]]:
        """Every segment known to have been sent, with its ``(offset, length)``; for journals
        written without ranges, every segment of ``chunk_size`` the media has."""
        if self.segments or not self.acknowledged:
            return dict(self.segments)
        size = self.chunk_size
        return {
            i: (i * size, min(size, self.total_bytes - i * size))
            for i in range(-(-self.total_bytes // size))
        }

    def usable_for(
        self,
        *,
        fingerprint: str,
        total_bytes: int,
        chunk_size: int | None = None,
        now: float | None = None,
    ) -> bool:
        """Whether this journal describes the same media and its id is still alive.

        ``chunk_size`` matters only for a journal with acknowledged indexes but no recorded
        ranges (written by an older version, in parts of its ``chunk_size``).
        """
        now = time.time() if now is None else now
        legacy = bool(self.acknowledged) and not self.segments
        return (
            self.fingerprint == fingerprint
            and self.total_bytes == total_bytes
            and (not legacy or chunk_size is None or self.chunk_size == chunk_size)
            and self.expires_at - EXPIRY_MARGIN > now
        )

    def to_json(self) -> str:
        """The journal as one line of JSON (what :class:`JournalStore` writes)."""
        data: dict[str, Any] = asdict(self)
        data["acknowledged"] = sorted(self.acknowledged)
        data["segments"] = {str(i): list(r) for i, r in sorted(self.segments.items())}
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> UploadJournal:
        """Read what :meth:`to_json` wrote (journals without ``segments`` too)."""
        data = json.loads(text)
        data["acknowledged"] = set(data.get("acknowledged", ()))
        segments = data.get("segments") or {}
        data["segments"] = {int(i): (int(r[0]), int(r[1])) for i, r in segments.items()}
        return cls(**data)


class JournalStore:
    """Journals kept as files in one directory (created on first write, mode 0700)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_resume_dir()
        self._lock = asyncio.Lock()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    async def load(self, key: str) -> UploadJournal | None:
        """The journal stored under ``key``, or ``None`` (unreadable ones are dropped)."""

        def read() -> UploadJournal | None:
            try:
                return UploadJournal.from_json(self._path(key).read_text())
            except FileNotFoundError:
                return None
            except (ValueError, TypeError, KeyError, IndexError, OSError):
                self._path(key).unlink(missing_ok=True)
                return None

        return await asyncio.to_thread(read)

    async def save(self, key: str, journal: UploadJournal) -> None:
        """Write ``journal`` atomically (concurrent saves are serialised)."""
        text = journal.to_json()

        def write() -> None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".journal-")
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(text)
                os.replace(tmp, self._path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

        async with self._lock:
            await asyncio.to_thread(write)

    async def delete(self, key: str) -> None:
        """Forget the journal under ``key`` (no error if there is none)."""
        await asyncio.to_thread(self._path(key).unlink, True)


@dataclass(frozen=True)
class ResumeTarget:
    """Where one resumable upload keeps its journal, and the fingerprint of its source
    (computed once per upload: it reads the first and last 64 KiB)."""

    store: JournalStore
    key: str
    fingerprint: str
