"""The sandbox server: lifecycle and state shared by every emulated service.

:class:`Sandbox` runs one :class:`aiohttp.web.Application` on 127.0.0.1 and owns what all
services share — the credentials and tokens, the used-nonce registry, the log of every request
received, the per-command rate-limit windows (added to every answer by one middleware) and
fault injection.  Each service (Twitter v1.1 under ``/1.1/``, X API v2 under ``/2/``, Mastodon
under ``/mastodon/``, Bluesky under ``/bluesky/``, TwitPic under ``/twitpic/2/``, TwitrPix
under ``/twitrpix/1/``, StatusNet under ``/statusnet/api/``) is one route object implementing
:class:`SandboxService`, living in its own module and owning its own knobs and records.

Services register themselves; the :class:`Sandbox` knows none of them by heart.  A service
class derives from :class:`BoundService` and declares, next to its routes, what the rest of
the sandbox needs to know about it: its registry :attr:`~BoundService.name` (what
:meth:`Sandbox.service` looks it up by), its mount :attr:`~BoundService.prefix`, the key and
URL keys of its entry in ``asyncmedia sandbox``'s JSON (:attr:`~BoundService.description_key`,
:attr:`~BoundService.url_keys`), the credentials it accepts (:meth:`~BoundService.credentials`)
and what it recorded (:meth:`~BoundService.records`).  :data:`.registry.DEFAULT_SERVICES`
lists the built-in service classes in mount order; ``Sandbox()`` runs one of each, and
:meth:`Sandbox.describe` (hence the CLI's JSON) is built by asking every running service for
:meth:`~BoundService.describe`.  Adding a service to the sandbox is therefore one module
plus one line in :data:`.registry.DEFAULT_SERVICES`.  The per-service attributes of
:class:`Sandbox` (``sb.mastodon``, ``sb.twitpic_url``, ``sb.statusnet_credentials``…) are
thin compatibility properties over :meth:`Sandbox.service`; new code may use
``sb.service("mastodon")`` or ``sb.service(MastodonService)`` (typed) instead.

This module must not know any service's wire format, and nothing in the sandbox may import
the client side of :mod:`asyncmedia`: the sandbox is the independent judge of what the client
sent.  Fault injection (429s, 5xx, dropped connections) will hook into
:meth:`Sandbox._intercept`, which every request passes through before its handler.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..auth import OAuth1Credentials
from .oauth import DEFAULT_MAX_SKEW, NonceRegistry
from .posts import PostRecord

if TYPE_CHECKING:
    from .bluesky import BlueskyService
    from .mastodon import MastodonService
    from .statusnet import StatusNetService
    from .twitpic import TwitPicService
    from .twitrpix import TwitrPixService
    from .twitter_v1 import TwitterV1Service, UploadRecord
    from .twitter_v2 import TwitterV2Service

_S = TypeVar("_S")

_log = logging.getLogger(__name__)

#: Errors that only reading a malformed request raises (not ValueError, which would hide
#: sandbox bugs: the services turn the readers' ValueErrors into their own 400 answers).
_UNREADABLE_BODY = (UnicodeError, LookupError, RecursionError, HttpProcessingError)

__all__ = [
    "CONTEXT_KEY",
    "BoundService",
    "Fault",
    "HeaderDict",
    "RateLimitBook",
    "RequestContext",
    "RequestRecord",
    "Sandbox",
    "SandboxService",
    "Throttle",
    "random_credentials",
    "service_context",
]


class HeaderDict(dict[str, str]):
    """A ``dict`` of request headers whose look-ups ignore case (keys stored lower-case)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((name.lower(), value) for name, value in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        """Case-insensitive :meth:`dict.get`."""
        return super().get(key.lower(), default)


@dataclass
class RequestRecord:
    """One request as the sandbox received it, appended to :attr:`Sandbox.requests`.

    ``headers`` ignores case (``rec.headers["authorization"]`` and ``["Authorization"]``
    both work); ``query`` holds the last value of each query parameter; ``command`` is the
    ``command`` parameter wherever it was sent (query, form or multipart), or None;
    ``status`` is the status code answered; ``authenticated`` is True/False once the service
    checked OAuth, None if it never did; ``peer`` is the client's ``(address, port)``, which
    tells the connections apart (None if it was gone before the answer).
    """

    method: str
    path: str
    query: dict[str, str]
    command: str | None
    status: int
    headers: dict[str, str]
    authenticated: bool | None = None
    received_at: float = 0.0
    peer: tuple[str, int] | None = None


@dataclass
class RequestContext:
    """Per-request notes a service handler leaves for the middleware (via :data:`CONTEXT_KEY`).

    ``rate_limit`` is ``(bucket, limit)``; when None the middleware uses
    :attr:`Sandbox.default_rate_limit` keyed by path.
    """

    command: str | None = None
    rate_limit: tuple[str, int] | None = None
    authenticated: bool | None = None
    #: False when the service writes its own rate-limit headers (Mastodon's ISO reset,
    #: Bluesky's ``ratelimit-*``): the middleware then adds no ``x-rate-limit-*`` ones.
    twitter_rate_headers: bool = True


#: Where the middleware stores the :class:`RequestContext` of each request.
CONTEXT_KEY: web.RequestKey[RequestContext] = web.RequestKey(
    "asyncmedia_sandbox_context", RequestContext
)


class SandboxService(Protocol):
    """What a service module provides: a name and a way to add its routes to the app."""

    name: str

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register routes on ``app``; keep ``sandbox`` to read knobs and credentials."""


@dataclass
class Fault:
    """One injected fault, for testing how a client copes (see :meth:`Sandbox.inject`).

    A fault *matches* requests by service ``command`` (``"SIMPLE"``, ``"INIT"``, ``"APPEND"``,
    ``"FINALIZE"``, ``"STATUS"``, ``"METADATA"``, or a service's own names) and/or by ``path``
    prefix; ``None`` matches anything.  It strikes on the ``nth`` matching request (1-based)
    and on the ``times - 1`` matching requests after it, then stays inert.

    What it does when it strikes, in this order:

    ``delay``
        sleep this many seconds first (a slow service; with nothing else set the request is
        then served normally);
    ``drop``
        close the connection without answering (the client sees a disconnect);
    ``redirect_to``
        answer ``307`` with this ``Location`` (credentials must not follow it off-host);
    ``status``
        answer this status with a Twitter-shaped error body (``body`` overrides it); for
        429 the ``x-rate-limit-reset`` header is now + ``reset_in`` seconds.

    Faults matched by command strike *after* the service has parsed and authenticated the
    request but *before* it acts on it, so a failed APPEND stores nothing.
    """

    command: str | None = None
    path: str | None = None
    nth: int = 1
    times: int = 1
    delay: float = 0.0
    drop: bool = False
    redirect_to: str | None = None
    status: int | None = None
    reset_in: float = 1.0
    body: dict[str, Any] | None = None
    seen: int = 0
    struck: int = 0

    def matches(self, path: str, command: str | None) -> bool:
        if self.command is not None and self.command != command:
            return False
        return self.path is None or path.startswith(self.path)

    def due(self) -> bool:
        """Count one matching request; True if this one is struck."""
        self.seen += 1
        if self.nth <= self.seen < self.nth + self.times:
            self.struck += 1
            return True
        return False


@dataclass
class Throttle:
    """Fault injection shared by the services: answer the next ``count`` requests with 429.

    ``reset_in`` is how far ahead (seconds) the refused answers put the window reset; each
    service writes it in its own header style.
    """

    count: int = 0
    reset_in: float = 3600.0

    def take(self) -> bool:
        """True (and one fewer left) when this request must be refused."""
        if self.count > 0:
            self.count -= 1
            return True
        return False


class BoundService:
    """Base of the service route objects: remembers the sandbox it was set up on, and says
    what the sandbox needs to know about the service (its registration).

    Subclasses call :meth:`bind` first thing in ``setup`` and read knobs through
    :attr:`sandbox` at request time.  They set :attr:`name` and :attr:`prefix`, and, for
    their entry in ``asyncmedia sandbox``'s JSON (:meth:`describe`), :attr:`description_key`,
    :attr:`url_keys` and :meth:`credentials`; :meth:`records` returns what they recorded.
    """

    #: The registry name, unique in a sandbox: :meth:`Sandbox.service` looks it up by this.
    name: str = ""
    #: What people call the service, for messages (``"TwitPic"``); the class name when empty.
    title: str = ""
    #: Where the service's routes are mounted, ``/…/`` (its :attr:`url` below the sandbox).
    prefix: str = "/"
    #: The key of this service's entry in :meth:`Sandbox.describe`; :attr:`name` when empty.
    description_key: str = ""
    #: The keys under which :meth:`describe` gives :attr:`url` (what the client calls it).
    url_keys: tuple[str, ...] = ("base_url",)

    _sandbox: Sandbox | None = None

    def bind(self, sandbox: Sandbox) -> None:
        """Attach this service to ``sandbox`` (called from ``setup``)."""
        self._sandbox = sandbox

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox this service was set up on."""
        if self._sandbox is None:
            raise RuntimeError(f"{type(self).__name__}.setup() has not been called")
        return self._sandbox

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Call :meth:`bind`, then register the service's routes on ``app`` (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must define setup()")

    @property
    def url(self) -> str:
        """The service's root on the running sandbox, ``http://HOST:PORT`` + :attr:`prefix`."""
        return self.sandbox.base_url + self.prefix.lstrip("/")

    def credentials(self) -> dict[str, str]:
        """What a client needs to be accepted, as keyword-style names (none by default)."""
        return {}

    def describe(self) -> dict[str, Any]:
        """``{url key: url, …credentials}``: this service's entry in ``asyncmedia sandbox``."""
        return {**{key: self.url for key in self.url_keys}, **self.credentials()}

    def records(self) -> dict[str, Any]:
        """What the service recorded, by attribute name (e.g. ``{"uploads": …}``)."""
        return {}


class RateLimitBook:
    """Per-bucket rate-limit windows: decrement on every answer, never refuse (yet).

    The recorded upload host reset its windows 25-51 minutes ahead (PROTOCOLS.md §4.3),
    so the default window is 30 minutes.
    """

    def __init__(self, *, window_secs: int = 1800, clock: Callable[[], float] = time.time):
        self.window_secs = window_secs
        self._clock = clock
        self._windows: dict[str, tuple[int, int, int]] = {}  # bucket -> limit, remaining, reset

    def take(self, bucket: str, limit: int) -> dict[str, str]:
        """Count one call against ``bucket`` and return the three ``x-rate-limit-*`` headers."""
        now = int(self._clock())
        window = self._windows.get(bucket)
        if window is None or window[2] <= now or window[0] != limit:
            window = (limit, limit, now + self.window_secs)
        limit_, remaining, reset = window
        remaining = max(0, remaining - 1)
        self._windows[bucket] = (limit_, remaining, reset)
        return {
            "x-rate-limit-limit": str(limit_),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }

    def remaining(self, bucket: str) -> int | None:
        """Calls left in ``bucket``'s current window, or None if never used."""
        window = self._windows.get(bucket)
        return None if window is None else window[1]


def random_credentials() -> OAuth1Credentials:
    """Fresh OAuth 1.0a credentials shaped like Twitter's (25/50-character keys,
    ``<user id>-<40 chars>`` access token, 45-character token secret)."""
    user_id = 10**17 + secrets.randbelow(9 * 10**17)
    return OAuth1Credentials(
        consumer_key=_urlsafe(25),
        consumer_secret=_urlsafe(50),
        access_token=f"{user_id}-{_urlsafe(40)}",
        access_token_secret=_urlsafe(45),
    )


_URLSAFE = frozenset(string.ascii_letters + string.digits)


def _urlsafe(length: int) -> str:
    # token_urlsafe may yield "-" and "_"; keep them except as the first character, which
    # keeps keys readable in logs and still exercises percent-encoding-free safe characters.
    token = secrets.token_urlsafe(length)[:length]
    if token[0] not in _URLSAFE:
        token = "k" + token[1:]
    return token


class Sandbox:
    """An aiohttp.web emulator of the upload services, for tests and the CLI.

    Example::

        async with Sandbox() as sb:
            url = sb.url + "media/upload.json"     # "http://127.0.0.1:PORT/1.1/media/upload.json"
            ...                                     # sign with sb.credentials and send
            assert sb.uploads[media_id].sha256 == expected

    Keyword-only knobs (all may be changed as attributes while running; services read them
    at request time):

    ``host``, ``port``
        Where to listen; ``port=0`` picks a free port (read it from :attr:`url`).
    ``credentials``
        Dict with ``consumer_key``, ``consumer_secret``, ``access_token``,
        ``access_token_secret``; random realistic ones by default.
    ``check_after_secs``
        Sent in ``processing_info`` (float allowed so tests are fast; the real service
        sends ints).
    ``processing_steps``
        How many STATUS calls are answered non-terminal: the first ``pending``, the
        following ``in_progress``; the next one is terminal.
    ``processing_outcome``
        ``"succeeded"`` or ``"failed"`` (``error`` code 1 ``InvalidMedia``), applied when
        processing reaches its terminal step.
    ``expires_after_secs``
        Lifetime of a media id, counted from its creation.
    ``clock``
        Epoch-seconds clock used for OAuth timestamps and rate-limit resets.
    ``max_skew``
        Allowed OAuth timestamp skew in seconds (300).
    ``services``
        Service route objects; by default one of each registered in
        :data:`asyncmedia.sandbox.registry.DEFAULT_SERVICES`: :class:`TwitterV1Service`
        (``/1.1/``), :class:`TwitterV2Service` (``/2/``), :class:`MastodonService`
        (``/mastodon/``), :class:`BlueskyService` (``/bluesky/``), :class:`TwitPicService`,
        :class:`TwitrPixService` and :class:`StatusNetService` (each has its own knobs:
        ``sb.twitrpix.maintenance = True``, ``sb.statusnet.redirect_to = "http://elsewhere/"``...).
    ``x_bearer_token``, ``mastodon_token``, ``bluesky_identifier``, ``bluesky_password``
        Credentials the X v2, Mastodon and Bluesky routes accept (random by default);
        :attr:`bluesky_token` is the latest ``accessJwt`` the Bluesky PDS issued (one is
        issued when it starts, so it can be given as ``access_jwt``).

    Attributes: :attr:`credentials`, :attr:`requests` (every request received, in order),
    :attr:`uploads` (Twitter v1.1 media by id), :attr:`nonces`, :attr:`rate_limits`,
    :attr:`faults`; per service: :attr:`twitter_v1`, :attr:`twitter_v2`, :attr:`mastodon`,
    :attr:`bluesky` (None when not running), :attr:`twitpic`, :attr:`twitrpix`,
    :attr:`statusnet` (with their records and knobs, e.g. ``sb.twitpic.uploads``); base URLs
    :attr:`url` (v1.1), :attr:`x2_url`, :attr:`mastodon_url`, :attr:`bluesky_url`,
    :attr:`twitpic_url`, :attr:`twitrpix_url`, :attr:`statusnet_url`; keys
    :attr:`twitpic_api_key`, :attr:`twitrpix_api_key`, :attr:`statusnet_credentials`.

    Those per-service attributes are compatibility properties over the registry: any service
    is found with :meth:`service` (``sb.service("mastodon")``, or ``sb.service(MastodonService)``
    typed; :meth:`find_service` gives None instead of raising), its URL and credentials with
    ``sb.service(name).describe()``, its records with ``.records()``; :meth:`describe` gives
    every running service's entry, the JSON ``asyncmedia sandbox`` prints.
    """

    #: ``(limit)`` used for requests no service classified (404s, 405s, unknown paths).
    default_rate_limit: int = 900

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        check_after_secs: float = 0.05,
        processing_steps: int = 2,
        processing_outcome: str = "succeeded",
        expires_after_secs: int = 86400,
        clock: Callable[[], float] = time.time,
        max_skew: float = DEFAULT_MAX_SKEW,
        services: Iterable[SandboxService] | None = None,
        x_bearer_token: str | None = None,
        mastodon_token: str | None = None,
        bluesky_identifier: str = "sandbox.bsky.test",
        bluesky_password: str | None = None,
    ) -> None:
        from .registry import default_services

        self.host = host
        self.port = port
        given: Mapping[str, Any] = random_credentials() if credentials is None else credentials
        missing = set(OAuth1Credentials.__annotations__) - set(given)
        if missing:
            raise ValueError(f"credentials lack {sorted(missing)}")
        self.credentials = OAuth1Credentials(
            consumer_key=given["consumer_key"],
            consumer_secret=given["consumer_secret"],
            access_token=given["access_token"],
            access_token_secret=given["access_token_secret"],
        )
        self.check_after_secs = check_after_secs
        self.processing_steps = processing_steps
        self.processing_outcome = processing_outcome
        self.expires_after_secs = expires_after_secs
        self.clock = clock
        self.max_skew = max_skew
        self.nonces = NonceRegistry()
        self.rate_limits = RateLimitBook(clock=clock)
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        #: Every post a service accepted (:class:`~asyncmedia.sandbox.posts.PostRecord`).
        self.posts: list[PostRecord] = []
        self.x_bearer_token = x_bearer_token or _urlsafe(40)
        self.mastodon_token = mastodon_token or _urlsafe(43)
        self.bluesky_identifier = bluesky_identifier
        self.bluesky_password = bluesky_password or _urlsafe(19)
        #: The ``accessJwt`` Bluesky's createSession hands out (three base64url parts).
        self.bluesky_token = ".".join((_urlsafe(36), _urlsafe(120), _urlsafe(43)))
        #: The service route objects, in mount order (by default one of each registered).
        self.services: list[SandboxService] = (
            list(services) if services is not None else list(default_services())
        )
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    # --- addresses ---

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/`` of the running server."""
        if self._bound_port is None:
            raise RuntimeError("the sandbox is not running; use 'async with Sandbox()'")
        return f"http://{self.host}:{self._bound_port}/"

    # --- the services, looked up in the registry ---

    @overload
    def find_service(self, key: type[_S]) -> _S | None: ...

    @overload
    def find_service(self, key: str) -> SandboxService | None: ...

    def find_service(self, key: type[_S] | str) -> _S | SandboxService | None:
        """The first of :attr:`services` named ``key`` (``"mastodon"``) or an instance of
        the class ``key`` (``MastodonService``, typed), or None."""
        if isinstance(key, str):
            return next((s for s in self.services if getattr(s, "name", None) == key), None)
        return next((s for s in self.services if isinstance(s, key)), None)

    @overload
    def service(self, key: type[_S]) -> _S: ...

    @overload
    def service(self, key: str) -> SandboxService: ...

    def service(self, key: type[_S] | str) -> _S | SandboxService:
        """Like :meth:`find_service`, but raise :class:`RuntimeError` when no such service
        runs: ``sb.service("twitpic").uploads``, ``sb.service(TwitPicService).api_key``."""
        found = self.find_service(key)
        if found is None:
            raise RuntimeError(f"this sandbox runs no {_service_label(key)} service")
        return found

    def describe(self) -> dict[str, dict[str, Any]]:
        """Every running service's URL and credentials by its ``description_key``, in
        :attr:`services` order: the JSON ``asyncmedia sandbox`` prints.  Services that are
        not :class:`BoundService` (plain routes such as test fixtures) are left out."""
        return {
            service.description_key or service.name: service.describe()
            for service in self.services
            if isinstance(service, BoundService)
        }

    def _url_of(self, kind: type[BoundService]) -> str:
        # The running service's prefix, else the class's: the URL is known even when the
        # service was left out (its routes then answer 404), as before the registry.
        prefix = (self.find_service(kind) or kind).prefix
        return self.base_url + prefix.lstrip("/")

    # --- compatibility: one attribute per built-in service, over the registry ---

    @property
    def twitter_v1(self) -> TwitterV1Service | None:
        """The Twitter v1.1 service among :attr:`services`, or None."""
        from .twitter_v1 import TwitterV1Service

        return self.find_service(TwitterV1Service)

    @property
    def twitter_v2(self) -> TwitterV2Service | None:
        """The X API v2 service among :attr:`services`, or None."""
        from .twitter_v2 import TwitterV2Service

        return self.find_service(TwitterV2Service)

    @property
    def mastodon(self) -> MastodonService | None:
        """The Mastodon service among :attr:`services`, or None."""
        from .mastodon import MastodonService

        return self.find_service(MastodonService)

    @property
    def bluesky(self) -> BlueskyService | None:
        """The Bluesky service among :attr:`services`, or None."""
        from .bluesky import BlueskyService

        return self.find_service(BlueskyService)

    @property
    def url(self) -> str:
        """Root of the Twitter v1.1 API, ``http://HOST:PORT/1.1/``."""
        from .twitter_v1 import TwitterV1Service

        return self._url_of(TwitterV1Service)

    @property
    def x2_url(self) -> str:
        """Root of the X API v2 routes, ``http://HOST:PORT/2/``."""
        from .twitter_v2 import TwitterV2Service

        return self._url_of(TwitterV2Service)

    @property
    def mastodon_url(self) -> str:
        """The emulated Mastodon instance, ``http://HOST:PORT/mastodon/``."""
        from .mastodon import MastodonService

        return self._url_of(MastodonService)

    @property
    def bluesky_url(self) -> str:
        """The emulated Bluesky PDS, ``http://HOST:PORT/bluesky/`` (``xrpc/…`` below it)."""
        from .bluesky import BlueskyService

        return self._url_of(BlueskyService)

    @property
    def uploads(self) -> dict[int, UploadRecord]:
        """Twitter v1.1 media by ``media_id`` (int)."""
        from .twitter_v1 import TwitterV1Service

        return self.service(TwitterV1Service).uploads

    @property
    def twitpic(self) -> TwitPicService:
        """The TwitPic service (knobs, ``uploads``)."""
        from .twitpic import TwitPicService

        return self.service(TwitPicService)

    @property
    def twitrpix(self) -> TwitrPixService:
        """The TwitrPix service (knobs, ``uploads``, ``tweets``)."""
        from .twitrpix import TwitrPixService

        return self.service(TwitrPixService)

    @property
    def statusnet(self) -> StatusNetService:
        """The StatusNet service (knobs, ``notices``)."""
        from .statusnet import StatusNetService

        return self.service(StatusNetService)

    @property
    def twitpic_url(self) -> str:
        """Root of the TwitPic API v2, ``http://HOST:PORT/twitpic/2/``."""
        return self.twitpic.url

    @property
    def twitrpix_url(self) -> str:
        """Root of the TwitrPix API 1.0, ``http://HOST:PORT/twitrpix/1/``."""
        return self.twitrpix.url

    @property
    def statusnet_url(self) -> str:
        """Root of the StatusNet API, ``http://HOST:PORT/statusnet/api/``."""
        return self.statusnet.url

    @property
    def twitpic_api_key(self) -> str:
        """The TwitPic API key the sandbox accepts."""
        return self.twitpic.api_key

    @property
    def twitrpix_api_key(self) -> str:
        """The TwitrPix API key the sandbox accepts."""
        return self.twitrpix.api_key

    @property
    def statusnet_credentials(self) -> dict[str, str]:
        """``{"username": …, "password": …}`` the StatusNet service accepts (a copy)."""
        return self.statusnet.credentials()

    # --- lifecycle ---

    def build_app(self) -> web.Application:
        """A fresh application with the middleware and every service's routes."""
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        for service in self.services:
            service.setup(app, self)
        return app

    async def start(self) -> None:
        """Bind and start serving (idempotent)."""
        if self._runner is not None:
            return
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])

    async def close(self) -> None:
        """Stop serving and release the socket (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- fault injection ---

    def inject(self, *faults: Fault) -> None:
        """Add faults; each strikes deterministically (see :class:`Fault`).

        >>> sb.inject(Fault(command="APPEND", nth=2, status=503))   # doctest: +SKIP
        >>> sb.inject(Fault(command="INIT", status=429, reset_in=2))   # doctest: +SKIP
        """
        self.faults.extend(faults)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()

    async def strike(self, request: web.Request, command: str | None) -> web.Response | None:
        """Apply the first due fault matching ``request``/``command``; services call this
        once they know the command, before acting.  ``None`` means serve normally."""
        for fault in self.faults:
            if not fault.matches(request.path, command) or not fault.due():
                continue
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            if fault.redirect_to:
                return web.Response(status=307, headers={"Location": fault.redirect_to})
            if fault.status:
                return _fault_response(request, fault, self.clock())
            return None
        return None

    # --- request pipeline ---

    async def _intercept(self, request: web.Request) -> web.StreamResponse | None:
        """Hook run before every handler: faults matched by path alone strike here."""
        if not any(f.command is None for f in self.faults):
            return None
        saved, self.faults = self.faults, [f for f in self.faults if f.command is None]
        try:
            return await self.strike(request, None)
        finally:
            self.faults = saved

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        context = RequestContext(command=request.query.get("command"))
        request[CONTEXT_KEY] = context
        received_at = time.monotonic()
        response = await self._intercept(request)
        if response is None:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = _plain_error(request, exc)
            except ConnectionError:
                # The client went away in the middle of its request (noted below): nothing is
                # wrong with the sandbox, so no traceback, and a 400 on record.
                response = _plain_error(request, web.HTTPBadRequest(reason="Client went away"))
            except _UNREADABLE_BODY as exc:
                # A body no service could read (a charset that does not exist, nesting too
                # deep to parse, a part header over 8 KB) is the client's error: 400.
                _log.info("unreadable body of %s %s: %s", request.method, request.path, exc)
                response = _plain_error(request, web.HTTPBadRequest(reason="Malformed request"))
            except Exception:
                # A sandbox bug must still show up in the request log and carry the headers.
                _log.exception("sandbox handler failed for %s %s", request.method, request.path)
                response = web.Response(
                    status=500,
                    body=b'{"errors":[{"code":131,"message":"Internal error."}]}',
                    headers={"Content-Type": "application/json;charset=utf-8"},
                )
            transport = request.transport
            if transport is None or transport.is_closing():
                _log.info("client went away during %s %s", request.method, request.path)
        # Read what the handler left unread so the client always gets to see the answer.
        try:
            while await request.content.readany():
                pass
        except ConnectionError:
            pass  # the client went away (a dropped or timed-out request): still record it
        bucket, limit = context.rate_limit or (f"path:{request.path}", self.default_rate_limit)
        taken = self.rate_limits.take(bucket, limit)
        if context.twitter_rate_headers:
            for name, value in taken.items():
                response.headers.setdefault(name, value)  # a 429's own reset wins
        self.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path,
                query={key: request.query.getall(key)[-1] for key in request.query},
                command=context.command,
                status=response.status,
                headers=HeaderDict(request.headers.items()),
                authenticated=context.authenticated,
                received_at=received_at,
                peer=_peer(request),
            )
        )
        return response


def _peer(request: web.Request) -> tuple[str, int] | None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else None


def _fault_response(request: web.Request, fault: Fault, now: float) -> web.Response:
    import json

    status = fault.status or 500
    headers = {"Content-Type": "application/json;charset=utf-8"}
    if fault.body is not None:
        body = fault.body
    elif status == 429:
        body = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    elif status == 503:
        body = {"errors": [{"code": 130, "message": "Over capacity"}]}
    elif status >= 500:
        body = {"errors": [{"code": 131, "message": "Internal error"}]}
    else:
        body = {"request": request.path, "error": f"Injected fault {status}."}
    response = web.Response(status=status, body=json.dumps(body).encode(), headers=headers)
    if status == 429:
        response.headers["x-rate-limit-reset"] = str(int(now + fault.reset_in + 0.999))
        response.headers["x-rate-limit-remaining"] = "0"
    return response


def _plain_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """Turn a router/handler HTTPException into a Twitter-shaped JSON answer."""
    import json

    if exc.status == 404:
        message = "Sorry, that page does not exist."
        body: dict[str, Any] = {"errors": [{"code": 34, "message": message}]}
    else:
        body = {"request": request.path, "error": exc.reason}
    headers = {"Content-Type": "application/json;charset=utf-8"}
    if "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    return web.Response(
        status=exc.status, reason=exc.reason, body=json.dumps(body).encode(), headers=headers
    )


def _service_label(key: type[Any] | str) -> str:
    if isinstance(key, str):
        return repr(key)
    return getattr(key, "title", "") or key.__name__


def service_context(request: web.Request) -> RequestContext:
    """The :class:`RequestContext` of ``request`` (a fresh one outside the middleware)."""
    context = request.get(CONTEXT_KEY)
    if context is None:
        context = RequestContext()
        request[CONTEXT_KEY] = context
    return context
