"""TwitrPix API 1.0 (``upload``, ``uploadAndPost``, ``ping``), sans-I/O (PROTOCOLS.md §7).

**Security:** TwitrPix authenticates by *pass-through*: the Twitter consumer secret and the
user's token secret travel in the form, to a third party, next to the TwitrPix API key.  The
documented URLs are plain ``http://``.  This module puts them in the multipart fields because
that is the protocol; the client warns when they would cross the network unencrypted.

Every error — authentication included — is HTTP **400** with a numeric code in the body
(JSON ``{"response":{"status":"fail","error":{"code":1001,"msg":"…"}}}`` or XML
``<response status="fail"><error code="1001" msg="…"/></response>``).  :func:`error_for_code`
maps the documented codes to the exception tree:

======  ==================================  ==========================================
code    meaning                             raised
======  ==================================  ==========================================
999     invalid or missing API key          :class:`AuthenticationError` (``code=999``)
1000    unknown error                       :class:`APIError` (``code=1000``)
1001    unable to authenticate              :class:`AuthenticationError` (``code=1001``)
1002    media not attached                  :class:`APIError` (``code=1002``)
1003    media not supported                 :class:`RejectedMediaType`
1004    media exceeds maximum size          :class:`RejectedMediaSize`
other   —                                   :class:`APIError` with the code
======  ==================================  ==========================================

Every one of them is an :class:`APIError` (``status`` 400, ``code`` the integer).

``ping`` answers XML only; during maintenance the status is still ``ok`` and only the message
says ``maintenance``: :meth:`TwitrPixProtocol.read_ping` returns ``"pong"`` or raises
:class:`ServiceUnavailable`.

Client-side validation (``ValueError`` before any request): latitude in [-90, 90], longitude
in [-180, 180] (both finite numbers, given together), tags non-empty, without commas, not only
whitespace.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from ..errors import (
    APIError,
    AuthenticationError,
    RejectedMediaSize,
    RejectedMediaType,
    ServiceUnavailable,
)
from .http import (
    FilePart,
    HTTPRequest,
    HTTPResponse,
    check_response_format,
    error_from_response,
    service_base_url,
)
from .xml_bodies import parse_answer, xml_int

__all__ = [
    "ERROR_CODES",
    "IMAGE_HOST",
    "TwitrPixMedia",
    "TwitrPixProtocol",
    "TwitrPixUser",
    "check_coordinates",
    "error_for_code",
    "format_tags",
    "media_from_data",
]

IMAGE_HOST = "http://img.twitrpix.com/"

#: The documented error codes and what they mean.
ERROR_CODES: dict[int, str] = {
    999: "invalid or missing TwitrPix API key",
    1000: "unknown error",
    1001: "unable to authenticate with the Twitter credentials",
    1002: "media not attached",
    1003: "media type not supported",
    1004: "media exceeds the maximum size",
}

_ERROR_CLASSES: dict[int, type[APIError]] = {
    999: AuthenticationError,
    1001: AuthenticationError,
    1003: RejectedMediaType,
    1004: RejectedMediaSize,
}


def error_for_code(
    code: int | None, message: str | None, *, status: int = 400, body: Any = None
) -> APIError:
    """The typed error for a TwitrPix error code (see the module docstring's table).

    ``.message`` always keeps the service's own ``msg`` verbatim: ``"TwitrPix: <msg>"`` when
    it says what the code means anyway (``"Unknown error"`` for 1000), else
    ``"TwitrPix: <meaning>: <msg>"``; the meaning alone only when the service sent no text.
    """
    meaning = ERROR_CODES.get(code) if code is not None else None
    server = (message or "").strip()
    if server and (not meaning or server.lower() == meaning.lower()):
        text = f"TwitrPix: {server}"
    elif server:
        text = f"TwitrPix: {meaning}: {server}"
    else:
        text = f"TwitrPix: {meaning or 'error'}"
    cls = _ERROR_CLASSES.get(code, APIError) if code is not None else APIError
    return cls(status, text, code=code, body=body)


def check_coordinates(latitude: float | None, longitude: float | None) -> None:
    """``ValueError`` unless both are None or both are finite numbers in range."""
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        raise ValueError("give latitude and longitude together")
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value) or not -bound <= value <= bound:
            raise ValueError(f"{name} must be between -{bound} and {bound}, got {value!r}")


def format_tags(tags: str | Iterable[str] | None) -> str | None:
    """The ``tags`` field: a comma-separated string or an iterable of tags, checked.

    >>> format_tags(["cats", "sofa"])
    'cats,sofa'
    >>> format_tags("cats, sofa")
    'cats,sofa'
    """
    if tags is None:
        return None
    items = tags.split(",") if isinstance(tags, str) else list(tags)
    cleaned: list[str] = []
    for tag in items:
        if not isinstance(tag, str):
            raise ValueError(f"tags must be strings, got {tag!r}")
        if "," in tag:
            raise ValueError(f"a tag cannot contain a comma: {tag!r}")
        if not tag.strip():
            raise ValueError(f"empty or whitespace-only tag in {tags!r}")
        cleaned.append(tag.strip())
    if not cleaned:
        raise ValueError("tags is empty; pass None for no tags")
    return ",".join(cleaned)


@dataclass(frozen=True)
class TwitrPixUser:
    """The Twitter user the pass-through credentials belong to."""

    id: str | None
    screen_name: str | None
    profile_url: str | None


@dataclass(frozen=True)
class TwitrPixMedia:
    """An uploaded TwitrPix image.

    ``page_url`` links to the photo page (thumbnails must link back to it); ``text`` is the
    ready-made Tweet text; ``thumb_url``/``full_url`` are the server's URLs when it sent them,
    else built as ``http://img.twitrpix.com/<size>/<id>``; ``raw`` is the whole answer.
    """

    id: str
    page_url: str | None
    text: str | None
    thumb_url: str
    full_url: str
    user: TwitrPixUser | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def media_id(self) -> str:
        """Alias of :attr:`id`."""
        return self.id


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def media_from_data(data: Any) -> TwitrPixMedia:
    """Build :class:`TwitrPixMedia` from a parsed success answer (JSON or XML alike).

    :raises ValueError: no ``response.media`` with an id (or a page URL to take it from).
    """
    response = data.get("response") if isinstance(data, dict) else None
    media = response.get("media") if isinstance(response, dict) else None
    if not isinstance(media, dict):
        raise ValueError("no response.media in the answer")
    page_url = _str(media.get("url"))
    media_id = _str(media.get("id"))
    if media_id is None and page_url:
        media_id = URL(page_url).name or None  # the id is the last segment of the page link
    if media_id is None:
        raise ValueError("no media id in the answer")
    user = response.get("user") if isinstance(response, dict) else None
    assert isinstance(response, dict)
    return TwitrPixMedia(
        id=media_id,
        page_url=page_url,
        text=_str(media.get("text")),
        thumb_url=_str(media.get("thumb")) or f"{IMAGE_HOST}thumb/{media_id}",
        full_url=_str(media.get("full")) or f"{IMAGE_HOST}full/{media_id}",
        user=(
            TwitrPixUser(
                id=_str(user.get("id")),
                screen_name=_str(user.get("screen_name")),
                profile_url=_str(user.get("profile_url")),
            )
            if isinstance(user, dict)
            else None
        ),
        raw=data,
    )


def _failure(data: Any) -> tuple[int | None, str | None] | None:
    """``(code, msg)`` when ``data`` is a ``status="fail"`` answer, else None."""
    response = data.get("response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        return None
    error = response.get("error")
    if response.get("status") != "fail" and not isinstance(error, dict):
        return None
    if not isinstance(error, dict):
        return None, None
    return xml_int(error.get("code")), _str(error.get("msg") or error.get("message"))


class TwitrPixProtocol:
    """Requests to and answers from TwitrPix.

    :param base_url: API root (``http://api.twitrpix.com/1/``).
    :param response_format: ``"json"`` or ``"xml"`` for the upload methods (ping is XML only).
    """

    def __init__(self, base_url: URL | str, response_format: str = "json") -> None:
        self.base_url = service_base_url(base_url)
        self.response_format = check_response_format(response_format)

    def upload(
        self,
        *,
        api_key: str,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        filename: str,
        media_type: str,
        message: str | None = None,
        tags: str | Iterable[str] | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        post: bool = False,
    ) -> HTTPRequest:
        """``POST upload.{fmt}`` (or ``uploadAndPost.{fmt}`` with ``post=True``).

        :raises ValueError: bad coordinates or tags (nothing is sent).
        """
        check_coordinates(latitude, longitude)
        tag_field = format_tags(tags)
        fields = [
            ("api_key", api_key),
            ("consumer_token", consumer_key),
            ("consumer_secret", consumer_secret),
            ("oauth_token", access_token),
            ("oauth_secret", access_token_secret),
        ]
        if message is not None:
            fields.append(("message", message))
        if tag_field is not None:
            fields.append(("tags", tag_field))
        if latitude is not None and longitude is not None:
            fields += [("latitude", repr(float(latitude))), ("longitude", repr(float(longitude)))]
        method = "uploadAndPost" if post else "upload"
        return HTTPRequest(
            "POST",
            self.base_url.join(URL(f"{method}.{self.response_format}")),
            fields=tuple(fields),
            file=FilePart("media", filename, media_type),
            signed=False,
            secret_body=True,  # the API key and the four OAuth keys are multipart fields
        )

    def ping(self) -> HTTPRequest:
        """``GET ping`` (XML answer)."""
        return HTTPRequest("GET", self.base_url.join(URL("ping")), retry_safe=True, signed=False)

    def read_media(self, response: HTTPResponse) -> TwitrPixMedia:
        """The media of a success answer, or the typed error of the module docstring's table."""
        data = parse_answer(response.body)
        self._raise_for_failure(response, data)
        try:
            return media_from_data(data)
        except ValueError as exc:
            raise APIError(
                response.status, f"unexpected TwitrPix answer: {response.text()!r}", body=data
            ) from exc

    def read_ping(self, response: HTTPResponse) -> str:
        """``"pong"``; :class:`ServiceUnavailable` for ``maintenance``; else :class:`APIError`."""
        data = parse_answer(response.body)
        self._raise_for_failure(response, data)
        answer = data.get("response") if isinstance(data, dict) else None
        message = answer.get("message") if isinstance(answer, dict) else None
        if message == "pong":
            return "pong"
        if message == "maintenance":
            raise ServiceUnavailable(
                response.status, "TwitrPix is down for maintenance; try again later", body=data
            )
        raise APIError(response.status, f"unexpected TwitrPix ping answer: {response.text()!r}")

    @staticmethod
    def _raise_for_failure(response: HTTPResponse, data: Any) -> None:
        failure = _failure(data)
        if failure is not None:
            code, message = failure
            raise error_for_code(code, message, status=response.status, body=data)
        if not response.ok:
            raise error_from_response(response, data if isinstance(data, dict) else None)
