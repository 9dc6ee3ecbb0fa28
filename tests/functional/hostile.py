"""A hostile server for the fuzz and regression tests: it answers what it is told to.

:class:`Hostile` holds two aiohttp.web applications on 127.0.0.1: the *service* (every request
gets the next :class:`Answer` of ``plan``, the last one repeating) and a second, recording
*origin* that redirects point at (it must never see a credential).  Answers can be whole,
in pieces, trickled, gzip-encoded (or a gzip bomb, or falsely labelled gzip), cut short,
reset, or redirects (to the other origin, to themselves, to malformed locations).

:class:`ServerThread` runs both in a background thread, so hypothesis examples can each use
their own ``asyncio.run`` (a fresh loop, whose leftovers are easy to see).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00" + (
    bytes(range(256)) * 8
)

# Credentials of every client the fuzz builds: none of them may reach the other origin.
OAUTH = {
    "consumer_key": "ckSECRETconsumerkey",
    "consumer_secret": "csSECRETconsumersecret",
    "access_token": "atSECRETaccesstoken",
    "access_token_secret": "atsSECRETtokensecret",
}
BEARER = "bearerSECRETtoken"
MASTODON_TOKEN = "mastodonSECRETtoken"
BLUESKY_PASSWORD = "bskySECRETpassword"
BLUESKY_JWT = "eyJhbGciOiJIUzI1NiJ9.jwtSECRET.sig"
API_KEY = "apikeySECRETvalue"
STATUSNET_USER, STATUSNET_PASSWORD = "alice", "statusnetSECRETpassword"

SECRETS: tuple[str, ...] = (
    *OAUTH.values(),
    BEARER,
    MASTODON_TOKEN,
    BLUESKY_PASSWORD,
    BLUESKY_JWT,
    API_KEY,
    STATUSNET_PASSWORD,
    base64.b64encode(f"{STATUSNET_USER}:{STATUSNET_PASSWORD}".encode()).decode(),
)

_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """About 20 KB of gzip that decodes to 20 MiB of zeros (over the 16 MiB answer cap)."""
    if not _BOMB:
        _BOMB.append(gzip.compress(bytes(20 * 1024 * 1024), compresslevel=9))
    return _BOMB[0]


@dataclass
class Answer:
    """One scripted answer.  ``mode``: whole, pieces, trickle, gzip, gzip_bomb, bad_gzip,
    short (Content-Length promises more, then the connection closes), reset (before any
    answer), reset_mid (half an answer), redirect (``location``: "other", "self" or literal).
    """

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    mode: str = "whole"
    pieces: int = 2
    delay: float = 0.0
    location: str = "other"
    headers: tuple[tuple[str, str], ...] = ()
    shape: str = "good"  # what the fuzz made of the body (for the case counts)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Hostile:
    """The scripted service and the recording second origin (see the module docstring)."""

    plan: list[Answer] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    elsewhere: list[Seen] = field(default_factory=list)
    other_answer: Answer = field(
        default_factory=lambda: Answer(404, b'{"errors": [{"code": 34, "message": "nope"}]}')
    )
    url: str = ""
    other_url: str = ""

    def reset(self, plan: list[Answer], other: Answer | None = None) -> None:
        self.plan = list(plan)
        self.requests.clear()
        self.elsewhere.clear()
        if other is not None:
            self.other_answer = other

    def leaked(self) -> list[str]:
        """Every secret that reached the other origin, in a header or a body."""
        found = []
        for seen in self.elsewhere:
            blob = " ".join(f"{k}: {v}" for k, v in seen.headers.items()).encode() + seen.body
            found += [secret for secret in SECRETS if secret.encode() in blob]
        return found

    async def _service(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Seen(request.method, request.path_qs, dict(request.headers), body))
        index = min(len(self.requests), len(self.plan)) - 1
        answer = self.plan[index] if self.plan else Answer()
        return await respond(request, answer, self.other_url)

    async def _other(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.elsewhere.append(Seen(request.method, request.path_qs, dict(request.headers), body))
        return await respond(request, self.other_answer, self.other_url)

    def apps(self) -> tuple[web.Application, web.Application]:
        service = web.Application(client_max_size=64 * 1024 * 1024)
        service.router.add_route("*", "/{tail:.*}", self._service)
        other = web.Application(client_max_size=64 * 1024 * 1024)
        other.router.add_route("*", "/{tail:.*}", self._other)
        return service, other

    async def start(self) -> list[web.AppRunner]:
        runners = []
        for app in self.apps():
            runner = web.AppRunner(app, shutdown_timeout=0.1, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
        self.url = f"http://127.0.0.1:{runners[0].addresses[0][1]}/"
        self.other_url = f"http://127.0.0.1:{runners[1].addresses[0][1]}/"
        return runners


async def respond(request: web.Request, answer: Answer, other_url: str) -> web.StreamResponse:
    headers = dict(answer.headers)
    if answer.content_type:
        headers["Content-Type"] = answer.content_type
    body = answer.body
    mode = answer.mode
    if mode == "redirect":
        target = {"other": other_url + "elsewhere", "self": str(request.url)}.get(
            answer.location, answer.location
        )
        headers["Location"] = target
        return web.Response(status=answer.status, body=body, headers=headers)
    if mode in ("reset", "reset_mid", "short"):
        if mode == "reset" and request.transport is not None:
            request.transport.abort()
            return web.Response(status=500)
        resp = web.StreamResponse(status=answer.status, headers=headers)
        resp.content_length = len(body) + (100 if mode == "short" else 0)
        await resp.prepare(request)
        await resp.write(body[: len(body) // 2] if mode == "reset_mid" else body)
        if request.transport is not None:
            request.transport.abort()
        return resp
    if mode in ("gzip", "gzip_bomb", "bad_gzip"):
        headers["Content-Encoding"] = "gzip"
        encoded = {"gzip": lambda: gzip.compress(body), "gzip_bomb": gzip_bomb}.get(
            mode, lambda: body
        )()
        return web.Response(status=answer.status, body=encoded, headers=headers)
    if mode in ("pieces", "trickle"):
        resp = web.StreamResponse(status=answer.status, headers=headers)
        resp.content_length = len(body)
        await resp.prepare(request)
        count = max(1, answer.pieces if mode == "pieces" else min(len(body), 40))
        step = max(1, -(-len(body) // count))
        for start in range(0, len(body), step):
            await resp.write(body[start : start + step])
            await asyncio.sleep(answer.delay)
        await resp.write_eof()
        return resp
    return web.Response(status=answer.status, body=body, headers=headers)


class ServerThread:
    """Runs a :class:`Hostile` in a background thread with its own event loop."""

    def __init__(self) -> None:
        self.hostile = Hostile()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []

    def __enter__(self) -> Hostile:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.hostile.start(), self._loop)
        self._runners = future.result(10)
        return self.hostile

    def __exit__(self, *exc: Any) -> None:
        async def stop() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def socket_inodes(ports: set[int]) -> set[str]:
    """Inodes of this process's TCP sockets connected *to* one of ``ports`` (client side)."""
    inodes: set[str] = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as handle:
                lines = handle.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            remote_port = int(parts[2].rsplit(":", 1)[1], 16)
            if remote_port in ports:
                inodes.add(parts[9])
    return inodes


def client_fds(ports: set[int]) -> set[str]:
    """Descriptors that are files, pipes, or client sockets to ``ports`` (not server ones)."""
    inodes = socket_inodes(ports) if ports else set()
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            if target[8:-1] in inodes:
                found.add(f"{fd}->{target}")
        elif not target.startswith(("anon_inode:", "/dev/")):
            found.add(f"{fd}->{target}")
    return found
