"""Run every ``.. code-block:: python`` of README.rst and docs/ against the sandbox (sybil).

Each document is one test file; its Python blocks run in order in one namespace, as a reader
would paste them.  For the duration of a document, :func:`setup`:

* starts a :class:`~asyncmedia.sandbox.ThreadedSandbox` (the blocks call ``asyncio.run``,
  so the sandbox lives in another thread's loop), which also serves the sample picture at
  ``/samples/cat.png``;
* points the clients' *default* service URLs at it (``MediaClient``'s v1.1 and v2 roots and
  ``api_url``, ``BlueskyClient``'s ``service_url``, the classic clients' ``base_url``), so
  ``MediaClient(consumer_key, consumer_secret, access_token, access_token_secret)`` written
  as a user writes it talks to the sandbox;
* fills the namespace with the names the docs use: ``consumer_key``, ``consumer_secret``,
  ``access_token``, ``access_token_secret``, ``bearer_token``, ``instance_url``,
  ``mastodon_token``, ``app_password`` (for ``me.bsky.social``), ``twitpic_api_key``,
  ``twitrpix_api_key``, ``statusnet_password`` (for ``alice``) and ``image_url``;
* runs in a fresh temporary directory holding ``cat.png`` (a real PNG) and ``clip.mp4`` (a
  synthetic 2 MB MP4), with no ``ASYNCMEDIA_*`` environment variables.

:func:`teardown` undoes all of it.  Other blocks (``::``, ``code-block:: text``) are not run.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from aiohttp import web
from sybil import Sybil
from sybil.parsers.rest import PythonCodeBlockParser

import asyncmedia.client
from asyncmedia import (
    BlueskyClient,
    MediaClient,
    StatusNetClient,
    TwitPicClient,
    TwitrPixClient,
)
from asyncmedia.sandbox import Sandbox, ThreadedSandbox

_HARNESS = "__docs_harness__"


def png(width: int = 320, height: int = 200) -> bytes:
    """A valid RGB PNG with a colour gradient."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def mp4(size: int = 2 * 1024 * 1024) -> bytes:
    """An ``ftyp`` box (brand isom) and an ``mdat`` box of random bytes: sniffs as video/mp4."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    payload = os.urandom(size - len(ftyp) - 8)
    return ftyp + struct.pack(">I", len(payload) + 8) + b"mdat" + payload


class SampleFiles:
    """A sandbox route serving ``/samples/<name>`` from a dict, for ``image_url``."""

    name = "samples"

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        async def serve(request: web.Request) -> web.Response:
            found = self.files.get(request.match_info["name"])
            if found is None:
                raise web.HTTPNotFound()
            return web.Response(body=found[0], content_type=found[1])

        app.router.add_get("/samples/{name}", serve)


@contextlib.contextmanager
def default(func: Callable[..., Any], name: str, value: object) -> Iterator[None]:
    """Replace the default value of ``func``'s parameter ``name`` while the block runs."""
    params = inspect.signature(func).parameters
    if params[name].kind is inspect.Parameter.KEYWORD_ONLY:
        with mock.patch.dict(func.__kwdefaults__, {name: value}):
            yield
        return
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    with_default = [p for p in params.values() if p.kind in positional and p.default is not p.empty]
    defaults = list(func.__defaults__ or ())
    defaults[[p.name for p in with_default].index(name)] = value
    with mock.patch.object(func, "__defaults__", tuple(defaults)):
        yield


def setup(namespace: dict[str, Any]) -> None:
    """Start the sandbox, patch the defaults, fill ``namespace``, enter a temporary dir."""
    stack = contextlib.ExitStack()
    namespace[_HARNESS] = stack
    picture = png()
    services = [*Sandbox().services, SampleFiles({"cat.png": (picture, "image/png")})]
    sandbox = ThreadedSandbox(services=services, bluesky_identifier="me.bsky.social")
    sb = stack.enter_context(sandbox)
    sb.statusnet.username = "alice"
    for patch in (
        mock.patch.object(asyncmedia.client, "DEFAULT_UPLOAD_URL", sb.url),
        mock.patch.object(asyncmedia.client, "DEFAULT_V2_URL", sb.x2_url),
        default(MediaClient.__init__, "api_url", sb.url),
        default(BlueskyClient.__init__, "service_url", sb.bluesky_url),
        default(TwitPicClient.__init__, "base_url", sb.twitpic_url),
        default(TwitrPixClient.__init__, "base_url", sb.twitrpix_url),
        default(StatusNetClient.__init__, "base_url", sb.statusnet_url),
    ):
        stack.enter_context(patch)
    environ = stack.enter_context(mock.patch.dict(os.environ))
    for key in [k for k in environ if k.startswith("ASYNCMEDIA_")]:
        del environ[key]
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asyncmedia-docs-")))
    (workdir / "cat.png").write_bytes(picture)
    (workdir / "clip.mp4").write_bytes(mp4())
    stack.enter_context(contextlib.chdir(workdir))
    namespace.update(
        sb.credentials,
        bearer_token=sb.x_bearer_token,
        instance_url=sb.mastodon_url,
        mastodon_token=sb.mastodon_token,
        app_password=sb.bluesky_password,
        twitpic_api_key=sb.twitpic_api_key,
        twitrpix_api_key=sb.twitrpix_api_key,
        statusnet_password=sb.statusnet.password,
        image_url=sb.base_url + "samples/cat.png",
    )


def teardown(namespace: dict[str, Any]) -> None:
    """Undo :func:`setup` (directory, environment, defaults, sandbox), newest first."""
    namespace.pop(_HARNESS).close()


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser()],
    patterns=["README.rst", "docs/*.rst", "docs/services/*.rst"],
    excludes=["docs/_build/*"],
    setup=setup,
    teardown=teardown,
).pytest()
