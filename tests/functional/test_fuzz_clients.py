"""Every client against a hostile server: garbage answers, never a bare exception or a leak.

A hypothesis-driven :class:`hostile.Hostile` server answers the requests of MediaClient (v1.1
and v2), Mastodon, Bluesky, TwitPic, TwitrPix and StatusNet with generated answers: random
statuses, valid, truncated and mis-shaped JSON/XML, deep nesting, odd ids and processing
states, wrong content types, gzip (real, bogus, bombs), answers in pieces, slow trickles,
resets, cut-short bodies, redirects to a second recording origin, to themselves (loops) and
to malformed locations; now and then the caller cancels at a random point.  For every case:
the call returns its result type, raises an ``AsyncMediaError`` (or the cancellation asked
for); no secret reaches the second origin; no descriptor, task, loop error or ResourceWarning
is left; it ends in bounded time.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fuzzing import COUNTS, fuzz_settings
from hostile import (
    API_KEY,
    BEARER,
    BLUESKY_JWT,
    BLUESKY_PASSWORD,
    MASTODON_TOKEN,
    OAUTH,
    PNG,
    STATUSNET_PASSWORD,
    STATUSNET_USER,
    Answer,
    Hostile,
    ServerThread,
    client_fds,
)
from hypothesis import given
from hypothesis import strategies as st

from asyncmedia import (
    AsyncMediaError,
    Blob,
    BlueskyClient,
    MastodonClient,
    MastodonMedia,
    Media,
    MediaClient,
    StatusNetClient,
    StatusNetStatus,
    TwitPicClient,
    TwitPicPhoto,
    TwitrPixClient,
    TwitrPixMedia,
)

FAST = {
    "retries": 1,
    "backoff": 0.001,
    "max_backoff": 0.005,
    "request_timeout": 1.5,
    "max_rate_limit_wait": 0.3,
    "processing_timeout": 0.5,
    "max_status_interval": 0.01,
}
CASE_DEADLINE = 10.0  # seconds: a case taking longer is a hang


# -- what a correct answer of each service looks like (the fuzz mutates these) --------------

X_MEDIA = {"media_id": 1880028106020515840, "media_id_string": "1880028106020515840",
           "size": len(PNG), "expires_after_secs": 86400, "image": {"image_type": "image/png"}}
X2_MEDIA = {"data": {"id": "1880028106020515840", "media_key": "3_1880028106020515840",
                     "size": len(PNG), "expires_after_secs": 86400}}
MASTODON_MEDIA = {"id": "109876543210", "type": "image", "url": "https://files.example/a.png",
                  "preview_url": "https://files.example/s.png", "description": None, "meta": {}}
BLUESKY_SESSION = {"accessJwt": BLUESKY_JWT, "refreshJwt": "r.e.f", "handle": "me.test",
                   "did": "did:plc:abcdefghijklmnop"}
BLUESKY_BLOB = {"blob": {"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaq"},
                         "mimeType": "image/png", "size": len(PNG)}}
TWITPIC_PHOTO = {"id": "1lacuz", "text": "hi", "url": "http://twitpic.com/1lacuz", "width": 16,
                 "height": 16, "size": len(PNG), "type": "png",
                 "timestamp": "Wed, 05 May 2010 16:11:48 +0000",
                 "user": {"id": 12345, "screen_name": "tester"}}
TWITRPIX_MEDIA = {"response": {"status": "ok", "media": {"id": "abc123",
                                                         "url": "http://twitrpix.com/abc123"},
                               "user": {"id": "1", "screen_name": "tester"}}}
STATUSNET_STATUS = {"id": 4242, "text": "x http://example.test/a", "created_at":
                    "Tue Dec 01 19:00:00 +0000 2026", "source": "asyncmedia",
                    "user": {"id": 7, "screen_name": STATUSNET_USER, "name": "Alice"}}

GOOD: dict[str, list[dict[str, Any]]] = {
    "x1": [X_MEDIA],
    "x2": [X2_MEDIA],
    "mastodon": [MASTODON_MEDIA],
    "bluesky": [BLUESKY_SESSION, BLUESKY_BLOB],
    "twitpic": [TWITPIC_PHOTO],
    "twitrpix": [TWITRPIX_MEDIA],
    "statusnet": [STATUSNET_STATUS],
}


def _client(kind: str, base: str) -> Any:
    if kind == "x1":
        return MediaClient(**OAUTH, upload_url=base, api_url=base, **FAST)
    if kind == "x2":
        return MediaClient(bearer_token=BEARER, api_version=2, upload_url=base, **FAST)
    if kind == "mastodon":
        return MastodonClient(base, MASTODON_TOKEN, poll_interval=0.01, max_poll_interval=0.02,
                              **FAST)
    if kind == "bluesky":
        return BlueskyClient(base, identifier="me.test", password=BLUESKY_PASSWORD, **FAST)
    if kind.startswith("twitpic"):
        return TwitPicClient(API_KEY, **OAUTH, base_url=base, response_format=kind[-4:].strip("-"),
                             **FAST)
    if kind.startswith("twitrpix"):
        return TwitrPixClient(API_KEY, **OAUTH, base_url=base + "1/",
                              response_format=kind[-4:].strip("-"), **FAST)
    return StatusNetClient(STATUSNET_USER, STATUSNET_PASSWORD, base_url=base + "api/",
                           response_format=kind[-4:].strip("-"), **FAST)


RESULT_TYPES: dict[str, type] = {
    "x1": Media, "x2": Media, "mastodon": MastodonMedia, "bluesky": Blob,
    "twitpic": TwitPicPhoto, "twitrpix": TwitrPixMedia, "statusnet": StatusNetStatus,
}


def _operation(kind: str, client: Any) -> Callable[[], Awaitable[Any]]:
    if kind in ("x1", "x2"):
        return lambda: client.upload_media(PNG)
    if kind == "mastodon":
        return lambda: client.upload_media(PNG)
    if kind == "bluesky":
        return lambda: client.upload_blob(PNG)
    if kind.startswith(("twitpic", "twitrpix")):
        return lambda: client.upload(PNG, "hello")
    return lambda: client.update_with_media(PNG, status="hello")


KINDS = ["x1", "x2", "mastodon", "bluesky", "twitpic-json", "twitpic-xml", "twitrpix-json",
         "twitrpix-xml", "statusnet-json", "statusnet-xml"]

# -- answer strategies ----------------------------------------------------------------------

ODD_IDS = st.sampled_from(["-1", " 12", "1_000", "", "../x", "١٢", "1e3", 1.5, None, [], {},
                           True, -7, "9" * 40, "a b", "12\r\n"])
ODD_PROCESSING = st.sampled_from([
    {"state": "failed", "error": "x"}, ["pending"], "pending", {"state": "pending"},
    {"state": "in_progress", "check_after_secs": 1e308}, {"state": "failed", "error": []},
    {"state": "failed"}, {"state": None}, {"state": "succeeded", "progress_percent": "x"},
    {"state": "pending", "check_after_secs": -5}, {"state": "pending", "check_after_secs": True},
])


def _mutate(draw: st.DrawFn, good: dict[str, Any]) -> Any:
    """A copy of ``good`` with one field replaced, removed or re-shaped."""
    data = json.loads(json.dumps(good))
    target = data
    while isinstance(target, dict) and target and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(target)))
        if isinstance(target[key], dict):
            target = target[key]
        else:
            break
    if not isinstance(target, dict) or not target:
        return data
    key = draw(st.sampled_from(sorted(target)))
    how = draw(st.sampled_from(["drop", "id", "processing", "json"]))
    if how == "drop":
        del target[key]
    elif how == "id":
        target[key] = draw(ODD_IDS)
    elif how == "processing":
        target["processing_info"] = draw(ODD_PROCESSING)
    else:
        target[key] = draw(st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4),
                                                                         inner, max_size=3),
            max_leaves=6,
        ))
    return data


XML_ROOTS = {"twitpic": "image", "statusnet": "status", "twitrpix": "response"}


def _to_xml(data: Any, tag: str = "rsp") -> bytes:
    def render(value: Any, name: str) -> str:
        if isinstance(value, dict):
            inner = "".join(render(v, str(k) or "k") for k, v in value.items()
                            if str(k).isidentifier())
            return f"<{name}>{inner}</{name}>"
        if isinstance(value, list):
            return "".join(render(v, name) for v in value)
        text = "" if value is None else str(value)
        text = text.replace("&", "&amp;").replace("<", "&lt;")
        return f"<{name}>{text}</{name}>"

    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), dict):
        tag, data = next(iter(data.items()))
    return ('<?xml version="1.0" encoding="UTF-8"?>' + render(data, tag)).encode()


@st.composite
def bodies(draw: st.DrawFn, kind: str) -> tuple[str, bytes, str | None]:
    service = kind.split("-")[0]
    xml = kind.endswith("xml")
    good = draw(st.sampled_from(GOOD[service]))
    shape = draw(st.sampled_from([
        "good", "good", "good", "mutated", "mutated", "truncated", "deep-json", "deep-xml",
        "bogus-encoding", "utf32-xml", "random", "html", "empty", "error-shape",
    ]))
    if shape == "good":
        data = good
    elif shape == "mutated":
        data = _mutate(draw, good)
    elif shape == "error-shape":
        data = draw(st.sampled_from([
            {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, {"error": "nope"},
            {"errors": "x"}, {"error": {"code": "x"}}, {"errors": [None]},
            {"response": {"status": "fail", "error": {"code": "1000", "msg": "Unknown"}}},
            {"response": {"status": "fail", "error": "str"}}, [1, 2], "string",
        ]))
    else:
        data = None
    if data is not None:
        raw = _to_xml(data, XML_ROOTS[service]) if xml and service in XML_ROOTS else (
            json.dumps(data).encode()
        )
        return shape, raw, "application/xml" if raw.startswith(b"<?xml") else "application/json"
    if shape == "truncated":
        raw = json.dumps(good).encode()
        return shape, raw[: draw(st.integers(0, len(raw) - 1))], "application/json"
    if shape == "deep-json":
        return shape, b"[" * 100_000 + b"]" * 100_000, "application/json"
    if shape == "deep-xml":
        return shape, b"<a>" * 50_000 + b"</a>" * 50_000, "application/xml"
    if shape == "bogus-encoding":
        return shape, b'<?xml version="1.0" encoding="x-bogus"?><rsp stat="ok"/>', "text/xml"
    if shape == "utf32-xml":
        return shape, b'<?xml version="1.0" encoding="utf-32"?><rsp stat="ok"/>', "text/xml"
    if shape == "html":
        return shape, b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "text/html"
    if shape == "empty":
        return shape, b"", None
    return shape, draw(st.binary(max_size=300)), draw(
        st.sampled_from([None, "application/json", "text/plain", "image/png"])
    )


STATUSES = st.sampled_from([200, 200, 200, 201, 202, 204, 206, 400, 401, 403, 404, 413, 415,
                            420, 422, 429, 500, 502, 503, 504, 599])
MODES = st.sampled_from(["whole", "whole", "whole", "pieces", "trickle", "gzip", "gzip_bomb",
                         "bad_gzip", "short", "reset", "reset_mid", "redirect", "redirect"])
LOCATIONS = st.sampled_from(["other", "other", "self", "http://[::1", "http://h:99999/",
                             "ftp://127.0.0.1/x", "//", "http://127.0.0.1:1/closed", "/relative"])


@st.composite
def answers(draw: st.DrawFn, kind: str) -> Answer:
    shape, body, content_type = draw(bodies(kind))
    mode = draw(MODES)
    if draw(st.integers(0, 9)) == 0:  # a wrong content type now and then
        content_type = draw(st.sampled_from(["text/html", "image/gif", "application/x-garbage",
                                             "application/json; charset=bogus"]))
    headers: tuple[tuple[str, str], ...] = ()
    status = draw(STATUSES)
    if status in (420, 429):
        headers = (("x-rate-limit-reset", str(int(time.time()) + draw(st.integers(0, 2)))),)
    if mode == "redirect":
        status = draw(st.sampled_from([301, 302, 303, 307, 308]))
        location = draw(LOCATIONS)
        return Answer(status, body, content_type, mode, location=location, headers=headers,
                      shape=shape)
    delay = draw(st.sampled_from([0.0, 0.001, 0.01, 0.03]))
    if mode == "trickle":
        delay = min(delay, 0.002)  # up to 40 pieces: a slow trickle, yet bounded
    return Answer(status, body, content_type, mode, pieces=draw(st.integers(2, 4)),
                  delay=delay, headers=headers, shape=shape)


@st.composite
def benign_answers(draw: st.DrawFn, kind: str) -> list[Answer]:
    """The service's correct answers, delivered in ways a correct client must accept."""
    service = kind.split("-")[0]
    xml = kind.endswith("xml") and service in ("twitpic", "twitrpix", "statusnet")
    plan = []
    for good in GOOD[service]:
        body = _to_xml(good, XML_ROOTS[service]) if xml else json.dumps(good).encode()
        mode = draw(st.sampled_from(["whole", "pieces", "trickle", "gzip"]))
        plan.append(Answer(200, body, "application/xml" if xml else "application/json", mode,
                           pieces=draw(st.integers(2, 4)), delay=0.002 if mode == "trickle"
                           else draw(st.sampled_from([0.0, 0.03]))))
    return plan


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[Answer], Answer, float | None]:
    kind = draw(st.sampled_from(KINDS))
    if draw(st.integers(0, 3)) == 0:
        plan = draw(benign_answers(kind))
        if draw(st.booleans()):  # a redirect first: same origin (followed) or elsewhere
            plan.insert(0, Answer(draw(st.sampled_from([307, 308])), b"", None, "redirect",
                                  location=draw(st.sampled_from(["/again", "other"]))))
    else:
        plan = [draw(answers(kind)) for _ in range(draw(st.integers(1, 4)))]
    other = draw(answers(kind))
    if other.mode == "redirect":
        other.location = draw(st.sampled_from(["self", "other"]))
    # Now and then the caller gives up: cancelled at a random point of the exchange.
    cancel_after = draw(st.sampled_from([None, None, None, None, 0.0, 0.005, 0.02, 0.06]))
    return kind, plan, other, cancel_after


@pytest.fixture(scope="module")
def hostile() -> Iterator[Hostile]:
    with ServerThread() as server:
        yield server


def _ports(hostile: Hostile) -> set[int]:
    return {int(hostile.url.rsplit(":", 1)[1].strip("/")),
            int(hostile.other_url.rsplit(":", 1)[1].strip("/"))}


def run_case(
    hostile: Hostile, kind: str, cancel_after: float | None = None
) -> tuple[str, list[str]]:
    """Run one client call in a fresh loop; return its outcome and what the loop reported."""
    loop_errors: list[str] = []

    async def main() -> str:
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: loop_errors.append(str(context.get("message")))
        )
        client = _client(kind, hostile.url)
        try:
            async with client:
                task = asyncio.ensure_future(
                    asyncio.wait_for(_operation(kind, client)(), CASE_DEADLINE)
                )
                if cancel_after is not None:
                    await asyncio.sleep(cancel_after)
                    task.cancel()
                result = await task
        except asyncio.CancelledError:
            assert cancel_after is not None, f"{kind}: cancelled without being asked"
            outcome = "cancelled"
        except AsyncMediaError as exc:
            outcome = f"error {type(exc).__name__}"
        except TimeoutError:
            raise AssertionError(f"{kind}: no result in {CASE_DEADLINE}s (a hang)") from None
        else:
            expected = RESULT_TYPES[kind.split("-")[0]]
            assert isinstance(result, expected), f"{kind} returned {result!r}"
            outcome = f"result {type(result).__name__}"
        await asyncio.sleep(0)
        current = asyncio.current_task()
        for _ in range(50):
            left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
            if not left:
                break
            await asyncio.sleep(0.01)
        assert not left, f"tasks left behind: {left}"
        return outcome

    return asyncio.run(main()), loop_errors


@fuzz_settings(100)
@given(case=cases())
def test_every_client_survives_a_hostile_server(
    hostile: Hostile, case: tuple[str, list[Answer], Answer, float | None]
) -> None:
    kind, plan, other, cancel_after = case
    hostile.reset(plan, other)
    ports = _ports(hostile)
    before = client_fds(ports)
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome, loop_errors = run_case(hostile, kind, cancel_after)
        gc.collect(1)  # the young generations: what this case made (a full collection is slow)
    elapsed = time.monotonic() - started
    COUNTS[f"clients: {kind}"] += 1
    for answer in plan:
        COUNTS[f"clients: answers {answer.mode}"] += 1
        COUNTS[f"clients: bodies {answer.shape}"] += 1
    COUNTS[f"clients: outcome {outcome}"] += 1
    if hostile.elsewhere:
        COUNTS["clients: cases that reached the second origin"] += 1
    assert hostile.leaked() == [], f"secrets at the second origin: {hostile.leaked()}"
    resource = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert resource == [], resource
    assert loop_errors == [], loop_errors
    for _ in range(50):
        leaked = client_fds(ports) - before
        if not leaked:
            break
        time.sleep(0.01)
    assert not leaked, f"descriptors left open: {leaked}"
    assert elapsed < CASE_DEADLINE + 2
    if os.environ.get("ASYNCMEDIA_FUZZ_SLOW"):
        print(f"case {elapsed:.2f}s total {time.monotonic() - started:.2f}s: {kind} {outcome}")
