"""Identi.ca / StatusNet ``statuses/update``, emulated strictly (PROTOCOLS.md §8), under
``/statusnet/api/``.

Route: ``statuses/update.json`` and ``statuses/update.xml`` — ``POST`` with a urlencoded body
(``status``, optional ``in_reply_to_status_id``, ``source``) or a multipart one with an
optional ``media`` file part.  HTTP Basic credentials are checked against
:attr:`StatusNetService.username` / :attr:`StatusNetService.password`.

Answers: 200 with the status object (JSON, or XML root ``<status>``); errors in StatusNet's
shapes ``{"error": "…", "request": "/…/statuses/update.json"}`` or
``<hash><error>…</error><request>…</request></hash>``:

=====  =============================================================================
401    no or wrong Basic credentials (with ``WWW-Authenticate: Basic realm="… API"``)
400    not a POST, empty ``status`` without media, text plus attachment URL too long,
       bad ``in_reply_to_status_id``, media not an image, malformed body
406    ``status`` longer than :attr:`StatusNetService.status_limit` (140)
=====  =============================================================================

Knob :attr:`StatusNetService.redirect_to`: when set to a URL, every request is answered
``307 Temporary Redirect`` to it before any credential check — for testing that a client does
not carry its ``Authorization`` header to another host.

Accepted notices are recorded in :attr:`StatusNetService.notices` (:class:`StatusNetNotice`).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .forms import is_digits, read_form, xml_answer
from .media_inspection import sniff_media_type
from .oauth import same_secret
from .server import BoundService, HeaderDict, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["StatusNetNotice", "StatusNetService"]

_SITE = "Sandbox"
_FIRST_ID = 5131472


@dataclass
class StatusNetNotice:
    """One accepted notice: ``status`` as sent, ``text`` as published (with the attachment
    URL appended when there was media), the media's sha256/size/type when attached, and the
    request headers as received."""

    id: int
    status: str
    text: str
    source: str
    in_reply_to_status_id: int | None
    response_format: str
    multipart: bool
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    attachment_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class StatusNetService(BoundService):
    """The ``/statusnet/api/`` routes.

    Knobs (attributes, read at request time): :attr:`username`, :attr:`password`,
    :attr:`status_limit`, :attr:`redirect_to`.  Records: :attr:`notices`.
    """

    name = "statusnet"
    title = "StatusNet"
    prefix = "/statusnet/api/"

    def __init__(self, *, username: str = "sandbox", password: str | None = None) -> None:
        self.username = username
        self.password = password or secrets.token_urlsafe(18)
        self.status_limit = 140
        self.redirect_to: str | None = None
        self.notices: list[StatusNetNotice] = []
        self._next_id = _FIRST_ID

    def credentials(self) -> dict[str, str]:
        """``{"username": …, "password": …}`` the service accepts (a copy)."""
        return {"username": self.username, "password": self.password}

    def records(self) -> dict[str, Any]:
        """``notices``: accepted notices, in order."""
        return {"notices": self.notices}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register ``statuses/update.{json,xml}`` (every method, so non-POST gets 400)."""
        self.bind(sandbox)
        for fmt in ("json", "xml"):
            app.router.add_route("*", f"{self.prefix}statuses/update.{fmt}", self._handler(fmt))

    def _handler(self, fmt: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            service_context(request).rate_limit = ("statusnet:update", 1000)
            if self.redirect_to is not None:
                return web.Response(status=307, headers={"Location": self.redirect_to})
            try:
                return await self._update(request, fmt)
            except _Refusal as refusal:
                return self._error(request, fmt, refusal.status, refusal.message)

        return handle

    def _check_basic(self, request: web.Request) -> None:
        context = service_context(request)
        value = request.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        user = password = ""
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = password = ""
        ok = same_secret(user, self.username) & same_secret(password, self.password)
        context.authenticated = bool(ok)
        if not ok:
            raise _Refusal(401, "Could not authenticate you.")

    async def _update(self, request: web.Request, fmt: str) -> web.Response:
        if request.method != "POST":
            raise _Refusal(400, "This method requires a POST.")
        self._check_basic(request)
        try:
            form = await read_form(request, file_fields=frozenset({"media"}))
        except ValueError as exc:
            raise _Refusal(400, str(exc)) from None
        status = form.fields.get("status", "")
        media = form.files.get("media")
        if not status.strip() and media is None:
            raise _Refusal(400, "Client must provide a 'status' parameter with a value.")
        if len(status) > self.status_limit:
            raise _Refusal(406, f"That's too long. Max notice size is {self.status_limit} chars.")
        reply_raw = form.fields.get("in_reply_to_status_id")
        if reply_raw is not None and not is_digits(reply_raw):
            raise _Refusal(400, "Invalid in_reply_to_status_id.")
        notice_id = self._next_id
        text = status
        notice = StatusNetNotice(
            id=notice_id,
            status=status,
            text=text,
            source=form.fields.get("source") or "api",
            in_reply_to_status_id=int(reply_raw) if reply_raw else None,
            response_format=fmt,
            multipart=form.multipart,
            headers=HeaderDict(request.headers.items()),
        )
        if media is not None:
            media_type = sniff_media_type(media.head)
            if media_type is None or not media_type.startswith("image/"):
                raise _Refusal(400, "Unsupported file type for the attachment.")
            attachment = f"http://ur1.ca/{notice_id:x}"
            text = f"{status} {attachment}" if status else attachment
            if len(text) > self.status_limit:
                raise _Refusal(
                    400,
                    f"Max notice size is {self.status_limit} chars, including attachment URL.",
                )
            notice.text = text
            notice.sha256, notice.size, notice.media_type = media.sha256, media.size, media_type
            notice.attachment_url = attachment
        self._next_id += 1
        self.notices.append(notice)
        return self._status(fmt, notice)

    def _status(self, fmt: str, notice: StatusNetNotice) -> web.Response:
        created = time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(self.sandbox.clock()))
        user: dict[str, Any] = {
            "id": 1,
            "name": "Sandbox User",
            "screen_name": self.username,
            "location": None,
            "description": None,
            "profile_image_url": "http://identi.ca/theme/identica/default-avatar-stream.png",
            "url": None,
            "protected": False,
            "followers_count": 0,
            "friends_count": 0,
            "created_at": created,
            "favourites_count": 0,
            "utc_offset": "0",
            "time_zone": "UTC",
            "statuses_count": len(self.notices),
            "following": False,
            "notifications": False,
        }
        status: dict[str, Any] = {
            "text": notice.text,
            "truncated": False,
            "created_at": created,
            "in_reply_to_status_id": notice.in_reply_to_status_id,
            "source": notice.source,
            "id": notice.id,
            "in_reply_to_user_id": None,
            "in_reply_to_screen_name": None,
            "favorited": False,
            "user": user,
        }
        if fmt == "xml":
            return web.Response(
                status=200,
                body=xml_answer("status", status),
                content_type="application/xml",
                charset="utf-8",
            )
        return web.Response(
            status=200,
            body=json.dumps(status).encode(),
            content_type="application/json",
            charset="utf-8",
        )

    @staticmethod
    def _error(request: web.Request, fmt: str, status: int, message: str) -> web.Response:
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{_SITE} API"'
        content = {"error": message, "request": request.path}
        if fmt == "xml":
            body = xml_answer("hash", content)
            content_type = "application/xml"
        else:
            body = json.dumps(content).encode()
            content_type = "application/json"
        return web.Response(
            status=status, body=body, content_type=content_type, charset="utf-8", headers=headers
        )
