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
from asyncmedia.transport import ProgressReporter
from asyncmedia.uploaders import (
    PROBE_GAIN,
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


def test_remote_path_probes_more_parallelism_and_keeps_it_when_it_pays() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    assert tuner.parallel == 4 and not tuner.settled
    rate = 5e6
    for parallel in (8, 16, 32):
        feed(tuner, clock, rate=rate, acks=tuner.parallel + 1)  # opening ack + one window
        assert tuner.parallel == parallel, f"probing {parallel} parts"
        rate *= PROBE_GAIN * 1.1
    feed(tuner, clock, rate=rate, acks=33)
    assert (tuner.parallel, tuner.settled) == (32, True)
    assert tuner.rates[3] > tuner.rates[2] > tuner.rates[1] > tuner.rates[0]


def test_remote_path_steps_back_when_the_probe_does_not_pay() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    feed(tuner, clock, rate=10e6, acks=5)
    feed(tuner, clock, rate=20e6, acks=9)
    assert tuner.parallel == 16
    feed(tuner, clock, rate=21e6, acks=17)  # +5 %: not worth twice the requests
    assert (tuner.parallel, tuner.settled) == (8, True)
    feed(tuner, clock, rate=1e6, acks=100)  # settled: nothing moves any more
    assert tuner.parallel == 8


def test_a_filling_queue_means_the_link_is_full_and_stops_the_climb() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    tuner.observe_round_trip(0.050, 0.050)  # first sample: remote, empty queue
    feed(tuner, clock, rate=10e6, acks=1)  # opens the window
    for _ in range(4):
        tuner.observe_round_trip(0.080, 0.050)  # 1.6 x the minimum: the bottleneck queues
    feed(tuner, clock, rate=10e6, acks=4)
    assert (tuner.parallel, tuner.settled) == (4, True)
    assert tuner.last_queue_ratio == pytest.approx(1.6)


def test_an_empty_queue_lets_the_climb_go_on() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    feed(tuner, clock, rate=10e6, acks=1)
    for _ in range(4):
        tuner.observe_round_trip(0.021, 0.020)  # loss-limited streams: no queue
    feed(tuner, clock, rate=10e6, acks=4)
    assert (tuner.parallel, tuner.settled) == (8, False)


def test_acks_of_the_previous_setting_do_not_open_a_window() -> None:
    clock = FakeClock()
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.1, clock=clock)
    feed(tuner, clock, rate=20e6, acks=5)
    assert tuner.level == 1
    for _ in range(40):  # parts sent at 4 x 4 MiB still landing
        clock.now += 0.05
        tuner.acknowledged(4 * MIB, 0)
    assert 1 not in tuner.rates and tuner.level == 1


def test_kernel_round_trip_corrects_a_start_guessed_from_init() -> None:
    # A loaded machine made INIT on loopback look remote; the socket says otherwise.
    tuner = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.04)
    assert (tuner.parallel, tuner.settled) == (4, False)
    tuner.observe_round_trip(0.0001)
    assert (tuner.parallel, tuner.settled) == (4, True)
    # And a quick INIT over a long path (say, a warm proxy) is corrected the other way.
    remote = Tuner.adaptive(16 * MIB, max_parallel=32, round_trip=0.001)
    assert remote.settled
    remote.observe_round_trip(0.08)
    assert (remote.parallel, remote.settled) == (4, False)
    remote.observe_round_trip(0.0001)  # only the first sample decides
    assert not remote.settled and remote.tcp_round_trip == 0.0001


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
    await up.append_all(job, "1", round_trip=0.1)  # remote: 2 x 4 MiB, 4 x 2 MiB, ...
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
