"""TwitPic API v2 ``upload``, emulated strictly (PROTOCOLS.md §6), under ``/twitpic/2/``.

Routes: ``POST upload.json`` and ``POST upload.xml`` (multipart ``key``, ``message``,
``media``).  The OAuth Echo check does what TwitPic did when it called Twitter: the
``X-Verify-Credentials-Authorization`` header is verified with
:func:`~asyncmedia.sandbox.oauth.verify_oauth1` as a ``GET`` of the URL named in
``X-Auth-Service-Provider`` (which must be one of :attr:`TwitPicService.service_providers`),
against the sandbox's OAuth credentials and nonce registry.

Answers: 200 with the ``image`` object (JSON, or XML root ``<image>``); errors as
``{"errors":[{"code":…,"message":…}]}`` or ``<errors><error><code/><message/></error></errors>``:

=====  ===========================================================================
401    echo headers missing, provider not accepted, signature/key/token/nonce/time
       wrong; API key wrong
400    body not multipart, ``key`` or ``media`` missing, media not an image
405    not a POST
=====  ===========================================================================

Every accepted upload leaves a :class:`TwitPicUpload` in :attr:`TwitPicService.uploads`, with
all text fields and request headers as received (so tests can prove no secret was sent).
"""

from __future__ import annotations

import json
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .forms import ReceivedForm, read_form, xml_answer
from .media_inspection import image_dimensions, sniff_media_type
from .oauth import OAuthVerificationError, verify_oauth1
from .server import BoundService, HeaderDict, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["DEFAULT_SERVICE_PROVIDERS", "TwitPicService", "TwitPicUpload"]

#: Provider URLs TwitPic accepted (v1 as in the seed, and v1.1).
DEFAULT_SERVICE_PROVIDERS = frozenset(
    {
        "https://api.twitter.com/1.1/account/verify_credentials.json",
        "https://api.twitter.com/1/account/verify_credentials.json",
    }
)
_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class TwitPicUpload:
    """One accepted TwitPic upload.

    ``fields`` holds every text field received (``key``, ``message``...), ``headers`` every
    request header (case-insensitive), ``sha256``/``size``/``media_type`` the ``media`` part
    (type sniffed from its bytes), ``response_format`` ``"json"`` or ``"xml"``.
    """

    id: str
    message: str
    sha256: str
    size: int
    media_type: str
    width: int
    height: int
    filename: str | None
    response_format: str
    service_provider: str
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class TwitPicService(BoundService):
    """The ``/twitpic/2/`` routes.

    Knobs (attributes, read at request time): :attr:`api_key` (random by default) and
    :attr:`service_providers`.  Records: :attr:`uploads`.
    """

    name = "twitpic"
    title = "TwitPic"
    prefix = "/twitpic/2/"

    def __init__(self, *, api_key: str | None = None) -> None:
        #: The TwitPic API key the service accepts.
        self.api_key = api_key or secrets.token_hex(16)
        #: The ``X-Auth-Service-Provider`` values accepted.
        self.service_providers: frozenset[str] = DEFAULT_SERVICE_PROVIDERS
        #: Accepted uploads, in order.
        self.uploads: list[TwitPicUpload] = []

    def credentials(self) -> dict[str, str]:
        """The API key the service accepts."""
        return {"api_key": self.api_key}

    def records(self) -> dict[str, Any]:
        """``uploads``: accepted uploads, in order."""
        return {"uploads": self.uploads}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register ``upload.json`` and ``upload.xml``."""
        self.bind(sandbox)
        for fmt in ("json", "xml"):
            # Every method, so a non-POST gets TwitPic's own error shape rather than a bare 405.
            app.router.add_route("*", f"{self.prefix}upload.{fmt}", self._handler(fmt))

    def _handler(self, fmt: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            try:
                return await self._upload(request, fmt)
            except _Refusal as refusal:
                return self._error(fmt, refusal.status, refusal.message)

        return handle

    def _check_echo(self, request: web.Request) -> str:
        context = service_context(request)
        if "Authorization" in request.headers:
            # TwitPic never needed one; a client sending it is leaking something.
            context.authenticated = False
            raise _Refusal(400, "Unexpected Authorization header; use OAuth Echo headers.")
        provider = request.headers.get("X-Auth-Service-Provider")
        echo = request.headers.get("X-Verify-Credentials-Authorization")
        if not provider or not echo:
            context.authenticated = False
            raise _Refusal(401, "Could not authenticate you (header rejected by twitter).")
        if provider not in self.service_providers:
            context.authenticated = False
            raise _Refusal(401, "Could not authenticate you (unknown service provider).")
        sandbox = self.sandbox
        try:
            verify_oauth1(
                "GET",
                provider,
                echo,
                None,
                sandbox.credentials,
                nonces=sandbox.nonces,
                now=sandbox.clock,
                max_skew=sandbox.max_skew,
            )
        except OAuthVerificationError as exc:
            context.authenticated = False
            raise _Refusal(
                401, f"Could not authenticate you (header rejected by twitter: {exc.reason})."
            ) from None
        context.authenticated = True
        return provider

    async def _upload(self, request: web.Request, fmt: str) -> web.Response:
        service_context(request).rate_limit = ("twitpic:upload", 1000)
        if request.method != "POST":
            raise _Refusal(405, "Upload requires POST.")
        provider = self._check_echo(request)
        if not request.content_type.startswith("multipart/"):
            raise _Refusal(400, "Request must be multipart/form-data.")
        try:
            form: ReceivedForm = await read_form(request, file_fields=frozenset({"media"}))
        except ValueError as exc:
            raise _Refusal(400, str(exc)) from None
        key = form.fields.get("key")
        if not key:
            raise _Refusal(400, "Missing API key (key).")
        if key != self.api_key:
            raise _Refusal(401, "Invalid API key.")
        media = form.files.get("media")
        if media is None or media.size == 0:
            raise _Refusal(400, "No media attached (media).")
        sniffed = sniff_media_type(media.head)
        if sniffed not in _TYPES:
            raise _Refusal(400, "Invalid file type; TwitPic accepts JPEG, PNG and GIF images.")
        width, height = image_dimensions(sniffed, media.head)
        record = TwitPicUpload(
            id="".join(secrets.choice(_ALPHABET) for _ in range(6)),
            message=form.fields.get("message", ""),
            sha256=media.sha256,
            size=media.size,
            media_type=sniffed,
            width=width,
            height=height,
            filename=media.filename,
            response_format=fmt,
            service_provider=provider,
            fields=dict(form.fields),
            headers=HeaderDict(request.headers.items()),
        )
        self.uploads.append(record)
        return self._image(fmt, record)

    def _image(self, fmt: str, record: TwitPicUpload) -> web.Response:
        user_id = self.sandbox.credentials["access_token"].split("-", 1)[0]
        image: dict[str, Any] = {
            "id": record.id,
            "text": record.message,
            "url": f"http://twitpic.com/{record.id}",
            "width": record.width,
            "height": record.height,
            "size": record.size,
            "type": _TYPES[record.media_type],
            "timestamp": time.strftime(
                "%a, %d %b %Y %H:%M:%S +0000", time.gmtime(self.sandbox.clock())
            ),
            "user": {"id": int(user_id) if user_id.isdigit() else 1, "screen_name": "sandbox"},
        }
        if fmt == "xml":
            return web.Response(
                status=200, body=xml_answer("image", image), content_type="application/xml"
            )
        return web.Response(
            status=200, body=json.dumps(image).encode(), content_type="application/json"
        )

    @staticmethod
    def _error(fmt: str, status: int, message: str) -> web.Response:
        if fmt == "xml":
            body = xml_answer("errors", {"error": {"code": status, "message": message}})
            return web.Response(status=status, body=body, content_type="application/xml")
        payload = {"errors": [{"code": status, "message": message}]}
        return web.Response(
            status=status, body=json.dumps(payload).encode(), content_type="application/json"
        )
