"""TwitPic API v2 ``upload``, sans-I/O (PROTOCOLS.md §6): OAuth Echo and the ``image`` answer.

OAuth Echo: the client signs a ``GET`` of the identity provider's ``verify_credentials`` URL,
exactly as if it were about to call it, and hands TwitPic that header value in
``X-Verify-Credentials-Authorization`` together with the URL in ``X-Auth-Service-Provider``.
TwitPic replays it to the provider to learn who the user is.  Nothing is signed for the TwitPic
URL itself, so the request carries no ``Authorization`` header and never any secret: the echo
header holds only the consumer key, the access token, a nonce, a timestamp and the signature.

This module builds the request and reads the answer (JSON or XML, same fields) into a
:class:`TwitPicPhoto`; it does no I/O and computes no signature (the client passes the header
value in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from .xml_bodies import parse_answer, xml_int

__all__ = [
    "DEFAULT_SERVICE_PROVIDER",
    "TwitPicPhoto",
    "TwitPicProtocol",
    "TwitPicUser",
    "photo_from_data",
]

#: Where TwitPic checks the echo header (the seed's v1 URL was retired in 2013).
DEFAULT_SERVICE_PROVIDER = "https://api.twitter.com/1.1/account/verify_credentials.json"


@dataclass(frozen=True)
class TwitPicUser:
    """The TwitPic user the echo header identified (``id`` is the Twitter user id)."""

    id: int | None
    screen_name: str | None


@dataclass(frozen=True)
class TwitPicPhoto:
    """An uploaded TwitPic image.

    ``id`` is a short string id; ``url`` the photo page (trust it over ``id``: the service's
    own sample disagreed); ``type`` the image format (``"png"``, ``"jpg"``...); ``timestamp``
    the RFC 2822 text as sent; ``raw`` the whole answer as a dict (XML converted).
    """

    id: str
    text: str
    url: str | None
    width: int | None
    height: int | None
    size: int | None
    type: str | None
    timestamp: str | None
    user: TwitPicUser
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def photo_from_data(data: Any) -> TwitPicPhoto:
    """Build a :class:`TwitPicPhoto` from a parsed answer (``{"image": {...}}`` for XML).

    :raises ValueError: no ``id`` in it.
    """
    if isinstance(data, dict) and set(data) == {"image"} and isinstance(data["image"], dict):
        data = data["image"]
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise ValueError("not a TwitPic image object")
    user = data.get("user")
    if not isinstance(user, dict):
        user = {}
    return TwitPicPhoto(
        id=str(data["id"]),
        text=str(data.get("text") or ""),
        url=_text(data.get("url")),
        width=xml_int(data.get("width")),
        height=xml_int(data.get("height")),
        size=xml_int(data.get("size")),
        type=_text(data.get("type")),
        timestamp=_text(data.get("timestamp")),
        user=TwitPicUser(id=xml_int(user.get("id")), screen_name=_text(user.get("screen_name"))),
        raw=data,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _normalised_error_body(data: Any) -> Any:
    """Give the XML error shape (``<errors><error><code/><message/></error></errors>``) the
    JSON one (``{"errors": [{"code": …, "message": …}]}``)."""
    if isinstance(data, dict) and isinstance(data.get("errors"), dict):
        errors = data["errors"].get("error")
        items = errors if isinstance(errors, list) else [errors]
        return {
            "errors": [
                {"code": xml_int(item.get("code")), "message": item.get("message")}
                for item in items
                if isinstance(item, dict)
            ]
        }
    return data


class TwitPicProtocol:
    """Requests to and answers from TwitPic's ``upload.{json,xml}``.

    :param base_url: API root (``https://api.twitpic.com/2/``).
    :param response_format: ``"json"`` or ``"xml"`` (the extension of the endpoint).
    :param service_provider: the URL the echo header is signed for, sent byte for byte in
        ``X-Auth-Service-Provider``.
    """

    def __init__(
        self,
        base_url: URL | str,
        response_format: str = "json",
        service_provider: str = DEFAULT_SERVICE_PROVIDER,
    ) -> None:
        self.base_url = service_base_url(base_url)
        self.response_format = check_response_format(response_format)
        provider = URL(service_provider)
        if not provider.is_absolute() or provider.query_string or provider.fragment:
            raise ValueError(
                f"service_provider must be an absolute URL without query, got {service_provider!r}"
            )
        self.service_provider = service_provider

    @property
    def upload_url(self) -> URL:
        return self.base_url.join(URL(f"upload.{self.response_format}"))

    def upload(
        self,
        *,
        api_key: str,
        message: str,
        filename: str,
        media_type: str,
        echo_authorization: str,
    ) -> HTTPRequest:
        """``POST upload.{fmt}``: multipart ``key``, ``message``, ``media``; echo headers only.

        ``echo_authorization`` is a complete ``OAuth …`` value signed for ``GET`` of
        :attr:`service_provider` (build a fresh one per upload).
        """
        return HTTPRequest(
            "POST",
            self.upload_url,
            fields=(("key", api_key), ("message", message)),
            file=FilePart("media", filename, media_type),
            headers=(
                ("X-Auth-Service-Provider", self.service_provider),
                ("X-Verify-Credentials-Authorization", echo_authorization),
            ),
            # Never an Authorization header to TwitPic, whatever signer the transport has.
            signed=False,
            # The API key field and the OAuth Echo headers never leave TwitPic's origin.
            secret_headers=frozenset(
                {"X-Auth-Service-Provider", "X-Verify-Credentials-Authorization"}
            ),
            secret_body=True,
        )

    def read_photo(self, response: HTTPResponse) -> TwitPicPhoto:
        """The photo of a 2xx answer; 401 → ``AuthenticationError``, else ``APIError``."""
        data = parse_answer(response.body)
        if not response.ok:
            raise error_from_response(response, _normalised_error_body(data))
        try:
            return photo_from_data(data)
        except ValueError as exc:
            raise malformed_answer(response, "unexpected TwitPic answer") from exc
