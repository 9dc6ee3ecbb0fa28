"""aiohttp servers on 127.0.0.1 for tests: :func:`serving` starts an app on a free port and
stops it after; :class:`MediaServer` (and its ``media_server`` fixture) serves registered
bytes, for URL and response sources."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from yarl import URL


@asynccontextmanager
async def serving(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None, **runner: Any
) -> AsyncIterator[URL]:
    """Serve ``app`` on 127.0.0.1 at a free port (https with ``ssl_context``); yield its base
    URL (``http://127.0.0.1:<port>/``); clean up after.  ``runner`` goes to ``AppRunner``."""
    app_runner = web.AppRunner(app, **runner)
    await app_runner.setup()
    await web.TCPSite(app_runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield URL(f"{scheme}://127.0.0.1:{app_runner.addresses[0][1]}/")
    finally:
        await app_runner.cleanup()


class MediaServer:
    """Serves registered bytes at ``/<name>`` with a Content-Type and Content-Length, and
    records the names asked for."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.url = URL("http://127.0.0.1/")
        self.requests: list[str] = []

    def serve(self, name: str, data: bytes, content_type: str = "image/png") -> URL:
        self.files[name] = (data, content_type)
        return self.url / name

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.match_info["name"])
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="nope")
        return web.Response(body=found[0], content_type=found[1])


@pytest.fixture
async def media_server() -> AsyncIterator[MediaServer]:
    """A :class:`MediaServer` on 127.0.0.1 (port 0), stopped afterwards."""
    server = MediaServer()
    app = web.Application()
    app.router.add_get("/{name}", server.handle)
    async with serving(app) as url:
        server.url = url
        yield server
