"""Plain descriptions of HTTP requests and responses, and the error deciphering they share.

The protocol modules build :class:`HTTPRequest` values; the I/O layer (:mod:`asyncmedia.transport`)
sends them and hands back :class:`HTTPResponse` values.  Decisions are made from the status code
first and the body is parsed only when it is non-empty and looks like JSON (PROTOCOLS.md §0).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yarl import URL

from ..errors import APIError, AuthenticationError, RateLimitError, ServiceUnavailable

__all__ = [
    "RESET_HEADERS",
    "RESPONSE_FORMATS",
    "FilePart",
    "HTTPRequest",
    "HTTPResponse",
    "check_response_format",
    "error_from_response",
    "malformed_answer",
    "numeric_id",
    "opaque_id",
    "parse_reset",
    "service_base_url",
]

#: The answer formats the classic services offer, chosen by the endpoint's extension.
RESPONSE_FORMATS = ("json", "xml")


def check_response_format(response_format: str) -> str:
    """Return ``response_format`` if it is ``"json"`` or ``"xml"``; raise ``ValueError``."""
    if response_format not in RESPONSE_FORMATS:
        raise ValueError(f"response_format must be 'json' or 'xml', got {response_format!r}")
    return response_format


def service_base_url(url: URL | str) -> URL:
    """An absolute http(s) base URL ending with ``/``, so relative joins keep its last segment."""
    base = URL(str(url))
    if not base.is_absolute() or base.scheme not in ("http", "https"):
        raise ValueError(f"expected an absolute http(s) URL, got {str(url)!r}")
    if not base.path.endswith("/"):
        base = base.with_path(base.path + "/")
    return base


@dataclass(frozen=True)
class FilePart:
    """The file field of a multipart body; its bytes are supplied when the request is sent."""

    name: str
    filename: str
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class HTTPRequest:
    """One request to a service, described without doing it.

    Exactly one body kind is used: ``form`` (urlencoded, enters OAuth signatures),
    ``fields``/``file`` (multipart, never signed), ``json`` (never signed) or ``raw``
    (the media bytes themselves as the body, with ``raw`` as its content type).
    ``retry_safe`` says whether repeating the request after a lost answer is harmless.
    A request that is not (a post) is still repeated when the service cannot have acted on
    it: the connection was never made, a 429, or one of the ``retry_statuses`` with which the
    service says it refused before doing anything (X's 503 "over capacity").
    ``max_retries`` caps the retries of this one request below ``config.retries``.

    Credentials: ``secret_headers`` names (any case) the headers that carry credentials
    (TwitPic's OAuth Echo headers…), ``secret_body`` says the body itself does (an API key
    field, a password in the JSON).  With ``signed`` the signer's ``Authorization`` is one
    too.  The transport never sends any of them to another origin than ``url``'s: a redirect
    elsewhere is followed without the credential headers, or, for a secret body, refused with
    :class:`~asyncmedia.errors.CrossOriginRedirect`.
    """

    method: str
    url: URL
    form: tuple[tuple[str, str], ...] | None = None
    fields: tuple[tuple[str, str], ...] = ()
    file: FilePart | None = None
    json: Any = None
    raw: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    retry_safe: bool = False
    retry_statuses: frozenset[int] = frozenset()
    max_retries: int | None = None
    signed: bool = True
    secret_headers: frozenset[str] = frozenset()
    secret_body: bool = False

    @property
    def is_multipart(self) -> bool:
        return self.file is not None or (bool(self.fields) and self.form is None)

    def is_secret_header(self, name: str) -> bool:
        """Whether the header ``name`` carries credentials (``Authorization`` always does)."""
        lowered = name.lower()
        return lowered in ("authorization", "proxy-authorization", "cookie") or lowered in {
            secret.lower() for secret in self.secret_headers
        }


@dataclass(frozen=True)
class HTTPResponse:
    """A received answer: status, headers (case-insensitive mapping) and the whole body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    url: URL | None = None
    _json: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        body = self.body.strip()
        if not body or body[:1] not in (b"{", b"["):
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return None

    def text(self, limit: int = 200) -> str:
        return self.body[:limit].decode("utf-8", "replace").strip()


_NUMERIC_ID = re.compile(r"[0-9]{1,20}")
_OPAQUE_ID = re.compile(r"[0-9A-Za-z]{1,64}")


def numeric_id(value: Any) -> str:
    """A numeric id from an answer (``"1234"`` or ``1234``) as its canonical string.

    Only ASCII digits, 1 to 20 of them: what ``int()`` would accept beyond that (``" 12"``,
    ``"-1"``, ``"1_000"``, ``"١٢"``) is a malformed answer, not an id.  Raises
    :class:`ValueError`, which the readers turn into their malformed-answer error.

    >>> numeric_id("1234"), numeric_id(7)
    ('1234', '7')
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**20:
        return str(value)
    if isinstance(value, str) and _NUMERIC_ID.fullmatch(value):
        return value
    raise ValueError(f"not a numeric id: {value!r}")


def opaque_id(value: Any) -> str:
    """An opaque id (Mastodon's string ids): 1 to 64 ASCII letters and digits, or an int.

    Anything else (``""``, ``"../x"``, ``"a b"``) raises :class:`ValueError`: such an id would
    end up in a URL path.

    >>> opaque_id("109876543210"), opaque_id(42)
    ('109876543210', '42')
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**64:
        return str(value)
    if isinstance(value, str) and _OPAQUE_ID.fullmatch(value):
        return value
    raise ValueError(f"not a valid id: {value!r}")


def parse_reset(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a rate-limit reset header: epoch seconds, or an ISO 8601 timestamp (Mastodon).

    Small numbers (below a day) are taken as "seconds from now" (``Retry-After`` style).
    """
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    if not math.isfinite(number):
        return None
    if number < 86400:
        return (time.time() if now is None else now) + number
    return number


def _first_error(body: Any) -> tuple[int | str | None, str | None]:
    """Find ``(code, message)`` in the error body shapes of PROTOCOLS.md §4.1."""
    if not isinstance(body, dict):
        return None, None
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, str):
            return None, first
        if isinstance(first, dict):
            code = first.get("code")
            message = first.get("message") or first.get("detail") or first.get("title")
            if message is not None:
                return code if isinstance(code, (int, str)) else None, str(message)
    error = body.get("error")
    if isinstance(error, str) and isinstance(body.get("message"), str):
        # XRPC (Bluesky): {"error": "BlobTooLarge", "message": "…"} — a name and a message.
        return error, body["message"]
    if isinstance(error, str):
        return body.get("code") if isinstance(body.get("code"), int) else None, error
    if isinstance(error, dict) and error.get("message"):
        return error.get("code"), str(error["message"])
    code = body.get("code") if isinstance(body.get("code"), (int, str)) else None
    for key in ("detail", "title", "message"):
        if isinstance(body.get(key), str):
            return code, body[key]
    return None, None


#: Headers a rate-limit reset is read from, in this order; X/Twitter (epoch), Mastodon
#: (ISO 8601), IETF draft / Bluesky (``ratelimit-reset``, epoch), then ``Retry-After`` (seconds).
RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset", "retry-after")


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` present in ``headers``, looked up without regard to case."""
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in names:
        if lowered.get(name):
            return lowered[name]
    return None


def malformed_answer(response: HTTPResponse, problem: str) -> APIError:
    """The error for a 2xx answer that lacks what the protocol promised, reported as a 502 —
    the service, or something in between, answered wrongly — with ``problem`` and the body."""
    return error_from_response(
        HTTPResponse(502, "Bad Gateway", response.headers, response.body, response.url),
        {"error": f"{problem}: {response.text()!r}"},
    )


def error_from_response(response: HTTPResponse, body: Any = None) -> APIError:
    """Build the typed :class:`~asyncmedia.errors.APIError` for a non-2xx answer.

    401 → :class:`AuthenticationError`, 429/420 → :class:`RateLimitError` (``reset`` from the
    first of :data:`RESET_HEADERS` present), 503 →
    :class:`ServiceUnavailable`, anything else → :class:`APIError`.
    """
    if body is None:
        body = response.json()
    code, message = _first_error(body)
    if message is None:
        text = response.text()
        looks_like_html = text.lower().startswith(("<!doctype", "<html"))
        message = response.reason or "error"
        if text and not looks_like_html:
            message = f"{message}: {text}"
    kwargs: dict[str, Any] = {"code": code, "body": body, "headers": dict(response.headers)}
    if response.status in (429, 420):
        reset = parse_reset(_header(response.headers, *RESET_HEADERS))
        return RateLimitError(response.status, message, reset=reset, **kwargs)
    if response.status == 401:
        return AuthenticationError(response.status, message, **kwargs)
    if response.status == 503:
        return ServiceUnavailable(response.status, message, **kwargs)
    return APIError(response.status, message, **kwargs)
