"""Clients for the classic photo services, one module each, all built on
:class:`~asyncmedia.service.ServiceClient` and a sans-I/O module in :mod:`asyncmedia.protocols`.

- :class:`TwitPicClient` — TwitPic API v2 with OAuth Echo (:mod:`.twitpic`);
- :class:`TwitrPixClient` — TwitrPix API 1.0, pass-through credentials (:mod:`.twitrpix`);
- :class:`StatusNetClient` — Identi.ca / StatusNet ``statuses/update`` with HTTP Basic
  (:mod:`.statusnet`).

Twitter's legacy ``statuses/update_with_media`` is :meth:`asyncmedia.MediaClient.update_with_media`.
"""

from .statusnet import StatusNetClient
from .twitpic import TwitPicClient
from .twitrpix import TwitrPixClient

__all__ = ["StatusNetClient", "TwitPicClient", "TwitrPixClient"]
