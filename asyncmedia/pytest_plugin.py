"""pytest plugin: test your own bots against the sandbox, without a network.

Installed with asyncmedia (entry point ``pytest11``), it gives these fixtures, all function
scoped and requiring pytest-asyncio:

``asyncmedia_sandbox``
    a started :class:`asyncmedia.sandbox.Sandbox` on 127.0.0.1 (closed after the test);
``asyncmedia_client``
    a :class:`asyncmedia.MediaClient` connected to it (closed after the test);
``asyncmedia_bluesky``
    a :class:`asyncmedia.BlueskyClient` logged in to its Bluesky PDS (closed after the test);
    what it posted is in ``asyncmedia_sandbox.posts``;
``asyncmedia_mastodon``
    a :class:`asyncmedia.MastodonClient` with the token of its Mastodon instance, polling
    processing every 10 ms (closed after the test); its statuses are in
    ``asyncmedia_sandbox.posts`` and ``asyncmedia_sandbox.mastodon.statuses``.

.. code-block:: python

    async def test_my_bot_posts_a_picture(asyncmedia_client, asyncmedia_sandbox):
        media = await my_bot.post_picture(asyncmedia_client)
        assert asyncmedia_sandbox.uploads[media.media_id].media_type == "image/png"

The fixtures are skipped with a clear message when pytest-asyncio is not installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from .client import MediaClient
from .sandbox import Sandbox
from .services.bluesky import BlueskyClient
from .services.mastodon import MastodonClient

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["asyncmedia_bluesky", "asyncmedia_client", "asyncmedia_mastodon", "asyncmedia_sandbox"]


def _async_fixture(func: Any) -> Any:
    if pytest_asyncio is None:  # pragma: no cover

        @pytest.fixture(name=func.__name__)
        def missing() -> None:
            pytest.skip("the asyncmedia fixtures need pytest-asyncio (pip install pytest-asyncio)")

        return missing
    return pytest_asyncio.fixture(func)


@_async_fixture
async def asyncmedia_sandbox() -> AsyncIterator[Sandbox]:
    """A running sandbox emulating the upload services on 127.0.0.1."""
    async with Sandbox() as sandbox:
        yield sandbox


@_async_fixture
async def asyncmedia_client(asyncmedia_sandbox: Sandbox) -> AsyncIterator[MediaClient]:
    """A :class:`MediaClient` whose upload and API URLs point at ``asyncmedia_sandbox``."""
    async with MediaClient(
        **asyncmedia_sandbox.credentials,
        upload_url=asyncmedia_sandbox.url,
        api_url=asyncmedia_sandbox.url,
    ) as client:
        yield client


@_async_fixture
async def asyncmedia_bluesky(asyncmedia_sandbox: Sandbox) -> AsyncIterator[BlueskyClient]:
    """A :class:`BlueskyClient` with the identifier and password ``asyncmedia_sandbox``'s
    Bluesky PDS accepts; its posts land in ``asyncmedia_sandbox.posts``."""
    async with BlueskyClient(
        asyncmedia_sandbox.bluesky_url,
        identifier=asyncmedia_sandbox.bluesky_identifier,
        password=asyncmedia_sandbox.bluesky_password,
    ) as client:
        yield client


@_async_fixture
async def asyncmedia_mastodon(asyncmedia_sandbox: Sandbox) -> AsyncIterator[MastodonClient]:
    """A :class:`MastodonClient` with the token ``asyncmedia_sandbox``'s Mastodon instance
    accepts, polling every 10 ms; its statuses land in ``asyncmedia_sandbox.posts``."""
    async with MastodonClient(
        asyncmedia_sandbox.mastodon_url,
        asyncmedia_sandbox.mastodon_token,
        poll_interval=0.01,
        max_poll_interval=0.01,
    ) as client:
        yield client
