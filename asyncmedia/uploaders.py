"""Upload strategies: the simple one-request upload and the chunked INIT/APPEND/FINALIZE flow.

Both work on any service whose protocol module satisfies
:class:`~asyncmedia.protocols.media_rules.ChunkedUploadProtocol` (Twitter v1.1, X v2) and on any
:class:`~asyncmedia.sources.MediaSource`.

The chunked strategy reads the source once, front to back, one part at a time, and keeps at
most a memory budget of parts in memory: a part is read only when there is room for it and is
unmapped as soon as its APPEND is acknowledged.  APPENDs run concurrently inside a
:class:`asyncio.TaskGroup` (``segment_index`` tells the service where each part goes, and
parts may differ in size); the first failure cancels the others, and FINALIZE is sent only
after every APPEND succeeded.  How many parts are on the wire and how big they are is the
:class:`Tuner`'s choice: fixed when the user set ``max_in_flight`` or ``chunk_size``, adapted to
the path otherwise (see :doc:`/performance`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import mmap
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from .config import DEFAULT_CHUNK_SIZE, DEFAULT_IN_FLIGHT, MAX_CHUNK_SIZE, MIB
from .errors import APIError, AsyncMediaError, MediaSourceError, ProcessingTimeout, RateLimitError
from .media import Media
from .protocols.media_rules import (
    MAX_SEGMENTS,
    ChunkedUploadProtocol,
    after_processing,
    processing_delay,
)
from .resume import ResumeTarget, UploadJournal
from .service import is_loopback
from .sources import MediaSource
from .transport import ROUND_TRIP_OBSERVER, ProgressReporter, TcpSample, Transport

log = logging.getLogger("asyncmedia")

__all__ = ["ChunkedUploader", "Level", "SimpleUploader", "Tuner", "UploadJob", "first_error"]

#: Smallest part the adaptive tuner plans (more, smaller parts cost CPU per byte).
MIN_PART = 256 * 1024
#: On a remote path the adaptive tuner starts with parts of at most this size (16 × 1 MiB with
#: the default budget): many TCP streams ramp up together (their initial windows add up), and
#: each part's request–answer turnaround idles a smaller share of the link.
WIDE_PART = MIB
#: INIT answered faster than this (two round trips: connect and request): a local path, where
#: the CPU and not the wire is the limit; start with few, large parts.
LOCAL_ROUND_TRIP = 0.015
#: A connection whose kernel-measured round trip (``TCP_INFO``) is below this is local.
LOCAL_TCP_ROUND_TRIP = 0.005
#: Smoothed round trip at least this many times the path's minimum: the bottleneck's queue is
#: filling, so the link is full and more parallel parts cannot help; no probe.
QUEUE_RATIO = 1.25
#: A probe towards more parallelism is undone only if goodput fell below this fraction of the
#: setting before (one window of acknowledgements is a noisy measure: keep what did not hurt).
REVERT_RATIO = 0.9
#: Congestion control algorithms that do not slow down on random loss (so more streams do not
#: help on a lossy path).
LOSS_TOLERANT = frozenset({"bbr", "bbr2", "bbr3"})


@dataclass
class UploadJob:
    """Everything a strategy needs to know about one upload."""

    source: MediaSource
    size: int
    filename: str
    media_type: str
    media_category: str | None
    additional_owners: tuple[str, ...]
    #: Bytes per APPEND when set by the user; ``None``: chosen by the uploader.
    chunk_size: int | None
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


@dataclass(frozen=True)
class Level:
    """One setting of the tuner: ``parallel`` parts of ``part_size`` bytes on the wire."""

    parallel: int
    part_size: int


def ladder(budget: int, max_parallel: int) -> list[Level]:
    """The settings the adaptive tuner chooses from: parallelism doubling from the fewest
    parts that fill ``budget`` (at most 5 MiB each), part size shrinking to keep
    ``parallel × part_size`` within ``budget``; never below :data:`MIN_PART` nor above
    ``max_parallel`` parts."""
    parallel = max(1, min(max_parallel, math.ceil(budget / MAX_CHUNK_SIZE)))
    levels = [Level(parallel, min(MAX_CHUNK_SIZE, budget // parallel))]
    while parallel * 2 <= max_parallel and budget // (parallel * 2) >= MIN_PART:
        parallel *= 2
        levels.append(Level(parallel, budget // parallel))
    return levels


class Tuner:
    """Decides how many APPENDs are on the wire and how big the next part is.

    Fixed (:meth:`fixed`): exactly what the user set.  Adaptive (:meth:`adaptive`), within one
    memory budget, from the settings of the :func:`ladder`:

    * **Local path** — INIT answered within :data:`LOCAL_ROUND_TRIP`, or the kernel's round
      trip for the first APPEND's connection under :data:`LOCAL_TCP_ROUND_TRIP`, which
      overrides it: the fewest, largest parts (4 × 4 MiB with 16 MiB), kept for the whole
      upload.  The CPU is the limit there and more parts only cost more of it.
    * **Remote path**: parts of at most :data:`WIDE_PART` from the start (16 × 1 MiB), whose
      streams ramp up together.  The first window's parts are staggered in size (from a
      quarter to the whole part), so that their answers — each followed by a round trip in
      which that connection is idle — spread out instead of emptying the link together; and
      once less than one budget is left, parts shrink with it, so that the connections finish
      together instead of one by one.  After each window (as many acknowledgements as parts
      on the wire, opened by the first acknowledgement of a part of that setting), it climbs
      one rung towards more, smaller parts only if the streams are *held back by loss*: the
      kernel retransmitted during the window, while the smoothed round trip stayed under
      :data:`QUEUE_RATIO` times the path's minimum (the bottleneck's queue is not filling, so
      the link is not full), and the congestion control is not one that ignores random loss
      (:data:`LOSS_TOLERANT`).  A climb is undone if goodput fell below :data:`REVERT_RATIO`
      of the setting before.  Otherwise it stays.

    ``budget`` bytes of parts are never exceeded (one part alone may, when the 1000-segment
    limit forces larger parts).
    """

    def __init__(
        self,
        levels: list[Level],
        *,
        budget: int,
        start: int = 0,
        adaptive: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.levels = levels
        self.budget = budget
        self.level = start
        self.adapts = adaptive
        self.settled = not adaptive or start == len(levels) - 1
        #: Whether part sizes are shaped (staggered first window, tapered tail): remote only.
        self.shaping = False
        #: Smallest round trip the kernel reported for an APPEND's connection (seconds).
        self.tcp_round_trip: float | None = None
        #: The congestion control algorithm of the APPEND connections, once known.
        self.congestion_control = ""
        self.rates: dict[int, float] = {}
        self._floor: float | None = None
        self._queueing: list[float] = []
        self._retransmitted = 0
        self._retransmissions: dict[int, int] = {}  # per connection: the last count reported
        self.last_queue_ratio: float | None = None
        self.last_retransmitted: int | None = None
        #: INIT's round trip (seconds) the adaptive tuner started from, if known.
        self.round_trip: float | None = None
        self._clock = clock
        self._probing_from: int | None = None
        self._window_start: float | None = None
        self._window_bytes = 0
        self._window_acks = 0
        self._opening = 0  # parts of the first window sized so far

    @classmethod
    def fixed(cls, parallel: int, part_size: int) -> Tuner:
        """Exactly ``parallel`` parts of ``part_size`` bytes, never changed."""
        return cls([Level(parallel, part_size)], budget=parallel * part_size, adaptive=False)

    @classmethod
    def adaptive(
        cls,
        budget: int,
        *,
        max_parallel: int,
        round_trip: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Tuner:
        """Adapting within ``budget``, starting from what ``round_trip`` (INIT's, in seconds;
        ``None`` when unknown, e.g. on resume) suggests."""
        tuner = cls(ladder(budget, max_parallel), budget=budget, clock=clock)
        tuner.round_trip = round_trip
        tuner._start(local=round_trip is not None and round_trip < LOCAL_ROUND_TRIP)
        return tuner

    def _start(self, *, local: bool) -> None:
        """Start (again) as on a local or on a remote path."""
        wide = next(
            (i for i, level in enumerate(self.levels) if level.part_size <= WIDE_PART),
            len(self.levels) - 1,
        )
        self.level = 0 if local else wide
        self.settled = local or self.level == len(self.levels) - 1
        self.shaping = not local
        self._reset_window()

    def _reset_window(self) -> None:
        """Forget the current window: its acknowledgements and the kernel's reports."""
        self._window_start, self._window_bytes, self._window_acks = None, 0, 0
        self._queueing.clear()
        self._retransmitted = 0

    def observe(self, sample: TcpSample, retransmitted: int | None = None) -> None:
        """A kernel report on an APPEND's connection, and how many segments it retransmitted
        since the report before (by default: since this connection's last report, from
        ``sample.retransmitted``; so retransmissions while a part drains from the socket
        buffer, after its last write, are counted when the connection's next part begins).

        The first report corrects the path class guessed from INIT's round trip (which a
        loaded machine can make look remote, or a warm proxy local), as long as nothing has
        been measured yet.  Later ones tell whether the bottleneck's queue is filling (a
        smoothed round trip well above the path's minimum means the link is already full)
        and whether the streams lose packets.
        """
        seconds = sample.round_trip
        first = self.tcp_round_trip is None
        self.tcp_round_trip = seconds if first else min(seconds, self.tcp_round_trip or seconds)
        if sample.congestion_control:
            self.congestion_control = sample.congestion_control
        floor = min(x for x in (seconds, sample.min_round_trip, self._floor) if x is not None)
        self._floor = floor
        self._queueing.append(seconds / floor if floor > 0 else 1.0)
        if retransmitted is None:
            last = self._retransmissions.get(sample.connection)
            self._retransmissions[sample.connection] = sample.retransmitted
            # A first report is the baseline; a lower count is a new socket under the same fd.
            retransmitted = 0 if last is None else max(0, sample.retransmitted - last)
        self._retransmitted += max(0, retransmitted)
        if not first or not self.adapts or self.rates or self._probing_from is not None:
            return
        local = seconds < LOCAL_TCP_ROUND_TRIP
        if self.shaping == local:  # guessed wrong from INIT
            self._start(local=local)
            log.debug("adaptive: kernel round trip %.1f ms: %s", seconds * 1000, self.describe())

    def observe_round_trip(self, seconds: float, minimum: float | None = None) -> None:
        """:meth:`observe` with only round trips known."""
        self.observe(TcpSample(seconds, minimum, 0), 0)

    @property
    def queue_ratio(self) -> float | None:
        """Median smoothed-to-minimum round-trip ratio over the current window's samples."""
        if not self._queueing:
            return None
        ordered = sorted(self._queueing)
        return ordered[len(ordered) // 2]

    @property
    def parallel(self) -> int:
        """Parts allowed on the wire now."""
        return self.levels[self.level].parallel

    def part_size(self, remaining: int, segments_left: int) -> int:
        """Size of the next part: the current setting's — staggered over the first window
        and shrinking with the last budget's worth when :attr:`shaping` — raised so that
        ``remaining`` bytes fit in ``segments_left`` segments, and never more than
        ``remaining``."""
        level = self.levels[self.level]
        size = level.part_size
        if self.shaping:
            if self._opening < level.parallel:
                self._opening += 1
                size = size * (3 * self._opening + level.parallel) // (4 * level.parallel)
            size = min(size, math.ceil(remaining / level.parallel))
            size = max(size, min(MIN_PART, level.part_size))
        size = max(size, math.ceil(remaining / max(1, segments_left)))
        return min(size, remaining)

    def acknowledged(self, nbytes: int, level: int) -> None:
        """A part of ``nbytes`` sent while the tuner was at ``level`` was acknowledged."""
        if self.settled:
            return
        now = self._clock()
        if self._window_start is None:
            # The window opens with the first acknowledgement of a part of this setting, so
            # it measures this setting and not the one before.
            if level == self.level:
                self._window_start = now
                self._queueing.clear()
                self._retransmitted = 0
            return
        self._window_bytes += nbytes
        self._window_acks += 1
        elapsed = now - self._window_start
        if self._window_acks < self.parallel or elapsed <= 0:
            return
        self.rates[self.level] = self._window_bytes / elapsed
        self._decide()

    def _decide(self) -> None:
        here = self.level
        back = self._probing_from
        self.last_queue_ratio = self.queue_ratio
        self.last_retransmitted = self._retransmitted
        full = self.last_queue_ratio is not None and self.last_queue_ratio >= QUEUE_RATIO
        held_back = (
            self._retransmitted > 0
            and not full
            and self.congestion_control.lower() not in LOSS_TOLERANT
        )
        if back is not None and self.rates[here] < REVERT_RATIO * self.rates[back]:
            self.level, self.settled = back, True
        elif not held_back or here + 1 == len(self.levels):
            self.settled = True  # the link is full, or loss does not hold the streams back
        else:
            self._probing_from, self.level = here, here + 1
        self._reset_window()
        log.debug("adaptive: %s", self.describe())

    def describe(self) -> str:
        """The current setting and the goodput measured for each, for logs."""
        level = self.levels[self.level]
        rates = ", ".join(
            f"{self.levels[i].parallel}x{self.levels[i].part_size // 1024}KiB "
            f"{rate / 1e6:.1f} MB/s"
            for i, rate in sorted(self.rates.items())
        )
        state = "settled at" if self.settled else "trying"
        init = "" if self.round_trip is None else f"; INIT {self.round_trip * 1000:.0f} ms"
        if self.tcp_round_trip is not None:
            init += f"; TCP RTT {self.tcp_round_trip * 1000:.1f} ms"
        if self.congestion_control:
            init += f" ({self.congestion_control})"
        if self.last_queue_ratio is not None:
            init += f"; RTT/min {self.last_queue_ratio:.2f}"
        if self.last_retransmitted is not None:
            init += f"; {self.last_retransmitted} retransmitted"
        return (
            f"{state} {level.parallel} x {level.part_size // 1024} KiB"
            f" ({rates or 'no data'}{init})"
        )


def resume_plan(
    layout: Mapping[int, tuple[int, int]],
    total: int,
    acknowledged: frozenset[int] | set[int] | None = None,
) -> tuple[list[tuple[int, int, int]], int, int]:
    """What is left of an upload whose segments ``layout`` (index → ``(offset, length)``) were
    sent, of which ``acknowledged`` (default: all) were confirmed: the parts to send, as
    ``(index, offset, length)`` in index order — unconfirmed ones again with exactly their
    range (the service may hold them; the same index must carry the same bytes), gaps
    between known segments split evenly over the indexes between them (no index is
    skipped) — then the next index and the offset of the tail.  Raises ``ValueError`` if the
    segments cannot belong to one media of ``total`` bytes."""
    confirmed = layout.keys() if acknowledged is None else acknowledged
    parts: list[tuple[int, int, int]] = []
    index = offset = 0
    for i in sorted(layout):
        start, length = layout[i]
        gap, hole = i - index, start - offset
        if i < 0 or length < 1 or hole < gap or (not gap and hole) or hole > gap * MAX_CHUNK_SIZE:
            raise ValueError(f"segment {i} at {start}+{length} does not follow the others")
        base, extra = divmod(hole, gap) if gap else (0, 0)
        for j in range(gap):
            size = base + (j < extra)
            parts.append((index + j, offset, size))
            offset += size
        if i not in confirmed:
            parts.append((i, start, length))
        index, offset = i + 1, start + length
    if offset > total:
        raise ValueError(f"segments end at {offset}, after the {total} bytes of the media")
    return parts, index, offset


class _Arena:
    """The memory parts are read into: one anonymous map of ``size`` bytes, handed out in
    64 KiB blocks (first fit) and unmapped when the upload ends.

    Pages are touched only as parts use them, so resident memory never exceeds the budget;
    reusing them spares a page fault per 4 KiB and an munmap per part, and freed parts never
    linger in the allocator (as 4 MiB ``bytes`` did under glibc's adaptive mmap threshold).
    """

    BLOCK = 64 * 1024

    def __init__(self, size: int) -> None:
        blocks = max(1, math.ceil(size / self.BLOCK))
        self._map = mmap.mmap(-1, blocks * self.BLOCK)
        self._used = bytearray(blocks)

    def fits(self, nbytes: int) -> bool:
        """Whether a part of ``nbytes`` could be placed now."""
        need = math.ceil(nbytes / self.BLOCK)
        return self._used.find(bytes(need)) >= 0

    def take(self, nbytes: int) -> tuple[memoryview, int, int] | None:
        """A view of ``nbytes`` free bytes, with its first block and block count; ``None`` if
        no free run is long enough."""
        need = math.ceil(nbytes / self.BLOCK)
        first = self._used.find(bytes(need))
        if first < 0:
            return None
        self._used[first : first + need] = b"\x01" * need
        start = first * self.BLOCK
        return memoryview(self._map)[start : start + nbytes], first, need

    def give_back(self, first: int, count: int) -> None:
        """Free ``count`` blocks from ``first`` (taken by :meth:`take`)."""
        self._used[first : first + count] = bytes(count)

    def close(self) -> None:
        """Unmap (later, by the GC, if a view is still alive somewhere)."""
        with contextlib.suppress(BufferError):
            self._map.close()


class _Part:
    """One part's place in the media and its bytes: in the arena, or in a map of its own when
    it is larger than the arena (the 1000-segment limit can force that)."""

    __slots__ = ("_arena", "_blocks", "_own", "index", "length", "level", "offset", "view")

    def __init__(self, index: int, offset: int, length: int, level: int, arena: _Arena) -> None:
        self.index, self.offset, self.length, self.level = index, offset, length, level
        taken = arena.take(length)
        self._arena: _Arena | None
        self._own: mmap.mmap | None
        if taken is None:
            self._own = mmap.mmap(-1, length)
            self._arena, self._blocks = None, (0, 0)
            self.view = memoryview(self._own)
        else:
            self._own = None
            self.view, first, count = taken
            self._arena, self._blocks = arena, (first, count)

    def release(self) -> None:
        """Give the memory back (idempotent)."""
        self.view.release()
        if self._arena is not None:
            self._arena.give_back(*self._blocks)
            self._arena = None
        if self._own is not None:
            with contextlib.suppress(BufferError):
                self._own.close()
            self._own = None


class _Flight:
    """Parts on the wire (count and bytes), with a way to wait for room."""

    def __init__(self) -> None:
        self.count = 0
        self.nbytes = 0
        self._changed = asyncio.Event()

    def add(self, nbytes: int) -> None:
        self.count += 1
        self.nbytes += nbytes

    def remove(self, nbytes: int) -> None:
        self.count -= 1
        self.nbytes -= nbytes
        self._changed.set()

    def room_for(self, nbytes: int, budget: int, arena: _Arena) -> Callable[[], bool]:
        """A condition: ``nbytes`` more fit in ``budget`` and in ``arena`` (always true with
        nothing on the wire)."""
        return lambda: self.count == 0 or (self.nbytes + nbytes <= budget and arena.fits(nbytes))

    async def wait(self, ready: Callable[[], bool]) -> None:
        while not ready():
            self._changed.clear()
            await self._changed.wait()


class ChunkedUploader:
    """INIT → APPEND × n (in parallel, sized by a :class:`Tuner`) → FINALIZE → STATUS polling.

    ``max_in_flight=None`` with a job whose ``chunk_size`` is ``None`` adapts within
    ``memory_budget`` (at most ``max_parallel`` parts at once); otherwise the parts are
    ``job.chunk_size`` (default 4 MiB) bytes, ``max_in_flight`` (default 4) at once.
    """

    def __init__(
        self,
        transport: Transport,
        protocol: ChunkedUploadProtocol,
        *,
        max_in_flight: int | None,
        processing_timeout: float,
        max_status_interval: float,
        memory_budget: int = 16 * MIB,
        max_parallel: int = 32,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.protocol = protocol
        self.max_in_flight = max_in_flight
        self.processing_timeout = processing_timeout
        self.max_status_interval = max_status_interval
        self.memory_budget = memory_budget
        self.max_parallel = max_parallel
        self.clock = clock
        #: The tuner of the last :meth:`append_all` (for logs, tests and benchmarks).
        self.tuner: Tuner | None = None

    def tuner_for(self, job: UploadJob, round_trip: float | None) -> Tuner:
        """The :class:`Tuner` for ``job``: fixed if anything was set explicitly."""
        if job.chunk_size is None and self.max_in_flight is None:
            return Tuner.adaptive(
                self.memory_budget,
                max_parallel=self.max_parallel,
                round_trip=round_trip,
                clock=self.clock,
            )
        size = job.chunk_size or max(DEFAULT_CHUNK_SIZE, math.ceil(job.size / MAX_SEGMENTS))
        return Tuner.fixed(self.max_in_flight or DEFAULT_IN_FLIGHT, size)

    async def upload(self, job: UploadJob, *, resume: ResumeTarget | None = None) -> Media:
        """Run the whole flow; with ``resume``, keep a journal and continue from it."""
        journal = await self._resumable_journal(job, resume)
        if journal is not None and journal.acknowledged:
            log.info(
                "resuming media %s: %d segments (%d bytes) already acknowledged",
                journal.media_id,
                len(journal.acknowledged),
                sum(n for i, (_, n) in journal.layout().items() if i in journal.acknowledged),
            )
            try:
                return await self._finish(job, journal.media_id, journal, resume, None)
            except APIError as exc:
                if exc.status >= 500 or isinstance(exc, RateLimitError):
                    raise
                # The service no longer knows the media (expired, purged): start over once.
                log.warning("cannot resume media %s (%s); starting over", journal.media_id, exc)
                await job.source.seek(0)
                await job.progress.advance(-job.progress.sent)
        began = self.clock()
        media_id, expires = await self.init(job)
        round_trip = self.clock() - began
        journal = None
        if resume is not None:
            journal = UploadJournal(
                media_id=media_id,
                total_bytes=job.size,
                chunk_size=job.chunk_size or DEFAULT_CHUNK_SIZE,
                media_type=job.media_type,
                media_category=job.media_category,
                fingerprint=resume.fingerprint,
                expires_at=time.time() + (expires or 3600),
            )
            await resume.store.save(resume.key, journal)
        return await self._finish(job, media_id, journal, resume, round_trip)

    async def _resumable_journal(
        self, job: UploadJob, resume: ResumeTarget | None
    ) -> UploadJournal | None:
        if resume is None:
            return None
        journal = await resume.store.load(resume.key)
        if journal is None:
            return None
        usable = journal.usable_for(
            fingerprint=resume.fingerprint,
            total_bytes=job.size,
            chunk_size=job.chunk_size or DEFAULT_CHUNK_SIZE,
        )
        if usable:
            try:
                resume_plan(journal.layout(), job.size, journal.acknowledged)
            except ValueError as exc:
                log.warning("ignoring resume journal of media %s: %s", journal.media_id, exc)
                usable = False
        if not usable:
            await resume.store.delete(resume.key)
            return None
        return journal

    async def _finish(
        self,
        job: UploadJob,
        media_id: str,
        journal: UploadJournal | None,
        resume: ResumeTarget | None,
        round_trip: float | None,
    ) -> Media:
        async def sending(index: int, offset: int, length: int) -> None:
            if journal is not None and resume is not None:
                journal.sending(index, offset, length)
                await resume.store.save(resume.key, journal)

        async def acknowledged(index: int, offset: int, length: int) -> None:
            if journal is not None and resume is not None:
                journal.acknowledged.add(index)
                await resume.store.save(resume.key, journal)

        await self.append_all(
            job,
            media_id,
            layout=journal.layout() if journal is not None else None,
            acknowledged=frozenset(journal.acknowledged) if journal is not None else frozenset(),
            on_send=sending if journal is not None else None,
            on_ack=acknowledged if journal is not None else None,
            round_trip=round_trip,
        )
        media = self.protocol.read_media(
            await self.transport.send(self.protocol.finalize(media_id))
        )
        if resume is not None:
            await resume.store.delete(resume.key)
        return await self.wait_for_processing(media)

    def first_window(self, job: UploadJob, *, local: bool = False) -> int:
        """How many APPENDs of ``job`` the first window puts on the wire (when adapting: on a
        remote path, or a ``local`` one): the connections worth opening while INIT is in
        flight."""
        tuner = self.tuner_for(job, 0.0 if local else None)
        count = offset = 0
        while count < tuner.parallel and offset < job.size:
            offset += tuner.part_size(job.size - offset, MAX_SEGMENTS - count)
            count += 1
        return count

    async def init(self, job: UploadJob) -> tuple[str, int | None]:
        """Send INIT; return the media id and its lifetime in seconds (if the service says).

        Meanwhile the other connections the first window of APPENDs will use
        (:meth:`first_window`; a loopback host counts as local) are opened (see
        :meth:`Transport.preconnect`), so those APPENDs skip their handshakes.  Opening one
        takes fewer round trips than INIT (which needs its own connection too), so they are
        normally ready with its answer; any still opening then (the connector's limit
        reached by other requests, a slow server) are given up rather than waited for: the
        APPENDs open their own.
        """
        request = self.protocol.init(
            total_bytes=job.size,
            media_type=job.media_type,
            media_category=job.media_category,
            additional_owners=job.additional_owners,
        )
        warming: asyncio.Task[int] | None = None
        more = self.first_window(job, local=is_loopback(request.url.host)) - 1
        if more > 0:
            warming = asyncio.create_task(self.transport.preconnect(request.url, more))
        try:
            media = self.protocol.read_media(await self.transport.send(request))
        finally:
            if warming is not None:
                warming.cancel()  # a no-op once it is done
                await asyncio.wait([warming])
                if not warming.cancelled() and warming.exception() is not None:
                    log.debug("preconnect failed: %r", warming.exception())
        return media.media_id_string, media.expires_after_secs

    async def append_all(
        self,
        job: UploadJob,
        media_id: str,
        *,
        layout: Mapping[int, tuple[int, int]] | None = None,
        acknowledged: frozenset[int] = frozenset(),
        on_send: Callable[[int, int, int], Awaitable[None]] | None = None,
        on_ack: Callable[[int, int, int], Awaitable[None]] | None = None,
        round_trip: float | None = None,
    ) -> None:
        """Send every segment not yet ``acknowledged``, reading the source front to back.

        ``layout`` (index → ``(offset, length)``) is where segments sent before lie (see
        :func:`resume_plan`).  ``on_send(index, offset, length)`` is awaited before a
        segment goes out, ``on_ack(...)`` after its acknowledgement.  Acknowledged bytes are
        counted as sent for progress.  ``round_trip`` (INIT's) seeds the adaptive tuner.
        """
        layout = layout or {}
        holes, index, offset = resume_plan(layout, job.size, acknowledged)
        tuner = self.tuner = self.tuner_for(job, round_trip)
        done = sum(length for i, (_, length) in layout.items() if i in acknowledged)
        await job.progress.advance(done)
        flight = _Flight()
        arena = _Arena(min(tuner.budget, max(1, job.size - done)))
        pending = iter(holes)
        try:
            async with asyncio.TaskGroup() as group:
                while True:
                    await flight.wait(lambda: flight.count < tuner.parallel)
                    hole = next(pending, None)
                    if hole is not None:
                        at, start, length = hole
                    elif offset < job.size:
                        at, start = index, offset
                        length = tuner.part_size(job.size - offset, MAX_SEGMENTS - index)
                        index, offset = index + 1, offset + length
                    else:
                        break
                    await flight.wait(flight.room_for(length, tuner.budget, arena))
                    part = await self._read_part(job, at, start, length, tuner.level, arena)
                    if on_send is not None:
                        try:
                            await on_send(at, start, length)
                        except BaseException:
                            part.release()
                            raise
                    flight.add(part.length)
                    group.create_task(self._append(job, media_id, part, tuner, flight, on_ack))
        except BaseExceptionGroup as group_error:
            raise first_error(group_error) from None
        finally:
            arena.close()

    @staticmethod
    async def _read_part(
        job: UploadJob, index: int, offset: int, length: int, level: int, arena: _Arena
    ) -> _Part:
        if job.source.position != offset:
            await job.source.seek(offset)
        part = _Part(index, offset, length, level, arena)
        try:
            got = await job.source.readinto(part.view)
        except BaseException:
            part.release()
            raise
        if got != length:
            part.release()
            raise MediaSourceError(
                f"{job.source.describe()} ended after {offset + got} of "
                f"{job.size} bytes; it changed while being uploaded"
            )
        return part

    async def _append(
        self,
        job: UploadJob,
        media_id: str,
        part: _Part,
        tuner: Tuner,
        flight: _Flight,
        on_ack: Callable[[int, int, int], Awaitable[None]] | None,
    ) -> None:
        try:
            request = self.protocol.append(media_id, part.index, job.filename)
            if tuner.adapts and not tuner.settled:
                ROUND_TRIP_OBSERVER.set(tuner.observe)  # this task's context only
            response = await self.transport.send(request, part.view, progress=job.progress)
            self.protocol.check(response)
            tuner.acknowledged(part.length, part.level)
            if on_ack is not None:
                await on_ack(part.index, part.offset, part.length)
        finally:
            part.release()
            flight.remove(part.length)


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
