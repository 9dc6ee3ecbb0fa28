"""Upload strategies: the simple one-request upload and the chunked INIT/APPEND/FINALIZE flow.

Both work on any service whose protocol module satisfies
:class:`~asyncmedia.protocols.media_rules.ChunkedUploadProtocol` (Twitter v1.1, X v2) and on any
:class:`~asyncmedia.sources.MediaSource`.

The chunked strategy reads the source once, front to back, one chunk at a time, and keeps at
most ``max_in_flight`` chunks in memory: a chunk is read only when a slot is free and is dropped
as soon as its APPEND is acknowledged.  APPENDs run concurrently inside a
:class:`asyncio.TaskGroup` (``segment_index`` tells the service where each part goes); the first
failure cancels the others, and FINALIZE is sent only after every APPEND succeeded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .errors import APIError, AsyncMediaError, MediaSourceError, ProcessingTimeout, RateLimitError
from .media import Media
from .protocols.media_rules import ChunkedUploadProtocol, after_processing, processing_delay
from .resume import ResumeTarget, UploadJournal
from .sources import MediaSource
from .transport import ProgressReporter, Transport

log = logging.getLogger("asyncmedia")

__all__ = ["ChunkedUploader", "SimpleUploader", "UploadJob", "first_error"]


@dataclass
class UploadJob:
    """Everything a strategy needs to know about one upload."""

    source: MediaSource
    size: int
    filename: str
    media_type: str
    media_category: str | None
    additional_owners: tuple[str, ...]
    chunk_size: int
    progress: ProgressReporter


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of an exception group, preferring asyncmedia's own errors."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    for leaf in leaves:
        if isinstance(leaf, AsyncMediaError):
            return leaf
    return leaves[0]


class SimpleUploader:
    """One multipart request carrying the whole media, streamed from the source."""

    def __init__(self, transport: Transport, protocol: ChunkedUploadProtocol) -> None:
        self.transport = transport
        self.protocol = protocol

    async def upload(self, job: UploadJob) -> Media:
        request = self.protocol.simple_upload(
            filename=job.filename,
            media_type=job.media_type,
            media_category=job.media_category,
            additional_owners=job.additional_owners,
        )
        response = await self.transport.send(request, job.source, progress=job.progress)
        return self.protocol.read_media(response)


class ChunkedUploader:
    """INIT → APPEND × n (up to ``max_in_flight`` at once) → FINALIZE → STATUS polling."""

    def __init__(
        self,
        transport: Transport,
        protocol: ChunkedUploadProtocol,
        *,
        max_in_flight: int,
        processing_timeout: float,
        max_status_interval: float,
    ) -> None:
        self.transport = transport
        self.protocol = protocol
        self.max_in_flight = max_in_flight
        self.processing_timeout = processing_timeout
        self.max_status_interval = max_status_interval

    async def upload(self, job: UploadJob, *, resume: ResumeTarget | None = None) -> Media:
        """Run the whole flow; with ``resume``, keep a journal and continue from it."""
        journal = await self._resumable_journal(job, resume)
        if journal is not None and journal.acknowledged:
            log.info(
                "resuming media %s: %d of %d segments already acknowledged",
                journal.media_id,
                len(journal.acknowledged),
                -(-job.size // job.chunk_size),
            )
            try:
                return await self._finish(job, journal.media_id, journal, resume)
            except APIError as exc:
                if exc.status >= 500 or isinstance(exc, RateLimitError):
                    raise
                # The service no longer knows the media (expired, purged): start over once.
                log.warning("cannot resume media %s (%s); starting over", journal.media_id, exc)
                await job.source.seek(0)
                await job.progress.advance(-job.progress.sent)
        media_id, expires = await self.init(job)
        journal = None
        if resume is not None:
            journal = UploadJournal(
                media_id=media_id,
                total_bytes=job.size,
                chunk_size=job.chunk_size,
                media_type=job.media_type,
                media_category=job.media_category,
                fingerprint=resume.fingerprint,
                expires_at=time.time() + (expires or 3600),
            )
            await resume.store.save(resume.key, journal)
        return await self._finish(job, media_id, journal, resume)

    async def _resumable_journal(
        self, job: UploadJob, resume: ResumeTarget | None
    ) -> UploadJournal | None:
        if resume is None:
            return None
        journal = await resume.store.load(resume.key)
        if journal is None:
            return None
        if not journal.usable_for(
            fingerprint=resume.fingerprint, total_bytes=job.size, chunk_size=job.chunk_size
        ):
            await resume.store.delete(resume.key)
            return None
        return journal

    async def _finish(
        self,
        job: UploadJob,
        media_id: str,
        journal: UploadJournal | None,
        resume: ResumeTarget | None,
    ) -> Media:
        async def acknowledged(index: int) -> None:
            if journal is not None and resume is not None:
                journal.acknowledged.add(index)
                await resume.store.save(resume.key, journal)

        skip = frozenset(journal.acknowledged) if journal is not None else frozenset()
        await self.append_all(job, media_id, skip=skip, on_ack=acknowledged)
        media = self.protocol.read_media(
            await self.transport.send(self.protocol.finalize(media_id))
        )
        if resume is not None:
            await resume.store.delete(resume.key)
        return await self.wait_for_processing(media)

    async def init(self, job: UploadJob) -> tuple[str, int | None]:
        """Send INIT; return the media id and its lifetime in seconds (if the service says)."""
        request = self.protocol.init(
            total_bytes=job.size,
            media_type=job.media_type,
            media_category=job.media_category,
            additional_owners=job.additional_owners,
        )
        media = self.protocol.read_media(await self.transport.send(request))
        return media.media_id_string, media.expires_after_secs

    async def append_all(
        self,
        job: UploadJob,
        media_id: str,
        *,
        skip: frozenset[int] = frozenset(),
        on_ack: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """Send every segment not in ``skip``, reading the source from the start.

        Skipped segments are stepped over (seek) and counted as sent for progress.
        """
        slots = asyncio.Semaphore(self.max_in_flight)
        offset = 0
        index = 0
        try:
            async with asyncio.TaskGroup() as group:
                while offset < job.size:
                    if index in skip:
                        step = min(job.chunk_size, job.size - offset)
                        offset += step
                        index += 1
                        await job.source.seek(offset)
                        await job.progress.advance(step)
                        continue
                    await slots.acquire()
                    want = min(job.chunk_size, job.size - offset)
                    try:
                        chunk = await job.source.read(want)
                    except BaseException:
                        slots.release()
                        raise
                    if len(chunk) != want:
                        slots.release()
                        raise MediaSourceError(
                            f"{job.source.describe()} ended after {offset + len(chunk)} of "
                            f"{job.size} bytes; it changed while being uploaded"
                        )
                    group.create_task(self._append(job, media_id, index, chunk, slots, on_ack))
                    offset += want
                    index += 1
        except BaseExceptionGroup as group_error:
            raise first_error(group_error) from None

    async def _append(
        self,
        job: UploadJob,
        media_id: str,
        index: int,
        chunk: bytes,
        slots: asyncio.Semaphore,
        on_ack: Callable[[int], Awaitable[None]] | None,
    ) -> None:
        try:
            request = self.protocol.append(media_id, index, job.filename)
            response = await self.transport.send(request, chunk, progress=job.progress)
            self.protocol.check(response)
            if on_ack is not None:
                await on_ack(index)
        finally:
            slots.release()

    async def wait_for_processing(self, media: Media) -> Media:
        """Poll STATUS while ``processing_info`` says so, honouring ``check_after_secs``.

        The result keeps FINALIZE's ``media_key``, ``size`` and ``expires_after_secs``
        (:func:`~asyncmedia.protocols.media_rules.after_processing`).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.processing_timeout
        finalized = media
        while True:
            delay = processing_delay(
                media.processing_info,
                media_id=media.media_id_string,
                max_interval=self.max_status_interval,
            )
            if delay is None:
                return media
            if loop.time() + delay > deadline:
                raise ProcessingTimeout(
                    f"media {media.media_id_string} was still "
                    f"{(media.processing_info or {}).get('state', 'processing')} after "
                    f"{self.processing_timeout:g}s; raise processing_timeout or check later",
                    media_id=media.media_id_string,
                )
            await self.transport.sleep(delay)
            response = await self.transport.send(self.protocol.status(media.media_id_string))
            # STATUS answers leave out media_key and size: keep FINALIZE's.
            media = after_processing(finalized, self.protocol.read_media(response))
