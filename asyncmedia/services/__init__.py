"""Clients for services other than Twitter/X (which :class:`asyncmedia.MediaClient` covers).

One module per service, each a :class:`~asyncmedia.service.ServiceClient` subclass over a
sans-I/O protocol module in :mod:`asyncmedia.protocols`:

- :class:`MastodonClient` — Mastodon v2 media (:mod:`.mastodon`);
- :class:`BlueskyClient` — Bluesky / AT Protocol blobs (:mod:`.bluesky`);
- :class:`TwitPicClient` — TwitPic API v2 with OAuth Echo (:mod:`.twitpic`);
- :class:`TwitrPixClient` — TwitrPix API 1.0, pass-through credentials (:mod:`.twitrpix`);
- :class:`StatusNetClient` — Identi.ca / StatusNet ``statuses/update`` with HTTP Basic
  (:mod:`.statusnet`).

Twitter's legacy ``statuses/update_with_media`` is :meth:`asyncmedia.MediaClient.update_with_media`.
"""

from .bluesky import BlueskyClient
from .mastodon import MastodonClient
from .statusnet import StatusNetClient
from .twitpic import TwitPicClient
from .twitrpix import TwitrPixClient

__all__ = ["BlueskyClient", "MastodonClient", "StatusNetClient", "TwitPicClient", "TwitrPixClient"]
