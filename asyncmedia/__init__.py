"""asyncmedia: upload images, GIFs and video from asyncio code.

>>> from asyncmedia import MediaClient                                  # doctest: +SKIP
>>> async with MediaClient(ck, cs, at, ats, api_version=2) as client:   # doctest: +SKIP
...     media = await client.upload_media("cat.png", alt_text="A cat on a sofa")

Also :class:`MastodonClient` (``upload_media`` → :class:`MastodonMedia`) and
:class:`BlueskyClient` (``upload_blob`` → :class:`Blob`).
Classic photo services: :class:`TwitPicClient` (OAuth Echo), :class:`TwitrPixClient`,
:class:`StatusNetClient` (Identi.ca) and :meth:`MediaClient.update_with_media`.

The public API is re-exported here; see :mod:`asyncmedia.errors` for the exception tree and
:mod:`asyncmedia.sandbox` for the local emulator used by tests, the CLI and the demo.
"""

from importlib.metadata import PackageNotFoundError, version

from .auth import BasicAuth, BearerToken, NoAuth, OAuth1, OAuth1Credentials, Signer
from .client import MediaClient
from .config import UploadConfig
from .errors import (
    APIError,
    AsyncMediaError,
    AuthenticationError,
    CrossOriginRedirect,
    MediaSourceError,
    MediaTooLarge,
    PostMayExist,
    ProcessingError,
    ProcessingTimeout,
    RateLimitError,
    RedirectRefused,
    RejectedMediaSize,
    RejectedMediaType,
    ServiceUnavailable,
    TransportError,
    UnsupportedMediaType,
)
from .media import Blob, MastodonMedia, Media
from .posting import Post, PostingClient, crosspost
from .protocols.statusnet import StatusNetStatus, StatusNetUser
from .protocols.twitpic import TwitPicPhoto, TwitPicUser
from .protocols.twitrpix import TwitrPixMedia, TwitrPixUser
from .services import (
    BlueskyClient,
    MastodonClient,
    StatusNetClient,
    TwitPicClient,
    TwitrPixClient,
)
from .sources import MediaSource, open_source

try:
    #: The installed distribution's version (``"0.0.0"`` when run from an uninstalled tree).
    __version__ = version("asyncmedia")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "APIError",
    "AsyncMediaError",
    "AuthenticationError",
    "BasicAuth",
    "BearerToken",
    "Blob",
    "BlueskyClient",
    "CrossOriginRedirect",
    "MastodonClient",
    "MastodonMedia",
    "Media",
    "MediaClient",
    "MediaSource",
    "MediaSourceError",
    "MediaTooLarge",
    "NoAuth",
    "OAuth1",
    "OAuth1Credentials",
    "Post",
    "PostMayExist",
    "PostingClient",
    "ProcessingError",
    "ProcessingTimeout",
    "RateLimitError",
    "RedirectRefused",
    "RejectedMediaSize",
    "RejectedMediaType",
    "ServiceUnavailable",
    "Signer",
    "StatusNetClient",
    "StatusNetStatus",
    "StatusNetUser",
    "TransportError",
    "TwitPicClient",
    "TwitPicPhoto",
    "TwitPicUser",
    "TwitrPixClient",
    "TwitrPixMedia",
    "TwitrPixUser",
    "UnsupportedMediaType",
    "UploadConfig",
    "__version__",
    "crosspost",
    "open_source",
]
