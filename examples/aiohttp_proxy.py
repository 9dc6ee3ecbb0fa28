"""An aiohttp server that streams each uploaded file straight on to the media service.

    python examples/aiohttp_proxy.py [--port 8080]

Open http://127.0.0.1:8080/ for an upload form.  Two endpoints:

* ``POST /upload`` — a multipart form (the page's form, or ``curl -F media=@cat.png``): each
  file field is passed to ``upload_media`` as it arrives.  A form field has no length of its
  own, so asyncmedia spools it to an anonymous temporary file (on disk, not in memory).
* ``POST /upload/raw`` — the request body *is* the file (``curl --data-binary @clip.mp4 -H
  'Content-Type: video/mp4'``): with a Content-Length it is streamed onward chunk by chunk,
  never held whole; the server's memory stays flat whatever the size.

One :class:`MediaClient` is shared by every request; it is created on startup and closed on
cleanup (``cleanup_ctx``).  Credentials: the ASYNCMEDIA_* variables (see examples/bot.py);
with none set, the proxy forwards to an embedded sandbox.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import BodyPartReader, web

from asyncmedia import AsyncMediaError, MediaClient, MediaSourceError
from asyncmedia.environment import client_from_env

CLIENT = web.AppKey("client", MediaClient)

FORM = """<!doctype html><title>asyncmedia proxy</title>
<form method="post" action="/upload" enctype="multipart/form-data">
<input type="file" name="media" multiple> <input type="text" name="alt_text" placeholder="alt text">
<button>Upload</button></form>"""


async def media_client(app: web.Application) -> AsyncIterator[None]:
    async with client_from_env("twitter") as client:
        app[CLIENT] = client
        yield


def describe(media: Any) -> dict[str, Any]:
    return {"media_id": media.media_id_string, "size": media.size, "media_type": media.media_type}


def failure(exc: AsyncMediaError) -> web.Response:
    status = 400 if isinstance(exc, (MediaSourceError, ValueError)) else 502
    return web.json_response({"error": str(exc), "kind": type(exc).__name__}, status=status)


async def form(request: web.Request) -> web.Response:
    return web.Response(text=FORM, content_type="text/html")


async def upload_form(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    reader = await request.multipart()
    uploaded: list[dict[str, Any]] = []
    alt_text: str | None = None
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is None:  # a plain field, e.g. alt_text (sent before the files)
                if part.name == "alt_text":
                    alt_text = (await part.text()) or None
                continue
            media = await client.upload_media(part, alt_text=alt_text)
            uploaded.append({"filename": part.filename, **describe(media)})
    except AsyncMediaError as exc:
        return failure(exc)
    return web.json_response({"uploaded": uploaded})


async def upload_raw(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    try:
        media = await client.upload_media(request, filename=request.query.get("name"))
    except AsyncMediaError as exc:
        return failure(exc)
    return web.json_response(describe(media))


def make_app() -> web.Application:
    app = web.Application(client_max_size=1024**3)
    app.cleanup_ctx.append(media_client)
    app.router.add_get("/", form)
    app.router.add_post("/upload", upload_form)
    app.router.add_post("/upload/raw", upload_raw)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port, print=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
