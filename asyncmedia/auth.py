"""Request signers: the pluggable ways asyncmedia authenticates a request.

A signer turns ``(method, url, form body)`` into the headers that authenticate it.  It never
sees multipart or JSON bodies: per RFC 5849 §3.4.1.3.1 only query parameters and
``application/x-www-form-urlencoded`` bodies enter an OAuth 1.0a signature, and handing a
signer nothing else makes it impossible to sign the wrong thing (PROTOCOLS.md §5.5).

Signers hold secrets, so their ``repr`` masks them.  This module does no I/O.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Protocol, TypedDict

from oauthlib import oauth1
from yarl import URL

__all__ = [
    "BasicAuth",
    "BearerToken",
    "NoAuth",
    "OAuth1",
    "OAuth1Credentials",
    "Signer",
    "mask",
]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class _DropSigningDetails(logging.Filter):
    """Drop oauthlib's DEBUG records of parameters, base strings and signatures.

    oauthlib logs the access token and each request's signature at DEBUG; with this filter,
    turning on DEBUG logging for an application never writes credentials to its logs.
    """

    PREFIXES = ("Collected params", "Normalized params", "Normalized URI", "Signing", "Signature")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(self.PREFIXES))


logging.getLogger("oauthlib.oauth1.rfc5849").addFilter(_DropSigningDetails())


class OAuth1Credentials(TypedDict):
    """The four OAuth 1.0a user-context keys, as ``MediaClient(**credentials)`` takes them."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


def mask(secret: str | None) -> str:
    """Return a short, non-reversible label for ``secret`` (for reprs and logs)."""
    if not secret:
        return "''"
    return f"'{secret[:2]}…'" if len(secret) > 8 else "'…'"


class Signer(Protocol):
    """What the I/O layer needs from an authentication scheme."""

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        """Return the headers that authenticate ``method url`` (with its urlencoded body)."""
        ...


class NoAuth:
    """A signer that adds nothing (for services that carry credentials in form fields)."""

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return "NoAuth()"


class OAuth1:
    """OAuth 1.0a HMAC-SHA1 user-context signing, done by :mod:`oauthlib`.

    ``nonce_factory`` and ``clock`` exist so tests can make signatures deterministic; by default
    oauthlib draws a fresh nonce and the current time for every request.

    >>> signer = OAuth1("ck", "cs", "at", "ats", nonce_factory=lambda: "n", clock=lambda: 1)
    >>> signer.sign("GET", URL("https://example.com/a?b=c"))["Authorization"][:6]
    'OAuth '
    """

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str | None,
        access_token_secret: str | None,
        *,
        nonce_factory: Callable[[], str] | None = None,
        clock: Callable[[], float] | None = None,
        realm: str | None = None,
    ) -> None:
        if not consumer_key or not consumer_secret:
            raise ValueError("OAuth 1.0a needs a consumer key and a consumer secret")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.access_token = access_token
        self._access_token_secret = access_token_secret
        self._nonce_factory = nonce_factory
        self._clock = clock
        self.realm = realm

    def authorization(self, method: str, url: URL | str, *, form: str | None = None) -> str:
        """Return the value of an ``Authorization: OAuth …`` header for this request."""
        client = oauth1.Client(
            self.consumer_key,
            client_secret=self._consumer_secret,
            resource_owner_key=self.access_token,
            resource_owner_secret=self._access_token_secret,
            nonce=self._nonce_factory() if self._nonce_factory else None,
            timestamp=str(int(self._clock())) if self._clock else None,
        )
        headers = {"Content-Type": FORM_CONTENT_TYPE} if form is not None else None
        _, signed, _ = client.sign(
            str(url), http_method=method.upper(), body=form, headers=headers, realm=self.realm
        )
        return str(signed["Authorization"])

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        return {"Authorization": self.authorization(method, url, form=form)}

    def __repr__(self) -> str:
        return (
            f"OAuth1(consumer_key={mask(self.consumer_key)}, consumer_secret=***, "
            f"access_token={mask(self.access_token)}, access_token_secret=***)"
        )


class BearerToken:
    """``Authorization: Bearer <token>`` (OAuth 2.0 user tokens, Mastodon, Bluesky JWTs)."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("a bearer token must not be empty")
        self._token = token

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def __repr__(self) -> str:
        return "BearerToken(token=***)"


class BasicAuth:
    """HTTP Basic credentials, sent pre-emptively (RFC 7617)."""

    def __init__(self, username: str, password: str) -> None:
        if not username:
            raise ValueError("Basic auth needs a username")
        self.username = username
        self._password = password

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"
