"""The registry of sandbox services: which ones ``Sandbox()`` runs, in which order.

Each entry is a :class:`~asyncmedia.sandbox.server.BoundService` subclass living in its own
module; the class itself declares its registry ``name``, mount ``prefix``, its entry in
``asyncmedia sandbox``'s JSON (``description_key``, ``url_keys``, ``credentials()``) and its
``records()`` (see :mod:`asyncmedia.sandbox.server`).  Registering a new service is one line
in :data:`DEFAULT_SERVICES` (plus its import); :class:`~asyncmedia.sandbox.server.Sandbox`,
its compatibility properties and the CLI then find it by name.

This module imports every service module, so :mod:`.server` imports it lazily (the service
modules import :mod:`.server`).
"""

from __future__ import annotations

from .bluesky import BlueskyService
from .mastodon import MastodonService
from .server import BoundService
from .statusnet import StatusNetService
from .twitpic import TwitPicService
from .twitrpix import TwitrPixService
from .twitter_v1 import TwitterV1Service
from .twitter_v2 import TwitterV2Service

__all__ = ["DEFAULT_SERVICES", "default_services", "registered"]

#: The built-in services, in mount order (also the order of ``asyncmedia sandbox``'s JSON).
DEFAULT_SERVICES: tuple[type[BoundService], ...] = (
    TwitterV1Service,
    TwitterV2Service,
    MastodonService,
    BlueskyService,
    TwitPicService,
    TwitrPixService,
    StatusNetService,
)


def default_services() -> list[BoundService]:
    """One fresh instance of each of :data:`DEFAULT_SERVICES`, with its default knobs."""
    return [kind() for kind in DEFAULT_SERVICES]


def registered(name: str) -> type[BoundService]:
    """The registered service class called ``name`` (``"mastodon"``).

    :raises KeyError: no service of that name is registered.
    """
    for kind in DEFAULT_SERVICES:
        if kind.name == name:
            return kind
    known = ", ".join(kind.name for kind in DEFAULT_SERVICES)
    raise KeyError(f"no sandbox service is registered as {name!r} (known: {known})")
