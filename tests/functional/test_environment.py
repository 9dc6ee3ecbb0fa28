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
        ("x2", {"ASYNCMEDIA_CONSUMER_KEY": "k"}, "ASYNCMEDIA_CONSUMER_SECRET"),
        ("x2", {"ASYNCMEDIA_X2_UPLOAD_URL": "http://127.0.0.1:9/"}, "ASYNCMEDIA_X_BEARER_TOKEN"),
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
            "alternative credentials",
        ),
    ],
)
async def test_partial_credentials_name_what_is_missing(
    service: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        async with client_from_env(service, env):
            pass


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


async def test_x2_prefers_the_bearer_token_over_the_keys_set_for_twitter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from asyncmedia.sandbox import Sandbox

    async with Sandbox() as sb:
        x2 = sb.describe()["x2"]
        env = {  # keys that X would refuse: an upload that works went with the bearer token
            "ASYNCMEDIA_X_BEARER_TOKEN": x2["bearer_token"],
            "ASYNCMEDIA_UPLOAD_URL": x2["upload_url"],
            **{name: "wrong" for name in TWITTER},
        }
        with caplog.at_level("DEBUG", logger="asyncmedia"):
            async with client_from_env("x2", env) as client:
                assert client.sandbox is None
                assert (await client.upload_media(PNG)).size == len(PNG)
        assert "x2: authenticating with ASYNCMEDIA_X_BEARER_TOKEN" in caplog.text
        assert "ASYNCMEDIA_CONSUMER_KEY" in caplog.text  # ... and says the keys are unused


async def test_one_shell_points_twitter_and_x2_at_different_roots() -> None:
    from asyncmedia.sandbox import Sandbox

    async with Sandbox() as sb:
        twitter, x2 = sb.describe()["twitter"], sb.describe()["x2"]
        env = {
            "ASYNCMEDIA_CONSUMER_KEY": twitter["consumer_key"],
            "ASYNCMEDIA_CONSUMER_SECRET": twitter["consumer_secret"],
            "ASYNCMEDIA_ACCESS_TOKEN": twitter["access_token"],
            "ASYNCMEDIA_ACCESS_TOKEN_SECRET": twitter["access_token_secret"],
            "ASYNCMEDIA_UPLOAD_URL": twitter["upload_url"],  # /1.1/
            "ASYNCMEDIA_X2_UPLOAD_URL": x2["upload_url"],  # /2/
        }
        assert twitter["upload_url"] != x2["upload_url"]
        for service, root in (("twitter", twitter["upload_url"]), ("x2", x2["upload_url"])):
            async with client_from_env(service, env) as client:
                assert str(client.protocol.upload_url).startswith(root)
                assert (await client.upload_media(PNG)).size == len(PNG)


async def test_x2_upload_url_falls_back_to_the_shared_variable() -> None:
    env = {"ASYNCMEDIA_X_BEARER_TOKEN": "t", "ASYNCMEDIA_UPLOAD_URL": "https://up.example/2/"}
    async with client_from_env("x2", env) as client:
        assert str(client.protocol.upload_url).startswith("https://up.example/2/")
    env["ASYNCMEDIA_X2_UPLOAD_URL"] = "https://x2.example/2/"
    async with client_from_env("x2", env) as client:
        assert str(client.protocol.upload_url).startswith("https://x2.example/2/")


@pytest.mark.parametrize(
    ("service", "env", "message"),
    [
        (
            "bluesky",
            {"ASYNCMEDIA_BLUESKY_URL": "https://b.example"},
            "Bluesky: ASYNCMEDIA_BLUESKY_URL is set without credentials. Set either "
            "ASYNCMEDIA_BLUESKY_IDENTIFIER and ASYNCMEDIA_BLUESKY_PASSWORD, or "
            "ASYNCMEDIA_BLUESKY_JWT. Or unset ASYNCMEDIA_BLUESKY_URL to use the embedded sandbox.",
        ),
        (
            "mastodon",
            {"ASYNCMEDIA_MASTODON_URL": "https://m.example"},
            "Mastodon: ASYNCMEDIA_MASTODON_URL is set without ASYNCMEDIA_MASTODON_TOKEN. Set it "
            "too. Or unset ASYNCMEDIA_MASTODON_URL to use the embedded sandbox.",
        ),
        (
            "x2",
            {"ASYNCMEDIA_UPLOAD_URL": "https://up.example/2/"},
            "X API v2: ASYNCMEDIA_UPLOAD_URL is set without credentials. Set either "
            "ASYNCMEDIA_X_BEARER_TOKEN, or ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET, "
            "ASYNCMEDIA_ACCESS_TOKEN and ASYNCMEDIA_ACCESS_TOKEN_SECRET. Or unset "
            "ASYNCMEDIA_UPLOAD_URL to use the embedded sandbox.",
        ),
        (
            "statusnet",
            {"ASYNCMEDIA_STATUSNET_PASSWORD": "p"},
            "StatusNet/identi.ca: ASYNCMEDIA_STATUSNET_PASSWORD is set without "
            "ASYNCMEDIA_STATUSNET_USERNAME. Set it too. Or unset ASYNCMEDIA_STATUSNET_PASSWORD "
            "to use the embedded sandbox.",
        ),
    ],
)
async def test_partial_setups_read_alike(service: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match="to use the embedded sandbox") as caught:
        async with client_from_env(service, env):
            pass
    assert str(caught.value) == message


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
