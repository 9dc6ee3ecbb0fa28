"""Server-side OAuth 1.0a (HMAC-SHA1) verification for the sandbox services.

This module decides whether a request carries a valid OAuth 1.0a signature the way the real
upload host does (PROTOCOLS.md §5): the signature base string is rebuilt by
:mod:`oauthlib` from the method, the URL as sent, the ``Authorization`` header and — only for
``application/x-www-form-urlencoded`` bodies — the form parameters.  Multipart and JSON
bodies never enter the check, so a client that signs multipart fields is rejected.

It is a judge, not a client: it never signs anything, holds no HTTP machinery and imports
nothing from the rest of :mod:`asyncmedia` (the sandbox must stay independent of the code it
tests).  Every route that needs OAuth (Twitter v1.1 today, the TwitPic echo check later, which
verifies a header against a *different* URL) calls :func:`verify_oauth1`.

Example::

    verify_oauth1("POST", "http://127.0.0.1:8080/1.1/media/upload.json",
                  request.headers, None, sandbox.credentials, nonces=sandbox.nonces)
"""

from __future__ import annotations

import hmac
import string
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

from ..auth import OAuth1Credentials

__all__ = [
    "DEFAULT_MAX_SKEW",
    "AuthenticationFailed",
    "MissingAuthorization",
    "NonceRegistry",
    "OAuthVerificationError",
    "same_secret",
    "verify_oauth1",
]

#: Allowed distance, in seconds, between ``oauth_timestamp`` and the server clock.
DEFAULT_MAX_SKEW = 300.0

_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# Token shapes seen in the wild (``370773112-GmHx…``, ``token_urlsafe`` keys) use these.
_SAFE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~")
_DUMMY_SECRET = "dummy-secret-used-to-keep-verification-time-constant"


class OAuthVerificationError(Exception):
    """Base of the verification failures; ``reason`` says why, for logs and tests."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingAuthorization(OAuthVerificationError):
    """No usable ``Authorization: OAuth …`` header (Twitter answers 400, code 215)."""


class AuthenticationFailed(OAuthVerificationError):
    """Signature, key, token, nonce or timestamp rejected (Twitter answers 401, code 32)."""


class NonceRegistry:
    """Remembers the nonces already used so a replayed request is refused.

    Entries older than ``2 * max_skew`` are forgotten: by then the timestamp check alone
    rejects a replay.  Thread-safe, because oauthlib calls back synchronously and a later
    service may verify from an executor.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str, str], float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def use(
        self,
        client_key: str,
        token: str,
        timestamp: str,
        nonce: str,
        *,
        now: float,
        max_skew: float,
    ) -> bool:
        """Record a nonce; return False if this (key, token, timestamp, nonce) was seen."""
        key = (client_key, token, timestamp, nonce)
        with self._lock:
            horizon = now - 2 * max_skew
            if len(self._seen) > 4096:
                self._seen = {k: t for k, t in self._seen.items() if t >= horizon}
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


class _SandboxRequestValidator(RequestValidator):  # type: ignore[misc]
    """oauthlib callbacks backed by one set of sandbox credentials."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        nonces: NonceRegistry,
        now: Callable[[], float],
        max_skew: float,
    ) -> None:
        super().__init__()
        self._credentials = credentials
        self._nonces = nonces
        self._now = now
        self._max_skew = max_skew

    # --- shape checks: accept the real shapes instead of oauthlib's 20-30 alphanumerics ---

    @property
    def enforce_ssl(self) -> bool:
        return False

    @property
    def safe_characters(self) -> set[str]:
        return set(_SAFE_CHARACTERS)

    @property
    def client_key_length(self) -> tuple[int, int]:
        return 1, 128

    @property
    def access_token_length(self) -> tuple[int, int]:
        return 1, 128

    @property
    def nonce_length(self) -> tuple[int, int]:
        return 1, 128

    @property
    def allowed_signature_methods(self) -> tuple[str, ...]:
        return ("HMAC-SHA1",)

    @property
    def timestamp_lifetime(self) -> int:
        # oauthlib compares against time.time() itself; disable that so the injected clock in
        # validate_timestamp_and_nonce is the only judge of staleness.
        return 2**62

    @property
    def realms(self) -> list[str]:
        return []

    @property
    def dummy_client(self) -> str:
        return "dummy_client_key"

    @property
    def dummy_access_token(self) -> str:
        return "dummy_access_token"

    def check_client_key(self, client_key: str) -> bool:
        return _safe_and_sized(client_key, self.client_key_length)

    def check_access_token(self, request_token: str) -> bool:
        return _safe_and_sized(request_token, self.access_token_length)

    def check_nonce(self, nonce: str) -> bool:
        return _safe_and_sized(nonce, self.nonce_length)

    def check_realms(self, realms: Any) -> bool:
        return True

    # --- lookups ---

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self._credentials["consumer_key"]

    def get_client_secret(self, client_key: str, request: Any) -> str:
        if client_key == self._credentials["consumer_key"]:
            return self._credentials["consumer_secret"]
        return _DUMMY_SECRET

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return (
            client_key == self._credentials["consumer_key"]
            and token == self._credentials["access_token"]
        )

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        if self.validate_access_token(client_key, token, request):
            return self._credentials["access_token_secret"]
        return _DUMMY_SECRET

    def validate_realms(
        self, client_key: str, token: str, request: Any, uri: Any = None, realms: Any = None
    ) -> bool:
        return True

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        now = self._now()
        try:
            stamp = int(timestamp)
        except ValueError:
            return False
        if abs(now - stamp) > self._max_skew:
            request.validator_log["timestamp"] = False
            return False
        token = access_token or getattr(request, "resource_owner_key", None) or ""
        fresh = self._nonces.use(
            client_key, token, timestamp, nonce, now=now, max_skew=self._max_skew
        )
        request.validator_log["nonce"] = fresh
        return fresh


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a credential a request carried with the expected one.

    Never raises: header values with non-UTF-8 bytes (aiohttp hands them over as lone
    surrogates) and non-ASCII text (which ``hmac.compare_digest`` refuses for ``str``) simply
    do not match.
    """
    if given is None:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def _safe_and_sized(value: str, bounds: tuple[int, int]) -> bool:
    lower, upper = bounds
    return set(value) <= _SAFE_CHARACTERS and lower <= len(value) <= upper


def _authorization_value(headers_or_value: Mapping[str, str] | str | None) -> str | None:
    if headers_or_value is None or isinstance(headers_or_value, str):
        return headers_or_value
    for name, value in headers_or_value.items():
        if name.lower() == "authorization":
            return value
    return None


def verify_oauth1(
    method: str,
    url: str,
    authorization: Mapping[str, str] | str | None,
    form_body: str | None,
    credentials: Mapping[str, str] | OAuth1Credentials,
    *,
    nonces: NonceRegistry | None = None,
    now: Callable[[], float] | None = None,
    max_skew: float = DEFAULT_MAX_SKEW,
    require_token: bool = True,
) -> None:
    """Verify an OAuth 1.0a HMAC-SHA1 request; return None or raise.

    :param method: HTTP method of the request that was signed.
    :param url: the absolute URL the client sent (scheme, ``host:port``, path, query), or for
        OAuth Echo the URL the header was made for.
    :param authorization: the request headers (any mapping; ``Authorization`` is looked up
        case-insensitively) or the ``Authorization`` value itself.
    :param form_body: the raw body **only** when the request's Content-Type is
        ``application/x-www-form-urlencoded``; ``None`` for multipart, JSON and empty bodies,
        which never contribute parameters (RFC 5849 §3.4.1.3.1).
    :param credentials: ``consumer_key``, ``consumer_secret``, ``access_token`` and
        ``access_token_secret``.
    :param nonces: the registry of used nonces; a fresh one (no replay memory) if omitted.
    :param now: clock returning epoch seconds (``time.time`` by default) — inject a fixed
        clock to check recorded vectors.
    :param max_skew: allowed ``|now - oauth_timestamp|`` in seconds.
    :param require_token: demand ``oauth_token`` equal to the access token (user context).
    :raises MissingAuthorization: no ``Authorization`` header, or not an ``OAuth`` one.
    :raises AuthenticationFailed: anything else wrong (signature, key, token, nonce, time).
    """
    value = _authorization_value(authorization)
    if not value or not value.strip() or value.split(None, 1)[0].lower() != "oauth":
        raise MissingAuthorization("no OAuth Authorization header")
    given: Mapping[str, Any] = credentials
    keys = {name: str(given[name]) for name in OAuth1Credentials.__annotations__}
    validator = _SandboxRequestValidator(
        keys, nonces if nonces is not None else NonceRegistry(), now or time.time, max_skew
    )
    endpoint = SignatureOnlyEndpoint(validator)
    headers = {"Authorization": value}
    body: str | None = None
    if form_body is not None:
        headers["Content-Type"] = _FORM_CONTENT_TYPE
        body = form_body
    try:
        valid, request = endpoint.validate_request(url, method.upper(), body, headers)
    except ValueError as exc:  # oauthlib refuses a malformed query string or form body
        raise AuthenticationFailed(f"malformed request: {exc}") from exc
    if request is None:
        raise MissingAuthorization("Authorization header carries no OAuth parameters")
    if not valid:
        log = getattr(request, "validator_log", {})
        if log.get("timestamp") is False:
            raise AuthenticationFailed("timestamp out of bounds")
        if log.get("nonce") is False:
            raise AuthenticationFailed("nonce already used")
        if not log.get("client", True):
            raise AuthenticationFailed("unknown consumer key")
        if "signature" in log and not log["signature"]:
            raise AuthenticationFailed("signature does not match")
        raise AuthenticationFailed("invalid OAuth parameters")
    if require_token and not validator.validate_access_token(
        request.client_key, request.resource_owner_key or "", request
    ):
        raise AuthenticationFailed("unknown or missing access token")
