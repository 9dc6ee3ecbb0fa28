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

The sandbox judges the client independently: nothing here imports the client side of
:mod:`asyncmedia`.  One module per service (:mod:`.twitter_v1`, :mod:`.twitter_v2`,
:mod:`.mastodon`, :mod:`.bluesky`); shared lifecycle and
bookkeeping in :mod:`.server`; OAuth 1.0a verification in :mod:`.oauth`.
"""

from .bluesky import BlobRecord, BlueskyService
from .mastodon import MastodonRecord, MastodonService
from .oauth import (
    AuthenticationFailed,
    MissingAuthorization,
    NonceRegistry,
    OAuthVerificationError,
    verify_oauth1,
)
from .server import Fault, RequestRecord, Sandbox, SandboxService, Throttle, random_credentials
from .threaded import ThreadedSandbox
from .twitter_v1 import TwitterV1Service, UploadRecord
from .twitter_v2 import TwitterV2Service

__all__ = [
    "AuthenticationFailed",
    "BlobRecord",
    "BlueskyService",
    "Fault",
    "MastodonRecord",
    "MastodonService",
    "MissingAuthorization",
    "NonceRegistry",
    "OAuthVerificationError",
    "RequestRecord",
    "Sandbox",
    "SandboxService",
    "ThreadedSandbox",
    "Throttle",
    "TwitterV1Service",
    "TwitterV2Service",
    "UploadRecord",
    "random_credentials",
    "verify_oauth1",
]
