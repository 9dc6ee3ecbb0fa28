"""Clients from environment variables, and the sandbox fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmedia import (
    BlueskyClient,
    MastodonClient,
    MediaClient,
    StatusNetClient,
    TwitPicClient,
    TwitrPixClient,
)
from asyncmedia.environment import ENVIRONMENT, SERVICES, client_from_env

TWITTER = {
    "ASYNCMEDIA_CONSUMER_KEY": "ck",
    "ASYNCMEDIA_CONSUMER_SECRET": "cs",
    "ASYNCMEDIA_ACCESS_TOKEN": "at",
    "ASYNCMEDIA_ACCESS_TOKEN_SECRET": "ats",
}

REAL = [
    ("twitter", TWITTER, MediaClient),
    ("x2", {"ASYNCMEDIA_X_BEARER_TOKEN": "t"}, MediaClient),
    ("x2", TWITTER, MediaClient),
    (
        "mastodon",
        {"ASYNCMEDIA_MASTODON_URL": "https://m.example", "ASYNCMEDIA_MASTODON_TOKEN": "t"},
        MastodonClient,
    ),
    ("bluesky", {"ASYNCMEDIA_BLUESKY_JWT": "a.b.c"}, BlueskyClient),
    (
        "bluesky",
        {"ASYNCMEDIA_BLUESKY_IDENTIFIER": "me", "ASYNCMEDIA_BLUESKY_PASSWORD": "p"},
        BlueskyClient,
    ),
    ("twitpic", {"ASYNCMEDIA_TWITPIC_API_KEY": "k", **TWITTER}, TwitPicClient),
    ("twitrpix", {"ASYNCMEDIA_TWITRPIX_API_KEY": "k", **TWITTER}, TwitrPixClient),
    (
        "statusnet",
        {"ASYNCMEDIA_STATUSNET_USERNAME": "u", "ASYNCMEDIA_STATUSNET_PASSWORD": "p"},
        StatusNetClient,
    ),
]


@pytest.mark.parametrize(("service", "env", "kind"), REAL)
async def test_real_credentials_make_the_real_client(
    service: str, env: dict[str, str], kind: type
) -> None:
    async with client_from_env(service, env) as client:
        assert type(client) is kind
        assert client.sandbox is None
    assert client._session is None or client._session.closed


@pytest.mark.parametrize("service", SERVICES)
async def test_no_credentials_start_the_sandbox(service: str) -> None:
    async with client_from_env(service, {}) as client:
        assert client.sandbox is not None
        assert client.sandbox.base_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("service", "env", "message"),
    [
        ("twitter", {"ASYNCMEDIA_CONSUMER_KEY": "ck"}, "ASYNCMEDIA_ACCESS_TOKEN_SECRET"),
        ("x2", {"ASYNCMEDIA_X_BEARER_TOKEN": "t", "ASYNCMEDIA_CONSUMER_KEY": "k"}, "not both"),
        ("mastodon", {"ASYNCMEDIA_MASTODON_URL": "https://m.example"}, "ASYNCMEDIA_MASTODON_TOKEN"),
        ("bluesky", {"ASYNCMEDIA_BLUESKY_URL": "https://b.example"}, "ASYNCMEDIA_BLUESKY_PASSWORD"),
        ("twitpic", TWITTER, "ASYNCMEDIA_TWITPIC_API_KEY"),
        ("statusnet", {"ASYNCMEDIA_STATUSNET_PASSWORD": "p"}, "ASYNCMEDIA_STATUSNET_USERNAME"),
        ("nowhere", {}, "unknown service"),
        # a URL without credentials would otherwise silently mean "the sandbox"
        ("twitter", {"ASYNCMEDIA_UPLOAD_URL": "http://127.0.0.1:9/"}, "ASYNCMEDIA_CONSUMER_KEY"),
        (
            "bluesky",
            {"ASYNCMEDIA_BLUESKY_JWT": "a.b.c", "ASYNCMEDIA_BLUESKY_IDENTIFIER": "me"},
            "not both",
        ),
    ],
)
async def test_partial_credentials_name_what_is_missing(
    service: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        async with client_from_env(service, env):
            pass


def test_every_service_lists_its_variables() -> None:
    assert set(SERVICES) == {
        "twitter",
        "x2",
        "mastodon",
        "bluesky",
        "twitpic",
        "twitrpix",
        "statusnet",
    }
    for names in ENVIRONMENT.values():
        assert all(name.startswith("ASYNCMEDIA_") for name in names)


CLI_PAGE = (Path(__file__).resolve().parents[2] / "docs" / "cli.rst").read_text("utf-8")


async def test_the_registry_is_the_one_list_every_consumer_reads() -> None:
    from asyncmedia.cli import UPLOAD_SERVICES, sandbox_description
    from asyncmedia.registry import REGISTRY
    from asyncmedia.sandbox import Sandbox

    names = [spec.name for spec in REGISTRY]
    assert list(SERVICES) == names and list(ENVIRONMENT) == names
    assert list(UPLOAD_SERVICES) == [spec.name for spec in REGISTRY if spec.posts]
    async with Sandbox() as sb:
        assert list(sandbox_description(sb)) == names
    for service in UPLOAD_SERVICES:  # the CLI page lists what the command reads
        for variable in ENVIRONMENT[service]:
            assert f"``{variable}``" in CLI_PAGE, variable


async def test_clients_from_env_share_one_sandbox_among_the_services_without_credentials() -> None:
    from asyncmedia.environment import clients_from_env

    env = {"ASYNCMEDIA_MASTODON_URL": "https://m.example", "ASYNCMEDIA_MASTODON_TOKEN": "t"}
    async with clients_from_env(["x2", "mastodon", "bluesky"], env) as (x, mastodon, bluesky):
        assert (type(x), type(mastodon), type(bluesky)) == (
            MediaClient,
            MastodonClient,
            BlueskyClient,
        )
        assert x.sandbox is not None and bluesky.sandbox is x.sandbox
        assert mastodon.sandbox is None  # real credentials: the real instance
    async with clients_from_env(["mastodon"], env) as (only,):
        assert only.sandbox is None  # nobody needed a sandbox: none was started
