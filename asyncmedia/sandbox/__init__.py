"""A local emulator of the upload services, for functional tests and ``asyncmedia sandbox``.

::

    from asyncmedia.sandbox import Sandbox

    async with Sandbox() as sb:          # 127.0.0.1, free port
        sb.url                           # "http://127.0.0.1:PORT/1.1/"
        sb.credentials                   # OAuth 1.0a keys the sandbox accepts
        sb.uploads[media_id].sha256      # what arrived
        sb.requests                      # every request received
        sb.twitpic_url, sb.twitpic_api_key, sb.twitpic.uploads
        sb.twitrpix_url, sb.twitrpix_api_key, sb.twitrpix.uploads
        sb.statusnet_url, sb.statusnet_credentials, sb.statusnet.notices

The sandbox judges the client independently: nothing here imports the client side of
:mod:`asyncmedia`.  One module per service (:mod:`.twitter_v1`, :mod:`.twitpic`,
:mod:`.twitrpix`, :mod:`.statusnet`); shared lifecycle and bookkeeping in :mod:`.server`;
body reading and XML rendering in :mod:`.forms`; OAuth 1.0a verification in :mod:`.oauth`.
"""

from .oauth import (
    AuthenticationFailed,
    MissingAuthorization,
    NonceRegistry,
    OAuthVerificationError,
    verify_oauth1,
)
from .server import RequestRecord, Sandbox, SandboxService, random_credentials
from .statusnet import StatusNetNotice, StatusNetService
from .twitpic import TwitPicService, TwitPicUpload
from .twitrpix import TwitrPixService, TwitrPixUpload
from .twitter_v1 import StatusRecord, TwitterV1Service, UploadRecord

__all__ = [
    "AuthenticationFailed",
    "MissingAuthorization",
    "NonceRegistry",
    "OAuthVerificationError",
    "RequestRecord",
    "Sandbox",
    "SandboxService",
    "StatusNetNotice",
    "StatusNetService",
    "StatusRecord",
    "TwitPicService",
    "TwitPicUpload",
    "TwitrPixService",
    "TwitrPixUpload",
    "TwitterV1Service",
    "UploadRecord",
    "random_credentials",
    "verify_oauth1",
]
