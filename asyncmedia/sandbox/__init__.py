"""A local emulator of the upload services, for functional tests and ``asyncmedia sandbox``.

::

    from asyncmedia.sandbox import Sandbox

    async with Sandbox() as sb:          # 127.0.0.1, free port
        sb.url                           # "http://127.0.0.1:PORT/1.1/"
        sb.credentials                   # OAuth 1.0a keys the sandbox accepts
        sb.uploads[media_id].sha256      # what arrived (v1.1)
        sb.requests                      # every request received
        sb.x2_url, sb.x_bearer_token     # X API v2: "http://127.0.0.1:PORT/2/"
        sb.mastodon_url, sb.mastodon_token
        sb.bluesky_url, sb.bluesky_identifier, sb.bluesky_password, sb.bluesky_token
        sb.twitter_v2.uploads, sb.mastodon.media, sb.bluesky.blobs   # what arrived
        sb.twitpic_url, sb.twitpic_api_key, sb.twitpic.uploads
        sb.twitrpix_url, sb.twitrpix_api_key, sb.twitrpix.uploads
        sb.statusnet_url, sb.statusnet_credentials, sb.statusnet.notices
        sb.service("mastodon").records(), sb.describe()              # any service, by name
        sb.posts                         # every post created (PostRecord), any service
        sb.inject(Fault(command="APPEND", nth=2, status=503))        # fault injection

The sandbox judges the client independently: nothing here imports the client side of
:mod:`asyncmedia`.  One module per service (:mod:`.twitter_v1`, :mod:`.twitter_v2`,
:mod:`.mastodon`, :mod:`.bluesky`, :mod:`.twitpic`, :mod:`.twitrpix`, :mod:`.statusnet`);
shared lifecycle, bookkeeping and fault injection in :mod:`.server`; which services a
default sandbox runs in :mod:`.registry` (each service class registers itself there with one
line, see :class:`BoundService`); body and multipart media-part reading and XML rendering in
:mod:`.forms`; media sniffing and image dimensions in :mod:`.media_inspection`; OAuth 1.0a
verification in :mod:`.oauth`; a threaded runner for synchronous callers in :mod:`.threaded`.
"""

from .bluesky import BlobRecord, BlueskyService
from .mastodon import MastodonRecord, MastodonService, MastodonStatus
from .oauth import (
    AuthenticationFailed,
    MissingAuthorization,
    NonceRegistry,
    OAuthVerificationError,
    verify_oauth1,
)
from .posts import PostRecord
from .registry import DEFAULT_SERVICES
from .server import (
    BoundService,
    Fault,
    RequestRecord,
    Sandbox,
    SandboxService,
    Throttle,
    random_credentials,
)
from .statusnet import StatusNetNotice, StatusNetService
from .threaded import ThreadedSandbox
from .twitpic import TwitPicService, TwitPicUpload
from .twitrpix import TwitrPixService, TwitrPixUpload
from .twitter_v1 import StatusRecord, TwitterV1Service, UploadRecord
from .twitter_v2 import TwitterV2Service

__all__ = [
    "DEFAULT_SERVICES",
    "AuthenticationFailed",
    "BlobRecord",
    "BlueskyService",
    "BoundService",
    "Fault",
    "MastodonRecord",
    "MastodonService",
    "MastodonStatus",
    "MissingAuthorization",
    "NonceRegistry",
    "OAuthVerificationError",
    "PostRecord",
    "RequestRecord",
    "Sandbox",
    "SandboxService",
    "StatusNetNotice",
    "StatusNetService",
    "StatusRecord",
    "ThreadedSandbox",
    "Throttle",
    "TwitPicService",
    "TwitPicUpload",
    "TwitrPixService",
    "TwitrPixUpload",
    "TwitterV1Service",
    "TwitterV2Service",
    "UploadRecord",
    "random_credentials",
    "verify_oauth1",
]
