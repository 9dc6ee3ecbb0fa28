"""The chunked uploader's tuner, part planning and resume plans, with a fake clock and a fake
transport (no network): explicit settings are kept exactly, adaptive ones stay in budget."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from asyncmedia.config import MIB, UploadConfig
from asyncmedia.protocols.http import HTTPRequest, HTTPResponse
from asyncmedia.protocols.twitter_v1 import TwitterV1Protocol
from asyncmedia.resume import UploadJournal
from asyncmedia.sources import BytesSource
from asyncmedia.transport import ProgressReporter, TcpSample
from asyncmedia.uploaders import (
    MIN_PART,
    REVERT_RATIO,
    ChunkedUploader,
    Level,
    Tuner,
    UploadJob,
    ladder,
    resume_plan,
)

KIB = 1024


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(tuner: Tuner, clock: FakeClock, *, rate: float, acks: int) -> None:
    """``acks`` acknowledgements of parts of the current setting, at ``rate`` bytes/s."""
    size = tuner.levels[tuner.level].part_size
    for _ in range(acks):
        clock.now += size / rate
        tuner.acknowledged(size, tuner.level)


def test_ladder_keeps_every_setting_within_the_budget() -> None:
    assert ladder(16 * MIB, 32) == [
        Level(4, 4 * MIB),
        Level(8, 2 * MIB),
        Level(16, MIB),
        Level(32, 512 * KIB),
    ]
    assert ladder(16 * MIB, 8) == [Level(4, 4 * MIB), Level(8, 2 * MIB)]
    assert ladder(MIB, 32) == [Level(1, MIB), Level(2, 512 * KIB), Level(4, 256 * KIB)]
    for level in ladder(40 * MIB, 64):
        assert level.parallel * level.part_size <= 40 * MIB
        assert level.part_size <= 5 * MIB


def test_fixed_tuner_never_changes() -> None:
    tuner = Tuner.fixed(3, MIB)
    for _ in range(50):
        tuner.acknowledged(MIB, 0)
    tuner.observe_round_trip(0.2)
    assert (tuner.parallel, tuner.part_size(100 * MIB, 1000), tuner.budget) == (3, MIB, 3 * MIB)


def test_local_path_stays_at_fewest_largest_parts() -> None:
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.002)
    assert (tuner.parallel, tuner.settled) == (4, True)
    assert tuner.part_size(64 * MIB, 1000) == 4 * MIB


def lossy(tuner: Tuner, *, ratio: float = 1.05, retransmitted: int = 3, cc: str = "cubic") -> None:
    """Kernel reports over one window: smoothed round trip ``ratio`` times 20 ms."""
    for _ in range(tuner.parallel):
        tuner.observe(TcpSample(0.020 * ratio, 0.020, 0, cc), retransmitted)


def window(tuner: Tuner, clock: FakeClock, *, rate: float, **kernel: Any) -> None:
    """One window of the current setting: an opening acknowledgement, kernel reports, then
    as many acknowledgements as parts on the wire, at ``rate`` bytes/s."""
    feed(tuner, clock, rate=rate, acks=1)
    lossy(tuner, **kernel)
    feed(tuner, clock, rate=rate, acks=tuner.parallel)


def test_remote_path_starts_wide_and_staggers_the_first_window() -> None:
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1)
    assert (tuner.parallel, tuner.settled, tuner.shaping) == (16, False, True)
    opening = [tuner.part_size(64 * MIB, 1000) for _ in range(16)]
    assert opening == sorted(opening) and opening[0] < MIB // 3 and opening[-1] == MIB
    assert len(set(opening)) == 16, "answers spread out instead of landing together"
    assert sum(opening) <= 16 * MIB
    assert tuner.part_size(64 * MIB, 1000) == MIB  # then whole parts


def test_remote_parts_shrink_with_the_last_budget() -> None:
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1)
    for _ in range(16):
        tuner.part_size(64 * MIB, 1000)
    assert tuner.part_size(32 * MIB, 1000) == MIB
    assert tuner.part_size(8 * MIB, 1000) == 512 * KIB  # half a part per connection left
    assert tuner.part_size(2 * MIB, 1000) == MIN_PART  # never below the smallest part
    assert tuner.part_size(1000, 1000) == 1000  # the last part is what is left


def test_streams_held_back_by_loss_climb_to_more_parallelism() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    window(tuner, clock, rate=10e6)  # retransmissions, empty queue: loss holds them back
    assert (tuner.parallel, tuner.settled) == (32, False)
    window(tuner, clock, rate=10e6 * REVERT_RATIO * 1.01)  # not worse enough to undo
    assert (tuner.parallel, tuner.settled) == (32, True)  # top of the ladder
    assert set(tuner.rates) == {2, 3}


def test_a_climb_that_hurts_is_undone() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    window(tuner, clock, rate=20e6)
    assert tuner.parallel == 32
    window(tuner, clock, rate=20e6 * REVERT_RATIO * 0.9)
    assert (tuner.parallel, tuner.settled) == (16, True)
    feed(tuner, clock, rate=1e6, acks=100)  # settled: nothing moves any more
    assert tuner.parallel == 16


@pytest.mark.parametrize(
    ("kernel", "why"),
    [
        ({"ratio": 1.6}, "the bottleneck queues: the link is full"),
        ({"retransmitted": 0}, "nothing lost: loss does not hold the streams back"),
        ({"cc": "bbr"}, "BBR does not slow down on random loss"),
    ],
)
def test_no_climb_unless_loss_holds_the_streams_back(kernel: dict[str, Any], why: str) -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    window(tuner, clock, rate=10e6, **kernel)
    assert (tuner.parallel, tuner.settled) == (16, True), why
    assert tuner.last_queue_ratio is not None and "16 x 1024 KiB" in tuner.describe()


def test_acks_of_the_previous_setting_do_not_open_a_window() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    window(tuner, clock, rate=20e6)
    assert tuner.level == 3
    for _ in range(40):  # parts sent at 16 x 1 MiB still landing
        clock.now += 0.05
        tuner.acknowledged(MIB, 2)
    assert 3 not in tuner.rates and tuner.level == 3


def test_kernel_round_trip_corrects_a_start_guessed_from_init() -> None:
    # A loaded machine made INIT on loopback look remote; the socket says otherwise.
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.04)
    assert (tuner.parallel, tuner.settled) == (16, False)
    tuner.observe_round_trip(0.0001)
    assert (tuner.parallel, tuner.settled, tuner.shaping) == (4, True, False)
    # And a quick INIT over a long path (say, a warm proxy) is corrected the other way.
    remote = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.001)
    assert remote.settled and remote.parallel == 4
    remote.observe_round_trip(0.08)
    assert (remote.parallel, remote.settled, remote.shaping) == (16, False, True)
    remote.observe_round_trip(0.0001)  # only the first sample decides
    assert not remote.settled and remote.tcp_round_trip == 0.0001


def test_small_budgets_start_wide_too() -> None:
    tuner = Tuner.adaptive(4 * MIB, max_parallel=32, round_trip=0.1)
    assert [(x.parallel, x.part_size) for x in tuner.levels][tuner.level] == (4, MIB)
    big = Tuner.adaptive(64 * MIB, max_parallel=32, round_trip=0.1)
    # No rung of 1 MiB or less within 32 parts: the most parts allowed (26 x 2.5 MiB).
    assert (big.level, big.settled) == (len(big.levels) - 1, True) and big.parallel == 26


def test_part_size_respects_the_segment_limit() -> None:
    tuner = Tuner([Level(16, 512 * KIB)], budget=8 * MIB)
    assert tuner.part_size(600 * MIB, 1000) == -(-600 * MIB // 1000)
    assert tuner.part_size(10 * MIB, 900) == 512 * KIB
    assert tuner.part_size(1000, 900) == 1000  # the last part is what is left


def test_resume_plan_refills_gaps_with_the_indexes_between_neighbours() -> None:
    done = {0: (0, 4 * MIB), 1: (4 * MIB, 4 * MIB), 3: (12 * MIB, MIB)}
    assert resume_plan(done, 20 * MIB) == ([(2, 8 * MIB, 4 * MIB)], 4, 13 * MIB)
    # Two indexes for a 3 MiB gap: split evenly, no index skipped.
    parts, index, offset = resume_plan({0: (0, MIB), 3: (4 * MIB, MIB)}, 6 * MIB)
    assert parts == [(1, MIB, 1536 * KIB), (2, MIB + 1536 * KIB, 1536 * KIB)]
    assert (index, offset) == (4, 5 * MIB)
    assert resume_plan({}, 5) == ([], 0, 0)
    # Sent but never confirmed: sent again with exactly its range (the service may hold it).
    sent = {0: (0, MIB), 1: (MIB, 256 * KIB), 2: (MIB + 256 * KIB, 256 * KIB)}
    assert resume_plan(sent, 4 * MIB, {0, 2}) == ([(1, MIB, 256 * KIB)], 3, 1536 * KIB)


@pytest.mark.parametrize(
    "done",
    [
        {1: (0, MIB)},  # index 0 would have no bytes
        {0: (0, MIB), 1: (2 * MIB, MIB)},  # a hole with no index for it
        {0: (0, MIB), 1: (MIB - 1, MIB)},  # overlap
        {0: (0, MIB), 2: (30 * MIB, MIB)},  # one index cannot carry 29 MiB
        {0: (0, 20 * MIB)},  # past the end
    ],
)
def test_resume_plan_rejects_segments_that_do_not_fit(done: dict[int, tuple[int, int]]) -> None:
    with pytest.raises(ValueError, match=r"does not follow|after the"):
        resume_plan(done, 10 * MIB)


def test_journal_records_ranges_and_reads_old_journals() -> None:
    journal = UploadJournal("1", 10 * MIB, 4 * MIB, "video/mp4", None, "fp", 2e9)
    journal.sending(0, 0, MIB)
    journal.sending(1, MIB, 512 * KIB)
    journal.acknowledged.add(0)
    again = UploadJournal.from_json(journal.to_json())
    assert again.layout() == {0: (0, MIB), 1: (MIB, 512 * KIB)}
    assert again.acknowledged == {0}
    assert again.usable_for(fingerprint="fp", total_bytes=10 * MIB, chunk_size=MIB, now=0)

    old = UploadJournal.from_json(
        '{"media_id": "1", "total_bytes": 10485760, "chunk_size": 4194304, "media_type": '
        '"video/mp4", "media_category": null, "fingerprint": "fp", "expires_at": 2e9, '
        '"acknowledged": [0, 2]}'
    )
    assert old.layout() == {0: (0, 4 * MIB), 1: (4 * MIB, 4 * MIB), 2: (8 * MIB, 2 * MIB)}
    assert old.usable_for(fingerprint="fp", total_bytes=10 * MIB, chunk_size=4 * MIB, now=0)
    assert not old.usable_for(fingerprint="fp", total_bytes=10 * MIB, chunk_size=MIB, now=0)


def test_config_defaults_adapt_and_explicit_settings_do_not() -> None:
    assert UploadConfig().adaptive
    assert UploadConfig().memory_budget == 16 * MIB
    assert not UploadConfig(max_in_flight=4).adaptive
    assert not UploadConfig(chunk_size=MIB).adaptive
    with pytest.raises(ValueError, match="memory_budget"):
        UploadConfig(memory_budget=1000)
    with pytest.raises(ValueError, match="max_in_flight"):
        UploadConfig(max_in_flight=0)


# -- the uploader against a fake transport ------------------------------------------------


class FakeTransport:
    """Answers APPENDs after ``delay`` seconds of a fake clock, recording what was in flight."""

    def __init__(self, clock: FakeClock, delay: float) -> None:
        self.clock = clock
        self.delay = delay
        self.parts: dict[int, bytes] = {}
        self.in_flight = 0
        self.bytes_in_flight = 0
        self.max_in_flight = 0
        self.max_bytes_in_flight = 0
        self.sizes: list[int] = []

    async def send(
        self, request: HTTPRequest, data: Any = None, *, progress: ProgressReporter | None = None
    ) -> HTTPResponse:
        index = int(dict(request.fields)["segment_index"])
        body = bytes(data)
        self.in_flight += 1
        self.bytes_in_flight += len(body)
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_bytes_in_flight = max(self.max_bytes_in_flight, self.bytes_in_flight)
        await asyncio.sleep(0)
        self.clock.now += self.delay
        await asyncio.sleep(0)
        self.in_flight -= 1
        self.bytes_in_flight -= len(body)
        self.parts[index] = body
        self.sizes.append(len(body))
        if progress is not None:
            await progress.advance(len(body))
        return HTTPResponse(204, "No Content", {}, b"")

    def assembled(self) -> bytes:
        assert sorted(self.parts) == list(range(len(self.parts))), "no index skipped"
        return b"".join(self.parts[i] for i in sorted(self.parts))


def job_for(data: bytes, chunk_size: int | None) -> UploadJob:
    return UploadJob(
        source=BytesSource(data),
        size=len(data),
        filename="clip.mp4",
        media_type="video/mp4",
        media_category="tweet_video",
        additional_owners=(),
        chunk_size=chunk_size,
        progress=ProgressReporter(None, len(data)),
    )


def uploader(transport: FakeTransport, clock: FakeClock, **kw: Any) -> ChunkedUploader:
    return ChunkedUploader(
        transport,  # type: ignore[arg-type]
        TwitterV1Protocol("http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/1.1/"),
        processing_timeout=10,
        max_status_interval=1,
        clock=clock,
        **kw,
    )


def data_of(size: int) -> bytes:
    return (hashlib.sha256(b"parts").digest() * (size // 32 + 1))[:size]


async def test_explicit_max_in_flight_is_exactly_that() -> None:
    clock = FakeClock()
    transport = FakeTransport(clock, delay=0.01)
    data = data_of(10 * MIB + 5)
    up = uploader(transport, clock, max_in_flight=3)
    await up.append_all(job_for(data, MIB), "1", round_trip=0.2)
    assert transport.max_in_flight == 3
    assert set(transport.sizes) == {MIB, 5}
    assert transport.assembled() == data


async def test_adaptive_upload_mixes_part_sizes_within_the_budget() -> None:
    clock = FakeClock()
    transport = FakeTransport(clock, delay=0.05)
    data = data_of(48 * MIB + 123)
    up = uploader(transport, clock, max_in_flight=None, memory_budget=8 * MIB, max_parallel=32)
    job = job_for(data, None)
    await up.append_all(job, "1", round_trip=0.1)  # remote: 8 x 1 MiB, staggered, tapered
    assert up.tuner is not None and up.tuner.rates
    assert len(set(transport.sizes) - {transport.sizes[-1]}) >= 2, "differing segment sizes"
    assert transport.max_bytes_in_flight <= 8 * MIB
    assert transport.assembled() == data
    assert job.progress.sent == len(data)


async def test_append_all_fills_the_gaps_of_a_journal_and_continues() -> None:
    clock = FakeClock()
    transport = FakeTransport(clock, delay=0.01)
    data = data_of(9 * MIB)
    done = {0: (0, MIB), 2: (3 * MIB, 512 * KIB)}
    acked: list[tuple[int, int, int]] = []
    sent: list[tuple[int, int, int]] = []

    async def on_ack(index: int, offset: int, length: int) -> None:
        assert (index, offset, length) in sent, "recorded before it went out"
        acked.append((index, offset, length))

    async def on_send(index: int, offset: int, length: int) -> None:
        sent.append((index, offset, length))

    job = job_for(data, None)
    await uploader(transport, clock, max_in_flight=None).append_all(
        job,
        "1",
        layout=done,
        acknowledged=frozenset(done),
        on_send=on_send,
        on_ack=on_ack,
        round_trip=0.001,
    )
    assert transport.parts[1] == data[MIB : 3 * MIB]  # the gap, as one segment of 2 MiB
    assert min(transport.parts) == 1 and 0 not in transport.parts and 2 not in transport.parts
    for index, (offset, length) in done.items():
        transport.parts[index] = data[offset : offset + length]
    assert transport.assembled() == data
    assert {a[0] for a in acked} == set(transport.parts) - set(done)
    assert job.progress.sent == len(data)


@pytest.mark.parametrize(
    ("size", "settings", "expected"),
    [
        (64 * MIB, {"max_in_flight": None}, 16),  # the wide start: 16 x 1 MiB
        (3 * MIB, {"max_in_flight": None}, 12),  # tapered to 256 KiB parts
        (100 * KIB, {"max_in_flight": None}, 1),
        (6 * MIB, {"max_in_flight": 4, "chunk": MIB}, 4),
        (MIB, {"max_in_flight": 4, "chunk": MIB}, 1),
        (64 * MIB, {"max_in_flight": 1, "chunk": None}, 1),
    ],
)
def test_first_window_counts_the_connections_worth_opening_during_init(
    size: int, settings: dict[str, Any], expected: int
) -> None:
    clock = FakeClock()
    up = uploader(FakeTransport(clock, delay=0.01), clock, max_in_flight=settings["max_in_flight"])
    job = job_for(b"", settings.get("chunk"))
    job.size = size
    assert up.first_window(job) == expected


def test_first_window_on_a_local_path_is_the_local_start() -> None:
    clock = FakeClock()
    up = uploader(FakeTransport(clock, delay=0.01), clock, max_in_flight=None)
    job = job_for(b"", None)
    job.size = 64 * MIB
    assert up.first_window(job, local=True) == 4  # 4 x 4 MiB


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/x", True),
        ("http://127.3.4.5/x", True),
        ("http://[::1]:99/x", True),
        ("http://localhost/x", True),
        ("http://a.localhost/x", True),
        ("https://upload.twitter.com/1.1/media/upload.json", False),
        ("http://10.201.2.1/x", False),
        ("http://[2001:db8::1]/x", False),
    ],
)
def test_loopback_hosts(url: str, loopback: bool) -> None:
    # What the uploader asks of the upload URL before opening its first window's connections.
    from yarl import URL

    from asyncmedia.service import is_loopback

    assert is_loopback(URL(url).host) is loopback


def test_retransmissions_are_counted_per_connection_between_its_reports() -> None:
    # A part's bytes mostly leave the socket buffer after its last write: retransmissions
    # then show only in the connection's next report, and must still count, once.
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1)
    tuner.observe(TcpSample(0.02, 0.02, 7, "cubic", connection=5))  # baseline of fd 5
    tuner.observe(TcpSample(0.02, 0.02, 100, "cubic", connection=6))  # baseline of fd 6
    assert tuner._retransmitted == 0
    tuner.observe(TcpSample(0.02, 0.02, 7, "cubic", connection=5))  # end of the write
    tuner.observe(TcpSample(0.02, 0.02, 12, "cubic", connection=5))  # next part: +5
    tuner.observe(TcpSample(0.02, 0.02, 103, "cubic", connection=6))  # +3
    assert tuner._retransmitted == 8
    tuner.observe(TcpSample(0.02, 0.02, 1, "cubic", connection=6))  # a new socket, same fd
    tuner.observe(TcpSample(0.02, 0.02, 2, "cubic", connection=6))  # +1
    assert tuner._retransmitted == 9
