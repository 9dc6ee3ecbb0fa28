"""crosspost and ``asyncmedia post`` against the sandbox's real X, Mastodon and Bluesky routes.

Every client is built from the registry (``ServiceSpec.from_sandbox``) and driven through the
PostingClient interface only; the sandbox's shared post log (``sb.posts``) says what was
published where.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from service_samples import png_bytes
from terminal import run_on_a_terminal

from asyncmedia import APIError, Post, crosspost
from asyncmedia.cli import EXIT_OK, EXIT_SERVICE, UPLOAD_SERVICES, main
from asyncmedia.registry import spec_for
from asyncmedia.sandbox import Fault, Sandbox, ThreadedSandbox

THREE = ("x2", "mastodon", "bluesky")


def post_fault(service: str) -> Fault:
    """A fresh fault refusing ``service``'s post request (the uploads before it go through)."""
    return {
        "x2": lambda: Fault(path="/2/tweets", status=403),
        "mastodon": lambda: Fault(command="STATUS_POST", status=403),
        "bluesky": lambda: Fault(path="/bluesky/xrpc/com.atproto.repo.createRecord", status=400),
    }[service]()


@pytest.fixture
async def clients(sandbox: Sandbox) -> AsyncIterator[list[Any]]:
    """A client per service of THREE on the sandbox, from the registry alone."""
    sandbox.mastodon.processing_steps = 1
    async with AsyncExitStack() as stack:
        made = []
        for name in THREE:
            client, _ = spec_for(name).from_sandbox(
                sandbox, {"poll_interval": 0.05} if name == "mastodon" else {}
            )
            made.append(await stack.enter_async_context(client))
        yield made


async def test_crosspost_to_the_three_services_posts_three_times(
    sandbox: Sandbox, clients: list[Any]
) -> None:
    image = png_bytes()
    results = await crosspost("Our cat, today", [image], alt_texts=["A cat"], clients=clients)
    assert [type(r) for r in results] == [Post, Post, Post], results
    assert [r.service for r in results if isinstance(r, Post)] == ["x", "mastodon", "bluesky"]
    assert sorted(p.service for p in sandbox.posts) == ["bluesky", "mastodon", "x"]
    for record in sandbox.posts:
        assert record.text == "Our cat, today"
        assert len(record.media_ids) == 1 and list(record.alt_texts) == ["A cat"]
    # what each service stored is the picture, byte for byte
    digest = hashlib.sha256(image).hexdigest()
    assert [u.sha256 for u in sandbox.twitter_v2.uploads.values()] == [digest]
    assert [b.sha256 for b in sandbox.bluesky.blobs.values()] == [digest]


@pytest.mark.parametrize("failing", THREE)
async def test_with_one_service_failing_its_error_and_the_other_two_posts(
    failing: str, sandbox: Sandbox, clients: list[Any]
) -> None:
    sandbox.inject(post_fault(failing))
    results = await crosspost("Our cat, today", [png_bytes()], clients=clients)
    for name, result in zip(THREE, results, strict=True):
        if name == failing:
            assert isinstance(result, APIError), result
        else:
            assert isinstance(result, Post), (name, result)
    assert len(sandbox.posts) == 2
    assert spec_for(failing).posts not in {p.service for p in sandbox.posts}


def env_for(sb: Any, names: tuple[str, ...]) -> dict[str, str]:
    """The ``ASYNCMEDIA_*`` variables that point ``names`` at the sandbox (from the registry)."""
    env: dict[str, str] = {}
    for name in names:
        spec = spec_for(name)
        settings = sb.describe()[name]
        group = next(g for g in spec.credentials if all(k in settings for k in g))
        env.update({variable: settings[keyword] for keyword, variable in group.items()})
        env.update({var: str(settings[kw]) for kw, var in spec.optional.items() if kw in settings})
    return env


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in list(os.environ):
        if name.startswith("ASYNCMEDIA_"):
            monkeypatch.delenv(name)
    with ThreadedSandbox() as sb:
        sb.mastodon.processing_steps = 1
        yield sb


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(png_bytes())
    return path


@pytest.mark.parametrize("service", UPLOAD_SERVICES)
def test_the_post_command_on_every_service(
    service: str,
    threaded: Any,
    picture: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env_for(threaded, (service,)).items():
        monkeypatch.setenv(name, value)
    argv = ["post", "Our cat, today", str(picture), "--alt-text", "A cat", "--service", service]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    (result,) = json.loads(out)
    assert result["service"] == service and result["post_service"] == spec_for(service).posts
    assert result["url"].startswith("http")
    (record,) = threaded.posts
    assert record.service == spec_for(service).posts and record.text == "Our cat, today"
    assert list(record.alt_texts) == ["A cat"]


def test_the_post_command_on_three_services_at_once(
    threaded: Any,
    picture: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env_for(threaded, THREE).items():
        monkeypatch.setenv(name, value)
    argv = ["post", "Our cat", str(picture), "--alt-text", "A cat"]
    code = main([*argv, "--service", "x2", "--service", "mastodon", "--service", "bluesky"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert [r["service"] for r in json.loads(out)] == list(THREE)
    assert sorted(p.service for p in threaded.posts) == ["bluesky", "mastodon", "x"]


def test_the_post_command_with_one_service_failing(
    threaded: Any,
    picture: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env_for(threaded, THREE).items():
        monkeypatch.setenv(name, value)
    threaded.inject(post_fault("mastodon"))
    argv = ["post", "Our cat", str(picture), "--service", "x2", "--service", "mastodon"]
    code = main([*argv, "--service", "bluesky"])
    out, err = capsys.readouterr()
    assert code == EXIT_SERVICE
    x, mastodon, bluesky = json.loads(out)
    assert x["url"] and bluesky["url"] and mastodon["kind"] == "APIError"
    assert "1 of 3 services failed; posted on x2, bluesky" in err
    assert sorted(p.service for p in threaded.posts) == ["bluesky", "x"]


def test_the_post_command_draws_its_progress_and_prints_urls_on_a_terminal(
    tmp_path: Path,
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(4 << 20))
    argv = ["post", "A clip", str(clip), "--service", "mastodon", "--service", "bluesky"]
    code, text = run_on_a_terminal(*argv)
    assert code == 0, text
    drawn = [int(percent) for percent in re.findall(r"(\d+)%\|", text)]
    assert drawn and drawn[0] < 100 and drawn[-1] == 100, text
    assert re.search(r"mastodon: http://127\.0\.0\.1:\d+/mastodon/@", text), text
    assert re.search(r"bluesky: https://bsky\.app/profile/did:", text), text
