"""Clients for services other than Twitter/X (which :class:`asyncmedia.MediaClient` covers).

One module per service, each a :class:`~asyncmedia.service.ServiceClient` subclass over a
sans-I/O protocol module in :mod:`asyncmedia.protocols`: :mod:`.mastodon`, :mod:`.bluesky`.
"""

from .bluesky import BlueskyClient
from .mastodon import MastodonClient

__all__ = ["BlueskyClient", "MastodonClient"]
