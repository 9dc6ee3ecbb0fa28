"""Upload settings: one frozen, validated object holding every knob of an upload.

Memory bound: a chunked upload holds at most ``memory_budget`` bytes of media (16 MiB by
default), whatever the file size: the parts on the wire, each kept until the service
acknowledges it so a retry resends it without touching the source again.  With
``chunk_size`` or ``max_in_flight`` set explicitly the bound is ``chunk_size × max_in_flight``
instead (4 MiB and 4 standing in for the one not set).  On top of that comes a constant of
about 1 MiB (up to 3 MiB with the sixteen connections of a remote path): aiohttp's and
asyncio's socket buffers (up to ~256 KiB per connection while a part is written) and the
interpreter's.  Parts live in anonymous memory maps that are
unmapped as soon as they are acknowledged, so the allocator cannot keep freed parts around
(with ordinary ``bytes`` of this size glibc's adaptive mmap threshold did, and peak RSS grew
to about 1.5 × the bound).  Simple uploads read the whole media, which the services cap at
5 MiB for that path.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_IN_FLIGHT", "MAX_CHUNK_SIZE", "MIB", "UploadConfig"]

MIB = 1024 * 1024
MAX_CHUNK_SIZE = 5 * MIB
#: Part size used when only ``max_in_flight`` is set (and the pre-adaptive default).
DEFAULT_CHUNK_SIZE = 4 * MIB
#: Parallelism used when only ``chunk_size`` is set (and the pre-adaptive default).
DEFAULT_IN_FLIGHT = 4


def check_chunk_size(chunk_size: int | None) -> None:
    """Raise ``ValueError`` unless ``chunk_size`` is ``None`` or 1 KiB … 5 MiB (the one check
    behind :class:`UploadConfig` and the per-upload ``chunk_size=`` of
    :class:`~asyncmedia.MediaClient`)."""
    if chunk_size is not None and not 1024 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(
            f"chunk_size must be between 1 KiB and 5 MiB ({MAX_CHUNK_SIZE} bytes), got {chunk_size}"
        )


@dataclass(frozen=True)
class UploadConfig:
    """Every tunable of an upload, validated on creation.

    :param chunk_size: bytes per APPEND (1 KiB … 5 MiB).  Raised automatically to
        ``ceil(size / 1000)`` for files that would otherwise need more than 1000 segments.
        ``None`` (the default): the chunked uploader chooses part sizes itself, within
        ``memory_budget`` (see :doc:`performance`).  Setting it (here or per upload) fixes every
        part at that size, with ``max_in_flight`` (default then 4) APPENDs at once.
    :param max_in_flight: APPEND requests sent concurrently for one upload.  ``None`` (the
        default): chosen while uploading, from the observed round trip, retransmissions and
        throughput, within ``memory_budget``.  Setting it gives exactly that many, with
        ``chunk_size`` (default then 4 MiB) parts.
    :param memory_budget: bytes of media an adaptive chunked upload holds at once (parts on the
        wire, awaiting acknowledgement); at least 1 MiB.  Ignored when ``chunk_size`` or
        ``max_in_flight`` is set: the bound is then ``chunk_size × max_in_flight``.
    :param max_concurrent_requests: requests one client has on the wire at once, over all
        uploads (caps connections and file descriptors when many uploads run together).
    :param retries: attempts after the first for requests that are safe to repeat (APPEND,
        FINALIZE, STATUS, simple uploads), on connection errors, timeouts and 5xx answers.
    :param backoff: first retry delay in seconds; doubles each attempt, with full jitter,
        capped at ``max_backoff``.
    :param max_rate_limit_wait: on 429, wait for the window to reset if that is at most this
        many seconds away, then repeat the request; otherwise raise ``RateLimitError`` at once.
    :param request_timeout: seconds for one request (connect + send + answer).
    :param processing_timeout: overall seconds to wait for server-side processing.
    :param max_status_interval: cap for one STATUS sleep, whatever ``check_after_secs`` says.
    :param max_download_size: cap for media downloaded from a URL (bytes), enforced from
        ``Content-Length`` and again while streaming.
    :param block_private_networks: refuse media URLs whose host resolves to a loopback,
        private or link-local address, on every redirect hop (for servers that upload URLs
        their users supply; see :mod:`asyncmedia.netguard`).
    :param resume_dir: where chunked uploads with ``resume=True`` keep their journals
        (default: ``$XDG_CACHE_HOME/asyncmedia/resume`` or ``~/.cache/asyncmedia/resume``).
    """

    chunk_size: int | None = None
    max_in_flight: int | None = None
    memory_budget: int = 16 * MIB
    max_concurrent_requests: int = 32
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_rate_limit_wait: float = 900.0
    request_timeout: float = 300.0
    processing_timeout: float = 600.0
    max_status_interval: float = 60.0
    max_download_size: int = 512 * MIB + 1
    block_private_networks: bool = False
    resume_dir: str | None = None

    def __post_init__(self) -> None:
        check_chunk_size(self.chunk_size)
        if self.max_in_flight is not None and self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {self.max_in_flight}")
        if self.memory_budget < MIB:
            raise ValueError(
                f"memory_budget must be at least 1 MiB ({MIB} bytes), got {self.memory_budget}"
            )
        for name in ("max_concurrent_requests", "max_download_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, got {self.retries}")
        for name in ("backoff", "max_backoff", "max_rate_limit_wait"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("request_timeout", "processing_timeout", "max_status_interval"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    @property
    def adaptive(self) -> bool:
        """Whether chunked uploads choose parallelism and part size themselves (neither
        ``chunk_size`` nor ``max_in_flight`` set)."""
        return self.chunk_size is None and self.max_in_flight is None

    def evolve(self, **changes: Any) -> UploadConfig:
        """Return a copy with ``changes`` applied (and validated); ``None`` values are ignored."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown UploadConfig field(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
