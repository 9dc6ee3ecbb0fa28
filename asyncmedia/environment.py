"""Clients configured from environment variables, with the embedded sandbox as fallback.

For scripts, bots, the examples and the ``asyncmedia`` command: credentials come from the
environment (12-factor style); when none of a service's variables is set, an embedded
:class:`~asyncmedia.sandbox.Sandbox` is started on 127.0.0.1 and the client points at it, so
everything runs on a machine with no account and no network.  Setting only some of a
service's variables is an error that names the missing ones.

Twitter/X v1.1 reads ``ASYNCMEDIA_CONSUMER_KEY``, ``ASYNCMEDIA_CONSUMER_SECRET``,
``ASYNCMEDIA_ACCESS_TOKEN`` and ``ASYNCMEDIA_ACCESS_TOKEN_SECRET`` (and optionally
``ASYNCMEDIA_UPLOAD_URL``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from .auth import OAuth1Credentials
from .client import MediaClient

__all__ = ["TWITTER_ENV", "media_client_from_env", "oauth1_credentials_from_env"]

log = logging.getLogger("asyncmedia")

TWITTER_ENV: dict[str, str] = {
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}


def oauth1_credentials_from_env(env: Mapping[str, str] | None = None) -> OAuth1Credentials | None:
    """The four OAuth 1.0a keys from ``env`` (default ``os.environ``), or ``None`` if unset.

    Raises :class:`ValueError` naming the missing variables when only some are set.
    """
    env = os.environ if env is None else env
    found = {key: env.get(name, "") for key, name in TWITTER_ENV.items()}
    if not any(found.values()):
        return None
    missing = [TWITTER_ENV[key] for key, value in found.items() if not value]
    if missing:
        raise ValueError(f"set {', '.join(missing)} too (or unset all four for the sandbox)")
    return OAuth1Credentials(
        consumer_key=found["consumer_key"],
        consumer_secret=found["consumer_secret"],
        access_token=found["access_token"],
        access_token_secret=found["access_token_secret"],
    )


@asynccontextmanager
async def media_client_from_env(
    env: Mapping[str, str] | None = None, **client_options: Any
) -> AsyncIterator[MediaClient]:
    """``async with media_client_from_env() as client:`` — a :class:`MediaClient` for real
    credentials from the environment, or for an embedded sandbox when none are set.

    ``client.sandbox`` is the running :class:`~asyncmedia.sandbox.Sandbox` in the second case
    and ``None`` in the first.  Extra keyword arguments go to :class:`MediaClient`.
    """
    env = os.environ if env is None else env
    credentials = oauth1_credentials_from_env(env)
    async with AsyncExitStack() as stack:
        sandbox = None
        if credentials is None:
            from .sandbox import Sandbox

            sandbox = await stack.enter_async_context(Sandbox())
            log.warning("no Twitter credentials in the environment; using the embedded sandbox")
            credentials = sandbox.credentials
            client_options = {"upload_url": sandbox.url, "api_url": sandbox.url, **client_options}
        elif env.get("ASYNCMEDIA_UPLOAD_URL"):
            client_options.setdefault("upload_url", env["ASYNCMEDIA_UPLOAD_URL"])
        client = await stack.enter_async_context(MediaClient(**credentials, **client_options))
        client.sandbox = sandbox
        yield client
