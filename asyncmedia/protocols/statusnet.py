"""Identi.ca / StatusNet ``statuses/update``, sans-I/O (PROTOCOLS.md §8).

``update`` is a urlencoded ``status`` (plus optional ``in_reply_to_status_id`` and
``source``); ``update_with_media`` is the same fields as multipart with a ``media`` file part.
Authentication is HTTP Basic, sent pre-emptively by the signer, so this module never sees the
password.  Answers come as JSON or XML (``<status>…</status>``) and are read into the same
:class:`StatusNetStatus`.

Errors (StatusNet's own shapes ``{"error": "…", "request": "…"}`` or
``<hash><error>…</error><request>…</request></hash>``): 401 → :class:`AuthenticationError`,
anything else non-2xx (400 empty status or too long with the attachment URL, 406 over the
site's limit, 403...) → :class:`APIError` with the server's message.

This module does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yarl import URL

from .http import (
    FilePart,
    HTTPRequest,
    HTTPResponse,
    check_response_format,
    error_from_response,
    malformed_answer,
    service_base_url,
)
from .xml_bodies import parse_answer, xml_bool

__all__ = [
    "DEFAULT_STATUS_LIMIT",
    "StatusNetProtocol",
    "StatusNetStatus",
    "StatusNetUser",
    "check_status",
    "status_from_data",
]

DEFAULT_STATUS_LIMIT = 140
DATE_FORMAT = "%a %b %d %H:%M:%S %z %Y"


def check_status(status: str, limit: int, *, allow_empty: bool = False) -> None:
    """``ValueError`` when ``status`` is empty (unless allowed) or longer than ``limit``
    characters (Unicode code points, as StatusNet counts them)."""
    if not isinstance(status, str):
        raise TypeError(f"status must be a str, got {type(status).__name__}")
    if not allow_empty and not status.strip():
        raise ValueError("status must not be empty")
    if len(status) > limit:
        raise ValueError(
            f"status is {len(status)} characters, over the limit of {limit}; shorten it or "
            "create the client with status_limit= the server's limit"
        )


@dataclass(frozen=True)
class StatusNetUser:
    """The author of a notice (the most used fields; everything else is in ``raw``)."""

    id: str | None
    screen_name: str | None
    name: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class StatusNetStatus:
    """A posted notice, the same whether the answer was JSON or XML.

    ``id`` is kept as a string; ``created_at`` is parsed (``None`` if absent or unreadable);
    ``raw`` is the whole status object (XML values are strings there).
    """

    id: str
    text: str
    created_at: datetime | None
    source: str | None
    truncated: bool | None
    in_reply_to_status_id: str | None
    user: StatusNetUser | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), DATE_FORMAT)
    except ValueError:
        return None


def status_from_data(data: Any) -> StatusNetStatus:
    """Build a :class:`StatusNetStatus` from a parsed answer (``{"status": {...}}`` for XML).

    :raises ValueError: not a status object.
    """
    if isinstance(data, dict) and set(data) == {"status"} and isinstance(data["status"], dict):
        data = data["status"]
    if not isinstance(data, dict) or _str(data.get("id")) is None or "text" not in data:
        raise ValueError("not a status object")
    user = data.get("user")
    return StatusNetStatus(
        id=str(data["id"]),
        text=str(data.get("text") or ""),
        created_at=_date(data.get("created_at")),
        source=_str(data.get("source")),
        truncated=xml_bool(data.get("truncated")),
        in_reply_to_status_id=_str(data.get("in_reply_to_status_id")),
        user=(
            StatusNetUser(
                id=_str(user.get("id")),
                screen_name=_str(user.get("screen_name")),
                name=_str(user.get("name")),
                raw=user,
            )
            if isinstance(user, dict)
            else None
        ),
        raw=data,
    )


def _error_body(data: Any) -> Any:
    """``<hash><error/><request/></hash>`` → ``{"error": …, "request": …}``."""
    if isinstance(data, dict) and set(data) == {"hash"} and isinstance(data["hash"], dict):
        return data["hash"]
    return data


class StatusNetProtocol:
    """Requests to and answers from a StatusNet API root.

    :param base_url: API root (``https://identi.ca/api/``).
    :param response_format: ``"json"`` or ``"xml"``.
    """

    def __init__(self, base_url: URL | str, response_format: str = "json") -> None:
        self.base_url = service_base_url(base_url)
        self.response_format = check_response_format(response_format)

    @property
    def update_url(self) -> URL:
        return self.base_url.join(URL(f"statuses/update.{self.response_format}"))

    @staticmethod
    def _fields(
        status: str, in_reply_to_status_id: int | str | None, source: str | None
    ) -> tuple[tuple[str, str], ...]:
        fields = [("status", status)]
        if in_reply_to_status_id is not None:
            fields.append(("in_reply_to_status_id", str(in_reply_to_status_id)))
        if source is not None:
            fields.append(("source", source))
        return tuple(fields)

    def update(
        self,
        status: str,
        *,
        in_reply_to_status_id: int | str | None = None,
        source: str | None = None,
    ) -> HTTPRequest:
        """``POST statuses/update.{fmt}`` with a urlencoded body (not retried: it would post
        twice)."""
        return HTTPRequest(
            "POST", self.update_url, form=self._fields(status, in_reply_to_status_id, source)
        )

    def update_with_media(
        self,
        status: str,
        *,
        filename: str,
        media_type: str,
        in_reply_to_status_id: int | str | None = None,
        source: str | None = None,
    ) -> HTTPRequest:
        """The same as multipart, with the ``media`` file part."""
        return HTTPRequest(
            "POST",
            self.update_url,
            fields=self._fields(status, in_reply_to_status_id, source),
            file=FilePart("media", filename, media_type),
        )

    def read_status(self, response: HTTPResponse) -> StatusNetStatus:
        """The notice of a 2xx answer; 401 → ``AuthenticationError``, else ``APIError``."""
        data = parse_answer(response.body)
        if not response.ok:
            raise error_from_response(response, _error_body(data))
        try:
            return status_from_data(data)
        except ValueError as exc:
            raise malformed_answer(response, "unexpected StatusNet answer") from exc
