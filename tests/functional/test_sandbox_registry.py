"""The sandbox's service registry: services declare themselves, the Sandbox looks them up."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from service_samples import png_bytes, sha

import asyncmedia.sandbox
from asyncmedia.cli import sandbox_description
from asyncmedia.sandbox import (
    DEFAULT_SERVICES,
    BoundService,
    MastodonService,
    Sandbox,
    TwitPicService,
    TwitterV1Service,
)
from asyncmedia.sandbox.registry import registered


def test_default_services_come_from_the_registry_once_each() -> None:
    sb = Sandbox()
    assert [type(service) for service in sb.services] == list(DEFAULT_SERVICES)
    names = [kind.name for kind in DEFAULT_SERVICES]
    assert len(set(names)) == len(names) and "" not in names
    prefixes = [kind.prefix for kind in DEFAULT_SERVICES]
    assert len(set(prefixes)) == len(prefixes)
    assert all(p.startswith("/") and p.endswith("/") for p in prefixes)
    assert registered("mastodon") is MastodonService
    with pytest.raises(KeyError, match=r"'nope'.*known: twitter_v1"):
        registered("nope")


async def test_description_is_each_service_entry_with_the_old_keys_and_values() -> None:
    async with Sandbox() as sb:
        # What the CLI printed when it listed every service by hand, in the same order.
        by_hand: dict[str, dict[str, Any]] = {
            "twitter": {"upload_url": sb.url, "api_url": sb.url, **sb.credentials},
            "x2": {"upload_url": sb.x2_url, "bearer_token": sb.x_bearer_token, **sb.credentials},
            "mastodon": {"instance_url": sb.mastodon_url, "access_token": sb.mastodon_token},
            "bluesky": {
                "service_url": sb.bluesky_url,
                "identifier": sb.bluesky_identifier,
                "password": sb.bluesky_password,
            },
            "twitpic": {"base_url": sb.twitpic_url, "api_key": sb.twitpic_api_key},
            "twitrpix": {"base_url": sb.twitrpix_url, "api_key": sb.twitrpix_api_key},
            "statusnet": {"base_url": sb.statusnet_url, **sb.statusnet_credentials},
        }
        described = sandbox_description(sb)
        assert described == by_hand
        assert [list(entry) for entry in described.values()] == [
            list(entry) for entry in by_hand.values()
        ]
        assert list(described) == list(by_hand)


async def test_lookup_by_name_and_by_class_agree_with_the_old_attributes() -> None:
    async with Sandbox() as sb:
        assert sb.service("mastodon") is sb.mastodon is sb.service(MastodonService)
        assert sb.service("twitter_v1") is sb.twitter_v1
        assert sb.service("twitter_v2") is sb.twitter_v2
        assert sb.service("bluesky") is sb.bluesky
        assert sb.service(TwitPicService) is sb.twitpic
        assert sb.service("twitpic").describe() == {  # type: ignore[attr-defined]
            "base_url": sb.twitpic_url,
            "api_key": sb.twitpic_api_key,
        }
        assert sb.find_service("myspace") is None
        with pytest.raises(RuntimeError, match="runs no 'myspace' service"):
            sb.service("myspace")


async def test_records_are_what_the_service_received() -> None:
    from asyncmedia import MediaClient

    data = png_bytes()
    async with Sandbox() as sb:
        async with MediaClient(**sb.credentials, upload_url=sb.url, api_url=sb.url) as client:
            media = await client.upload_media(data)
        v1 = sb.service(TwitterV1Service)
        uploads = v1.records()["uploads"]
        assert uploads is sb.uploads  # the live collection, not a copy
        assert uploads[media.media_id].sha256 == sha(data)
        assert uploads[media.media_id].sniffed_type == "image/png"
        assert v1.records()["statuses"] == []
        assert sb.twitpic.records() == {"uploads": []}
        assert sb.service(MastodonService).records() == {"media": {}, "statuses": {}}


async def test_a_sandbox_without_a_service_still_answers_its_old_attributes() -> None:
    async with Sandbox(services=[TwitterV1Service()]) as sb:
        assert sb.mastodon is None and sb.twitter_v2 is None and sb.bluesky is None
        assert sb.mastodon_url == sb.base_url + "mastodon/"  # as before: a URL, routes 404
        assert sb.x2_url == sb.base_url + "2/"
        with pytest.raises(RuntimeError, match="runs no TwitPic service"):
            sb.twitpic_url  # noqa: B018
        with pytest.raises(RuntimeError, match="runs no StatusNet service"):
            sb.statusnet_credentials  # noqa: B018
        assert sandbox_description(sb) == {
            "twitter": {"upload_url": sb.url, "api_url": sb.url, **sb.credentials}
        }


async def test_a_service_registers_by_declaring_itself() -> None:
    from aiohttp import web

    class Echo(BoundService):
        name = "echo"
        title = "Echo"
        prefix = "/echo/v1/"
        url_keys = ("endpoint",)

        def credentials(self) -> dict[str, str]:
            return {"secret": "s3"}

        def setup(self, app: web.Application, sandbox: Sandbox) -> None:
            self.bind(sandbox)
            app.router.add_get(self.prefix, self.echo)

        async def echo(self, request: web.Request) -> web.Response:
            return web.Response(text="echo")

    async with Sandbox(services=[Echo()]) as sb, aiohttp.ClientSession() as http:
        entry = sb.describe()["echo"]
        assert entry == {"endpoint": sb.base_url + "echo/v1/", "secret": "s3"}
        async with http.get(entry["endpoint"]) as answer:
            assert await answer.text() == "echo"
        assert sb.service(Echo).records() == {}
        with pytest.raises(RuntimeError, match=r"runs no Twitter v1\.1 service"):
            sb.uploads  # noqa: B018


def test_no_sandbox_module_imports_another_modules_private_names() -> None:
    folder = Path(asyncmedia.sandbox.__file__).parent
    borrowed = []
    for module in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                borrowed += [
                    f"{module.name}: from .{node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
    assert borrowed == []
