"""``asyncmedia upload --service …`` against the embedded sandbox fallback, and its env rules."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from service_samples import png_bytes

from asyncmedia.cli import EXIT_OK, EXIT_USAGE, UPLOAD_SERVICES, main
from asyncmedia.environment import ENVIRONMENT
from asyncmedia.sandbox import ThreadedSandbox

TWITTER_KEYS = {
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASYNCMEDIA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(png_bytes())
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["upload", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("service", ["twitter", "x2"])
def test_x_services_print_the_media(
    service: str, image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--service", service, str(image), "--alt-text", "A cat")
    assert code == EXIT_OK, err
    media = json.loads(out)
    assert media["size"] == image.stat().st_size and media["media_type"] == "image/png"
    assert "embedded sandbox" in err
    assert ("/2/" in err) == (service == "x2")
    assert (media["media_key"] is not None) == (service == "x2")


def test_default_service_is_twitter_v1(image: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(image))
    assert code == EXIT_OK and "/1.1/" in err


def test_mastodon(image: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--service", "mastodon", str(image), "--alt-text", "A cat", "--focus", "0.5,-0.5"
    )
    assert code == EXIT_OK, err
    media = json.loads(out)
    assert media["type"] == "image" and media["description"] == "A cat"
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.5}
    assert "raw" not in media and "/mastodon/" in err


def test_bluesky(image: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--service", "bluesky", str(image))
    assert code == EXIT_OK, err
    blob = json.loads(out)
    assert blob["$type"] == "blob" and blob["ref"]["$link"].startswith("bafkrei")
    assert blob["size"] == image.stat().st_size and blob["mimeType"] == "image/png"


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (("--service", "bluesky", "--alt-text", "x"), {}, "image embed"),
        (("--service", "mastodon", "--media-category", "tweet_image"), {}, "--media-category"),
        (("--service", "x2", "--focus", "0,0"), {}, "--focus"),
        (("--service", "mastodon", "--focus", "left"), {}, "X,Y"),
        (
            (
                "--service",
                "mastodon",
            ),
            {"ASYNCMEDIA_MASTODON_URL": "https://m.example"},
            "TOKEN",
        ),
        (
            (
                "--service",
                "bluesky",
            ),
            {"ASYNCMEDIA_BLUESKY_IDENTIFIER": "me"},
            "PASSWORD",
        ),
        (
            ("--service", "bluesky"),
            {"ASYNCMEDIA_BLUESKY_JWT": "a.b.c", "ASYNCMEDIA_BLUESKY_IDENTIFIER": "me"},
            "alternative credentials",
        ),
    ],
)
def test_usage_errors_exit_2_before_any_upload(
    argv: tuple[str, ...],
    env: dict[str, str],
    message: str,
    image: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(capsys, *argv, str(image))
    assert code == EXIT_USAGE and out == ""
    assert message in err


def test_every_documented_variable_is_listed() -> None:
    assert set(UPLOAD_SERVICES) == {"twitter", "x2", "mastodon", "bluesky"}
    assert set(UPLOAD_SERVICES) <= set(ENVIRONMENT)
    assert "ASYNCMEDIA_X_BEARER_TOKEN" in ENVIRONMENT["x2"]
    assert set(ENVIRONMENT["bluesky"]) == {
        "ASYNCMEDIA_BLUESKY_URL",
        "ASYNCMEDIA_BLUESKY_IDENTIFIER",
        "ASYNCMEDIA_BLUESKY_PASSWORD",
        "ASYNCMEDIA_BLUESKY_JWT",
    }


@pytest.mark.parametrize(("service", "root"), [("twitter", "url"), ("x2", "x2_url")])
def test_alt_text_on_a_video_is_refused_before_any_byte_is_sent(
    service: str,
    root: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(1 << 20))
    with ThreadedSandbox() as sb:
        for argument, name in TWITTER_KEYS.items():
            monkeypatch.setenv(name, sb.credentials[argument])
        monkeypatch.setenv("ASYNCMEDIA_UPLOAD_URL", getattr(sb, root))
        code, out, err = run(capsys, "--service", service, str(clip), "--alt-text", "A clip")
        assert sb.requests == []  # not one byte of the video went out
    assert code == EXIT_USAGE and out == ""
    assert "images and GIFs only, not video" in err and "--alt-text" in err
