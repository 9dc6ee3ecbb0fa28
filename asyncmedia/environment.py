"""Clients configured from environment variables, with the embedded sandbox as fallback.

For scripts, bots, the examples and the ``asyncmedia`` command: credentials come from the
environment (12-factor style); when *none* of a service's variables is set, an embedded
:class:`~asyncmedia.sandbox.Sandbox` is started on 127.0.0.1 and the client points at it, so
everything runs with no account and no network (a warning on the ``asyncmedia`` logger says
so, and ``client.sandbox`` is the running sandbox).  Setting only some of a service's required
variables is a :class:`ValueError` naming the missing ones.

.. code-block:: python

    async with client_from_env("mastodon") as mastodon:
        media = await mastodon.upload_media("cat.png", description="A cat")

:data:`ENVIRONMENT` lists the variables of each service:

========== ==================================================================================
service    variables (``*`` optional)
========== ==================================================================================
twitter    ``ASYNCMEDIA_CONSUMER_KEY``, ``ASYNCMEDIA_CONSUMER_SECRET``,
           ``ASYNCMEDIA_ACCESS_TOKEN``, ``ASYNCMEDIA_ACCESS_TOKEN_SECRET``,
           ``ASYNCMEDIA_UPLOAD_URL*``, ``ASYNCMEDIA_API_URL*``
x2         ``ASYNCMEDIA_X_BEARER_TOKEN`` (OAuth 2.0 user token) *or* the four keys above;
           ``ASYNCMEDIA_UPLOAD_URL*``
mastodon   ``ASYNCMEDIA_MASTODON_URL``, ``ASYNCMEDIA_MASTODON_TOKEN``
bluesky    ``ASYNCMEDIA_BLUESKY_IDENTIFIER`` and ``ASYNCMEDIA_BLUESKY_PASSWORD`` (an app
           password) *or* ``ASYNCMEDIA_BLUESKY_JWT``; ``ASYNCMEDIA_BLUESKY_URL*``
twitpic    ``ASYNCMEDIA_TWITPIC_API_KEY`` and the four Twitter keys; ``ASYNCMEDIA_TWITPIC_URL*``
twitrpix   ``ASYNCMEDIA_TWITRPIX_API_KEY`` and the four Twitter keys;
           ``ASYNCMEDIA_TWITRPIX_URL*``
statusnet  ``ASYNCMEDIA_STATUSNET_USERNAME``, ``ASYNCMEDIA_STATUSNET_PASSWORD``;
           ``ASYNCMEDIA_STATUSNET_URL*``
========== ==================================================================================
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from .client import MediaClient
from .service import ServiceClient
from .services import BlueskyClient, MastodonClient, StatusNetClient, TwitPicClient, TwitrPixClient

__all__ = ["ENVIRONMENT", "SERVICES", "client_from_env"]

log = logging.getLogger("asyncmedia")

_TWITTER_KEYS = {
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}

#: The environment variables each service reads (required ones first, then optional ones).
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "twitter": (*_TWITTER_KEYS.values(), "ASYNCMEDIA_UPLOAD_URL", "ASYNCMEDIA_API_URL"),
    "x2": ("ASYNCMEDIA_X_BEARER_TOKEN", *_TWITTER_KEYS.values(), "ASYNCMEDIA_UPLOAD_URL"),
    "mastodon": ("ASYNCMEDIA_MASTODON_URL", "ASYNCMEDIA_MASTODON_TOKEN"),
    "bluesky": (
        "ASYNCMEDIA_BLUESKY_IDENTIFIER",
        "ASYNCMEDIA_BLUESKY_PASSWORD",
        "ASYNCMEDIA_BLUESKY_JWT",
        "ASYNCMEDIA_BLUESKY_URL",
    ),
    "twitpic": ("ASYNCMEDIA_TWITPIC_API_KEY", *_TWITTER_KEYS.values(), "ASYNCMEDIA_TWITPIC_URL"),
    "twitrpix": (
        "ASYNCMEDIA_TWITRPIX_API_KEY",
        *_TWITTER_KEYS.values(),
        "ASYNCMEDIA_TWITRPIX_URL",
    ),
    "statusnet": (
        "ASYNCMEDIA_STATUSNET_USERNAME",
        "ASYNCMEDIA_STATUSNET_PASSWORD",
        "ASYNCMEDIA_STATUSNET_URL",
    ),
}
SERVICES = tuple(ENVIRONMENT)


def _read(env: Mapping[str, str], required: Mapping[str, str]) -> dict[str, str] | None:
    """``{argument: value}`` for ``required`` variables; ``None`` if none is set."""
    found = {arg: env.get(name, "") for arg, name in required.items()}
    if not any(found.values()):
        return None
    missing = [required[arg] for arg, value in found.items() if not value]
    if missing:
        raise ValueError(
            f"set {', '.join(missing)} too (or unset all of {', '.join(required.values())} "
            "to use the embedded sandbox)"
        )
    return found


def _optional(env: Mapping[str, str], name: str, argument: str) -> dict[str, Any]:
    value = env.get(name, "")
    return {argument: value} if value else {}


def _real_client(service: str, env: Mapping[str, str], options: dict[str, Any]) -> Any:
    """The client for real credentials in ``env``, or ``None`` when none are set."""
    if service in ("twitter", "x2"):
        url = _optional(env, "ASYNCMEDIA_UPLOAD_URL", "upload_url")
        if service == "twitter":
            url.update(_optional(env, "ASYNCMEDIA_API_URL", "api_url"))
        bearer = env.get("ASYNCMEDIA_X_BEARER_TOKEN", "") if service == "x2" else ""
        if bearer and any(env.get(name) for name in _TWITTER_KEYS.values()):
            raise ValueError("set ASYNCMEDIA_X_BEARER_TOKEN or the four OAuth 1.0a keys, not both")
        keys = _read(env, _TWITTER_KEYS)
        if bearer:
            return MediaClient(bearer_token=bearer, api_version=2, **url, **options)
        if keys is None:
            return None
        return MediaClient(
            keys["consumer_key"],
            keys["consumer_secret"],
            keys["access_token"],
            keys["access_token_secret"],
            api_version=2 if service == "x2" else 1,
            **url,
            **options,
        )
    if service == "mastodon":
        found = _read(env, {"url": "ASYNCMEDIA_MASTODON_URL", "token": "ASYNCMEDIA_MASTODON_TOKEN"})
        return None if found is None else MastodonClient(found["url"], found["token"], **options)
    if service == "bluesky":
        url = _optional(env, "ASYNCMEDIA_BLUESKY_URL", "service_url")
        jwt = env.get("ASYNCMEDIA_BLUESKY_JWT", "")
        if jwt:
            return BlueskyClient(access_jwt=jwt, **url, **options)
        login = _read(
            env,
            {
                "identifier": "ASYNCMEDIA_BLUESKY_IDENTIFIER",
                "password": "ASYNCMEDIA_BLUESKY_PASSWORD",
            },
        )
        if login is None:
            if url:
                raise ValueError(
                    "set ASYNCMEDIA_BLUESKY_IDENTIFIER and ASYNCMEDIA_BLUESKY_PASSWORD "
                    "(or ASYNCMEDIA_BLUESKY_JWT) with ASYNCMEDIA_BLUESKY_URL"
                )
            return None
        return BlueskyClient(
            identifier=login["identifier"], password=login["password"], **url, **options
        )
    if service in ("twitpic", "twitrpix"):
        prefix = service.upper()
        found = _read(env, {"api_key": f"ASYNCMEDIA_{prefix}_API_KEY", **_TWITTER_KEYS})
        if found is None:
            return None
        kind = TwitPicClient if service == "twitpic" else TwitrPixClient
        return kind(
            found["api_key"],
            found["consumer_key"],
            found["consumer_secret"],
            found["access_token"],
            found["access_token_secret"],
            **_optional(env, f"ASYNCMEDIA_{prefix}_URL", "base_url"),
            **options,
        )
    found = _read(
        env,
        {"username": "ASYNCMEDIA_STATUSNET_USERNAME", "password": "ASYNCMEDIA_STATUSNET_PASSWORD"},
    )
    if found is None:
        return None
    return StatusNetClient(
        found["username"],
        found["password"],
        **_optional(env, "ASYNCMEDIA_STATUSNET_URL", "base_url"),
        **options,
    )


def _sandbox_client(service: str, sb: Any, options: dict[str, Any]) -> tuple[ServiceClient, str]:
    """A client for ``service`` pointed at the running sandbox ``sb``, and its base URL."""
    creds = sb.credentials
    client: ServiceClient
    if service == "twitter":
        return MediaClient(**creds, upload_url=sb.url, api_url=sb.url, **options), sb.url
    if service == "x2":
        client = MediaClient(
            bearer_token=sb.x_bearer_token, api_version=2, upload_url=sb.x2_url, **options
        )
        return client, sb.x2_url
    if service == "mastodon":
        sb.mastodon.processing_steps = 1  # a demo need not wait for simulated transcoding
        options = {"poll_interval": 0.2, **options}
        return MastodonClient(sb.mastodon_url, sb.mastodon_token, **options), sb.mastodon_url
    if service == "bluesky":
        client = BlueskyClient(
            sb.bluesky_url,
            identifier=sb.bluesky_identifier,
            password=sb.bluesky_password,
            **options,
        )
        return client, sb.bluesky_url
    if service == "twitpic":
        client = TwitPicClient(sb.twitpic_api_key, **creds, base_url=sb.twitpic_url, **options)
        return client, sb.twitpic_url
    if service == "twitrpix":
        client = TwitrPixClient(sb.twitrpix_api_key, **creds, base_url=sb.twitrpix_url, **options)
        return client, sb.twitrpix_url
    user = sb.statusnet_credentials
    client = StatusNetClient(
        user["username"], user["password"], base_url=sb.statusnet_url, **options
    )
    return client, sb.statusnet_url


@asynccontextmanager
async def client_from_env(
    service: str = "twitter", env: Mapping[str, str] | None = None, **options: Any
) -> AsyncIterator[Any]:
    """``async with client_from_env("mastodon") as client:`` — the service's client for the
    credentials in ``env`` (default ``os.environ``), or for an embedded sandbox when none of
    the service's variables is set.  Extra keyword arguments go to the client's constructor.

    The client type follows ``service``: :class:`MediaClient` (``twitter``, ``x2``),
    :class:`MastodonClient`, :class:`BlueskyClient`, :class:`TwitPicClient`,
    :class:`TwitrPixClient` or :class:`StatusNetClient`.
    """
    env = os.environ if env is None else env
    if service not in ENVIRONMENT:
        raise ValueError(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    async with AsyncExitStack() as stack:
        client = _real_client(service, env, options)
        sandbox = None
        if client is None:
            from .sandbox import Sandbox

            sandbox = await stack.enter_async_context(Sandbox())
            client, url = _sandbox_client(service, sandbox, options)
            log.warning(
                "no %s credentials in the environment; using the embedded sandbox at %s",
                service,
                url,
            )
        await stack.enter_async_context(client)
        client.sandbox = sandbox
        yield client
