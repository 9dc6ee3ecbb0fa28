"""Clients configured from environment variables, with the embedded sandbox as fallback.

For scripts, bots, the examples and the ``asyncmedia`` command: credentials come from the
environment (12-factor style); when *none* of a service's variables is set, an embedded
:class:`~asyncmedia.sandbox.Sandbox` is started on 127.0.0.1 and the client points at it, so
everything runs with no account and no network (a warning on the ``asyncmedia`` logger says
so, and ``client.sandbox`` is the running sandbox).  Setting only some of a service's required
variables (or only an optional URL) is a :class:`ValueError` saying what is set, what to set,
and what to unset to use the sandbox instead.  A service's alternative credentials set together
are refused too, except for ``x2``: it uses ``ASYNCMEDIA_X_BEARER_TOKEN`` when set, the four
OAuth 1.0a keys (which ``twitter`` reads as well) otherwise, and says which at debug level on
the ``asyncmedia`` logger.  ``ASYNCMEDIA_X2_UPLOAD_URL`` points ``x2`` elsewhere than
``twitter``; unset, ``x2`` reads the shared ``ASYNCMEDIA_UPLOAD_URL``.

.. code-block:: python

    async with client_from_env("mastodon") as mastodon:
        media = await mastodon.upload_media("cat.png", description="A cat")

:data:`ENVIRONMENT` lists the variables of each service (the table below is generated from
:data:`asyncmedia.registry.REGISTRY`, the one list of services; ``*`` marks optional ones):
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from .registry import DEFAULT_SERVICE, REGISTRY, spec_for

__all__ = ["ENVIRONMENT", "SERVICES", "client_from_env", "clients_from_env"]

log = logging.getLogger("asyncmedia")

#: The environment variables each service reads (required ones first, then optional ones).
ENVIRONMENT: dict[str, tuple[str, ...]] = {spec.name: spec.environment for spec in REGISTRY}
#: The name of every service, in the registry's order.
SERVICES = tuple(ENVIRONMENT)


def _variables_table() -> str:
    """The reST table of every service's variables, for this module's docstring."""
    rows = []
    for spec in REGISTRY:
        groups = " *or* ".join(
            ", ".join(f"``{name}``" for name in group.values()) for group in spec.credentials
        )
        optional = ", ".join(
            f"``{name}*`` (else ``{spec.fallback[name]}``)"
            if name in spec.fallback
            else f"``{name}*``"
            for name in spec.optional.values()
        )
        rows.append((spec.name, f"{groups}; {optional}" if optional else groups))
    width = max(len(text) for _, text in rows)
    rule = f"{'=' * 10} {'=' * width}"
    lines = [rule, f"{'service':<10} variables", rule]
    lines += [f"{name:<10} {text}" for name, text in rows]
    return "\n".join(["", "", *lines, rule, ""])


__doc__ = (__doc__ or "") + _variables_table()


@asynccontextmanager
async def client_from_env(
    service: str = DEFAULT_SERVICE,
    env: Mapping[str, str] | None = None,
    *,
    sandbox: Any = None,
    **options: Any,
) -> AsyncIterator[Any]:
    """``async with client_from_env("mastodon") as client:`` — the service's client for the
    credentials in ``env`` (default ``os.environ``), or for an embedded sandbox when none of
    the service's variables is set.  Extra keyword arguments go to the client's constructor.
    ``sandbox``, a running :class:`~asyncmedia.sandbox.Sandbox`, is used as that fallback
    instead of starting one (several clients on one sandbox; it is not closed here).

    The client type follows ``service`` (:data:`asyncmedia.registry.REGISTRY`):
    :class:`MediaClient` (``twitter``, ``x2``), :class:`MastodonClient`,
    :class:`BlueskyClient`, :class:`TwitPicClient`, :class:`TwitrPixClient` or
    :class:`StatusNetClient`.
    """
    env = os.environ if env is None else env
    spec = spec_for(service)
    async with AsyncExitStack() as stack:
        client = spec.from_env(env, options)
        if client is None:
            if sandbox is None:
                from .sandbox import Sandbox

                sandbox = await stack.enter_async_context(Sandbox())
            client, url = spec.from_sandbox(sandbox, options)
            log.warning(
                "no %s credentials in the environment; using the embedded sandbox at %s",
                service,
                url,
            )
        else:
            sandbox = None
        await stack.enter_async_context(client)
        client.sandbox = sandbox
        yield client


@asynccontextmanager
async def clients_from_env(
    services: Sequence[str], env: Mapping[str, str] | None = None
) -> AsyncIterator[list[Any]]:
    """``async with clients_from_env(["x2", "mastodon", "bluesky"]) as clients:`` — one client
    per service, as :func:`client_from_env` makes it, with *one* embedded sandbox shared by
    every service that has no credentials in ``env`` (started only if one needs it), e.g. for
    :func:`~asyncmedia.crosspost`.
    """
    env = os.environ if env is None else env
    specs = [spec_for(service) for service in services]
    async with AsyncExitStack() as stack:
        sandbox = None
        if not all(spec.configured(env) for spec in specs):
            from .sandbox import Sandbox

            sandbox = await stack.enter_async_context(Sandbox())
        yield [
            await stack.enter_async_context(client_from_env(spec.name, env, sandbox=sandbox))
            for spec in specs
        ]
