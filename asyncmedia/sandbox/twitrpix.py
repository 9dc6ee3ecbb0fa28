"""TwitrPix API 1.0, emulated strictly (PROTOCOLS.md §7), under ``/twitrpix/1/``.

Routes: ``POST upload.{json,xml}``, ``POST uploadAndPost.{json,xml}`` (multipart, pass-through
credentials in the form) and ``GET ping`` (XML only).  Success is 200; **every** error is 400
with the service's code, as JSON ``{"response":{"status":"fail","error":{"code":…,"msg":…}}}``
or XML ``<response status="fail"><error code="…" msg="…"/></response>``:

=====  ==================================================================================
999    ``api_key`` missing or not :attr:`TwitrPixService.api_key`
1000   unknown error (answered for a non-POST, a malformed body, bad ``latitude``,
       ``longitude`` or ``tags``, or every upload while :attr:`TwitrPixService.fail_with`
       is set to 1000)
1001   ``consumer_token``/``consumer_secret``/``oauth_token``/``oauth_secret`` missing or not
       the sandbox's OAuth credentials
1002   no ``media`` part (or an empty one)
1003   ``media`` is not a JPEG, PNG or GIF (sniffed from its bytes)
1004   ``media`` larger than :attr:`TwitrPixService.max_media_bytes`
=====  ==================================================================================

``ping`` answers ``<response status="ok"><message>pong</message></response>``, or
``maintenance`` (status still ``ok``) while :attr:`TwitrPixService.maintenance` is true.

Accepted uploads are recorded in :attr:`TwitrPixService.uploads` (:class:`TwitrPixUpload`);
``uploadAndPost`` also records the Tweet text in :attr:`TwitrPixService.tweets`.
"""

from __future__ import annotations

import json
import math
import secrets
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from aiohttp import web

from .forms import read_form, xml_answer
from .media_inspection import sniff_media_type
from .oauth import same_secret
from .server import BoundService, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["DEFAULT_MAX_MEDIA_BYTES", "TwitrPixService", "TwitrPixUpload"]

#: TwitrPix never documented its limit; the sandbox refuses above 4 MiB.
DEFAULT_MAX_MEDIA_BYTES = 4 * 1024 * 1024
_MESSAGES = {
    999: "Invalid API key",
    1000: "Unknown error",
    1001: "Unable to authenticate",
    1002: "Media not attached",
    1003: "Media not supported",
    1004: "Media exceeds maximum size",
}
_ACCEPTED = frozenset({"image/png", "image/jpeg", "image/gif"})
_ALPHABET = string.ascii_lowercase + string.digits
_CREDENTIAL_FIELDS = {
    "consumer_token": "consumer_key",
    "consumer_secret": "consumer_secret",
    "oauth_token": "access_token",
    "oauth_secret": "access_token_secret",
}


@dataclass
class TwitrPixUpload:
    """One accepted upload: the media (sha256, size, sniffed type), caption, tags (a list),
    coordinates (floats or None), whether the service posted it, and every text field
    received (credentials included — TwitrPix really got them)."""

    id: str
    message: str | None
    tags: list[str]
    latitude: float | None
    longitude: float | None
    sha256: str
    size: int
    media_type: str
    filename: str | None
    posted: bool
    response_format: str
    fields: dict[str, str] = field(default_factory=dict, repr=False)


class _Failure(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message or _MESSAGES[code]


def _coordinate(raw: str | None, bound: float) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _Failure(1000, f"Invalid coordinate {raw!r}") from None
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise _Failure(1000, f"Coordinate out of range: {raw}")
    return value


class TwitrPixService(BoundService):
    """The ``/twitrpix/1/`` routes.

    Knobs (attributes, read at request time): :attr:`api_key`, :attr:`maintenance`,
    :attr:`max_media_bytes`, :attr:`fail_with` (an error code every upload answers with, or
    None).  Records: :attr:`uploads`, :attr:`tweets`.
    """

    name = "twitrpix"
    title = "TwitrPix"
    prefix = "/twitrpix/1/"

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key or secrets.token_hex(16)
        self.maintenance = False
        self.max_media_bytes = DEFAULT_MAX_MEDIA_BYTES
        self.fail_with: int | None = None
        self.uploads: list[TwitrPixUpload] = []
        #: Tweet texts posted by ``uploadAndPost``.
        self.tweets: list[str] = []

    def credentials(self) -> dict[str, str]:
        """The API key the service accepts."""
        return {"api_key": self.api_key}

    def records(self) -> dict[str, Any]:
        """``uploads`` (in order) and ``tweets`` (texts posted by uploadAndPost)."""
        return {"uploads": self.uploads, "tweets": self.tweets}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the upload methods (both formats) and ``ping``."""
        self.bind(sandbox)
        for method, post in (("upload", False), ("uploadAndPost", True)):
            for fmt in ("json", "xml"):
                # Every method, so a non-POST gets TwitrPix's own 400 rather than a bare 405.
                app.router.add_route(
                    "*", f"{self.prefix}{method}.{fmt}", self._handler(fmt, post=post)
                )
        app.router.add_route("GET", f"{self.prefix}ping", self.ping)

    async def ping(self, request: web.Request) -> web.Response:
        """``GET ping``: ``pong``, or ``maintenance`` with the status still ``ok``."""
        message = "maintenance" if self.maintenance else "pong"
        body = xml_answer("response", {"message": message}, attributes={"status": "ok"})
        return web.Response(status=200, body=body, content_type="application/xml")

    def _handler(self, fmt: str, *, post: bool) -> Any:
        async def handle(request: web.Request) -> web.Response:
            context = service_context(request)
            context.rate_limit = ("twitrpix:upload", 1000)
            try:
                return await self._upload(request, fmt, post=post)
            except _Failure as failure:
                if failure.code in (999, 1001):
                    context.authenticated = False
                return self._error(fmt, failure.code, failure.message)

        return handle

    def _check_credentials(self, fields: dict[str, str]) -> None:
        api_key = fields.get("api_key", "")
        if not api_key or not same_secret(api_key, self.api_key):
            raise _Failure(999)
        expected = self.sandbox.credentials
        for name, key in _CREDENTIAL_FIELDS.items():
            given = fields.get(name, "")
            if not given or not same_secret(given, expected[key]):  # type: ignore[literal-required]
                raise _Failure(1001)

    async def _upload(self, request: web.Request, fmt: str, *, post: bool) -> web.Response:
        if request.method != "POST":
            raise _Failure(1000, "Upload methods require POST")
        if not request.content_type.startswith("multipart/"):
            raise _Failure(1000, "Requests must be multipart/form-data")
        try:
            form = await read_form(request, file_fields=frozenset({"media"}))
        except ValueError as exc:
            raise _Failure(1000, str(exc)) from None
        self._check_credentials(form.fields)
        service_context(request).authenticated = True
        if self.fail_with is not None:
            raise _Failure(self.fail_with, _MESSAGES.get(self.fail_with, "Unknown error"))
        media = form.files.get("media")
        if media is None or media.size == 0:
            raise _Failure(1002)
        sniffed = sniff_media_type(media.head)
        if sniffed not in _ACCEPTED:
            raise _Failure(1003)
        assert sniffed is not None
        if media.size > self.max_media_bytes:
            raise _Failure(1004)
        tags: list[str] = []
        if "tags" in form.fields:
            tags = form.fields["tags"].split(",")
            if not all(tag.strip() for tag in tags):
                raise _Failure(1000, "Invalid tags")
        lat_raw, long_raw = form.fields.get("latitude"), form.fields.get("longitude")
        if (lat_raw is None) != (long_raw is None):
            raise _Failure(1000, "latitude and longitude go together")
        record = TwitrPixUpload(
            id="".join(secrets.choice(_ALPHABET) for _ in range(4)),
            message=form.fields.get("message"),
            tags=tags,
            latitude=_coordinate(lat_raw, 90),
            longitude=_coordinate(long_raw, 180),
            sha256=media.sha256,
            size=media.size,
            media_type=sniffed,
            filename=media.filename,
            posted=post,
            response_format=fmt,
            fields=dict(form.fields),
        )
        self.uploads.append(record)
        page = f"http://twitrpix.com/{record.id}"
        text = f"{page} [pic] {record.message}" if record.message else f"{page} [pic]"
        if post:
            self.tweets.append(text)
        return self._success(fmt, record, page, text)

    def _success(self, fmt: str, record: TwitrPixUpload, page: str, text: str) -> web.Response:
        media = {
            "id": record.id,
            "url": page,
            "text": text,
            "thumb": f"http://img.twitrpix.com/thumb/{record.id}",
            # As in the service's own sample: no /full/ segment.
            "full": f"http://img.twitrpix.com/{record.id}",
        }
        user = {
            "id": self.sandbox.credentials["access_token"].split("-", 1)[0],
            "screen_name": "sandbox",
            "profile_url": "http://twitrpix.com/user/sandbox",
        }
        if fmt == "xml":
            body = xml_answer("response", {"media": media, "user": user})
            return web.Response(status=200, body=body, content_type="application/xml")
        payload = {"response": {"media": media, "user": user}}
        return web.Response(
            status=200, body=json.dumps(payload).encode(), content_type="application/json"
        )

    @staticmethod
    def _error(fmt: str, code: int, message: str) -> web.Response:
        if fmt == "xml":
            root = ElementTree.Element("response", {"status": "fail"})
            ElementTree.SubElement(root, "error", {"code": str(code), "msg": message})
            body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
            return web.Response(status=400, body=body, content_type="application/xml")
        payload = {"response": {"status": "fail", "error": {"code": code, "msg": message}}}
        return web.Response(
            status=400, body=json.dumps(payload).encode(), content_type="application/json"
        )
