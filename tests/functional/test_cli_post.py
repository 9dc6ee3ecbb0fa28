"""``asyncmedia post`` driven through the PostingClient interface, with fake clients.

The fakes stand in for the service clients (``client_from_env`` is replaced), so these tests
check the command itself: arguments, concurrency, output, exit codes, usage errors before any
upload.  The same command against the sandbox's real services is in test_cli_post_sandbox.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from asyncmedia import APIError, Post, TransportError
from asyncmedia.cli import EXIT_OK, EXIT_SERVICE, EXIT_USAGE, main
from asyncmedia.sources import open_source

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(5000)


class FakeClient:
    """A PostingClient that records what it was asked to post."""

    service = "fake"

    def __init__(self, name: str, fail: Exception | None) -> None:
        self.name, self.fail = name, fail
        self.posts: list[tuple[str, list[bytes], list[str | None]]] = []

    async def upload_one(self, source: Any, **_: Any) -> bytes:
        async with await open_source(source) as opened:
            return await opened.read(opened.size or 0)

    async def post(
        self,
        text: str,
        media: Sequence[Any] = (),
        *,
        alt_texts: Sequence[str | None] | None = None,
        reply_to: Any = None,
    ) -> Post:
        if self.fail is not None:
            raise self.fail
        data = [await self.upload_one(item) for item in media]
        self.posts.append((text, data, list(alt_texts or [])))
        return Post(self.name, "17", f"https://{self.name}.example/17")


class Fakes(dict[str, FakeClient]):
    """``{service: fake client}``, filled as the command asks for clients; ``fail_next``
    makes a service's client raise instead of posting."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next: dict[str, Exception] = {}


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    for name in list(os.environ):
        if name.startswith("ASYNCMEDIA_"):
            monkeypatch.delenv(name)
    made = Fakes()

    @asynccontextmanager
    async def fake_client_from_env(
        service: str, env: Any = None, **options: Any
    ) -> AsyncIterator[FakeClient]:
        assert options.get("sandbox") is not None  # no credentials: one shared sandbox
        made[service] = FakeClient(service, made.fail_next.get(service))
        yield made[service]

    # what clients_from_env calls once per service
    monkeypatch.setattr("asyncmedia.environment.client_from_env", fake_client_from_env)
    return made


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    return path


def post(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["post", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_line_per_service_on_a_terminal(
    fakes: Fakes,
    picture: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    argv = ["Our cat", str(picture), "--alt-text", "A cat", "-q"]
    for service in ("twitter", "mastodon", "bluesky"):
        argv += ["--service", service]
    code, out, err = post(capsys, *argv)
    assert code == EXIT_OK, err
    assert out.splitlines() == [
        "twitter: https://twitter.example/17",
        "mastodon: https://mastodon.example/17",
        "bluesky: https://bluesky.example/17",
    ]
    for fake in fakes.values():
        assert fake.posts == [("Our cat", [PNG], ["A cat"])]


def test_json_when_piped_and_twitter_by_default(
    fakes: Fakes, picture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = post(capsys, "Hello", str(picture), "-q")
    assert code == EXIT_OK, err
    assert json.loads(out) == [
        {
            "service": "twitter",
            "post_service": "twitter",
            "id": "17",
            "url": "https://twitter.example/17",
            "media": [],
        }
    ]
    assert list(fakes) == ["twitter"]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (APIError(403, "You are not allowed"), EXIT_SERVICE),
        (TransportError("refused"), EXIT_SERVICE),
    ],
)
def test_one_service_failing_the_others_still_post_and_it_says_so(
    error: Exception,
    code: int,
    fakes: Fakes,
    picture: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fakes.fail_next["mastodon"] = error
    argv = ["Hello", str(picture)]
    for service in ("twitter", "mastodon", "bluesky"):
        argv += ["--service", service]
    exit_code, out, err = post(capsys, *argv, "--json")
    assert exit_code == code
    twitter, mastodon, bluesky = json.loads(out)
    assert twitter["url"] == "https://twitter.example/17" and bluesky["id"] == "17"
    assert mastodon == {"service": "mastodon", "error": str(error), "kind": type(error).__name__}
    assert f"asyncmedia: error: mastodon: {type(error).__name__}: " in err
    assert "1 of 3 services failed; posted on twitter, bluesky" in err
    assert fakes["twitter"].posts and fakes["bluesky"].posts


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("Hi", "{png}", "--service", "mastodon", "--service", "mastodon"), "given twice"),
        (("Hi", "{png}", "--alt-text", "a", "--alt-text", "b"), "one per PATH_OR_URL"),
        (("Hi", "{mp4}", "--alt-text", "A clip"), "twitter takes alt text for images and GIFs"),
        (("", "--service", "mastodon"), "TEXT or some media"),
    ],
)
def test_bad_usage_exits_2_before_any_client_is_made(
    argv: tuple[str, ...],
    message: str,
    fakes: Fakes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "cat.png").write_bytes(PNG)
    (tmp_path / "clip.mp4").write_bytes(MP4)
    paths = {"png": str(tmp_path / "cat.png"), "mp4": str(tmp_path / "clip.mp4")}
    code, out, err = post(capsys, *(arg.format(**paths) for arg in argv))
    assert code == EXIT_USAGE and out == ""
    assert message in err and fakes == {}


def test_alt_text_on_a_video_goes_where_the_service_takes_it(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    argv = ["Hi", str(clip), "--alt-text", "A clip", "--service", "mastodon"]
    code, _, err = post(capsys, *argv, "--service", "bluesky", "-q")
    assert code == EXIT_OK, err
    assert fakes["bluesky"].posts == [("Hi", [MP4], ["A clip"])]


def test_an_unknown_service_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["post", "Hi", "--service", "twitpic"])
    assert stop.value.code == EXIT_USAGE
