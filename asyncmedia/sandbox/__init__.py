"""A local emulator of the upload services, for functional tests and ``asyncmedia sandbox``.

::

    from asyncmedia.sandbox import Sandbox

    async with Sandbox() as sb:          # 127.0.0.1, free port
        sb.url                           # "http://127.0.0.1:PORT/1.1/"
        sb.credentials                   # OAuth 1.0a keys the sandbox accepts
        sb.uploads[media_id].sha256      # what arrived
        sb.requests                      # every request received

The sandbox judges the client independently: nothing here imports the client side of
:mod:`asyncmedia`.  One module per service (:mod:`.twitter_v1` today); shared lifecycle and
bookkeeping in :mod:`.server`; OAuth 1.0a verification in :mod:`.oauth`.
"""

from .oauth import (
    AuthenticationFailed,
    MissingAuthorization,
    NonceRegistry,
    OAuthVerificationError,
    verify_oauth1,
)
from .server import Fault, RequestRecord, Sandbox, SandboxService, random_credentials
from .threaded import ThreadedSandbox
from .twitter_v1 import TwitterV1Service, UploadRecord

__all__ = [
    "AuthenticationFailed",
    "Fault",
    "MissingAuthorization",
    "NonceRegistry",
    "OAuthVerificationError",
    "RequestRecord",
    "Sandbox",
    "SandboxService",
    "ThreadedSandbox",
    "TwitterV1Service",
    "UploadRecord",
    "random_credentials",
    "verify_oauth1",
]
